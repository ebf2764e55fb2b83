"""Bird dog's ``limb_above_torso`` metric on posed points with known image angles: the reaching
arm and the lifted leg are read against the torso line (as the check's tolerance is stated),
not against the horizontal."""

import math

import numpy as np
import pytest

from formcheck.body import Body
from formcheck.exercises.bird_dog import BACK_ACROSS_MAX_DEG, limb_above_torso
from formcheck.frames import PoseFrame
from tests.factories import pose

#: The back's slope in :func:`_all_fours`: shoulders 40 px above the hips over 400 px.
BACK_DEG = math.degrees(math.atan2(40.0, 400.0))


def _dir(deg_up: float, towards_x: float) -> np.ndarray:
    a = math.radians(deg_up)
    return np.array([towards_x * math.cos(a), -math.sin(a)])


def _all_fours(arm_deg: float, leg_deg: float, facing: int = -1, arm_side: str = "left",
               tilt_deg: float = 0.0, hidden: tuple[str, ...] = ()) -> PoseFrame:
    """Side view on all fours, head toward ``facing`` (-1: image left), every point in frame.
    ``arm_deg`` / ``leg_deg``: image elevations of the reaching arm (shoulder -> wrist, forward)
    and the straight lifted leg (hip -> ankle, backward); the other arm hangs, the other leg
    kneels. ``tilt_deg`` turns the whole picture about its centre, + = the head end down."""
    leg_side = "right" if arm_side == "left" else "left"
    shoulder = np.array([640.0 + facing * 200.0, 340.0])
    hip = shoulder + np.array([-facing * 400.0, 40.0])
    pts = {}
    for side in ("left", "right"):
        arm = arm_deg if side == arm_side else -90.0
        pts[f"{side}_shoulder"] = shoulder
        pts[f"{side}_elbow"] = shoulder + 120 * _dir(arm, facing)
        pts[f"{side}_wrist"] = shoulder + 240 * _dir(arm, facing)
        pts[f"{side}_hip"] = hip
        if side == leg_side:
            pts[f"{side}_knee"] = hip + 150 * _dir(leg_deg, -facing)
            pts[f"{side}_ankle"] = hip + 300 * _dir(leg_deg, -facing)
        else:
            pts[f"{side}_knee"] = hip + np.array([0.0, 180.0])
            pts[f"{side}_ankle"] = pts[f"{side}_knee"] + np.array([-facing * 150.0, 0.0])
    c = np.array([640.0, 360.0])
    a = math.radians(facing * tilt_deg)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    return pose({k: tuple(c + rot @ (p - c)) for k, p in pts.items()}, hidden=hidden)


def test_level_arm_and_leg_read_against_the_sloped_back():
    # level arm: BACK_DEG below the back line forward; level leg: BACK_DEG above it backward
    assert limb_above_torso(Body(_all_fours(0.0, 0.0))) == pytest.approx(BACK_DEG, abs=1e-6)


@pytest.mark.parametrize("arm,leg,expected", [
    (30.0, 0.0, 30.0 - BACK_DEG),  # the arm, less the back's slope
    (0.0, 20.0, 20.0 + BACK_DEG),  # the leg, plus it (read 20 from the horizontal)
    (-90.0, 20.0, 20.0 + BACK_DEG),  # the arm still down
])
def test_the_higher_limb_counts(arm, leg, expected):
    assert limb_above_torso(Body(_all_fours(arm, leg))) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("facing,arm_side", [(-1, "left"), (1, "left"), (-1, "right"), (1, "right")])
def test_facing_and_side_labels_read_alike(facing, arm_side):
    value = limb_above_torso(Body(_all_fours(25.0, 10.0, facing, arm_side)))
    assert value == pytest.approx(25.0 - BACK_DEG, abs=1e-6)


def test_a_hidden_reaching_arm_leaves_the_leg():
    frame = _all_fours(30.0, 20.0, hidden=("left_wrist",))
    assert limb_above_torso(Body(frame)) == pytest.approx(20.0 + BACK_DEG, abs=1e-6)


def test_a_tilted_picture_reads_the_same_while_the_back_is_seen_across():
    assert limb_above_torso(Body(_all_fours(30.0, 0.0, tilt_deg=20.0))) == pytest.approx(
        30.0 - BACK_DEG, abs=1e-6)


@pytest.mark.parametrize("facing", [-1, 1])
@pytest.mark.parametrize("tilt", [BACK_ACROSS_MAX_DEG + 10.0, -(BACK_ACROSS_MAX_DEG + 10.0)])
def test_unknown_when_the_back_is_seen_along_its_length(facing, tilt):
    # the torso line 49-61 degrees from the image horizontal: a camera at the head or feet end
    assert math.isnan(limb_above_torso(Body(_all_fours(30.0, 0.0, facing, tilt_deg=tilt))))


def test_unknown_without_the_torso_line():
    assert math.isnan(limb_above_torso(Body(_all_fours(30.0, 0.0, hidden=("left_hip", "right_hip")))))
