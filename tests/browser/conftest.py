"""Browser tests: the app served by Streamlit and driven by Debian's Chromium through Playwright,
both inside one network namespace that has only loopback (no internet, like a laptop offline):
see ``harness.py``. The fake webcam is a y4m made at test time from a shared plank clip (never
committed).

Needs root (or CAP_SYS_ADMIN) for ``unshare -n``/``nsenter``, ``/usr/bin/chromium`` and the
pose model; each missing piece skips with the reason. Screenshots go to ``$FORMCHECK_ARTIFACTS``
(default ``tests/artifacts/``).
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import harness
from tests.browser.harness import CHROMIUM, CHROMIUM_FLAGS, Server, select  # noqa: F401  (for the test modules)
from tests.conftest import MEDIA, REPO

LIVE_CLIP = "plank__kaiakol-004.mp4"
#: The camera widget's status line once frames are being coached (``frontend/camera.js``).
COACHING = re.compile(r"^\d+ fps · frame-to-cue p90 \d+ ms · ")


def artifacts_dir() -> Path:
    path = Path(os.environ.get("FORMCHECK_ARTIFACTS", REPO / "tests" / "artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def browser_ready(model_dir: Path) -> None:
    reason = harness.why_not_runnable()
    if reason:
        pytest.skip(reason)


@contextlib.contextmanager
def streamlit_server(script: str, model_dir: Path, work: Path, log_name: str,
                     env: dict[str, str] | None = None, drop_env: tuple[str, ...] = ()) -> Iterator[Server]:
    """:func:`harness.streamlit_server`, failing the test if it does not start, and keeping its
    log as an artefact named ``log_name``."""
    try:
        with harness.streamlit_server(script, model_dir, work, env, drop_env) as server:
            try:
                yield server
            finally:
                (artifacts_dir() / log_name).write_text(server.log_text())
    except harness.ServerDidNotStart as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def app_server(browser_ready, tmp_path_factory, model_dir: Path):
    """``streamlit run app.py`` inside a fresh network namespace, saving into a store of its own;
    yields its URL."""
    work = tmp_path_factory.mktemp("server")
    with streamlit_server("app.py", model_dir, work, "streamlit.log",
                          env={"FORMCHECK_DATA_DIR": str(work / "data")},
                          drop_env=("FORMCHECK_DATABASE_URL",)) as server:
        yield server


@pytest.fixture(scope="session")
def fake_camera(browser_ready, tmp_path_factory) -> Path:
    from tests.browser.fake_camera import make_y4m

    clip = MEDIA / LIVE_CLIP
    if not clip.is_file():
        pytest.skip(f"{clip} not available")
    return make_y4m(clip, tmp_path_factory.mktemp("camera") / "camera.y4m", 640, 360, 30)


@pytest.fixture(scope="module")
def browser(app_server: Server, fake_camera: Path, tmp_path_factory):
    """A persistent Chromium context in the server's namespace, camera allowed, fake webcam
    playing :data:`LIVE_CLIP`. Module-scoped: Playwright's sync API allows one instance at a
    time, and other browser test modules start their own."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw, harness.chromium(pw, app_server, tmp_path_factory.mktemp("chromium"),
                                                   camera=fake_camera) as context:
        yield context


def camera(page):
    """The live page's camera widget (its iframe)."""
    return page.frame_locator("iframe[title*='live_camera']")


def start_camera(page, server: Server, timeout_s: float = 90) -> None:
    """Press the camera widget's Start camera and wait until its status line says frames are
    being coached (``N fps · frame-to-cue p90 M ms · ...``)."""
    widget = camera(page)
    widget.get_by_role("button", name="Start camera").click(timeout=60_000)
    status = widget.locator("#status")
    deadline = time.monotonic() + timeout_s
    while not COACHING.match(status.inner_text()):
        assert time.monotonic() < deadline, (f"no frame coached; the widget says {status.inner_text()!r}\n"
                                             + server.log_text()[-3000:])
        time.sleep(0.5)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def page(browser, app_server: Server, request):
    """A new tab; on failure its screenshot and console go to the artefacts folder."""
    page = browser.new_page()
    console: list[str] = []
    page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    page.on("pageerror", lambda exc: console.append(f"pageerror: {exc}"))
    yield page
    failed = getattr(request.node, "report_call", None)
    if failed is not None and failed.failed:
        name = re.sub(r"[^\w.-]+", "_", request.node.name)
        page.screenshot(path=str(artifacts_dir() / f"failed-{name}.png"))
        (artifacts_dir() / f"failed-{name}-console.txt").write_text("\n".join(console))
    page.close()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Every test under tests/browser is a browser test and slow, marked or not."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)
