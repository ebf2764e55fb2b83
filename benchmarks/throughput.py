"""Throughput: the bare pose loop against the full ``formcheck.api.analyze`` pipeline.

Both run in one process on the same ~1000-frame 720p clip (shared 1280x720 mp4 clips played
back to back, re-encoded once into benchmarks/_cache/, which git ignores):

- **bare**: PyAV decode -> ``PoseLandmarker.detect_for_video`` per frame, nothing else;
- **full**: ``formcheck.api.analyze`` (decode read-ahead, pose, smoothing, engine, frames.csv,
  report, annotated H.264 video).

Target: full >= 0.90 x bare. Runs alternate (bare, full, bare, full, ...) and the best of each
is reported, so a noisy neighbour hurts both alike.

    python benchmarks/throughput.py [--frames 1000] [--repeats 2] [--profile] [--write]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import resource
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from _common import CACHE, MEDIA, Output, machine, manifest, table


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def timed(fn, *args) -> tuple[int, float, float]:
    """(frames, wall seconds, process CPU seconds) of one run."""
    c0 = _cpu_s()
    n, wall = fn(*args)
    return n, wall, _cpu_s() - c0


def build_clip(frames: int) -> Path:
    """~``frames`` frames at 1280x720 / 30 fps from the shared 720p mp4 clips, looped."""
    path = CACHE / f"throughput_720p_{frames}.mp4"
    if path.is_file():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    sources = [MEDIA / e["file"] for e in manifest()
               if e["file"].endswith(".mp4") and (e["width"], e["height"]) == (1280, 720)
               and e["person_detected_fraction"] == 1.0]
    tmp = path.with_suffix(".partial.mp4")
    out = av.open(str(tmp), "w", format="mp4")
    stream = out.add_stream("libx264", rate=30)
    stream.width, stream.height, stream.pix_fmt = 1280, 720, "yuv420p"
    stream.options = {"crf": "20", "preset": "fast"}
    n = 0
    while n < frames:
        for src in sources:
            with av.open(str(src)) as c:
                for frame in c.decode(video=0):
                    img = frame.to_ndarray(format="rgb24")
                    f = av.VideoFrame.from_ndarray(img, format="rgb24")
                    f.pts, f.time_base = n, Fraction(1, 30)
                    for p in stream.encode(f):
                        out.mux(p)
                    n += 1
                    if n >= frames:
                        break
            if n >= frames:
                break
    for p in stream.encode():
        out.mux(p)
    out.close()
    tmp.rename(path)
    return path


def run_bare(clip: Path) -> tuple[int, float]:
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    from formcheck.models import resolve_model

    t0 = time.perf_counter()
    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(resolve_model())),
        running_mode=vision.RunningMode.VIDEO, num_poses=1)
    n = 0
    with vision.PoseLandmarker.create_from_options(options) as landmarker, av.open(str(clip)) as c:
        stream = c.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in c.decode(stream):
            image = frame.to_ndarray(format="rgb24")
            landmarker.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=image),
                                        round(frame.time * 1000))
            n += 1
    return n, time.perf_counter() - t0


def run_full(clip: Path, preset: str | None = None, exercise: str = "plank") -> tuple[int, float]:
    from formcheck import api

    default = api.VIDEO_PRESET
    api.VIDEO_PRESET = preset or default
    try:
        return _run_full(clip, exercise)
    finally:
        api.VIDEO_PRESET = default


def _run_full(clip: Path, exercise: str) -> tuple[int, float]:
    from formcheck.api import analyze

    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        report, paths = analyze(clip, exercise, out, write_video=True)
        elapsed = time.perf_counter() - t0
        assert paths.video is not None and paths.video.stat().st_size > 0
    return report.frames_total, elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--profile", action="store_true", help="cProfile one full run (main thread)")
    ap.add_argument("--write", action="store_true", help="save the output to docs/benchmarks/")
    ap.add_argument("--note", default="", help="a line to add under the table")
    args = ap.parse_args()

    clip = build_clip(args.frames)
    out = Output("throughput", "Throughput: bare pose loop vs full analyze")
    out(f"Clip: {args.frames} frames, 1280x720, 30 fps (shared 720p mp4 clips looped). "
        f"Best of {args.repeats} alternating runs.")
    out(f"Machine: {machine()}")
    out()

    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        run_full(clip)
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
        return

    from formcheck import api

    runs = {"bare": [], "full": [], "veryfast": []}
    for _ in range(args.repeats):
        for key in runs:
            if key == "bare":
                n, wall, cpu = timed(run_bare, clip)
            else:
                n, wall, cpu = timed(run_full, clip, None if key == "full" else key)
            runs[key].append((n / wall, cpu / n * 1000))
        print("  " + ", ".join(f"{k} {v[-1][0]:.1f} fps" for k, v in runs.items()), flush=True)
    labels = {
        "bare": "bare: PyAV decode + detect_for_video",
        "full": f"full: formcheck.api.analyze, annotated video x264 {api.VIDEO_PRESET} (default)",
        "veryfast": "full, annotated video x264 veryfast (the old preset)",
    }
    best = {k: max(v) for k, v in runs.items()}
    rows = [[labels[k], n, best[k][0], ", ".join(f"{x[0]:.1f}" for x in v), min(x[1] for x in v),
             best[k][0] / best["bare"][0]] for k, v in runs.items()]
    out(table(["pipeline", "frames", "fps (best)", "fps (all runs)", "CPU ms/frame (best)",
               "vs bare"], rows))
    out()
    pair = [f / b for (f, _), (b, _) in zip(runs["full"], runs["bare"])]
    out(f"**full / bare = {best['full'][0] / best['bare'][0]:.2f}** on the best runs (target >= 0.90); "
        f"run by run {', '.join(f'{r:.2f}' for r in pair)}. CPU = process CPU time, all threads.")
    if args.note:
        out()
        out(args.note)
    if args.write:
        out.write()


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
