"""The wide landmark CSV used by public MediaPipe datasets, read and written.

Layout: one row per frame; for each of the 33 landmarks in MediaPipe order the columns
``<name>_x, <name>_y, <name>_z, <name>_v`` (normalised image x and y in [0, 1], MediaPipe's
relative z, visibility). Extra columns are ignored, header case is ignored, and a file may hold
only some landmarks: the others count as not visible (NaN). An optional ``t_ms`` or
``timestamp_ms`` column gives times; otherwise frames are spaced by ``1000 / fps``.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from formcheck.errors import LandmarkFileError, OutputError
from formcheck.frames import PoseFrame
from formcheck.landmarks import LANDMARK_NAMES, NUM_LANDMARKS, Landmark

_AXES = ("x", "y", "z", "v")
_TIME_COLUMNS = ("t_ms", "timestamp_ms", "time_ms")


def _float(cell: str) -> float:
    try:
        return float(cell) if cell.strip() else math.nan
    except ValueError:
        return math.nan


class LandmarkCsv:
    """A landmark CSV opened for reading.

    Args:
        path: the file.
        width, height: pixel size of the video the landmarks came from (to turn normalised
            x/y into pixels).
        fps: frame rate, used when the file has no time column.

    Raises:
        LandmarkFileError: missing/empty file, no landmark columns, or a bad header.
    """

    def __init__(self, path: str | os.PathLike[str], width: int, height: int, fps: float) -> None:
        self.path = Path(path)
        if width <= 0 or height <= 0 or fps <= 0:
            raise LandmarkFileError("--width, --height and --fps must be positive for a landmark file")
        self.width, self.height, self.fps = width, height, fps
        if not self.path.is_file():
            raise LandmarkFileError(f"{self.path}: no such file")
        with open(self.path, newline="", encoding="utf-8-sig") as fh:
            header = next(csv.reader(fh), None)
        if not header:
            raise LandmarkFileError(f"{self.path}: the file is empty")
        lower = [h.strip().lower() for h in header]
        self._columns: dict[tuple[int, str], int] = {}
        for i, name in enumerate(LANDMARK_NAMES):
            for axis in _AXES:
                key = f"{name}_{axis}"
                if key in lower:
                    self._columns[(i, axis)] = lower.index(key)
        self._time_column = next((lower.index(c) for c in _TIME_COLUMNS if c in lower), None)
        self.present = sorted({i for (i, axis) in self._columns if axis in ("x",)
                               if (i, "y") in self._columns})
        if not self.present:
            raise LandmarkFileError(
                f"{self.path}: no landmark columns found (expected e.g. nose_x, nose_y, "
                "left_shoulder_x, ... in MediaPipe order)")

    def missing(self, parts: tuple[str, ...]) -> list[str]:
        """Which ``<side>_<part>`` landmarks (both sides of each part) the file lacks."""
        need = [f"{s}_{p}" for p in parts for s in ("left", "right")]
        return [n for n in need if LANDMARK_NAMES.index(n) not in self.present]

    def frames(self) -> Iterator[PoseFrame]:
        with open(self.path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            next(reader)
            last = -1
            for row_no, row in enumerate(reader):
                if not any(cell.strip() for cell in row):
                    continue
                t_ms = int(round(row_no * 1000.0 / self.fps))
                if self._time_column is not None and self._time_column < len(row):
                    t = _float(row[self._time_column])
                    if math.isfinite(t):
                        t_ms = int(round(t))
                t_ms = max(t_ms, last + 1)
                last = t_ms
                yield self._frame(row, t_ms)

    def _frame(self, row: list[str], t_ms: int) -> PoseFrame:
        vals = np.full((NUM_LANDMARKS, 4), np.nan)
        for (i, axis), col in self._columns.items():
            if col < len(row):
                vals[i, _AXES.index(axis)] = _float(row[col])
        xy = vals[:, :2] * np.array([self.width, self.height])
        # A row with no x/y at all is a frame where no person was found.
        if not np.isfinite(xy).any():
            return PoseFrame.empty(t_ms, (self.width, self.height))
        vis = vals[:, 3]
        # Files without visibility columns: a landmark with coordinates counts as seen.
        vis = np.where(np.isfinite(xy).all(axis=1) & ~np.isfinite(vis), 1.0, vis)
        vis = np.where(np.isfinite(xy).all(axis=1), vis, np.nan)
        depth = vals[:, 2]
        # The CSV carries no world landmarks. Image x, y and MediaPipe's relative z (same scale as
        # x) give a stand-in in pixel units, centred on the hips: angles measured in it are
        # right, lengths are not metres.
        world = np.column_stack([xy, depth * self.width])
        hips = world[[Landmark.LEFT_HIP, Landmark.RIGHT_HIP]]
        if np.isfinite(hips).all():
            world = world - hips.mean(axis=0)
        return PoseFrame(t_ms=t_ms, image_size=(self.width, self.height), xy=xy, world=world,
                         depth=depth, visibility=vis, presence=vis.copy())


class LandmarkCsvWriter:
    """Writes the same layout from a video run (``--save-landmarks``), plus ``t_ms``."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        try:
            self._fh = open(self.path, "w", newline="", encoding="utf-8")
        except OSError as exc:
            raise OutputError(f"cannot write {self.path}: {exc.strerror or exc}") from exc
        self._writer = csv.writer(self._fh)
        self._writer.writerow(["t_ms", *(f"{n}_{a}" for n in LANDMARK_NAMES for a in _AXES)])

    def write(self, frame: PoseFrame) -> None:
        w, h = frame.image_size
        norm = frame.xy / np.array([w, h])
        row: list[object] = [frame.t_ms]
        for i in range(NUM_LANDMARKS):
            for v in (norm[i, 0], norm[i, 1], frame.depth[i], frame.visibility[i]):
                row.append("" if not np.isfinite(v) else f"{v:.5f}")
        self._writer.writerow(row)

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> LandmarkCsvWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
