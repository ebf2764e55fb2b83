"""Drawing on frames. Each annotator says what to draw for a frame's
:class:`~formcheck.engine.FrameResult` as a list of :data:`Shape` (lines, discs, rectangles,
text) in the pixels of the picture it goes on (``shapes(result, size)``), and calling it
``annotate(image, result) -> image`` draws those shapes with OpenCV. :class:`Compose` chains
annotators, and :func:`video_annotator` / :func:`live_annotator` build the standard chains once
per set.

The shapes are the one definition of what a frame shows, its colours and labels: the annotated
video draws them with :func:`draw`, and the live page sends them to the browser
(:func:`to_plain`), which draws the same list on a canvas over the camera preview. Drawing is
**in place** on the RGB array given, which is returned (pass a copy to keep the original). No
metric is computed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, Union

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
#: Height (px) OpenCV gives a line of :data:`FONT` text at scale 1: ``Text.size`` / this is
#: OpenCV's font scale.
FONT_HEIGHT = cv2.getTextSize("H", FONT, 1.0, 1)[0][1]

Point = tuple[float, float]
Colour = tuple[int, int, int]


@dataclass(frozen=True)
class Line:
    """An open polyline (two points: a segment), ``width`` px wide."""

    points: tuple[Point, ...]
    colour: Colour
    width: int


@dataclass(frozen=True)
class Disc:
    """A filled circle."""

    centre: Point
    radius: float
    colour: Colour


@dataclass(frozen=True)
class Rect:
    """A filled rectangle from (x0, y0) to (x1, y1); ``opacity`` below 1 blends it over the
    picture."""

    x0: float
    y0: float
    x1: float
    y1: float
    colour: Colour
    opacity: float = 1.0


@dataclass(frozen=True)
class Text:
    """One line of text.

    Attributes:
        x, y: where the baseline starts (``align="left"``), ends (``"right"``) or has its
            middle (``"centre"``); with ``middle=True`` ``y`` is the text's vertical middle.
        size: the text's height in px (capitals; OpenCV's measure of a line of text).
        weight: stroke width in px (2 and more reads as bold).
        background: a box behind the text (4 px margin), or None.
    """

    text: str
    x: float
    y: float
    size: float
    colour: Colour
    weight: int = 1
    align: Literal["left", "right", "centre"] = "left"
    middle: bool = False
    background: Colour | None = None


Shape = Union[Line, Disc, Rect, Text]


def _scale(size: tuple[int, int]) -> float:
    """Line/text scale so drawings read the same on a 360p and a 1080p picture."""
    return max(size) / 1280.0


def _font(scale: float) -> float:
    """``Text.size`` for an OpenCV font scale (the drawing's sizes are set that way)."""
    return scale * FONT_HEIGHT


# -- drawing -------------------------------------------------------------------------------------
def draw(image: np.ndarray, shapes: Sequence[Shape]) -> np.ndarray:
    """Draw ``shapes`` on the (H, W, 3) uint8 RGB ``image``, in order, in place; returns it."""
    for shape in shapes:
        if isinstance(shape, Line):
            pts = np.round(np.asarray(shape.points)).astype(np.int32).reshape(-1, 1, 2)
            cv2.polylines(image, [pts], False, shape.colour, shape.width, cv2.LINE_AA)
        elif isinstance(shape, Disc):
            centre = (int(round(shape.centre[0])), int(round(shape.centre[1])))
            cv2.circle(image, centre, int(round(shape.radius)), shape.colour, -1, cv2.LINE_AA)
        elif isinstance(shape, Rect):
            _draw_rect(image, shape)
        else:
            _draw_text(image, shape)
    return image


def _draw_rect(image: np.ndarray, rect: Rect) -> None:
    x0, y0 = max(0, int(round(rect.x0))), max(0, int(round(rect.y0)))
    x1, y1 = int(round(rect.x1)), int(round(rect.y1))
    if rect.opacity >= 1.0:
        cv2.rectangle(image, (x0, y0), (x1, y1), rect.colour, -1)
        return
    region = image[y0:y1, x0:x1]
    region[:] = (region * (1.0 - rect.opacity) + np.array(rect.colour) * rect.opacity).astype(np.uint8)


def _draw_text(image: np.ndarray, text: Text) -> None:
    scale = text.size / FONT_HEIGHT
    (w, h), base = cv2.getTextSize(text.text, FONT, scale, text.weight)
    x = text.x - {"left": 0, "right": w, "centre": w / 2}[text.align]
    y = text.y + h / 2 if text.middle else text.y
    x, y = int(round(x)), int(round(y))
    if text.background is not None:
        cv2.rectangle(image, (x - 4, y - h - 6), (x + w + 4, y + base + 2), text.background, -1)
    cv2.putText(image, text.text, (x, y), FONT, scale, text.colour, text.weight, cv2.LINE_AA)


def to_plain(shapes: Sequence[Shape]) -> list[dict]:
    """The shapes as JSON-ready data for the browser's overlay (``live_camera/overlay.js``
    draws it): ``{"kind": "line" | "disc" | "rect" | "text", ...}`` with the fields above,
    colours as ``#rrggbb``, coordinates to 0.1 px."""

    def colour(c: Colour | None) -> str | None:
        return None if c is None else "#%02x%02x%02x" % tuple(int(v) for v in c)

    out = []
    for s in shapes:
        if isinstance(s, Line):
            out.append({"kind": "line", "points": [[round(x, 1), round(y, 1)] for x, y in s.points],
                        "colour": colour(s.colour), "width": s.width})
        elif isinstance(s, Disc):
            out.append({"kind": "disc", "x": round(s.centre[0], 1), "y": round(s.centre[1], 1),
                        "radius": round(s.radius, 1), "colour": colour(s.colour)})
        elif isinstance(s, Rect):
            out.append({"kind": "rect", "x0": round(s.x0, 1), "y0": round(s.y0, 1), "x1": round(s.x1, 1),
                        "y1": round(s.y1, 1), "colour": colour(s.colour), "opacity": s.opacity})
        else:
            out.append({"kind": "text", "text": s.text, "x": round(s.x, 1), "y": round(s.y, 1),
                        "size": round(s.size, 1), "colour": colour(s.colour), "weight": s.weight,
                        "align": s.align, "middle": s.middle, "background": colour(s.background)})
    return out


# -- annotators ----------------------------------------------------------------------------------
class Annotator(Protocol):
    """One layer of a frame's drawing: ``shapes`` for a picture of ``size`` (width, height);
    called, it draws them on ``image`` (in place) and returns it."""

    def shapes(self, result: FrameResult, size: tuple[int, int]) -> list[Shape]: ...

    def __call__(self, image: np.ndarray, result: FrameResult) -> np.ndarray: ...


class Layer:
    """What every annotator shares: calling it draws its :meth:`shapes` on the image."""

    def shapes(self, result: FrameResult, size: tuple[int, int]) -> list[Shape]:
        raise NotImplementedError

    def __call__(self, image: np.ndarray, result: FrameResult) -> np.ndarray:
        return draw(image, self.shapes(result, (image.shape[1], image.shape[0])))


@dataclass(frozen=True)
class Compose(Layer):
    """Annotators applied in order (later layers on top)."""

    annotators: tuple[Annotator, ...]

    def shapes(self, result: FrameResult, size: tuple[int, int]) -> list[Shape]:
        return [s for annotate in self.annotators for s in annotate.shapes(result, size)]


def _to_picture(result: FrameResult, size: tuple[int, int]) -> tuple[float, float]:
    """Factors from the pixels the pose model saw to the picture's (the live page runs pose on
    a smaller frame than it shows)."""
    w, h = result.pose.image_size
    return (size[0] / w, size[1] / h) if w and h else (1.0, 1.0)


@dataclass(frozen=True)
class SkeletonAnnotator(Layer):
    """Bones and joints of the pose; joints below ``min_visibility`` are skipped."""

    min_visibility: float = 0.5
    colour: Colour = WHITE

    def shapes(self, result: FrameResult, size: tuple[int, int]) -> list[Shape]:
        pose = result.pose
        if not pose.has_person:
            return []
        th = max(1, int(round(3 * _scale(size))))
        ok = np.isfinite(pose.xy).all(axis=1) & (np.nan_to_num(pose.visibility) >= self.min_visibility)
        kx, ky = _to_picture(result, size)
        pts = [(float(x) * kx, float(y) * ky) for x, y in np.nan_to_num(pose.xy)]
        out: list[Shape] = [Line((pts[a], pts[b]), self.colour, th) for a, b in SKELETON_EDGES if ok[a] and ok[b]]
        out += [Disc(pts[i], max(2, th + 1), AMBER) for i in np.flatnonzero(ok)]
        return out


@dataclass(frozen=True)
class ChecksAnnotator(Layer):
    """One line per check, top-left: title, value with unit, coloured by state."""

    exercise: Exercise

    def shapes(self, result: FrameResult, size: tuple[int, int]) -> list[Shape]:
        s = _scale(size)
        font = _font(0.6 * max(s, 0.5))
        y = int(30 * max(s, 0.6))
        step = int(28 * max(s, 0.6))
        out: list[Shape] = []
        for check in self.exercise.checks:
            r = result.readings[check.id]
            value = "--" if not np.isfinite(r.value) else f"{r.value:.0f} {check.unit}"
            out.append(Text(f"{check.title}: {value}", 10, y, font, STATE_COLOURS[r.state],
                            max(1, int(round(1.5 * s))), background=BLACK))
            y += step
        return out


@dataclass(frozen=True)
class CounterAnnotator(Layer):
    """Rep count (or hold time) top-right."""

    exercise: Exercise

    def shapes(self, result: FrameResult, size: tuple[int, int]) -> list[Shape]:
        s = max(_scale(size), 0.5)
        if self.exercise.kind == "hold":
            text = f"hold {result.hold_s:4.1f} s"
        elif isinstance(self.exercise.counting, StepCounting):
            text = f"steps {result.rep_count}"
        elif self.exercise.kind == "reps":
            text = f"reps {result.rep_count}" + (f" ({result.stage})" if result.stage else "")
        else:
            text = "person" if result.has_person else "no person"
        return [Text(text, size[0] - 14, int(36 * s), _font(0.9 * s), WHITE, max(1, int(2 * s)),
                     align="right", background=BLACK)]


@dataclass(frozen=True)
class OverlayAnnotator(Layer):
    """The engine's polylines (``FrameResult.overlays``, e.g. the traced back line of cat/cow),
    drawn as open lines with a dot at each end."""

    colour: Colour = (255, 60, 200)  # magenta: stands out on skin, clothes and blue mats

    def shapes(self, result: FrameResult, size: tuple[int, int]) -> list[Shape]:
        th = max(2, int(round(4 * _scale(size))))
        kx, ky = _to_picture(result, size)
        out: list[Shape] = []
        for line in result.overlays.values():
            pts = tuple((float(x) * kx, float(y) * ky) for x, y in line)
            out.append(Line(pts, self.colour, th))
            out += [Disc(end, th + 2, self.colour) for end in (pts[0], pts[-1])]
        return out


@dataclass(frozen=True)
class CueAnnotator(Layer):
    """The cue on screen, large, at the bottom."""

    def shapes(self, result: FrameResult, size: tuple[int, int]) -> list[Shape]:
        if result.cue is None:
            return []
        s = max(_scale(size), 0.45)
        colour = {"correction": RED, "praise": GREEN, "setup": AMBER}[result.cue.kind]
        return [Text(result.cue.text, 14, size[1] - int(24 * s), _font(1.0 * s), colour,
                     max(1, int(2 * s)), background=BLACK)]


@dataclass(frozen=True)
class SetStripAnnotator(Layer):
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

    def shapes(self, result: FrameResult, size: tuple[int, int]) -> list[Shape]:
        s = max(_scale(size), 0.5)
        w = size[0]
        th = max(1, round(1.5 * s))
        y = int(70 * s)
        out: list[Shape] = []
        line = self.line(result)
        if line:
            out.append(Text(line, w - 14, y, _font(0.55 * s * 1.3), WHITE, th, align="right",
                            background=BLACK))
            y += int(14 * s)
        box = int(26 * s)
        gap = int(5 * s)
        shown = result.items[-self.max_items:]
        x = w - 14 - len(shown) * (box + gap) + gap
        for item in shown:
            out.append(Rect(x, y, x + box, y + box, RED if item.flags else GREEN))
            label = str(item.index) + ("" if item.side is None else item.side[:1].upper())
            out.append(Text(label, x + box / 2, y + box / 2, _font(0.4 * s * 1.3), BLACK, th,
                            align="centre", middle=True))
            x += box + gap
        return out


@dataclass(frozen=True)
class BannerAnnotator(Layer):
    """A wide band across the middle of the picture with a title and a detail line (e.g. "Set
    ended" over the live video); it does not depend on the frame's result, which may be None."""

    title: str
    detail: str = ""
    colour: Colour = RED

    def shapes(self, result: FrameResult | None, size: tuple[int, int]) -> list[Shape]:
        s = max(_scale(size), 0.5)
        w, h = size
        top, bottom = int(h * 0.38), int(h * 0.62)
        th = max(1, round(2 * s))
        band = tuple(int(c * 0.6) for c in self.colour)
        out: list[Shape] = [Rect(0, top, w, bottom, band, opacity=0.65)]
        for text, font, y in ((self.title, _font(1.1 * s * 1.4), top + int((bottom - top) * 0.45)),
                              (self.detail, _font(0.55 * s * 1.4), top + int((bottom - top) * 0.8))):
            if text:
                out.append(Text(text, w / 2, y, font, WHITE, th, align="centre"))
        return out

    def __call__(self, image: np.ndarray, result: FrameResult | None = None) -> np.ndarray:
        return draw(image, self.shapes(result, (image.shape[1], image.shape[0])))


def video_annotator(exercise: Exercise, min_visibility: float = 0.5) -> Compose:
    """The annotated video's layers: skeleton, overlays, check values, counter, cue."""
    return Compose((SkeletonAnnotator(min_visibility), OverlayAnnotator(), ChecksAnnotator(exercise),
                    CounterAnnotator(exercise), CueAnnotator()))


def live_annotator(exercise: Exercise, min_visibility: float = 0.5) -> Compose:
    """The live picture's layers: :func:`video_annotator`'s and the set strip."""
    return Compose((*video_annotator(exercise, min_visibility).annotators, SetStripAnnotator(exercise)))
