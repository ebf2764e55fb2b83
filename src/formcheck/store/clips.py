"""Flagged-rep clips: short H.264 cuts of the annotated video (the rep plus 1 s either side),
written with :class:`formcheck.video_writer.H264Writer` so the review page can play them.

Clips are cut from a video file (:func:`cut_clips`, one decoding pass however many there are)
or written from frames already in memory (:func:`write_clip`, a live set). File names are random
and chosen here; the caller never supplies a path component.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from formcheck.capture import DecodeInterrupted, VideoFile
from formcheck.errors import InputError
from formcheck.frames import VideoFrame
from formcheck.store.series import CONTEXT_S
from formcheck.video_writer import H264Writer

#: A clip longer than this is centred on the worst moment instead (long holds).
MAX_CLIP_S = 20.0
#: Clips bigger than this are not kept (a runaway encode, or a 4K source).
MAX_CLIP_BYTES = 50 * 1024 * 1024
#: Source videos bigger than this are not cut.
MAX_SOURCE_BYTES = 4 * 1024 ** 3


@dataclass(frozen=True)
class ClipWindow:
    """Cut ``[start_s, end_s]`` (seconds of the input) for item ``key``."""

    key: object
    start_s: float
    end_s: float


@dataclass(frozen=True)
class ClipFile:
    """A clip written into a patient's folder: its generated file name, size, and the time in
    the input of its first frame."""

    name: str
    bytes: int
    start_s: float


def clip_window(key: object, start_s: float, end_s: float, focus_s: float | None = None,
                pad_s: float = CONTEXT_S, max_s: float = MAX_CLIP_S) -> ClipWindow:
    """The rep plus ``pad_s`` either side; when that is longer than ``max_s``, ``max_s`` around
    ``focus_s`` (the worst moment) or the start."""
    lo, hi = max(0.0, start_s - pad_s), end_s + pad_s
    if hi - lo > max_s:
        centre = focus_s if focus_s is not None else lo + max_s / 2
        lo = max(lo, centre - max_s / 2)
        hi = lo + max_s
    return ClipWindow(key, lo, hi)


def cut_clips(video: str | os.PathLike[str], windows: list[ClipWindow], folder: Path) -> dict[object, ClipFile]:
    """Cut every window out of ``video`` into ``folder``. Returns key -> :class:`ClipFile` for
    the clips written (a window with no frames, or a clip over :data:`MAX_CLIP_BYTES`, is
    skipped).

    Raises:
        InputError: the video is missing, too big or unreadable.
    """
    path = Path(video)
    if not path.is_file():
        raise InputError(f"{path}: no such video to cut clips from")
    if path.stat().st_size > MAX_SOURCE_BYTES:
        raise InputError(f"{path}: too big to cut clips from ({path.stat().st_size} bytes)")
    if not windows:
        return {}
    _make_folder(folder)
    last_ms = max(w.end_s for w in windows) * 1000.0
    names = {id(w): f"{uuid.uuid4().hex}.mp4" for w in windows}
    writers: dict[int, H264Writer] = {}
    first_ms: dict[int, int] = {}
    try:
        with VideoFile(path) as vf:
            info = vf.info
            fps = info.fps if info.fps and info.fps > 0 else 30.0
            try:
                for frame in vf.frames():
                    if frame.t_ms > last_ms:
                        break
                    for w in windows:
                        if w.start_s * 1000.0 <= frame.t_ms <= w.end_s * 1000.0:
                            writer = writers.get(id(w))
                            if writer is None:
                                writer = writers[id(w)] = H264Writer(folder / names[id(w)], info.width,
                                                                     info.height, fps)
                                first_ms[id(w)] = frame.t_ms
                            writer.write(frame.image, frame.t_ms - first_ms[id(w)])
            except DecodeInterrupted:
                pass  # a damaged tail: keep the clips cut before it
    finally:
        for writer in writers.values():
            writer.close()
    out: dict[object, ClipFile] = {}
    for w in windows:
        if id(w) in writers:
            clip = _kept(folder / names[id(w)], first_ms[id(w)])
            if clip is not None:
                out[w.key] = clip
    return out


def write_clip(frames: Iterable[VideoFrame], folder: Path, fps: float = 30.0) -> ClipFile | None:
    """Write ``frames`` (RGB, one size, times in ms of the input) as one clip in ``folder``;
    None when there are none or the clip is over :data:`MAX_CLIP_BYTES`.

    Raises:
        OutputError: the clip cannot be written.
    """
    it = iter(frames)
    first = next(it, None)
    if first is None:
        return None
    _make_folder(folder)
    path = folder / f"{uuid.uuid4().hex}.mp4"
    with H264Writer(path, first.image.shape[1], first.image.shape[0], fps) as writer:
        writer.write(first.image, 0)
        for frame in it:
            writer.write(frame.image, frame.t_ms - first.t_ms)
    return _kept(path, first.t_ms)


def _make_folder(folder: Path) -> None:
    folder.parent.mkdir(exist_ok=True, mode=0o700)
    folder.mkdir(exist_ok=True, mode=0o700)


def _kept(path: Path, first_ms: int) -> ClipFile | None:
    """The written clip, readable by its owner only, unless it is too big (then removed)."""
    size = path.stat().st_size
    if size > MAX_CLIP_BYTES:
        path.unlink()
        return None
    os.chmod(path, 0o600)
    return ClipFile(path.name, size, round(first_ms / 1000.0, 3))
