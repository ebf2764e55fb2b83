"""Extra drawing for the live video, on top of :class:`formcheck.annotate.FrameAnnotator`
(skeleton, check values, counter, cue): the per-rep strip, per-side counts or time in good
form, and the banner shown once a set has ended.

Same contract as :mod:`formcheck.annotate`: small callables that draw **in place** on an RGB
array and return it; nothing is measured here.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from formcheck.annotate import BLACK, GREEN, RED, WHITE

FONT = cv2.FONT_HERSHEY_SIMPLEX


@dataclass(frozen=True)
class StripItem:
    """One finished rep or hold for the strip: its number, side (or None) and flagged checks
    (titles; empty = pass)."""

    index: int
    side: str | None
    flags: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.flags


def _scale(image: np.ndarray) -> float:
    return max(max(image.shape[:2]) / 1280.0, 0.5)


@dataclass(frozen=True)
class SetStripAnnotator:
    """Under the counter (top-right): a line of side counts or good-form time, then one small
    box per finished rep/hold, green when it passed, red when a check flagged (the last ones
    that fit)."""

    max_items: int = 12

    def __call__(self, image: np.ndarray, line: str, items: tuple[StripItem, ...]) -> np.ndarray:
        s = _scale(image)
        w = image.shape[1]
        size, th = 0.55 * s * 1.3, max(1, round(1.5 * s))
        y = int(70 * s)
        if line:
            (tw, fh), base = cv2.getTextSize(line, FONT, size, th)
            x = w - tw - 14
            cv2.rectangle(image, (x - 4, y - fh - 6), (x + tw + 4, y + base + 2), BLACK, -1)
            cv2.putText(image, line, (x, y), FONT, size, WHITE, th, cv2.LINE_AA)
            y += int(14 * s)
        box = int(26 * s)
        gap = int(5 * s)
        shown = items[-self.max_items:]
        x = w - 14 - len(shown) * (box + gap) + gap
        for item in shown:
            colour = GREEN if item.passed else RED
            cv2.rectangle(image, (x, y), (x + box, y + box), colour, -1)
            label = str(item.index) + ("" if item.side is None else item.side[:1].upper())
            (tw, fh), _ = cv2.getTextSize(label, FONT, 0.4 * s * 1.3, th)
            cv2.putText(image, label, (x + (box - tw) // 2, y + (box + fh) // 2), FONT,
                        0.4 * s * 1.3, BLACK, th, cv2.LINE_AA)
            x += box + gap
        return image


@dataclass(frozen=True)
class BannerAnnotator:
    """A wide band across the middle of the frame with one or two lines of text."""

    colour: tuple[int, int, int] = RED

    def __call__(self, image: np.ndarray, title: str, detail: str = "") -> np.ndarray:
        s = _scale(image)
        h, w = image.shape[:2]
        top, bottom = int(h * 0.38), int(h * 0.62)
        band = image[top:bottom]
        band[:] = (band * 0.35 + np.array(self.colour) * 0.65 * 0.6).astype(np.uint8)
        th = max(1, round(2 * s))
        for text, size, y in ((title, 1.1 * s * 1.4, top + int((bottom - top) * 0.45)),
                              (detail, 0.55 * s * 1.4, top + int((bottom - top) * 0.8))):
            if not text:
                continue
            (tw, _), _ = cv2.getTextSize(text, FONT, size, th)
            cv2.putText(image, text, ((w - tw) // 2, y), FONT, size, WHITE, th, cv2.LINE_AA)
        return image
