"""MediaPipe PoseLandmarker's 33 landmarks (BlazePose topology), 0-based, and the skeleton edges.

The order is MediaPipe's own, so index ``i`` of a landmarker result is ``Landmark(i)``.
"""

from __future__ import annotations

from enum import IntEnum
from functools import cache


class Landmark(IntEnum):
    NOSE = 0
    LEFT_EYE_INNER = 1
    LEFT_EYE = 2
    LEFT_EYE_OUTER = 3
    RIGHT_EYE_INNER = 4
    RIGHT_EYE = 5
    RIGHT_EYE_OUTER = 6
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_PINKY = 17
    RIGHT_PINKY = 18
    LEFT_INDEX = 19
    RIGHT_INDEX = 20
    LEFT_THUMB = 21
    RIGHT_THUMB = 22
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


NUM_LANDMARKS = len(Landmark)

#: Lower-case names in MediaPipe order; also the column stems of the wide landmark CSV.
LANDMARK_NAMES: tuple[str, ...] = tuple(lm.name.lower() for lm in Landmark)


def mirror(landmark: Landmark) -> Landmark:
    """The same landmark on the other side of the body (``NOSE`` maps to itself)."""
    parts = landmark.name.split("_")
    swap = {"LEFT": "RIGHT", "RIGHT": "LEFT"}
    return Landmark["_".join(swap.get(p, p) for p in parts)]  # MOUTH_LEFT as well as LEFT_EYE


@cache
def side_landmark(side: str, part: str) -> Landmark:
    """``side_landmark("left", "hip")`` -> ``Landmark.LEFT_HIP``."""
    return Landmark[f"{side.upper()}_{part.upper()}"]


_LEFT_EDGES: tuple[tuple[str, str], ...] = (
    ("shoulder", "elbow"),
    ("elbow", "wrist"),
    ("wrist", "index"),
    ("shoulder", "hip"),
    ("hip", "knee"),
    ("knee", "ankle"),
    ("ankle", "heel"),
    ("heel", "foot_index"),
    ("ankle", "foot_index"),
)

#: Body skeleton edges (0-based landmark pairs), each left edge with its mirror twin, plus the
#: two cross-body edges. Face points other than the nose and ears are left out: they add clutter
#: to the annotation and no check uses them.
SKELETON_EDGES: tuple[tuple[Landmark, Landmark], ...] = (
    *(
        (side_landmark(side, a), side_landmark(side, b))
        for side in ("left", "right")
        for a, b in _LEFT_EDGES
    ),
    (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER),
    (Landmark.LEFT_HIP, Landmark.RIGHT_HIP),
    (Landmark.LEFT_EAR, Landmark.LEFT_SHOULDER),
    (Landmark.RIGHT_EAR, Landmark.RIGHT_SHOULDER),
)
