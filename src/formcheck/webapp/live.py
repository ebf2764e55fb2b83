"""The "Live coaching" page: the laptop webcam through streamlit-webrtc, coached frame by frame.

Threads: streamlit-webrtc calls :meth:`LiveSession.process` from its own worker thread with
only the newest frame (``async_processing``: frames that arrived while the previous one was
being processed are dropped, never queued). The page never touches the pipeline: it reads
:meth:`LiveSession.status`, a snapshot the callback refreshes under a lock, and a fragment
redraws it twice a second. ``st.session_state`` only holds the session's id; the sessions
themselves live in :data:`SESSIONS`, which closes them explicitly.

Speed: each frame's processing time is measured; when the median over the last two seconds is
longer than one frame at the target rate (25 fps: 40 ms), the page steps down: pose on a
480-pixel frame, then the lite model (if installed, and only before the first rep or hold so
no count is lost), then a 320-pixel frame. The status line says which step is in use.
"""

from __future__ import annotations

import atexit
import importlib.metadata
import logging
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field

import av
import cv2
import numpy as np
import streamlit as st

from formcheck import __version__
from formcheck.api import LiveCoach
from formcheck.config import Settings
from formcheck.errors import FormcheckError, ModelNotFoundError
from formcheck.exercises.spec import Exercise
from formcheck.models import resolve_model
from formcheck.report import InputInfo, ProcessingInfo, SessionReport, build_report
from formcheck.webapp import common
from formcheck.webapp.overlay import BannerAnnotator, SetStripAnnotator, StripItem
from formcheck.webapp.settings import AppSettings, SettingError

log = logging.getLogger(__name__)

_SESSION_KEY = "live_session_id"
PAIN_REASON = "stopped because it hurt (the user pressed 'It hurts - stop')"
PAIN_ADVICE = (
    "**Stop the exercise now and rest.** Pain is the guide: do not push through it. "
    "If the pain does not settle within a few minutes, if it spreads down a leg, or if you "
    "notice numbness, tingling or weakness, contact your clinician or physiotherapist before "
    "you exercise again. Seek urgent care for loss of bladder or bowel control or numbness "
    "around the groin."
)

#: Degradation steps: (longest side of the frame given to the pose model, use the lite model).
QUALITY_STEPS: tuple[tuple[int | None, bool], ...] = ((None, False), (480, False), (480, True),
                                                      (320, True))


def lite_model_available() -> bool:
    """True when the lite pose model is on disk (the live page never downloads one)."""
    try:
        resolve_model(None, "lite", download=False)
    except ModelNotFoundError:
        return False
    return True


class Pacer:
    """Frame times and processing durations of the last ``window_s`` seconds, and the decision
    to step down to a cheaper setting.

    Args:
        target_fps: the rate to keep; the budget per frame is ``1000 / target_fps`` ms.
        window_s: how much recent history the figures cover.
        settle_s: after a change, how long to wait before judging again.
    """

    #: Frames after a (re)start that are not judged: model warm-up and the stream settling.
    WARM_UP_FRAMES = 15

    def __init__(self, target_fps: float = 25.0, window_s: float = 2.0, settle_s: float = 2.0) -> None:
        self.budget_ms = 1000.0 / target_fps
        self.window_s = window_s
        self.settle_s = settle_s
        self._samples: deque[tuple[float, float]] = deque()
        self._since = time.monotonic()
        self.frames = 0

    def add(self, now: float, processing_ms: float) -> None:
        self.frames += 1
        if self.frames == self.WARM_UP_FRAMES:
            self._since = now  # judge from here on
        self._samples.append((now, processing_ms))
        while self._samples and now - self._samples[0][0] > self.window_s:
            self._samples.popleft()

    def fps(self) -> float:
        if len(self._samples) < 2:
            return 0.0
        span = self._samples[-1][0] - self._samples[0][0]
        return (len(self._samples) - 1) / span if span > 0 else 0.0

    def latency_ms(self, q: float) -> float:
        if not self._samples:
            return float("nan")
        return float(np.percentile([p for _, p in self._samples], q))

    def too_slow(self, now: float) -> bool:
        """The median processing time of a full window is over budget."""
        if (self.frames < self.WARM_UP_FRAMES or now - self._since < self.settle_s + self.window_s
                or len(self._samples) < 3):
            return False
        return self.latency_ms(50) > self.budget_ms

    def reset(self, now: float, warm_up: bool = False) -> None:
        """Forget the figures (after a change of setting); ``warm_up``: a new stream, so the
        first frames are not judged either."""
        self._samples.clear()
        self._since = now
        if warm_up:
            self.frames = 0


