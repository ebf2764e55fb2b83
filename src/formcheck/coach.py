"""Live coaching: one set from a camera, one frame at a time, for the desktop window
(``formcheck live``) and the app's live page alike.

:class:`LiveCoach` runs the stages of :func:`formcheck.api.analyze` (pose, smoothing, the
exercise engine) on each frame it is given, keeps the set's clock, measures its own speed, and
at the end builds the set's :class:`~formcheck.report.SessionReport` (``input.kind`` is
``camera``). :meth:`LiveCoach.step` returns the engine's :class:`~formcheck.engine.FrameResult`
without drawing (landmarks, check states, counts and cue: plain data to draw elsewhere);
:meth:`LiveCoach.process` also draws it (:func:`formcheck.annotate.live_annotator`).

Speed (``adaptive=True``): each frame's processing time is measured; when the median over the
last two seconds is longer than one frame at the target rate (25 fps: 40 ms), the coach steps
down (:data:`QUALITY_STEPS`): pose on a 480-pixel frame, then the lite model (if installed, and
only before the set has begun, so one set is never measured by two models), then a 320-pixel
frame. :meth:`LiveCoach.status` says which step is in use.

Threads: one producer calls ``step`` or ``process`` (a camera loop, the live page's frame channel);
``finish`` and ``close`` may come from another thread and wait for the frame under way;
``status`` may be read from any thread at any time.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Literal

import cv2
import numpy as np

from formcheck.annotate import Shape, live_annotator
from formcheck.api import (AUTO_SECONDS, is_auto, make_analyzer, pose_options, processing_info,
                           recognition_notes, report_each_result, require_clearance)
from formcheck.config import Settings
from formcheck.engine import FrameResult
from formcheck.errors import ModelNotFoundError
from formcheck.exercises import all_exercises, get_exercise
from formcheck.exercises.spec import Exercise
from formcheck.frames import PoseFrame, VideoFrame
from formcheck.limits import EffectiveLimits, PatientLimits, effective_limits
from formcheck.models import resolve_model
from formcheck.pose import PoseEstimator
from formcheck.recognition import recognize
from formcheck.report import HoldReport, InputInfo, RecognitionRecord, RepReport, SessionReport, build_report
from formcheck.smoothing import make_smoother

log = logging.getLogger(__name__)

#: Degradation steps: (longest side of the frame given to the pose model, use the lite model).
QUALITY_STEPS: tuple[tuple[int | None, bool], ...] = ((None, False), (480, False), (480, True),
                                                      (320, True))
PAIN_REASON = "stopped because it hurt (the user pressed 'It hurts - stop')"
#: Coached while an ``auto`` set waits to be recognised: the pose is tracked, nothing judged.
TRACKING_ONLY = "pose_only"
PAIN_WARNING = "the user reported pain and stopped the set"


def lite_model_available() -> bool:
    """True when the lite pose model is on disk (live coaching never downloads one)."""
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

    def reset(self, now: float) -> None:
        """Forget the figures after a change of setting (the frame count goes on)."""
        self._samples.clear()
        self._since = now


@dataclass(frozen=True)
class CoachStatus:
    """The coach as of its last frame, for a page to show.

    Attributes:
        state: ``running``, ``ended`` (:meth:`LiveCoach.finish`) or ``stopped_pain``.
        exercise, kind: the exercise's id and kind (``reps``, ``hold``, ``none``).
        frames: frames coached so far.
        latest: the last frame's result (None before the first frame).
        fps, latency_p50_ms, latency_p90_ms: frames coached per second and the time from a
            frame arriving to its result (and drawing) being ready, over the last seconds.
        frame_size: (width, height) of the frames given.
        quality: the quality step in use, in words (model, pose resolution).
        quality_step: its index in :data:`QUALITY_STEPS` (0 = full quality).
        recognising: an ``auto`` set is still in its first seconds, being recognised.
    """

    state: Literal["running", "ended", "stopped_pain"]
    exercise: str
    kind: str
    frames: int = 0
    latest: FrameResult | None = None
    fps: float = 0.0
    latency_p50_ms: float = float("nan")
    latency_p90_ms: float = float("nan")
    frame_size: tuple[int, int] = (0, 0)
    quality: str = ""
    quality_step: int = 0
    recognising: bool = False


class LiveCoach:
    """One live set of one exercise. Use as a context manager so the pose model is closed.

    Args:
        exercise: id, alias or :class:`Exercise`, or ``auto``: the first
            :data:`~formcheck.recognition.SECONDS` are tracked without checks, the exercise is
            recognised from them (among those whose clearance is confirmed), and the set is
            coached as that exercise from its first frame on (:attr:`recognition` says how sure;
            the hooks start then).
        settings: formcheck's settings (pose model, smoothing, limits, cue timing).
        model: an explicit pose model file.
        limits: check id -> limit overrides; ``patient``: the patient's own limits and caps
            (merged as in :func:`formcheck.limits.effective_limits`).
        clearance_confirmed: the answer to the exercise's clearance question (deadlift); with
            ``auto``, whether exercises that ask one may be recognised.
        adaptive: step down the quality when the machine cannot keep ``target_fps``.
        quality_step: the :data:`QUALITY_STEPS` step to start at (e.g. the one the previous
            set on this machine ended at).
        on_start, on_frame, on_rep: the hooks of :func:`formcheck.api.analyze`, e.g. to store
            the set as it happens (:class:`formcheck.recording.LiveRecording`):
            ``on_start(exercise, limits)`` before the first frame; ``on_frame(video_frame,
            pose, result)`` after each frame (the frame as given, undrawn); ``on_rep`` with each
            rep or hold the moment it is finished, as the report will show it. They are called
            from the thread that calls ``step`` while the coach holds its lock, so they must be
            quick and must not call back into the coach.
        keep_s: keep the frames of the last ``keep_s`` seconds (:meth:`recent_frames`), e.g.
            to cut a clip of a flagged rep; 0 keeps none.

    Raises:
        ValueError: limits naming checks the exercise lacks.
        UnknownExerciseError, ClearanceRequired, ModelNotFoundError, ModelLoadError.
    """

    def __init__(self, exercise: str | Exercise, settings: Settings | None = None, *,
                 model: str | os.PathLike[str] | None = None, limits: Mapping[str, float] | None = None,
                 patient: PatientLimits | None = None, clearance_confirmed: bool = False,
                 adaptive: bool = False, target_fps: float = 25.0, quality_step: int = 0,
                 on_start: Callable[[Exercise, EffectiveLimits], None] | None = None,
                 on_frame: Callable[[VideoFrame, PoseFrame, FrameResult], None] | None = None,
                 on_rep: Callable[[RepReport | HoldReport], None] | None = None,
                 keep_s: float = 0.0) -> None:
        if not 0 <= quality_step < len(QUALITY_STEPS):
            raise ValueError(f"quality_step must be 0-{len(QUALITY_STEPS) - 1}, got {quality_step}")
        auto = is_auto(exercise)
        chosen = None if auto else get_exercise(exercise) if isinstance(exercise, str) else exercise
        self.settings = settings or Settings()
        self._patient, self._overrides, self._cleared = patient, limits, clearance_confirmed
        self._on_start, self._on_rep = on_start, on_rep
        #: How an ``auto`` set's exercise was recognised (None before, or when it was named).
        self.recognition: RecognitionRecord | None = None
        self._recognition_warnings: list[str] = []
        #: An ``auto`` set's first poses, until it is recognised (None when it is not waiting).
        self._head: list[PoseFrame] | None = [] if auto else None
        self._segmentation = auto or chosen.segmentation  # the exercise recognised may need the mask
        self._begin(chosen or get_exercise(TRACKING_ONLY), announce=not auto)
        self._model = model
        self._adaptive = adaptive
        self._lite_ok = adaptive and model is None and lite_model_available()
        self._quality = quality_step
        self._estimator = self._new_estimator(QUALITY_STEPS[quality_step][1])
        self._pacer = Pacer(target_fps)
        self._on_frame = on_frame
        self._keep_ms = keep_s * 1000.0
        self._recent: deque[VideoFrame] = deque()
        self._t0 = time.monotonic()
        self._first_ms: int | None = None
        self._last_ms = 0
        self._report: SessionReport | None = None
        self._pain = False
        self._closed = False
        self._lock = threading.Lock()
        self._status = CoachStatus(state="running", exercise=self.exercise.id, kind=self.exercise.kind,
                                   quality=self._quality_text(), quality_step=self._quality,
                                   recognising=auto)
        if not auto and on_start is not None:
            on_start(self.exercise, self.limits)

    def _begin(self, exercise: Exercise, announce: bool) -> None:
        """Set up the set's exercise: clearance, limits, engine, smoothing, drawing; with
        ``announce`` the ``on_rep`` hook is attached to the engine."""
        self.exercise = exercise
        #: The clearance answer (exercises that need one), recorded in the set's report.
        self.clearance = require_clearance(exercise, self._cleared)
        #: The limits in force and where each came from.
        self.limits = effective_limits(exercise, self.settings, self._patient, self._overrides)
        self._analyzer = make_analyzer(exercise, self.settings, self.limits)
        if announce and self._on_rep is not None:
            report_each_result(self._analyzer, self._on_rep)
        self._smoother = make_smoother(self.settings.smoothing.name, **self.settings.smoothing.params())
        self._annotate = live_annotator(exercise, self.settings.min_visibility)

    def _recognise(self) -> FrameResult:
        """Recognise the exercise from the poses so far, then coach them again as that exercise
        (a rep begun in the first seconds counts); returns the latest frame's result."""
        head, self._head = self._head, None
        allowed = tuple(i for i, e in all_exercises().items() if self._cleared or not e.clearance)
        rec = recognize(head, allowed)
        self.recognition, self._recognition_warnings = recognition_notes(rec, (head[-1].t_ms - head[0].t_ms) / 1000)
        self._begin(get_exercise(rec.exercise_id), announce=True)
        if self._on_start is not None:
            self._on_start(self.exercise, self.limits)
        for pose in head:
            result = self._analyzer.update(self._smoother(pose))
        self._status = replace(self._status, exercise=self.exercise.id, kind=self.exercise.kind, recognising=False)
        return result

    # -- per frame -------------------------------------------------------------------------------
    def step(self, image: np.ndarray, t_ms: int | None = None) -> FrameResult:
        """Coach one (H, W, 3) uint8 RGB frame without drawing.

        ``t_ms`` is the frame's capture time in milliseconds (any origin, increasing); None
        takes it from the coach's own clock (milliseconds since the coach was made).

        Raises:
            RuntimeError: the set has ended (:meth:`finish`) or the coach is closed.
        """
        with self._lock:
            started = time.monotonic()
            pose_input = self._pose_input(image)
            result = self._run(pose_input, started, t_ms)
            self._done(started, image, result)
            return result

    def process(self, image: np.ndarray, t_ms: int | None = None) -> tuple[np.ndarray, FrameResult]:
        """:meth:`step`, and the frame drawn with the result (a copy, the size of ``image``)."""
        with self._lock:
            started = time.monotonic()
            result = self._run(self._pose_input(image), started, t_ms)
            drawn = self._annotate(image.copy(), result)
            self._done(started, image, result)
            return drawn, result

    def shapes(self, result: FrameResult, size: tuple[int, int]) -> list[Shape]:
        """What :meth:`process` would draw for ``result`` on a picture of ``size`` (width,
        height), as shapes (:mod:`formcheck.annotate`): for a page that draws them itself."""
        return self._annotate.shapes(result, size)

    def status(self) -> CoachStatus:
        """The latest snapshot (safe from any thread)."""
        return self._status

    def recent_frames(self) -> tuple[VideoFrame, ...]:
        """The frames of the last ``keep_s`` seconds, oldest first, with the times the coach
        used, as they were given (undrawn, whether :meth:`process` or :meth:`step` coached
        them: whoever cuts a clip draws it the same way either way). They are the arrays
        themselves, not copies."""
        with self._lock:
            return tuple(self._recent)

    def _pose_input(self, image: np.ndarray) -> np.ndarray:
        if self._closed:
            raise RuntimeError("this coach is closed")
        if self._report is not None:
            raise RuntimeError("the set has ended: start a new coach for the next set")
        limit = QUALITY_STEPS[self._quality][0]
        h, w = image.shape[:2]
        if limit is None or max(h, w) <= limit:
            return image
        k = limit / max(h, w)
        return cv2.resize(image, (round(w * k), round(h * k)), interpolation=cv2.INTER_AREA)

    def _run(self, image: np.ndarray, started: float, t_ms: int | None) -> FrameResult:
        t = int((started - self._t0) * 1000) if t_ms is None else int(t_ms)
        pose = self._estimator.process(image, t)
        result = self._analyzer.update(self._smoother(pose))
        if self._head is not None:
            self._head.append(pose)
            if pose.t_ms - self._head[0].t_ms >= AUTO_SECONDS * 1000:
                result = self._recognise()
        self._first_ms = result.t_ms if self._first_ms is None else self._first_ms
        self._last_ms = result.t_ms
        return result

    def _done(self, started: float, image: np.ndarray, result: FrameResult) -> None:
        """Bookkeeping after a frame: speed, the kept frames, the hook, the status, stepping
        down."""
        now = time.monotonic()
        self._pacer.add(now, (now - started) * 1000.0)
        frame = VideoFrame(self._pacer.frames - 1, result.t_ms, image)
        if self._keep_ms > 0:
            self._recent.append(frame)
            while self._recent[0].t_ms < result.t_ms - self._keep_ms:
                self._recent.popleft()
        if self._on_frame is not None and self._head is None:  # (an auto set: once recognised)
            self._on_frame(frame, result.pose, result)
        h, w = image.shape[:2]
        self._status = replace(
            self._status, frames=self._pacer.frames, latest=result, fps=self._pacer.fps(),
            latency_p50_ms=self._pacer.latency_ms(50), latency_p90_ms=self._pacer.latency_ms(90),
            frame_size=(w, h))
        if self._adaptive and self._pacer.too_slow(now):
            self._step_down(now, result)

    def _step_down(self, now: float, result: FrameResult) -> None:
        nxt = self._quality + 1
        while nxt < len(QUALITY_STEPS) and QUALITY_STEPS[nxt][1] and not self._lite_ok:
            nxt += 1  # no lite model installed: skip the lite steps
        if nxt >= len(QUALITY_STEPS):
            return
        if QUALITY_STEPS[nxt][1] and not QUALITY_STEPS[self._quality][1]:
            if result.started:
                return  # one set is measured by one model: wait for the next set
            old, self._estimator = self._estimator, self._new_estimator(lite=True)
            old.close()
        log.info("live coaching too slow (p50 %.0f ms > %.0f ms): step %d -> %d",
                 self._pacer.latency_ms(50), self._pacer.budget_ms, self._quality, nxt)
        self._quality = nxt
        self._pacer.reset(now)
        self._status = replace(self._status, quality=self._quality_text(), quality_step=nxt)

    def _new_estimator(self, lite: bool) -> PoseEstimator:
        pose = self.settings.pose
        if lite and self._lite_ok:
            pose = pose.model_copy(update={"variant": "lite"})
        settings = self.settings.model_copy(update={"pose": pose})
        return PoseEstimator(pose_options(settings, self._model, segmentation=self._segmentation))

    def _quality_text(self) -> str:
        limit = QUALITY_STEPS[self._quality][0]
        size = "camera size" if limit is None else f"{limit} px"
        text = f"{self._estimator.options.variant} model, pose at {size}"
        if self._quality:
            text += " (lowered: this computer could not keep up)"
        return text

    # -- the end of the set ----------------------------------------------------------------------
    @property
    def report(self) -> SessionReport | None:
        """The set's report once it has ended (None while it runs)."""
        return self._report

    @property
    def pain_reported(self) -> bool:
        return self._pain

    def finish(self, pain: bool = False) -> SessionReport:
        """End the set (``pain``: the person stopped because it hurt) and return its report,
        built like a file analysis's: a pain stop is ``complete: false`` with the reason, and a
        warning. Calling it again returns the same report, now marked as a pain stop if
        ``pain`` is given this time."""
        with self._lock:
            if self._report is None:
                self._analyzer.finish()
                self._pain = pain
                self._report = self._build_report()
            elif pain and not self._pain:
                self._pain = True
                self._report = self._report.model_copy(update={
                    "complete": False, "incomplete_reason": PAIN_REASON,
                    "warnings": [*self._report.warnings, PAIN_WARNING]})
            self._status = replace(self._status, state="stopped_pain" if self._pain else "ended")
            return self._report

    def _build_report(self) -> SessionReport:
        duration = (self._last_ms - self._first_ms) / 1000.0 if self._first_ms is not None else 0.0
        w, h = self._status.frame_size
        input_info = InputInfo(kind="camera", width=w, height=h, fps=round(self._pacer.fps(), 2),
                               duration_s=round(duration, 3), frame_count=self._analyzer.frames_seen)
        warnings = [*self._recognition_warnings, *([PAIN_WARNING] if self._pain else [])]
        if self._head is not None:
            warnings.append("the set ended before the exercise was recognised: choose the exercise to be coached")
        if self._quality:
            warnings.append(f"the computer was too slow for full quality: {self._quality_text()}")
        report = build_report(self._analyzer, input_info,
                              processing_info(self.settings, self.limits, self._estimator),
                              duration, warnings, PAIN_REASON if self._pain else None)
        report.clearance = self.clearance
        report.recognition = self.recognition
        return report

    def close(self) -> None:
        """Release the pose model (idempotent); the report stays readable."""
        with self._lock:
            self._estimator.close()
            self._closed = True

    def __enter__(self) -> LiveCoach:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
