"""Pure geometry on landmark arrays. Every function is NaN-in, NaN-out: a missing point gives a
NaN result, never a made-up number.

Conventions (read these before adding a metric):

- Angles are in **degrees**.
- Image points are pixels with **y down** (see :mod:`formcheck.frames`). "Up" in the image is
  ``-y``. World points are MediaPipe world metres (y down too).
- Points are numpy arrays of shape ``(..., 2)`` or ``(..., 3)``; leading axes broadcast, so the
  same function measures one frame or a whole (T, 2) series.
- "Torso line" = shoulder midpoint -> hip midpoint. "Body line" = shoulder midpoint -> ankle
  midpoint (EXERCISES.md). Both are defined once, here.
"""

from __future__ import annotations

import math

import numpy as np

from formcheck.landmarks import Landmark


def midpoint(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Point halfway between ``a`` and ``b`` (any dimension)."""
    return (np.asarray(a, dtype=float) + np.asarray(b, dtype=float)) / 2.0


def distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distance between ``a`` and ``b`` along the last axis."""
    return np.linalg.norm(np.asarray(b, dtype=float) - np.asarray(a, dtype=float), axis=-1)


def joint_angle(a: np.ndarray, vertex: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Unsigned angle ``a``-``vertex``-``b`` at ``vertex``, in [0, 180] degrees.

    180 is a straight line (a fully extended knee: hip-knee-ankle); 90 a right angle. Works in
    2D or 3D. A zero-length arm gives NaN.
    """
    u = np.asarray(a, dtype=float) - np.asarray(vertex, dtype=float)
    v = np.asarray(b, dtype=float) - np.asarray(vertex, dtype=float)
    nu = np.linalg.norm(u, axis=-1)
    nv = np.linalg.norm(v, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.sum(u * v, axis=-1) / (nu * nv)
    cos = np.where((nu > 0) & (nv > 0), cos, np.nan)
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def elevation(p_from: np.ndarray, p_to: np.ndarray) -> np.ndarray:
    """Image angle of the segment ``p_from -> p_to`` above the horizontal, in [-90, 90] degrees.

    Positive when ``p_to`` is higher in the image (smaller y) than ``p_from``. The horizontal
    direction is ignored (``|dx|``), so a person facing left or right gives the same value:
    mirror-invariant by construction. 2D image points only.
    """
    d = np.asarray(p_to, dtype=float) - np.asarray(p_from, dtype=float)
    if d.ndim == 1:  # one point pair: plain floats are ~30x faster than 0-d numpy arrays
        dx, dy = float(d[0]), float(d[1])
        return float("nan") if dx == 0 and dy == 0 else math.degrees(math.atan2(-dy, abs(dx)))
    dx, dy = d[..., 0], d[..., 1]
    out = np.degrees(np.arctan2(-dy, np.abs(dx)))
    return np.where((dx == 0) & (dy == 0), np.nan, out)


def tilt_from_vertical(p_low: np.ndarray, p_high: np.ndarray) -> np.ndarray:
    """Unsigned angle in [0, 180] between the image segment ``p_low -> p_high`` and straight up.

    0 = ``p_high`` directly above ``p_low`` (an upright trunk: hip -> shoulder); 90 = level.
    2D image points only.
    """
    d = np.asarray(p_high, dtype=float) - np.asarray(p_low, dtype=float)
    up = np.array([0.0, -1.0])
    return joint_angle(d, np.zeros(2), up)


def bend_below_line(start: np.ndarray, middle: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Signed bend of ``start``-``middle``-``end`` away from a straight line, in degrees.

    The magnitude is ``180 - joint_angle(start, middle, end)`` (0 for three points in a line).
    The sign is **positive when ``middle`` lies below the line ``start -> end``** in the image
    (toward larger y, i.e. toward the floor for a horizontal body) and negative when above.

    For a plank, ``bend_below_line(shoulder, hip, ankle)`` is the hip sag (positive) or pike
    (negative). 2D image points, y down.
    """
    s = np.asarray(start, dtype=float)
    m = np.asarray(middle, dtype=float)
    e = np.asarray(end, dtype=float)
    magnitude = 180.0 - joint_angle(s, m, e)
    line = e - s
    rel = m - s
    # Distance of `middle` from the line along the line's normal that points down the image.
    normal = np.stack([-line[..., 1], line[..., 0]], axis=-1)
    normal = np.where((normal[..., 1:2] < 0), -normal, normal)
    side = np.sum(rel * normal, axis=-1)
    return np.where(side >= 0, magnitude, -magnitude)


def signed_angle_2d(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Angle that rotates 2D vector ``u`` onto ``v``, in (-180, 180] degrees.

    Positive is anticlockwise **as seen on screen** (y down), so the image y is flipped before
    measuring. Works on world x/z pairs too if the caller passes them in that order.
    """
    u = np.asarray(u, dtype=float)
    v = np.asarray(v, dtype=float)
    cross = u[..., 0] * (-v[..., 1]) - (-u[..., 1]) * v[..., 0]
    dot = u[..., 0] * v[..., 0] + u[..., 1] * v[..., 1]
    # arctan2 gives -180 for an exactly opposite vector (cross == -0.0); wrap to keep (-180, 180].
    out = wrap_degrees(np.degrees(np.arctan2(cross, dot)))
    zero = (np.linalg.norm(u, axis=-1) == 0) | (np.linalg.norm(v, axis=-1) == 0)
    return np.where(zero, np.nan, out)


def horizontal_yaw(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Yaw of the line ``right -> left`` in the world's horizontal (x, z) plane, in degrees.

    World points (MediaPipe world metres). 0 when the line is parallel to the image plane (a
    person square to the camera), +-90 when it points straight at the camera (side-on).
    Positive when ``left`` is farther from the camera than ``right``.
    """
    d = np.asarray(left, dtype=float) - np.asarray(right, dtype=float)
    return np.degrees(np.arctan2(d[..., 2], d[..., 0]))


def wrap_degrees(angle: np.ndarray) -> np.ndarray:
    """Wrap angles to (-180, 180]."""
    a = np.mod(np.asarray(angle, dtype=float) + 180.0, 360.0) - 180.0
    return np.where(a == -180.0, 180.0, a)


def side_on_ratio(xy: np.ndarray) -> float:
    """How side-on the person stands to the camera, from one frame's (33, 2) pixel landmarks.

    The shoulder width and the hip width in the image, divided by the torso length
    (shoulder midpoint to hip midpoint), averaged over the two. About 0.6-0.8 for a person
    square to the camera, near 0 side-on. NaN when the torso is missing.
    """
    ls, rs = xy[Landmark.LEFT_SHOULDER], xy[Landmark.RIGHT_SHOULDER]
    lh, rh = xy[Landmark.LEFT_HIP], xy[Landmark.RIGHT_HIP]
    torso = distance(midpoint(ls, rs), midpoint(lh, rh))
    if not np.isfinite(torso) or torso <= 0:
        return float("nan")
    widths = np.array([distance(ls, rs), distance(lh, rh)])
    return float(np.nanmean(widths) / torso) if np.isfinite(widths).any() else float("nan")


def camera_alignment(world: np.ndarray) -> np.ndarray:
    """How the camera looks at the body, from one frame's (33, 3) world landmarks.

    Returns (3,) ``|cos|`` of the angle between the camera's optical axis (world z, MediaPipe's
    world axes are the camera's) and the body's own axes: **lateral** (right -> left, the mean
    of the shoulder and hip lines), **front** (square to the lateral and long axes: the belly or
    back direction) and **long** (hip midpoint -> shoulder midpoint). 1 = looking straight along
    that axis: about (1, 0, 0) side-on, (0, 1, 0) facing the front or back, (0, 0, 1) from the
    head or feet end. Unsigned: the two ends of an axis read alike. NaN without a torso.
    """
    w = np.asarray(world, dtype=float)
    ls, rs = w[Landmark.LEFT_SHOULDER], w[Landmark.RIGHT_SHOULDER]
    lh, rh = w[Landmark.LEFT_HIP], w[Landmark.RIGHT_HIP]
    long = midpoint(ls, rs) - midpoint(lh, rh)
    lateral = (ls - rs) + (lh - rh)
    if not (np.isfinite(long).all() and np.isfinite(lateral).all()):
        return np.full(3, np.nan)
    lateral = lateral - np.dot(lateral, long) / np.dot(long, long) * long
    front = np.cross(long, lateral)
    axes = np.stack([lateral, front, long])
    norms = np.linalg.norm(axes, axis=1)
    if (norms < 1e-9).any():
        return np.full(3, np.nan)
    return np.abs(axes[:, 2]) / norms
