"""Straight-arm pulldown on posed skeletons: reps, leaning back, bent arms, slow return."""

from tests.exercise_poses import flagged_reps, frames, reps_timeline, run, standing_side

UP = {"arm_flex": 95.0, "lean": 0.0, "elbow_flex": 5.0, "knee_flex": 12.0}
DOWN = {"arm_flex": 10.0, "lean": 0.0, "elbow_flex": 5.0, "knee_flex": 12.0}


def test_counts_pulldowns_through_noise_and_a_dropout():
    an = run("straight_arm_pulldown", frames(standing_side, reps_timeline(UP, DOWN, 4), noise_px=1.0, drop_s=(2.2,)))
    assert len(an.reps) == 4
    assert all(not r.flags for r in an.reps)


def test_leaning_back_flags_that_rep():
    an = run("straight_arm_pulldown", frames(standing_side, reps_timeline(UP, DOWN, 3, fault=(3, {"lean": -18.0}))))
    assert flagged_reps(an, "lean_back") == [3]


def test_bent_arms_flag():
    an = run("straight_arm_pulldown", frames(standing_side, reps_timeline(UP, DOWN, 2, fault=(1, {"elbow_flex": 100.0}))))
    assert flagged_reps(an, "arms_straight") == [1]


def test_a_fast_return_is_rushing():
    # min_lower_s is in measured seconds, from the top band to the rest line: a linear 0.1 s
    # return reads 0.1 (a rendered, smooth 0.3 s one reads 0.08-0.10; benchmarks/tempo.py)
    an = run("straight_arm_pulldown", frames(standing_side, reps_timeline(UP, DOWN, 2, down_s=0.1)))
    assert len(an.reps) == 2 and all("tempo" in r.flags for r in an.reps)
