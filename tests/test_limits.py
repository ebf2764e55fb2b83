"""formcheck.limits: each check's limit from defaults, the settings file, a patient's limits and
caps, and overrides, in that order; the report records where each came from."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from formcheck.cli import app
from formcheck.config import Settings
from formcheck.errors import FormcheckError
from formcheck.exercises import all_exercises, get_exercise
from formcheck.limits import PatientLimits, effective_limits
from tests.exercise_poses import deadlift_landmarks

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
    with pytest.raises(ValueError, match="cat_cow has no check.*no_such_check"):
        if where == "config":  # refused as the settings are made
            Settings(limits={"cat_cow": {"no_such_check": 1.0}})
        else:
            effective_limits(CAT_COW, overrides={"no_such_check": 1.0})


def test_the_report_says_where_each_limit_came_from(tmp_path):
    from formcheck import api

    csv = deadlift_landmarks(tmp_path / "lm.csv")
    settings = Settings(limits={"deadlift": {"lean_back": 8.0}})
    report, _ = api.analyze_landmarks(csv, "deadlift", tmp_path / "out", width=1280, height=720, fps=30,
                                      settings=settings, limits={"knees_soft": 175.0},
                                      patient=PatientLimits({"deadlift": {"hands_close": 0.5}}),
                                      clearance_confirmed=True)
    sources = report.processing.limit_sources
    assert (sources["lean_back"], sources["knees_soft"], sources["hands_close"]) == ("config", "override", "patient")
    assert report.processing.limits["knees_soft"] == 175.0
    assert {c.id: c.limit for c in report.checks}["lean_back"] == 8.0


# -- no value switches a check off ------------------------------------------------------------
#: NaN and infinities compare false with everything, so a check given one never flags; 1e309 is
#: read as infinity; 1000 degrees is past any angle, and no angle is "above 180".
UNUSABLE = ["nan", "inf", "-inf", "1e309", "1000", "180"]
REFUSAL = "lean_back=.*: a limit must be a finite number between -180 and 180 deg"


def test_every_check_has_a_range_that_holds_its_default():
    from formcheck.exercises.spec import LIMIT_RANGES

    for ex in all_exercises().values():
        for c in ex.checks:
            low, high = c.allowed_limits
            assert low < c.limit < high, (ex.id, c.id)
            assert c.limit_range is not None or c.unit in LIMIT_RANGES


@pytest.mark.parametrize("value", UNUSABLE)
def test_an_unusable_limit_on_the_command_line_is_refused_before_anything_is_written(tmp_path, value):
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["analyze", "--landmarks", str(deadlift_landmarks(tmp_path / "lm.csv")),
                                      "--width", "1280", "--height", "720", "--fps", "30", "-e", "deadlift",
                                      "--cleared", "--limit", f"lean_back={value}", "-o", str(out), "--quiet"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    lines = [ln for ln in result.stderr.splitlines() if ln]
    assert len(lines) == 1 and re.fullmatch(f"formcheck: error: --limit {REFUSAL}", lines[0]), lines
    assert not out.exists()


@pytest.mark.parametrize("value", UNUSABLE)
def test_an_unusable_limit_in_the_config_file_is_refused(tmp_path, value):
    cfg = tmp_path / "my.toml"
    cfg.write_text(f"[limits.deadlift]\nlean_back = {value}\n")
    with pytest.raises(FormcheckError, match=f"config {re.escape(str(cfg))}: limits.deadlift.{REFUSAL}"):
        Settings.load(cfg)


@pytest.mark.parametrize("value", UNUSABLE)
def test_an_unusable_patient_limit_or_cap_is_refused_by_the_analysis(value):
    deadlift = get_exercise("deadlift")
    with pytest.raises(ValueError, match=f"the patient's own limit {REFUSAL}"):
        effective_limits(deadlift, patient=PatientLimits({"deadlift": {"lean_back": float(value)}}))
    with pytest.raises(ValueError, match="the patient's spinal cap spine_flexion=.*: a limit must be"):
        effective_limits(CAT_COW, patient=PatientLimits(caps={"flexion": float(value)}))
