"""How well MediaPipe sees the synthetic renders, and how a plank hip-bend measured on its
landmarks tracks the true bend.

For each (exercise, view, fault) case it renders a short clip with ``formcheck.render``, runs
the real PoseLandmarker (VIDEO mode) on it, and reports:

- detection rate: frames with a pose / all frames;
- landmark error: median over frames of the median pixel distance between MediaPipe's 12 body
  landmarks (shoulders, elbows, wrists, hips, knees, ankles) and the truth's projected joints,
  as % of the true projected torso length, and as % of the diagonal of the true landmarks'
  bounding box (the torso is foreshortened in views along the body, e.g. a plank filmed from
  the head end, where % of torso explodes); a whole-body left/right swap is forgiven and counted;
- for planks: ``geometry.bend_below_line`` on MediaPipe's shoulder/hip/ankle midpoints against
  the truth's ``hip_bend_deg``: slope and intercept of a least-squares line, and Pearson r.

Usage::

    FORMCHECK_MODEL_DIR=/work/shared/models python benchmarks/accuracy_synthetic.py [--quick]

Clips go to ``benchmarks/_cache/synthetic`` (git-ignored). Rendering runs at a few frames per
second on software OpenGL, so the full run takes several minutes.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import av
import numpy as np

from formcheck import geometry
from formcheck.landmarks import Landmark as L
from formcheck.landmarks import mirror
from formcheck.render import RenderSpec, render_clip

CACHE = Path(__file__).parent / "_cache" / "synthetic"
BODY = [L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_ELBOW, L.RIGHT_ELBOW, L.LEFT_WRIST, L.RIGHT_WRIST,
        L.LEFT_HIP, L.RIGHT_HIP, L.LEFT_KNEE, L.RIGHT_KNEE, L.LEFT_ANKLE, L.RIGHT_ANKLE]


def _mirror_index() -> list[int]:
    out = [int(mirror(lm)) for lm in L]
    out[L.MOUTH_LEFT], out[L.MOUTH_RIGHT] = L.MOUTH_RIGHT, L.MOUTH_LEFT
    return out


def detect(video: Path, model: Path) -> list[np.ndarray | None]:
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    opts = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(model)),
        running_mode=vision.RunningMode.VIDEO,
        num_poses=1,
    )
    out: list[np.ndarray | None] = []
    with vision.PoseLandmarker.create_from_options(opts) as landmarker, av.open(str(video)) as c:
        for f in c.decode(video=0):
            img = f.to_ndarray(format="rgb24")
            h, w = img.shape[:2]
            res = landmarker.detect_for_video(
                mp.Image(image_format=mp.ImageFormat.SRGB, data=img), int(round(f.time * 1000))
            )
            out.append(
                np.array([[p.x * w, p.y * h] for p in res.pose_landmarks[0]]) if res.pose_landmarks else None
            )
    return out


def _bend(xy: np.ndarray) -> float:
    s = geometry.midpoint(xy[L.LEFT_SHOULDER], xy[L.RIGHT_SHOULDER])
    h = geometry.midpoint(xy[L.LEFT_HIP], xy[L.RIGHT_HIP])
    a = geometry.midpoint(xy[L.LEFT_ANKLE], xy[L.RIGHT_ANKLE])
    return float(geometry.bend_below_line(s, h, a))


def evaluate(spec: RenderSpec, model: Path) -> dict:
    started = time.perf_counter()
    video, truth = render_clip(spec)
    render_s = time.perf_counter() - started
    detected = detect(video, model)
    swap_idx = _mirror_index()
    errors, errors_box, swaps, bends = [], [], 0, []
    for d, f in zip(detected, truth.frames):
        if d is None:
            continue
        t = np.array(f.landmarks_px)
        torso = np.linalg.norm(
            geometry.midpoint(t[L.LEFT_SHOULDER], t[L.RIGHT_SHOULDER]) - geometry.midpoint(t[L.LEFT_HIP], t[L.RIGHT_HIP])
        )
        e = [np.median(np.linalg.norm(x[BODY] - t[BODY], axis=1)) for x in (d, d[swap_idx])]
        swaps += int(e[1] < e[0])
        errors.append(min(e) / torso)
        errors_box.append(min(e) / np.linalg.norm(t.max(axis=0) - t.min(axis=0)))
        if "hip_bend_deg" in f.angles:
            bends.append((f.angles["hip_bend_deg"], _bend(d)))
    found = sum(d is not None for d in detected)
    return {
        "frames": len(detected),
        "render_fps": len(detected) / render_s,
        "detection": found / len(detected),
        "error_pct": 100 * float(np.median(errors)) if errors else float("nan"),
        "error_box_pct": 100 * float(np.median(errors_box)) if errors_box else float("nan"),
        "swapped": swaps / max(found, 1),
        "bends": bends,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer cases (about a minute or two)")
    args = parser.parse_args()
    model = Path(os.environ.get("FORMCHECK_MODEL_DIR", "models")) / "pose_landmarker_full.task"
    CACHE.mkdir(parents=True, exist_ok=True)

    plank_faults = [("hip_pike", 15), (None, 0), ("hip_sag", 12)] if args.quick else [
        ("hip_pike", 15), ("hip_pike", 8), (None, 0), ("hip_sag", 6), ("hip_sag", 12), ("hip_sag", 18)]
    views = ["side", "oblique"] if args.quick else ["side", "oblique", "head"]
    print(f"{'case':42s} {'frames':>6s} {'fps':>5s} {'detect':>7s} {'%torso':>6s} {'%box':>5s} {'swap':>5s}")
    for view in views:
        pairs = []
        for i, (fault, value) in enumerate(plank_faults):
            spec = RenderSpec(
                "plank", CACHE / f"plank_{view}_{i}.mp4", faults={fault: value} if fault else {},
                view=view, seconds=2.0, seed=100 + i, fps=10,
            )
            r = evaluate(spec, model)
            pairs += r["bends"]
            print(f"{'plank ' + view + ' ' + (f'{fault}={value}' if fault else 'correct'):42s} "
                  f"{r['frames']:6d} {r['render_fps']:5.1f} {r['detection']:7.2f} {r['error_pct']:6.1f} "
                  f"{r['error_box_pct']:5.1f} {r['swapped']:5.2f}")
        if len(pairs) > 2:
            true, meas = np.array(pairs).T
            slope, intercept = np.polyfit(true, meas, 1)
            r = np.corrcoef(true, meas)[0, 1]
            print(f"  plank hip bend ({view}): measured = {slope:.2f} * true + {intercept:.1f} deg, r = {r:.3f}, n = {len(true)}")
    others = [
        ("bird_dog", "side", {}), ("bird_dog", "side", {"spine_neutral": 20}), ("bird_dog", "head", {}),
        ("clamshell", "front", {}), ("clamshell", "front", {"pelvis_rocking": 15}), ("clamshell", "oblique", {}),
        ("bridge", "side", {}), ("bridge", "oblique", {"over_arch": 15}),
    ]
    if args.quick:
        others = others[::2]
    for i, (exercise, view, faults) in enumerate(others):
        spec = RenderSpec(exercise, CACHE / f"{exercise}_{view}_{i}.mp4", faults=faults, view=view,
                          seconds=4.0, reps=2, seed=200 + i, fps=10)
        r = evaluate(spec, model)
        label = f"{exercise} {view} " + (" ".join(f"{k}={v}" for k, v in faults.items()) or "correct")
        print(f"{label:42s} {r['frames']:6d} {r['render_fps']:5.1f} {r['detection']:7.2f} {r['error_pct']:6.1f} "
              f"{r['error_box_pct']:5.1f} {r['swapped']:5.2f}")


if __name__ == "__main__":
    main()
