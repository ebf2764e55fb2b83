"""Raw (unsmoothed) MediaPipe poses of the shared clips, cached under ``benchmarks/_cache/poses``
(git-ignored: landmarks taken from other people's clips are never committed).

Each clip is stored as one ``.npz`` with the :class:`~formcheck.frames.PoseFrame` arrays stacked
over time (``t_ms`` (T,), ``xy`` (T, 33, 2), ``world`` (T, 33, 3), ``depth``, ``visibility``,
``presence`` (T, 33), ``size`` (2,)) and, for clips run with segmentation, ``mask`` (T, H, W)
uint8 (0-255). Used by the recognition benchmark and to tune limits quickly; the accuracy
benchmark runs the whole pipeline on the video itself.

    python benchmarks/_poses.py            # fill the cache for every clip in the manifest
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from _common import CACHE, MEDIA, manifest
from formcheck.frames import PoseFrame

POSES = CACHE / "poses"
def _masked(entry: dict) -> bool:
    """Whether the clip's exercise (or the one it stands in for) needs the person mask."""
    from formcheck.exercises import all_exercises

    known = all_exercises()
    ex = known.get(entry.get("exercise")) or known.get(entry.get("relative_of"))
    return bool(ex and ex.segmentation)


def _path(clip: str) -> Path:
    return POSES / f"{clip}.npz"


def extract(clip: str, segmentation: bool) -> Path:
    from formcheck.capture import VideoFile
    from formcheck.pose import PoseEstimator, PoseOptions

    frames: list[PoseFrame] = []
    with VideoFile(MEDIA / clip) as video, PoseEstimator(PoseOptions(segmentation=segmentation)) as est:
        for vf in video.frames():
            frames.append(est.process(vf.image, vf.t_ms))
    POSES.mkdir(parents=True, exist_ok=True)
    arrays = {name: np.stack([getattr(f, name) for f in frames])
              for name in ("xy", "world", "depth", "visibility", "presence")}
    arrays["t_ms"] = np.array([f.t_ms for f in frames])
    arrays["size"] = np.array(frames[0].image_size)
    if segmentation:
        w, h = frames[0].image_size
        arrays["mask"] = np.stack([
            (np.clip(f.mask, 0, 1) * 255).astype(np.uint8) if f.mask is not None
            else np.zeros((h, w), np.uint8) for f in frames])
    np.savez_compressed(_path(clip), **arrays)
    return _path(clip)


def load(clip: str) -> list[PoseFrame]:
    """The cached raw poses of ``clip`` (extracted on first use)."""
    entry = next((e for e in manifest() if e["file"] == clip), {})
    segmentation = _masked(entry)
    if not _path(clip).is_file():
        extract(clip, segmentation)
    data = np.load(_path(clip))
    size = tuple(int(v) for v in data["size"])
    masks = data["mask"] if "mask" in data else None
    out = []
    for i, t in enumerate(data["t_ms"]):
        mask = masks[i].astype(np.float32) / 255.0 if masks is not None else None
        out.append(PoseFrame(t_ms=int(t), image_size=size, xy=data["xy"][i], world=data["world"][i],
                             depth=data["depth"][i], visibility=data["visibility"][i],
                             presence=data["presence"][i], mask=mask))
    return out


if __name__ == "__main__":
    for e in manifest():
        if not _path(e["file"]).is_file():
            print(e["file"], file=sys.stderr, flush=True)
            extract(e["file"], _masked(e))
