"""Detection: share of frames with a person found, per shared clip of the horizontal exercises,
with the rotated fallback (``PoseOptions.rotate_fallback``) off and on, at the default
confidences (0.5) and lower ones.

BlazePose's person detector was trained mostly on upright people; lying and kneeling bodies
(plank, bird dog, bridge...) are where it loses track. The fallback retries a lost frame turned
a quarter turn each way with an IMAGE-mode landmarker.

    python benchmarks/detection.py [--clips SUBSTRING] [--write]
"""

from __future__ import annotations

import argparse
import time

from _common import MEDIA, Output, machine, manifest, table

from formcheck.capture import VideoFile
from formcheck.pose import PoseEstimator, PoseOptions

HORIZONTAL = ("plank", "bird_dog", "clamshell", "bridge", "cat_cow", "dead_bug", "donkey_kick",
              "copenhagen_plank", "hip_thrust")
CONFIGS: list[tuple[str, PoseOptions]] = [
    ("off, 0.5", PoseOptions(rotate_fallback=False)),
    ("on, 0.5 (default)", PoseOptions(rotate_fallback=True)),
    ("off, 0.3", PoseOptions(rotate_fallback=False, min_detection_confidence=0.3,
                             min_presence_confidence=0.3, min_tracking_confidence=0.3)),
    ("on, 0.3", PoseOptions(rotate_fallback=True, min_detection_confidence=0.3,
                            min_presence_confidence=0.3, min_tracking_confidence=0.3)),
]


def detect(path, options: PoseOptions) -> tuple[int, int, int, float]:
    """(frames, frames with a person, frames rescued by the fallback, seconds)."""
    t0 = time.perf_counter()
    found = total = 0
    with VideoFile(path) as video, PoseEstimator(options) as est:
        for frame in video.frames():
            total += 1
            found += est.process(frame.image, frame.t_ms).has_person
        hits = est.fallback_hits
    return total, found, hits, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", default="", help="only clips whose name contains this")
    ap.add_argument("--write", action="store_true", help="save the output to docs/benchmarks/")
    args = ap.parse_args()

    entries = [e for e in manifest() if e["exercise"] in HORIZONTAL and args.clips in e["file"]]
    out = Output("detection", "Detection rate: rotated fallback and confidences")
    out(f"{len(entries)} shared clips of the horizontal exercises ({', '.join(HORIZONTAL)}). "
        "Columns: rotate_fallback off/on, min detection/presence/tracking confidence. "
        "Cells: share of frames with a person found (frames rescued by the fallback).")
    out(f"Machine: {machine()}")
    out()
    header = ["clip", "view", "frames", *(name for name, _ in CONFIGS)]
    rows, totals, seconds = [], {name: [0, 0, 0] for name, _ in CONFIGS}, {name: 0.0 for name, _ in CONFIGS}
    for e in entries:
        row: list[object] = [e["file"], e["view"], None]
        for name, options in CONFIGS:
            n, found, hits, secs = detect(MEDIA / e["file"], options)
            row[2] = n
            row.append(f"{found / n:.1%}" + (f" (+{hits})" if hits else ""))
            t = totals[name]
            t[0] += n
            t[1] += found
            t[2] += hits
            seconds[name] += secs
        rows.append(row)
        print("  " + " | ".join(str(c) for c in row), flush=True)
    n_all = totals[CONFIGS[0][0]][0]
    rows.append(["**all frames**", "", n_all, *(f"**{t[1] / t[0]:.1%}**" + (f" (+{t[2]})" if t[2] else "")
                                                for t in totals.values())])
    rows.append(["mean of clip rates", "", "", *(
        f"{sum(float(r[3 + i].split('%')[0]) for r in rows[:-1]) / len(entries):.1f}%"
        for i in range(len(CONFIGS)))])
    rows.append(["time, s (pose only)", "", "", *(f"{s:.0f}" for s in seconds.values())])
    out(table(header, rows))
    if args.write:
        out.write()


if __name__ == "__main__":
    main()
