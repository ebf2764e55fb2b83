"""The session store: where analysed sets, reps, clips and therapists' reviews are kept.

:func:`open_store` returns a :class:`Store`, a small repository API over SQLAlchemy. The
database is SQLite in the data folder by default; any SQLAlchemy URL works
(``FORMCHECK_DATABASE_URL``, e.g. ``postgresql://user@host/formcheck``). Opening a store
upgrades its schema to the newest migration and marks sets whose recorder died as interrupted.

Where things live: the data folder and database URL as :mod:`formcheck.store.location` says;
clips in ``<data folder>/clips/<random folder per patient>/<random name>.mp4``, kept only on
this machine. Nothing a user types becomes a path.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import shutil
import socket
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import selectinload, sessionmaker

from formcheck.errors import FormcheckError
from formcheck.exercises import all_exercises, get_exercise
from formcheck.limits import PatientLimits
from formcheck.store import models as m
from formcheck.store.location import DATABASE_URL_ENV, data_dir, database_url
from formcheck.store.migrate import upgrade
from formcheck.store.records import (
    CheckOverrules,
    ItemKind,
    ItemRecord,
    PatientInfo,
    PatientOverview,
    ProgressPoint,
    ReviewRecord,
    SessionDetail,
    SessionSummary,
    SetDetail,
    SetSummary,
)

#: An ``in_progress`` set with no write for this long is interrupted, even if its process lives
#: (a closed browser leaves the app's server running).
STALE_AFTER = dt.timedelta(minutes=30)

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: A new pseudonym: letters (any language) and digits, with spaces, dots, dashes and
#: underscores inside; nothing a shell, a path or a page's markup could read as syntax.
_PSEUDONYM = re.compile(rf"[^\W_](?:[\w .-]{{0,{m.PSEUDONYM_MAX - 2}}}[^\W_])?")
#: Seconds to wait for a database server to answer a connection (PostgreSQL).
CONNECT_TIMEOUT_S = 10


class StoreError(FormcheckError):
    """The store cannot be opened, or a request names something that is not there."""


class StoreUnavailable(StoreError):
    """The database cannot be reached or used right now (a server down, a SQLite file locked by
    another program for longer than the busy timeout); what was stored before is intact."""


def open_store(url: str | None = None, data_dir_: str | os.PathLike[str] | None = None, *,
               reap: bool = True) -> Store:
    """Open (creating and migrating as needed) the session store.

    Raises:
        StoreError: the database cannot be reached or migrated.
    """
    explicit_url = url or os.environ.get(DATABASE_URL_ENV)
    folder = data_dir(data_dir_, explicit_url)
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise StoreError(f"cannot create the data folder {folder}: {exc.strerror or exc}") from exc
    full_url = database_url(url, folder)
    u = make_url(full_url)
    if u.get_backend_name() == "sqlite" and u.database not in (None, "", ":memory:"):
        try:
            Path(u.database).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            # Made here, readable by its owner only (SQLite would follow the umask: 0644); its
            # -wal and -shm files take the database file's mode.
            os.close(os.open(u.database, os.O_CREAT | os.O_WRONLY, 0o600))
        except OSError as exc:
            raise StoreError(f"cannot create {u.database}: {exc.strerror or exc}") from exc
    try:
        engine = _engine(full_url)
        with engine.begin() as conn:
            _migration_lock(conn)
            upgrade(conn)
    except (SQLAlchemyError, StoreUnavailable) as exc:
        shown = make_url(full_url).render_as_string(hide_password=True)
        raise StoreError(f"cannot open the session store at {shown}: {exc.__class__.__name__}: "
                         f"{str(exc).splitlines()[0][:200]}") from exc
    store = Store(engine, folder)
    if reap:
        store.reap_interrupted()
    return store


def _engine(url: str) -> Engine:
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        engine = create_engine(u, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            if u.database not in (None, "", ":memory:"):
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

    elif u.get_backend_name() == "postgresql":
        engine = create_engine(u, pool_pre_ping=True, connect_args={"connect_timeout": CONNECT_TIMEOUT_S})
    else:
        engine = create_engine(u, pool_pre_ping=True)
    event.listen(engine, "handle_error", _unavailable)
    return engine


#: SQLite reports everything as an OperationalError; these ones mean the file cannot be used now.
_SQLITE_UNAVAILABLE = ("locked", "busy", "unable to open", "disk i/o", "disk is full", "readonly")


def _unavailable(context) -> None:
    """SQLAlchemy's error hook: a database that cannot be reached or is locked becomes
    :class:`StoreUnavailable` with the driver's first line, so callers need not know SQLAlchemy
    (other errors, e.g. a broken constraint, stay as they are: they are bugs)."""
    if not isinstance(context.sqlalchemy_exception, (OperationalError, InterfaceError)):
        return
    first = (str(context.original_exception).strip().splitlines() or ["no answer"])[0][:200]
    if context.dialect.name == "sqlite" and not any(w in first.lower() for w in _SQLITE_UNAVAILABLE):
        return
    raise StoreUnavailable(f"the session store is unavailable: {first}") from context.original_exception


def _migration_lock(conn) -> None:
    """Let one process at a time migrate the database (two opening a new store at once would
    both create the tables); the lock ends with the transaction."""
    backend = conn.dialect.name
    if backend == "sqlite":
        conn.exec_driver_sql("BEGIN EXCLUSIVE")
    elif backend == "postgresql":
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(43110726)")  # any fixed number: formcheck's


def owner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _owner_alive(owner: str | None) -> bool | None:
    """True/False for a recorder on this machine; None when it ran elsewhere (cannot tell)."""
    if not owner:
        return None
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return None
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_text(value: str | None, limit: int, what: str, required: bool = False) -> str | None:
    """Strip ``value``, refuse control characters and anything longer than ``limit``.

    Raises:
        ValueError: naming ``what``.
    """
    if value is None:
        if required:
            raise ValueError(f"{what} is required")
        return None
    text = str(value).strip()
    if not text:
        if required:
            raise ValueError(f"{what} is required")
        return None
    if len(text) > limit:
        raise ValueError(f"{what} is too long ({len(text)} characters, at most {limit})")
    multiline = limit >= m.NOTE_MAX  # notes may have line breaks and tabs; names may not
    if _CONTROL.search(text.replace("\n", "").replace("\t", "") if multiline else text):
        raise ValueError(f"{what} contains control characters")
    return text


def check_pseudonym(value: str) -> str:
    """A new patient's pseudonym, stripped: 1 to :data:`~formcheck.store.models.PSEUDONYM_MAX`
    letters or digits, with spaces, ``.``, ``-`` or ``_`` between them. It only ever names a
    row: clip folders are random.

    Raises:
        ValueError: saying what a pseudonym may be.
    """
    text = str(value).strip()
    if not _PSEUDONYM.fullmatch(text):
        shown = text if len(text) <= 40 else text[:40] + "..."
        raise ValueError(f"{shown!r} is not a pseudonym: use 1 to {m.PSEUDONYM_MAX} letters or digits, "
                         "with spaces, dots, dashes or underscores between them (no real names)")
    return text


def _aware(t: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes: they were stored as UTC."""
    if t is None:
        return None
    return t if t.tzinfo is not None else t.replace(tzinfo=dt.timezone.utc)


