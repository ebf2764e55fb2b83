"""Ball T-rotation on posed skeletons (front view, prone): reps per side on the raised arm,
a bent rotating arm flagged at the top."""

from collections import Counter

import numpy as np

from tests.exercise_poses import _dir, flagged_reps, frames, reps_timeline, run
from tests.factories import pose


def prone(t_ms: int, arm: float = -80.0, side: float = 0.0, bend: float = 0.0):
    """Prone over a ball, seen from the head end: the rotating arm (left when ``side`` < 0.5,
    else right) raised ``arm`` degrees above horizontal, elbow bent ``bend`` degrees; the other
    hand on the floor."""
    pts = {}
    rot = "left" if side < 0.5 else "right"
    for s, sign in (("left", 1.0), ("right", -1.0)):
        sh = np.array([640.0 + sign * 120, 300.0])
        hip = np.array([640.0 + sign * 90, 420.0])
        if s == rot:
            d = _dir(arm, sign)
            elbow = sh + 140 * d
            wrist = elbow + 130 * _dir(arm + sign * bend, sign)
        else:
            elbow, wrist = sh + np.array([0.0, 140.0]), sh + np.array([0.0, 270.0])
        for name, p in (("shoulder", sh), ("hip", hip), ("elbow", elbow), ("wrist", wrist),
                        ("knee", hip + np.array([0.0, 200.0])), ("ankle", hip + np.array([0.0, 390.0])),
                        ("ear", sh + np.array([-sign * 80, -40.0]))):
            pts[f"{s}_{name}"] = tuple(p)
    pts["nose"] = (640.0, 280.0)
    return pose(pts, t_ms=t_ms)


def test_counts_rotations_per_side():
    tl = reps_timeline({"arm": -80.0, "side": 0.0, "bend": 0.0}, {"arm": 70.0, "side": 0.0, "bend": 0.0}, 2)
    tl2 = [(t + tl[-1][0], {**p, "side": 1.0}) for t, p in reps_timeline(
        {"arm": -80.0, "side": 1.0, "bend": 0.0}, {"arm": 70.0, "side": 1.0, "bend": 0.0}, 3)]
    an = run("ball_t_rotation", frames(prone, tl + tl2[1:], noise_px=1.0, drop_s=(2.0,)))
    assert Counter(r.side for r in an.reps) == {"left": 2, "right": 3}
    assert [r.boundary.side for r in an.reps] == ["left", "left", "right", "right", "right"]
