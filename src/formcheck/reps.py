"""Rep counting and hold timing: small stateful objects updated frame by frame, so a live
camera and a file share one code path."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, Protocol

from formcheck.body import Body
from formcheck.exercises.spec import HoldTiming, RepCounting

RepPhase = Literal["rest", "up", "top", "down"]


@dataclass(frozen=True)
class RepBoundary:
    """A finished rep's timing from the counter (checks are added by the engine).

    Times are in milliseconds of the input. ``time_up_s`` runs from start to first reaching the
    top band, ``top_pause_s`` is the time spent in the top band, ``time_down_s`` from leaving
    the top band to the end.
    """

    start_ms: int
    peak_ms: int
    end_ms: int
    side: str | None
    rest_value: float
    peak_value: float
    time_up_s: float
    top_pause_s: float
    time_down_s: float

    @property
    def range(self) -> float:
        """Peak signal minus the signal at the start, in the signal's unit."""
        return self.peak_value - self.rest_value


class RepTracker(Protocol):
    """What the engine asks of every counter of reps (:class:`RepCounter`; steps,
    :class:`formcheck.steps.StepCounter`; multi-stage reps,
    :class:`formcheck.phases.PhasedRepCounter`): fed one body per frame, in time order.

    Attributes:
        count: reps (or steps) counted so far.
        count_by_side: the same per side (or walking direction).
        at_start: this frame is where the next rep would start (relative checks take their
            reference here).
        stage: the stage under way of a multi-stage rep, else None.
    """

    count: int
    count_by_side: dict[str, int]
    at_start: bool
    stage: str | None

    @property
    def in_rep(self) -> bool:
        """A rep is under way (started, not yet ended or abandoned)."""

    def observe(self, t_ms: int, body: Body) -> tuple[RepPhase, float, RepBoundary | None]:
        """This frame's phase, rep signal (NaN when not measured) and, on the frame a rep
        ends, its boundary."""

    def finish(self) -> RepBoundary | None:
        """End of input: the rep under way, if it counts."""


class RepCounter:
    """Counts reps on :class:`RepCounting`'s signal with a rest/enter hysteresis band.

    ``update`` returns the phase for this frame and, on the frame a rep ends, its
    :class:`RepBoundary`. Phases while a rep is under way: ``up`` below ``enter``, ``top`` at
    or above ``enter`` and within ``top_band`` of the highest value so far, ``down`` after
    that. The tempo figures are computed when the rep ends, against the rep's final peak. A NaN
    signal (person lost) keeps the current phase; a rep whose signal is lost for longer than
    ``max_gap_s`` is abandoned.

    A rep starts where the movement starts: the last rest frame whose signal was within
    ``START_BAND`` of the way from the lowest rest value up to ``enter`` (not where the signal
    crosses ``rest``, which would cut the first part of the lift off the tempo and off the
    reference of relative checks). ``at_start`` is true on such frames.
    """

    START_BAND = 0.15

    def __init__(self, spec: RepCounting, max_gap_s: float = 2.0) -> None:
        self.spec = spec
        self.max_gap_s = max_gap_s
        self.count = 0
        self.count_by_side: dict[str, int] = {}
        self._in_rep = False
        self._last_rest_ms: int | None = None
        self._last_rest_value = float("nan")
        self._last_seen_ms: int | None = None
        self._samples: list[tuple[int, float]] = []
        self._side_votes: dict[str, int] = {}
        self._peak = -math.inf
        self._confirmed = False
        self._rest_min = math.inf
        self.at_start = False
        self.stage: str | None = None

    @property
    def in_rep(self) -> bool:
        return self._in_rep

    def observe(self, t_ms: int, body: Body) -> tuple[RepPhase, float, RepBoundary | None]:
        """:meth:`update` with the spec's signal and side measured on ``body``."""
        value = float(self.spec.signal(body)) if body.has_person else math.nan
        value = value if math.isfinite(value) else math.nan
        side = self.spec.side_of(body) if self.spec.side_of is not None and body.has_person else None
        phase, boundary = self.update(t_ms, value, side)
        return phase, value, boundary

    def update(self, t_ms: int, value: float, side: str | None = None) -> tuple[RepPhase, RepBoundary | None]:
        spec = self.spec
        self.at_start = False
        if not math.isfinite(value):
            if self._in_rep and self._last_seen_ms is not None and (t_ms - self._last_seen_ms) / 1000 > self.max_gap_s:
                self._in_rep = False
            return ("up" if self._in_rep else "rest"), None
        self._last_seen_ms = t_ms
        if not self._in_rep:
            if value <= spec.rest:
                self._rest_min = min(self._rest_min, value)
                if value <= self._rest_min + self.START_BAND * (spec.enter - self._rest_min):
                    self._last_rest_ms, self._last_rest_value = t_ms, value
                    self.at_start = True
                return "rest", None
            self._in_rep, self._confirmed, self._peak = True, False, -math.inf
            self._samples, self._side_votes = [], {}
            if self._last_rest_ms is None:
                self._last_rest_ms, self._last_rest_value = t_ms, value
        self._samples.append((t_ms, value))
        if side is not None:
            self._side_votes[side] = self._side_votes.get(side, 0) + 1
        self._peak = max(self._peak, value)
        self._confirmed = self._confirmed or value >= spec.enter
        if value <= spec.rest:
            return "rest", self._end_rep(t_ms, value)
        if self._confirmed and value >= self._peak - spec.top_band:
            return "top", None
        return ("down" if self._confirmed else "up"), None

    def finish(self) -> RepBoundary | None:
        """End of input in the middle of a rep: count it if it reached the top and has come
        back down at least half-way (a clip cut just before the very end of the last rep)."""
        if not (self._in_rep and self._confirmed and self._samples):
            return None
        t_ms, value = self._samples[-1]
        rest = self._last_rest_value if math.isfinite(self._last_rest_value) else self.spec.rest
        if value > self._peak - 0.5 * (self._peak - rest):
            return None
        return self._end_rep(t_ms, value)

    def _end_rep(self, t_ms: int, value: float) -> RepBoundary | None:
        self._in_rep = False
        start_ms = self._last_rest_ms if self._last_rest_ms is not None else t_ms
        rest_value = self._last_rest_value
        self._last_rest_ms, self._last_rest_value = t_ms, value
        self._rest_min = value
        if not self._confirmed or (t_ms - start_ms) / 1000.0 < self.spec.min_rep_s:
            return None
        times = [t for t, _ in self._samples]
        values = [v for _, v in self._samples]
        peak_i = max(range(len(values)), key=values.__getitem__)
        top = [i for i, v in enumerate(values) if v >= values[peak_i] - self.spec.top_band]
        top_first, top_last = times[top[0]], times[top[-1]]
        side = max(self._side_votes, key=self._side_votes.get) if self._side_votes else None
        self.count += 1
        if side is not None:
            self.count_by_side[side] = self.count_by_side.get(side, 0) + 1
        return RepBoundary(
            start_ms=start_ms,
            peak_ms=times[peak_i],
            end_ms=t_ms,
            side=side,
            rest_value=rest_value,
            peak_value=values[peak_i],
            time_up_s=(top_first - start_ms) / 1000.0,
            top_pause_s=(top_last - top_first) / 1000.0,
            time_down_s=(t_ms - top_last) / 1000.0,
        )


