"""formcheck.limits: each check's limit from defaults, the settings file, a patient's limits and
caps, and overrides, in that order; the report records where each came from."""

from __future__ import annotations

import pytest

from formcheck.config import Settings
from formcheck.exercises import get_exercise
from formcheck.limits import PatientLimits, effective_limits

CAT_COW = get_exercise("cat_cow")


def test_defaults_alone():
    chosen = effective_limits(CAT_COW)
    assert chosen.values == {c.id: c.limit for c in CAT_COW.checks}
    assert set(chosen.sources.values()) == {"default"}


def test_each_source_beats_the_one_before():
    settings = Settings(limits={"cat_cow": {"back_level": 15.0, "hands_under_shoulders": 18.0,
                                            "spine_flexion": 50.0}})
    patient = PatientLimits({"cat_cow": {"hands_under_shoulders": 16.0, "gone_check": 1.0}},
                            {"flexion": 40.0, "extension": 95.0})
    chosen = effective_limits(CAT_COW, settings, patient, overrides={"back_level": 12.0})
    assert chosen.sources == {"spine_flexion": "cap", "spine_extension": "default",
                              "hands_under_shoulders": "patient", "knees_under_hips": "default",
                              "back_level": "override"}
    assert chosen.values["spine_flexion"] == 40.0  # the cap is tighter than the config's 50
    assert chosen.values["spine_extension"] == 90.0  # a cap never loosens a limit
    assert chosen.values["hands_under_shoulders"] == 16.0 and chosen.values["back_level"] == 12.0


def test_a_cap_looser_than_the_config_leaves_it():
    settings = Settings(limits={"cat_cow": {"spine_flexion": 30.0}})
    chosen = effective_limits(CAT_COW, settings, PatientLimits(caps={"flexion": 40.0}))
    assert (chosen.values["spine_flexion"], chosen.sources["spine_flexion"]) == (30.0, "config")


@pytest.mark.parametrize("where", ["config", "override"])
def test_an_unknown_check_is_refused(where):
    settings = Settings(limits={"cat_cow": {"no_such_check": 1.0}}) if where == "config" else None
    overrides = {"no_such_check": 1.0} if where == "override" else None
    with pytest.raises(ValueError, match="cat_cow has no check.*no_such_check"):
        effective_limits(CAT_COW, settings, overrides=overrides)


def test_the_report_says_where_each_limit_came_from(tmp_path):
    from formcheck import api
    from formcheck.landmark_csv import LandmarkCsvWriter
    from tests.exercise_poses import frames, reps_timeline, standing_side

    csv = tmp_path / "lm.csv"
    with LandmarkCsvWriter(csv) as w:
        for f in frames(standing_side, reps_timeline({"knee_flex": 8.0, "hip_flex": 0.0},
                                                     {"knee_flex": 25.0, "hip_flex": 85.0}, 1)):
            w.write(f)
    settings = Settings(limits={"deadlift": {"lean_back": 8.0}})
    report, _ = api.analyze_landmarks(csv, "deadlift", tmp_path / "out", width=1280, height=720, fps=30,
                                      settings=settings, limits={"knees_soft": 175.0},
                                      patient=PatientLimits({"deadlift": {"hands_close": 0.5}}),
                                      clearance_confirmed=True)
    sources = report.processing.limit_sources
    assert (sources["lean_back"], sources["knees_soft"], sources["hands_close"]) == ("config", "override", "patient")
    assert report.processing.limits["knees_soft"] == 175.0
    assert {c.id: c.limit for c in report.checks}["lean_back"] == 8.0
