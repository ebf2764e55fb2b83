"""A fake webcam for Chromium: a raw ``.y4m`` (I420) file made from any clip PyAV can read.

Chromium's ``--use-file-for-fake-video-capture`` loops the file at the rate in its header, so
frames are resampled by timestamp to a steady rate (a GIF's own rate can be 4-5 fps) and
letterboxed to the size asked for. About 10 MB per second at 640x360: write it to a temp dir.

``numbered=True`` writes each frame's number into it (:func:`stamp_number`), so a page can tell
which camera frame it is looking at (``benchmarks/live_browser.py`` times frames that way).
"""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import numpy as np


def _letterbox(image: np.ndarray, width: int, height: int) -> np.ndarray:
    h, w = image.shape[:2]
    k = min(width / w, height / h)
    nw, nh = max(2, round(w * k)), max(2, round(h * k))
    canvas = np.zeros((height, width, 3), np.uint8)
    x, y = (width - nw) // 2, (height - nh) // 2
    canvas[y:y + nh, x:x + nw] = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA)
    return canvas


#: The frame-number code: 16 cells of 8x8 px along the bottom edge, right-aligned, white for 1;
#: bits 0-11 the frame number (mod 4096), bits 12-15 a check, ``(number * 7 + 3) % 16``.
CODE_CELL, CODE_BITS = 8, 16


def stamp_number(image: np.ndarray, number: int) -> np.ndarray:
    """``image`` with ``number`` written in the frame-number code (in place; returned)."""
    number %= 4096
    code = number | ((number * 7 + 3) % 16) << 12
    h, w = image.shape[:2]
    left = w - CODE_BITS * CODE_CELL
    for bit in range(CODE_BITS):
        image[h - CODE_CELL:, left + bit * CODE_CELL:left + (bit + 1) * CODE_CELL] = 255 if code >> bit & 1 else 0
    return image


def make_y4m(source: str | Path, dest: str | Path, width: int = 640, height: int = 360,
             fps: int = 30, max_s: float | None = None, numbered: bool = False) -> Path:
    """Write ``source`` as a ``width`` x ``height`` y4m at ``fps``; returns ``dest``."""
    dest = Path(dest)
    with av.open(str(source)) as container:
        stream = container.streams.video[0]
        frames = [(float(f.time or 0.0), f.to_ndarray(format="rgb24")) for f in container.decode(stream)]
    if not frames:
        raise ValueError(f"{source}: no frames")
    t0 = frames[0][0]
    times = np.array([t - t0 for t, _ in frames])
    duration = times[-1] + (times[-1] - times[-2] if len(times) > 1 else 1.0 / fps)
    if max_s is not None:
        duration = min(duration, max_s)
    n_out = max(1, round(duration * fps))
    with open(dest, "wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for i in range(n_out):
            k = int(np.searchsorted(times, i / fps, side="right") - 1)
            rgb = _letterbox(frames[max(k, 0)][1], width, height)
            if numbered:
                stamp_number(rgb, i)
            yuv = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
            out.write(b"FRAME\n")
            out.write(yuv.to_ndarray().tobytes())
    return dest
