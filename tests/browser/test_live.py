"""The live page in a real browser (see conftest.py for the offline set-up): the fake webcam
plays a clip into the page's camera preview; frames go to the server over the frame channel and
the coaching comes back drawn over the preview.

- a plank is timed and cued, the status line reads ``N fps · frame-to-cue p90 M ms · quality``,
  the overlay is drawn where its shapes say, nothing breaks the app's content policy, and "It
  hurts - stop" ends the set with the advice and a banner over the preview;
- a bird dog's reps are counted per side and cued;
- a browser without OffscreenCanvas encodes frames on the page instead of in a worker;
- a refused camera, no camera, a camera that stops, a slow machine and a server that goes away
  each get a clear message on the page.
"""

from __future__ import annotations

import contextlib
import re
import time
from pathlib import Path

import pytest

from tests.browser import harness
from tests.browser.conftest import artifacts_dir, streamlit_server
from tests.conftest import MEDIA

pytestmark = [pytest.mark.browser, pytest.mark.slow]

STATUS = re.compile(r"^(\d+) fps · frame-to-cue p90 (\d+) ms · (full|lite) model, pose at (camera size|\d+ px)")
#: Every overlay the camera widget draws, kept by the page for the test to read.
KEEP_OVERLAYS = ("window.__overlays = [];"
                 "window.addEventListener('formcheck-overlay', (e) => window.__overlays.push(e.detail));")


@pytest.fixture(scope="module")
def cameras(browser_ready, tmp_path_factory):
    """clip name -> a 640x360 y4m of it (made once per module), 16:9 like the clips: letterboxed
    into 640x480 the bird dog is small enough that its reps are not counted at all, by
    ``formcheck analyze`` of the same frames either."""
    from tests.browser.fake_camera import make_y4m

    made: dict[str, Path] = {}

    def camera(clip_name: str) -> Path:
        clip = MEDIA / clip_name
        if not clip.is_file():
            pytest.skip(f"{clip} not available")
        if clip_name not in made:
            made[clip_name] = make_y4m(clip, tmp_path_factory.mktemp("camera") / "camera.y4m", 640, 360, 30)
        return made[clip_name]

    return camera


@pytest.fixture
def open_live(request, tmp_path):
    """``open_live(server, init_script="", **chromium_options) -> page`` on the live page
    (``init_script`` runs in every frame before the page's own scripts), its browser closed
    after the test (with a screenshot and the console kept if the test failed)."""
    from playwright.sync_api import sync_playwright

    with contextlib.ExitStack() as stack:
        pw = stack.enter_context(sync_playwright())
        pages = []

        def open_page(server, init_script: str = "", **options):
            context = stack.enter_context(harness.chromium(pw, server, tmp_path / f"browser{len(pages)}", **options))
            context.add_init_script(init_script + KEEP_OVERLAYS)
            page = context.new_page()
            page.console = []
            page.on("console", lambda msg: page.console.append(f"{msg.type}: {msg.text}"))
            page.goto(f"{server.url}/")
            page.get_by_text("Live coaching").first.wait_for()
            pages.append(page)
            return page

        yield open_page
        failed = getattr(request.node, "report_call", None)
        if failed is not None and failed.failed:
            name = re.sub(r"[^\w.-]+", "_", request.node.name)
            for i, page in enumerate(pages):
                page.screenshot(path=str(artifacts_dir() / f"failed-{name}-{i}.png"))
                (artifacts_dir() / f"failed-{name}-{i}-console.txt").write_text("\n".join(page.console))


def _camera(page):
    return page.frame_locator("iframe[title*='live_camera']")


def _camera_frame(page):
    return next(f for f in page.frames if "live_camera" in f.url)


def _start(page, exercise: str) -> None:
    harness.select(page, "Exercise", exercise)
    page.get_by_text("Camera placement").first.wait_for()
    _camera(page).get_by_role("button", name="Start camera").click()


