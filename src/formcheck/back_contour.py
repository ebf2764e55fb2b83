"""The back's outline from the person segmentation mask, and how much it bends.

Pose landmarks give the shoulders and hips but nothing in between, so a rounded (cat) or hollow
(cow) back looks the same to them. MediaPipe's person mask (``PoseFrame.mask``, run with
``PoseOptions(segmentation=True)``) does show the outline. :func:`trace_back` walks out from the
torso line (hip midpoint -> shoulder midpoint) to the edge of the mask on the *back* side at
evenly spaced stations; :func:`back_bend` fits a parabola to those edge points and reports the
angle the back's outline turns through between its ends.

Conventions (image pixels, y down; degrees):

- The back side of the torso line is the side away from the knees and wrists (on all fours they
  hang below the trunk; in a hinge they are in front of it). With neither in view, the side
  facing up in the image.
- :func:`back_bend` is **positive when the back is rounded** (humped away from the chest:
  flexion, the "cat") and **negative when it is hollow** (sagging toward the chest: extension,
  the "cow"). A straight outline is 0. For an outline that is an arc of a circle the value is
  the arc's central angle.
- Everything is NaN when the mask is absent (landmark files, segmentation off) or the outline is
  not found at enough stations.

The outline includes soft tissue and clothing, and the shoulder blades and buttocks sit at its
ends, so a level, neutral back does not read exactly 0; exercises compare it with the person's
own start or use generous limits (see :mod:`formcheck.exercises.cat_cow`).
"""

from __future__ import annotations

import numpy as np

from formcheck.body import Body

#: Stations along the torso line, as fractions of hip -> shoulder (the ends are left out: the
#: buttocks and the shoulder blades would dominate the outline there).
STATIONS = np.linspace(0.15, 0.85, 15)
#: How far out from the torso line to look for the edge, in torso lengths.
REACH = 0.9
#: Share of stations that must find the edge for a measurement.
MIN_FOUND = 0.7
MASK_THRESHOLD = 0.5
_KEY = "_formcheck_back_trace"


def back_normal(body: Body) -> np.ndarray:
    """Unit image vector square to the torso line, pointing to the back side (see module
    docstring); NaN without a torso."""
    hip, sh = body.mid("hip"), body.mid("shoulder")
    axis = sh - hip
    length = float(np.linalg.norm(axis))
    if not np.isfinite(length) or length == 0:
        return np.array([np.nan, np.nan])
    axis = axis / length
    normal = np.array([-axis[1], axis[0]])
    refs = [p for p in (body.mid("knee"), body.mid("wrist")) if np.isfinite(p).all()]
    if refs:
        chest = float(np.mean([np.dot(p - hip, normal) for p in refs]))
        if abs(chest) > 0.05 * length:
            return -normal if chest > 0 else normal
    return normal if normal[1] < 0 else -normal


def _trace(body: Body) -> np.ndarray:
    mask = body.frame.mask
    stations = np.full((len(STATIONS), 2), np.nan)
    if mask is None or not body.has_person:
        return stations
    hip, sh = body.mid("hip"), body.mid("shoulder")
    normal = back_normal(body)
    if not (np.isfinite(hip).all() and np.isfinite(sh).all() and np.isfinite(normal).all()):
        return stations
    h, w = mask.shape[:2]
    # The mask may be at a different resolution from the landmarks' frame. Pixel (i, j) covers
    # [i, i + 1) x [j, j + 1) in pixel coordinates, so a point falls in floor(x), floor(y).
    fx, fy = w / body.frame.image_size[0], h / body.frame.image_size[1]
    length = float(np.linalg.norm(sh - hip))
    steps = np.arange(0.0, REACH * length, 1.0)
    for i, s in enumerate(STATIONS):
        start = hip + s * (sh - hip)
        ray = start + steps[:, None] * normal
        xi = np.floor(ray[:, 0] * fx).astype(int)
        yi = np.floor(ray[:, 1] * fy).astype(int)
        inside_img = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
        if not inside_img[0]:
            continue
        on = np.zeros(len(steps), dtype=bool)
        on[inside_img] = mask[yi[inside_img], xi[inside_img]] >= MASK_THRESHOLD
        if not on[0]:
            continue  # the torso line itself is not on the person: mask and pose disagree
        off = np.flatnonzero(~on)
        if len(off) == 0:
            continue  # no edge within reach
        stations[i] = ray[off[0] - 1]
    return stations


def trace_back(body: Body) -> np.ndarray:
    """The back's edge points, (len(STATIONS), 2) image pixels from the hip end to the shoulder
    end; rows are NaN where no edge was found. Cached on the ``Body`` (one trace per frame)."""
    cached = body.__dict__.get(_KEY)
    if cached is None:
        cached = _trace(body)
        body.__dict__[_KEY] = cached  # Body is frozen; its __dict__ holds cached values
    return cached


def back_line(body: Body) -> np.ndarray:
    """The traced back points that were found, (N, 2) pixels, for drawing; (0, 2) when too few
    were found to measure."""
    pts = trace_back(body)
    found = np.isfinite(pts).all(axis=1)
    return pts[found] if found.mean() >= MIN_FOUND else np.empty((0, 2))


def back_bend(body: Body) -> float:
    """Turning angle of the back's outline between its ends, degrees: + rounded (flexion),
    - hollow (extension), 0 straight; NaN when not measurable (see module docstring).

    The edge points are put in torso coordinates (along the hip -> shoulder line and out toward
    the back, both in torso lengths), a parabola ``v = a u^2 + b u + c`` is fitted by least
    squares, and the result is ``atan(v'(u0)) - atan(v'(u1))`` at the first and last stations.
    """
    pts = trace_back(body)
    found = np.isfinite(pts).all(axis=1)
    if found.mean() < MIN_FOUND:
        return float("nan")
    hip, sh = body.mid("hip"), body.mid("shoulder")
    length = float(np.linalg.norm(sh - hip))
    axis = (sh - hip) / length
    normal = back_normal(body)
    rel = pts[found] - hip
    u = rel @ axis / length
    v = rel @ normal / length
    a, b, _ = np.polyfit(u, v, 2)
    u0, u1 = STATIONS[0], STATIONS[-1]
    return float(np.degrees(np.arctan(2 * a * u0 + b) - np.arctan(2 * a * u1 + b)))
