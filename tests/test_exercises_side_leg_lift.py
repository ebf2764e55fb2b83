"""Side-lying leg lift on posed skeletons: reps per side, leg drifting forward, rocking."""

from tests.exercise_poses import flagged_reps, frames, reps_timeline, run, side_lying_front

REST = {"lift": 5.0, "forward": 0.0, "roll": 0.0}
TOP = {"lift": 40.0, "forward": 0.0, "roll": 0.0}


def test_counts_four_lifts_of_the_top_leg_through_noise_and_a_dropout():
    tl = reps_timeline(REST, TOP, 4)
    an = run("side_leg_lift", frames(side_lying_front, tl, noise_px=1.5, drop_s=(3.2,)))
    assert len(an.reps) == 4
    assert {r.boundary.side for r in an.reps} == {"left"}
    assert all(not r.flags for r in an.reps)
    assert 30 < an.reps[0].boundary.range < 40


def test_leg_swinging_forward_flags_that_rep_only():
    tl = reps_timeline(REST, TOP, 3, fault=(2, {"forward": 40.0}))
    an = run("side_leg_lift", frames(side_lying_front, tl))
    assert len(an.reps) == 3
    assert flagged_reps(an, "leg_forward") == [2]


def test_rolling_back_flags_that_rep_only():
    tl = reps_timeline(REST, TOP, 3, fault=(3, {"roll": 60.0}))
    an = run("side_leg_lift", frames(side_lying_front, tl))
    assert flagged_reps(an, "pelvis_rocking") == [3]
