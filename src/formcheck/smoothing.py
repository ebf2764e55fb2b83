"""Temporal smoothing of landmarks, frame by frame.

The default is the One Euro filter (Casiez et al., CHI 2012): a low-pass filter whose cut-off
rises with the signal's speed, so a still pose is steadied hard while a moving limb is followed
with little lag. It is causal (uses only past frames), so the live page and file analysis share
it. ``benchmarks/smoothing.py`` measures its jitter-versus-lag trade against no filter and a
fixed low-pass on ground-truth motion; the defaults below come from that table
(``docs/benchmarks/smoothing.md``).

Why ``min_cutoff_hz=1.0, beta=0.05`` (was 1.5 / 0.01): MediaPipe's VIDEO mode already smooths
its landmarks, so on a real static hold what is left is about 0.26 px of frame-to-frame flicker
on top of about 1.3 px of slow wobble (720p). No causal filter removes the wobble without
lagging the motion; the flicker any One Euro setting cuts about five-fold. The old setting cut
flicker no better (0.049 vs 0.047 px) but followed rep-speed motion (0.3-1 Hz) 21-29 ms late
with 6-15 px RMS error; the new one is 8-11 ms late with 2.7-6.4 px. With three times the
noise the old setting keeps slightly less flicker (0.16 vs 0.20 px, both ~4x below raw) at the
same lag cost, so the faster one still wins for rep timing and live cues.

A gap is a gap: when no person is found the output frame is empty and the filter state is
dropped, so the first frame after the gap starts fresh instead of being dragged from the last
pose before it. The same holds per landmark (a NaN coordinate resets that coordinate).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from formcheck.frames import PoseFrame


@dataclass(frozen=True)
class OneEuroParams:
    """One Euro filter settings.

    Attributes:
        min_cutoff_hz: cut-off at rest, in Hz (lower = steadier, more lag when starting to move).
        beta: how fast the cut-off rises with speed, per (unit of the signal / s).
        d_cutoff_hz: cut-off of the speed estimate, in Hz.
    """

    min_cutoff_hz: float = 1.0
    beta: float = 0.05
    d_cutoff_hz: float = 1.0


def _alpha(cutoff_hz: np.ndarray | float, dt_s: float) -> np.ndarray | float:
    tau = 1.0 / (2.0 * math.pi * np.asarray(cutoff_hz))
    return 1.0 / (1.0 + tau / dt_s)


class OneEuroFilter:
    """Causal One Euro filter over an array of any fixed shape (one filter per element)."""

    def __init__(self, params: OneEuroParams) -> None:
        self.params = params
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None
        self._t_ms: int | None = None

    def reset(self) -> None:
        self._x = self._dx = None
        self._t_ms = None

    def __call__(self, value: np.ndarray, t_ms: int) -> np.ndarray:
        value = np.asarray(value, dtype=np.float64)
        if self._x is None or self._t_ms is None or t_ms <= self._t_ms:
            self._x = value.copy()
            self._dx = np.zeros_like(value)
            self._t_ms = t_ms
            return value.copy()
        dt = (t_ms - self._t_ms) / 1000.0
        p = self.params
        dx = (value - self._x) / dt
        a_d = _alpha(p.d_cutoff_hz, dt)
        dx_hat = np.where(np.isfinite(self._dx), a_d * dx + (1 - a_d) * self._dx, dx)
        cutoff = p.min_cutoff_hz + p.beta * np.abs(dx_hat)
        a = _alpha(cutoff, dt)
        x_hat = a * value + (1 - a) * self._x
        # An element that was missing last frame starts fresh from its new value.
        restart = ~np.isfinite(self._x)
        x_hat = np.where(restart, value, x_hat)
        dx_hat = np.where(restart, 0.0, dx_hat)
        self._x, self._dx, self._t_ms = x_hat, dx_hat, t_ms
        return x_hat.copy()


class LandmarkSmoother:
    """Smooths a stream of :class:`PoseFrame`: pixel ``xy`` and world ``world`` landmarks.

    ``visibility``, ``presence`` and the mask pass through unchanged. Call with each frame in
    time order; returns the smoothed frame.
    """

    def __init__(self, params: OneEuroParams | None = None, world_scale: float = 1000.0) -> None:
        self.params = params or OneEuroParams()
        self._xy = OneEuroFilter(self.params)
        # World landmarks are metres; beta is per unit/s, so the world filter sees millimetres
        # and one beta serves both spaces (a pixel and a millimetre are of similar size here).
        self._world = OneEuroFilter(self.params)
        self._world_scale = world_scale

    def __call__(self, frame: PoseFrame) -> PoseFrame:
        if not frame.has_person:
            self._xy.reset()
            self._world.reset()
            return frame
        xy = self._xy(frame.xy, frame.t_ms)
        world = self._world(frame.world * self._world_scale, frame.t_ms) / self._world_scale
        return replace(frame, xy=xy, world=world)


def _identity(frame: PoseFrame) -> PoseFrame:
    return frame


#: Smoothers by name, each a factory taking keyword parameters and returning a callable
#: ``PoseFrame -> PoseFrame``. The chosen name and parameters are written into every report.
SMOOTHERS: dict[str, Callable[..., Callable[[PoseFrame], PoseFrame]]] = {
    "one_euro": lambda **kw: LandmarkSmoother(OneEuroParams(**kw)),
    "none": lambda **kw: _identity,
}


def make_smoother(name: str = "one_euro", **params: float) -> Callable[[PoseFrame], PoseFrame]:
    """Build a smoother by registry name (``one_euro`` or ``none``)."""
    try:
        factory = SMOOTHERS[name]
    except KeyError:
        raise ValueError(f"unknown smoother {name!r}; choose one of {', '.join(SMOOTHERS)}") from None
    return factory(**params)