@dataclass(frozen=True)
class LiveStatus:
    """What the page shows, as of the last processed frame."""

    state: str = "idle"  # idle | running | ended | stopped_pain | error
    exercise: str = ""
    kind: str = "none"
    frames: int = 0
    has_person: bool = False
    setup_ok: bool = False
    setup_problems: tuple[str, ...] = ()
    cue: str | None = None
    cue_kind: str | None = None
    cue_t_ms: int | None = None
    rep_count: int = 0
    by_side: dict[str, int] = field(default_factory=dict)
    hold_s: float = 0.0
    good_s: float = 0.0
    items: tuple[StripItem, ...] = ()
    fps: float = 0.0
    latency_p50_ms: float = float("nan")
    latency_p90_ms: float = float("nan")
    frame_size: tuple[int, int] = (0, 0)
    quality: str = ""
    error: str | None = None


class LiveSession:
    """One person's live set: the :class:`LiveCoach`, its speed figures and the status snapshot.

    ``process`` is the streamlit-webrtc video callback (its worker thread); everything else is
    called from the page. ``adaptive=False`` keeps full quality however slow (benchmarks). ``_run_lock`` serialises the pipeline (callback) with starting and
    ending a set; ``_status_lock`` guards the snapshot the page reads.
    """

    def __init__(self, settings: Settings | None = None, app_settings: AppSettings | None = None,
                 adaptive: bool = True) -> None:
        self.settings = settings or Settings()
        self.adaptive = adaptive
        self.app_settings = app_settings or AppSettings()
        self._run_lock = threading.Lock()
        self._status_lock = threading.Lock()
        self._coach: LiveCoach | None = None
        self._exercise: Exercise | None = None
        self._status = LiveStatus()
        self._report: SessionReport | None = None
        self._pain = False
        self._pacer = Pacer(self.app_settings.target_fps)
        self._step = 0
        self._lite_ok = lite_model_available()
        self._t0 = time.monotonic()
        self._last_t_ms = -1
        self._size = (0, 0)
        self._strip = SetStripAnnotator()
        self._titles: dict[str, str] = {}
        self.last_active = time.monotonic()

    def touch(self) -> None:
        """Mark the session as in use (page runs and frames do this)."""
        self.last_active = time.monotonic()

    # -- page side -------------------------------------------------------------------------------
    @property
    def exercise_id(self) -> str | None:
        return self._exercise.id if self._exercise else None

    def start(self, exercise: Exercise) -> None:
        """Begin a new set of ``exercise``: loads the pose model now (before the camera
        connects) and forgets the previous set.

        Raises:
            ModelNotFoundError, ModelLoadError: no usable pose model.
        """
        coach = self._make_coach(exercise, use_lite=QUALITY_STEPS[self._step][1])
        with self._run_lock:
            old, self._coach, self._exercise = self._coach, coach, exercise
            self._report, self._pain = None, False
            self._t0, self._last_t_ms = time.monotonic(), -1
            self._pacer.reset(time.monotonic(), warm_up=True)
            self._titles = {"tempo": "tempo", **{c.id: c.title for c in exercise.checks}}
            self._set_status(LiveStatus(state="running", exercise=exercise.id, kind=exercise.kind,
                                        quality=self._quality_text()))
        if old is not None:
            old.close()

    def status(self) -> LiveStatus:
        with self._status_lock:
            return self._status

    @property
    def report(self) -> SessionReport | None:
        """The summary of the set once it has ended (None while it runs)."""
        return self._report

    @property
    def pain_reported(self) -> bool:
        return self._pain

    def end(self, pain: bool = False) -> SessionReport | None:
        """End the set now (``pain``: the user pressed "It hurts - stop") and return its
        summary, a :class:`SessionReport` built like a file analysis's (``input.kind`` is
        ``camera``; a pain stop is ``complete: false`` with the reason, plus a warning)."""
        with self._run_lock:
            if self._coach is None:
                return None
            if self._report is not None:
                if pain and not self._pain:
                    self._pain = True
                    self._report = self._report.model_copy(update={
                        "complete": False, "incomplete_reason": PAIN_REASON,
                        "warnings": [*self._report.warnings, _pain_warning()]})
                    self._set_status(self._mark(self.status(), "stopped_pain"))
                return self._report
            self._coach.finish()
            self._pain = pain
            self._report = self._build_report(pain)
            self._set_status(self._mark(self.status(), "stopped_pain" if pain else "ended"))
            return self._report

    def close(self) -> None:
        with self._run_lock:
            if self._coach is not None:
                self._coach.close()
                self._coach = None

    # -- callback side ---------------------------------------------------------------------------
    def process(self, frame: av.VideoFrame) -> av.VideoFrame:
        """The video callback: coach one frame and return it annotated."""
        self.last_active = time.monotonic()
        image = frame.to_ndarray(format="rgb24")
        try:
            out = self._process_rgb(image)
        except Exception as exc:  # the webrtc boundary: keep the video flowing, say what broke
            log.exception("live frame processing failed")
            self._set_status(self._mark(self.status(), "error", error=f"{type(exc).__name__}: {exc}"))
            out = image
        return av.VideoFrame.from_ndarray(out, format="rgb24")

    def _process_rgb(self, image: np.ndarray) -> np.ndarray:
        with self._run_lock:
            coach = self._coach
            if coach is None:
                return image
            if self._report is not None:
                title = "Stopped: it hurts" if self._pain else "Set ended"
                detail = "Rest, and see the advice on the page" if self._pain else "See the summary"
                return BannerAnnotator()(image, title, detail)
            started = time.monotonic()
            t_ms = max(int((started - self._t0) * 1000), self._last_t_ms + 1)
            self._last_t_ms = t_ms
            h, w = image.shape[:2]
            self._size = (w, h)
            limit = QUALITY_STEPS[self._step][0]
            if limit is not None and max(h, w) > limit:
                k = limit / max(h, w)
                small = cv2.resize(image, (round(w * k), round(h * k)), interpolation=cv2.INTER_AREA)
                annotated, result = coach.process(small, t_ms)
                annotated = cv2.resize(annotated, (w, h), interpolation=cv2.INTER_LINEAR)
            else:
                annotated, result = coach.process(image, t_ms)
            analyzer = coach.analyzer
            items = self._items(analyzer)
            line = self._side_line(analyzer)
            self._strip(annotated, line, items)
            now = time.monotonic()
            self._pacer.add(now, (now - started) * 1000.0)
            cue = result.cue
            self._set_status(LiveStatus(
                state="running", exercise=coach.exercise.id, kind=coach.exercise.kind,
                frames=self._pacer.frames, has_person=result.has_person,
                setup_ok=result.setup.ok, setup_problems=result.setup.problems,
                cue=cue.text if cue else None, cue_kind=cue.kind if cue else None,
                cue_t_ms=cue.t_ms if cue else None, rep_count=result.rep_count,
                by_side=dict(analyzer.rep_counter.count_by_side) if analyzer.rep_counter else {},
                hold_s=result.hold_s,
                good_s=analyzer.hold_timer.good_s if analyzer.hold_timer and analyzer.hold_timer.holding else 0.0,
                items=items, fps=self._pacer.fps(), latency_p50_ms=self._pacer.latency_ms(50),
                latency_p90_ms=self._pacer.latency_ms(90), frame_size=(w, h),
                quality=self._quality_text()))
            if self.adaptive and self._pacer.too_slow(now):
                self._step_down(now)
            return annotated

    def _items(self, analyzer) -> tuple[StripItem, ...]:
        done = analyzer.reps or analyzer.holds
        return tuple(StripItem(i.index, getattr(getattr(i, "boundary", None), "side", None),
                               tuple(self._titles.get(f, f) for f in i.flags)) for i in done)

    @staticmethod
    def _side_line(analyzer) -> str:
        if analyzer.hold_timer is not None:
            return f"good form {analyzer.hold_timer.good_s:4.1f} s" if analyzer.hold_timer.holding else ""
        if analyzer.exercise.per_side and analyzer.rep_counter is not None:
            by = analyzer.rep_counter.count_by_side
            return f"L {by.get('left', 0)}  R {by.get('right', 0)}"
        return ""

    def _step_down(self, now: float) -> None:
        """One step cheaper (called under ``_run_lock``)."""
        nxt = self._step + 1
        while nxt < len(QUALITY_STEPS) and QUALITY_STEPS[nxt][1] and not self._lite_ok:
            nxt += 1  # no lite model installed: skip the lite steps
        if nxt >= len(QUALITY_STEPS):
            return
        if QUALITY_STEPS[nxt][1] and not QUALITY_STEPS[self._step][1]:
            analyzer = self._coach.analyzer
            busy = analyzer.reps or analyzer.holds or (analyzer.hold_timer and analyzer.hold_timer.holding) \
                or (analyzer.rep_counter and analyzer.rep_counter.in_rep)
            if busy:
                return  # switching model would lose the set's counts: wait for the next set
            old, self._coach = self._coach, self._make_coach(self._exercise, use_lite=True)
            old.close()
        log.info("live page too slow (p50 %.0f ms > %.0f ms): step %d -> %d",
                 self._pacer.latency_ms(50), self._pacer.budget_ms, self._step, nxt)
        self._step = nxt
        self._pacer.reset(now)

    # -- helpers ---------------------------------------------------------------------------------
    def _make_coach(self, exercise: Exercise, use_lite: bool) -> LiveCoach:
        settings = self.settings
        if use_lite and self._lite_ok:
            settings = settings.model_copy(update={"pose": settings.pose.model_copy(update={"variant": "lite"})})
        return LiveCoach(exercise, settings)

    def _quality_text(self) -> str:
        limit, lite = QUALITY_STEPS[self._step]
        variant = "lite" if lite and self._lite_ok else self.settings.pose.variant
        size = "camera size" if limit is None else f"{limit} px"
        text = f"{variant} model, pose at {size}"
        if self._step:
            text += " (lowered: this computer could not keep up)"
        return text

    def _set_status(self, status: LiveStatus) -> None:
        with self._status_lock:
            self._status = status

    @staticmethod
    def _mark(status: LiveStatus, state: str, error: str | None = None) -> LiveStatus:
        from dataclasses import replace

        return replace(status, state=state, error=error if error else status.error)

    def _build_report(self, pain: bool) -> SessionReport:
        coach = self._coach
        assert coach is not None
        analyzer = coach.analyzer
        variant = "lite" if QUALITY_STEPS[self._step][1] and self._lite_ok else self.settings.pose.variant
        try:
            model = str(resolve_model(None, variant, download=False))
        except FormcheckError:
            model = None
        s = self.settings
        processing = ProcessingInfo(
            formcheck_version=__version__, model=model, model_variant=variant,
            mediapipe_version=importlib.metadata.version("mediapipe"), smoothing=s.smoothing.name,
            smoothing_params=s.smoothing.params(), min_visibility=s.min_visibility,
            limits=analyzer.limits)
        duration = max(self._last_t_ms, 0) / 1000.0
        fps = self._pacer.fps()
        w, h = self._size
        input_info = InputInfo(kind="camera", width=w, height=h, fps=round(fps, 2),
                               duration_s=round(duration, 3), frame_count=analyzer.frames_seen)
        warnings = []
        if pain:
            warnings.append(_pain_warning())
        if self._step:
            warnings.append(f"the computer was too slow for full quality: {self._quality_text()}")
        return build_report(analyzer, input_info, processing, duration, warnings,
                            PAIN_REASON if pain else None)


