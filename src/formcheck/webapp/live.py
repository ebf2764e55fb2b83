"""The "Live coaching" page: the laptop webcam in the browser's own preview, coached frame by
frame by a :class:`formcheck.coach.LiveCoach` (which also paces itself and steps the quality
down on a slow machine), the coaching drawn by the browser over the preview.

Threads: the camera widget (:mod:`formcheck.webapp.live_camera`) sends one frame at a time over
a WebSocket; :meth:`LiveSession.coach_frame` runs in a worker thread of that connection and
returns the shapes to draw. The page never touches the pipeline: it reads the coach's status
snapshot, and a fragment redraws it twice a second. ``st.session_state`` only holds the
session's id; the sessions themselves live in :data:`SESSIONS`, which closes them explicitly.

Recording: with a patient chosen (on the page or by the link, ``/live?patient=P-017``), each set's
coach comes from a :class:`formcheck.recording.LiveRecording`, which applies the patient's
limits, caps and clearance and stores every rep the moment it ends, off the frame channel's
thread. The frames that arrive over the channel are what the recording sees: when they stop
(the tab was closed, the connection dropped) the set is marked interrupted, and the clips of
flagged reps are cut from them, drawn with the shapes the browser was sent.
"""

from __future__ import annotations

import atexit
import secrets
import threading
import time
import uuid

import numpy as np
import streamlit as st

from formcheck.annotate import BannerAnnotator
from formcheck.api import AUTO, AUTO_SECONDS
from formcheck.coach import QUALITY_STEPS, CoachStatus, LiveCoach
from formcheck.config import Settings
from formcheck.errors import FormcheckError
from formcheck.exercises import all_exercises
from formcheck.exercises.spec import Exercise
from formcheck.limits import EffectiveLimits
from formcheck.recording import LiveRecording, RecordingStatus
from formcheck.report import RecognitionRecord, SessionReport
from formcheck.store import StoreError
from formcheck.webapp import common, patients
from formcheck.webapp.live_camera import component
from formcheck.webapp.live_camera.channel import Overlay
from formcheck.webapp.settings import AppSettings, SettingError

_SESSION_KEY = "live_session_id"
PAIN_ADVICE = (
    "**Stop the exercise now and rest.** Pain is the guide: do not push through it. "
    "If the pain does not settle within a few minutes, if it spreads down a leg, or if you "
    "notice numbness, tingling or weakness, contact your clinician or physiotherapist before "
    "you exercise again. Seek urgent care for loss of bladder or bowel control or numbness "
    "around the groin."
)
#: What the preview shows once the set has ended.
ENDED = BannerAnnotator("Set ended", "See the summary")
STOPPED_PAIN = BannerAnnotator("Stopped: it hurts", "Rest, and see the advice on the page")
#: The longest side of the frames the browser sends at full quality: the pose model works on
#: 256-pixel crops, so more only costs encoding and transfer.
SEND_SIDE = 640


