"""Smoothing: jitter against lag for One Euro (several settings), no filter and a fixed
exponential low-pass, on synthetic motion whose truth is known.

1. The noise: MediaPipe's frame-to-frame jitter is measured on a real static hold (a shared
   720p side-view plank clip): per body landmark, the white-noise part of the track estimated
   from second differences (sigma = std(x[t+1] - 2 x[t] + x[t-1]) / sqrt(6), which ignores slow
   drift and steady motion).
2. The motion, at 30 fps in 720p pixels, with that noise added: a static pose; a ramp (a limb
   moving steadily at 150 px/s); sinusoids of 150 px amplitude at 0.3, 0.6 and 1 Hz (a rep
   every 1-3 s).
3. Each filter runs causally over 300 noise realisations at once. Reported: RMS error on the
   static pose (the jitter a user sees, px), the lag on the ramp (steady-state error / speed,
   ms), and for each sinusoid the lag (phase delay of the fitted output, ms) and RMS error (px).

    python benchmarks/smoothing.py [--write]
"""

from __future__ import annotations

import argparse
import math

import numpy as np
from _common import MEDIA, Output, machine, table

from formcheck.smoothing import OneEuroFilter, OneEuroParams

FPS = 30.0
DT_MS = 1000.0 / FPS
SECONDS = 12.0
TRIALS = 300
AMPLITUDE_PX = 150.0
RAMP_PX_S = 150.0
SINE_HZ = (0.3, 0.6, 1.0)
STATIC_CLIPS = ("plank__kaiakol-001.mp4", "plank__kaiakol-002.mp4", "plank__kaiakol-004.mp4")
BODY = (11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28)  # shoulders to ankles


def measured_jitter_px() -> tuple[float, float, str]:
    """MediaPipe's jitter on real static holds: (white sigma, total sigma) in px.

    MediaPipe's VIDEO mode smooths landmarks itself, so what is left is mostly slow wobble: the
    white part (from second differences) is small, the total (the residual around a quadratic
    trend per landmark track) several times larger. Medians over body landmarks and clips."""
    from formcheck.capture import VideoFile
    from formcheck.pose import PoseEstimator, PoseOptions

    whites, totals, frames = [], [], 0
    for name in STATIC_CLIPS:
        xs = []
        with VideoFile(MEDIA / name) as video, PoseEstimator(PoseOptions(rotate_fallback=False)) as est:
            for frame in video.frames():
                pose = est.process(frame.image, frame.t_ms)
                xs.append(np.where((pose.visibility >= 0.5)[:, None], pose.xy, np.nan))
        frames += len(xs)
        track = np.array(xs)[:, BODY, :].reshape(len(xs), -1)  # (T, L*2)
        t = np.arange(len(xs))
        for y in track.T:
            ok = np.isfinite(y)
            if ok.sum() < 20:
                continue
            y, tt = y[ok], t[ok]
            whites.append(np.std(y[2:] - 2 * y[1:-1] + y[:-2]) / math.sqrt(6))
            totals.append(np.std(y - np.polyval(np.polyfit(tt, y, 2), tt)))
    source = f"{', '.join(STATIC_CLIPS)} ({frames} frames, 1280x720)"
    return float(np.median(whites)), float(np.median(totals)), source