def _pain_warning() -> str:
    return "the user reported pain and stopped the set"


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


def _status_line(status: LiveStatus) -> str:
    if status.frames == 0:
        return f"Waiting for video · {status.quality}"
    p50, p90 = status.latency_p50_ms, status.latency_p90_ms
    w, h = status.frame_size
    return (f"{status.fps:.0f} fps · processing {p50:.0f} ms (p90 {p90:.0f} ms) · "
            f"{w}x{h} · {status.quality}")


def _panel(session: LiveSession, playing: bool) -> None:
    """The live status panel (a fragment re-run every 0.5 s while the camera is on)."""
    status = session.status()
    st.caption(_status_line(status), help="Frames coached per second and the time from a frame "
               "arriving to its cue being ready (median and 90th percentile).")
    if status.error:
        st.error(f"Processing problem: {status.error}")
    if status.state in ("ended", "stopped_pain"):
        st.info("The set has ended: the summary is below.")
        return
    if not playing or status.frames == 0:
        st.info("Press **START** under the video to turn your camera on. "
                "Allow the browser to use the camera when it asks.")
    elif status.setup_ok:
        st.success("Camera setup OK: start the exercise.", icon=":material/check_circle:")
    else:
        st.warning("**Setup: not yet right**\n" + "\n".join(f"- {p}" for p in status.setup_problems),
                   icon=":material/videocam:")
    cue = status.cue or ("Keep going." if status.frames and status.setup_ok else "")
    colour = {"correction": "#c62828", "praise": "#2e7d32", "setup": "#b26a00"}.get(status.cue_kind or "", "#444")
    st.markdown(f"<div class='fc-cue' style='color:{colour}'>{cue or '&nbsp;'}</div>",
                unsafe_allow_html=True)
    cols = st.columns(2)
    if status.kind == "hold":
        cols[0].metric("Hold", f"{status.hold_s:.1f} s")
        cols[1].metric("Good form", f"{status.good_s:.1f} s")
    elif status.kind == "reps":
        cols[0].metric("Reps", status.rep_count)
        if status.by_side:
            cols[1].metric("Left / right", f"{status.by_side.get('left', 0)} / {status.by_side.get('right', 0)}")
    if status.items:
        chips = " ".join(
            f"<span class='fc-chip {'fc-pass' if i.passed else 'fc-flag'}' title='"
            f"{'pass' if i.passed else ', '.join(i.flags)}'>{i.index}{(' ' + i.side[0].upper()) if i.side else ''}"
            f"{'' if i.passed else ': ' + ', '.join(i.flags)}</span>"
            for i in status.items[-8:])
        st.markdown(f"<div class='fc-strip'>{chips}</div>", unsafe_allow_html=True)
    if (st.session_state.get("live_speak") and status.cue and status.cue_t_ms is not None
            and st.session_state.get("live_spoken") != status.cue_t_ms):
        st.session_state["live_spoken"] = status.cue_t_ms
        _speak(status.cue, status.cue_t_ms)
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


