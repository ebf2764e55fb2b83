"""Exercise recognition on posed synthetic sequences (no MediaPipe): clear cases are recognised
and sure; nobody in view is unsure; candidates restrict the choice."""

import pytest

from formcheck.exercises import all_exercises
from formcheck.frames import PoseFrame
from formcheck.recognition import FEATURES, SURE, features, recognize, templates
from tests.exercise_poses import bridge, frames, quadruped, reps_timeline


def _head(stream, seconds: float = 3.0):
    return [f for f in stream if f.t_ms <= seconds * 1000]


def test_every_counted_exercise_can_be_recognised():
    """An exercise without a template is silently never picked by ``--exercise auto``."""
    missing = [i for i, ex in all_exercises().items() if ex.counting is not None and not ex.recognition]
    assert missing == []
    assert set(templates()) == {i for i, ex in all_exercises().items() if ex.counting is not None}
    assert all(t.expected() for ts in templates().values() for t in ts)


def test_templates_and_features_name_the_same_features():
    tl = reps_timeline({"lift": 0.0, "arch": 0.0}, {"lift": 1.0, "arch": 0.0}, 1, start_s=0.2)
    assert sorted(features(_head(frames(bridge, tl)))) == sorted(FEATURES)


def test_bridge_is_recognised():
    tl = reps_timeline({"lift": 0.0, "arch": 0.0}, {"lift": 1.0, "arch": 0.0}, 2, start_s=0.2)
    rec = recognize(_head(frames(bridge, tl)))
    assert rec.exercise_id == "bridge" and rec.confidence >= SURE and not rec.unsure


def test_cat_cow_is_recognised():
    tl = [(0.0, {"bend": -15.0}), (1.5, {"bend": 30.0}), (3.0, {"bend": -60.0})]
    rec = recognize(_head(frames(quadruped, tl, fps=15)))
    assert rec.exercise_id == "cat_cow"


def test_nobody_in_view_is_unsure():
    rec = recognize([PoseFrame.empty(t, (1280, 720)) for t in range(0, 3000, 100)])
    assert rec.unsure
    assert all(v != v for v in features([PoseFrame.empty(0, (1280, 720))]).values())  # NaN


def test_candidates_limit_the_choice():
    tl = reps_timeline({"lift": 0.0, "arch": 0.0}, {"lift": 1.0, "arch": 0.0}, 2, start_s=0.2)
    rec = recognize(_head(frames(bridge, tl)), candidates=("plank", "cat_cow"))
    assert rec.exercise_id in ("plank", "cat_cow")
    with pytest.raises(ValueError):
        recognize([], candidates=("no_such_exercise",))