class LiveSession:
    """One browser session's live sets: the current set's :class:`LiveCoach` (a new one per
    set), fed by the camera widget's frames (:meth:`coach_frame`, a
    :class:`~formcheck.webapp.live_camera.channel.FrameSink`).

    ``coach_frame`` runs in the frame channel's worker thread; everything else is called from
    the page. ``_lock`` serialises it with starting and ending a set. ``adaptive=False`` keeps
    full quality however slow. ``stream_token`` is the random name the camera widget uses for
    this session on the frame channel. :attr:`recording` (None: not saved) stores the sets for
    a patient.
    """

    def __init__(self, settings: Settings | None = None, app_settings: AppSettings | None = None,
                 adaptive: bool = True) -> None:
        self.settings = settings or Settings()
        self.app_settings = app_settings or AppSettings()
        self.adaptive = adaptive
        self.stream_token = secrets.token_urlsafe(24)
        self._lock = threading.Lock()
        self._coach: LiveCoach | None = None
        self.chosen: str | None = None
        self.recording: LiveRecording | None = None
        self._first_capture_ms: float | None = None
        self._last_t_ms = -1
        #: The last processing failure, shown on the page.
        self.error: str | None = None
        self.last_active = time.monotonic()

    def touch(self) -> None:
        """Mark the session as in use (page runs and frames do this)."""
        self.last_active = time.monotonic()

    @property
    def exercise(self) -> Exercise | None:
        """The current set's exercise (None before the first set)."""
        return self._coach.exercise if self._coach else None

    @property
    def coach_recognition(self) -> RecognitionRecord | None:
        """How the current set's exercise was recognised (an ``auto`` set), else None."""
        return self._coach.recognition if self._coach else None

    @property
    def limits(self) -> EffectiveLimits | None:
        """The current set's limits and where each came from (None before the first set)."""
        return self._coach.limits if self._coach else None

    def start(self, exercise: str | Exercise) -> None:
        """Begin a new set of ``exercise`` (or ``auto``: recognised from its first seconds):
        loads the pose model now (before the camera connects), at the quality the previous set
        ended at.

        Raises:
            FormcheckError: no usable pose model, the exercise needs a clearance, or the
                patient's clearance cannot be read from the store (StoreError).
        """
        old = self._coach
        if old is not None and old.report is None:
            self.end()  # the set under way ends here, and is saved as it is
        make = self.recording.make_coach if self.recording else LiveCoach
        coach = make(exercise, self.settings, adaptive=self.adaptive, target_fps=self.app_settings.target_fps,
                     quality_step=old.status().quality_step if old else 0)
        with self._lock:
            self._coach, self.error = coach, None
            self._first_capture_ms, self._last_t_ms = None, -1
        #: What the page asked for (an exercise id, or ``auto``).
        self.chosen = exercise if isinstance(exercise, str) else exercise.id
        if old is not None:
            old.close()

    def status(self) -> CoachStatus | None:
        coach = self._coach
        return coach.status() if coach else None

    @property
    def report(self) -> SessionReport | None:
        """The summary of the set once it has ended (None while it runs)."""
        return self._coach.report if self._coach else None

    @property
    def pain_reported(self) -> bool:
        return bool(self._coach and self._coach.pain_reported)

    def end(self, pain: bool = False) -> SessionReport | None:
        """End the set now (``pain``: the user pressed "It hurts - stop") and return its
        summary (see :meth:`LiveCoach.finish`); it goes to the recording, if any."""
        with self._lock:
            report = self._coach.finish(pain) if self._coach else None
        if report is not None and self.recording is not None:
            self.recording.finish(report, pain)
        return report

    def use_recording(self, recording: LiveRecording | None) -> None:
        """Save the next sets with ``recording`` (None: do not save); a set under way ends
        first, saved as it was."""
        if recording is self.recording:
            return
        if self._coach is not None and self._coach.report is None:
            self.end()
        if self.recording is not None:
            self.recording.close()
        self.recording = recording

    def close(self) -> None:
        with self._lock:
            coach, self._coach = self._coach, None
        if coach is not None:
            coach.close()
        if self.recording is not None:
            self.recording.close()

    def ready(self) -> Overlay:
        """What the camera widget starts with: nothing to draw, the quality in use."""
        return self._overlay([], self._coach)

    def coach_frame(self, image: np.ndarray, captured_ms: float, size: tuple[int, int]) -> Overlay | None:
        """Coach one camera frame (RGB, possibly smaller than the camera's ``size``) captured
        at ``captured_ms`` (ms on the browser's clock) and return what to draw over it; None
        for a frame captured before the last one coached (it is dropped).

        The set's clock is the capture clock, so dropped frames leave gaps of the right
        length: holds and tempo stay true however many frames the machine skips. The coach's
        hooks hand each frame to the recording, if any (the frames stopping is how it learns
        that the page has gone).
        """
        self.last_active = time.monotonic()
        with self._lock:
            coach = self._coach
            if coach is None or coach.report is not None:
                banner = STOPPED_PAIN if coach is not None and coach.pain_reported else ENDED
                return self._overlay(banner.shapes(None, size) if coach is not None else [], coach)
            if self._first_capture_ms is None:
                self._first_capture_ms = captured_ms
            t_ms = round(captured_ms - self._first_capture_ms)
            if t_ms <= self._last_t_ms:
                return None
            self._last_t_ms = t_ms
            try:
                result = coach.step(image, t_ms)
            except Exception as exc:  # shown on the page; the frame channel tells the browser
                self.error = f"{type(exc).__name__}: {exc}"
                raise
            return self._overlay(coach.shapes(result, size), coach)

    @staticmethod
    def _overlay(shapes: list, coach: LiveCoach | None) -> Overlay:
        if coach is None:
            return Overlay(shapes, "no set under way", SEND_SIDE)
        status = coach.status()
        limit = QUALITY_STEPS[status.quality_step][0]
        quality = "the set has ended, not coaching" if status.state != "running" else status.quality
        return Overlay(shapes, quality, min(SEND_SIDE, limit or SEND_SIDE))


