"""The wide landmark CSV used by public MediaPipe datasets, read and written.

Layout: one row per frame; for each of the 33 landmarks in MediaPipe order the columns
``<name>_x, <name>_y, <name>_z, <name>_v`` (normalised image x and y in [0, 1], MediaPipe's
relative z, visibility). Extra columns are ignored, header case is ignored, and a file may hold
only some landmarks: the others count as not visible (NaN), and so does a value that is not a
finite number or lies more than :data:`MAX_COORDINATE` frame sizes out. An optional ``t_ms`` or
``timestamp_ms`` column gives times; otherwise frames are spaced by ``1000 / fps``.

A file is read through once when it is opened, so that what would stop the analysis half-way
(an over-long line, a cell the ``csv`` module refuses, bytes that are not UTF-8, a time that is
not a number, goes backwards or jumps absurdly) is refused before any output exists.
"""

from __future__ import annotations

import contextlib
import csv
import itertools
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import numpy as np

from formcheck.errors import LandmarkFileError, OutputError
from formcheck.frames import PoseFrame
from formcheck.inputs import file_problem
from formcheck.landmarks import LANDMARK_NAMES, NUM_LANDMARKS, Landmark
from formcheck.spreadsheet import SpreadsheetSafeWriter

_AXES = ("x", "y", "z", "v")
_TIME_COLUMNS = ("t_ms", "timestamp_ms", "time_ms")

#: A landmark file bigger than this is refused (about 2 hours of 30 fps rows of all 33 landmarks).
MAX_FILE_BYTES = 512 * 1024**2
#: A line longer than this is refused before it is read whole (a row of all 33 landmarks is
#: about 2,000 characters).
MAX_LINE_CHARS = 64 * 1024
#: Frame rates a landmark file may be given (frames per second).
MIN_FPS, MAX_FPS = 1.0, 1000.0
#: Times a row may have (ms): from 0 to a day, and at most this long after the row before.
MAX_TIME_MS = 24 * 3600 * 1000
MAX_GAP_MS = 60 * 1000
#: Normalised coordinates further out than this (frame widths or heights) are not a landmark.
MAX_COORDINATE = 10.0


def _float(cell: str) -> float:
    try:
        value = float(cell) if cell.strip() else math.nan
    except ValueError:
        return math.nan
    return value if math.isfinite(value) else math.nan


