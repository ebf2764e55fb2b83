"""Glute bridge on posed skeletons: reps, over-arching at the top."""

from tests.exercise_poses import bridge, flagged_reps, frames, reps_timeline, run

REST = {"lift": 0.0, "arch": 0.0}
TOP = {"lift": 1.0, "arch": 0.0}


def test_counts_five_bridges_through_noise_and_a_dropout():
    tl = reps_timeline(REST, TOP, 5)
    an = run("bridge", frames(bridge, tl, noise_px=1.5, drop_s=(4.0, 4.1)))
    assert len(an.reps) == 5
    assert all(not r.flags for r in an.reps)
    assert all(r.boundary.side is None for r in an.reps)


def test_hips_pushed_above_the_line_flag_that_rep_only():
    tl = reps_timeline(REST, TOP, 3, fault=(2, {"arch": 25.0}))
    an = run("bridge", frames(bridge, tl))
    assert len(an.reps) == 3
    assert flagged_reps(an, "over_arch") == [2]


def test_facing_the_other_way_counts_the_same():
    tl = reps_timeline(REST, TOP, 3)
    an = run("bridge", frames(lambda t, **p: bridge(t, facing=1, **p), tl))
    assert len(an.reps) == 3
