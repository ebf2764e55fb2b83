"""Reps made of named stages (squat, then row; flex, then extend): a small stateful object
updated frame by frame, built from one :class:`formcheck.reps.RepCounter` per stage.

Every stage's counter watches its own signal all the time; a stage *counts* for the rep under
way when its counter finishes an excursion and it is the stage expected next (or, with
``any_order``, one not yet done). The rep ends when every stage is done. While a stage is under
way, :attr:`PhasedRepCounter.stage` names it, so checks declared for that stage run only then.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from formcheck.body import Body
from formcheck.exercises.spec import PhasedRepCounting
from formcheck.reps import RepBoundary, RepCounter, RepPhase


@dataclass(frozen=True)
class PhasedRepBoundary(RepBoundary):
    """A finished multi-stage rep. Timing fields as :class:`RepBoundary`, taken from the first
    stage (``peak_value``/``rest_value`` in its unit); ``end_ms`` is the last stage's end.
    ``stages`` names the stages in the order they happened, ``stage_s`` their durations,
    ``stage_ranges`` each stage's range in its own unit and ``stage_boundaries`` each stage's
    own boundary (its tempo: time up, pause at the top, time down)."""

    stages: tuple[str, ...] = ()
    stage_s: tuple[float, ...] = ()
    stage_ranges: tuple[float, ...] = ()
    stage_boundaries: tuple[RepBoundary, ...] = ()


class PhasedRepCounter:
    """Counts :class:`PhasedRepCounting` reps. ``observe(t_ms, body)`` returns the phase of the
    stage under way (``rest`` between stages), the signal of that stage (NaN at rest) and, on
    the frame the last stage ends, the rep's :class:`PhasedRepBoundary`."""

    def __init__(self, spec: PhasedRepCounting) -> None:
        self.spec = spec
        self.count = 0
        self.count_by_side: dict[str, int] = {}
        self.at_start = True
        self.stage: str | None = None
        self._counters = {s.name: RepCounter(s.counting) for s in spec.stages}
        self._done: list[tuple[str, RepBoundary]] = []
        self._side_votes: dict[str, int] = {}

    @property
    def in_rep(self) -> bool:
        return bool(self._done) or self.stage is not None

    def _expected(self) -> list[str]:
        done = {name for name, _ in self._done}
        names = [s.name for s in self.spec.stages if s.name not in done]
        return names if self.spec.any_order else names[:1]

    def observe(self, t_ms: int, body: Body) -> tuple[RepPhase, float, PhasedRepBoundary | None]:
        signals: dict[str, float] = {}
        phases: dict[str, RepPhase] = {}
        finished: dict[str, RepBoundary] = {}
        for s in self.spec.stages:
            value = float(s.counting.signal(body)) if body.has_person else math.nan
            phase, b = self._counters[s.name].update(t_ms, value if math.isfinite(value) else math.nan)
            signals[s.name], phases[s.name] = value, phase
            if b is not None:
                finished[s.name] = b
        if self._done and (t_ms - self._done[-1][1].end_ms) / 1000.0 > self.spec.max_gap_s:
            self._done = []  # the next stage never came: start over
        if self.spec.side_of is not None and body.has_person:
            side = self.spec.side_of(body)
            if side is not None:
                self._side_votes[side] = self._side_votes.get(side, 0) + 1
        boundary = None
        for name in [n for n in self._expected() if n in finished]:
            if name in self._expected():
                self._done.append((name, finished[name]))
        if not self._expected():
            boundary = self._rep()
        active = [n for n in self._expected() if phases[n] != "rest"]
        self.stage = active[0] if active else None
        self.at_start = not self._done and self.stage is None and all(
            c.at_start for c in self._counters.values())
        if self.stage is None:
            return "rest", math.nan, boundary
        return phases[self.stage], signals[self.stage], boundary

    def _rep(self) -> PhasedRepBoundary:
        first = self._done[0][1]
        last = self._done[-1][1]
        side = max(self._side_votes, key=self._side_votes.get) if self._side_votes else None
        self.count += 1
        if side is not None:
            self.count_by_side[side] = self.count_by_side.get(side, 0) + 1
        b = PhasedRepBoundary(
            start_ms=first.start_ms, peak_ms=first.peak_ms, end_ms=last.end_ms, side=side,
            rest_value=first.rest_value, peak_value=first.peak_value, time_up_s=first.time_up_s,
            top_pause_s=first.top_pause_s, time_down_s=first.time_down_s,
            stages=tuple(n for n, _ in self._done),
            stage_s=tuple((b.end_ms - b.start_ms) / 1000.0 for _, b in self._done),
            stage_ranges=tuple(b.range for _, b in self._done),
            stage_boundaries=tuple(b for _, b in self._done),
        )
        self._done, self._side_votes = [], {}
        return b

    def finish(self) -> PhasedRepBoundary | None:
        """End of input: a last stage cut short counts if its counter would count it."""
        for name in self._expected():
            b = self._counters[name].finish()
            if b is not None:
                self._done.append((name, b))
        return self._rep() if self._done and not self._expected() else None
