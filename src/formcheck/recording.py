"""Sets written into the session store while they are being analysed, rep by rep, so that a
crash, a killed process or a closed browser tab loses at most the rep in progress.

- :func:`record_analysis`: a video through :func:`formcheck.api.analyze`, each rep or hold
  stored the moment it ends (``formcheck analyze --save``, ``formcheck batch --save``). Running
  the same file again replaces the session it stored before rather than adding a second one.
- :class:`LiveRecording`: one patient's live sets through :class:`formcheck.coach.LiveCoach`
  (the app's live page). The coach's thread only hands things over; the recording's own worker
  thread writes to the store, cuts a clip of each flagged rep from the coach's recent frames,
  drawn with the shapes the coach gave for them (when the patient opted in), and marks a set interrupted while no video arrives. When the
  store does not answer, what waits is kept and written once it does: coaching never waits for
  the store.

Both take the hooks the API and the coach share (``on_start``, ``on_frame``, ``on_rep``); the
store itself (:mod:`formcheck.store`) knows nothing of how an analysis runs.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass, replace
from typing import Literal

from formcheck import api
from formcheck.api import is_auto
from formcheck.annotate import draw
from formcheck.coach import LiveCoach
from formcheck.config import Settings
from formcheck.engine import FrameResult
from formcheck.errors import FormcheckError
from formcheck.exercises import all_exercises, get_exercise
from formcheck.exercises.spec import Exercise
from formcheck.frames import PoseFrame, VideoFrame
from formcheck.limits import EffectiveLimits
from formcheck.report import AnalysisOutputs, HoldReport, RepReport, SessionReport
from formcheck.store import (SavedSet, SetRecorder, Store, StoreError, StoreUnavailable, make_clips, save_analysis,
                             source_key)
from formcheck.store.clips import ClipWindow, clip_window
from formcheck.store.series import CONTEXT_S, FrameSeries, worst_time

log = logging.getLogger(__name__)

#: Longest clip of a live rep or hold, seconds: the frames it is cut from are held in memory
#: (about 23 MB a second of 640x480 video at 25 fps), so a long hold gets its last 10 s.
LIVE_CLIP_S = 10.0
#: How much video the coach keeps for clips: the longest clip and time for the worker to cut it.
KEEP_S = LIVE_CLIP_S + 2.0
#: No frame for this long while a set is under way: the set is marked interrupted (the tab was
#: closed, the connection dropped or the camera was stopped); video coming back undoes it.
NO_VIDEO_S = 30.0
#: How long the worker waits between attempts while the store does not answer.
RETRY_S = 5.0
#: After :meth:`LiveRecording.close`, how long the worker goes on trying to write what waits.
CLOSING_S = 120.0
_POLL_S = 0.25


def add_item(recorder: SetRecorder, item: RepReport | HoldReport, series: dict | None = None) -> int:
    """Store a finished rep or hold, whichever it is; returns its row id."""
    if isinstance(item, HoldReport):
        return recorder.add_hold(item, series)
    return recorder.add_rep(item, series)


# -- a recorded video --------------------------------------------------------------------------
class _StreamedSet:
    """:func:`formcheck.api.analyze`'s hooks writing into a :class:`SetRecorder`. The first store
    failure stops the writing (the analysis goes on) and is kept in :attr:`failed`."""

    def __init__(self, recorder: SetRecorder) -> None:
        self.recorder = recorder
        self.failed: StoreError | None = None

    def start(self, exercise: Exercise, limits: EffectiveLimits) -> None:
        self._write(lambda: self.recorder.start_set(exercise, limits=limits.values))

    def frame(self, video_frame: VideoFrame, pose: PoseFrame, result: FrameResult) -> None:
        self.recorder.observe(result)

    def item(self, item: RepReport | HoldReport) -> None:
        self._write(lambda: add_item(self.recorder, item))

    def _write(self, write) -> None:
        if self.failed is None:
            try:
                write()
            except StoreError as exc:
                log.warning("store failed while recording, saving at the end instead: %s", exc)
                self.failed = exc


def record_analysis(video: str | os.PathLike[str], exercise: str | Exercise = "pose_only",
                    out_dir: str | os.PathLike[str] = "formcheck-out", *, patient: str, store: Store,
                    source: str = "video", clips: bool = True,
                    **analyze_options) -> tuple[SessionReport, AnalysisOutputs, SavedSet | None]:
    """:func:`formcheck.api.analyze` (``analyze_options`` are its other keyword arguments) with
    the patient's own limits and caps, and the set stored for ``patient`` (a pseudonym) while
    it runs: a run killed part-way leaves its session
    ``in_progress`` (``interrupted`` once a store is opened again) with every finished rep.
    A session this patient has from the same file (path, size and time, :func:`source_key`) is
    replaced. Clips of the flagged reps are cut from the annotated video at the end, if the
    patient opted in (and ``clips``).

    If the store stops answering part-way, the analysis goes on and the whole result is saved
    at the end. Returns the report, the outputs and what was stored (None when nobody was found
    in the video: then nothing is kept).

    Raises:
        What :func:`formcheck.api.analyze` raises (the set so far stays, interrupted); ValueError
        (not a pseudonym) and StoreError before anything is analysed; StoreError when the
        result cannot be stored at the end either.
    """
    key = source_key(video)
    recorder = SetRecorder(store, patient, source=source, source_name=str(video), source_key=key)
    stream = _StreamedSet(recorder)
    with recorder:  # an exception leaves the set interrupted, with what it has
        own_limits = store.patient_limits(recorder.patient.pseudonym)
        report, outputs = api.analyze(video, exercise, out_dir, patient=own_limits, on_start=stream.start,
                                      on_frame=stream.frame, on_rep=stream.item, **analyze_options)
        if report.frames_with_person == 0:
            if stream.failed is None:
                recorder.discard()
            return report, outputs, None
        if stream.failed is None:
            set_id = recorder.finish(report)
    if stream.failed is not None:  # store the whole result now, if the store is back
        try:
            saved = save_analysis(report, outputs, patient=patient, store=store, source=source,
                                  source_key=key, clips=clips)
        except StoreError as exc:
            raise StoreError(f"the analysis is in {outputs.report.parent} but could not be stored: {exc}") from exc
        return report, outputs, saved
    n_clips = 0
    if clips and outputs.video is not None and outputs.video.is_file():
        n_clips = make_clips(store, set_id, outputs.video)
    return report, outputs, SavedSet(recorder.session_id, set_id, len(report.reps), len(report.holds), n_clips,
                                     replaced=recorder.replaced)


# -- live sets ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class RecordingStatus:
    """Where a live recording stands (for the page's one line about saving).

    Attributes:
        patient: the pseudonym the sets go to.
        state: ``recording`` (a set is under way, or about to be), ``saved`` (the last set
            ended and is stored), ``failed`` (saving has stopped for good; ``error`` says why)
            or ``closed``.
        kind: ``reps`` or ``hold``: what the current (or last) set counts.
        saved: its reps or holds stored so far; ``waiting``: finished ones not stored yet
            because the store does not answer.
        clips: clips of its flagged reps or holds kept.
        error: why nothing can be written just now (None when all is well).
        session_id, set_id: where it is stored (None before its first rep).
    """

    patient: str
    state: Literal["recording", "saved", "failed", "closed"] = "recording"
    kind: str = "reps"
    saved: int = 0
    waiting: int = 0
    clips: int = 0
    error: str | None = None
    session_id: int | None = None
    set_id: int | None = None


@dataclass(frozen=True)
class _DueClip:
    kind: Literal["rep", "hold"]
    index: int
    window: ClipWindow


class _LiveSet:
    """One set's hand-over from the coach's thread to the recording's worker: the coach's hooks
    (quick, memory only) and what the worker needs later (metric series, results to draw)."""

    def __init__(self, recording: LiveRecording, keep_s: float) -> None:
        self.recording = recording
        self.keep_s = keep_s
        self.coach: LiveCoach | None = None
        self.exercise: Exercise | None = None
        self.limits: EffectiveLimits | None = None
        self._lock = threading.Lock()
        self._series: FrameSeries | None = None
        self._results: deque[FrameResult] = deque()
        self.latest_ms: int | None = None
        self.frames_with_person = 0
        self.last_frame_at = time.monotonic()

    # the coach's hooks
    def start(self, exercise: Exercise, limits: EffectiveLimits) -> None:
        self.exercise, self.limits = exercise, limits
        self._series = FrameSeries(["signal", *(c.id for c in exercise.checks)])
        self.recording._events.put(("start", self))

    def observe(self, frame: VideoFrame, pose: PoseFrame, result: FrameResult) -> None:
        with self._lock:
            self._series.observe(result)
            if self.keep_s > 0:
                self._results.append(result)
                while self._results[0].t_ms < result.t_ms - self.keep_s * 1000.0:
                    self._results.popleft()
            self.latest_ms = result.t_ms
            self.frames_with_person += result.has_person
        self.last_frame_at = time.monotonic()

    def add(self, item: RepReport | HoldReport) -> None:
        self.recording._events.put(("item", self, item))

    # for the worker
    def series(self, item: RepReport | HoldReport) -> dict | None:
        with self._lock:
            return self._series.window(item.start_s, item.end_s)

    def clip_window(self, kind: str, item: RepReport | HoldReport) -> ClipWindow:
        """The item and a second either side, at most :data:`LIVE_CLIP_S` around its worst
        moment, or its last :data:`LIVE_CLIP_S` when that has left the coach's memory."""
        first = item.flag_details[0] if item.flag_details else None
        series = self.series(item)
        focus = worst_time(series, first.check, first.worst, item.start_s, item.end_s) if first else None
        window = clip_window((kind, item.index), item.start_s, item.end_s, focus, max_s=LIVE_CLIP_S)
        with self._lock:
            oldest_ms = self._results[0].t_ms if self._results else None
        if oldest_ms is not None and window.start_s * 1000.0 < oldest_ms:
            end = item.end_s + CONTEXT_S
            window = ClipWindow(window.key, max(window.start_s, end - LIVE_CLIP_S), end)
        return window

    def due(self, window: ClipWindow) -> bool:
        return self.latest_ms is not None and self.latest_ms >= window.end_s * 1000.0

    def drawn_frames(self, window: ClipWindow) -> tuple[list[VideoFrame], float]:
        """The coach's kept frames inside ``window``, each drawn with the shapes the coach gave
        for it live (:meth:`LiveCoach.shapes`, drawn by :func:`formcheck.annotate.draw`: the
        picture the patient saw, whether the page or the browser drew it then), and their
        frame rate."""
        frames = [f for f in self.coach.recent_frames()
                  if window.start_s * 1000.0 <= f.t_ms <= window.end_s * 1000.0]
        with self._lock:
            results = {r.t_ms: r for r in self._results}
        drawn: list[VideoFrame] = []
        for frame in frames:
            result = results.get(frame.t_ms)
            if result is None:
                continue
            h, w = frame.image.shape[:2]
            image = draw(frame.image.copy(), self.coach.shapes(result, (w, h)))
            drawn.append(VideoFrame(frame.index, frame.t_ms, image))
        span_s = (drawn[-1].t_ms - drawn[0].t_ms) / 1000.0 if len(drawn) > 1 else 0.0
        fps = (len(drawn) - 1) / span_s if span_s > 0 else 25.0
        return drawn, fps


class LiveRecording:
    """One patient's live sets, stored as they happen (see the module docstring).

    Make each set's coach with :meth:`make_coach` (it applies the patient's own limits, caps and
    clearance and hooks the coach up), hand :meth:`finish` the coach's report when the set ends,
    and :meth:`close` the recording when the page no longer needs it. A set reaches the store
    with its first finished rep (or at its end, if someone was seen but no rep was finished).

    Args:
        store: an open store.
        patient: the pseudonym of a patient in the store.
        no_video_s: see :data:`NO_VIDEO_S`.

    Raises:
        StoreError: no such patient, or the store is unavailable.
    """

    def __init__(self, store: Store, patient: str, *, no_video_s: float = NO_VIDEO_S) -> None:
        info = store.find_patient(patient)
        if info is None:
            raise StoreError(f"no patient {patient!r} in the store")
        self.store = store
        self.patient = info.pseudonym
        #: Whether clips of flagged reps are kept (the patient's opt-in when recording began).
        self.clips = info.clips_opt_in
        self.limits = store.patient_limits(self.patient)
        self.no_video_s = no_video_s
        self._events: queue.Queue = queue.Queue()
        self._pending: deque[tuple] = deque()
        self._due: list[_DueClip] = []
        self._recorder: SetRecorder | None = None
        self._set: _LiveSet | None = None
        self._stored = False  # the current set has its row in the store
        self._quiet = False  # the open set is marked interrupted for want of video
        self._retry_at = 0.0
        self._closing_since: float | None = None
        self._status = RecordingStatus(self.patient)
        self._thread = threading.Thread(target=self._work, name=f"recording {self.patient}", daemon=True)
        self._thread.start()

    # -- the page's side -------------------------------------------------------------------
    def make_coach(self, exercise: str | Exercise, settings: Settings | None = None, **options) -> LiveCoach:
        """A :class:`LiveCoach` for the next set of ``exercise`` (or ``auto``; ``options`` are
        the coach's other keyword arguments), with this patient's limits, caps and clearances,
        recording into the store.

        Raises:
            what :class:`LiveCoach` raises; StoreError when a clearance cannot be read.
        """
        named = None if is_auto(exercise) else get_exercise(exercise) if isinstance(exercise, str) else exercise
        # with auto, the exercises asking a clearance may be recognised only if all are cleared
        asking = [e for e in ([named] if named else all_exercises().values()) if e.clearance]
        cleared = bool(asking) and all(self.store.clearance(self.patient, e.id) is not None for e in asking)
        live_set = _LiveSet(self, KEEP_S if self.clips else 0.0)
        coach = LiveCoach(named or exercise, settings, patient=self.limits, clearance_confirmed=cleared,
                          on_start=live_set.start, on_frame=live_set.observe, on_rep=live_set.add,
                          keep_s=live_set.keep_s, **options)
        live_set.coach = coach
        return coach

    def finish(self, report: SessionReport, pain: bool = False) -> None:
        """The current set has ended with ``report`` (``pain``: "It hurts - stop")."""
        self._events.put(("finish", report, pain))

    def close(self, reason: str = "the live page was closed before the set ended") -> None:
        """No more sets: a set still open is ended as interrupted (with ``reason``). What waits
        is still written, for up to :data:`CLOSING_S`."""
        self._events.put(("close", reason))

    def status(self) -> RecordingStatus:
        return self._status

    def wait(self, timeout: float) -> bool:
        """Wait until everything handed over so far is written (True) or ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._events.unfinished_tasks == 0 and not self._pending and not self._due:
                return True
            time.sleep(0.05)
        return False

    # -- the worker ------------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            try:
                event = self._events.get(timeout=_POLL_S)
                if self._status.state != "failed" or event[0] == "close":
                    self._pending.append(event)
                self._events.task_done()
            except queue.Empty:
                pass
            now = time.monotonic()
            if now >= self._retry_at:
                try:
                    self._write_pending()
                    self._cut_due_clips(final=False)
                    self._watch_video()
                    if self._status.error:
                        self._update(error=None)
                except StoreUnavailable as exc:
                    self._retry_at = now + RETRY_S
                    self._update(error=str(exc))
                except (FormcheckError, ValueError) as exc:  # not the store being away: give up saving
                    self._give_up(str(exc))
                except Exception as exc:  # noqa: BLE001  the worker must not die without a word
                    log.exception("live recording failed")
                    self._give_up(f"{type(exc).__name__}: {exc}")
            if self._closing_since is not None and (
                    not self._pending or time.monotonic() - self._closing_since > CLOSING_S):
                if self._status.state != "failed":
                    self._update(state="closed")
                return

    def _write_pending(self) -> None:
        while self._pending:
            self._handle(self._pending[0])  # raises: the event stays first, for the next try
            self._pending.popleft()

    def _handle(self, event: tuple) -> None:
        what = event[0]
        if what == "start":
            self._cut_due_clips(final=True)
            self._end_unfinished("a new set was started before this one ended")
            self._set, self._quiet, self._stored = event[1], False, False
            self._update(state="recording", kind=self._set.exercise.kind, saved=0, clips=0, set_id=None)
        elif what == "item":
            live_set, item = event[1], event[2]
            self._store_item(live_set, item)
        elif what == "finish":
            self._finish(event[1], event[2])
        elif what == "close":
            self._cut_due_clips(final=True)
            self._end_unfinished(event[1])
            self._closing_since = time.monotonic()

    def _started(self) -> SetRecorder:
        """The recorder with the current set begun in the store (done at its first item)."""
        if self._recorder is None:
            self._recorder = SetRecorder(self.store, self.patient, source="camera")
        if not self._stored:
            self._recorder.start_set(self._set.exercise, limits=self._set.limits.values)
            self._stored = True
            self._update(session_id=self._recorder.session_id, set_id=self._recorder.set_id)
        return self._recorder

    def _store_item(self, live_set: _LiveSet, item: RepReport | HoldReport) -> None:
        if live_set is not self._set:
            return  # a late item of a set already closed
        recorder = self._started()
        add_item(recorder, item, live_set.series(item))
        if self._quiet:
            self._quiet = False  # add_item has made it in progress again
        kind: Literal["rep", "hold"] = "hold" if isinstance(item, HoldReport) else "rep"
        if item.flags and live_set.keep_s > 0:
            self._due.append(_DueClip(kind, item.index, live_set.clip_window(kind, item)))
        self._update(saved=self._status.saved + 1)

    def _finish(self, report: SessionReport, pain: bool) -> None:
        if self._set is None:
            return
        self._cut_due_clips(final=True)
        if not self._stored and self._set.frames_with_person == 0:
            self._set = None  # nobody was seen: nothing worth a record
            self._update(state="saved")
            return
        recorder = self._started()
        if pain and recorder.open:  # (not on a retry after the pain stop was stored)
            recorder.pain_stop(self._set.latest_ms / 1000.0 if self._set.latest_ms is not None else None)
        recorder.finish(report)
        self._set = None
        self._update(state="saved", saved=len(report.reps) + len(report.holds))

    def _end_unfinished(self, reason: str) -> None:
        if self._stored and self._recorder.open:
            self._recorder.interrupt(reason)
        self._set, self._stored = None, False

    def _cut_due_clips(self, final: bool) -> None:
        """Cut each due clip once the video has passed its end (``final``: now, with what there
        is), for the current set."""
        while self._due:
            due = self._due[0]
            if self._set is None or self._set.coach is None:
                self._due.clear()
                return
            if not (final or self._set.due(due.window)):
                return
            frames, fps = self._set.drawn_frames(due.window)
            if frames and self._recorder.add_clip(due.kind, due.index, frames, fps) is not None:
                self._update(clips=self._status.clips + 1)
            self._due.pop(0)

    def _watch_video(self) -> None:
        """Mark the open set interrupted while no video arrives; undo it when video is back."""
        if self._set is None or self._recorder is None or not self._recorder.open:
            return
        silent_s = time.monotonic() - self._set.last_frame_at
        if not self._quiet and silent_s > self.no_video_s:
            self._recorder.mark_interrupted(f"no video for over {self.no_video_s:.0f} s: the page was closed, "
                                            "the connection dropped or the camera was stopped")
            self._quiet = True
        elif self._quiet and silent_s < self.no_video_s:
            self._recorder.resume()
            self._quiet = False

    def _give_up(self, error: str) -> None:
        self._pending.clear()
        self._due.clear()
        self._update(state="failed", error=error)

    def _update(self, **changes) -> None:
        waiting = sum(1 for e in self._pending if e[0] == "item")
        self._status = replace(self._status, **changes, waiting=waiting)