def webrtc_video(session: LiveSession, app_settings: AppSettings) -> bool:
    """The camera through streamlit-webrtc, coached by ``session.process``; True while
    playing. Only the newest frame is processed (``async_processing``); no STUN/TURN unless
    ``FORMCHECK_ICE_SERVERS`` says so."""
    from streamlit_webrtc import WebRtcMode, webrtc_streamer

    ctx = webrtc_streamer(
        key="live",
        mode=WebRtcMode.SENDRECV,
        rtc_configuration=app_settings.rtc_configuration,
        media_stream_constraints={
            "video": {"width": {"ideal": 640}, "height": {"ideal": 480}, "frameRate": {"ideal": 30}},
            "audio": False,
        },
        video_frame_callback=session.process,
        async_processing=True,
        video_html_attrs={"autoPlay": True, "controls": False, "muted": True,
                          "style": {"width": "100%"}},
    )
    return bool(ctx.state.playing)


def live_page(video_widget=webrtc_video) -> None:
    """The page. ``video_widget(session, app_settings) -> playing`` is replaced in tests
    (streamlit-webrtc needs a real server)."""
    st.title("Live coaching")
    try:
        app_settings = AppSettings.from_env()
        settings_error = None
    except SettingError as exc:
        app_settings, settings_error = AppSettings(), str(exc)
    if settings_error:
        st.error(f"Setting ignored: {settings_error}")
    st.markdown(_CSS, unsafe_allow_html=True)
    exercise = common.exercise_picker("Exercise", key="live_exercise")
    common.show_exercise_brief(exercise, expanded=True)
    session = _session(app_settings)
    if session.exercise_id != exercise.id:
        try:
            with st.spinner("Loading the pose model..."):
                session.start(exercise)
        except FormcheckError as exc:
            st.error(str(exc))
            return
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
            session.start(exercise)
            st.rerun()
