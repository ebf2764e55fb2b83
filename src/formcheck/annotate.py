"""Drawing on frames. Each annotator is a small callable ``annotate(image, data) -> image`` with
its style fixed at construction; they chain in any order. They draw **in place** on the RGB
array they are given and return it (pass a copy to keep the original). No metric is computed
here: everything drawn comes from the engine's :class:`~formcheck.engine.FrameResult`.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from formcheck.engine import FrameResult
from formcheck.exercises.spec import Exercise, StepCounting
from formcheck.frames import PoseFrame
from formcheck.landmarks import SKELETON_EDGES

# RGB colours.
GREEN = (60, 200, 90)
RED = (235, 70, 60)
GREY = (170, 170, 170)
WHITE = (255, 255, 255)
BLACK = (0, 0, 0)
AMBER = (250, 190, 40)
STATE_COLOURS = {"ok": GREEN, "flag": RED, "unknown": GREY}


def _scale(image: np.ndarray) -> float:
    """Line/text scale so drawings read the same on a 360p and a 1080p frame."""
    return max(image.shape[0], image.shape[1]) / 1280.0


def _text(image: np.ndarray, text: str, org: tuple[int, int], size: float, colour,
          thickness: int = 1, background: bool = True) -> None:
    font = cv2.FONT_HERSHEY_SIMPLEX
    (w, h), base = cv2.getTextSize(text, font, size, thickness)
    x, y = org
    if background:
        cv2.rectangle(image, (x - 4, y - h - 6), (x + w + 4, y + base + 2), BLACK, -1)
    cv2.putText(image, text, (x, y), font, size, colour, thickness, cv2.LINE_AA)


@dataclass(frozen=True)
class SkeletonAnnotator:
    """Bones and joints of the pose; joints below ``min_visibility`` are skipped."""

    min_visibility: float = 0.5
    colour: tuple[int, int, int] = WHITE

    def __call__(self, image: np.ndarray, pose: PoseFrame) -> np.ndarray:
        if not pose.has_person:
            return image
        s = _scale(image)
        th = max(1, int(round(3 * s)))
        ok = np.isfinite(pose.xy).all(axis=1) & (np.nan_to_num(pose.visibility) >= self.min_visibility)
        pts = np.nan_to_num(pose.xy).astype(int)
        for a, b in SKELETON_EDGES:
            if ok[a] and ok[b]:
                cv2.line(image, tuple(pts[a]), tuple(pts[b]), self.colour, th, cv2.LINE_AA)
        for i in np.flatnonzero(ok):
            cv2.circle(image, tuple(pts[i]), max(2, th + 1), AMBER, -1, cv2.LINE_AA)
        return image


@dataclass(frozen=True)
class ChecksAnnotator:
    """One line per check, top-left: title, value with unit, coloured by state."""

    exercise: Exercise

    def __call__(self, image: np.ndarray, result: FrameResult) -> np.ndarray:
        s = _scale(image)
        size = 0.6 * max(s, 0.5)
        y = int(30 * max(s, 0.6))
        step = int(28 * max(s, 0.6))
        for check in self.exercise.checks:
            r = result.readings[check.id]
            value = "--" if not np.isfinite(r.value) else f"{r.value:.0f} {check.unit}"
            _text(image, f"{check.title}: {value}", (10, y), size, STATE_COLOURS[r.state],
                  max(1, int(round(1.5 * s))))
            y += step
        return image


@dataclass(frozen=True)
class CounterAnnotator:
    """Rep count (or hold time) top-right."""

    exercise: Exercise

    def __call__(self, image: np.ndarray, result: FrameResult) -> np.ndarray:
        s = max(_scale(image), 0.5)
        if self.exercise.kind == "hold":
            text = f"hold {result.hold_s:4.1f} s"
        elif isinstance(self.exercise.counting, StepCounting):
            text = f"steps {result.rep_count}"
        elif self.exercise.kind == "reps":
            text = f"reps {result.rep_count}" + (f" ({result.stage})" if result.stage else "")
        else:
            text = "person" if result.has_person else "no person"
        (w, _), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 0.9 * s, 2)
        _text(image, text, (image.shape[1] - w - 14, int(36 * s)), 0.9 * s, WHITE, max(1, int(2 * s)))
        return image


@dataclass(frozen=True)
class OverlayAnnotator:
    """The engine's polylines (``FrameResult.overlays``, e.g. the traced back line of cat/cow),
    drawn as open lines with a dot at each end."""

    colour: tuple[int, int, int] = (255, 60, 200)  # magenta: stands out on skin, clothes and blue mats

    def __call__(self, image: np.ndarray, result: FrameResult) -> np.ndarray:
        overlays = getattr(result, "overlays", None) or {}
        if not overlays:
            return image
        th = max(2, int(round(4 * _scale(image))))
        for line in overlays.values():
            pts = np.round(line).astype(np.int32).reshape(-1, 1, 2)
            cv2.polylines(image, [pts], False, self.colour, th, cv2.LINE_AA)
            for end in (pts[0, 0], pts[-1, 0]):
                cv2.circle(image, (int(end[0]), int(end[1])), th + 2, self.colour, -1, cv2.LINE_AA)
        return image


@dataclass(frozen=True)
class CueAnnotator:
    """The cue on screen, large, at the bottom."""

    def __call__(self, image: np.ndarray, result: FrameResult) -> np.ndarray:
        if result.cue is None:
            return image
        s = max(_scale(image), 0.45)
        colour = {"correction": RED, "praise": GREEN, "setup": AMBER}[result.cue.kind]
        _text(image, result.cue.text, (14, image.shape[0] - int(24 * s)), 1.0 * s, colour,
              max(1, int(2 * s)))
        return image


@dataclass(frozen=True)
class FrameAnnotator:
    """The standard composition used for annotated videos and the live page."""

    exercise: Exercise
    min_visibility: float = 0.5

    def __call__(self, image: np.ndarray, pose: PoseFrame, result: FrameResult) -> np.ndarray:
        SkeletonAnnotator(self.min_visibility)(image, pose)
        OverlayAnnotator()(image, result)
        ChecksAnnotator(self.exercise)(image, result)
        CounterAnnotator(self.exercise)(image, result)
        CueAnnotator()(image, result)
        return image