class LandmarkCsv:
    """A landmark CSV opened for reading.

    Args:
        path: the file.
        width, height: pixel size of the video the landmarks came from (to turn normalised
            x/y into pixels).
        fps: frame rate, used when the file has no time column.

    Raises:
        LandmarkFileError: missing, empty, not a regular file or too big; no landmark columns
            or no data rows; a line over :data:`MAX_LINE_CHARS`, a malformed cell or bytes that
            are not UTF-8; a time that is not a finite number from 0 to :data:`MAX_TIME_MS`,
            not after the row before, or more than :data:`MAX_GAP_MS` after it; a size or
            rate that is not usable. The message names the file and the line.
    """

    def __init__(self, path: str | os.PathLike[str], width: int, height: int, fps: float) -> None:
        self.path = Path(path)
        if width <= 0 or height <= 0:
            raise LandmarkFileError("--width and --height must be positive for a landmark file")
        if not MIN_FPS <= fps <= MAX_FPS:  # False for NaN too
            raise LandmarkFileError(f"--fps must be a number of frames per second from {MIN_FPS:g} to "
                                    f"{MAX_FPS:g} for a landmark file (got {fps:g})")
        self.width, self.height, self.fps = width, height, fps
        problem = file_problem(self.path, MAX_FILE_BYTES)
        if problem:
            raise LandmarkFileError(f"{self.path}: {problem}")
        with self._rows() as rows:
            header = next(rows, None)
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
        self._time_name = header[self._time_column].strip() if self._time_column is not None else ""
        self.present = sorted({i for (i, axis) in self._columns if axis in ("x",)
                               if (i, "y") in self._columns})
        if not self.present:
            raise LandmarkFileError(
                f"{self.path}: no landmark columns found (expected e.g. nose_x, nose_y, "
                "left_shoulder_x, ... in MediaPipe order)")
        #: data rows (blank lines not counted); reading them checks the whole file
        self.rows = sum(1 for _ in self._timed_rows())
        if not self.rows:
            raise LandmarkFileError(f"{self.path}: no data rows below the header")

    def missing(self, parts: tuple[str, ...]) -> list[str]:
        """Which ``<side>_<part>`` landmarks (both sides of each part) the file lacks."""
        need = [f"{s}_{p}" for p in parts for s in ("left", "right")]
        return [n for n in need if LANDMARK_NAMES.index(n) not in self.present]

    def frames(self) -> Iterator[PoseFrame]:
        for row, t_ms in self._timed_rows():
            yield self._frame(row, t_ms)

    @contextlib.contextmanager
    def _rows(self) -> Iterator[Iterator[list[str]]]:
        """The file's rows, header first, with what the ``csv`` module or the decoder raises
        turned into a :class:`LandmarkFileError` naming the line."""
        with open(self.path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(_lines(fh, self.path))

            def rows() -> Iterator[list[str]]:
                try:
                    yield from reader
                except csv.Error as exc:
                    raise LandmarkFileError(
                        f"{self.path}: line {reader.line_num}: not a landmark CSV ({exc})") from None
                except UnicodeDecodeError as exc:  # decoded in chunks: no line number to give
                    raise LandmarkFileError(f"{self.path}: not UTF-8 text ({exc.reason}): save it as UTF-8") from None

            yield rows()

    def _timed_rows(self) -> Iterator[tuple[list[str], int]]:
        """Each non-blank data row with its time in whole ms (strictly increasing: MediaPipe's
        rule, kept for landmarks too), refusing a time that is not usable."""
        with self._rows() as rows:
            next(rows)
            last_ms, previous = -1, None
            for row_no, row in enumerate(rows):
                if not any(cell.strip() for cell in row):
                    continue
                if self._time_column is None:
                    t = row_no * 1000.0 / self.fps
                else:
                    t = self._time(row, previous, line=row_no + 2)
                    previous = t
                t_ms = max(int(round(t)), last_ms + 1)
                last_ms = t_ms
                yield row, t_ms

    def _time(self, row: list[str], previous: float | None, line: int) -> float:
        cell = row[self._time_column] if self._time_column < len(row) else ""
        try:
            t = float(cell)
        except ValueError:
            t = math.nan
        why = None
        if not 0 <= t <= MAX_TIME_MS:  # False for NaN too
            why = f"is not a time in ms from 0 to {MAX_TIME_MS} (a day)"
        elif previous is not None and t <= previous:
            why = f"is not after the row before ({previous:g})"
        elif previous is not None and t - previous > MAX_GAP_MS:
            why = f"comes {(t - previous) / 1000:g} s after the row before (at most {MAX_GAP_MS // 1000} s)"
        if why:
            raise LandmarkFileError(f"{self.path}: line {line}: {self._time_name} {cell.strip()!r} {why}")
        return t

    def _frame(self, row: list[str], t_ms: int) -> PoseFrame:
        vals = np.full((NUM_LANDMARKS, 4), np.nan)
        for (i, axis), col in self._columns.items():
            if col < len(row):
                vals[i, _AXES.index(axis)] = _float(row[col])
        coords = vals[:, :3]
        vals[:, :3] = np.where(np.abs(coords) <= MAX_COORDINATE, coords, np.nan)
        xy = vals[:, :2] * np.array([self.width, self.height])
        xy[~np.isfinite(xy).all(axis=1)] = np.nan  # a point needs both coordinates
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


def _lines(fh: TextIO, path: Path) -> Iterator[str]:
    """The file's lines, refusing one longer than :data:`MAX_LINE_CHARS` before it is read
    whole (a 50 MB one-line file would otherwise become millions of cells in memory)."""
    for number in itertools.count(1):
        line = fh.readline(MAX_LINE_CHARS + 1)
        if not line:
            return
        if len(line) > MAX_LINE_CHARS:
            raise LandmarkFileError(f"{path}: line {number} is longer than {MAX_LINE_CHARS:,} characters: "
                                    "not a landmark CSV")
        yield line


class LandmarkCsvWriter:
    """Writes the same layout from a video run (``--save-landmarks``), plus ``t_ms``."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        try:
            self._fh = open(self.path, "w", newline="", encoding="utf-8")
        except OSError as exc:
            raise OutputError(f"cannot write {self.path}: {exc.strerror or exc}") from exc
        self._writer = SpreadsheetSafeWriter(self._fh)
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
