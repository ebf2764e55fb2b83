"""Per-frame metric series, kept per rep in the store so the review page can plot a rep's
metrics beside its clip without the analysis folder.

A series is JSON: ``{"t_s": [...], "signal": [...], "<check id>": [...]}`` with null where the
value was unknown, at most :data:`MAX_POINTS` points (evenly thinned), times in seconds of the
input.
"""

from __future__ import annotations

import csv
import math
import os
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

#: Context kept either side of a rep in its series (and its clip), seconds.
CONTEXT_S = 1.0
MAX_POINTS = 300
#: A live recorder keeps this much history to cut series from.
BUFFER_S = 180.0


class _Reading(Protocol):
    @property
    def value(self) -> float: ...


class MeasuredFrame(Protocol):
    """What a series keeps of a frame (the engine's ``FrameResult`` is one): its time, the rep
    signal and each check's value."""

    @property
    def t_ms(self) -> int: ...

    @property
    def signal(self) -> float: ...

    @property
    def readings(self) -> Mapping[str, _Reading]: ...


class FrameSeries:
    """A time-ordered buffer of per-frame values (``t_ms`` plus named numbers).

    Args:
        names: the value names (``signal`` and the check ids), in column order.
        keep_s: drop frames older than this behind the newest (None keeps everything).
    """

    def __init__(self, names: list[str], keep_s: float | None = BUFFER_S) -> None:
        self.names = list(names)
        self.keep_ms = None if keep_s is None else keep_s * 1000.0
        self._rows: deque[tuple[int, tuple[float | None, ...]]] = deque()

    def __len__(self) -> int:
        return len(self._rows)

    def append(self, t_ms: int, values: dict[str, float]) -> None:
        row = tuple(_finite(values.get(n)) for n in self.names)
        self._rows.append((int(t_ms), row))
        if self.keep_ms is not None:
            while self._rows and t_ms - self._rows[0][0] > self.keep_ms:
                self._rows.popleft()

    def observe(self, frame: MeasuredFrame) -> None:
        """Append a frame's rep signal and check values (an engine ``FrameResult``)."""
        values = {cid: r.value for cid, r in frame.readings.items()}
        values["signal"] = frame.signal
        self.append(frame.t_ms, values)

    def window(self, start_s: float, end_s: float, pad_s: float = CONTEXT_S,
               max_points: int = MAX_POINTS) -> dict[str, list[float | None]] | None:
        """The series from ``start_s - pad_s`` to ``end_s + pad_s``; None when no frame falls
        inside."""
        lo, hi = (start_s - pad_s) * 1000.0, (end_s + pad_s) * 1000.0
        rows = [r for r in self._rows if lo <= r[0] <= hi]
        if not rows:
            return None
        if len(rows) > max_points:
            step = len(rows) / max_points
            rows = [rows[int(i * step)] for i in range(max_points)]
        out: dict[str, list[float | None]] = {"t_s": [round(t / 1000.0, 3) for t, _ in rows]}
        for k, name in enumerate(self.names):
            out[name] = [v[k] for _, v in rows]
        return out

    @classmethod
    def from_frames_csv(cls, path: str | os.PathLike[str], check_ids: list[str]) -> FrameSeries:
        """Read ``frames.csv`` (as written by :class:`formcheck.report.FramesCsvWriter`)."""
        series = cls(["signal", *check_ids], keep_s=None)
        with open(Path(path), newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                try:
                    t = int(row["t_ms"])
                except (KeyError, ValueError):
                    continue
                series.append(t, {n: _parse(row.get(n)) for n in series.names})
        return series


def _parse(cell: str | None) -> float | None:
    if cell in (None, ""):
        return None
    try:
        return float(cell)
    except ValueError:
        return None


def _finite(x: float | None) -> float | None:
    if x is None:
        return None
    x = float(x)
    return round(x, 3) if math.isfinite(x) else None


def worst_time(series: dict[str, list[float | None]] | None, check_id: str, worst: float | None,
               start_s: float, end_s: float) -> float | None:
    """When inside [start_s, end_s] the check's value came closest to its recorded worst value."""
    if not series or check_id not in series or worst is None:
        return None
    best: tuple[float, float] | None = None
    for t, v in zip(series["t_s"], series[check_id]):
        if v is None or not (start_s <= t <= end_s):
            continue
        d = abs(v - worst)
        if best is None or d < best[0]:
            best = (d, t)
    return best[1] if best else None
