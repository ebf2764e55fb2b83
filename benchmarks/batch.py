"""Batch speed-up: the same set of shared clips analysed by ``formcheck batch`` with 1 worker
(in this process) and with 2 worker processes (spawn, one landmarker each), fresh output
folders each time. Clips are copied to a temporary folder and deleted afterwards.

    python benchmarks/batch.py [--clips N] [--workers 2] [--video]

Prints wall time, clips per second and the speed-up. On a machine with few cores the gain is
bounded by MediaPipe already using more than one thread per landmarker, and by each worker's
start-up (importing MediaPipe and loading the model, about 1-3 s).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from _common import MEDIA, machine, table

from formcheck.batch import run_batch

#: Real-person mp4 clips of a few seconds, so decoding and pose dominate, not start-up.
CLIPS = ("plank__kaiakol-001.mp4", "plank__kaiakol-002.mp4", "plank__kaiakol-004.mp4",
         "bird_dog__lena.mp4", "bridge__be23.mp4", "donkey_kick__be23.mp4",
         "standing_hip_abduction__be23.mp4", "plank__tbf.mp4")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=int, default=6, help=f"how many clips (at most {len(CLIPS)})")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--video", action="store_true", help="also write annotated videos")
    args = parser.parse_args()
    chosen = [MEDIA / c for c in CLIPS[: args.clips] if (MEDIA / c).is_file()]
    if not chosen:
        raise SystemExit(f"no shared clips found in {MEDIA}")
    with tempfile.TemporaryDirectory(prefix="formcheck-batch-bench-") as tmp:
        src = Path(tmp) / "clips"
        src.mkdir()
        for c in chosen:
            shutil.copy(c, src / c.name)
        frames = 0
        rows = []
        base = None
        for workers in (1, args.workers):
            t0 = time.perf_counter()
            summary = run_batch(src, "plank", Path(tmp) / f"out-{workers}", workers=workers,
                                write_video=args.video)
            wall = time.perf_counter() - t0
            failed = summary.failed
            if failed:
                raise SystemExit(f"{len(failed)} clips failed: {failed[0].error}")
            base = base or wall
            rows.append((workers, f"{wall:.1f}", f"{len(chosen) / wall:.2f}", f"{base / wall:.2f}x"))
        for c in chosen:
            from formcheck.capture import VideoFile

            with VideoFile(c) as v:
                frames += v.info.frame_count
    print(f"{len(chosen)} clips, {frames} frames, annotated video {'on' if args.video else 'off'}; {machine()}")
    print(table(["workers", "wall (s)", "clips/s", "speed-up"], rows))


if __name__ == "__main__":
    main()