# -- the page ------------------------------------------------------------------------------------
class SessionRegistry:
    """Owns every live session in this server process, keyed by a random id kept in the
    browser session's ``st.session_state``.

    Sessions are closed explicitly, from a page run or at exit, never by garbage collection:
    a MediaPipe landmarker finalised by a collection that happens to run on some other thread
    can deadlock its close. Sessions nobody has looked at and no frame has reached for
    ``idle_s`` seconds are closed at the next page run.
    """

    def __init__(self, idle_s: float = 15 * 60) -> None:
        self.idle_s = idle_s
        self._lock = threading.Lock()
        self._sessions: dict[str, LiveSession] = {}

    def get(self, key: str, factory) -> LiveSession:
        with self._lock:
            session = self._sessions.get(key)
            if session is None:
                session = self._sessions[key] = factory()
        session.touch()
        return session

    def find(self, key: str | None) -> LiveSession | None:
        with self._lock:
            return self._sessions.get(key) if key else None

    def by_token(self, token: str) -> LiveSession | None:
        """The session whose camera widget uses ``token`` (:attr:`LiveSession.stream_token`)."""
        with self._lock:
            found = [s for s in self._sessions.values() if secrets.compare_digest(s.stream_token, token)]
        return found[0] if found else None

    def reap(self, now: float | None = None) -> int:
        """Close idle sessions; returns how many."""
        now = time.monotonic() if now is None else now
        with self._lock:
            idle = [k for k, s in self._sessions.items() if now - s.last_active > self.idle_s]
            closing = [self._sessions.pop(k) for k in idle]
        for session in closing:
            session.close()
        return len(closing)

    def close_all(self) -> None:
        with self._lock:
            closing, self._sessions = list(self._sessions.values()), {}
        for session in closing:
            session.close()


SESSIONS = SessionRegistry()
atexit.register(SESSIONS.close_all)


def current_session() -> LiveSession | None:
    """This browser session's live set holder, if it has one (for other pages, e.g. a store
    saving ``current_session().report``)."""
    return SESSIONS.find(st.session_state.get(_SESSION_KEY))


def routes() -> list:
    """The camera widget's frame channel, bound to :data:`SESSIONS` (``app.py`` serves it)."""
    return component.routes(SESSIONS.by_token)


def _session(app_settings: AppSettings) -> LiveSession:
    key = st.session_state.setdefault(_SESSION_KEY, uuid.uuid4().hex)
    SESSIONS.reap()
    return SESSIONS.get(key, lambda: LiveSession(Settings(), app_settings))


def _speak(text: str, key: int) -> None:
    """Say ``text`` with the browser's speechSynthesis (the page's window, so it is not cut
    off when this little frame goes away)."""
    import json

    import streamlit.components.v1 as components

    components.html(
        "<script>(function(){var w=window.parent||window;var s=w.speechSynthesis;"
        "if(!s)return;s.cancel();var u=new w.SpeechSynthesisUtterance(" + json.dumps(text) +
        ");u.rate=1.0;s.speak(u);})();</script><!-- " + str(key) + " -->",
        height=0,
    )


def saving_line(status: RecordingStatus | None) -> str:
    """One line on where the set is going, e.g. "Saving to P-017: 4 reps so far"."""
    if status is None:
        return "Not saving: no patient chosen."
    items = "holds" if status.kind == "hold" else "reps"
    clips = f", {status.clips} clip{'s' if status.clips != 1 else ''} of reps to look at" if status.clips else ""
    if status.state == "failed":
        return f"Not saving to {status.patient} any more ({status.error}); the set goes on."
    if status.error:
        return (f"Saving to {status.patient} is waiting for the store ({status.error}); "
                f"{status.saved} {items} saved, {status.waiting} waiting; the set goes on.")
    if status.state == "saved":
        return f"Saved to {status.patient}: {status.saved} {items}{clips}."
    if status.state == "closed":
        return f"Stopped saving to {status.patient}."
    return f"Saving to {status.patient}: {status.saved} {items} so far{clips}."


