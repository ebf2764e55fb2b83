"""Frames in: video files (PyAV) and cameras (OpenCV), as upright RGB frames with millisecond
timestamps taken from the container, never from a frame counter.

PyAV is the reference decoder: it gives true presentation times on variable-frame-rate phone
clips and per-frame delays in GIFs, and reports the rotation flag phones write, which we apply
so every frame comes out upright. Frames are decoded one at a time, so memory stays flat however
long the file is.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from formcheck.errors import InputError
from formcheck.frames import VideoFrame
from formcheck.inputs import file_problem

VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".avi", ".webm", ".mkv", ".gif")


@dataclass(frozen=True)
class VideoInfo:
    """What the container says about a video before decoding it.

    Attributes:
        path: the file.
        width, height: upright frame size in pixels (after rotation).
        fps: average frame rate the container reports (VFR clips vary around it).
        duration_s: container duration in seconds, NaN when unknown.
        frame_count: frames the container declares, 0 when unknown.
        rotation: clockwise degrees applied to make frames upright (0, 90, 180, 270).
        codec: decoder name.
    """

    path: Path
    width: int
    height: int
    fps: float
    duration_s: float
    frame_count: int
    rotation: int
    codec: str


class DecodeInterrupted(InputError):
    """Decoding stopped part-way (truncated or damaged file). Frames before it were delivered."""


def _upright(image: np.ndarray, rotation: int) -> np.ndarray:
    # PyAV's frame.rotation is the anticlockwise angle the display matrix asks for.
    turns = (rotation // 90) % 4
    return np.ascontiguousarray(np.rot90(image, k=turns)) if turns else image


class VideoFile:
    """A video file opened for streaming decode. Use as a context manager.

    Raises:
        InputError: at construction, when the file is missing, empty, or not a video.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        problem = file_problem(self.path)
        if problem:
            raise InputError(f"{self.path}: {problem}")
        try:
            self._container = av.open(str(self.path))
        except (av.error.FFmpegError, UnicodeDecodeError) as exc:
            raise InputError(f"{self.path}: not a readable video ({_reason(exc)})") from exc
        if not self._container.streams.video:
            self._container.close()
            raise InputError(f"{self.path}: the file has no video stream")
        self._stream = self._container.streams.video[0]
        self._stream.thread_type = "AUTO"
        self.info = self._probe()

    def _probe(self) -> VideoInfo:
        s = self._stream
        cc = s.codec_context
        rate = s.average_rate or s.guessed_rate or s.base_rate
        fps = float(rate) if rate else float("nan")
        if s.duration is not None and s.time_base is not None:
            duration = float(s.duration * s.time_base)
        elif self._container.duration is not None:
            duration = self._container.duration / av.time_base
        else:
            duration = float("nan")
        rotation = 0
        try:
            first = next(self._container.decode(s))
            rotation = int(round(getattr(first, "rotation", 0) or 0)) % 360
        except (StopIteration, av.error.FFmpegError):
            pass
        self._container.seek(0, stream=s) if _seekable(self._container) else None
        width, height = cc.width, cc.height
        if rotation in (90, 270):
            width, height = height, width
        if not width or not height:
            raise InputError(f"{self.path}: the video stream has no frame size")
        return VideoInfo(
            path=self.path,
            width=width,
            height=height,
            fps=fps,
            duration_s=duration,
            frame_count=int(s.frames or 0),
            rotation=rotation,
            codec=cc.name,
        )

    def frames(self) -> Iterator[VideoFrame]:
        """Decode frames in order, upright RGB, with strictly increasing ``t_ms``.

        Raises:
            DecodeInterrupted: when the file is damaged part-way; frames already yielded stand.
            InputError: when not a single frame can be decoded.
        """
        self._reopen()
        last_ms = -1
        index = 0
        try:
            for frame in self._container.decode(self._stream):
                if frame.pts is None or frame.time is None:
                    t_ms = last_ms + 1
                else:
                    t_ms = int(round(frame.time * 1000.0))
                # MediaPipe's VIDEO mode needs strictly increasing timestamps; a duplicate pts
                # (seen in some GIFs and edited clips) moves on by one millisecond.
                t_ms = max(t_ms, last_ms + 1)
                last_ms = t_ms
                image = _upright(frame.to_ndarray(format="rgb24"), self.info.rotation)
                yield VideoFrame(index=index, t_ms=t_ms, image=image)
                index += 1
        except av.error.FFmpegError as exc:
            if index == 0:
                raise InputError(f"{self.path}: no frame could be decoded ({_reason(exc)})") from exc
            raise DecodeInterrupted(
                f"{self.path}: decoding stopped after {index} frames ({_reason(exc)})"
            ) from exc
        if index == 0:
            raise InputError(f"{self.path}: the video has no frames")
        declared = self.info.frame_count
        # A file cut short (an interrupted copy or upload) whose index sits at the front just
        # ends early: FFmpeg treats the missing bytes as end of file, so only the count the
        # header declares tells. A little slack allows for edit lists that hide a frame or two.
        if declared and declared - index > max(2, declared // 100):
            raise DecodeInterrupted(
                f"{self.path}: the file ends after {index} of the {declared} frames its header "
                "declares (truncated?)"
            )

    def _reopen(self) -> None:
        self._container.close()
        self._container = av.open(str(self.path))
        self._stream = self._container.streams.video[0]
        self._stream.thread_type = "AUTO"

    def close(self) -> None:
        self._container.close()

    def __enter__(self) -> VideoFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _seekable(container: av.container.InputContainer) -> bool:
    return container.format.name not in ("gif",)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]


class Camera:
    """A local camera by device index, read with OpenCV. Timestamps are monotonic milliseconds
    since the camera opened (a live source has no container clock). Use as a context manager.

    Raises:
        InputError: when the device cannot be opened or stops delivering frames.
    """

    def __init__(self, index: int = 0, width: int = 640, height: int = 480) -> None:
        import time

        import cv2

        self._cv2 = cv2
        self._clock = time.monotonic
        self.index = index
        # OpenCV logs every backend it tried when a camera is missing; our message says it once.
        previous = cv2.utils.logging.getLogLevel()
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
        try:
            self._cap = cv2.VideoCapture(index)
        finally:
            cv2.utils.logging.setLogLevel(previous)
        if not self._cap.isOpened():
            self._cap.release()
            raise InputError(
                f"camera {index} could not be opened: is it plugged in, and not in use by another "
                "program? Try another index with --camera N."
            )
        self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        self._t0 = self._clock()

    def frames(self) -> Iterator[VideoFrame]:
        index = 0
        last_ms = -1
        while True:
            ok, bgr = self._cap.read()
            if not ok:
                raise InputError(f"camera {self.index} stopped delivering frames (unplugged?)")
            t_ms = max(int((self._clock() - self._t0) * 1000), last_ms + 1)
            last_ms = t_ms
            yield VideoFrame(index=index, t_ms=t_ms, image=self._cv2.cvtColor(bgr, self._cv2.COLOR_BGR2RGB))
            index += 1

    def close(self) -> None:
        self._cap.release()

    def __enter__(self) -> Camera:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