class Store:
    """Repository API over the session store. Every method runs in its own short transaction
    and returns plain records (:mod:`formcheck.store.records`)."""

    def __init__(self, engine: Engine, folder: Path) -> None:
        self.engine = engine
        self.data_dir = folder
        self.clips_dir = folder / "clips"
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def __repr__(self) -> str:
        return f"Store({self.engine.url.render_as_string(hide_password=True)!r})"

    def session(self) -> OrmSession:
        return self._sessions()

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- patients ---------------------------------------------------------------------------
    def add_patient(self, pseudonym: str, clips_opt_in: bool = False) -> PatientInfo:
        """Create a patient (or return the existing one with that pseudonym).

        Raises:
            ValueError: not a pseudonym (:func:`check_pseudonym`).
        """
        with self.session() as s:
            found = s.scalar(select(m.Patient).where(m.Patient.pseudonym == str(pseudonym).strip()))
            if found is not None:  # named before the rules were this strict: still theirs
                return _patient(found)
        name = check_pseudonym(pseudonym)
        with self.session() as s, s.begin():
            p = s.scalar(select(m.Patient).where(m.Patient.pseudonym == name))
            if p is None:
                p = m.Patient(pseudonym=name, clips_opt_in=clips_opt_in, clip_folder=uuid.uuid4().hex)
                s.add(p)
                s.flush()
            return _patient(p)

    def patient(self, pseudonym: str) -> PatientInfo:
        """Raises: StoreError when there is no such patient."""
        with self.session() as s:
            return _patient(self._patient_row(s, pseudonym))

    def find_patient(self, pseudonym: str) -> PatientInfo | None:
        """The patient with this pseudonym, or None."""
        with self.session() as s:
            p = s.scalar(select(m.Patient).where(m.Patient.pseudonym == str(pseudonym).strip()))
            return _patient(p) if p is not None else None

    def latest_exercise(self, pseudonym: str) -> str | None:
        """The exercise of the patient's most recent set (None without one)."""
        with self.session() as s:
            return s.scalar(select(m.ExerciseSet.exercise).join(m.Session).join(m.Patient)
                            .where(m.Patient.pseudonym == str(pseudonym).strip())
                            .order_by(m.ExerciseSet.started_at.desc(), m.ExerciseSet.id.desc()).limit(1))

    def patients(self) -> list[PatientInfo]:
        with self.session() as s:
            return [_patient(p) for p in s.scalars(select(m.Patient).order_by(m.Patient.pseudonym))]

    def set_clips_opt_in(self, pseudonym: str, opt_in: bool) -> None:
        with self.session() as s, s.begin():
            self._patient_row(s, pseudonym).clips_opt_in = opt_in

    def delete_patient(self, pseudonym: str) -> int:
        """Delete a patient, every session, review and limit of theirs, and their clip files.
        Returns the number of clip files removed."""
        with self.session() as s, s.begin():
            p = self._patient_row(s, pseudonym)
            folder = self._clip_folder(p.clip_folder)
            s.delete(p)
        removed = 0
        if folder.is_dir():
            removed = sum(1 for f in folder.iterdir() if f.is_file())
            shutil.rmtree(folder)
        return removed

    def _patient_row(self, s: OrmSession, pseudonym: str) -> m.Patient:
        name = clean_text(pseudonym, m.PSEUDONYM_MAX, "pseudonym", required=True)
        p = s.scalar(select(m.Patient).where(m.Patient.pseudonym == name))
        if p is None:
            raise StoreError(f"no patient {name!r} in the store")
        return p

    def _clip_folder(self, token: str) -> Path:
        if not re.fullmatch(r"[0-9a-f]{32}", token or ""):
            raise StoreError("corrupt clip folder name in the store")
        return self.clips_dir / token

    def clip_path(self, patient_clip_folder: str, clip_name: str | None) -> Path | None:
        """The clip file for a stored name, only if it is a generated name inside the patient's
        clip folder and exists."""
        if not clip_name or not re.fullmatch(r"[0-9a-f]{32}\.mp4", clip_name):
            return None
        path = self._clip_folder(patient_clip_folder) / clip_name
        return path if path.is_file() else None

    # -- limits, caps, clearances ------------------------------------------------------------
    def set_limit(self, pseudonym: str, exercise: str, check_id: str, value: float | None,
                  set_by: str | None = None) -> None:
        """Set (or with ``value`` None, clear) a patient's own limit for one check.

        Raises:
            ValueError: unknown exercise or check, or a value the check does not accept
                (:meth:`formcheck.exercises.spec.Check.checked_limit`).
        """
        ex = get_exercise(exercise)
        checks = {c.id: c for c in ex.checks}
        if check_id not in checks:
            raise ValueError(f"{ex.id} has no check {check_id!r}")
        if value is not None:
            try:
                value = checks[check_id].checked_limit(value)
            except ValueError as exc:
                raise ValueError(f"{ex.id} {exc}") from None
        by = clean_text(set_by, m.NAME_MAX, "therapist name")
        with self.session() as s, s.begin():
            p = self._patient_row(s, pseudonym)
            row = s.scalar(select(m.PatientLimit).where(
                m.PatientLimit.patient_id == p.id, m.PatientLimit.exercise == ex.id,
                m.PatientLimit.check_id == check_id))
            if value is None:
                if row is not None:
                    s.delete(row)
                return
            if row is None:
                row = m.PatientLimit(patient_id=p.id, exercise=ex.id, check_id=check_id, value=float(value))
                s.add(row)
            row.value, row.set_by, row.set_at = float(value), by, m.utcnow()

    def set_cap(self, pseudonym: str, kind: str, max_deg: float | None, reason: str | None = None,
                set_by: str | None = None) -> None:
        """Set (``max_deg`` None: remove) a flexion (disc) or extension (stenosis) cap."""
        if kind not in m.CAP_KINDS:
            raise ValueError(f"cap must be one of {', '.join(m.CAP_KINDS)}")
        if max_deg is not None and not (math.isfinite(float(max_deg)) and 0 <= float(max_deg) <= 180):
            raise ValueError("a cap is a number of degrees between 0 and 180")
        why = clean_text(reason, 200, "reason")
        by = clean_text(set_by, m.NAME_MAX, "therapist name")
        with self.session() as s, s.begin():
            p = self._patient_row(s, pseudonym)
            row = s.scalar(select(m.PatientCap).where(m.PatientCap.patient_id == p.id, m.PatientCap.kind == kind))
            if max_deg is None:
                if row is not None:
                    s.delete(row)
                return
            if row is None:
                row = m.PatientCap(patient_id=p.id, kind=kind, max_deg=float(max_deg))
                s.add(row)
            row.max_deg, row.reason, row.set_by, row.set_at = float(max_deg), why, by, m.utcnow()

    def set_clearance(self, pseudonym: str, exercise: str, cleared_on: dt.date | None,
                      cleared_by: str | None = None, note: str | None = None) -> None:
        """Record (``cleared_on`` None: withdraw) a therapist's clearance of the patient for an
        exercise (those that declare a clearance question)."""
        ex_id = exercise.strip().lower()
        if not re.fullmatch(r"[a-z0-9_]{1,64}", ex_id):
            raise ValueError(f"not an exercise id: {exercise!r}")
        if ex_id not in all_exercises():
            raise ValueError(f"unknown exercise {exercise!r}")
        by = clean_text(cleared_by, m.NAME_MAX, "therapist name")
        text = clean_text(note, m.NOTE_MAX, "note")
        with self.session() as s, s.begin():
            p = self._patient_row(s, pseudonym)
            row = s.scalar(select(m.Clearance).where(m.Clearance.patient_id == p.id, m.Clearance.exercise == ex_id))
            if cleared_on is None:
                if row is not None:
                    s.delete(row)
                return
            if row is None:
                row = m.Clearance(patient_id=p.id, exercise=ex_id, cleared_on=cleared_on)
                s.add(row)
            row.cleared_on, row.cleared_by, row.note = cleared_on, by, text

    def limits(self, pseudonym: str) -> dict[str, dict[str, float]]:
        """The patient's own limits: exercise id -> check id -> limit."""
        with self.session() as s:
            p = self._patient_row(s, pseudonym)
            out: dict[str, dict[str, float]] = defaultdict(dict)
            for row in s.scalars(select(m.PatientLimit).where(m.PatientLimit.patient_id == p.id)):
                out[row.exercise][row.check_id] = row.value
            return dict(out)

    def caps(self, pseudonym: str) -> dict[str, tuple[float, str | None]]:
        """kind -> (max degrees, reason)."""
        with self.session() as s:
            p = self._patient_row(s, pseudonym)
            return {c.kind: (c.max_deg, c.reason) for c in
                    s.scalars(select(m.PatientCap).where(m.PatientCap.patient_id == p.id))}

    def clearance(self, pseudonym: str, exercise: str) -> tuple[dt.date, str | None] | None:
        with self.session() as s:
            p = self._patient_row(s, pseudonym)
            row = s.scalar(select(m.Clearance).where(m.Clearance.patient_id == p.id,
                                                     m.Clearance.exercise == exercise.strip().lower()))
            return (row.cleared_on, row.cleared_by) if row else None

    def patient_limits(self, pseudonym: str) -> PatientLimits:
        """The patient's own limits and caps, for :func:`formcheck.limits.effective_limits`;
        empty for an unknown patient."""
        try:
            return PatientLimits(self.limits(pseudonym),
                                 {kind: cap for kind, (cap, _) in self.caps(pseudonym).items()})
        except StoreError:
            return PatientLimits()

    def reap_interrupted(self, stale_after: dt.timedelta = STALE_AFTER) -> int:
        """Mark ``in_progress`` sets whose recorder is gone (its process died on this machine, or
        nothing was written for ``stale_after``) as ``interrupted``. Returns how many."""
        now = m.utcnow()
        with self.session() as s, s.begin():
            reaped = 0
            for row in s.scalars(select(m.ExerciseSet).where(m.ExerciseSet.status == "in_progress")):
                alive = _owner_alive(row.owner)
                stale = now - _aware(row.heartbeat_at) > stale_after
                if alive is False or stale:
                    row.status = "interrupted"
                    row.finished_at = _aware(row.heartbeat_at)
                    row.status_reason = ("the recording process ended before the set was finished"
                                         if alive is False else
                                         f"nothing recorded for over {int(stale_after.total_seconds() // 60)} min")
                    reaped += 1
            return reaped

    # -- reviews -----------------------------------------------------------------------------
    def add_review(self, item_kind: ItemKind, item_id: int, verdict: str, *, reviewer: str | None = None,
                   note: str | None = None, check_id: str | None = None) -> list[int]:
        """Store a therapist's verdict on a rep or hold, with the time.

        ``agree`` / ``overrule`` apply to ``check_id`` or, when it is None, to every flag of the
        item (one review per flag, so per-check statistics stay exact). ``note`` stores the
        note alone. Returns the new review ids.

        Raises:
            ValueError: unknown verdict, a check the item was not flagged for, text too long.
            StoreError: no such rep or hold.
        """
        if verdict not in m.VERDICTS:
            raise ValueError(f"verdict must be one of {', '.join(m.VERDICTS)}")
        text = clean_text(note, m.NOTE_MAX, "note", required=verdict == "note")
        who = clean_text(reviewer, m.NAME_MAX, "reviewer")
        model = m.Rep if item_kind == "rep" else m.Hold if item_kind == "hold" else None
        if model is None:
            raise ValueError("item kind must be rep or hold")
        with self.session() as s, s.begin():
            item = s.get(model, int(item_id))
            if item is None:
                raise StoreError(f"no {item_kind} with id {item_id}")
            if verdict == "note":
                targets: list[str | None] = [check_id]
            elif check_id is not None:
                if check_id not in item.flags:
                    raise ValueError(f"{item_kind} {item.index} was not flagged for {check_id!r}")
                targets = [check_id]
            else:
                targets = list(item.flags)
                if not targets:
                    raise ValueError(f"{item_kind} {item.index} has no flags to agree with or overrule")
            key = "rep_id" if item_kind == "rep" else "hold_id"
            rows = [m.Review(**{key: item.id}, check_id=c, verdict=verdict, note=text, reviewer=who)
                    for c in targets]
            s.add_all(rows)
            s.flush()
            return [r.id for r in rows]

    def overrule_stats(self, pseudonym: str | None = None) -> list[CheckOverrules]:
        """Per exercise and check: how many reps/holds it flagged, how many a therapist judged,
        agreed with and overruled (latest verdict per item and check)."""
        counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        with self.session() as s:
            for model in (m.Rep, m.Hold):
                q = _items_query(model, m.ExerciseSet.exercise).options(selectinload(model.reviews))
                if pseudonym is not None:
                    q = q.where(m.Session.patient_id == self._patient_row(s, pseudonym).id)
                for item, exercise in s.execute(q):
                    verdicts = _latest_verdicts(item.reviews)
                    for cid in item.flags:
                        c = counts[(exercise, cid)]
                        c[0] += 1
                        v = verdicts.get(cid)
                        if v is not None:
                            c[1] += 1
                            c[2 if v == "agree" else 3] += 1
        return [CheckOverrules(ex, cid, *c) for (ex, cid), c in sorted(counts.items())]

    # -- reading -----------------------------------------------------------------------------
    def patients_overview(self) -> list[PatientOverview]:
        """Every patient with their latest session, those with flags awaiting review first."""
        with self.session() as s:
            patients = list(s.scalars(select(m.Patient)))
            latest = {pid: (n, last) for pid, n, last in s.execute(
                select(m.Session.patient_id, func.count(m.Session.id), func.max(m.Session.started_at))
                .group_by(m.Session.patient_id))}
            latest_id = {}
            for pid, sid, started in s.execute(select(m.Session.patient_id, m.Session.id, m.Session.started_at)):
                if pid in latest and _aware(started) == _aware(latest[pid][1]):
                    latest_id[pid] = max(sid, latest_id.get(pid, 0))
            to_review = self._to_review_by_patient(s)
        rows = [PatientOverview(_patient(p), latest.get(p.id, (0, None))[0], latest_id.get(p.id),
                                _aware(latest.get(p.id, (0, None))[1]), to_review.get(p.id, 0))
                for p in patients]
        rows.sort(key=lambda r: (-r.to_review,
                                 -r.latest_session_at.timestamp() if r.latest_session_at else 0.0,
                                 r.patient.pseudonym))
        return rows

    def _to_review_by_patient(self, s: OrmSession) -> dict[int, int]:
        out: dict[int, int] = defaultdict(int)
        for model in (m.Rep, m.Hold):
            q = _items_query(model, m.Session.patient_id).options(selectinload(model.reviews))
            for item, pid in s.execute(q):
                if item.flags and any(f not in _latest_verdicts(item.reviews) for f in item.flags):
                    out[pid] += 1
        return out

    def sessions(self, pseudonym: str | None = None, limit: int | None = None) -> list[SessionSummary]:
        """Sessions, newest first (optionally one patient's)."""
        with self.session() as s:
            q = (select(m.Session).options(
                selectinload(m.Session.patient),
                selectinload(m.Session.sets).selectinload(m.ExerciseSet.reps).selectinload(m.Rep.reviews),
                selectinload(m.Session.sets).selectinload(m.ExerciseSet.holds).selectinload(m.Hold.reviews))
                 .order_by(m.Session.started_at.desc(), m.Session.id.desc()))
            if pseudonym is not None:
                q = q.where(m.Session.patient_id == self._patient_row(s, pseudonym).id)
            if limit is not None:
                q = q.limit(limit)
            return [_session_summary(x) for x in s.scalars(q)]

    def session_detail(self, session_id: int) -> SessionDetail:
        """Raises: StoreError when there is no such session."""
        with self.session() as s:
            sess = s.scalar(select(m.Session).where(m.Session.id == int(session_id)).options(
                selectinload(m.Session.patient),
                selectinload(m.Session.sets).selectinload(m.ExerciseSet.reps).selectinload(m.Rep.reviews),
                selectinload(m.Session.sets).selectinload(m.ExerciseSet.holds).selectinload(m.Hold.reviews),
                selectinload(m.Session.sets).selectinload(m.ExerciseSet.pain_stops)))
            if sess is None:
                raise StoreError(f"no session with id {session_id}")
            folder = sess.patient.clip_folder
            sets = tuple(
                SetDetail(summary=_set_summary(st),
                          items=tuple(self._item(i, "rep", folder) for i in st.reps)
                          + tuple(self._item(i, "hold", folder) for i in st.holds),
                          limits=dict(st.limits or {}), report=st.report,
                          pain_stops=tuple((p.t_s, p.note) for p in st.pain_stops))
                for st in sess.sets)
            return SessionDetail(_session_summary(sess), sets)

    def _item(self, row: m.Rep | m.Hold, kind: ItemKind, folder: str) -> ItemRecord:
        reviews = tuple(ReviewRecord(r.id, kind, row.id, r.check_id, r.verdict, r.note, r.reviewer,
                                     _aware(r.created_at)) for r in row.reviews)
        extra: dict[str, Any] = {}
        if kind == "rep":
            extra = dict(peak_s=row.peak_s, side=row.side, range=row.range, range_unit=row.range_unit,
                         time_up_s=row.time_up_s, top_pause_s=row.top_pause_s)
        else:
            extra = dict(duration_s=row.duration_s)
        return ItemRecord(kind=kind, id=row.id, set_id=row.set_id, index=row.index, start_s=row.start_s,
                          end_s=row.end_s, metrics=dict(row.metrics or {}), flags=tuple(row.flags or ()),
                          flag_details=tuple(row.flag_details or ()), score=row.score, series=row.series,
                          clip=self.clip_path(folder, row.clip_name), clip_start_s=row.clip_start_s,
                          reviews=reviews,
                          verdicts=_latest_verdicts(row.reviews), **extra)

    def progress(self, pseudonym: str) -> list[ProgressPoint]:
        """One point per finished (or interrupted) set of the patient, oldest first."""
        with self.session() as s:
            p = self._patient_row(s, pseudonym)
            q = (select(m.ExerciseSet, m.Session.started_at).join(m.Session)
                 .where(m.Session.patient_id == p.id, m.ExerciseSet.status != "in_progress")
                 .options(selectinload(m.ExerciseSet.reps), selectinload(m.ExerciseSet.holds))
                 .order_by(m.Session.started_at, m.ExerciseSet.id))
            return [_progress_point(st, _aware(started)) for st, started in s.execute(q)]

    def delete_session(self, session_id: int) -> int:
        """Delete one session with its sets, reps, reviews and clip files. Returns clips removed."""
        with self.session() as s, s.begin():
            sess = s.get(m.Session, int(session_id))
            if sess is None:
                raise StoreError(f"no session with id {session_id}")
            clips = self._drop_session(s, sess)
        return remove_files(clips)

    def _drop_session(self, s: OrmSession, sess: m.Session) -> list[Path]:
        """Delete a session's rows in the transaction ``s``; returns its clip files, for the
        caller to remove once that transaction has committed."""
        folder = sess.patient.clip_folder
        paths = [self.clip_path(folder, i.clip_name) for st in sess.sets for i in (*st.reps, *st.holds)]
        s.delete(sess)
        return [p for p in paths if p is not None]


