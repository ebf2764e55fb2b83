"""Squat to row on posed skeletons: a rep is a squat then a row; each stage's checks run only
in that stage."""

from tests.exercise_poses import flagged_reps, frames, run, standing_side

STAND = {"knee_flex": 5.0, "hip_flex": 0.0, "arm_flex": 80.0, "elbow_flex": 10.0, "lean": 0.0}


def _reps(n: int, row: bool = True, row_lean_back: dict | None = None, squat_lean: dict | None = None):
    tl = [(0.0, dict(STAND)), (1.0, dict(STAND))]
    t = 1.0
    for i in range(1, n + 1):
        # knees 65 degrees bent, trunk 40 forward: the knees end 0.18 torso lengths past the
        # toes (a 100-degree squat on this skeleton puts them 0.37 past, a fault)
        squat = dict(STAND, knee_flex=65.0, hip_flex=72.5 + (squat_lean or {}).get(i, 0.0))
        for dt, p in ((1.0, squat), (0.5, squat), (1.0, STAND), (0.5, STAND)):
            t += dt
            tl.append((t, dict(p)))
        if row:
            pulled = dict(STAND, arm_flex=10.0, elbow_flex=110.0, lean=-(row_lean_back or {}).get(i, 0.0))
            for dt, p in ((0.8, pulled), (0.5, pulled), (0.8, STAND), (0.8, STAND)):
                t += dt
                tl.append((t, dict(p)))
    return tl


def test_counts_squat_then_row_as_one_rep():
    an = run("squat_to_row", frames(standing_side, _reps(3), noise_px=1.0, drop_s=(2.0,)))
    assert len(an.reps) == 3
    assert all(r.boundary.stages == ("squat", "row") for r in an.reps)
    assert all(not r.flags for r in an.reps)


def test_squats_without_rows_do_not_count():
    an = run("squat_to_row", frames(standing_side, _reps(3, row=False)))
    assert an.reps == []


def test_leaning_back_in_the_row_flags_the_row_check_only():
    an = run("squat_to_row", frames(standing_side, _reps(3, row_lean_back={2: 20.0})))
    assert flagged_reps(an, "row_lean_back") == [2]
    assert flagged_reps(an, "squat_lean") == []


def test_too_much_squat_lean_flags_the_squat_check():
    an = run("squat_to_row", frames(standing_side, _reps(2, squat_lean={1: 35.0})))
    assert flagged_reps(an, "squat_lean") == [1]
