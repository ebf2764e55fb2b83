"""smoothing.py on synthetic sequences whose truth is known."""

from __future__ import annotations

import math

import numpy as np
import pytest

from formcheck.frames import PoseFrame
from formcheck.landmarks import Landmark
from formcheck.smoothing import (
    LandmarkSmoother,
    OneEuroFilter,
    OneEuroParams,
    make_smoother,
)
from tests import factories

DT = 33  # ms, 30 fps
POINTS = {"nose": (640, 200), "left_shoulder": (600, 300), "right_shoulder": (680, 300),
          "left_hip": (610, 480), "right_hip": (670, 480)}


def _shifted(dx: float, t_ms: int) -> PoseFrame:
    return factories.pose({k: (x + dx, y) for k, (x, y) in POINTS.items()}, t_ms=t_ms)


def _reference_one_euro(values, times_ms, p: OneEuroParams):
    """Casiez et al.'s scalar algorithm, written out independently."""
    def alpha(cutoff, dt):
        r = 2 * math.pi * cutoff * dt
        return r / (r + 1)

    out, x_prev, dx_prev, t_prev = [], None, 0.0, None
    for x, t in zip(values, times_ms):
        if x_prev is None:
            x_prev, t_prev = x, t
            out.append(x)
            continue
        dt = (t - t_prev) / 1000
        dx = (x - x_prev) / dt
        dx_hat = alpha(p.d_cutoff_hz, dt) * dx + (1 - alpha(p.d_cutoff_hz, dt)) * dx_prev
        a = alpha(p.min_cutoff_hz + p.beta * abs(dx_hat), dt)
        x_hat = a * x + (1 - a) * x_prev
        out.append(x_hat)
        x_prev, dx_prev, t_prev = x_hat, dx_hat, t
    return np.array(out)


def test_one_euro_matches_the_reference_algorithm():
    rng = np.random.default_rng(3)
    times = np.cumsum(rng.integers(20, 50, 120))  # uneven frame spacing
    values = np.sin(times / 400.0) * 80 + rng.normal(0, 2, times.size)
    p = OneEuroParams(min_cutoff_hz=1.2, beta=0.05, d_cutoff_hz=1.0)
    f = OneEuroFilter(p)
    got = np.array([float(f(np.array(v), int(t))) for v, t in zip(values, times)])
    np.testing.assert_allclose(got, _reference_one_euro(values, times, p), rtol=1e-9, atol=1e-9)


def test_gap_resets_first_frame_after_it_is_raw():
    smooth = LandmarkSmoother()
    for i in range(20):
        smooth(_shifted(0.0, i * DT))
    gap = smooth(factories.dropout(_shifted(0.0, 20 * DT)))
    assert not gap.has_person
    after = _shifted(150.0, 21 * DT)
    out = smooth(after)
    np.testing.assert_array_equal(out.xy, after.xy)
    np.testing.assert_array_equal(out.world, after.world)
    # ...whereas without the gap the filter drags it toward the old pose.
    smooth2 = LandmarkSmoother()
    for i in range(21):
        smooth2(_shifted(0.0, i * DT))
    dragged = smooth2(_shifted(150.0, 21 * DT))
    assert np.nanmax(np.abs(dragged.xy - after.xy)) > 1.0


def test_missing_landmark_restarts_that_landmark_only():
    smooth = LandmarkSmoother()
    for i in range(10):
        smooth(_shifted(0.0, i * DT))
    lost = _shifted(0.0, 10 * DT)
    xy = lost.xy.copy()
    xy[Landmark.NOSE] = np.nan
    out = smooth(PoseFrame(t_ms=lost.t_ms, image_size=lost.image_size, xy=xy, world=lost.world,
                           depth=lost.depth, visibility=lost.visibility, presence=lost.presence))
    assert np.isnan(out.xy[Landmark.NOSE]).all()
    back = _shifted(50.0, 11 * DT)
    out = smooth(back)
    np.testing.assert_array_equal(out.xy[Landmark.NOSE], back.xy[Landmark.NOSE])
    assert abs(out.xy[Landmark.LEFT_HIP, 0] - back.xy[Landmark.LEFT_HIP, 0]) > 1.0


def test_time_going_backwards_restarts():
    smooth = LandmarkSmoother()
    for i in range(10):
        smooth(_shifted(0.0, i * DT))
    again = _shifted(80.0, 0)
    np.testing.assert_array_equal(smooth(again).xy, again.xy)


@pytest.mark.parametrize("sigma_px", [1.0, 3.0])
def test_jitter_on_a_static_pose_is_reduced(sigma_px):
    rng = np.random.default_rng(7)
    truth = _shifted(0.0, 0)
    smooth = LandmarkSmoother()
    raw_err, out_err = [], []
    for i in range(150):
        noisy = factories.jitter(_shifted(0.0, i * DT), rng, sigma_px)
        out = smooth(noisy)
        if i >= 15:
            raw_err.append(noisy.xy - truth.xy)
            out_err.append(out.xy - truth.xy)
    raw_rms = np.sqrt(np.nanmean(np.square(raw_err)))
    out_rms = np.sqrt(np.nanmean(np.square(out_err)))
    assert out_rms < 0.5 * raw_rms


def test_step_is_followed_within_a_bounded_lag():
    smooth = LandmarkSmoother()
    step = 200.0
    for i in range(30):
        smooth(_shifted(0.0, i * DT))
    reached_ms = None
    for i in range(30, 60):
        out = smooth(_shifted(step, i * DT))
        moved = out.xy[Landmark.NOSE, 0] - POINTS["nose"][0]
        assert moved <= step + 1e-6, "no overshoot"
        if reached_ms is None and moved >= 0.9 * step:
            reached_ms = (i - 30) * DT
    assert reached_ms is not None and reached_ms <= 200


def test_visibility_and_presence_pass_through():
    smooth = LandmarkSmoother()
    for i in range(5):
        f = _shifted(float(i), i * DT)
        out = smooth(f)
        np.testing.assert_array_equal(out.visibility, f.visibility)
        np.testing.assert_array_equal(out.presence, f.presence)


def test_registry():
    f = _shifted(0.0, 0)
    assert make_smoother("none")(f) is f
    assert isinstance(make_smoother("one_euro", min_cutoff_hz=2.0), LandmarkSmoother)
    with pytest.raises(ValueError, match="one_euro, none"):
        make_smoother("kalman")


def test_settings_defaults_are_the_filters_defaults():
    from formcheck.config import Settings

    params = Settings().smoothing.params()
    assert OneEuroParams(**params) == OneEuroParams()
