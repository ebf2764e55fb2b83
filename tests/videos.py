"""Small videos made at test time with PyAV, with known content and timestamps: rotated phone
clips, variable-frame-rate clips, long clips, clips with nobody in them. Nothing here comes
from the shared media (those clips are used by path only)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

# Four flat quadrant colours: any rotation or flip of the frame moves them to other corners.
QUADRANTS = {
    "top_left": (230, 30, 30),
    "top_right": (30, 200, 30),
    "bottom_left": (30, 30, 230),
    "bottom_right": (230, 230, 30),
}


def quadrant_image(width: int, height: int) -> np.ndarray:
    """An (H, W, 3) RGB image split in four flat-coloured quadrants (see ``QUADRANTS``)."""
    img = np.zeros((height, width, 3), dtype=np.uint8)
    h2, w2 = height // 2, width // 2
    img[:h2, :w2] = QUADRANTS["top_left"]
    img[:h2, w2:] = QUADRANTS["top_right"]
    img[h2:, :w2] = QUADRANTS["bottom_left"]
    img[h2:, w2:] = QUADRANTS["bottom_right"]
    return img


def corner_colours(image: np.ndarray, inset: float = 0.25) -> dict[str, np.ndarray]:
    """The colour at the centre of each quadrant of ``image`` (robust to compression)."""
    h, w = image.shape[:2]
    ys = {"top": int(h * inset), "bottom": int(h * (1 - inset))}
    xs = {"left": int(w * inset), "right": int(w * (1 - inset))}
    return {f"{v}_{u}": image[ys[v], xs[u]].astype(int) for v in ys for u in xs}


def write_clip(path: str | os.PathLike[str], images: Iterable[np.ndarray], pts_ms: Sequence[int] | None = None,
               fps: float = 30.0, rotation: int | None = None, preset: str = "ultrafast") -> Path:
    """Encode RGB ``images`` to an H.264 MP4 with PyAV.

    Args:
        pts_ms: presentation time of each frame in milliseconds (default ``i * 1000 / fps``).
        rotation: display-matrix rotation written on the stream, anticlockwise degrees (what a
            phone writes: the stored picture must be turned by this to show upright).
    """
    path = Path(path)
    container = av.open(str(path), mode="w", format="mp4")
    stream = None
    for i, image in enumerate(images):
        if stream is None:
            stream = container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
            stream.height, stream.width = image.shape[:2]
            stream.pix_fmt = "yuv420p"
            stream.time_base = Fraction(1, 1000)
            stream.codec_context.time_base = Fraction(1, 1000)
            stream.options = {"preset": preset, "crf": "20"}
            if rotation is not None:
                stream.set_display_rotation(rotation)
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
        frame.pts = int(pts_ms[i]) if pts_ms is not None else round(i * 1000.0 / fps)
        frame.time_base = Fraction(1, 1000)
        for packet in stream.encode(frame):
            container.mux(packet)
    assert stream is not None, "write_clip needs at least one image"
    for packet in stream.encode():
        container.mux(packet)
    container.close()
    return path


def decode_times_ms(path: str | os.PathLike[str]) -> list[int]:
    """Presentation times of every frame as PyAV decodes them, with no formcheck code involved."""
    with av.open(str(path)) as container:
        return [round(f.time * 1000) for f in container.decode(video=0)]


def count_frames(path: str | os.PathLike[str]) -> tuple[int, str]:
    """(frames decoded, codec name) straight from PyAV."""
    with av.open(str(path)) as container:
        codec = container.streams.video[0].codec_context.name
        return sum(1 for _ in container.decode(video=0)), codec


#: Files that are not videos, each with the words its error message must contain: one table
#: for the library's errors (test_capture) and the command line's (test_cli_errors).
BAD_FILES = [
    ("missing", lambda p: None, "no such file"),
    ("empty", lambda p: p.write_bytes(b""), "empty"),
    ("text-as-mp4", lambda p: p.write_text("this is not a video\n" * 20), "not a readable video"),
    ("random-bytes", lambda p: p.write_bytes(np.random.default_rng(1).bytes(200_000)),
     "not a readable video|no frame"),
    ("folder", lambda p: p.mkdir(), "folder"),
]
