"""Named access to one smoothed :class:`PoseFrame`, the input of every metric.

Metrics say ``body.mid("hip")`` or ``body.near("knee")`` instead of juggling indices and
visibility. Any point whose landmarks are not visible enough comes back as NaN, so a metric
built from it is NaN, and the check reads ``unknown`` instead of guessing.

Sides: ``left``/``right`` are the person's own sides, as MediaPipe labels them. ``near`` is the
side facing the camera (larger mean visibility of shoulder, hip and knee), ``far`` the other.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from formcheck.frames import PoseFrame
from formcheck.geometry import camera_alignment, side_on_ratio
from formcheck.landmarks import Landmark, side_landmark

SIDES = ("left", "right")
_NAN2 = np.array([np.nan, np.nan])
_NAN3 = np.array([np.nan, np.nan, np.nan])


def other_side(side: str) -> str:
    return "right" if side == "left" else "left"


@dataclass(frozen=True)
class Body:
    """A pose frame plus the visibility threshold below which a landmark counts as missing."""

    frame: PoseFrame
    min_visibility: float = 0.5
    #: Landmarks outside the image count as missing. Rep counting turns this off: a limb
    #: reaching out of frame still moves the rep signal the right way, while a form check
    #: must not measure a guessed position.
    in_frame_only: bool = True

    # -- single landmarks -------------------------------------------------------------------
    @cached_property
    def seen(self) -> np.ndarray:
        """(33,) bool: landmarks seen well enough to measure: visible enough and (with
        ``in_frame_only``) inside the image. MediaPipe still places landmarks that are out of
        frame, but those positions are guesses."""
        xy = self.frame.xy
        with np.errstate(invalid="ignore"):
            mask = np.isfinite(xy).all(axis=1) & (self.frame.visibility >= self.min_visibility)
            if self.in_frame_only:
                w, h = self.frame.image_size
                mask &= (xy[:, 0] >= 0) & (xy[:, 0] < w) & (xy[:, 1] >= 0) & (xy[:, 1] < h)
        return mask

    def ok(self, landmark: Landmark) -> bool:
        return bool(self.seen[landmark])

    def px(self, landmark: Landmark) -> np.ndarray:
        """Pixel point of a landmark (y down), NaN when not visible enough."""
        return self.frame.xy[landmark] if self.ok(landmark) else _NAN2

    def world(self, landmark: Landmark) -> np.ndarray:
        """World point in metres (MediaPipe world frame), NaN when not visible enough."""
        return self.frame.world[landmark] if self.ok(landmark) else _NAN3

    def side(self, side: str, part: str, space: str = "px") -> np.ndarray:
        """``body.side("left", "knee")``: that side's landmark in ``px`` or ``world`` space."""
        lm = side_landmark(side, part)
        return self.px(lm) if space == "px" else self.world(lm)

    # -- pairs ------------------------------------------------------------------------------
    def mid(self, part: str, space: str = "px") -> np.ndarray:
        """Midpoint of the left and right ``part``; the one visible side alone when the other is
        hidden (side-on, the two nearly coincide in the image); NaN when neither is visible."""
        left, right = side_landmark("left", part), side_landmark("right", part)
        points = self.frame.xy if space == "px" else self.frame.world
        lv, rv = self.seen[left], self.seen[right]
        if lv and rv:
            return (points[left] + points[right]) / 2.0
        if lv or rv:
            return points[left if lv else right]
        return _NAN2 if space == "px" else _NAN3

    @cached_property
    def near_side(self) -> str:
        """The side facing the camera: the one whose shoulder, hip and knee MediaPipe sees best."""
        vis = self.frame.visibility
        score = {}
        for s in SIDES:
            seen = [v for p in ("shoulder", "hip", "knee") if np.isfinite(v := vis[side_landmark(s, p)])]
            # not np.nanmean: it warns when a side has no visible landmark at all
            score[s] = sum(seen) / len(seen) if seen else math.nan
        left, right = score["left"], score["right"]
        if np.isfinite(left) and np.isfinite(right) and abs(left - right) > 1e-6:
            return "left" if left > right else "right"
        # Equal scores: the side closer to the camera in world depth (smaller z).
        lz = self.frame.world[Landmark.LEFT_HIP, 2]
        rz = self.frame.world[Landmark.RIGHT_HIP, 2]
        return "left" if not (np.isfinite(lz) and np.isfinite(rz)) or lz <= rz else "right"

    def near(self, part: str, space: str = "px") -> np.ndarray:
        """The near side's ``part``, or the far side's when the near one is hidden."""
        point = self.side(self.near_side, part, space)
        return point if np.isfinite(point).all() else self.side(other_side(self.near_side), part, space)

    def far(self, part: str, space: str = "px") -> np.ndarray:
        return self.side(other_side(self.near_side), part, space)

    # -- whole-body facts -------------------------------------------------------------------
    @property
    def has_person(self) -> bool:
        return self.frame.has_person

    @cached_property
    def torso_length_px(self) -> float:
        """Shoulder midpoint to hip midpoint in pixels; the scale for distance ratios."""
        d = np.linalg.norm(self.mid("shoulder") - self.mid("hip"))
        return float(d) if np.isfinite(d) and d > 0 else float("nan")

    @cached_property
    def side_on_ratio(self) -> float:
        return side_on_ratio(self.frame.xy) if self.has_person else float("nan")

    @cached_property
    def camera_alignment(self) -> np.ndarray:
        """(3,) how straight the camera looks along the body's lateral, front and long axes
        (:func:`formcheck.geometry.camera_alignment`); NaN without a torso."""
        if not self.has_person:
            return np.full(3, np.nan)
        return camera_alignment(self.frame.world)

    def off_view_deg(self, view: str) -> float:
        """Degrees between the camera's optical axis and the body axis ``view`` looks along
        (``side``: lateral, ``front``: front, ``end``: long), as MediaPipe's world landmarks
        place them: 0 = square-on, yaw and pitch both add. NaN without a torso or world
        landmarks, and for ``oblique`` or ``unknown``. MediaPipe reads a side view's yaw short
        (a true 17-degree yaw on a lying render read 5) and its down-pitch more fully (a camera
        18-22 degrees above read 14-20)."""
        axis = _VIEW_AXES.get(view)
        cos = self.camera_alignment[axis] if axis is not None else np.nan
        return float(np.degrees(np.arccos(min(1.0, cos)))) if np.isfinite(cos) else float("nan")

    @cached_property
    def view(self) -> str:
        """Where the camera looks at the body from: ``side`` (at its left or right), ``front``
        (at its belly or back), ``end`` (at its head or feet, looking along it) or ``oblique``
        (in between); ``unknown`` without a torso.

        From the body's axes in MediaPipe's world landmarks (:attr:`camera_alignment`), which
        name the view whatever the posture: from the feet end a side-lying body's shoulders and
        hips stack in the image as they do from the front, and only depth tells them apart.
        The image's :func:`side_on_ratio` also calls a view ``front``: MediaPipe's depth turns a
        person facing the camera by 30-50 degrees on some real clips (a side walk read 0.59 on
        the lateral axis with an image ratio of 0.52). Thresholds from renders with known
        cameras (side views read 0.94-1.0 on the lateral axis, a 33-degree oblique 0.88; front
        views 0.86-0.99 on the front axis; head and feet ends 0.71-0.97 on the long axis) and
        the shared clips (side views' image ratio 0.03-0.24, front views' 0.37-0.61). Without
        world landmarks (a landmark file that lacks them) the image ratio decides alone."""
        lateral, front, long = self.camera_alignment
        r = self.side_on_ratio
        if np.isfinite(lateral):
            if lateral >= VIEW_SIDE_MIN_ALIGNMENT:
                return "side"
            if long >= VIEW_END_MIN_ALIGNMENT and long > front:
                return "end"
            if front >= VIEW_FRONT_MIN_ALIGNMENT or (np.isfinite(r) and r > VIEW_FRONT_MIN):
                return "front"
            return "oblique"
        if not np.isfinite(r):
            return "unknown"
        if r < VIEW_SIDE_MAX:
            return "side"
        if r > VIEW_FRONT_MIN:
            return "front"
        return "oblique"


#: The body axis each view looks along: an index of :attr:`Body.camera_alignment`.
_VIEW_AXES = {"side": 0, "front": 1, "end": 2}
#: The views with a square-on direction, the only ones :meth:`Body.off_view_deg` measures (a
#: check with a camera gate is never judged from an oblique view).
SQUARE_VIEWS = tuple(_VIEW_AXES)
#: Camera alignment (|cos|) with the lateral axis from which a view is ``side`` (28 degrees).
VIEW_SIDE_MIN_ALIGNMENT = 0.88
#: ... with the long axis from which it is ``end`` (45 degrees), with the front axis ``front``.
VIEW_END_MIN_ALIGNMENT = 0.7
VIEW_FRONT_MIN_ALIGNMENT = 0.8
#: Image: side_on_ratio above VIEW_FRONT_MIN reads as a front (or back) view, and without world
#: landmarks below VIEW_SIDE_MAX as a side view (shared clips: side views 0.03-0.24, front
#: views 0.37-0.61).
VIEW_SIDE_MAX = 0.28
VIEW_FRONT_MIN = 0.40
