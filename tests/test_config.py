"""Settings: the example file documents every key, loads, and bad files give clear errors."""

from __future__ import annotations

import re

import pytest

from formcheck.config import PoseSettings, Settings, SmoothingSettings
from formcheck.errors import FormcheckError
from tests.conftest import REPO

EXAMPLE = REPO / "formcheck.example.toml"


def test_example_config_loads_and_equals_the_defaults():
    loaded = Settings.load(EXAMPLE)
    assert loaded.model_copy(update={"limits": {}}) == Settings()
    assert all(v == {} for v in loaded.limits.values())  # its limits are commented-out examples


@pytest.mark.parametrize("model", [Settings, PoseSettings, SmoothingSettings])
def test_every_setting_is_documented_in_the_example(model):
    text = EXAMPLE.read_text()
    for name in model.model_fields:
        if name in ("pose", "smoothing"):
            assert f"[{name}]" in text
        else:
            assert re.search(rf"^#? ?{name}\b|^\[{name}\.", text, re.M), f"{name} is not in {EXAMPLE.name}"


def test_bad_config_names_the_key(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[pose]\nmin_detection_confidence = 3\n")
    with pytest.raises(FormcheckError, match="pose.min_detection_confidence"):
        Settings.load(bad)
    bad.write_text("not toml [")
    with pytest.raises(FormcheckError, match="not valid TOML"):
        Settings.load(bad)
    with pytest.raises(FormcheckError, match="cannot read"):
        Settings.load(tmp_path / "missing.toml")


def test_limits_from_config_reach_the_analyzer(tmp_path):
    from formcheck.api import make_analyzer
    from formcheck.exercises import get_exercise
    from formcheck.limits import effective_limits

    cfg = tmp_path / "c.toml"
    cfg.write_text("[limits.plank]\nhip_sag = 7.5\n")
    settings = Settings.load(cfg)
    chosen = effective_limits(get_exercise("plank"), settings, overrides={"hip_pike": 30.0})
    analyzer = make_analyzer(get_exercise("plank"), settings, chosen)
    assert analyzer.limits["hip_sag"] == 7.5 and analyzer.limits["hip_pike"] == 30.0


def test_pose_defaults_are_the_pose_stage_defaults():
    from dataclasses import fields

    from formcheck.pose import PoseOptions

    defaults = {f.name: f.default for f in fields(PoseOptions)}
    for name, value in PoseSettings().model_dump().items():
        assert defaults[name] == value, name


@pytest.mark.parametrize(("section", "message"), [
    ("[limits.not_an_exercise]\nhip_sag = 5", r"limits.not_an_exercise: no such exercise; known exercises: anti_rotation, .*plank"),
    ("[limits.birddog]\nspine_neutral = 5", r"limits.birddog: write the exercise's id, \[limits.bird_dog\]"),
    ("[limits.plank]\nhip_sagg = 5", r"limits.plank.hip_sagg: plank has no check hip_sagg; its checks: hip_sag, "),
])
def test_a_misspelt_exercise_or_check_in_the_limits_is_refused(tmp_path, section, message):
    """A therapist's limits under a name formcheck does not know would be dropped without a word."""
    cfg = tmp_path / "my.toml"
    cfg.write_text(section + "\n")
    with pytest.raises(FormcheckError, match=f"^config {re.escape(str(cfg))}: {message}"):
        Settings.load(cfg)
