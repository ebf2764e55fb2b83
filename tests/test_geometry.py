"""geometry.py: every function on points with known angles, NaN in -> NaN out, and the stated
conventions (degrees, y down, signs, mirror invariance)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from formcheck import geometry as g
from formcheck.landmarks import NUM_LANDMARKS, Landmark

NAN2 = np.array([np.nan, 0.0])


def _mirror(*points, width=1000.0):
    """Flip image points left-right (a person facing the other way)."""
    return [np.array([width - p[0], p[1]], dtype=float) for p in points]


def test_midpoint_and_distance():
    np.testing.assert_allclose(g.midpoint([0, 0], [4, 2]), [2, 1])
    np.testing.assert_allclose(g.midpoint([0, 0, 0], [2, 4, 6]), [1, 2, 3])
    assert g.distance([0, 0], [3, 4]) == pytest.approx(5)
    assert g.distance([1, 2, 3], [1, 2, 3]) == 0
    assert np.isnan(g.midpoint(NAN2, [1, 1])).any()
    assert np.isnan(g.distance(NAN2, [1, 1]))


@pytest.mark.parametrize(
    ("a", "vertex", "b", "expected"),
    [
        ((0, 0), (1, 0), (2, 0), 180.0),  # straight
        ((1, 0), (0, 0), (0, 1), 90.0),
        ((1, 0), (0, 0), (1, 1), 45.0),
        ((1, 0), (0, 0), (1, 0), 0.0),  # folded back
        ((1, 0), (0, 0), (-1, math.sqrt(3)), 120.0),
        ((1, 0, 0), (0, 0, 0), (0, 0, 5), 90.0),  # 3D
    ],
)
def test_joint_angle_known_angles(a, vertex, b, expected):
    assert g.joint_angle(np.array(a), np.array(vertex), np.array(b)) == pytest.approx(expected, abs=1e-9)
    # symmetric in its two arms
    assert g.joint_angle(np.array(b), np.array(vertex), np.array(a)) == pytest.approx(expected, abs=1e-9)


def test_joint_angle_nan_and_degenerate():
    assert np.isnan(g.joint_angle(NAN2, [0, 0], [1, 0]))
    assert np.isnan(g.joint_angle([1, 0], [0, 0], [0, 0]))  # zero-length arm


def test_joint_angle_broadcasts_over_a_series():
    t = np.linspace(0, np.pi, 7)
    b = np.stack([np.cos(t), np.sin(t)], axis=1)
    np.testing.assert_allclose(g.joint_angle(np.array([1.0, 0.0]), np.zeros(2), b), np.degrees(t), atol=1e-9)


@pytest.mark.parametrize(
    ("p_to", "expected"),
    [((10, 0), 0.0), ((10, -10), 45.0), ((0, -10), 90.0), ((10, 10), -45.0), ((0, 10), -90.0),
     ((-10, -10), 45.0)],
)
def test_elevation_known_angles_and_up_is_minus_y(p_to, expected):
    assert g.elevation(np.zeros(2), np.array(p_to, float)) == pytest.approx(expected)


def test_elevation_is_mirror_invariant():
    rng = np.random.default_rng(0)
    for _ in range(50):
        a, b = rng.uniform(0, 1000, (2, 2))
        ma, mb = _mirror(a, b)
        assert g.elevation(ma, mb) == pytest.approx(g.elevation(a, b))


def test_elevation_nan_and_degenerate():
    assert np.isnan(g.elevation(NAN2, [1, 1]))
    assert np.isnan(g.elevation([5, 5], [5, 5]))


@pytest.mark.parametrize(
    ("p_high", "expected"),
    [((0, -10), 0.0), ((10, -10), 45.0), ((-10, -10), 45.0), ((10, 0), 90.0), ((0, 10), 180.0)],
)
def test_tilt_from_vertical(p_high, expected):
    assert g.tilt_from_vertical(np.zeros(2), np.array(p_high, float)) == pytest.approx(expected)


def test_tilt_from_vertical_nan():
    assert np.isnan(g.tilt_from_vertical(NAN2, [0, -1]))
    assert np.isnan(g.tilt_from_vertical([0, 0], [0, 0]))


def _plank(drop_px: float, reverse: bool = False):
    """Shoulder, hip, ankle of a side-view plank; hip ``drop_px`` below the line (y down)."""
    s, h, a = np.array([100.0, 300.0]), np.array([400.0, 300.0 + drop_px]), np.array([700.0, 300.0])
    return (a, h, s) if reverse else (s, h, a)


@pytest.mark.parametrize("reverse", [False, True])
def test_bend_below_line_sign(reverse):
    sag = g.bend_below_line(*_plank(40, reverse))
    pike = g.bend_below_line(*_plank(-40, reverse))
    expected = 180 - g.joint_angle(*_plank(40))
    assert sag == pytest.approx(expected) and sag > 0
    assert pike == pytest.approx(-expected)
    assert g.bend_below_line(*_plank(0, reverse)) == pytest.approx(0, abs=1e-9)


def test_bend_below_line_known_value_and_mirror():
    # hip 300 px along, 300 px down from a horizontal line: each half bends 45 deg -> 90 total.
    s, h, a = np.array([0.0, 0.0]), np.array([300.0, 300.0]), np.array([600.0, 0.0])
    assert g.bend_below_line(s, h, a) == pytest.approx(90)
    assert g.bend_below_line(*_mirror(s, h, a)) == pytest.approx(90)
    # a tilted body line (shoulders higher than ankles), hip below it: still positive
    s, h, a = np.array([100.0, 200.0]), np.array([400.0, 330.0]), np.array([700.0, 400.0])
    assert g.bend_below_line(s, h, a) > 0
    assert g.bend_below_line(*_mirror(s, h, a)) == pytest.approx(g.bend_below_line(s, h, a))


def test_bend_below_line_nan():
    s, h, a = _plank(20)
    assert np.isnan(g.bend_below_line(s, NAN2, a))
    assert np.isnan(g.bend_below_line(NAN2, h, a))


@pytest.mark.parametrize(
    ("u", "v", "expected"),
    [((1, 0), (0, -1), 90.0),  # right -> up on screen: anticlockwise
     ((1, 0), (0, 1), -90.0),
     ((1, 0), (1, 0), 0.0),
     ((1, 0), (-1, 0), 180.0),
     ((0, -1), (-1, 0), 90.0)],
)
def test_signed_angle_2d(u, v, expected):
    assert g.signed_angle_2d(np.array(u, float), np.array(v, float)) == pytest.approx(expected)


def test_signed_angle_2d_nan_and_zero():
    assert np.isnan(g.signed_angle_2d(np.zeros(2), np.array([1.0, 0.0])))
    assert np.isnan(g.signed_angle_2d(NAN2, np.array([1.0, 0.0])))


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [((0.1, 0, 0), (-0.1, 0, 0), 0.0),  # square to the camera
     ((0, 0, 0.2), (0, 0, 0), 90.0),  # left farther: side-on
     ((0, 0, -0.2), (0, 0, 0), -90.0),
     ((0.1, 0, 0.1), (0, 0, 0), 45.0)],
)
def test_horizontal_yaw(left, right, expected):
    assert g.horizontal_yaw(np.array(left, float), np.array(right, float)) == pytest.approx(expected)


def test_horizontal_yaw_ignores_height_and_propagates_nan():
    assert g.horizontal_yaw(np.array([0.1, 0.5, 0.1]), np.zeros(3)) == pytest.approx(45)
    assert np.isnan(g.horizontal_yaw(np.array([np.nan, 0, 0]), np.zeros(3)))


@pytest.mark.parametrize(
    ("angle", "expected"),
    [(0, 0), (180, 180), (-180, 180), (190, -170), (-190, 170), (540, 180), (359, -1), (720, 0)],
)
def test_wrap_degrees(angle, expected):
    assert g.wrap_degrees(angle) == pytest.approx(expected)


def test_wrap_degrees_nan():
    assert np.isnan(g.wrap_degrees(np.nan))


def _torso(shoulder_w: float, hip_w: float, torso: float = 150.0) -> np.ndarray:
    xy = np.full((NUM_LANDMARKS, 2), np.nan)
    xy[Landmark.LEFT_SHOULDER] = (500 + shoulder_w / 2, 200)
    xy[Landmark.RIGHT_SHOULDER] = (500 - shoulder_w / 2, 200)
    xy[Landmark.LEFT_HIP] = (500 + hip_w / 2, 200 + torso)
    xy[Landmark.RIGHT_HIP] = (500 - hip_w / 2, 200 + torso)
    return xy


def test_side_on_ratio():
    assert g.side_on_ratio(_torso(100, 80)) == pytest.approx(90 / 150)
    assert g.side_on_ratio(_torso(0, 0)) == pytest.approx(0)
    xy = _torso(100, 80)
    xy[Landmark.LEFT_HIP] = np.nan
    assert np.isnan(g.side_on_ratio(xy))
    assert np.isnan(g.side_on_ratio(np.full((NUM_LANDMARKS, 2), np.nan)))
