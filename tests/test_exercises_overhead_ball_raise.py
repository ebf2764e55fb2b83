"""Kneeling overhead ball raise on posed skeletons (upright trunk; the kneeling legs do not
matter to the checks): reps with a top hold, leaning back, head forward (judged from no view), too short a hold."""

from tests.exercise_poses import flagged_reps, frames, reps_timeline, run, standing_side

LOW = {"arm_flex": 30.0, "lean": 0.0, "ear_dx": 0.0, "neck": 1.0}
HIGH = {"arm_flex": 170.0, "lean": 0.0, "ear_dx": 0.0, "neck": 1.0}


def test_counts_raises_with_a_hold():
    an = run("overhead_ball_raise", frames(standing_side, reps_timeline(LOW, HIGH, 3, hold_s=1.5), noise_px=1.0, drop_s=(3.0,)))
    assert len(an.reps) == 3
    assert all(not r.flags for r in an.reps)


def test_no_hold_at_the_top_is_rushing():
    an = run("overhead_ball_raise", frames(standing_side, reps_timeline(LOW, HIGH, 2, hold_s=0.0)))
    assert all("tempo" in r.flags for r in an.reps)


def test_leaning_back_flags_its_rep():
    tl = reps_timeline(LOW, HIGH, 3, hold_s=1.5, fault=(2, {"lean": -15.0}))
    an = run("overhead_ball_raise", frames(standing_side, tl))
    assert flagged_reps(an, "lean_back") == [2]


def test_head_forward_is_judged_from_no_view():
    """Renders of both body models did not separate a 6 cm head poke from correct reps (module
    docstring), so even a large poke reads unknown, never a flag."""
    tl = reps_timeline(LOW, HIGH, 3, hold_s=1.5, fault=(3, {"ear_dx": 60.0}))
    an = run("overhead_ball_raise", frames(standing_side, tl))
    assert len(an.reps) == 3
    assert flagged_reps(an, "head_forward") == []
    assert all(r.checks["head_forward"].unknown_fraction == 1.0 for r in an.reps)