@dataclass(frozen=True)
class HoldSpan:
    """A finished hold. ``good_s`` is time in position with no check flagged; ``longest_good_s``
    the longest unbroken stretch of that."""

    start_ms: int
    end_ms: int
    good_s: float
    longest_good_s: float

    @property
    def duration_s(self) -> float:
        return (self.end_ms - self.start_ms) / 1000.0


class HoldTimer:
    """Times holds per :class:`HoldTiming`: in position (with a grace period for brief exits),
    and within that, the time with every check ``ok``."""

    def __init__(self, spec: HoldTiming) -> None:
        self.spec = spec
        self._start_ms: int | None = None
        self._last_in_ms: int | None = None
        self._prev_ms: int | None = None
        self._good_s = 0.0
        self._run_s = 0.0
        self._longest_s = 0.0

    @property
    def holding(self) -> bool:
        return self._start_ms is not None

    def elapsed_s(self, t_ms: int) -> float:
        return 0.0 if self._start_ms is None else (t_ms - self._start_ms) / 1000.0

    @property
    def good_s(self) -> float:
        return self._good_s

    def update(self, t_ms: int, in_position: bool, form_ok: bool) -> HoldSpan | None:
        prev, self._prev_ms = self._prev_ms, t_ms
        if in_position:
            if self._start_ms is None:
                self._start_ms = t_ms
                self._good_s = self._run_s = self._longest_s = 0.0
            elif prev is not None:
                dt = (t_ms - prev) / 1000.0
                if form_ok:
                    self._good_s += dt
                    self._run_s += dt
                    self._longest_s = max(self._longest_s, self._run_s)
                else:
                    self._run_s = 0.0
            self._last_in_ms = t_ms
            return None
        if self._start_ms is not None and self._last_in_ms is not None:
            self._run_s = 0.0  # out of position breaks a good stretch, even within the grace
            if (t_ms - self._last_in_ms) / 1000.0 > self.spec.grace_s:
                return self.finish()
        return None

    def finish(self) -> HoldSpan | None:
        """End the hold in progress (end of input); None when too short or none under way."""
        if self._start_ms is None or self._last_in_ms is None:
            return None
        span = HoldSpan(self._start_ms, self._last_in_ms, self._good_s, self._longest_s)
        self._start_ms = self._last_in_ms = None
        return span if span.duration_s >= self.spec.min_hold_s else None
