"""How an exercise is declared. An exercise is data: one module in ``formcheck/exercises/``
builds one :class:`Exercise` from these parts and the engine does the rest.

Metrics are plain functions ``Body -> float`` (NaN when they cannot be measured) built from
:mod:`formcheck.geometry`; their docstrings state units and sign.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Literal

from formcheck.body import Body

if TYPE_CHECKING:
    import numpy as np

Metric = Callable[[Body], float]
SideOf = Callable[[Body], "str | None"]
#: Where the camera looks at the body from (see :attr:`formcheck.body.Body.view`).
View = Literal["side", "front", "oblique", "end"]
Phase = Literal["always", "rep", "top", "moving", "hold"]
#: A patient's spinal caps (set by a therapist): ``flexion`` for a disc problem, ``extension``
#: for spinal stenosis.
CapKind = Literal["flexion", "extension"]
#: A line drawn over the annotated video: ``Body -> (N, 2)`` pixel polyline (x right, y down),
#: e.g. the traced back outline.
Overlay = Callable[[Body], "np.ndarray"]

#: The limits a check may be given, by its unit: strictly between low and high. A limit at or
#: past them never flags or always flags, which switches the check off as surely as NaN would:
#: no angle is past 180 degrees (so none is "above 180"), no distance on a body is 3 torso
#: lengths. ``""``: a yes (1) / no (0) reading. A check whose unit is not here declares its own
#: (``Check.limit_range``).
LIMIT_RANGES: Mapping[str, tuple[float, float]] = {
    "deg": (-180.0, 180.0),
    "ratio": (-3.0, 3.0),
    "": (0.0, 1.0),
}


#: Tempo (rushing), in true seconds from the rep's start to the top: a steady 0.6-1.5 s lift or
#: reach must pass and one under 0.3 s must be caught (the guides' "slow and controlled"). The
#: engine reads only part of a lift (:class:`RepCounting`: from the start band to the top band;
#: the slow ends of a smooth movement barely change the signal), so each exercise sets its
#: ``min_lift_s`` in *measured* seconds, between what a true 0.3 s and a true 0.6 s lift read on
#: renders (``benchmarks/tempo.py``). No pause at the top is required for it: correct
#: demonstrations in the shared clips paused 0.1-1.3 s, and a short pause is not rushing.
TEMPO_PASS_LIFT_S = 0.6
TEMPO_CATCH_LIFT_S = 0.3


@dataclass(frozen=True)
class Tolerance:
    """The clinical sizes a check is judged by, in true units of the body (degrees of the joint
    or of the body's own lines, not of the landmarks), from the therapist guides.

    A check is right when it flags the fault at ``must_catch`` and leaves form at ``must_pass``
    alone, from every camera its guidance allows. The limit (``Check.limit``) is in *measured*
    units and is calibrated from these sizes on renders with exact truth
    (``benchmarks/calibration.py``); the sizes come first and do not move to fit a limit.

    Attributes:
        measure: the true quantity in words, with its sign ("degrees the hips sit below the
            shoulder-ankle line").
        unit: its unit (``deg``, ``cm``, ``s`` ...).
        must_pass: the largest size a therapist accepts (form this size must not flag).
        must_catch: the smallest size a therapist would correct (must flag).
        catch_up_to: the largest size still caught as this fault (a plank piked 80 degrees is
            still a plank held badly); None = no upper end.
        both_ways: the size counts in both directions (a knee bent too much or too little):
            the sizes are magnitudes of a signed true quantity.
        why: where the sizes come from, or why they differ from the guides' starting points.
    """

    measure: str
    unit: str
    must_pass: float
    must_catch: float
    why: str
    catch_up_to: float | None = None
    both_ways: bool = False

    def __post_init__(self) -> None:
        if not self.must_pass < self.must_catch:
            raise ValueError(f"Tolerance: must_pass ({self.must_pass}) must be below must_catch "
                             f"({self.must_catch})")
        if self.catch_up_to is not None and self.catch_up_to < self.must_catch:
            raise ValueError("Tolerance.catch_up_to must be at least must_catch")


@dataclass(frozen=True)
class Check:
    """One form check: a per-frame metric compared with a limit.

    Attributes:
        id: stable id used in reports, CSV columns (``<id>_state``), faults and config.
        title: short human name ("Hips sagging").
        metric: ``Body -> float``, NaN when not measurable in this frame.
        unit: ``deg``, ``ratio`` (of torso length unless said), ``s`` ...
        limit: the default limit; a therapist may override it per patient.
        flag_when: ``above`` flags values greater than ``limit``, ``below`` values smaller.
        hysteresis: once flagged, the value must come back inside by this much to clear
            (stops flicker around the limit).
        min_duration_s: the value must stay past the limit this long before it flags.
        cue: what to tell the person when it flags (one short sentence, our own words).
        priority: lower is more important; the cue of the most important flag is shown.
        applies: when the check is evaluated: ``always`` (whole set), ``rep`` (inside a rep),
            ``top`` (at the top of a rep), ``hold`` (while holding the position).
        relative: measure the metric as its change from the start of the rep (from its median
            over the last 0.5 s of rest before the rep: see ``engine.BASELINE_WINDOW_MS``).
        absolute: compare the size of the value (after ``relative``), ignoring its sign.
        views: camera views in which the metric means something; in other views the check
            is ``unknown`` and the report says why.
        max_off_view_deg: judged only while the camera looks within this many degrees of
            square-on to the view (:meth:`formcheck.body.Body.off_view_deg`, as MediaPipe's world
            landmarks place it), for a metric that a view the view test accepts still bends
            (a raised camera reads a straight bridge as arched); beyond it, and without world
            landmarks, ``unknown``. None: wherever the view test says ``views``.
        explain: one line for the docs and ``formcheck exercises``: what is measured, how.
        stage: for reps made of named stages (:class:`PhasedRepCounting`), the stage in which
            the check is evaluated (``squat``, ``row``); None = any stage.
        tolerance: the true sizes the check must catch and must pass (:class:`Tolerance`).
        limit_range: the limits a therapist may set, strictly between (low, high); None: its
            unit's (:data:`LIMIT_RANGES`). Only for a check whose unit's range is wrong for it.
    """

    id: str
    title: str
    metric: Metric
    unit: str
    limit: float
    flag_when: Literal["above", "below"]
    cue: str
    explain: str
    hysteresis: float = 2.0
    min_duration_s: float = 0.3
    priority: int = 5
    applies: Phase = "always"
    relative: bool = False
    absolute: bool = False
    views: tuple[View, ...] = ("side", "front", "oblique")
    max_off_view_deg: float | None = None
    stage: str | None = None
    tolerance: Tolerance | None = None
    limit_range: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if self.limit_range is None and self.unit not in LIMIT_RANGES:
            raise ValueError(f"check {self.id}: no limit range for unit {self.unit!r}: give limit_range=(low, high)")
        self.checked_limit(self.limit)

    @property
    def allowed_limits(self) -> tuple[float, float]:
        """The bounds a limit of this check must lie strictly between (:data:`LIMIT_RANGES`)."""
        return self.limit_range or LIMIT_RANGES[self.unit]

    def checked_limit(self, value: object) -> float:
        """``value`` as a limit of this check: every limit, from any source, passes here.

        Raises:
            ValueError: not a finite number inside :attr:`allowed_limits`, in one line naming
                the check (callers put where the value came from in front).
        """
        low, high = self.allowed_limits
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            number, shown = math.nan, repr(value)
        else:
            shown = f"{number:g}"
        if not low < number < high:  # False for NaN too
            unit = f" {self.unit}" if self.unit else ""
            raise ValueError(f"{self.id}={shown}: a limit must be a finite number between {low:g} and {high:g}{unit}")
        return number

    def past_limit(self, value: float, limit: float) -> float:
        """How far ``value`` is past ``limit`` in the flagging direction (negative = inside)."""
        return value - limit if self.flag_when == "above" else limit - value


@dataclass(frozen=True)
class RepCounting:
    """Reps from one signal that rises into the rep and falls back.

    The signal is ``Body -> float`` and must *increase* toward the top of the rep. A rep starts
    when the signal leaves ``rest`` and counts once it passes ``enter``; it ends when the signal
    is back at or below ``rest``. ``top_band`` (signal units) defines the top of the rep: the
    frames within that band of the rep's peak, for the pause-at-the-top measure.

    Attributes:
        signal: the rep signal.
        unit: its unit.
        rest: at or below this the person is at rest between reps.
        enter: above this a rep is under way (``enter > rest``: the gap is the hysteresis).
        side_of: which side a rep belongs to (``left``/``right``) or None when not per side.
        min_rep_s: shorter excursions are noise, not reps.
        top_band: see above.
        min_top_pause_s, min_lift_s: tempo targets; reps faster than these are flagged
            ``tempo`` (rushing).
        min_lower_s: tempo target for the way back (leaving the top band to the end of the
            rep): a slow return (straight-arm pulldown). 0 = no target.
    """

    signal: Metric
    unit: str
    rest: float
    enter: float
    side_of: SideOf | None = None
    min_rep_s: float = 0.6
    top_band: float = 5.0
    min_lift_s: float = 0.0
    min_top_pause_s: float = 0.0
    range_label: str = "range"
    min_lower_s: float = 0.0

    def __post_init__(self) -> None:
        if self.enter <= self.rest:
            raise ValueError("RepCounting.enter must be greater than rest")


    def rushed(self, boundary) -> bool:
        """Tempo verdict of one finished rep (a :class:`formcheck.reps.RepBoundary`)."""
        return ((boundary.time_up_s < self.min_lift_s) or (boundary.top_pause_s < self.min_top_pause_s)
                or (boundary.time_down_s < self.min_lower_s))

    def top_from(self, boundary) -> float:
        """The signal value from which a finished rep was at its top: within ``top_band`` of
        its peak (``applies="top"`` checks are summarised over those frames)."""
        return boundary.peak_value - self.top_band


@dataclass(frozen=True)
class RepStage:
    """One named movement of a multi-stage rep, counted like a rep of its own.

    Attributes:
        name: the stage's name (``squat``, ``row``); checks with ``stage=name`` run only while
            this stage is under way.
        counting: how this stage's movement is recognised (its signal, rest and enter).
    """

    name: str
    counting: RepCounting


@dataclass(frozen=True)
class PhasedRepCounting:
    """A rep made of several movements one after the other: squat, then row; flex, then extend.

    Each stage is counted on its own signal with its own :class:`RepCounting`; the rep counts
    when every stage has been done once, in the declared order (``any_order``: in any order).
    A stage that does not follow the previous one within ``max_gap_s`` starts the rep over.
    The rep's start is the first stage's start, its end the last stage's end; its range, peak
    and tempo figures are the first stage's (``unit`` is that stage's unit). Each stage's tempo
    is judged by its own :class:`RepCounting` targets (``min_lift_s`` ...): the rep is rushed
    when any stage is.

    Attributes:
        stages: the movements, in order.
        side_of: as in :class:`RepCounting`.
        any_order: the stages may come in any order (cat/cow may start with either).
        max_gap_s: longest rest allowed between two stages of one rep.
        range_label: name of the rep's range in reports.
    """

    stages: tuple[RepStage, ...]
    side_of: SideOf | None = None
    any_order: bool = False
    max_gap_s: float = 4.0
    range_label: str = "range"

    def __post_init__(self) -> None:
        if len(self.stages) < 2:
            raise ValueError("PhasedRepCounting needs at least two stages")
        if len({s.name for s in self.stages}) != len(self.stages):
            raise ValueError("PhasedRepCounting stage names must be unique")

    @property
    def unit(self) -> str:
        return self.stages[0].counting.unit

    def rushed(self, boundary) -> bool:
        """Any stage rushed by its own targets (``boundary``: a
        :class:`formcheck.phases.PhasedRepBoundary`)."""
        counting = {s.name: s.counting for s in self.stages}
        return any(counting[name].rushed(b)
                   for name, b in zip(boundary.stages, boundary.stage_boundaries))

    def top_from(self, boundary) -> float:
        """No single signal to find the top on: ``applies="top"`` checks are summarised over
        every frame the counter called ``top``."""
        return -math.inf


#: Per-frame positions of the two feet along the walking axis: ``(left, right)`` in pixels,
#: increasing toward :attr:`StepCounting.directions` [1]; NaN when a foot is not seen.
FeetOf = Callable[[Body], "tuple[float, float]"]


@dataclass(frozen=True)
class StepCounting:
    """Steps of a walk (band side walk, monster walk): one foot moves, then the other follows
    in the same direction. Steps are reported as reps whose side is the direction.

    A foot *moves* while its position changes by more than ``move_ratio`` torso lengths over
    ``window_s``; a movement of at least ``min_step_ratio`` torso lengths is a foot's step. A
    step counts when the other foot then moves the same way, starting within ``max_follow_s``
    of the first foot settling. Distances are divided by the median torso length seen so far,
    so the person may be near or far from the camera.

    Attributes:
        feet: ``Body -> (left, right)`` positions along the walking axis, pixels.
        scale: ``Body -> float``, the length (pixels) distances are measured in (torso length).
        directions: names of the decreasing and increasing direction (``("right", "left")``).
        move_ratio, window_s, min_step_ratio, max_follow_s: see above.
        min_step_s: tempo: a step (first foot starts to second foot settles) faster than this
            is rushing.
        min_pause_s: tempo: feet still for at least this long before each step after the first
            (monster walk's pause); shorter is rushing.
        unit: unit of the step's range (its length).
    """

    feet: FeetOf
    scale: Metric
    directions: tuple[str, str]
    move_ratio: float = 0.06
    window_s: float = 0.3
    min_step_ratio: float = 0.2
    max_follow_s: float = 1.5
    min_step_s: float = 0.0
    min_pause_s: float = 0.0
    unit: str = "torso"
    range_label: str = "step length"

    @property
    def side_of(self) -> None:
        return None

    def rushed(self, boundary) -> bool:
        pause = getattr(boundary, "pause_before_s", float("inf"))
        duration = (boundary.end_ms - boundary.start_ms) / 1000.0
        return duration < self.min_step_s or pause < self.min_pause_s

    def top_from(self, boundary) -> float:
        """As :meth:`PhasedRepCounting.top_from`: every frame the counter called ``top``."""
        return -math.inf


@dataclass(frozen=True)
class HoldTiming:
    """A hold (plank): time counts while ``in_position`` is true for the frame.

    Attributes:
        in_position: ``Body -> bool``: the person is in the held position.
        min_hold_s: shorter spells in position are not a hold.
        grace_s: leaving the position for less than this does not end the hold.
    """

    in_position: Callable[[Body], bool]
    min_hold_s: float = 2.0
    grace_s: float = 0.5


#: A recognition feature's expected value and spread (a Gaussian's mean and standard
#: deviation), in the feature's unit.
Expect = tuple[float, float]


@dataclass(frozen=True)
class Template:
    """What the first seconds of an exercise look like, for ``--exercise auto``: the expected
    value of each recognition feature (:func:`formcheck.recognition.features` defines them and
    their units: degrees, torso lengths, image pixels with y down). A feature left None is not
    constrained by this template.

    Written from the exercise's geometry: lying or on all fours the torso is near horizontal
    (``torso_up`` small), standing near 90; side views have ``side_on`` below about 0.3, front
    views above 0.4; on all fours the knees are about one thigh (0.8 torso) below the hips;
    ``move_*`` are how far the limb that does the exercise travels relative to the pelvis.
    """

    torso_up: Expect | None = None
    torso_range: Expect | None = None
    side_on: Expect | None = None
    knee_up: Expect | None = None
    hands_low: Expect | None = None
    hands_up_max: Expect | None = None
    knee_bend: Expect | None = None
    move_wrist: Expect | None = None
    move_ankle: Expect | None = None
    move_knee: Expect | None = None
    move_hip: Expect | None = None
    travel: Expect | None = None

    def expected(self) -> dict[str, Expect]:
        """Feature name -> (mean, spread) of the features this template constrains."""
        return {f.name: v for f in fields(self) if (v := getattr(self, f.name)) is not None}


@dataclass(frozen=True)
class Exercise:
    """Everything formcheck knows about one exercise.

    Attributes:
        id: ``plank``, ``bird_dog`` ...
        name: display name.
        aliases: other names accepted on the command line.
        views: camera views the analysis supports, best first.
        camera: how to place the camera (shown before the set).
        cautions: safety notes shown before the set (our own words).
        counting: reps (:class:`RepCounting`, :class:`PhasedRepCounting`), steps
            (:class:`StepCounting`, reported as reps) or a hold (:class:`HoldTiming`); None
            counts nothing (the pose-only analyser).
        checks: the form checks.
        needs: landmark parts (``shoulder``, ``hip``, ...) that must be in view for setup.
        posture: ``lying`` (on the floor), ``kneeling``, ``standing``: for the setup check.
        per_side: reps are counted and compared per side.
        good_rep_cue: said after a clean rep.
        cannot_see: what one camera cannot measure for this exercise (stated in setup/report).
        clearance: a yes/no question that must be answered yes before the set (deadlift: the
            guide forbids it during back pain); None when no clearance is needed. The library
            API refuses to analyse without the confirmation and records it in the report, and
            the review page offers to record a therapist's clearance for it.
        recognition: what the start of a set looks like, for ``--exercise auto``: the
            exercise's own :class:`Template` first, then any close relatives it should also
            be recognised from (a test fails when a counted exercise has none).
        caps: which check each of a patient's spinal caps governs (cap kind -> check id): a
            cap tighter than that check's limit replaces it (:mod:`formcheck.limits`).
        segmentation: the exercise needs the pose model's person mask (the back's outline).
        overlays: lines the annotated video draws over the person (name -> :data:`Overlay`).
    """

    id: str
    name: str
    views: tuple[View, ...]
    camera: str
    cautions: tuple[str, ...]
    counting: RepCounting | PhasedRepCounting | StepCounting | HoldTiming | None
    checks: tuple[Check, ...] = ()
    needs: tuple[str, ...] = ("shoulder", "hip")
    posture: Literal["lying", "kneeling", "standing", "any"] = "any"
    per_side: bool = False
    aliases: tuple[str, ...] = ()
    good_rep_cue: str = "Good rep."
    cannot_see: tuple[str, ...] = ()
    description: str = ""
    clearance: str | None = None
    recognition: tuple[Template, ...] = ()
    caps: Mapping[CapKind, str] = field(default_factory=dict)
    segmentation: bool = False
    overlays: Mapping[str, Overlay] = field(default_factory=dict)

    def __post_init__(self) -> None:
        ids = {c.id for c in self.checks}
        unknown = sorted(cid for cid in self.caps.values() if cid not in ids)
        if unknown:
            raise ValueError(f"{self.id}: caps name checks it does not have: {', '.join(unknown)}")

    @property
    def kind(self) -> str:
        if isinstance(self.counting, (RepCounting, PhasedRepCounting, StepCounting)):
            return "reps"
        if isinstance(self.counting, HoldTiming):
            return "hold"
        return "none"

    def check(self, check_id: str) -> Check:
        for c in self.checks:
            if c.id == check_id:
                return c
        raise KeyError(f"{self.id} has no check {check_id!r}")
