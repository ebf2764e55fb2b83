"""Ground-truth synthetic pose frames for exact tests: a body placed point by point (pixels and
world metres), with optional noise and dropouts. No MediaPipe involved: what goes in is known.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import cv2
import numpy as np

from formcheck.body import VIEW_SIDE_MAX
from formcheck.frames import PoseFrame
from formcheck.geometry import side_on_ratio
from formcheck.landmarks import NUM_LANDMARKS, Landmark

SIZE = (1280, 720)
#: Default world depth of the far (right) side of a body drawn side-on, metres.
FAR_SIDE_M = 0.3


def pose(points: Mapping[Landmark | str, tuple[float, ...]], t_ms: int = 0,
         size: tuple[int, int] = SIZE, visibility: float = 0.99,
         world: Mapping[Landmark | str, tuple[float, float, float]] | None = None,
         hidden: tuple[Landmark | str, ...] = ()) -> PoseFrame:
    """A PoseFrame with the given pixel points (others NaN). ``world`` gives world points in
    metres (default: pixels / 500, with z = 0 or, for a body seen side-on in the image, the
    right side :data:`FAR_SIDE_M` farther from the camera, as a real side view has it).
    ``hidden`` landmarks get visibility 0.1."""
    xy = np.full((NUM_LANDMARKS, 2), np.nan)
    wl = np.full((NUM_LANDMARKS, 3), np.nan)
    vis = np.full(NUM_LANDMARKS, np.nan)
    for key, p in points.items():
        lm = key if isinstance(key, Landmark) else Landmark[key.upper()]
        xy[lm] = p[:2]
        vis[lm] = visibility
    far = FAR_SIDE_M if side_on_ratio(xy) < VIEW_SIDE_MAX else 0.0
    for lm in Landmark:
        if np.isfinite(xy[lm]).all():
            wl[lm] = (xy[lm][0] / 500.0, xy[lm][1] / 500.0, far if lm.name.startswith("RIGHT") else 0.0)
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


def back_mask(size: tuple[int, int], hip: np.ndarray, shoulder: np.ndarray, bend_deg: float,
              half_width: float, scale: float = 1.0) -> np.ndarray:
    """A person mask for a trunk seen side-on, float32 (H, W) of ``size`` (W, H) times ``scale``.

    The trunk is the band between a belly line ``half_width`` pixels below the hip -> shoulder
    line and a back outline ``half_width`` above it (above = toward the image's top) that bulges
    by the sagitta of a parabola turning through ``bend_deg`` degrees (+ rounded, - hollow)
    between the stations :mod:`formcheck.back_contour` measures (0.15 and 0.85 of the way).
    """
    chord = float(np.linalg.norm(shoulder - hip))
    axis = (shoulder - hip) / chord
    up = np.array([axis[1], -axis[0]])
    up = up if up[1] < 0 else -up
    u = np.linspace(-0.15, 1.15, 60)
    # a parabola v = 4 sag u (1 - u) turns through 2 atan(4 sag (1 - 2 u0) / chord) between
    # the stations u0 and 1 - u0 (u0 = 0.15)
    sag = chord * math.tan(math.radians(bend_deg) / 2) / (4 * 0.7)
    bulge = sag * (1 - ((u - 0.5) / 0.5) ** 2)
    back = [hip + ui * (shoulder - hip) + (half_width + b) * up for ui, b in zip(u, bulge)]
    belly = [hip + ui * (shoulder - hip) - half_width * up for ui in u[::-1]]
    w, h = round(size[0] * scale), round(size[1] * scale)
    mask = np.zeros((h, w), np.uint8)
    cv2.fillPoly(mask, [np.round(np.array(back + belly) * scale).astype(np.int32)], 1)
    return mask.astype(np.float32)
