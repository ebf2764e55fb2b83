"""H.264 MP4 output through PyAV (libx264 ships in PyAV's wheels), which browsers play.

OpenCV's ``mp4v`` fourcc writes MPEG-4 Part 2, which Chrome and Firefox refuse; this writer
exists so every video formcheck writes (annotated analyses, renders, flagged-rep clips) plays
in the Streamlit page.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from formcheck.errors import OutputError


class H264Writer:
    """Append RGB frames with their own timestamps to an H.264 MP4. Use as a context manager.

    Frames are written with their presentation time in milliseconds (``t_ms``), so a
    variable-frame-rate input stays in sync. Odd frame sizes are padded by one pixel because
    yuv420p needs even dimensions.

    Args:
        path: output ``.mp4``.
        width, height: frame size in pixels.
        fps: nominal rate, written as the stream's average rate.
        crf: x264 quality (lower = better, 23 is x264's default).
        preset: x264 speed preset.
        threads: x264 threads; 0 lets x264 choose (about 1.5 per core). A writer fed from its
            own thread while other work runs (``api.analyze``) does best with 1: x264's
            threading overhead costs CPU the pose model needs, and one thread keeps up.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        width: int,
        height: int,
        fps: float = 30.0,
        crf: int = 23,
        preset: str = "veryfast",
        threads: int = 0,
    ) -> None:
        self.path = Path(path)
        self.width = width + (width % 2)
        self.height = height + (height % 2)
        try:
            # PyAV opens the file only when the first packet is written; open it here so a bad
            # path fails now, with a clear message, not half-way through an analysis.
            self.path.open("wb").close()
            # movflags is a muxer option: the index goes to the front so a browser can start
            # playing before the whole file has arrived.
            self._container = av.open(str(self.path), mode="w", format="mp4",
                                      options={"movflags": "+faststart"})
        except (av.error.FFmpegError, OSError) as exc:
            raise OutputError(f"cannot write video {self.path}: {exc}") from exc
        self._stream = self._container.add_stream(
            "libx264", rate=Fraction(fps).limit_denominator(1001)
        )
        self._stream.width = self.width
        self._stream.height = self.height
        self._stream.pix_fmt = "yuv420p"
        self._stream.time_base = Fraction(1, 1000)
        self._stream.codec_context.time_base = Fraction(1, 1000)
        self._stream.options = {"crf": str(crf), "preset": preset}
        if threads:
            self._stream.codec_context.thread_count = threads
        self._last_pts = -1
        self.frames_written = 0

    def write(self, image: np.ndarray, t_ms: int) -> None:
        """Append one (H, W, 3) uint8 RGB frame shown at ``t_ms`` milliseconds."""
        h, w = image.shape[:2]
        if (w, h) != (self.width, self.height):
            padded = np.zeros((self.height, self.width, 3), dtype=np.uint8)
            padded[: min(h, self.height), : min(w, self.width)] = image[: self.height, : self.width]
            image = padded
        # OpenCV's RGB -> I420 is several times faster than letting swscale convert rgb24 in
        # encode(), with the same BT.601 limited-range result.
        yuv = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2YUV_I420)
        frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
        pts = max(int(t_ms), self._last_pts + 1)
        frame.pts = pts
        frame.time_base = Fraction(1, 1000)
        self._last_pts = pts
        try:
            for packet in self._stream.encode(frame):
                self._container.mux(packet)
        except (av.error.FFmpegError, OSError) as exc:
            raise OutputError(f"cannot write video {self.path}: {exc}") from exc
        self.frames_written += 1

    def close(self) -> None:
        if self._container is None:
            return
        for packet in self._stream.encode():
            self._container.mux(packet)
        self._container.close()
        self._container = None

    def __enter__(self) -> H264Writer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