def remove_files(paths: list[Path]) -> int:
    """Delete the files that are still there; returns how many."""
    removed = 0
    for path in paths:
        if path.is_file():
            path.unlink()
            removed += 1
    return removed


def _items_query(model: type, *columns: Any):
    """SELECT reps or holds (with ``columns``) joined to their set and session."""
    return (select(model, *columns).select_from(model)
            .join(m.ExerciseSet, model.set_id == m.ExerciseSet.id)
            .join(m.Session, m.ExerciseSet.session_id == m.Session.id))


def _patient(p: m.Patient) -> PatientInfo:
    return PatientInfo(p.id, p.pseudonym, bool(p.clips_opt_in), _aware(p.created_at))


def _latest_verdicts(reviews: list[m.Review]) -> dict[str, str]:
    """check id -> latest agree/overrule (notes do not count as a verdict)."""
    out: dict[str, str] = {}
    for r in sorted(reviews, key=lambda r: r.id):
        if r.verdict in ("agree", "overrule") and r.check_id is not None:
            out[r.check_id] = r.verdict
    return out


def _set_summary(st: m.ExerciseSet) -> SetSummary:
    items = [*st.reps, *st.holds]
    flagged = [i for i in items if i.flags]
    to_review = sum(1 for i in flagged if any(f not in _latest_verdicts(i.reviews) for f in i.flags))
    return SetSummary(id=st.id, session_id=st.session_id, exercise=st.exercise,
                      exercise_name=st.exercise_name or st.exercise, kind=st.kind, status=st.status,
                      started_at=_aware(st.started_at), finished_at=_aware(st.finished_at), score=st.score,
                      rep_count=st.rep_count, items=len(items), flagged=len(flagged), to_review=to_review,
                      view=st.view, status_reason=st.status_reason)