def _panel(session: LiveSession, playing: bool) -> None:
    """The live status panel (a fragment re-run every 0.5 s while the camera is on). The
    speed line (fps, frame-to-cue) is the camera widget's own, measured in the browser."""
    status = session.status()
    if status is None:
        return
    recording = session.recording.status() if session.recording else None
    line = common.escape_markdown(saving_line(recording))
    if recording is not None and (recording.error or recording.state == "failed"):
        st.warning(line, icon=":material/cloud_off:")
    else:
        st.caption(f":material/save: {line}")
    if session.error:
        st.error(f"Processing problem: {session.error}")
    if status.state in ("ended", "stopped_pain"):
        st.info("The set has ended: the summary is below.")
        return
    if status.recognising and playing:
        st.info("Recognising the exercise: start it now.", icon=":material/auto_awesome:")
    elif session.exercise is not None and session.coach_recognition is not None:
        r = session.coach_recognition
        st.caption(f"Recognised as {session.exercise.name} ({r.confidence:.0%} sure).")
    latest = status.latest
    if not playing or latest is None:
        st.info("Press **Start camera** under the preview to turn your camera on. "
                "Allow the browser to use the camera when it asks.")
    elif latest.setup.ok:
        st.success("Camera setup OK: start the exercise.", icon=":material/check_circle:")
    else:
        st.warning("**Setup: not yet right**\n" + "\n".join(f"- {p}" for p in latest.setup.problems),
                   icon=":material/videocam:")
    cue = latest.cue if latest else None
    text = cue.text if cue else ("Keep going." if latest and latest.setup.ok else "")
    colour = {"correction": "#c62828", "praise": "#2e7d32", "setup": "#b26a00"}.get(cue.kind if cue else "", "#444")
    st.markdown(f"<div class='fc-cue' style='color:{colour}'>{text or '&nbsp;'}</div>",
                unsafe_allow_html=True)
    cols = st.columns(2)
    if status.kind == "hold":
        cols[0].metric("Hold", f"{latest.hold_s if latest else 0.0:.1f} s")
        cols[1].metric("Good form", f"{latest.good_s if latest else 0.0:.1f} s")
    elif status.kind == "reps":
        cols[0].metric("Reps", latest.rep_count if latest else 0)
        if latest and latest.count_by_side:
            by = latest.count_by_side
            cols[1].metric("Left / right", f"{by.get('left', 0)} / {by.get('right', 0)}")
    if latest and latest.items:
        titles = {"tempo": "tempo", **{c.id: c.title for c in session.exercise.checks}}
        chips = []
        for i in latest.items[-8:]:
            flags = ", ".join(titles.get(f, f) for f in i.flags)
            side = f" {i.side[0].upper()}" if i.side else ""
            chips.append(f"<span class='fc-chip {'fc-flag' if i.flags else 'fc-pass'}' title='"
                         f"{flags or 'pass'}'>{i.index}{side}{': ' + flags if flags else ''}</span>")
        st.markdown(f"<div class='fc-strip'>{' '.join(chips)}</div>", unsafe_allow_html=True)
    if (st.session_state.get("live_speak") and cue is not None
            and st.session_state.get("live_spoken") != cue.t_ms):
        st.session_state["live_spoken"] = cue.t_ms
        _speak(cue.text, cue.t_ms)
    left, right = st.columns(2)
    if left.button("End set", icon=":material/stop_circle:", width="stretch"):
        session.end(pain=False)
        st.rerun()
    if right.button("It hurts - stop", type="primary", icon=":material/front_hand:",
                    width="stretch", key="live_pain"):
        session.end(pain=True)
        st.rerun()


_CSS = """
<style>
.fc-cue {font-size: 1.9rem; font-weight: 700; line-height: 1.2; min-height: 2.4em;}
.fc-strip {display: flex; flex-wrap: wrap; gap: 0.3rem; margin: 0.3rem 0 0.8rem 0;}
.fc-chip {border-radius: 0.4rem; padding: 0.1rem 0.45rem; font-size: 0.85rem; color: white;}
.fc-pass {background: #2e7d32;} .fc-flag {background: #c62828;}
</style>
"""


def camera_widget(session: LiveSession, app_settings: AppSettings) -> bool:
    """The camera, coached by ``session.coach_frame`` through the frame channel; True while
    it is on."""
    return component.live_camera(session.stream_token, key="live_camera", target_fps=app_settings.target_fps)


