"""Per-frame state of one check: ``ok``, ``flag`` or ``unknown``, with hysteresis and a minimum
duration so that a value wobbling around the limit does not flicker."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from formcheck.exercises.spec import Check

State = Literal["ok", "flag", "unknown"]


@dataclass(frozen=True)
class CheckReading:
    """One check at one frame.

    Attributes:
        value: the metric (relative checks: change from the rep's start), NaN when unknown.
        state: ``ok``, ``flag`` or ``unknown`` (not measurable now: landmarks hidden, wrong
            view, or the check does not apply in this phase).
        excess: how far past the limit, in the metric's unit (negative = inside).
    """

    value: float
    state: State
    excess: float


class CheckTracker:
    """Turns a stream of metric values into states for one check.

    Flags once the value has been past ``limit`` for ``min_duration_s``; clears once it is back
    inside by ``hysteresis``. A NaN value gives ``unknown``; a gap longer than ``max_gap_s``
    forgets the state (a flag, or time already spent past the limit), a shorter one (a dropped
    frame or two) does not.
    """

    max_gap_s = 0.5

    def __init__(self, check: Check, limit: float | None = None) -> None:
        self.check = check
        self.limit = check.limit if limit is None else float(limit)
        self._flagged = False
        self._past_since_ms: int | None = None
        self._last_known_ms: int | None = None

    def reset(self) -> None:
        self._flagged = False
        self._past_since_ms = None

    def update(self, value: float, t_ms: int) -> CheckReading:
        if not math.isfinite(value):
            if self._last_known_ms is None or (t_ms - self._last_known_ms) / 1000.0 > self.max_gap_s:
                self.reset()
            return CheckReading(value=float("nan"), state="unknown", excess=float("nan"))
        if self._last_known_ms is not None and (t_ms - self._last_known_ms) / 1000.0 > self.max_gap_s:
            self.reset()
        self._last_known_ms = t_ms
        excess = self.check.past_limit(value, self.limit)
        if self._flagged:
            if excess < -self.check.hysteresis:
                self._flagged = False
                self._past_since_ms = None
        elif excess > 0:
            if self._past_since_ms is None:
                self._past_since_ms = t_ms
            if (t_ms - self._past_since_ms) / 1000.0 >= self.check.min_duration_s:
                self._flagged = True
        else:
            self._past_since_ms = None
        return CheckReading(value=value, state="flag" if self._flagged else "ok", excess=excess)