def _session_summary(sess: m.Session) -> SessionSummary:
    return SessionSummary(id=sess.id, patient=sess.patient.pseudonym, started_at=_aware(sess.started_at),
                          source=sess.source, source_name=sess.source_name,
                          sets=tuple(_set_summary(st) for st in sess.sets))


def _mean(values: list[float | None]) -> float | None:
    vals = [v for v in values if v is not None and math.isfinite(v)]
    return sum(vals) / len(vals) if vals else None


def _asym(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or max(abs(a), abs(b)) == 0:
        return None
    return abs(a - b) / max(abs(a), abs(b))


def _progress_point(st: m.ExerciseSet, started: dt.datetime) -> ProgressPoint:
    left = [r for r in st.reps if r.side == "left"]
    right = [r for r in st.reps if r.side == "right"]
    left_range, right_range = _mean([r.range for r in left]), _mean([r.range for r in right])
    balance = None
    if left or right:
        balance = _asym(left_range, right_range)
        if balance is None:
            balance = _asym(len(left), len(right))
    return ProgressPoint(
        set_id=st.id, session_id=st.session_id, started_at=started, exercise=st.exercise, status=st.status,
        reps=len(st.reps) if st.kind == "reps" else len(st.holds), score=st.score,
        mean_range=_mean([r.range for r in st.reps]),
        range_unit=next((r.range_unit for r in st.reps if r.range_unit), None),
        mean_hold_s=_mean([h.duration_s for h in st.holds]),
        left_reps=len(left), right_reps=len(right), left_range=left_range, right_range=right_range,
        balance=balance)