def _wait_for(condition, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")


def _metric(page, label: str) -> str:
    metric = page.locator("[data-testid='stMetric']").filter(has_text=label).first
    return metric.locator("[data-testid='stMetricValue']").inner_text() if metric.count() else ""


def _overlay_texts(page) -> list[list[str]]:
    """The texts of every overlay drawn so far, overlay by overlay."""
    return _camera_frame(page).evaluate(
        "() => window.__overlays.map((o) => o.shapes.filter((s) => s.kind === 'text').map((s) => s.text))")


def test_live_plank_is_timed_and_cued_over_the_preview(open_live, app_server, cameras):
    page = open_live(app_server, camera=cameras("plank__kaiakol-004.mp4"))
    _start(page, "Forearm plank")
    status_line = _camera(page).locator("#status")
    _wait_for(lambda: STATUS.match(status_line.inner_text()), 90, "the status line")

    def hold_s() -> float:
        m = re.search(r"([\d.]+)\s*s", _metric(page, "Hold"))
        return float(m.group(1)) if m else 0.0

    _wait_for(lambda: hold_s() >= 3.0, 90, "the hold timer to pass 3 s")
    assert page.get_by_text(re.compile("Camera setup OK|Setup: not yet right")).count() > 0
    status = status_line.inner_text()
    assert STATUS.match(status), status
    # The overlay: its shapes carry the timer and the check values, and the canvas has ink
    # where its latest shapes put a bone (the page draws exactly what the server sent).
    texts = _overlay_texts(page)[-1]
    assert any(re.fullmatch(r"hold +\d+\.\d s", t) for t in texts) and any(t.startswith("Hips sagging:") for t in texts)
    alpha = _camera_frame(page).evaluate("""() => {
        const last = window.__overlays[window.__overlays.length - 1];
        const bone = last.shapes.find((s) => s.kind === 'line');
        const [[x0, y0], [x1, y1]] = bone.points;
        const ctx = document.getElementById('overlay').getContext('2d');
        return ctx.getImageData(Math.round((x0 + x1) / 2), Math.round((y0 + y1) / 2), 1, 1).data[3];
    }""")
    assert alpha > 0, "the overlay canvas has nothing where the skeleton is"
    latencies = _camera_frame(page).evaluate("() => window.__overlays.map((o) => o.latency)")
    assert all(0 < ms < 60_000 for ms in latencies)
    # the camera widget, its encoding worker and the frame channel live within the app's content
    # policy (formcheck.webapp.server: connect-src 'self' covers the WebSocket on the app's origin)
    assert [m for m in page.console if "Content Security Policy" in m] == []
    page.screenshot(path=str(artifacts_dir() / "live.png"))
    (artifacts_dir() / "live-status.txt").write_text(status + "\n")

    page.get_by_role("button", name=re.compile("It hurts")).click()
    page.get_by_text("Stop the exercise now").wait_for(timeout=30_000)
    page.get_by_text("Set summary").wait_for()
    assert page.get_by_text(re.compile("stopped because it hurt")).count() > 0
    page.locator("[data-testid='stTable'] table").filter(has_text="Hold") \
        .or_(page.get_by_text("No hold was found")).first.wait_for(timeout=30_000)
    alerts = page.locator("[data-testid='stAlert']").all_inner_texts()
    assert page.locator("[data-testid='stTable'] table").filter(has_text="Hold").count(), \
        f"the set summary has no hold; the page says: {alerts}"
    _wait_for(lambda: "Stopped: it hurts" in _overlay_texts(page)[-1], 30, "the banner over the preview")
    page.screenshot(path=str(artifacts_dir() / "live-stopped.png"))


def test_live_bird_dog_reps_are_counted_per_side_and_cued(open_live, app_server, cameras):
    page = open_live(app_server, camera=cameras("bird_dog__lena.mp4"))
    _start(page, "Bird dog")

    def reps() -> int:
        value = _metric(page, "Reps")
        return int(value) if value.strip().isdigit() else 0

    _wait_for(lambda: reps() >= 2, 120, "two bird dog reps")
    assert re.fullmatch(r"\d+ / \d+", _metric(page, "Left / right"))
    seen = {t for texts in _overlay_texts(page) for t in texts}
    assert any(re.fullmatch(r"reps [1-9]\d*", t) for t in seen), sorted(seen)
    assert any(re.fullmatch(r"L \d+  R \d+", t) for t in seen), sorted(seen)
    assert "Nice reach, steady back." in seen, sorted(seen)  # the clip's reps are good: praised
    page.screenshot(path=str(artifacts_dir() / "live-bird-dog.png"))


def test_a_browser_without_offscreen_canvas_encodes_on_the_page(open_live, app_server, cameras):
    # As Safari before 16.4: no OffscreenCanvas, so no encoding worker.
    page = open_live(app_server, camera=cameras("plank__kaiakol-004.mp4"),
                     init_script="window.OffscreenCanvas = undefined;")
    _start(page, "Forearm plank")
    _wait_for(lambda: STATUS.match(_camera(page).locator("#status").inner_text()), 90, "coaching")
    assert _camera_frame(page).evaluate("() => window.__overlays.length") > 5


def test_a_refused_camera_says_how_to_allow_it(open_live, app_server, cameras):
    page = open_live(app_server, camera=cameras("plank__kaiakol-004.mp4"), permissions=(), fake_ui=False)
    _start(page, "Forearm plank")
    _camera(page).get_by_text("The camera was not allowed").wait_for(timeout=30_000)
    assert _camera(page).get_by_role("button", name="Start camera").is_visible()


def test_no_camera_says_so(open_live, app_server):
    page = open_live(app_server, fake_device=False)
    _start(page, "Forearm plank")
    _camera(page).get_by_text("No camera was found").wait_for(timeout=30_000)


def test_a_camera_that_stops_says_so(open_live, app_server, cameras):
    page = open_live(app_server, camera=cameras("plank__kaiakol-004.mp4"))
    _start(page, "Forearm plank")
    _wait_for(lambda: STATUS.match(_camera(page).locator("#status").inner_text()), 90, "coaching")
    # What the browser does when a camera is unplugged: the track ends.
    _camera_frame(page).evaluate(
        "() => document.getElementById('preview').srcObject.getVideoTracks()[0].dispatchEvent(new Event('ended'))")
    _camera(page).get_by_text("The camera stopped").wait_for(timeout=10_000)
    assert _camera(page).get_by_role("button", name="Start camera").is_visible()


def test_a_slow_machine_and_a_server_that_goes_away_are_said(open_live, browser_ready, model_dir, tmp_path, cameras):
    # A target no machine keeps: the status line must say the page is slower than it.
    with streamlit_server("app.py", model_dir, tmp_path, "streamlit-gone.log",
                          env={"FORMCHECK_LIVE_TARGET_FPS": "500"}) as server:
        page = open_live(server, camera=cameras("plank__kaiakol-004.mp4"))
        _start(page, "Forearm plank")
        status_line = _camera(page).locator("#status")
        _wait_for(lambda: STATUS.match(status_line.inner_text()), 90, "coaching")
        assert "below 500 fps: this computer is busy" in status_line.inner_text()
        server.process.terminate()
        server.process.wait(30)
        _camera(page).get_by_text(re.compile("Lost the connection to the formcheck server|cannot be reached")) \
            .wait_for(timeout=30_000)
        blank = _camera_frame(page).evaluate("""() => {
            const c = document.getElementById('overlay');
            return c.getContext('2d').getImageData(0, 0, c.width, c.height).data.every((v, i) => i % 4 !== 3 || v === 0);
        }""")
        assert blank, "the overlay of a frame the server no longer coaches is still shown"
