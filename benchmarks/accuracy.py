"""Check accuracy on ground-truth synthetic landmark sequences (no camera, no MediaPipe).

For each check of the three headline exercises, a fault of known size (0.5x, 1x, 1.5x and 2x
the check's default limit, in the check's own units) is planted in one rep (or the middle of a
plank hold) of a set built by ``tests/skeletons.py``, with 1.5 px landmark noise, random
facing and a dropped frame. Reported per check: the share of trials in which the faulted rep
was flagged for that check (at 0.5x this is a false alarm, at 1.5x and 2x it is recall), and the
share of clean reps in the same sets that any check flagged (false flags).

This measures the engine (metrics, hysteresis, durations, rep logic) against exact truth. How
MediaPipe's landmark error adds to it is measured on renders (``accuracy_synthetic.py``) and
real clips (``accuracy_real.py``).

    python benchmarks/accuracy.py [--trials N] [--write]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

import numpy as np

from _common import REPO, Output, machine, table

sys.path.insert(0, str(REPO))
from formcheck.engine import Analyzer  # noqa: E402
from formcheck.exercises import get_exercise  # noqa: E402
from formcheck.frames import PoseFrame  # noqa: E402
from tests import skeletons  # noqa: E402
from tests.factories import dropout, jitter  # noqa: E402

FPS = 30
MULTIPLES = (0.5, 1.0, 1.5, 2.0)
#: Back outline of the synthetic all-fours body at rest, degrees (real outlines read a little
#: hollow there).
BIRD_DOG_REST_BEND = -15.0


def _ms(i: int) -> int:
    return int(round(i * 1000 / FPS))


def plank_set(rng, fault: str | None, size: float) -> tuple[list[PoseFrame], list[bool]]:
    facing = int(rng.choice([-1, 1]))
    frames = []
    for i in range(6 * FPS):
        t = i / FPS
        on = fault is not None and 2.0 <= t < 4.0
        kw = {}
        if on and fault == "hip_sag":
            kw["sag_deg"] = size
        elif on and fault == "hip_pike":
            kw["sag_deg"] = -size
        elif on and fault == "elbows_under_shoulders":
            kw["elbow_forward_deg"] = size
        elif on and fault == "head_in_line":
            kw = {}
        f = jitter(skeletons.plank(_ms(i), facing=facing, **kw), rng, 1.5)
        frames.append(dropout(f) if i == 90 else f)
    return frames, [fault is not None]


def bird_dog_set(rng, fault: str | None, size: float, reps: int = 4) -> tuple[list[PoseFrame], list[bool]]:
    facing = int(rng.choice([-1, 1]))
    faulted = int(rng.integers(0, reps)) if fault else -1
    frames, i = [], 0
    for rep in range(reps):
        arm_side = "left" if rep % 2 == 0 else "right"
        arm_top, back_change, leg_side = 0.0, 0.0, None
        if rep == faulted:
            if fault == "spine_neutral":
                back_change = size  # the mask's back outline rounds this much at full reach
            elif fault == "limb_above_torso":
                arm_top = size
            elif fault == "opposite_limbs":
                leg_side = arm_side
        for k in range(int(3.6 * FPS)):
            t = k / FPS
            x = min(t, 1.0) if t < 2.0 else max(0.0, 3.0 - t)
            f = skeletons.bird_dog(_ms(i), -90 + x * (90 + arm_top), -90 + x * 90, arm_side,
                                   leg_side, facing, shin_deg=0.0,
                                   back_bend_deg=BIRD_DOG_REST_BEND + x * back_change)
            frames.append(dropout(f) if k == 50 and rep == 0 else jitter(f, rng, 1.5))
            i += 1
    return frames, [r == faulted for r in range(reps)]


def _feet_gap_for_ratio(ratio: float) -> float:
    """Top-ankle lift (m) that gives the clamshell feet-gap ratio ``ratio`` at full opening."""
    from formcheck.body import Body
    from formcheck.exercises.clamshell import feet_apart

    lo, hi = 0.0, 1.0
    for _ in range(40):
        mid = (lo + hi) / 2
        if feet_apart(Body(skeletons.clamshell(0, 45, feet_apart_m=mid))) < ratio:
            lo = mid
        else:
            hi = mid
    return lo


def clamshell_set(rng, fault: str | None, size: float, reps: int = 4) -> tuple[list[PoseFrame], list[bool]]:
    faulted = int(rng.integers(0, reps)) if fault else -1
    feet = _feet_gap_for_ratio(size) if fault == "feet_together" else 0.0
    frames, i = [], 0
    for rep in range(reps):
        for k in range(int(3.5 * FPS)):
            t = k / FPS
            x = min(t / 1.2, 1.0) if t < 2.2 else max(0.0, (3.2 - t) / 1.0)
            on = rep == faulted
            f = skeletons.clamshell(_ms(i), 45 * x,
                                    rock_deg=size * x if on and fault == "pelvis_rocking" else 0.0,
                                    feet_apart_m=feet * x if on else 0.0)
            frames.append(jitter(f, rng, 1.5))
            i += 1
    return frames, [r == faulted for r in range(reps)]


SETS: dict[str, tuple[Callable, tuple[str, ...]]] = {
    "plank": (plank_set, ("hip_sag", "hip_pike", "elbows_under_shoulders")),
    "bird_dog": (bird_dog_set, ("spine_neutral", "limb_above_torso")),
    "clamshell": (clamshell_set, ("pelvis_rocking", "feet_together")),
}


def run(exercise: str, frames: list[PoseFrame]) -> list[tuple[str, ...]]:
    analyzer = Analyzer(get_exercise(exercise))
    for f in frames:
        analyzer.update(f)
    analyzer.finish()
    items = analyzer.reps or analyzer.holds
    return [i.flags for i in items]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--write", action="store_true", help="save the output under docs/benchmarks/")
    args = parser.parse_args()
    out = Output("accuracy", "Check accuracy on synthetic landmark sequences")
    out(f"Machine: {machine()}. {args.trials} trials per cell, 1.5 px noise, 30 fps.")
    out()
    rows = []
    for exercise, (build, checks) in SETS.items():
        ex = get_exercise(exercise)
        for cid in checks:
            limit = ex.check(cid).limit
            rates, clean_flags, clean_total, count_errors = [], 0, 0, 0
            for m in MULTIPLES:
                hits = 0
                for trial in range(args.trials):
                    rng = np.random.default_rng(1000 * trial + int(10 * m))
                    frames, faulted = build(rng, cid, m * limit)
                    flags = run(exercise, frames)
                    if len(flags) != len(faulted):
                        count_errors += 1
                        continue
                    hits += any(cid in f for f, bad in zip(flags, faulted) if bad)
                    for f, bad in zip(flags, faulted):
                        if not bad:
                            clean_total += 1
                            clean_flags += bool(f)
                rates.append(hits / args.trials)
            rows.append([exercise, cid, f"{limit:g} {ex.check(cid).unit}", *rates,
                         f"{clean_flags}/{clean_total}", count_errors])
    # Clean sets: no fault anywhere.
    header = ["exercise", "check", "limit", *(f"flagged at {m:g}x" for m in MULTIPLES),
              "clean reps flagged", "count errors"]
    out(table(header, rows))
    out()
    clean_rows = []
    for exercise, (build, _) in SETS.items():
        flagged = total = 0
        for trial in range(args.trials):
            frames, faulted = build(np.random.default_rng(trial), None, 0.0)
            flags = run(exercise, frames)
            total += len(flags)
            flagged += sum(bool(f) for f in flags)
        clean_rows.append([exercise, f"{flagged}/{total}"])
    out("Sets with no fault at all:")
    out()
    out(table(["exercise", "reps or holds flagged"], clean_rows))
    if args.write:
        out.write()


if __name__ == "__main__":
    main()
