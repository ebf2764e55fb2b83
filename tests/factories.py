"""Ground-truth synthetic pose frames for exact tests: a body placed point by point (pixels and
world metres), with optional noise and dropouts. No MediaPipe involved: what goes in is known.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from formcheck.frames import PoseFrame
from formcheck.landmarks import NUM_LANDMARKS, Landmark

SIZE = (1280, 720)


def pose(points: Mapping[Landmark | str, tuple[float, ...]], t_ms: int = 0,
         size: tuple[int, int] = SIZE, visibility: float = 0.99,
         world: Mapping[Landmark | str, tuple[float, float, float]] | None = None,
         hidden: tuple[Landmark | str, ...] = ()) -> PoseFrame:
    """A PoseFrame with the given pixel points (others NaN). ``world`` gives world points in
    metres (default: pixels / 500 with z = 0). ``hidden`` landmarks get visibility 0.1."""
    xy = np.full((NUM_LANDMARKS, 2), np.nan)
    wl = np.full((NUM_LANDMARKS, 3), np.nan)
    vis = np.full(NUM_LANDMARKS, np.nan)
    for key, p in points.items():
        lm = key if isinstance(key, Landmark) else Landmark[key.upper()]
        xy[lm] = p[:2]
        vis[lm] = visibility
        wl[lm] = (p[0] / 500.0, p[1] / 500.0, 0.0)
    for key, p in (world or {}).items():
        lm = key if isinstance(key, Landmark) else Landmark[key.upper()]
        wl[lm] = p
    for key in hidden:
        lm = key if isinstance(key, Landmark) else Landmark[key.upper()]
        vis[lm] = 0.1
    return PoseFrame(t_ms=t_ms, image_size=size, xy=xy, world=wl, visibility=vis,
                     depth=np.where(np.isfinite(xy[:, 0]), 0.0, np.nan), presence=vis.copy())


def both_sides(points: Mapping[str, tuple[float, ...]], offset: tuple[float, float] = (0.0, 0.0)
               ) -> dict[str, tuple[float, ...]]:
    """Side-view helper: each ``part`` placed for the left side and, shifted by ``offset``
    pixels, for the right side (the far side seen almost on top of the near one)."""
    out: dict[str, tuple[float, ...]] = {}
    for part, p in points.items():
        if part in ("nose",):
            out[part] = p
            continue
        out[f"left_{part}"] = p
        out[f"right_{part}"] = (p[0] + offset[0], p[1] + offset[1])
    return out


def jitter(frame: PoseFrame, rng: np.random.Generator, sigma_px: float) -> PoseFrame:
    """The frame with Gaussian pixel noise of ``sigma_px`` on every landmark."""
    from dataclasses import replace

    return replace(frame, xy=frame.xy + rng.normal(0.0, sigma_px, frame.xy.shape))


def dropout(frame: PoseFrame) -> PoseFrame:
    """The same instant with no person found."""
    return PoseFrame.empty(frame.t_ms, frame.image_size)
