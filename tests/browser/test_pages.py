"""The analyse page in a real browser (see conftest.py for the offline set-up): upload a shared
clip, wait for the result, compare the page's hold/rep table and flags with what
``formcheck analyze`` (the CLI) reports for the same clip. The live page: ``test_live.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import artifacts_dir
from tests.browser.harness import _free_port, select
from tests.conftest import MEDIA, REPO

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: (exercise id, display name, clip): run for each exercise the registry has.
ANALYSE_CASES = [
    ("plank", "Forearm plank", "plank__kaiakol-004.mp4"),
    ("bird_dog", "Bird dog", "bird_dog__lena.mp4"),
]


def _cli_report(clip: Path, exercise: str, out: Path) -> dict:
    subprocess.run([sys.executable, "-m", "formcheck", "analyze", str(clip), "-e", exercise,
                    "-o", str(out), "--no-video", "-q"], check=True, cwd=REPO,
                   capture_output=True)
    return json.loads((out / "report.json").read_text())


def _table_rows(page, index_name: str) -> list[dict[str, str]]:
    """Rows of the st.table whose index column is ``index_name`` (header -> cell text)."""
    tables = page.locator("[data-testid='stTable'] table")
    for i in range(tables.count()):
        table = tables.nth(i)
        headers = [h.strip() for h in table.locator("thead th").all_inner_texts()]
        if headers and headers[0] == index_name:
            rows = []
            for tr in table.locator("tbody tr").all():
                cells = [c.strip() for c in tr.locator("th, td").all_inner_texts()]
                rows.append(dict(zip(headers, cells)))
            return rows
    return []


@pytest.mark.parametrize("exercise,name,clip_name", ANALYSE_CASES, ids=[c[0] for c in ANALYSE_CASES])
def test_analyse_page_matches_cli(page, app_server, tmp_path, exercise, name, clip_name):
    from formcheck.exercises import all_exercises

    if exercise not in all_exercises():
        pytest.skip(f"exercise {exercise} is not in the registry yet")
    clip = MEDIA / clip_name
    if not clip.is_file():
        pytest.skip(f"{clip} not available")
    expected = _cli_report(clip, exercise, tmp_path / "cli")
    refused: list[str] = []  # the result (video, charts, tables) within the app's content policy
    page.on("console", lambda msg: refused.append(msg.text) if "Content Security Policy" in msg.text else None)

    page.goto(f"{app_server.url}/analyse")
    page.get_by_text("Analyse a recorded video").wait_for()
    page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(clip))
    select(page, "Exercise in the video", name)
    page.get_by_role("button", name="Analyse").click()
    page.get_by_text(f"Analysed '{clip.name}'").wait_for(timeout=180_000)
    page.locator("[data-testid='stVegaLiteChart'], [data-testid='stArrowVegaLiteChart']").first.wait_for()

    kind = expected["kind"]
    index = "Hold" if kind == "hold" else "Rep"
    items = expected["holds"] if kind == "hold" else expected["reps"]
    # The chart can arrive before the tables above it are drawn (CI, under load, read none).
    page.locator("[data-testid='stTable'] thead th").get_by_text(index, exact=True).first.wait_for()
    page.locator("[data-testid='stTable'] thead th").get_by_text("Check", exact=True).first.wait_for()
    rows = _table_rows(page, index)
    assert len(rows) == len(items), f"page shows {len(rows)} {index.lower()}s, CLI {len(items)}"
    titles = {c["id"]: c["title"] for c in expected["checks"]}
    titles["tempo"] = "Tempo (rushed)"
    for row, item in zip(rows, items):
        assert row[index] == str(item["index"])
        assert row["Score"] == str(round(item["score"]))
        if item["flags"]:
            assert row["Result"].startswith("flagged:")
            for flag in item["flags"]:
                assert titles[flag] in row["Result"]
        else:
            assert row["Result"] == "pass"
        if kind == "reps" and item.get("side"):
            assert row["Side"] == item["side"]
    checks = {r["Check"]: r for r in _table_rows(page, "Check")}
    for c in expected["checks"]:
        assert checks[c["title"]][f"Flagged in ({'holds' if kind == 'hold' else 'reps'})"] == str(c["flagged_in"])
    video = page.locator("video").first
    assert video.evaluate("v => v.currentSrc.length > 0")
    assert refused == []

    page.set_viewport_size({"width": 1280, "height": 2600})
    time.sleep(1.0)
    page.screenshot(path=str(artifacts_dir() / f"analyse-{exercise}.png"))


def _host(url: str) -> str | None:
    """The host:port a URL asks for over the network (None for data:, blob: and the like)."""
    parts = urlsplit(url)
    return parts.netloc if parts.scheme in ("http", "https", "ws", "wss") else None


def test_the_app_asks_nothing_of_any_other_host(page, app_server):
    """A local-only medical app makes no request off the machine (the Material page icon was
    fetched from fonts.gstatic.com on every page), sends its frame and content policies, and
    breaks none of them."""
    hosts: list[str | None] = []
    refused: list[str] = []
    page.on("request", lambda request: hosts.append(_host(request.url)))
    page.on("console", lambda msg: refused.append(msg.text) if "Content Security Policy" in msg.text else None)
    seen = []
    for path, title in (("/live", "Live coaching"), ("/analyse", "Analyse a recorded video")):
        response = page.goto(f"{app_server.url}{path}")
        page.get_by_text(title).first.wait_for()
        page.locator("[data-testid='stIconMaterial']").first.wait_for()  # the navigation's icons
        time.sleep(2.0)  # let late requests (icons, fonts, the camera widget) go out
        seen.append(response.headers)
    assert set(hosts) - {None} == {_host(app_server.url)}
    for headers in seen:
        assert headers["x-frame-options"] == "SAMEORIGIN"
        policy = headers["content-security-policy"]
        assert "frame-ancestors 'self'" in policy and "default-src 'self'" in policy
    assert refused == []
    icon = page.evaluate("document.querySelector(\"link[rel='shortcut icon']\").href")
    assert icon.startswith("data:image/svg+xml"), icon


def test_another_site_cannot_frame_the_app(page, app_server, tmp_path):
    """A page of another origin (a second server on the app's loopback, another port) that
    frames the app gets Chromium's error page in the frame: the app's frame-ancestors and
    X-Frame-Options refuse it (click-jacking)."""
    from playwright.sync_api import Error as PlaywrightError

    port = _free_port()
    (tmp_path / "parent.html").write_text(f'<iframe src="{app_server.url}/"></iframe>')
    other = subprocess.Popen(["nsenter", f"--net=/proc/{app_server.process.pid}/ns/net", "--", sys.executable,
                              "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(tmp_path)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                page.goto(f"http://127.0.0.1:{port}/parent.html")
                break
            except PlaywrightError:  # the second server is still starting
                assert time.monotonic() < deadline, "the second server did not start"
                time.sleep(0.5)
        while len(page.frames) < 2 or page.frames[1].url in ("", "about:blank"):
            assert time.monotonic() < deadline, [f.url for f in page.frames]
            time.sleep(0.2)
        assert page.frames[1].url.startswith("chrome-error://"), page.frames[1].url
    finally:
        other.terminate()
        other.wait(10)
