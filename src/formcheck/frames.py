"""The frame types that flow through the pipeline.

``VideoFrame`` comes out of :mod:`formcheck.capture`; ``PoseFrame`` comes out of
:mod:`formcheck.pose` (or a landmark file) and goes, smoothed, into the exercise engine.

Coordinate spaces (the same as MediaPipe's):

- ``xy``: image pixels of the upright frame, x to the right, y **down**, origin top-left.
  Pixels, not MediaPipe's normalised [0, 1], so that an angle measured in the image is the
  same on a 16:9 and a 9:16 frame (normalised x and y have different units).
- ``world``: metres, origin between the hips, x to the person's left when facing the camera
  (image right), y down, z away from the camera (MediaPipe's world landmarks).
- ``depth``: MediaPipe's image-relative depth of each landmark (normalised image z: same scale
  as x / width, smaller = nearer the camera, 0 at the hips). Kept so landmark files round-trip.
- ``visibility``: MediaPipe's likelihood in [0, 1] that the landmark is visible in the image.

A landmark that is missing (no person, not in the file, filtered out) is NaN in every array,
never 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from formcheck.landmarks import NUM_LANDMARKS, Landmark


@dataclass(frozen=True)
class VideoFrame:
    """One decoded, upright RGB frame and its presentation time.

    Attributes:
        index: 0-based position in decode order.
        t_ms: presentation time in milliseconds from the container (strictly increasing).
        image: (H, W, 3) uint8 RGB, already rotated upright.
    """

    index: int
    t_ms: int
    image: np.ndarray

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return self.image.shape[1], self.image.shape[0]


def _nan(shape: tuple[int, ...]) -> np.ndarray:
    return np.full(shape, np.nan, dtype=np.float64)


@dataclass(frozen=True)
class PoseFrame:
    """Pose landmarks of one person at one instant.

    Attributes:
        t_ms: time in milliseconds.
        image_size: (width, height) of the frame the landmarks refer to, in pixels.
        xy: (33, 2) image pixels, y down. NaN where missing.
        world: (33, 3) metres, MediaPipe world frame (see module docstring). NaN where missing.
        depth: (33,) MediaPipe's normalised image z. NaN where missing.
        visibility: (33,) in [0, 1]. NaN where missing.
        presence: (33,) in [0, 1], MediaPipe's likelihood the landmark is in the frame. NaN where
            missing.
        mask: optional (H, W) float32 person segmentation in [0, 1].
    """

    t_ms: int
    image_size: tuple[int, int]
    xy: np.ndarray = field(default_factory=lambda: _nan((NUM_LANDMARKS, 2)))
    world: np.ndarray = field(default_factory=lambda: _nan((NUM_LANDMARKS, 3)))
    depth: np.ndarray = field(default_factory=lambda: _nan((NUM_LANDMARKS,)))
    visibility: np.ndarray = field(default_factory=lambda: _nan((NUM_LANDMARKS,)))
    presence: np.ndarray = field(default_factory=lambda: _nan((NUM_LANDMARKS,)))
    mask: np.ndarray | None = None

    def __post_init__(self) -> None:
        for name, shape in (
            ("xy", (NUM_LANDMARKS, 2)),
            ("world", (NUM_LANDMARKS, 3)),
            ("depth", (NUM_LANDMARKS,)),
            ("visibility", (NUM_LANDMARKS,)),
            ("presence", (NUM_LANDMARKS,)),
        ):
            value = getattr(self, name)
            if value.shape != shape:
                raise ValueError(f"PoseFrame.{name} must have shape {shape}, got {value.shape}")

    @classmethod
    def empty(cls, t_ms: int, image_size: tuple[int, int]) -> PoseFrame:
        """A frame in which no person was found."""
        return cls(t_ms=t_ms, image_size=image_size)

    @cached_property
    def has_person(self) -> bool:
        return bool(np.isfinite(self.xy).all(axis=1).any())

    def point(self, landmark: Landmark) -> np.ndarray:
        """(2,) pixel position of one landmark, NaN if missing."""
        return self.xy[landmark]

    def visible(self, landmark: Landmark, threshold: float = 0.5) -> bool:
        """True when the landmark is present with visibility at or above ``threshold``."""
        v = self.visibility[landmark]
        return bool(np.isfinite(v) and v >= threshold and np.isfinite(self.xy[landmark]).all())
