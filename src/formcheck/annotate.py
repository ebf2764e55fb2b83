"""Drawing on frames. Each annotator is a small callable ``annotate(image, result) -> image``
(:class:`Annotator`) with its style fixed at construction, drawing what the engine's
:class:`~formcheck.engine.FrameResult` holds; :class:`Compose` chains them, and
:func:`video_annotator` / :func:`live_annotator` build the standard chains once per set.
They draw **in place** on the RGB array they are given and return it (pass a copy to keep the
original). No metric is computed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np

from formcheck.engine import FrameResult
from formcheck.exercises.spec import Exercise, StepCounting
from formcheck.landmarks import SKELETON_EDGES

# RGB colours.
GREEN = (60, 200, 90)
RED = (235, 70, 60)
GREY = (170, 170, 170)
WHITE = (255, 255, 255)
BLACK = (0, 0, 0)
AMBER = (250, 190, 40)
STATE_COLOURS = {"ok": GREEN, "flag": RED, "unknown": GREY}
FONT = cv2.FONT_HERSHEY_SIMPLEX


def _scale(image: np.ndarray) -> float:
    """Line/text scale so drawings read the same on a 360p and a 1080p frame."""
    return max(image.shape[0], image.shape[1]) / 1280.0


def _text(image: np.ndarray, text: str, org: tuple[int, int], size: float, colour,
          thickness: int = 1, background: bool = True) -> None:
    (w, h), base = cv2.getTextSize(text, FONT, size, thickness)
    x, y = org
    if background:
        cv2.rectangle(image, (x - 4, y - h - 6), (x + w + 4, y + base + 2), BLACK, -1)
    cv2.putText(image, text, (x, y), FONT, size, colour, thickness, cv2.LINE_AA)


class Annotator(Protocol):
    """Draws one layer of a frame's result on ``image`` (in place) and returns it."""

    def __call__(self, image: np.ndarray, result: FrameResult) -> np.ndarray: ...


@dataclass(frozen=True)
class Compose:
    """Annotators applied in order (later layers on top)."""

    annotators: tuple[Annotator, ...]

    def __call__(self, image: np.ndarray, result: FrameResult) -> np.ndarray:
        for annotate in self.annotators:
            image = annotate(image, result)
        return image


@dataclass(frozen=True)
class SkeletonAnnotator:
    """Bones and joints of the pose; joints below ``min_visibility`` are skipped."""

    min_visibility: float = 0.5
    colour: tuple[int, int, int] = WHITE

    def __call__(self, image: np.ndarray, result: FrameResult) -> np.ndarray:
        pose = result.pose
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
        (w, _), _ = cv2.getTextSize(text, FONT, 0.9 * s, 2)
        _text(image, text, (image.shape[1] - w - 14, int(36 * s)), 0.9 * s, WHITE, max(1, int(2 * s)))
        return image


@dataclass(frozen=True)
class OverlayAnnotator:
    """The engine's polylines (``FrameResult.overlays``, e.g. the traced back line of cat/cow),
    drawn as open lines with a dot at each end."""

    colour: tuple[int, int, int] = (255, 60, 200)  # magenta: stands out on skin, clothes and blue mats

    def __call__(self, image: np.ndarray, result: FrameResult) -> np.ndarray:
        if not result.overlays:
            return image
        th = max(2, int(round(4 * _scale(image))))
        for line in result.overlays.values():
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
class SetStripAnnotator:
    """Under the counter (top-right): a line of per-side counts (reps per side) or time in good
    form (holds), then one small box per finished rep or hold, green when it passed, red when a
    check flagged (the last ``max_items``)."""

    exercise: Exercise
    max_items: int = 12

    def line(self, result: FrameResult) -> str:
        if self.exercise.kind == "hold":
            return f"good form {result.good_s:4.1f} s" if result.holding else ""
        if self.exercise.per_side and self.exercise.kind == "reps":
            by = result.count_by_side
            return f"L {by.get('left', 0)}  R {by.get('right', 0)}"
        return ""

    def __call__(self, image: np.ndarray, result: FrameResult) -> np.ndarray:
        s = max(_scale(image), 0.5)
        w = image.shape[1]
        size, th = 0.55 * s * 1.3, max(1, round(1.5 * s))
        y = int(70 * s)
        line = self.line(result)
        if line:
            (tw, fh), base = cv2.getTextSize(line, FONT, size, th)
            x = w - tw - 14
            cv2.rectangle(image, (x - 4, y - fh - 6), (x + tw + 4, y + base + 2), BLACK, -1)
            cv2.putText(image, line, (x, y), FONT, size, WHITE, th, cv2.LINE_AA)
            y += int(14 * s)
        box = int(26 * s)
        gap = int(5 * s)
        shown = result.items[-self.max_items:]
        x = w - 14 - len(shown) * (box + gap) + gap
        for item in shown:
            colour = RED if item.flags else GREEN
            cv2.rectangle(image, (x, y), (x + box, y + box), colour, -1)
            label = str(item.index) + ("" if item.side is None else item.side[:1].upper())
            (tw, fh), _ = cv2.getTextSize(label, FONT, 0.4 * s * 1.3, th)
            cv2.putText(image, label, (x + (box - tw) // 2, y + (box + fh) // 2), FONT,
                        0.4 * s * 1.3, BLACK, th, cv2.LINE_AA)
            x += box + gap
        return image


@dataclass(frozen=True)
class BannerAnnotator:
    """A wide band across the middle of the frame with a title and a detail line (e.g. "Set
    ended" over the live video); it does not depend on the frame's result, which may be None."""

    title: str
    detail: str = ""
    colour: tuple[int, int, int] = RED

    def __call__(self, image: np.ndarray, result: FrameResult | None = None) -> np.ndarray:
        s = max(_scale(image), 0.5)
        h, w = image.shape[:2]
        top, bottom = int(h * 0.38), int(h * 0.62)
        band = image[top:bottom]
        band[:] = (band * 0.35 + np.array(self.colour) * 0.65 * 0.6).astype(np.uint8)
        th = max(1, round(2 * s))
        for text, size, y in ((self.title, 1.1 * s * 1.4, top + int((bottom - top) * 0.45)),
                              (self.detail, 0.55 * s * 1.4, top + int((bottom - top) * 0.8))):
            if not text:
                continue
            (tw, _), _ = cv2.getTextSize(text, FONT, size, th)
            cv2.putText(image, text, ((w - tw) // 2, y), FONT, size, WHITE, th, cv2.LINE_AA)
        return image


def video_annotator(exercise: Exercise, min_visibility: float = 0.5) -> Compose:
    """The annotated video's layers: skeleton, overlays, check values, counter, cue."""
    return Compose((SkeletonAnnotator(min_visibility), OverlayAnnotator(), ChecksAnnotator(exercise),
                    CounterAnnotator(exercise), CueAnnotator()))


def live_annotator(exercise: Exercise, min_visibility: float = 0.5) -> Compose:
    """The live video's layers: :func:`video_annotator`'s and the set strip."""
    return Compose((*video_annotator(exercise, min_visibility).annotators, SetStripAnnotator(exercise)))
