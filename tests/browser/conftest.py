"""Browser tests: the app served by Streamlit and driven by Debian's Chromium through Playwright,
both inside one network namespace that has only loopback (no internet, like a laptop offline).

How (``LIVE_TESTING.md`` in the shared folder has the background):

- ``unshare -n`` starts ``launch_streamlit.py`` in a new network namespace, which brings ``lo``
  up (as ``ip link set lo up``), patches aioice to offer 127.0.0.1 and preloads the model;
- Chromium is started through a two-line wrapper that ``nsenter``s that namespace, so the
  browser reaches the server on 127.0.0.1 while Playwright talks to it over a pipe;
- the fake webcam is a y4m made at test time from a shared plank clip (never committed).

Needs root (or CAP_SYS_ADMIN) for ``unshare -n``/``nsenter``, ``/usr/bin/chromium`` and the
pose model; each missing piece skips with the reason. Screenshots go to ``$FORMCHECK_ARTIFACTS``
(default ``tests/artifacts/``).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import MEDIA, PYTHONPATH, REPO

CHROMIUM = Path(os.environ.get("FORMCHECK_CHROMIUM", "/usr/bin/chromium"))
LIVE_CLIP = "plank__kaiakol-004.mp4"
SERVER_START_TIMEOUT_S = 90
CHROMIUM_FLAGS = [
    "--allow-loopback-in-peer-connection",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]


def artifacts_dir() -> Path:
    path = Path(os.environ.get("FORMCHECK_ARTIFACTS", REPO / "tests" / "artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _why_not_runnable() -> str | None:
    if not CHROMIUM.is_file():
        return f"{CHROMIUM} not found (CI: apt-get install chromium)"
    for tool in ("unshare", "nsenter"):
        if shutil.which(tool) is None:
            return f"{tool} not found (Debian package util-linux)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright (Python package) is not installed"
    try:
        import streamlit_webrtc  # noqa: F401
    except ImportError:
        return "streamlit-webrtc is not installed"
    probe = subprocess.run(["unshare", "-n", "--", "true"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        return f"cannot make a network namespace (needs root): {probe.stderr.strip()}"
    return None


@pytest.fixture(scope="session")
def browser_ready(model_dir: Path) -> None:
    reason = _why_not_runnable()
    if reason:
        pytest.skip(reason)


def _free_port() -> int:
    # The namespace is empty, so any port works; pick one free here too to ease debugging.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.is_file() else ""


@contextlib.contextmanager
def streamlit_server(script: str, model_dir: Path, work: Path, log_name: str,
                     env: dict[str, str] | None = None, drop_env: tuple[str, ...] = ()) -> Iterator[Server]:
    """Run ``streamlit run SCRIPT`` through ``launch_streamlit.py`` in its own loopback-only
    network namespace; yields the :class:`Server` once it listens, stops it after, and keeps its
    log as an artefact named ``log_name``."""
    log = work / "streamlit.log"
    port = _free_port()
    launcher = REPO / "tests" / "browser" / "launch_streamlit.py"
    command = ["unshare", "-n", "--", sys.executable, str(launcher), "--loopback-up", script,
               "--server.port", str(port), "--server.address", "127.0.0.1",
               "--server.headless", "true", "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none"]
    full_env = {**os.environ, "FORMCHECK_MODEL_DIR": str(model_dir), "PYTHONUNBUFFERED": "1",
                "PYTHONPATH": PYTHONPATH, **(env or {})}
    for name in ("FORMCHECK_ICE_SERVERS", *drop_env):
        full_env.pop(name, None)
    with open(log, "wb") as fh:
        process = subprocess.Popen(command, cwd=REPO, env=full_env, stdout=fh, stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}", process, log)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while "You can now view your Streamlit app" not in server.log_text():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"Streamlit did not start:\n{server.log_text()[-3000:]}")
            time.sleep(0.3)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
        (artifacts_dir() / log_name).write_text(server.log_text())


@pytest.fixture(scope="session")
def app_server(browser_ready, tmp_path_factory, model_dir: Path):
    """``streamlit run app.py`` inside a fresh network namespace, saving into a store of its own;
    yields its URL."""
    work = tmp_path_factory.mktemp("server")
    with streamlit_server("app.py", model_dir, work, "streamlit.log",
                          env={"FORMCHECK_DATA_DIR": str(work / "data")},
                          drop_env=("FORMCHECK_DATABASE_URL",)) as server:
        yield server


@contextlib.contextmanager
def chromium(server: Server, work: Path, camera: Path | None = None,
             viewport: tuple[int, int] = (1280, 1200)) -> Iterator:
    """A persistent Chromium context in ``server``'s network namespace (through a wrapper that
    ``nsenter``s it), camera allowed and, given a ``camera`` y4m, a fake webcam playing it."""
    from playwright.sync_api import sync_playwright

    wrapper = work / "chromium-in-netns"
    wrapper.write_text("#!/bin/sh\n"
                       f"exec nsenter --net=/proc/{server.process.pid}/ns/net -- {CHROMIUM} \"$@\"\n")
    wrapper.chmod(0o755)
    args = [*CHROMIUM_FLAGS, *([f"--use-file-for-fake-video-capture={camera}"] if camera else [])]
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(work / "profile"), executable_path=str(wrapper), headless=True, args=args,
            permissions=["camera", "microphone"], viewport={"width": viewport[0], "height": viewport[1]})
        context.set_default_timeout(30_000)
        yield context
        context.close()


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
    with chromium(app_server, tmp_path_factory.mktemp("chromium"), fake_camera) as context:
        yield context


def select(page, label: str, option: str, attempts: int = 4) -> None:
    """Pick ``option`` in the selectbox labelled ``label``, opening the list again when a rerun
    of the page closed it before the option could be clicked."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    box = page.locator("[data-testid='stSelectbox']").filter(has_text=label).first
    combo = box.locator("input[role='combobox']")
    for _ in range(attempts):
        combo.click()
        choice = page.get_by_role("option", name=option, exact=False).first
        try:
            choice.wait_for(timeout=10_000)
            choice.click()
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
            continue
        deadline = time.monotonic() + 15
        while option not in combo.input_value() and time.monotonic() < deadline:
            time.sleep(0.2)
        if option in combo.input_value():
            return
    raise AssertionError(f"{label}: could not choose {option!r}")


def start_camera(page, server: Server) -> None:
    """Press the camera widget's START and wait until the page shows frames being coached."""
    frame = page.frame_locator("iframe[title*='webrtc_streamer']")
    start = frame.get_by_role("button", name=re.compile(r"^start$", re.IGNORECASE))
    start.wait_for(timeout=60_000)
    start.click()
    if not _video_coached(page, 30):
        # LIVE_TESTING.md: the first connection sometimes stalls; stop and start once more.
        stop = frame.get_by_role("button", name=re.compile(r"^stop$", re.IGNORECASE))
        if stop.count():
            stop.click()
        start.wait_for()
        start.click()
        assert _video_coached(page, 60), server.log_text()[-3000:]


def _video_coached(page, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if page.get_by_text(re.compile(r"\d+ fps · processing")).count() > 0:
            return True
        time.sleep(0.5)
    return False


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