def live_page(video_widget=camera_widget) -> None:
    """The page. ``video_widget(session, app_settings) -> playing`` is replaced in tests
    (the camera needs a browser)."""
    st.title("Live coaching")
    try:
        app_settings = AppSettings.from_env()
        settings_error = None
    except SettingError as exc:
        app_settings, settings_error = AppSettings(), str(exc)
    if settings_error:
        st.error(f"Setting ignored: {settings_error}")
    st.markdown(_CSS, unsafe_allow_html=True)
    patient = patients.patient_chooser("live_patient", url=True)
    if patient is not None and st.session_state.get("live_exercise") is None:
        _open_on_last_exercise(patient)
    exercise_id = common.exercise_picker("Exercise", key="live_exercise", auto=True,
                                         placeholder="Choose an exercise")
    if exercise_id is None:
        st.info("Choose the exercise you are about to do: where to put the camera and what is "
                "checked depend on it.", icon=":material/fitness_center:")
        return
    if exercise_id == AUTO:
        st.info("Start the exercise in front of the camera: it is recognised from its first "
                f"{AUTO_SECONDS:.0f} seconds, then coached. Choose it yourself to see first where to put "
                "the camera and what to take care of.", icon=":material/auto_awesome:")
    else:
        common.show_exercise_brief(all_exercises()[exercise_id], expanded=True)
    session = _session(app_settings)
    recording = _recording_for(session, patient)
    restart = recording is not session.recording
    session.use_recording(recording)
    if restart or session.chosen != exercise_id:
        if not _start(session, exercise_id):
            return
    _own_limits_note(session, patient)
    video_col, panel_col = st.columns([3, 2], gap="medium")
    with video_col:
        playing = video_widget(session, app_settings)
        st.checkbox("Speak cues aloud", key="live_speak",
                    help="Your browser reads each new cue out, so you need not watch the screen.")
    with panel_col:
        st.fragment(_panel, run_every=0.5 if playing else None)(session, playing)
    report = session.report
    if report is not None:
        if session.pain_reported:
            st.error(PAIN_ADVICE, icon=":material/front_hand:")
        common.show_summary(report, title="Set summary")
        if st.button("Start a new set", icon=":material/replay:"):
            _start(session, exercise_id)
            st.rerun()


def _open_on_last_exercise(patient: str) -> None:
    """Open the exercise picker on the patient's last exercise (before the picker is drawn)."""
    try:
        last = patients.app_store().latest_exercise(patient)
    except StoreError:
        return  # the chooser has said the store is unavailable
    if last in all_exercises():
        st.session_state["live_exercise"] = last


def _recording_for(session: LiveSession, patient: str | None) -> LiveRecording | None:
    """Where this browser's sets go: its recording while that is for ``patient``, a new one
    when the patient has changed, None when not saving (or the store is unavailable: said)."""
    current = session.recording
    if patient is None:
        return None
    if current is not None and current.patient == patient and current.status().state != "closed":
        return current
    try:
        return LiveRecording(patients.app_store(), patient)
    except StoreError as exc:
        st.warning(f"{common.escape_markdown(str(exc))}: the set goes on, not saved.",
                   icon=":material/cloud_off:")
        return None


def _start(session: LiveSession, exercise: str) -> bool:
    """Start a set; says why on the page and returns False when it cannot start."""
    try:
        with st.spinner("Loading the pose model..."):
            try:
                session.start(exercise)
            except StoreError as exc:  # the patient's clearance could not be read
                st.warning(f"{common.escape_markdown(str(exc))}: the set goes on, not saved.",
                           icon=":material/cloud_off:")
                session.use_recording(None)
                session.start(exercise)
    except FormcheckError as exc:
        st.error(str(exc))
        return False
    return True


def _own_limits_note(session: LiveSession, patient: str | None) -> None:
    """Say which limits are the patient's own (set by their therapist, or a spinal cap)."""
    limits = session.limits
    if patient is None or limits is None or session.recording is None:
        return
    titles = {c.id: (c.title, c.unit) for c in session.exercise.checks}
    own = [f"{titles[c][0]} {v:g} {titles[c][1]}" + (" (spinal cap)" if limits.sources[c] == "cap" else "")
           for c, v in limits.values.items() if limits.sources[c] in ("patient", "cap")]
    if own:
        st.caption(common.escape_markdown(f"{patient}'s own limits: " + "; ".join(own)))
