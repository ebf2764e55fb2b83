"""Step counting for walks (band side walk, monster walk): a small stateful object updated frame
by frame, like :class:`formcheck.reps.RepCounter`, whose steps the engine reports as reps.

A *step* is one foot moving and then the other foot following it in the same direction; its
side is the direction's name. Each foot is tracked on its own: it is *moving* while its position
along the walking axis changes by more than ``move_ratio`` torso lengths within ``window_s``
(a window, not a frame-to-frame speed, so pose jitter at 30 fps and the big jumps of a 2 fps GIF
read alike). A movement that ends at least ``min_step_ratio`` torso lengths from where it began
is that foot's step; shorter ones are shuffles and are ignored.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from formcheck.body import Body
from formcheck.exercises.spec import StepCounting
from formcheck.reps import RepBoundary, RepPhase


@dataclass(frozen=True)
class StepBoundary(RepBoundary):
    """A finished step as a rep: ``start_ms`` the first foot starting, ``peak_ms`` the first
    foot settling, ``end_ms`` the second foot settling; ``side`` the direction; ``peak_value``
    the step length (first foot's travel, torso lengths, ``rest_value`` 0);
    ``time_up_s`` the first foot's move, ``top_pause_s`` the wait before the second foot,
    ``time_down_s`` the second foot's move; ``pause_before_s`` the time both feet were still
    before the step (infinite for the first step); ``lead`` the side of the foot that led."""

    pause_before_s: float = math.inf
    lead: str | None = None


@dataclass
class _FootMove:
    foot: str
    start_ms: int
    end_ms: int
    travel: float  # torso lengths, signed (+ toward directions[1])


@dataclass
class _Foot:
    """One foot's track: recent positions, and the movement under way if any."""

    name: str
    history: deque = field(default_factory=lambda: deque(maxlen=256))
    moving_since: int | None = None
    origin: float = math.nan
    last_ms: int | None = None

    def update(self, t_ms: int, pos: float, window_ms: float, move: float) -> _FootMove | None:
        """Feed one position (torso lengths); returns a finished movement on the frame it ends."""
        if not math.isfinite(pos):
            return None
        self.history.append((t_ms, pos))
        while len(self.history) > 2 and self.history[1][0] <= t_ms - window_ms:
            self.history.popleft()
        ref_t, ref = self.history[0]
        changing = abs(pos - ref) > move and t_ms > ref_t
        done = None
        if changing and self.moving_since is None:
            self.moving_since, self.origin = ref_t, ref
        elif not changing and self.moving_since is not None:
            done = _FootMove(self.name, self.moving_since, self.last_ms or t_ms, pos - self.origin)
            self.moving_since = None
        self.last_ms = t_ms
        return done


class StepCounter:
    """Counts steps per :class:`StepCounting`. ``observe(t_ms, body)`` returns the phase
    (``rest``: both feet still; ``up``: the first foot moving; ``top``: waiting for the second
    foot; ``down``: the second foot moving), a signal (the feet's spread along the walking axis,
    torso lengths, + when the right foot is further toward ``directions[1]``) and, on the frame
    a step ends, its :class:`StepBoundary`."""

    def __init__(self, spec: StepCounting) -> None:
        self.spec = spec
        self.count = 0
        self.count_by_side: dict[str, int] = {}
        self.at_start = True
        self.stage: str | None = None
        self._feet = {"left": _Foot("left"), "right": _Foot("right")}
        self._scales: deque = deque(maxlen=301)
        self._lead: _FootMove | None = None
        self._last_step_end: int | None = None
        self._still_since: int | None = None

    @property
    def in_rep(self) -> bool:
        return self._lead is not None or any(f.moving_since is not None for f in self._feet.values())

    def _scale(self, body: Body) -> float:
        s = float(self.spec.scale(body)) if body.has_person else math.nan
        if math.isfinite(s) and s > 0:
            self._scales.append(s)
        return float(np.median(self._scales)) if self._scales else math.nan

    def observe(self, t_ms: int, body: Body) -> tuple[RepPhase, float, StepBoundary | None]:
        spec = self.spec
        scale = self._scale(body)
        if body.has_person and math.isfinite(scale):
            left, right = (float(v) for v in spec.feet(body))
        else:
            left = right = math.nan
        pos = {"left": left / scale, "right": right / scale}
        window_ms = spec.window_s * 1000.0
        moves = [m for name, foot in self._feet.items()
                 if (m := foot.update(t_ms, pos[name], window_ms, spec.move_ratio)) is not None]
        boundary = None
        for m in sorted(moves, key=lambda m: m.start_ms):
            boundary = self._take(m) or boundary
        if self._lead is not None and (t_ms - self._lead.end_ms) / 1000.0 > spec.max_follow_s:
            moving = [f for f in self._feet.values() if f.moving_since is not None]
            if not any(f.name != self._lead.foot for f in moving):
                self._lead = None  # nobody followed: not a step
        moving = {n for n, f in self._feet.items() if f.moving_since is not None}
        if moving:
            self._still_since = None
        elif self._still_since is None:
            self._still_since = t_ms
        if self._lead is None:
            phase: RepPhase = "up" if moving else "rest"
        else:
            phase = "down" if (moving - {self._lead.foot}) else "top"
        self.at_start = phase == "rest"
        spread = pos["right"] - pos["left"]
        return phase, spread if math.isfinite(spread) else math.nan, boundary

    def _take(self, m: _FootMove) -> StepBoundary | None:
        spec = self.spec
        if abs(m.travel) < spec.min_step_ratio:
            return None
        lead = self._lead
        if lead is not None and m.foot != lead.foot and math.copysign(1, m.travel) == math.copysign(1, lead.travel) \
                and (m.start_ms - lead.end_ms) / 1000.0 <= spec.max_follow_s:
            self._lead = None
            return self._step(lead, m)
        self._lead = m  # a new first foot (or the same foot again: start over from it)
        return None

    def _step(self, lead: _FootMove, follow: _FootMove) -> StepBoundary:
        direction = self.spec.directions[1 if lead.travel > 0 else 0]
        pause = math.inf if self._last_step_end is None else (lead.start_ms - self._last_step_end) / 1000.0
        self._last_step_end = follow.end_ms
        self.count += 1
        self.count_by_side[direction] = self.count_by_side.get(direction, 0) + 1
        return StepBoundary(
            start_ms=lead.start_ms, peak_ms=lead.end_ms, end_ms=follow.end_ms, side=direction,
            rest_value=0.0, peak_value=abs(lead.travel),
            time_up_s=(lead.end_ms - lead.start_ms) / 1000.0,
            top_pause_s=max(0.0, (follow.start_ms - lead.end_ms) / 1000.0),
            time_down_s=(follow.end_ms - max(follow.start_ms, lead.end_ms)) / 1000.0,
            pause_before_s=max(0.0, pause), lead=lead.foot,
        )

    def finish(self) -> StepBoundary | None:
        """End of input: a second foot still on its way counts if it has already travelled
        half the first foot's distance."""
        lead = self._lead
        if lead is None:
            return None
        for name, foot in self._feet.items():
            if name != lead.foot and foot.moving_since is not None and foot.history:
                t, p = foot.history[-1]
                travel = p - foot.origin
                if travel * lead.travel > 0 and abs(travel) >= 0.5 * abs(lead.travel):
                    self._lead = None
                    return self._step(lead, _FootMove(name, foot.moving_since, t, travel))
        return None
