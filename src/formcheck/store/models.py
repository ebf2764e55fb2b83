"""The session store's tables, as SQLAlchemy 2 declarative models.

The schema is created and changed only by the Alembic migrations in
``formcheck/store/migrations/versions`` (``open_store`` upgrades to head); a test compares the
migrated database with these models so the two cannot drift apart.

Conventions:

- Times of day are timezone-aware UTC (``DateTime(timezone=True)``); times inside a video are
  float seconds from the start of the input (``*_s``), as in ``report.json``.
- Metrics, flags and per-rep metric series are JSON, shaped as in
  :class:`formcheck.report.RepReport` (``metrics``: check id -> worst value; ``flags``: check ids;
  ``series``: ``{"t_s": [...], "<check id>": [...]}`` with null for unknown).
- No real names: a patient is a pseudonym chosen by the therapist. Nothing a user types ever
  becomes a file name; clip files are named by the store.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, get_args

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from formcheck.exercises.spec import CapKind

#: Set statuses. ``in_progress`` sets whose recorder died are turned into ``interrupted`` when a
#: store is opened (see :func:`formcheck.store.db.reap_interrupted`).
SET_STATUSES = ("in_progress", "complete", "interrupted", "pain_stopped")
#: Review verdicts: the therapist agrees with a flag, overrules it (not a fault), or only notes.
VERDICTS = ("agree", "overrule", "note")
#: Per-patient caps on spinal range (herniated disc -> flexion, spinal stenosis -> extension).
CAP_KINDS: tuple[CapKind, ...] = get_args(CapKind)

PSEUDONYM_MAX = 64
NOTE_MAX = 2000
NAME_MAX = 64


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Patient(Base):
    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(PSEUDONYM_MAX), unique=True)
    clips_opt_in: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Random folder name for this patient's clips (never derived from the pseudonym).
    clip_folder: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    sessions: Mapped[list[Session]] = relationship(back_populates="patient", cascade="all, delete-orphan",
                                                   passive_deletes=True)
    limits: Mapped[list[PatientLimit]] = relationship(cascade="all, delete-orphan", passive_deletes=True)
    caps: Mapped[list[PatientCap]] = relationship(cascade="all, delete-orphan", passive_deletes=True)
    clearances: Mapped[list[Clearance]] = relationship(cascade="all, delete-orphan", passive_deletes=True)


class PatientLimit(Base):
    """A therapist's own limit for one check of one exercise (overrides the default)."""

    __tablename__ = "patient_limits"
    __table_args__ = (UniqueConstraint("patient_id", "exercise", "check_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    exercise: Mapped[str] = mapped_column(String(64))
    check_id: Mapped[str] = mapped_column(String(64))
    value: Mapped[float] = mapped_column(Float)
    set_by: Mapped[str | None] = mapped_column(String(NAME_MAX))
    set_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PatientCap(Base):
    """A cap on spinal range for a condition: ``flexion`` (herniated disc) or ``extension``
    (spinal stenosis), in degrees. Exercises with a check of the same id obey it."""

    __tablename__ = "patient_caps"
    __table_args__ = (UniqueConstraint("patient_id", "kind"),
                      CheckConstraint("kind IN ('flexion', 'extension')", name="ck_cap_kind"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    max_deg: Mapped[float] = mapped_column(Float)
    reason: Mapped[str | None] = mapped_column(String(200))
    set_by: Mapped[str | None] = mapped_column(String(NAME_MAX))
    set_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Clearance(Base):
    """A therapist's clearance for an exercise the guides forbid during back pain (deadlift)."""

    __tablename__ = "clearances"
    __table_args__ = (UniqueConstraint("patient_id", "exercise"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    exercise: Mapped[str] = mapped_column(String(64))
    cleared_on: Mapped[dt.date] = mapped_column(Date)
    cleared_by: Mapped[str | None] = mapped_column(String(NAME_MAX))
    note: Mapped[str | None] = mapped_column(String(NOTE_MAX))


class Session(Base):
    """One sitting: a recorded video analysed, or a live camera session (one or more sets)."""

    __tablename__ = "sessions"
    __table_args__ = (UniqueConstraint("patient_id", "source_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    source: Mapped[str] = mapped_column(String(16))  # video / camera / landmarks / batch
    source_name: Mapped[str | None] = mapped_column(String(255))  # file name only, for display
    #: Identifies the input (batch: path, size and mtime) so re-saving it is a no-op.
    source_key: Mapped[str | None] = mapped_column(String(64))
    formcheck_version: Mapped[str | None] = mapped_column(String(32))

    patient: Mapped[Patient] = relationship(back_populates="sessions")
    sets: Mapped[list[ExerciseSet]] = relationship(back_populates="session", cascade="all, delete-orphan",
                                                   passive_deletes=True, order_by="ExerciseSet.id")


class ExerciseSet(Base):
    __tablename__ = "sets"
    __table_args__ = (CheckConstraint(
        "status IN ('in_progress', 'complete', 'interrupted', 'pain_stopped')", name="ck_set_status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    exercise: Mapped[str] = mapped_column(String(64))
    exercise_name: Mapped[str | None] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))  # reps / hold / none
    status: Mapped[str] = mapped_column(String(16), default="in_progress", index=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: Last write by the recorder; a stale ``in_progress`` set is an interrupted one.
    heartbeat_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: ``host:pid`` of the recording process, to tell a live recorder from a dead one.
    owner: Mapped[str | None] = mapped_column(String(128))
    score: Mapped[float | None] = mapped_column(Float)
    rep_count: Mapped[int] = mapped_column(Integer, default=0)
    view: Mapped[str | None] = mapped_column(String(16))
    limits: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: The finished set's report (a :class:`formcheck.report.SessionReport` as JSON), else null.
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status_reason: Mapped[str | None] = mapped_column(String(500))

    session: Mapped[Session] = relationship(back_populates="sets")
    reps: Mapped[list[Rep]] = relationship(back_populates="set", cascade="all, delete-orphan",
                                           passive_deletes=True, order_by="Rep.index")
    holds: Mapped[list[Hold]] = relationship(back_populates="set", cascade="all, delete-orphan",
                                             passive_deletes=True, order_by="Hold.index")
    pain_stops: Mapped[list[PainStop]] = relationship(cascade="all, delete-orphan", passive_deletes=True)


class _Item:
    """Columns shared by reps and holds."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    index: Mapped[int] = mapped_column(Integer)
    start_s: Mapped[float] = mapped_column(Float)
    end_s: Mapped[float] = mapped_column(Float)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    flags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    flag_details: Mapped[list[Any]] = mapped_column(JSON, default=list)
    score: Mapped[float | None] = mapped_column(Float)
    series: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: Clip file name inside the patient's clip folder (generated), or null.
    clip_name: Mapped[str | None] = mapped_column(String(64))
    clip_bytes: Mapped[int | None] = mapped_column(Integer)
    #: When the clip's first frame was, in seconds of the input (to find a moment of the rep in it).
    clip_start_s: Mapped[float | None] = mapped_column(Float)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Rep(_Item, Base):
    __tablename__ = "reps"
    __table_args__ = (UniqueConstraint("set_id", "index"),)

    set_id: Mapped[int] = mapped_column(ForeignKey("sets.id", ondelete="CASCADE"), index=True)
    peak_s: Mapped[float | None] = mapped_column(Float)
    side: Mapped[str | None] = mapped_column(String(8))
    range: Mapped[float | None] = mapped_column(Float)
    range_unit: Mapped[str | None] = mapped_column(String(16))
    time_up_s: Mapped[float | None] = mapped_column(Float)
    top_pause_s: Mapped[float | None] = mapped_column(Float)
    time_down_s: Mapped[float | None] = mapped_column(Float)

    set: Mapped[ExerciseSet] = relationship(back_populates="reps")
    reviews: Mapped[list[Review]] = relationship(cascade="all, delete-orphan", passive_deletes=True,
                                                 foreign_keys="Review.rep_id", order_by="Review.id")


class Hold(_Item, Base):
    __tablename__ = "holds"
    __table_args__ = (UniqueConstraint("set_id", "index"),)

    set_id: Mapped[int] = mapped_column(ForeignKey("sets.id", ondelete="CASCADE"), index=True)
    duration_s: Mapped[float] = mapped_column(Float)
    good_form_s: Mapped[float | None] = mapped_column(Float)
    longest_good_s: Mapped[float | None] = mapped_column(Float)

    set: Mapped[ExerciseSet] = relationship(back_populates="holds")
    reviews: Mapped[list[Review]] = relationship(cascade="all, delete-orphan", passive_deletes=True,
                                                 foreign_keys="Review.hold_id", order_by="Review.id")


class PainStop(Base):
    """The patient pressed "it hurts / stop": the set ended there."""

    __tablename__ = "pain_stops"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("sets.id", ondelete="CASCADE"), index=True)
    t_s: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(String(NOTE_MAX))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Review(Base):
    """A therapist's word on one rep or hold: on one flagged check (``check_id``) or, for a
    note, on the whole item (``check_id`` null). The latest review of an (item, check) counts."""

    __tablename__ = "reviews"
    __table_args__ = (
        CheckConstraint("(rep_id IS NULL) <> (hold_id IS NULL)", name="ck_review_one_item"),
        CheckConstraint("verdict IN ('agree', 'overrule', 'note')", name="ck_review_verdict"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rep_id: Mapped[int | None] = mapped_column(ForeignKey("reps.id", ondelete="CASCADE"), index=True)
    hold_id: Mapped[int | None] = mapped_column(ForeignKey("holds.id", ondelete="CASCADE"), index=True)
    check_id: Mapped[str | None] = mapped_column(String(64))
    verdict: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(String(NOTE_MAX))
    reviewer: Mapped[str | None] = mapped_column(String(NAME_MAX))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
