"""The calibration envelope (``benchmarks/_envelope.py``): its scenes cross the body models and
the sides with the camera-height bins, so a body's bias is not read as a camera's."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from tests.conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))
from _envelope import HEIGHT_M, sample_scenes  # noqa: E402


@pytest.mark.parametrize("exercise, view", [("plank", "side"), ("bridge", "side"),
                                            ("clamshell", "front"), ("deadlift", "side")])
def test_every_body_model_is_filmed_from_every_height_bin_and_both_sides(exercise, view):
    scenes = sample_scenes(exercise, view, 8, body_models=("mannequin", "makehuman"))
    edges = np.linspace(*HEIGHT_M, 5)
    for model in ("mannequin", "makehuman"):
        mine = [s for s in scenes if s.body_model == model]
        # scene i is drawn in bin i % 4 (or clamped to the nearest height that reaches the body)
        assert sorted(scenes.index(s) % 4 for s in mine) == [0, 1, 2, 3]
        assert {s.side for s in mine} == {"left", "right"}
    low = [s.body_model for s in scenes if s.height < edges[2]]
    assert set(low) == {"mannequin", "makehuman"}


def test_the_first_four_scenes_are_those_cached_before():
    """4-scene caches were rendered before the crossing: scenes 0-3 keep their model and side."""
    scenes = sample_scenes("plank", "side", 4, body_models=("mannequin", "makehuman"))
    assert [(s.body_model, s.side) for s in scenes] == [
        ("mannequin", "left"), ("mannequin", "right"), ("makehuman", "left"), ("makehuman", "right")]


def test_each_form_of_an_exercise_is_calibrated_on_its_own_renders():
    """The chop is a form of anti-rotation with its own render motion: its checks get their own
    cases (the trunk check on both forms), and no scene of one form is planned with the other
    form's faults."""
    from calibration import cases, plan

    found, _ = cases(("anti_rotation",))
    keys = {c.key for c in found}
    assert {"anti_rotation.trunk_posture", "anti_rotation_chop.trunk_posture",
            "anti_rotation_chop.arms_straight"} <= keys
    assert "anti_rotation.arms_straight" not in keys  # the press has no elbow fault
    chop = sample_scenes("anti_rotation_chop", "side", 2)
    press = sample_scenes("anti_rotation", "side", 2)
    for scene, faults in plan(found, chop + press):
        mine = {c.check.id for c in found if c.motion == scene.exercise}
        assert set(faults) <= mine, (scene.exercise, faults)
