"""The exercise engine: smoothed pose frames in, per-frame check states, reps or holds, cues and
a set summary out. One :class:`Analyzer` per set; ``update`` once per frame in time order,
``finish`` at the end. The live page and file analysis run the same object.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from formcheck.body import Body
from formcheck.checks import CheckReading, CheckTracker
from formcheck.cues import Cue, CueCandidate, CueSelector
from formcheck.exercises.spec import Check, Exercise, PhasedRepCounting, RepCounting, StepCounting
from formcheck.frames import PoseFrame
from formcheck.phases import PhasedRepCounter
from formcheck.reps import HoldSpan, HoldTimer, RepBoundary, RepCounter, RepPhase, RepTracker
from formcheck.setup_check import SetupStatus, assess_setup
from formcheck.steps import StepCounter

TEMPO_ID = "tempo"
#: A relative check's reference is the median of its metric over this much of the rest before
#: a rep: one frame is too noisy for outline-based metrics (a single glitch of 10 deg at the
#: rep's start shifted a whole rep's readings by that much).
BASELINE_WINDOW_MS = 500
#: The counter for each kind of rep counting (a hold is timed instead: :class:`HoldTimer`).
COUNTERS: dict[type, Callable[..., RepTracker]] = {
    RepCounting: RepCounter, PhasedRepCounting: PhasedRepCounter, StepCounting: StepCounter}


@dataclass(frozen=True)
class CheckOutcome:
    """One check over one rep or hold: its worst value, how far past the limit that was, whether
    it flagged, and the share of frames it could not be measured."""

    worst: float
    excess: float
    flagged: bool
    unknown_fraction: float


@dataclass(frozen=True)
class RepResult:
    index: int
    boundary: RepBoundary
    checks: dict[str, CheckOutcome]
    flags: tuple[str, ...]
    score: float

    @property
    def side(self) -> str | None:
        """The side (or walking direction) the rep belongs to; None when not per side."""
        return self.boundary.side


@dataclass(frozen=True)
class HoldResult:
    index: int
    span: HoldSpan
    checks: dict[str, CheckOutcome]
    flags: tuple[str, ...]
    score: float

    @property
    def side(self) -> None:
        """Holds have no side."""
        return None


@dataclass(frozen=True)
class FrameResult:
    """What the engine made of one frame (one row of ``frames.csv``), and the set so far: plain
    data, enough to draw the frame or to send it elsewhere to be drawn.

    Attributes:
        t_ms: the frame's time, ms.
        pose: the (smoothed) pose the engine judged, in the pixels of the image the pose model
            saw (``pose.image_size``).
        has_person: a person was found.
        readings: check id -> this frame's value and state (``ok``, ``flag``, ``unknown``).
        phase: ``rest``, ``up``, ``top``, ``down`` (reps and steps); ``rest`` for holds.
        signal: the rep signal (NaN when not measured or not counting reps).
        rep_count: reps (or steps) so far; for a hold, the holds finished so far.
        count_by_side: the reps so far per side (or walking direction); empty when not per side.
        hold_s: time in the hold under way (0 between holds).
        holding: a hold is under way.
        good_s: time in good form in the hold under way (0 between holds).
        started: the set has begun: a rep or hold is under way or finished.
        items: the reps or holds finished so far, in order.
        setup: the camera setup check of this frame.
        cue: the cue on screen; ``new_cue`` is the one first shown on this frame.
        stage: the stage under way of a multi-stage rep (:class:`PhasedRepCounting`), else None.
        overlays: pixel polylines to draw (the exercise's ``overlays``), name -> (N, 2).
    """

    t_ms: int
    pose: PoseFrame
    has_person: bool
    readings: dict[str, CheckReading]
    phase: str
    signal: float
    rep_count: int
    count_by_side: dict[str, int]
    hold_s: float
    holding: bool
    good_s: float
    started: bool
    items: tuple[RepResult | HoldResult, ...]
    setup: SetupStatus
    cue: Cue | None
    new_cue: Cue | None
    stage: str | None = None
    overlays: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class _Accumulator:
    """The readings of one rep or hold, kept to summarise each check when it ends.

    Checks that apply at the ``top`` of a rep are summarised only over the frames near the
    rep's final peak (``top_from`` in :meth:`outcomes`): while the limbs are still rising, the
    running peak cannot tell the top from the way up.
    """

    checks: dict[str, Check]
    signal: list[float] = field(default_factory=list)
    rows: list[dict[str, CheckReading | None]] = field(default_factory=list)

    def add(self, readings: dict[str, CheckReading], evaluated: set[str], signal: float) -> None:
        self.signal.append(signal)
        self.rows.append({cid: (readings[cid] if cid in evaluated else None) for cid in self.checks})

    @property
    def flagged(self) -> bool:
        return any(r is not None and r.state == "flag" for row in self.rows for r in row.values())

    def outcomes(self, top_from: float = -math.inf) -> dict[str, CheckOutcome]:
        out = {}
        for cid, check in self.checks.items():
            rows = [(sig, row[cid]) for sig, row in zip(self.signal, self.rows)]
            if check.applies == "top":
                rows = [(sig, r) for sig, r in rows if math.isfinite(sig) and sig >= top_from]
            seen = [r for _, r in rows if r is not None]
            known = [r for r in seen if r.state != "unknown"]
            worst = max(known, key=lambda r: r.excess, default=None)
            out[cid] = CheckOutcome(
                worst=worst.value if worst else float("nan"),
                excess=worst.excess if worst else float("nan"),
                flagged=any(r.state == "flag" for r in known),
                unknown_fraction=(len(seen) - len(known)) / len(seen) if seen else 1.0,
            )
        return out


def rep_score(outcomes: dict[str, CheckOutcome], limits: dict[str, float], tempo_flag: bool) -> float:
    """0-100 form score of one rep or hold.

    Each flagged check costs ``min(50, 20 + 30 * excess / |limit|)`` points, where ``excess`` is
    how far its worst value went past the limit (so a check just past its limit costs 20, one
    past by the limit's own size again costs 50, the cap). Rushing (``tempo``) costs 10. The
    score is 100 minus the costs, floored at 0. A check that was never measurable costs nothing.
    """
    cost = 0.0
    for cid, o in outcomes.items():
        if o.flagged:
            scale = abs(limits[cid]) or 1.0
            cost += min(50.0, 20.0 + 30.0 * max(o.excess, 0.0) / scale)
    if tempo_flag:
        cost += 10.0
    return max(0.0, 100.0 - cost)


class Analyzer:
    """Runs one exercise's counting, checks and cues over a stream of smoothed pose frames.

    Args:
        exercise: the declared exercise.
        limits: per-check limit overrides (check id -> limit), e.g. a patient's own limits.
        min_visibility: landmarks below this MediaPipe visibility count as not seen.
    """

    def __init__(self, exercise: Exercise, limits: dict[str, float] | None = None,
                 min_visibility: float = 0.5, cue_display_s: float = 2.5,
                 cue_repeat_s: float = 6.0) -> None:
        limits = dict(limits or {})
        unknown = set(limits) - {c.id for c in exercise.checks}
        if unknown:
            raise ValueError(f"{exercise.id} has no check(s) {', '.join(sorted(unknown))}")
        self.exercise = exercise
        self.min_visibility = min_visibility
        self.trackers = {c.id: CheckTracker(c, limits.get(c.id)) for c in exercise.checks}
        self.limits = {cid: t.limit for cid, t in self.trackers.items()}
        self.cues = CueSelector(cue_display_s, cue_repeat_s)
        counting = exercise.counting
        self._counter: RepTracker | None = COUNTERS[type(counting)](counting) if exercise.kind == "reps" else None
        self._hold_timer = HoldTimer(counting) if exercise.kind == "hold" else None
        self.reps: list[RepResult] = []
        self.holds: list[HoldResult] = []
        self._items: tuple[RepResult | HoldResult, ...] = ()
        self.cue_log: list[Cue] = []
        self.frames_seen = 0
        self.frames_with_person = 0
        self.view_counts: Counter = Counter()
        self.setup_problem_counts: Counter = Counter()
        self.check_state_counts: dict[str, Counter] = {cid: Counter() for cid in self.trackers}
        #: frames in which a check would have been judged but for a camera too far off
        #: square-on (``Check.max_off_view_deg``)
        self.off_view_counts: Counter = Counter()
        self._baseline: dict[str, float] = {}
        self._rest_values: dict[str, deque[tuple[int, float]]] = {}
        self._acc: _Accumulator | None = None
        self._setup_bad_since: int | None = None
        self._last_ms: int | None = None
        #: Called with each RepResult or HoldResult as it is finished (e.g. to store it at once).
        self.on_result: Callable[[RepResult | HoldResult], None] | None = None

    # -- per frame ----------------------------------------------------------------------------
    def update(self, frame: PoseFrame) -> FrameResult:
        t = frame.t_ms
        self._last_ms = t
        body = Body(frame, self.min_visibility)
        self.frames_seen += 1
        if body.has_person:
            self.frames_with_person += 1
        setup = assess_setup(body, self.exercise)
        self.view_counts[setup.view] += 1
        for p in setup.problems:
            self.setup_problem_counts[p] += 1

        phase, signal, boundary = self._count(body, t)
        in_rep = phase in ("up", "top", "down")
        raw = {cid: _safe_metric(tr.check, body) for cid, tr in self.trackers.items()}
        evaluated = {cid for cid, tr in self.trackers.items()
                     if self._applies(tr.check, body, phase, in_rep)}
        readings: dict[str, CheckReading] = {}
        for cid, tr in self.trackers.items():
            value = raw[cid]
            if tr.check.relative:
                value = self._relative(cid, value, in_rep, t)
            if tr.check.absolute:
                value = abs(value)
            if cid not in evaluated:
                value = float("nan")
            readings[cid] = tr.update(value, t)
            self.check_state_counts[cid][readings[cid].state] += 1

        self._hold(body, t, readings)
        if self._acc is not None:
            self._acc.add(readings, evaluated, signal)
        new_cue = self._cue(t, readings, setup, boundary, in_rep)
        if boundary is not None:
            self._finish_rep(boundary)
            self._acc = None
        if self._counter is not None and in_rep and self._acc is None:
            self._acc = self._new_accumulator()
            self._acc.add(readings, evaluated, signal)
        counter, timer = self._counter, self._hold_timer
        holding = timer is not None and timer.holding
        return FrameResult(
            t_ms=t, pose=frame, has_person=body.has_person, readings=readings, phase=phase,
            signal=signal, rep_count=counter.count if counter else len(self.holds),
            count_by_side=dict(counter.count_by_side) if counter else {},
            hold_s=timer.elapsed_s(t) if timer else 0.0, holding=holding,
            good_s=timer.good_s if holding else 0.0,
            started=bool(self._items) or holding or (counter is not None and counter.in_rep),
            items=self._items, setup=setup, cue=self.cues.current(t), new_cue=new_cue,
            stage=counter.stage if counter else None, overlays=self._overlays(body),
        )

    def _overlays(self, body: Body) -> dict[str, np.ndarray]:
        drawers = self.exercise.overlays
        if not drawers or not body.has_person:
            return {}
        out = {}
        for name, fn in drawers.items():
            line = np.asarray(fn(body), dtype=float)
            if line.ndim == 2 and line.shape[0] >= 2 and np.isfinite(line).all():
                out[name] = line
        return out

    def _count(self, body: Body, t: int) -> tuple[str, float, RepBoundary | None]:
        if self._counter is None:
            return "rest", float("nan"), None
        # Counting tolerates landmarks just outside the frame (a hand raised past the edge).
        return self._counter.observe(t, Body(body.frame, body.min_visibility, in_frame_only=False))

    def _applies(self, check: Check, body: Body, phase: RepPhase | str, in_rep: bool) -> bool:
        if not body.has_person:
            return False
        if body.view != "unknown" and body.view not in check.views:
            return False
        if check.stage is not None and (self._counter is None or self._counter.stage != check.stage):
            return False
        if check.applies == "rep":
            applies = in_rep
        elif check.applies == "top":
            applies = phase == "top"
        elif check.applies == "hold":
            applies = self._hold_timer is not None and self._hold_timer.holding
        else:
            applies = True
        if applies and check.max_off_view_deg is not None and not (
                body.off_view_deg(body.view) <= check.max_off_view_deg):
            self.off_view_counts[check.id] += 1
            return False
        return applies

    def _relative(self, cid: str, value: float, in_rep: bool, t: int) -> float:
        if not in_rep:
            # Between reps the reference follows the person, so slow drift is not a fault; it is
            # taken where the rep counter places the start of the next rep.
            at_start = self._counter is None or self._counter.at_start
            if at_start and math.isfinite(value):
                window = self._rest_values.setdefault(cid, deque())
                window.append((t, value))
                while window[0][0] < t - BASELINE_WINDOW_MS:
                    window.popleft()
                self._baseline[cid] = float(np.median([v for _, v in window]))
            return value - self._baseline.get(cid, value)
        if cid not in self._baseline and math.isfinite(value):
            # The input began mid-rep: its first measured frame is the best reference there is.
            self._baseline[cid] = value
        return value - self._baseline.get(cid, float("nan"))

    def _hold(self, body: Body, t: int, readings: dict[str, CheckReading]) -> None:
        timer = self._hold_timer
        if timer is None:
            return
        in_position = bool(body.has_person and timer.spec.in_position(body))
        form_ok = all(r.state != "flag" for r in readings.values())
        was_holding = timer.holding
        span = timer.update(t, in_position, form_ok)
        if timer.holding and not was_holding:
            self._acc = self._new_accumulator()
        if span is not None:
            self._finish_hold(span)
        elif not timer.holding and was_holding:
            self._acc = None

    def _cue(self, t: int, readings: dict[str, CheckReading], setup: SetupStatus,
             boundary: RepBoundary | None, in_rep: bool) -> Cue | None:
        cands = [
            CueCandidate(tr.check.cue, "correction", cid, tr.check.priority)
            for cid, tr in self.trackers.items() if readings[cid].state == "flag"
        ]
        if boundary is not None and self._acc is not None and not self._acc.flagged:
            cands.append(CueCandidate(self.exercise.good_rep_cue, "praise", "rep", 50))
        if setup.ok:
            self._setup_bad_since = None
        elif self._setup_bad_since is None:
            self._setup_bad_since = t
        holding = self._hold_timer is not None and self._hold_timer.holding
        if (setup.problems and not in_rep and not holding and self._setup_bad_since is not None
                and t - self._setup_bad_since >= 1000):
            cands.append(CueCandidate(_sentence(setup.problems[0]), "setup", "setup", 90))
        cue = self.cues.offer(t, cands)
        if cue is not None:
            self.cue_log.append(cue)
        return cue

    # -- rep / hold results -------------------------------------------------------------------
    def _new_accumulator(self) -> _Accumulator:
        return _Accumulator({c.id: c for c in self.exercise.checks})

    def _finish_rep(self, b: RepBoundary) -> None:
        counting = self.exercise.counting
        outcomes = (self._acc or self._new_accumulator()).outcomes(top_from=counting.top_from(b))
        rushed = counting.rushed(b)
        flags = tuple(cid for cid, o in outcomes.items() if o.flagged) + ((TEMPO_ID,) if rushed else ())
        self.reps.append(RepResult(len(self.reps) + 1, b, outcomes, flags,
                                   rep_score(outcomes, self.limits, rushed)))
        self._finished(self.reps[-1])

    def _finish_hold(self, span: HoldSpan) -> None:
        outcomes = (self._acc or self._new_accumulator()).outcomes()
        flags = tuple(cid for cid, o in outcomes.items() if o.flagged)
        score = 100.0 * span.good_s / span.duration_s if span.duration_s > 0 else 0.0
        self.holds.append(HoldResult(len(self.holds) + 1, span, outcomes, flags, round(score, 1)))
        self._acc = None
        self._finished(self.holds[-1])

    def _finished(self, item: RepResult | HoldResult) -> None:
        self._items = (*self._items, item)
        if self.on_result is not None:
            self.on_result(item)

    def finish(self) -> None:
        """Close what is under way at the end of the input: a hold, or a rep that has come
        back at least half-way (see :meth:`RepCounter.finish`); a rep cut earlier is dropped."""
        if self._counter is not None:
            boundary = self._counter.finish()
            if boundary is not None:
                self._finish_rep(boundary)
            self._acc = None
        if self._hold_timer is not None:
            span = self._hold_timer.finish()
            if span is not None:
                self._finish_hold(span)

    @property
    def set_score(self) -> float:
        """Mean score of the reps or holds; NaN when there are none."""
        items = self.reps or self.holds
        return float(np.mean([i.score for i in items])) if items else float("nan")

    @property
    def main_view(self) -> str:
        seen = [(n, v) for v, n in self.view_counts.items() if v != "unknown"]
        return max(seen)[1] if seen else "unknown"


def _safe_metric(check: Check, body: Body) -> float:
    if not body.has_person:
        return float("nan")
    value = float(check.metric(body))
    return value if math.isfinite(value) else float("nan")


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
