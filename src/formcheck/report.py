"""What an analysis writes: ``report.json`` (a pydantic :class:`SessionReport`) and
``frames.csv`` (one row per input frame, streamed as the analysis runs)."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from formcheck.engine import Analyzer, FrameResult, HoldResult, RepResult
from formcheck.errors import OutputError
from formcheck.exercises.spec import Exercise
from formcheck.limits import LimitSource
from formcheck.spreadsheet import SpreadsheetSafeWriter

#: A left/right difference above this share of the larger side is worth a therapist's look.
ASYMMETRY_REVIEW_THRESHOLD = 0.20


def _num(x: float | None, nd: int = 2) -> float | None:
    """JSON has no NaN: a missing number is null."""
    if x is None or not math.isfinite(x):
        return None
    return round(float(x), nd)


@dataclass(frozen=True)
class AnalysisOutputs:
    """Where an analysis wrote its files (None for what was not asked for)."""

    report: Path
    frames_csv: Path
    video: Path | None
    landmarks_csv: Path | None


class InputInfo(BaseModel):
    kind: Literal["video", "landmarks", "camera"]
    path: str | None = None
    width: int
    height: int
    fps: float
    duration_s: float | None = None
    frame_count: int | None = None
    rotation: int = 0


class ProcessingInfo(BaseModel):
    formcheck_version: str
    model: str | None = None
    model_variant: str | None = None
    mediapipe_version: str | None = None
    smoothing: str
    smoothing_params: dict[str, float] = Field(default_factory=dict)
    min_visibility: float
    limits: dict[str, float] = Field(default_factory=dict)
    limit_sources: dict[str, LimitSource] = Field(
        default_factory=dict, description="check id -> where its limit came from (formcheck.limits)")


class CheckSummary(BaseModel):
    id: str
    title: str
    unit: str
    limit: float
    flag_when: str
    frames_ok: int
    frames_flag: int
    frames_unknown: int
    flagged_in: int = Field(description="reps or holds in which the check flagged")
    worst: float | None = None
    measurable_in_view: bool
    note: str | None = None


class FlagDetail(BaseModel):
    check: str
    worst: float | None
    limit: float | None
    past_by: float | None


class RepReport(BaseModel):
    index: int
    start_s: float
    peak_s: float
    end_s: float
    side: str | None
    range: float | None
    range_unit: str
    time_up_s: float
    top_pause_s: float
    time_down_s: float
    metrics: dict[str, float | None] = Field(description="worst value of each check in the rep")
    unknown_fraction: dict[str, float]
    flags: list[str]
    flag_details: list[FlagDetail]
    score: float
    passed: bool


class HoldReport(BaseModel):
    index: int
    start_s: float
    end_s: float
    duration_s: float
    good_form_s: float
    longest_good_s: float
    metrics: dict[str, float | None]
    flags: list[str]
    flag_details: list[FlagDetail]
    score: float


class SideSummary(BaseModel):
    reps: int
    mean_range: float | None
    mean_duration_s: float | None
    flagged_reps: int
    mean_score: float | None


class SideComparison(BaseModel):
    sides: dict[str, SideSummary]
    asymmetry: dict[str, float | None] = Field(
        description="|left - right| / max(left, right) for reps, range and duration")
    review_threshold: float = ASYMMETRY_REVIEW_THRESHOLD
    worth_review: bool


class ClearanceRecord(BaseModel):
    """The answer to an exercise's clearance question, given before the set."""

    question: str
    answer: Literal["yes"] = "yes"
    confirmed_by: str = Field("user", description="who answered: the user via the app or CLI flag")


class RecognitionRecord(BaseModel):
    """How the exercise was chosen when it was recognised from the pose (``--exercise auto``)."""

    guessed: str
    confidence: float
    alternatives: dict[str, float] = Field(default_factory=dict)
    unsure: bool
    seconds_used: float


class CueLog(BaseModel):
    t_s: float
    text: str
    kind: str
    source: str


#: Share of a set's frames from which a set-up problem is the set's, not a moment's.
LASTING_SETUP_SHARE = 0.5