def ar1_noise(white: float, total: float, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """AR(1) noise of standard deviation ``total`` whose second differences look like white
    noise of ``white`` (var(d2) = total^2 (6 - 8 rho + 2 rho^2) for AR(1))."""
    q = min((white / total) ** 2, 1.0)
    rho = (8 - math.sqrt(64 - 48 * (1 - q))) / 4
    e = rng.normal(0, total * math.sqrt(1 - rho**2), shape)
    out = np.empty(shape)
    out[0] = rng.normal(0, total, shape[1])
    for i in range(1, shape[0]):
        out[i] = rho * out[i - 1] + e[i]
    return out


class Ema:
    """Fixed exponential low-pass with a cut-off in Hz (the same alpha law as One Euro)."""

    def __init__(self, cutoff_hz: float) -> None:
        self.cutoff_hz = cutoff_hz
        self._x = None

    def __call__(self, value: np.ndarray, t_ms: int) -> np.ndarray:
        if self._x is None:
            self._x = value.copy()
            return value.copy()
        tau = 1.0 / (2 * math.pi * self.cutoff_hz)
        a = 1.0 / (1.0 + tau / (DT_MS / 1000.0))
        self._x = a * value + (1 - a) * self._x
        return self._x.copy()


def _none(value: np.ndarray, t_ms: int) -> np.ndarray:
    return value


def run(make_filter, truth: np.ndarray, noise: tuple[float, float], rng: np.random.Generator) -> np.ndarray:
    f = make_filter()
    noisy = truth[:, None] + ar1_noise(*noise, (truth.size, TRIALS), rng)
    out = np.empty_like(noisy)
    for i in range(truth.size):
        out[i] = f(noisy[i], round(i * DT_MS))
    return out


def sine_lag_ms(out: np.ndarray, t: np.ndarray, hz: float, skip: int) -> float:
    """Phase delay of the output's component at ``hz`` relative to sin(2 pi hz t), in ms."""
    w = 2 * math.pi * hz
    tt = t[skip:]
    basis = np.stack([np.sin(w * tt), np.cos(w * tt), np.ones_like(tt)], axis=1)
    coef, *_ = np.linalg.lstsq(basis, out[skip:].mean(axis=1), rcond=None)
    phase = math.atan2(-coef[1], coef[0])  # out ~ sin(w t - phase)
    return phase / w * 1000.0


def evaluate(make_filter, noise: tuple[float, float], seed: int = 0) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    n = int(SECONDS * FPS)
    t = np.arange(n) / FPS
    skip = int(2 * FPS)  # let every filter settle
    res: dict[str, float] = {}
    static = np.full(n, 360.0)
    out = run(make_filter, static, noise, rng)
    res["static"] = float(np.sqrt(np.mean((out[skip:] - 360.0) ** 2)))
    d2 = out[skip + 2:] - 2 * out[skip + 1:-1] + out[skip:-2]
    res["flicker"] = float(np.std(d2) / math.sqrt(6))
    ramp = 100.0 + RAMP_PX_S * t
    out = run(make_filter, ramp, noise, rng)
    res["ramp_lag"] = float(np.mean(ramp[skip:, None] - out[skip:]) / RAMP_PX_S * 1000.0)
    for hz in SINE_HZ:
        truth = 360.0 + AMPLITUDE_PX * np.sin(2 * math.pi * hz * t)
        out = run(make_filter, truth, noise, rng)
        res[f"lag_{hz}"] = sine_lag_ms(out - 360.0, t, hz, skip)
        res[f"rms_{hz}"] = float(np.sqrt(np.mean((out[skip:] - truth[skip:, None]) ** 2)))
    return res


FILTERS: list[tuple[str, object]] = [
    ("none", lambda: _none),
    ("EMA 2 Hz", lambda: Ema(2.0)),
    ("EMA 4 Hz", lambda: Ema(4.0)),
    ("One Euro 1.5 / 0.01 / 1 (old default)", lambda: OneEuroFilter(OneEuroParams(1.5, 0.01, 1.0))),
    ("One Euro 1.0 / 0.007 / 1", lambda: OneEuroFilter(OneEuroParams(1.0, 0.007, 1.0))),
    ("One Euro 1.0 / 0.05 / 1 (default)", lambda: OneEuroFilter(OneEuroParams(1.0, 0.05, 1.0))),
    ("One Euro 0.5 / 0.05 / 1", lambda: OneEuroFilter(OneEuroParams(0.5, 0.05, 1.0))),
    ("One Euro 1.0 / 0.1 / 1", lambda: OneEuroFilter(OneEuroParams(1.0, 0.1, 1.0))),
    ("One Euro 0.5 / 0.1 / 1", lambda: OneEuroFilter(OneEuroParams(0.5, 0.1, 1.0))),
    ("One Euro 2.0 / 0.05 / 1", lambda: OneEuroFilter(OneEuroParams(2.0, 0.05, 1.0))),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="save the output to docs/benchmarks/")
    args = ap.parse_args()

    out = Output("smoothing", "Smoothing: jitter vs lag")
    white, total, source = measured_jitter_px()
    out(f"MediaPipe jitter measured on static plank holds, {source}: white part **{white:.2f} px**, "
        f"total around a quadratic trend **{total:.2f} px** (median over shoulders to ankles). "
        "The synthetic noise is AR(1) with both figures; the second table triples it (a dim "
        "webcam, a smaller person in frame).")
    out(f"Synthetic motion at {FPS:.0f} fps, {SECONDS:.0f} s, {TRIALS} noise realisations; "
        f"ramp {RAMP_PX_S:.0f} px/s; sinusoids {AMPLITUDE_PX:.0f} px amplitude. "
        "One Euro settings are min_cutoff_hz / beta / d_cutoff_hz. Jitter = RMS error on the "
        "static pose; flicker = its frame-to-frame (white) part, what shakes on screen and in "
        "speeds; lag = delay of the filtered motion; RMS = total error on the moving signal.")
    out(f"Machine: {machine()}")
    header = ["filter", "static jitter px", "static flicker px", "ramp lag ms"]
    for hz in SINE_HZ:
        header += [f"{hz} Hz lag ms", f"{hz} Hz RMS px"]
    for label, scale in (("measured noise", 1.0), ("noise x3", 3.0)):
        noise = (white * scale, total * scale)
        rows = []
        for name, make in FILTERS:
            r = evaluate(make, noise)
            row = [name, r["static"], r["flicker"], r["ramp_lag"]]
            for hz in SINE_HZ:
                row += [r[f"lag_{hz}"], r[f"rms_{hz}"]]
            rows.append(row)
        out()
        out(f"## {label}: white {noise[0]:.2f} px, total {noise[1]:.2f} px")
        out()
        out(table(header, rows))
    if args.write:
        out.write()


if __name__ == "__main__":
    main()
