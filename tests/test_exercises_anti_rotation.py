"""Anti-rotation (Pallof press) on posed skeletons: presses counted on the world elbow angle. A
shoulder dipping and the hips turning are measured the right way round against each rep's own
start, but judged from no view (on renders neither could be told apart from correct form from
any camera: see the module docstring), so they read unknown and never flag."""

import numpy as np

from formcheck.body import Body
from formcheck.exercises._measures import hip_yaw_world, shoulder_tilt
from tests.exercise_poses import flagged_reps, frames, reps_timeline, run, standing_front

IN = {"elbow": 90.0, "shoulder_tilt": 0.0, "hip_yaw": 0.0}
OUT = {"elbow": 165.0, "shoulder_tilt": 0.0, "hip_yaw": 0.0}


def _front(t_ms, **p):
    return standing_front(t_ms, gap=1.6, knee=165.0, **p)


def test_counts_presses_through_noise_and_a_dropout():
    an = run("anti_rotation", frames(_front, reps_timeline(IN, OUT, 4), noise_px=1.0, drop_s=(2.5,)))
    assert len(an.reps) == 4
    assert all(not r.flags for r in an.reps)


def _change_per_rep(metric, tl, an) -> list[float]:
    """Per counted rep: the largest change of ``metric`` from the rep's first frame."""
    fs = list(frames(_front, tl))
    out = []
    for r in an.reps:
        vals = np.array([metric(Body(f)) for f in fs if r.boundary.start_ms <= f.t_ms <= r.boundary.end_ms])
        out.append(float(np.nanmax(np.abs(vals - vals[0]))))
    return out


def test_a_shoulder_dip_is_measured_but_not_judged():
    tl = reps_timeline(IN, OUT, 3, fault=(2, {"shoulder_tilt": 15.0}))
    an = run("anti_rotation", frames(_front, tl))
    assert len(an.reps) == 3
    assert flagged_reps(an, "shoulder_dip") == []
    assert all(r.checks["shoulder_dip"].unknown_fraction == 1.0 for r in an.reps)
    first, dipped, last = _change_per_rep(shoulder_tilt, tl, an)
    assert dipped > 10 and first < 3 and last < 3


def test_hips_turning_are_measured_but_not_judged():
    tl = reps_timeline(IN, OUT, 3, fault=(1, {"hip_yaw": 30.0}))
    an = run("anti_rotation", frames(_front, tl))
    assert flagged_reps(an, "hip_rotation") == []
    assert all(r.checks["hip_rotation"].unknown_fraction == 1.0 for r in an.reps)
    turned, *rest = _change_per_rep(hip_yaw_world, tl, an)
    assert turned > 20 and max(rest) < 5
