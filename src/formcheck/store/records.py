"""What the store hands out: frozen dataclasses, detached from the database session, so the CLI,
the review page and the exports never hold ORM objects."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

ItemKind = Literal["rep", "hold"]


@dataclass(frozen=True)
class PatientInfo:
    id: int
    pseudonym: str
    clips_opt_in: bool
    created_at: dt.datetime


@dataclass(frozen=True)
class PatientOverview:
    """One line of the patients list: latest session and how many flagged reps/holds still wait
    for a therapist's verdict."""

    patient: PatientInfo
    sessions: int
    latest_session_id: int | None
    latest_session_at: dt.datetime | None
    to_review: int


@dataclass(frozen=True)
class SetSummary:
    id: int
    session_id: int
    exercise: str
    exercise_name: str
    kind: str
    status: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    score: float | None
    rep_count: int
    items: int
    flagged: int
    to_review: int
    view: str | None
    status_reason: str | None


@dataclass(frozen=True)
class SessionSummary:
    id: int
    patient: str
    started_at: dt.datetime
    source: str
    source_name: str | None
    sets: tuple[SetSummary, ...]

    @property
    def flagged(self) -> int:
        return sum(s.flagged for s in self.sets)

    @property
    def to_review(self) -> int:
        return sum(s.to_review for s in self.sets)


@dataclass(frozen=True)
class ReviewRecord:
    id: int
    item_kind: ItemKind
    item_id: int
    check_id: str | None
    verdict: str
    note: str | None
    reviewer: str | None
    created_at: dt.datetime


@dataclass(frozen=True)
class ItemRecord:
    """A rep or a hold as stored. ``verdicts`` maps each flagged check to the latest agree /
    overrule (absent = not reviewed yet)."""

    kind: ItemKind
    id: int
    set_id: int
    index: int
    start_s: float
    end_s: float
    metrics: dict[str, Any]
    flags: tuple[str, ...]
    flag_details: tuple[dict[str, Any], ...]
    score: float | None
    series: dict[str, Any] | None
    clip: Path | None
    reviews: tuple[ReviewRecord, ...]
    #: When the clip's first frame was, seconds of the input (None: not recorded).
    clip_start_s: float | None = None
    peak_s: float | None = None
    side: str | None = None
    range: float | None = None
    range_unit: str | None = None
    duration_s: float | None = None
    time_up_s: float | None = None
    top_pause_s: float | None = None
    verdicts: dict[str, str] = field(default_factory=dict)

    @property
    def needs_review(self) -> bool:
        return any(f not in self.verdicts for f in self.flags)

    @property
    def label(self) -> str:
        side = f" ({self.side})" if self.side else ""
        return f"{self.kind} {self.index}{side}"


@dataclass(frozen=True)
class SetDetail:
    summary: SetSummary
    items: tuple[ItemRecord, ...]
    limits: dict[str, float]
    report: dict[str, Any] | None
    pain_stops: tuple[tuple[float | None, str | None], ...]


@dataclass(frozen=True)
class SessionDetail:
    summary: SessionSummary
    sets: tuple[SetDetail, ...]


@dataclass(frozen=True)
class CheckOverrules:
    """How therapists judged one check's flags: ``overrule_rate`` is overruled / reviewed."""

    exercise: str
    check_id: str
    flagged: int
    reviewed: int
    agreed: int
    overruled: int

    @property
    def overrule_rate(self) -> float | None:
        return self.overruled / self.reviewed if self.reviewed else None


@dataclass(frozen=True)
class ProgressPoint:
    """One finished set, for plots over sessions. ``balance`` is |left - right| / max of the
    per-side mean range (or rep counts when there is no range); None without sides."""

    set_id: int
    session_id: int
    started_at: dt.datetime
    exercise: str
    status: str
    reps: int
    score: float | None
    mean_range: float | None
    range_unit: str | None
    mean_hold_s: float | None
    left_reps: int
    right_reps: int
    left_range: float | None
    right_range: float | None
    balance: float | None


@dataclass(frozen=True)
class SavedSet:
    """What :func:`formcheck.store.save_analysis` stored."""

    session_id: int
    set_id: int
    reps: int
    holds: int
    clips: int
    already_saved: bool = False
    #: The session recorded from the same input before, which this one replaced.
    replaced: int | None = None
