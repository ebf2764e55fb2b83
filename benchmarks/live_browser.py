"""Live coaching in a real browser on the same machine: frames coached per second and
frame-to-cue latency, design against design, in one run.

Debian's Chromium (Playwright, headless) and the app run on this machine, in one loopback-only
network namespace (``tests/browser/harness.py``); the fake webcam plays a clip (default: a
shared side-on plank) at 640x480 and 30 fps, each frame carrying its number
(``tests/browser/fake_camera.py``). For each design the live page is opened, the exercise
chosen, the camera started; after a warm-up, ``--seconds`` of coaching are measured:

- **overlay** (the app's live page, ``app.py``): the browser shows its own camera preview,
  sends the newest frame as a JPEG over a WebSocket (one in flight), and draws the shapes the
  server answers with on a canvas over the preview. Frame-to-cue is the page's own measure,
  per frame: the camera's capture time (``requestVideoFrameCallback``) to the animation frame
  in which that frame's overlay is drawn.
- **webrtc** (the previous design, ``benchmarks/_live_webrtc_app.py``): streamlit-webrtc sends
  the camera as VP8, the server coaches and draws each frame and sends the annotated video back
  as VP8. Frame-to-cue is read from the frame numbers (``benchmarks/_frame_numbers.js``): the
  capture time of camera frame N to the moment annotated frame N is shown.

"Coached fps" counts overlays drawn (annotated frames shown) per second. The overlay design's
legs between browser and server compare the browser's clock with the server's, which holds
because both run on this machine. Beside each design:
the CPU its browser and its server used (all their processes, per second and per coached
frame), where the time of a frame went, and the machine's load average before and after.
Then, in this process, what each stage costs on its own on the same frames (JPEG and VP8 both
ways, pose and checks, the drawing). ``benchmarks/live_latency.py`` stays as the floor of the
WebRTC transport itself (an aiortc sender, no browser).

Target (issue 15): the page coaches a plank at >= 25 fps with frame-to-cue p90 < 100 ms, the
browser and the app on the same 2-core machine with nothing else running.

    python benchmarks/live_browser.py [--seconds 30] [--designs overlay,webrtc] [--rounds 1]
                                      [--clip FILE] [--write]
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _common import CACHE, MEDIA, Output, machine, table  # noqa: E402

from tests.browser import harness  # noqa: E402
from tests.browser.fake_camera import make_y4m  # noqa: E402

WIDTH, HEIGHT, CAMERA_FPS = 640, 480, 30
HERE = Path(__file__).resolve().parent
START_TIMEOUT_S = 90


@dataclass
class Run:
    """One design's measurement."""

    design: str
    latencies_ms: list[float]
    seconds: float
    browser_cpu_s: float
    server_cpu_s: float
    load_before: float
    load_after: float
    status_line: str = "-"
    stages: dict[str, list[float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def fps(self) -> float:
        return len(self.latencies_ms) / self.seconds

    def percentiles(self) -> tuple[float, float, float]:
        if not self.latencies_ms:
            return (float("nan"),) * 3
        return tuple(float(np.percentile(self.latencies_ms, q)) for q in (50, 90, 99))


def _frame(page, marker: str):
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        for frame in page.frames:
            if marker in frame.url:
                return frame
        time.sleep(0.2)
    raise RuntimeError(f"no frame {marker!r} on the page")


# -- the designs ---------------------------------------------------------------------------------
class Overlay:
    """The app's live page: preview in the browser, JPEG over a WebSocket, shapes back."""

    name = "overlay"
    title = "server pose, browser overlay (JPEG over WebSocket, shapes back)"
    script = "app.py"
    init_script = ("window.__overlays = [];"
                   "window.addEventListener('formcheck-overlay', (e) => window.__overlays.push(e.detail));")

    def start(self, page) -> None:
        frame = page.frame_locator("iframe[title*='live_camera']")
        frame.get_by_role("button", name="Start camera").click()
        frame.get_by_text(re.compile(r"\d+ fps · frame-to-cue")).wait_for(timeout=START_TIMEOUT_S * 1000)
        self.frame = _frame(page, "live_camera")

    def reset(self) -> None:
        self.frame.evaluate("() => { window.__overlays = []; }")

    def collect(self, run: Run) -> None:
        events = self.frame.evaluate("() => window.__overlays")
        run.latencies_ms = [e["latency"] for e in events]
        run.status_line = self.frame.locator("#status").inner_text()
        run.stages = {
            "camera frame waiting to be sent (capture -> grab)": [e["grabbed"] - e["captured"] for e in events],
            "browser: draw to canvas + JPEG encode": [e["encoded"] - e["grabbed"] for e in events],
            "WebSocket there and back + server": [e["answered"] - e["encoded"] for e in events],
            "  browser -> server (sending, the server's event loop)": [
                e["server"]["received_at"] - (e["timeOrigin"] + e["encoded"]) for e in events],
            "  server: waiting for a worker thread": [e["server"]["waited_ms"] for e in events],
            "  server: JPEG decode": [e["server"]["decode_ms"] for e in events],
            "  server: pose + checks + shapes": [e["server"]["coach_ms"] for e in events],
            "  server -> browser (back to the event loop, sending, the page's main thread)": [
                e["timeOrigin"] + e["answered"] - e["server"]["answered_at"] for e in events],
            "browser: answer -> overlay drawn (next animation frame)": [e["painted"] - e["answered"] for e in events],
        }


class WebRTC:
    """The previous design: streamlit-webrtc both ways, annotated video back."""

    name = "webrtc"
    title = "previous: streamlit-webrtc, annotated video back (VP8 both ways)"
    script = str(HERE / "_live_webrtc_app.py")
    init_script = (HERE / "_frame_numbers.js").read_text()

    def start(self, page) -> None:
        frame = page.frame_locator("iframe[title*='webrtc_streamer']")
        start = frame.get_by_role("button", name=re.compile(r"^start$", re.IGNORECASE))
        start.wait_for(timeout=START_TIMEOUT_S * 1000)
        start.click()
        self.frame = _frame(page, "streamlit_webrtc")
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self.frame.evaluate("() => window.__frameNumbers.shown.length > 10"):
            if time.monotonic() > deadline:
                raise RuntimeError("no annotated video came back")
            time.sleep(0.5)

    def reset(self) -> None:
        self.frame.evaluate("() => { window.__frameNumbers.shown = []; }")
        self.stats_before = self._stats()

    def _stats(self) -> dict:
        return self.frame.evaluate("""async () => {
            const out = {};
            for (const pc of window.__frameNumbers.peers) {
                (await pc.getStats()).forEach((s) => {
                    if (s.type === 'outbound-rtp' || s.type === 'inbound-rtp') out[s.type] = s;
                });
            }
            return out;
        }""")

    def collect(self, run: Run) -> None:
        probe = self.frame.evaluate("() => ({captured: window.__frameNumbers.captured, shown: window.__frameNumbers.shown})")
        captured = {int(k): sorted(v) for k, v in probe["captured"].items()}
        latencies = []
        for number, shown in probe["shown"]:
            times = captured.get(number, [])
            i = bisect.bisect_right(times, shown)
            if i:  # the latest capture of that number before it was shown (the clip loops)
                latencies.append(shown - times[i - 1])
        run.latencies_ms = latencies
        before, after = self.stats_before, self._stats()

        def per_frame(kind: str, total: str, count: str) -> float:
            a, b = before.get(kind, {}), after.get(kind, {})
            n = b.get(count, 0) - a.get(count, 0)
            return 1000.0 * (b.get(total, 0) - a.get(total, 0)) / n if n else float("nan")

        out, back = after.get("outbound-rtp", {}), after.get("inbound-rtp", {})
        run.stages = {
            "browser: VP8 encode of the camera (per frame)": [per_frame("outbound-rtp", "totalEncodeTime", "framesEncoded")],
            "browser: VP8 decode of the annotated video": [per_frame("inbound-rtp", "totalDecodeTime", "framesDecoded")],
            "browser: jitter buffer of the annotated video": [
                per_frame("inbound-rtp", "jitterBufferDelay", "jitterBufferEmittedCount")],
        }
        run.notes.append(f"camera sent at {out.get('framesPerSecond', '?')} fps {out.get('frameWidth')}x"
                         f"{out.get('frameHeight')}; annotated video received at {back.get('framesPerSecond', '?')} "
                         f"fps, {back.get('freezeCount', '?')} freezes in the whole session")


DESIGNS = {d.name: d for d in (Overlay, WebRTC)}


def run_design(design, camera: Path, exercise_name: str, seconds: float, warmup_s: float, work: Path,
               model_dir: Path) -> Run:
    from playwright.sync_api import sync_playwright

    work.mkdir(parents=True, exist_ok=True)
    with harness.streamlit_server(design.script, model_dir, work) as server, sync_playwright() as pw, \
            harness.chromium(pw, server, work, camera=camera) as context:
        context.add_init_script(design.init_script)
        page = context.new_page()
        page.goto(server.url + "/")
        page.get_by_text("Live coaching").first.wait_for(timeout=START_TIMEOUT_S * 1000)
        harness.select(page, "Exercise", exercise_name)
        page.get_by_text("Camera placement").first.wait_for()
        design.start(page)
        time.sleep(warmup_s)
        browser_pids = harness.pids_with_argument(str(work / "profile"))
        load_before = os.getloadavg()[0]
        design.reset()
        cpu0 = (harness.process_tree_cpu_s(browser_pids), harness.process_tree_cpu_s([server.process.pid]))
        started = time.monotonic()
        time.sleep(seconds)
        elapsed = time.monotonic() - started
        cpu1 = (harness.process_tree_cpu_s(browser_pids), harness.process_tree_cpu_s([server.process.pid]))
        run = Run(design.name, [], elapsed, cpu1[0] - cpu0[0], cpu1[1] - cpu0[1], load_before, 0.0)
        design.collect(run)
        run.load_after = os.getloadavg()[0]
        page.screenshot(path=str(work / f"{design.name}.png"))
        return run


# -- stage costs in this process -----------------------------------------------------------------
def stage_costs(clip: Path, exercise: str, n: int = 150) -> list[list]:
    """p50 and p90 ms of each stage on ``n`` frames of the clip at 640x480, one at a time."""
    import fractions

    import av
    import cv2
    from aiortc.codecs.vpx import Vp8Decoder, Vp8Encoder, vp8_depayload
    from aiortc.jitterbuffer import JitterFrame

    from formcheck.annotate import draw, to_plain
    from formcheck.coach import LiveCoach
    from live_latency import load_frames

    frames = load_frames(clip, WIDTH, HEIGHT)
    frames = (frames * (n // len(frames) + 1))[:n]
    rows = []

    def timed(name: str, fn: Callable, items: list) -> list:
        out, ms = [], []
        for item in items:
            t = time.perf_counter()
            out.append(fn(item))
            ms.append((time.perf_counter() - t) * 1000)
        ms = ms[5:]  # warm-up
        rows.append([name, round(statistics.median(ms), 2), round(float(np.percentile(ms, 90)), 2)])
        return out

    jpegs = timed("JPEG encode, quality 80 (OpenCV; the browser's is measured above)",
                  lambda f: cv2.imencode(".jpg", cv2.cvtColor(f, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 80])[1],
                  frames)
    timed("JPEG decode to RGB (the overlay design's server)",
          lambda j: cv2.imdecode(j, cv2.IMREAD_COLOR_RGB), jpegs)
    video_frames = []
    for i, f in enumerate(frames):
        vf = av.VideoFrame.from_ndarray(f, format="rgb24")
        vf.pts, vf.time_base = i * 3000, fractions.Fraction(1, 90000)
        video_frames.append(vf)
    encoder, decoder = Vp8Encoder(), Vp8Decoder()
    packets = timed("VP8 encode (aiortc: the previous design's server, annotated video back)",
                    lambda vf: encoder.encode(vf), video_frames)
    jitter_frames = [JitterFrame(data=b"".join(vp8_depayload(p) for p in ps), timestamp=ts) for ps, ts in packets]
    decoded = timed("VP8 decode (aiortc: the previous design's server, camera in)", decoder.decode, jitter_frames)
    timed("decoded frame to an RGB array (the previous design's callback)",
          lambda vfs: vfs[0].to_ndarray(format="rgb24"), [d for d in decoded if d])
    with LiveCoach(exercise) as coach:
        for i, f in enumerate(frames[:10]):
            coach.step(f, i * 33)
        results = timed("LiveCoach.step: pose, smoothing, checks, cue",
                        lambda a: coach.step(a[1], 400 + a[0] * 33), list(enumerate(frames)))
        shapes = timed("shapes of the overlay (annotate)", lambda r: coach.shapes(r, (WIDTH, HEIGHT)), results)
        timed("shapes to JSON (the overlay design's answer)",
              lambda s: json.dumps(to_plain(s), separators=(",", ":")), shapes)
        timed("drawing the shapes into the frame (the previous design)",
              lambda fs: draw(fs[0].copy(), fs[1]), list(zip(frames, shapes)))
    return rows


# -- report --------------------------------------------------------------------------------------
def _ms(x: float) -> object:
    return "-" if not np.isfinite(x) else round(x)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clip", type=Path, default=MEDIA / "plank__kaiakol-004.mp4")
    parser.add_argument("--exercise", default="plank")
    parser.add_argument("--seconds", type=float, default=30.0, help="measured per design")
    parser.add_argument("--warmup", type=float, default=8.0, help="seconds of coaching before measuring")
    parser.add_argument("--designs", default="overlay,webrtc", help=f"comma-separated, of {', '.join(DESIGNS)}")
    parser.add_argument("--rounds", type=int, default=1, help="run the designs this many times, alternating")
    parser.add_argument("--no-stages", action="store_true", help="skip the per-stage costs")
    parser.add_argument("--write", action="store_true", help="save as docs/benchmarks/live_browser.md")
    args = parser.parse_args()
    from formcheck.exercises import get_exercise

    designs = [DESIGNS[d.strip()]() for d in args.designs.split(",")]
    if not args.clip.is_file():
        sys.exit(f"{args.clip} not found (pass --clip)")
    reason = harness.why_not_runnable()
    if reason:
        sys.exit(f"cannot run the browser: {reason}")
    model_dir = Path(os.environ.get("FORMCHECK_MODEL_DIR", ""))
    if not (model_dir / "pose_landmarker_full.task").is_file():
        sys.exit("set FORMCHECK_MODEL_DIR to the folder holding pose_landmarker_full.task")

    out = Output("live_browser", "Live coaching in a real browser on the same machine")
    out(f"Machine: {machine()}; Chromium {_chromium_version()}.")
    out(f"Load average at start: {_load()}; this benchmark, its browser and its server ran at niceness "
        f"{os.nice(0)} (other processes: 0 unless they changed theirs).")
    out(f"Fake webcam: {args.clip.name} at {WIDTH}x{HEIGHT}, {CAMERA_FPS} fps, looped; exercise "
        f"{args.exercise}; {args.seconds:.0f} s measured per design after {args.warmup:.0f} s of coaching.")
    out()
    CACHE.mkdir(parents=True, exist_ok=True)
    camera = CACHE / f"{args.clip.stem}-{WIDTH}x{HEIGHT}-numbered.y4m"
    if not camera.is_file():
        make_y4m(args.clip, camera, WIDTH, HEIGHT, CAMERA_FPS, numbered=True)
    name = get_exercise(args.exercise).name
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="live_browser-") as tmp:
        for round_ in range(args.rounds):
            for design in designs:
                print(f"... {design.name} (round {round_ + 1})", file=sys.stderr, flush=True)
                runs.append(run_design(design, camera, name, args.seconds, args.warmup,
                                       Path(tmp) / f"{design.name}-{round_}", model_dir))

    rows = []
    for r in runs:
        p50, p90, p99 = r.percentiles()
        n = max(len(r.latencies_ms), 1)
        rows.append([DESIGNS[r.design].title, round(r.fps, 1), _ms(p50), _ms(p90), _ms(p99),
                     f"{100 * r.browser_cpu_s / r.seconds:.0f} % ({1000 * r.browser_cpu_s / n:.0f} ms)",
                     f"{100 * r.server_cpu_s / r.seconds:.0f} % ({1000 * r.server_cpu_s / n:.0f} ms)",
                     f"{r.load_before:.1f} -> {r.load_after:.1f}"])
    out(table(["design", "coached fps", "frame-to-cue p50 ms", "p90", "p99",
               "browser CPU (per coached frame)", "server CPU (per coached frame)", "load (1 min)"], rows))
    out()
    out("CPU: all the processes of the browser (or of the server), as a share of one core; 200 % is "
        "both cores of a 2-core machine.")
    for r in runs:
        out()
        out(f"**{DESIGNS[r.design].title}**: {len(r.latencies_ms)} frames coached in {r.seconds:.0f} s; "
            f"the page's status line at the end: `{r.status_line}`")
        stage_rows = [[k, _ms(float(np.median(v))) if len(v) > 1 else _ms(v[0]),
                       _ms(float(np.percentile(v, 90))) if len(v) > 1 else "-"]
                      for k, v in r.stages.items() if v]
        if stage_rows:
            out()
            out(table(["where a frame's time went", "p50 ms", "p90 ms"], stage_rows))
        for note in r.notes:
            out()
            out(note)
    if not args.no_stages:
        out()
        out(f"Each stage alone, in this process, on 640x480 frames of the clip (load {_load()}):")
        out()
        out(table(["stage", "p50 ms", "p90 ms"], stage_costs(args.clip, args.exercise)))
    out()
    for r in runs:
        if r.design == "overlay":
            p90 = r.percentiles()[1]
            met = r.fps >= 25 and p90 < 100
            out(f"Target (>= 25 fps, frame-to-cue p90 < 100 ms) for the app's live page: "
                f"{'met' if met else 'NOT met'} ({r.fps:.1f} fps, p90 {p90:.0f} ms, load {r.load_before:.1f}).")
    out(f"Load average at the end: {_load()} (other work on the machine slows every figure).")
    if args.write:
        out.write()


def _load() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg()) + " (1 / 5 / 15 min)"


def _chromium_version() -> str:
    import subprocess

    try:
        return subprocess.run([str(harness.CHROMIUM), "--version"], capture_output=True, text=True,
                              timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "(version unknown)"


if __name__ == "__main__":
    main()
