"""Anti-rotation (Pallof press) on posed skeletons: presses counted on the world elbow angle,
shoulders dipping and hips turning flagged against each rep's own start."""

from tests.exercise_poses import flagged_reps, frames, reps_timeline, run, standing_front

IN = {"elbow": 90.0, "shoulder_tilt": 0.0, "hip_yaw": 0.0}
OUT = {"elbow": 165.0, "shoulder_tilt": 0.0, "hip_yaw": 0.0}


def _front(t_ms, **p):
    return standing_front(t_ms, gap=1.6, knee=165.0, **p)


def test_counts_presses_through_noise_and_a_dropout():
    an = run("anti_rotation", frames(_front, reps_timeline(IN, OUT, 4), noise_px=1.0, drop_s=(2.5,)))
    assert len(an.reps) == 4
    assert all(not r.flags for r in an.reps)


def test_shoulder_dip_flags_that_rep():
    an = run("anti_rotation", frames(_front, reps_timeline(IN, OUT, 3, fault=(2, {"shoulder_tilt": 15.0}))))
    assert flagged_reps(an, "shoulder_dip") == [2]


def test_hips_turning_flag_that_rep():
    an = run("anti_rotation", frames(_front, reps_timeline(IN, OUT, 3, fault=(1, {"hip_yaw": 30.0}))))
    assert flagged_reps(an, "hip_rotation") == [1]