class SessionReport(BaseModel):
    exercise: str
    exercise_name: str
    kind: str
    input: InputInfo
    processing: ProcessingInfo
    frames_total: int
    frames_with_person: int
    detection_rate: float
    duration_s: float
    view: str
    setup_problems: dict[str, float] = Field(
        default_factory=dict, description="setup problem -> share of frames it was seen in")
    checks: list[CheckSummary]
    reps: list[RepReport] = Field(default_factory=list)
    holds: list[HoldReport] = Field(default_factory=list)
    rep_count: int
    set_score: float | None
    sides: SideComparison | None = None
    cues: list[CueLog] = Field(default_factory=list)
    cannot_see: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    clearance: ClearanceRecord | None = None
    recognition: RecognitionRecord | None = None
    complete: bool = True
    incomplete_reason: str | None = None

    def lasting_setup_problems(self) -> dict[str, float]:
        """The set-up problems seen in at least :data:`LASTING_SETUP_SHARE` of the frames: the
        whole set was likely filmed or done that way (a wrong exercise, a view that cannot judge
        it), so the summary names them."""
        return {p: share for p, share in self.setup_problems.items() if share >= LASTING_SETUP_SHARE}

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write the report atomically: a reader finds the old report or the whole new one."""
        path = Path(path)
        try:
            write_text_atomic(path, self.model_dump_json(indent=2) + "\n")
        except OSError as exc:
            raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from exc
        return path


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, flush it to disk, then rename it over
    ``path``: a reader (or a run killed half-way) sees the old file or the whole new one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _flag_details(result: RepResult | HoldResult, limits: dict[str, float]) -> list[FlagDetail]:
    return [
        FlagDetail(check=cid, worst=_num(result.checks[cid].worst), limit=limits.get(cid),
                   past_by=_num(result.checks[cid].excess))
        for cid in result.flags if cid in result.checks
    ]


def rep_report(r: RepResult, exercise: Exercise, limits: dict[str, float]) -> RepReport:
    b = r.boundary
    unit = exercise.counting.unit if exercise.kind == "reps" else ""
    return RepReport(
        index=r.index, start_s=b.start_ms / 1000, peak_s=b.peak_ms / 1000, end_s=b.end_ms / 1000,
        side=b.side, range=_num(b.range, 1), range_unit=unit,
        time_up_s=round(b.time_up_s, 2), top_pause_s=round(b.top_pause_s, 2),
        time_down_s=round(b.time_down_s, 2),
        metrics={cid: _num(o.worst) for cid, o in r.checks.items()},
        unknown_fraction={cid: round(o.unknown_fraction, 3) for cid, o in r.checks.items()},
        flags=list(r.flags), flag_details=_flag_details(r, limits), score=round(r.score, 1),
        passed=not r.flags,
    )


def hold_report(h: HoldResult, limits: dict[str, float]) -> HoldReport:
    s = h.span
    return HoldReport(
        index=h.index, start_s=s.start_ms / 1000, end_s=s.end_ms / 1000,
        duration_s=round(s.duration_s, 2), good_form_s=round(s.good_s, 2),
        longest_good_s=round(s.longest_good_s, 2),
        metrics={cid: _num(o.worst) for cid, o in h.checks.items()},
        flags=list(h.flags), flag_details=_flag_details(h, limits), score=h.score,
    )


def item_report(result: RepResult | HoldResult, exercise: Exercise,
                limits: dict[str, float]) -> RepReport | HoldReport:
    """A finished rep or hold as the report shows it (for ``on_rep`` callbacks)."""
    if isinstance(result, RepResult):
        return rep_report(result, exercise, limits)
    return hold_report(result, limits)


def side_comparison(reps: list[RepReport]) -> SideComparison | None:
    """Per-side figures and their asymmetry; None when no rep has a side."""
    by_side: dict[str, list[RepReport]] = {"left": [], "right": []}
    for r in reps:
        if r.side in by_side:
            by_side[r.side].append(r)
    if not any(by_side.values()):
        return None

    def mean(values: list[float | None]) -> float | None:
        vals = [v for v in values if v is not None]
        return round(sum(vals) / len(vals), 2) if vals else None

    sides = {
        side: SideSummary(
            reps=len(rs), mean_range=mean([r.range for r in rs]),
            mean_duration_s=mean([r.end_s - r.start_s for r in rs]),
            flagged_reps=sum(1 for r in rs if r.flags), mean_score=mean([r.score for r in rs]))
        for side, rs in by_side.items()
    }

    def asym(a: float | None, b: float | None) -> float | None:
        if a is None or b is None or max(abs(a), abs(b)) == 0:
            return None
        return round(abs(a - b) / max(abs(a), abs(b)), 3)

    left, right = sides["left"], sides["right"]
    asymmetry = {
        "reps": asym(left.reps, right.reps),
        "range": asym(left.mean_range, right.mean_range),
        "duration": asym(left.mean_duration_s, right.mean_duration_s),
    }
    worth = any(v is not None and v > ASYMMETRY_REVIEW_THRESHOLD for v in asymmetry.values())
    return SideComparison(sides=sides, asymmetry=asymmetry, worth_review=worth)


def build_report(analyzer: Analyzer, input_info: InputInfo, processing: ProcessingInfo,
                 duration_s: float, warnings: list[str], incomplete_reason: str | None) -> SessionReport:
    """The report of a set as far as ``analyzer`` has seen it. ``complete`` is false when
    ``incomplete_reason`` is given, and also when no person was seen at all: then nothing was
    analysed, and the reason says so."""
    ex = analyzer.exercise
    if incomplete_reason is None and analyzer.frames_with_person == 0:
        incomplete_reason = (f"no person was found in any of the {analyzer.frames_seen} frames"
                             if analyzer.frames_seen else "no frame could be read")
    limits = analyzer.limits
    reps = [rep_report(r, ex, limits) for r in analyzer.reps]
    holds = [hold_report(h, limits) for h in analyzer.holds]
    view = analyzer.main_view
    checks = []
    for c in ex.checks:
        counts = analyzer.check_state_counts[c.id]
        items = analyzer.reps or analyzer.holds
        flagged_in = sum(1 for i in items if c.id in i.flags)
        excesses = [(i.checks[c.id].excess, i.checks[c.id].worst) for i in items
                    if math.isfinite(i.checks[c.id].excess)]
        worst = max(excesses)[1] if excesses else float("nan")
        measurable = view == "unknown" or view in c.views
        note = None if measurable else (
            f"not measurable from a {view} view; film from the {' or '.join(c.views)}")
        off_view = analyzer.off_view_counts[c.id]
        if measurable and off_view and off_view >= counts["ok"] + counts["flag"]:
            note = (f"judged only from a camera within {c.max_off_view_deg:g} degrees of square "
                    f"{view if view in c.views else c.views[0]}-on, which the camera was not in "
                    f"{off_view} of the frames it applied to: place it as the camera text says")
        checks.append(CheckSummary(
            id=c.id, title=c.title, unit=c.unit, limit=limits[c.id], flag_when=c.flag_when,
            frames_ok=counts["ok"], frames_flag=counts["flag"], frames_unknown=counts["unknown"],
            flagged_in=flagged_in, worst=_num(worst), measurable_in_view=measurable, note=note))
    n = max(analyzer.frames_seen, 1)
    detection = analyzer.frames_with_person / n
    if analyzer.frames_seen and detection < 0.5:
        warnings = [*warnings, f"a person was found in only {detection:.0%} of frames; results are unreliable"]
    return SessionReport(
        exercise=ex.id, exercise_name=ex.name, kind=ex.kind, input=input_info,
        processing=processing, frames_total=analyzer.frames_seen,
        frames_with_person=analyzer.frames_with_person, detection_rate=round(detection, 4),
        duration_s=round(duration_s, 3), view=view,
        setup_problems={p: round(k / n, 3) for p, k in analyzer.setup_problem_counts.most_common()},
        checks=checks, reps=reps, holds=holds,
        rep_count=len(reps) if ex.kind == "reps" else len(holds),
        set_score=_num(analyzer.set_score, 1), sides=side_comparison(reps) if ex.per_side else None,
        cues=[CueLog(t_s=c.t_ms / 1000, text=c.text, kind=c.kind, source=c.source) for c in analyzer.cue_log],
        cannot_see=list(ex.cannot_see), warnings=warnings,
        complete=incomplete_reason is None, incomplete_reason=incomplete_reason,
    )


class FramesCsvWriter:
    """Streams one row per frame to ``frames.csv``. Use as a context manager.

    Columns: ``frame, t_ms, person_found, phase, signal, rep_count, hold_s``, then for each check
    its metric value ``<id>`` and its state ``<id>_state`` (``ok``/``flag``/``unknown``), then
    ``cue`` (the cue on screen). Empty cells are unknown numbers.
    """

    def __init__(self, path: str | os.PathLike[str], check_ids: list[str]) -> None:
        self.path = Path(path)
        self.check_ids = check_ids
        try:
            self._fh = open(self.path, "w", newline="", encoding="utf-8")
        except OSError as exc:
            raise OutputError(f"cannot write {self.path}: {exc.strerror or exc}") from exc
        self._writer = SpreadsheetSafeWriter(self._fh)
        header = ["frame", "t_ms", "person_found", "phase", "signal", "rep_count", "hold_s"]
        for cid in check_ids:
            header += [cid, f"{cid}_state"]
        self._writer.writerow([*header, "cue"])

    def write(self, index: int, result: FrameResult) -> None:
        row: list[object] = [index, result.t_ms, int(result.has_person), result.phase,
                             _cell(result.signal), result.rep_count, round(result.hold_s, 2)]
        for cid in self.check_ids:
            r = result.readings[cid]
            row += [_cell(r.value), r.state]
        row.append(result.cue.text if result.cue else "")
        self._writer.writerow(row)

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> FramesCsvWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _cell(x: float) -> str:
    return "" if not math.isfinite(x) else f"{x:.3f}"
