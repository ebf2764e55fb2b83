"""Band-assisted deadlift on posed skeletons: hinge reps, a straight-legged rep, leaning back;
the clearance question is enforced by the library API and recorded in the report."""

import pytest

from formcheck import api
from formcheck.errors import ClearanceRequired
from formcheck.exercises import get_exercise
from formcheck.landmark_csv import LandmarkCsvWriter
from tests.exercise_poses import flagged_reps, frames, reps_timeline, run, standing_side

# at the bottom the arms angle back so the hands stay near the shins, as the hips would go back
REST = {"knee_flex": 8.0, "hip_flex": 0.0, "arm_flex": 4.0}
BOTTOM = {"knee_flex": 25.0, "hip_flex": 85.0, "arm_flex": -100.0}


def test_counts_hinges_through_noise_and_a_dropout():
    an = run("deadlift", frames(standing_side, reps_timeline(REST, BOTTOM, 4), noise_px=1.0, drop_s=(2.5,)))
    assert len(an.reps) == 4
    assert all(not r.flags for r in an.reps)


def test_straight_legs_at_the_bottom_flag_that_rep():
    tl = reps_timeline(REST, BOTTOM, 3, fault=(2, {"knee_flex": 0.0}))
    an = run("deadlift", frames(standing_side, tl))
    assert flagged_reps(an, "knees_soft") == [2]


def test_clearance_is_declared():
    assert get_exercise("deadlift").clearance


def test_library_refuses_without_clearance_and_records_it(tmp_path):
    csv = tmp_path / "lm.csv"
    with LandmarkCsvWriter(csv) as w:
        for f in frames(standing_side, reps_timeline(REST, BOTTOM, 2), noise_px=0):
            w.write(f)
    with pytest.raises(ClearanceRequired):
        api.analyze_landmarks(csv, "deadlift", tmp_path / "out", width=1280, height=720, fps=30)
    report, _ = api.analyze_landmarks(csv, "deadlift", tmp_path / "out", width=1280, height=720,
                                      fps=30, clearance_confirmed=True)
    assert report.clearance is not None and report.clearance.answer == "yes"
    assert report.rep_count == 2


def test_live_coach_refuses_without_clearance():
    from formcheck.coach import LiveCoach

    with pytest.raises(ClearanceRequired):
        LiveCoach("deadlift")
