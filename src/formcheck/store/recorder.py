"""Writing sets into the store as they happen, rep by rep, and saving a finished analysis.

:class:`SetRecorder` commits each rep or hold in its own transaction the moment it is added, so
a crash, a killed process or a closed browser loses at most the rep in progress; the set then
stays ``in_progress`` until the next :func:`~formcheck.store.open_store` marks it
``interrupted``. Typical live use, with a :class:`formcheck.coach.LiveCoach`::

    with SetRecorder(store, "P-017", source="camera") as rec:
        rec.start_set("plank")
        coach = LiveCoach("plank", on_rep=rec.add_hold)   # add_rep for exercises counted in reps
        ...                      # per frame: rec.observe(coach.step(image, t_ms))
        rec.finish(coach.finish())   # or rec.pain_stop(t_s) when the patient taps "it hurts"

:func:`save_analysis` stores a finished :func:`formcheck.api.analyze` run the same way and cuts
the flagged-rep clips.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from formcheck import __version__
from formcheck.errors import UnknownExerciseError
from formcheck.exercises import get_exercise
from formcheck.store import models as m
from formcheck.store.clips import ClipFile, ClipWindow, clip_window, cut_clips, write_clip
from formcheck.store.db import Store, StoreError, clean_text, open_store, owner_id, remove_files
from formcheck.store.records import ItemKind, SavedSet
from formcheck.store.series import FrameSeries, MeasuredFrame, worst_time

if TYPE_CHECKING:
    from formcheck.exercises.spec import Exercise
    from formcheck.frames import VideoFrame
    from formcheck.report import AnalysisOutputs, HoldReport, RepReport, SessionReport

SOURCES = ("video", "camera", "landmarks", "batch")


class SetRecorder:
    """Records one session (one or more sets) for a patient, committing as it goes.

    Args:
        store: an open :class:`~formcheck.store.db.Store`.
        patient: the patient's pseudonym (created if new).
        source: ``video``, ``camera``, ``landmarks`` or ``batch``.
        source_name: what to show for the input (a file's name; any folders are dropped).
        source_key: identifies the input (:func:`source_key`): a session of this patient
            recorded from the same input before is replaced, with its clips, when the first set
            starts (a re-run of a clip does not double it; :attr:`replaced` says which).
        clips_opt_in: for a new patient, whether clips of their flagged reps may be kept.

    Raises:
        ValueError: an unknown source, or not a pseudonym. StoreError.
    """

    def __init__(self, store: Store, patient: str, *, source: str = "camera", source_name: str | None = None,
                 source_key: str | None = None, clips_opt_in: bool = False) -> None:
        if source not in SOURCES:
            raise ValueError(f"source must be one of {', '.join(SOURCES)}")
        self.store = store
        self.patient = store.add_patient(patient, clips_opt_in=clips_opt_in)
        self.source = source
        self.source_name = clean_text(Path(source_name).name if source_name else None, 255, "source name")
        self.source_key = source_key
        self.session_id: int | None = None
        #: The id of the session this one replaced (same patient, same input), if any.
        self.replaced: int | None = None
        self.set_id: int | None = None
        self._reps: dict[int, int] = {}   # rep index -> row id
        self._holds: dict[int, int] = {}
        self._series: FrameSeries | None = None
        self._open = False
        self._pain_stopped = False

    # -- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> SetRecorder:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if not self._open:
            return
        if exc_type is None:
            reason = "the recording stopped before the set was finished"
        elif issubclass(exc_type, KeyboardInterrupt):
            reason = "stopped by the user"
        else:
            reason = f"stopped by an error: {exc_type.__name__}"
        try:
            self.interrupt(reason)
        except StoreError:
            pass  # the store is not answering: the next open_store() marks the set interrupted

    def interrupt(self, reason: str) -> None:
        """End the open set as ``interrupted`` (keeping what was recorded), saying why."""
        if self._open:
            self._close_set("interrupted", reason)

    def discard(self) -> None:
        """Delete the session recorded so far, e.g. when nobody was in the video after all."""
        if self.session_id is not None:
            self.store.delete_session(self.session_id)
        self.session_id = self.set_id = None
        self._open = False

    @property
    def open(self) -> bool:
        """A set is being recorded (started and not finished)."""
        return self._open

    def start_set(self, exercise: str | Exercise, *, limits: dict[str, float] | None = None,
                  exercise_name: str | None = None, kind: str | None = None,
                  check_ids: list[str] | None = None) -> int:
        """Begin a set (finishing none: call :meth:`finish` first). Returns the set's id.

        ``exercise`` is an id or an :class:`Exercise`; for an id formcheck does not know (a
        report from another version) pass ``exercise_name``, ``kind`` and ``check_ids``.
        """
        if self._open:
            raise RuntimeError("a set is already being recorded: finish it first")
        ex: Exercise | None
        if isinstance(exercise, str):
            try:
                ex = get_exercise(exercise)
            except UnknownExerciseError:
                if kind is None:
                    raise
                ex = None
        else:
            ex = exercise
        ex_id = ex.id if ex else exercise
        name = exercise_name or (ex.name if ex else ex_id)
        kind = kind or (ex.kind if ex else "none")
        ids = check_ids if check_ids is not None else [c.id for c in ex.checks] if ex else []
        limits = {**({c.id: c.limit for c in ex.checks} if ex else {}), **(limits or {})}
        stale: list[Path] = []
        with self.store.session() as s, s.begin():
            if self.session_id is None:
                if self.source_key is not None:
                    stale = self._drop_earlier_recording(s)
                sess = m.Session(patient_id=self.patient.id, source=self.source, source_name=self.source_name,
                                 source_key=self.source_key, formcheck_version=__version__)
                s.add(sess)
                s.flush()
                self.session_id = sess.id
            st = m.ExerciseSet(session_id=self.session_id, exercise=str(ex_id), exercise_name=name, kind=kind,
                               status="in_progress", owner=owner_id(), limits=limits)
            s.add(st)
            s.flush()
            self.set_id = st.id
        remove_files(stale)
        self._reps, self._holds = {}, {}
        self._series = FrameSeries(["signal", *ids])
        self._open = True
        self._pain_stopped = False
        return self.set_id

    def _drop_earlier_recording(self, s) -> list[Path]:
        old = s.scalar(select(m.Session).where(m.Session.patient_id == self.patient.id,
                                               m.Session.source_key == self.source_key))
        if old is None:
            return []
        self.replaced = old.id
        clips = self.store._drop_session(s, old)
        s.flush()  # before the new session takes the same key
        return clips

    # -- per frame ---------------------------------------------------------------------------
    def observe(self, frame: MeasuredFrame) -> None:
        """Keep this frame's metric values, to cut each rep's series from (for its plot)."""
        if self._series is not None:
            self._series.observe(frame)

    def on_frame(self, video_frame: object, pose_frame: object, result: MeasuredFrame) -> None:
        """An ``on_frame`` callback for :func:`formcheck.api.analyze`."""
        self.observe(result)

    # -- items -------------------------------------------------------------------------------
    def add_rep(self, r: RepReport, series: dict[str, Any] | None = None) -> int:
        """Store one finished rep (as the report shows it: an ``on_rep`` callback gives it) and
        commit. Adding the same index again updates it."""
        self._require_open(allow_closed=True)
        data = dict(index=r.index, start_s=r.start_s, end_s=r.end_s, peak_s=r.peak_s, side=r.side,
                    range=_num(r.range), range_unit=r.range_unit or None, time_up_s=r.time_up_s,
                    top_pause_s=r.top_pause_s, time_down_s=r.time_down_s, metrics=_json_nums(r.metrics),
                    flags=list(r.flags), flag_details=[d.model_dump() for d in r.flag_details],
                    score=r.score)
        return self._upsert(m.Rep, self._reps, data, series)

    def add_hold(self, h: HoldReport, series: dict[str, Any] | None = None) -> int:
        """Store one finished hold and commit."""
        self._require_open(allow_closed=True)
        data = dict(index=h.index, start_s=h.start_s, end_s=h.end_s, duration_s=h.duration_s,
                    good_form_s=h.good_form_s, longest_good_s=h.longest_good_s, metrics=_json_nums(h.metrics),
                    flags=list(h.flags), flag_details=[d.model_dump() for d in h.flag_details], score=h.score)
        return self._upsert(m.Hold, self._holds, data, series)

    def _upsert(self, model: type, seen: dict[int, int], data: dict[str, Any],
                series: dict[str, Any] | None) -> int:
        if series is None and self._series is not None:
            series = self._series.window(data["start_s"], data["end_s"])
        with self.store.session() as s, s.begin():
            row = s.get(model, seen[data["index"]]) if data["index"] in seen else None
            if row is None:
                row = s.scalar(select(model).where(model.set_id == self.set_id, model.index == data["index"]))
            if row is None:
                row = model(set_id=self.set_id, **data, series=series)
                s.add(row)
            else:
                for k, v in data.items():
                    setattr(row, k, v)
                if series is not None:
                    row.series = series
            s.flush()
            seen[data["index"]] = row.id
            st = s.get(m.ExerciseSet, self.set_id)
            st.heartbeat_at = m.utcnow()
            st.rep_count = s.scalar(select(func.count()).select_from(model).where(model.set_id == self.set_id))
            if st.status == "interrupted" and self._open:  # reaped, or marked, while we were still alive
                st.status, st.status_reason, st.finished_at = "in_progress", None, None
            return row.id

    def mark_interrupted(self, reason: str) -> None:
        """Mark the open set ``interrupted`` while it may yet go on (no video is arriving: the
        camera was stopped or the page closed). It stays open here: the next rep or hold, or
        :meth:`resume`, makes it ``in_progress`` again."""
        self._require_open()
        with self.store.session() as s, s.begin():
            st = s.get(m.ExerciseSet, self.set_id)
            st.status, st.status_reason, st.finished_at = "interrupted", reason, st.heartbeat_at

    def resume(self) -> None:
        """Undo :meth:`mark_interrupted`: the set is under way again."""
        self._require_open()
        with self.store.session() as s, s.begin():
            st = s.get(m.ExerciseSet, self.set_id)
            if st.status == "interrupted":
                st.status, st.status_reason, st.finished_at = "in_progress", None, None
            st.heartbeat_at = m.utcnow()

    def add_clip(self, kind: ItemKind, index: int, frames: Iterable[VideoFrame], fps: float = 30.0) -> ClipFile | None:
        """Keep a clip of a recorded rep or hold, written from ``frames`` (drawn as they should
        be seen), if the patient has opted in to clips; returns it (None: not kept).

        Raises:
            ValueError: no such rep or hold was added. StoreError, OutputError.
        """
        model, seen = (m.Rep, self._reps) if kind == "rep" else (m.Hold, self._holds)
        if index not in seen:
            raise ValueError(f"no {kind} {index} recorded in this set")
        with self.store.session() as s:
            patient = s.get(m.ExerciseSet, self.set_id).session.patient
            if not patient.clips_opt_in:
                return None
            folder = self.store._clip_folder(patient.clip_folder)
        clip = write_clip(frames, folder, fps)
        if clip is None:
            return None
        try:
            with self.store.session() as s, s.begin():
                row = s.get(model, seen[index])
                if row is not None:
                    row.clip_name, row.clip_bytes, row.clip_start_s = clip.name, clip.bytes, clip.start_s
        except StoreError:
            (folder / clip.name).unlink(missing_ok=True)  # no row names it
            raise
        if row is None:  # deleted meanwhile
            (folder / clip.name).unlink(missing_ok=True)
            return None
        return clip

    def pain_stop(self, t_s: float | None = None, note: str | None = None) -> None:
        """The patient stopped for pain: record it and end the set as ``pain_stopped``."""
        self._require_open()
        text = clean_text(note, m.NOTE_MAX, "note")
        with self.store.session() as s, s.begin():
            s.add(m.PainStop(set_id=self.set_id, t_s=_num(t_s), note=text))
        self._pain_stopped = True
        self._close_set("pain_stopped", "the patient stopped for pain")

    def finish(self, report: SessionReport | None = None, status: str | None = None) -> int:
        """End the set. With the analysis ``report``, any rep or hold not yet recorded is added
        and the set's score, view and report are stored; the status is ``complete`` (or
        ``interrupted`` for an incomplete report; a pain stop stays ``pain_stopped``). Returns
        the set id."""
        self._require_open(allow_closed=self._pain_stopped)
        if report is not None:
            for r in report.reps:
                if r.index not in self._reps:
                    self.add_rep(r)
            for h in report.holds:
                if h.index not in self._holds:
                    self.add_hold(h)
        if status is None:
            status = "complete" if report is None or report.complete else "interrupted"
        if status not in m.SET_STATUSES or status == "in_progress":
            raise ValueError(f"cannot finish a set as {status!r}")
        with self.store.session() as s, s.begin():
            st = s.get(m.ExerciseSet, self.set_id)
            if report is not None:
                st.score = report.set_score
                st.view = report.view
                st.report = report.model_dump(mode="json")
                st.limits = dict(report.processing.limits) or st.limits
                if not report.complete:
                    st.status_reason = report.incomplete_reason
            else:
                scores = [i.score for i in (*st.reps, *st.holds) if i.score is not None]
                st.score = round(sum(scores) / len(scores), 1) if scores else None
            if st.status != "pain_stopped":
                st.status = status
            st.finished_at = st.finished_at if st.status == "pain_stopped" and st.finished_at else m.utcnow()
            st.heartbeat_at = m.utcnow()
        self._open = False
        return self.set_id

    def _close_set(self, status: str, reason: str) -> None:
        with self.store.session() as s, s.begin():
            st = s.get(m.ExerciseSet, self.set_id)
            st.status, st.status_reason = status, reason
            st.finished_at = st.heartbeat_at = m.utcnow()
        self._open = False

    def _require_open(self, allow_closed: bool = False) -> None:
        if self.set_id is None:
            raise RuntimeError("call start_set() first")
        if not self._open and not allow_closed:
            raise RuntimeError("this set is already finished")


# -- clips ---------------------------------------------------------------------------------
def make_clips(store: Store, set_id: int, video: str | os.PathLike[str]) -> int:
    """Cut a clip for each flagged rep or hold of a set that has none, from ``video`` (the
    analysis's annotated video), if the patient opted in. Returns how many were written."""
    with store.session() as s:
        st = s.get(m.ExerciseSet, int(set_id))
        if st is None:
            raise StoreError(f"no set with id {set_id}")
        patient = st.session.patient
        if not patient.clips_opt_in:
            return 0
        folder = store.clips_dir / patient.clip_folder
        windows: list[ClipWindow] = []
        for model, items in ((m.Rep, st.reps), (m.Hold, st.holds)):
            for item in items:
                if not item.flags or item.clip_name:
                    continue
                first = (item.flag_details or [{}])[0]
                focus = worst_time(item.series, first.get("check", ""), first.get("worst"), item.start_s, item.end_s)
                windows.append(clip_window((model, item.id), item.start_s, item.end_s, focus))
    written = cut_clips(video, windows, folder)
    with store.session() as s, s.begin():
        for (model, item_id), clip in written.items():
            row = s.get(model, item_id)
            if row is None:  # deleted meanwhile
                (folder / clip.name).unlink(missing_ok=True)
                continue
            row.clip_name, row.clip_bytes, row.clip_start_s = clip.name, clip.bytes, clip.start_s
    return len(written)


# -- saving a finished analysis ------------------------------------------------------------
def source_key(path: str | os.PathLike[str]) -> str:
    """A key for an input file: its absolute path, size and modification time, hashed."""
    p = Path(path).resolve()
    st = p.stat()
    return hashlib.sha256(f"{p}\0{st.st_size}\0{st.st_mtime_ns}".encode()).hexdigest()[:32]


def content_key(path: str | os.PathLike[str], *context: str) -> str:
    """A key for an input known by its content (an upload, whose path is temporary): its bytes
    and ``context`` (e.g. the exercise it was analysed as), hashed."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    for part in context:
        digest.update(b"\0" + part.encode())
    return digest.hexdigest()[:32]


def save_analysis(report: SessionReport, outputs: AnalysisOutputs | None = None, *, patient: str,
                  store: Store | None = None, source: str | None = None, source_key: str | None = None,
                  source_name: str | None = None, clips: bool = True, clips_opt_in: bool = False) -> SavedSet:
    """Store a finished analysis for ``patient``: one session with one set, every rep or hold
    with its metric series (from ``frames.csv``), and clips of the flagged ones cut from the
    annotated video when the patient opted in.

    ``source_key`` (see :func:`source_key`) makes saving idempotent: if this patient already
    has a finished session with that key, nothing is written and that session is returned (one
    that was cut short is recorded again). ``source_name`` is what to show for the input
    (default: the report's file name).

    Raises:
        StoreError, ValueError (bad pseudonym), InputError (unreadable annotated video).
    """
    store = store or open_store()
    if source_key is not None:
        existing = _existing(store, patient, source_key)
        if existing is not None:
            return existing
    source = source or ("landmarks" if report.input.kind == "landmarks" else "video")
    series = None
    check_ids = [c.id for c in report.checks]
    if outputs is not None and outputs.frames_csv is not None and Path(outputs.frames_csv).is_file():
        series = FrameSeries.from_frames_csv(outputs.frames_csv, check_ids)
    with SetRecorder(store, patient, source=source, source_name=source_name or report.input.path,
                     source_key=source_key, clips_opt_in=clips_opt_in) as rec:
        rec.start_set(report.exercise, limits=report.processing.limits, exercise_name=report.exercise_name,
                      kind=report.kind, check_ids=check_ids)
        for r in report.reps:
            rec.add_rep(r, series.window(r.start_s, r.end_s) if series else None)
        for h in report.holds:
            rec.add_hold(h, series.window(h.start_s, h.end_s) if series else None)
        set_id = rec.finish(report)
    n_clips = 0
    if clips and outputs is not None and outputs.video is not None and Path(outputs.video).is_file():
        n_clips = make_clips(store, set_id, outputs.video)
    return SavedSet(rec.session_id, set_id, len(report.reps), len(report.holds), n_clips)


def _existing(store: Store, patient: str, key: str) -> SavedSet | None:
    """The finished session saved from this input, if any (an unfinished one is replaced by the
    recorder)."""
    with store.session() as s:
        row = s.execute(select(m.Session).join(m.Patient).where(
            m.Patient.pseudonym == patient.strip(), m.Session.source_key == key)).scalar_one_or_none()
        st = row.sets[0] if row is not None and row.sets else None
        if st is None or st.status in ("in_progress", "interrupted"):
            return None
        clips = sum(1 for i in (*st.reps, *st.holds) if i.clip_name)
        return SavedSet(row.id, st.id, len(st.reps), len(st.holds), clips, already_saved=True)


def _num(x: float | None) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _json_nums(d: dict[str, float | None]) -> dict[str, float | None]:
    return {k: _num(v) for k, v in d.items()}
