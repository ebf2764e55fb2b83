"""The library API: what the CLI, the Streamlit app, the benchmarks and the tests all call.

- :func:`analyze` runs a recorded video or a landmark file through the whole pipeline
  (frames -> pose -> smoothing -> exercise engine -> report, frames.csv, annotated video).
- :class:`formcheck.coach.LiveCoach` runs the same stages on one frame at a time for a camera,
  with the helpers below (:func:`make_analyzer`, :func:`processing_info`, ...).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import importlib.metadata
import itertools
import os
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

import numpy as np

from formcheck import __version__
from formcheck.annotate import video_annotator
from formcheck.capture import DecodeInterrupted, VideoFile
from formcheck.config import Settings
from formcheck.engine import Analyzer, FrameResult
from formcheck.errors import ClearanceRequired, LandmarkFileError, OutputError
from formcheck.exercises import get_exercise
from formcheck.exercises.spec import Exercise
from formcheck.frames import PoseFrame, VideoFrame
from formcheck.landmark_csv import LandmarkCsv, LandmarkCsvWriter
from formcheck.limits import EffectiveLimits, PatientLimits, effective_limits
from formcheck.pose import PoseEstimator, PoseOptions
from formcheck.recognition import SECONDS as AUTO_SECONDS
from formcheck.recognition import Recognition, recognize
from formcheck.report import (AnalysisOutputs, ClearanceRecord, FramesCsvWriter, HoldReport, InputInfo,
                              ProcessingInfo, RecognitionRecord, RepReport, SessionReport, build_report,
                              item_report)
from formcheck.smoothing import make_smoother
from formcheck.video_writer import H264Writer

#: Called as progress(frames_done, frames_expected or 0).
Progress = Callable[[int, int], None]


class StopRequest:
    """Asks a running :func:`analyze` to stop after the frame it is on and keep what it has
    done: the video is finished, the report written with ``complete: false`` and the reason,
    and the call returns normally. Safe to set from a signal handler (``formcheck analyze``
    sets it on SIGINT and SIGTERM)."""

    def __init__(self) -> None:
        self.reason: str | None = None

    def request(self, reason: str) -> None:
        """Ask to stop, ``reason`` being what the report says (``stopped by SIGTERM``); the
        first reason given stands."""
        if self.reason is None:
            self.reason = reason

REPORT_NAME = "report.json"
FRAMES_NAME = "frames.csv"
VIDEO_NAME = "annotated.mp4"
LANDMARKS_NAME = "landmarks.csv"

#: x264 settings of the annotated video. The pose model already keeps both cores of a small
#: machine busy, so every millisecond of encoding comes out of throughput: ``ultrafast`` costs
#: about 5 ms of CPU per 720p frame against 11-14 ms for ``veryfast``, for files about three
#: times larger (benchmarks/throughput.py). One x264 thread: the writer has its own thread.
VIDEO_PRESET = "ultrafast"
VIDEO_CRF = 23


def pose_options(settings: Settings, model: str | os.PathLike[str] | None = None,
                 segmentation: bool = False) -> PoseOptions:
    p = settings.pose
    return PoseOptions(model=model, variant=p.variant,
                       min_detection_confidence=p.min_detection_confidence,
                       min_presence_confidence=p.min_presence_confidence,
                       min_tracking_confidence=p.min_tracking_confidence,
                       segmentation=segmentation, rotate_fallback=p.rotate_fallback)


def make_analyzer(exercise: Exercise, settings: Settings, limits: EffectiveLimits) -> Analyzer:
    """The engine for one set, with the settings' visibility and cue timing."""
    return Analyzer(exercise, limits.values, settings.min_visibility, settings.cue_display_s,
                    settings.cue_repeat_s)


def processing_info(settings: Settings, limits: EffectiveLimits,
                    estimator: PoseEstimator | None) -> ProcessingInfo:
    """The report's ``processing`` section: versions, model, smoothing and the limits used
    with their sources (``estimator`` None: landmarks from a file, no model)."""
    return ProcessingInfo(
        formcheck_version=__version__,
        model=str(estimator.model_path) if estimator else None,
        model_variant=estimator.options.variant if estimator else None,
        mediapipe_version=importlib.metadata.version("mediapipe") if estimator else None,
        smoothing=settings.smoothing.name, smoothing_params=settings.smoothing.params(),
        min_visibility=settings.min_visibility, limits=limits.values, limit_sources=limits.sources,
    )


#: ``exercise="auto"``: recognise the exercise from the first seconds (see
#: :mod:`formcheck.recognition`).
AUTO = "auto"


def require_clearance(exercise: Exercise, confirmed: bool) -> ClearanceRecord | None:
    """The clearance record for an exercise that needs one, once ``confirmed``.

    Raises:
        ClearanceRequired: the exercise declares a clearance question and it was not answered
            yes (``clearance_confirmed=True``; the CLI's ``--cleared``).
    """
    if not exercise.clearance:
        return None
    if not confirmed:
        raise ClearanceRequired(
            f"{exercise.name} needs a clearance before the set: {exercise.clearance} "
            "Only if the answer is yes, confirm it (clearance_confirmed=True; formcheck: --cleared).")
    return ClearanceRecord(question=exercise.clearance)


def is_auto(exercise: str | Exercise) -> bool:
    """True when ``exercise`` asks for recognition (``"auto"``) rather than naming one."""
    return isinstance(exercise, str) and exercise.strip().lower() == AUTO


def recognition_notes(rec: Recognition, seconds: float) -> tuple[RecognitionRecord, list[str]]:
    """The report's record of a recognition over ``seconds``, and its warning when unsure."""
    record = RecognitionRecord(guessed=rec.exercise_id, confidence=rec.confidence,
                               alternatives=rec.alternatives, unsure=rec.unsure,
                               seconds_used=round(seconds, 2))
    warnings = []
    if rec.unsure:
        others = ", ".join(f"{k} ({v:.0%})" for k, v in rec.alternatives.items())
        warnings.append(f"exercise recognised as {rec.exercise_id} but unsure ({rec.confidence:.0%}; "
                        f"also possible: {others}): name the exercise to be sure")
    return record, warnings


def _prepare_out(out_dir: str | os.PathLike[str]) -> Path:
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".formcheck-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise OutputError(f"cannot write to output folder {out}: {_why_not_writable(out, exc)}") from exc
    return out


def _why_not_writable(out: Path, exc: OSError) -> str:
    """The cause, said about the folder that refused: the OS's own words for a path inside
    /proc ("no such file or directory") send the user looking for the wrong thing."""
    existing = next((p for p in (out, *out.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        return f"{existing} is a file, not a folder"
    if exc.errno == errno.ENOENT and existing is not None:
        return f"{existing} does not take new files or folders (a system file system?)"
    return exc.strerror or str(exc)


def _read_ahead(items: Iterable, size: int = 8) -> Iterator:
    """Iterate ``items`` in a background thread, ``size`` ahead (decode overlaps inference).
    An exception raised by the producer is re-raised here, after the items before it."""
    q: queue.Queue = queue.Queue(maxsize=size)
    done = object()
    stop = threading.Event()

    def put(entry: tuple) -> bool:
        """Queue ``entry`` unless the consumer has stopped (False then)."""
        while not stop.is_set():
            try:
                q.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(("item", item)):
                    return
            put(("end", done))
        except BaseException as exc:  # handed to the consumer, which re-raises it
            put(("error", exc))

    thread = threading.Thread(target=produce, daemon=True)
    thread.start()
    try:
        while True:
            kind, value = q.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        # the producer may be decoding: it must be done before the caller closes the file
        thread.join()


class _BackgroundWriter:
    """Runs annotation + encoding of output frames in a worker thread so they overlap the next
    frame's inference. ``submit`` blocks when the worker is ``size`` frames behind."""

    def __init__(self, work: Callable[..., None], size: int = 8) -> None:
        self._work = work
        self._q: queue.Queue = queue.Queue(maxsize=size)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            args = self._q.get()
            if args is None:
                return
            if self._error is None:
                try:
                    self._work(*args)
                except BaseException as exc:
                    self._error = exc

    def submit(self, *args: object) -> None:
        if self._error is not None:
            raise self._error
        self._q.put(args)

    def close(self) -> None:
        self._q.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error


def report_each_result(analyzer: Analyzer, on_rep: Callable[[RepReport | HoldReport], None]) -> None:
    """Hand each rep or hold the engine finishes to ``on_rep``, as the report shows it."""
    analyzer.on_result = lambda result: on_rep(item_report(result, analyzer.exercise, analyzer.limits))


def analyze(
    source: str | os.PathLike[str],
    exercise: str | Exercise = "pose_only",
    out_dir: str | os.PathLike[str] = "formcheck-out",
    *,
    settings: Settings | None = None,
    model: str | os.PathLike[str] | None = None,
    limits: Mapping[str, float] | None = None,
    patient: PatientLimits | None = None,
    write_video: bool = True,
    save_landmarks: bool = False,
    progress: Progress | None = None,
    on_start: Callable[[Exercise, EffectiveLimits], None] | None = None,
    on_frame: Callable[[VideoFrame, PoseFrame, FrameResult], None] | None = None,
    on_rep: Callable[[RepReport | HoldReport], None] | None = None,
    clearance_confirmed: bool = False,
    stop: StopRequest | None = None,
) -> tuple[SessionReport, AnalysisOutputs]:
    """Analyse a recorded video.

    Hooks, e.g. to store the set while it is analysed (:mod:`formcheck.recording`):
    ``on_start(exercise, limits)`` once the exercise and its limits are settled (after
    recognition with ``auto``), before any frame is judged; ``on_frame(video_frame, pose,
    result)`` after each frame; ``on_rep`` with each rep or hold (as it will appear in the
    report) the moment it is finished.

    Limits (:func:`formcheck.limits.effective_limits`): the exercise's defaults, then the
    settings file's, then the ``patient``'s own limits and caps, then ``limits`` (overrides);
    the report records each check's limit and where it came from.

    ``exercise="auto"`` recognises the exercise from the first ~3 s of pose
    (:func:`formcheck.recognition.recognize`); the guess and its confidence go into the report,
    with a warning when unsure. An exercise with a clearance question (the deadlift) is analysed
    only with ``clearance_confirmed=True``, and the answer is recorded in the report.

    Writes ``report.json``, ``frames.csv`` and (``write_video``) ``annotated.mp4`` into
    ``out_dir``, so that the folder never mixes two runs: the report is replaced first by one
    saying the run has not finished, the other files are written under temporary names and
    moved into place at the end, and the report is written last. A run killed half-way leaves
    that placeholder report (``complete: false``, saying so). A run stopped part-way (``stop``,
    Ctrl-C, a damaged file) still writes everything it has, and the report says
    ``complete: false`` and why; ``KeyboardInterrupt`` is re-raised after. A run that fails
    (an error raised) leaves no report.

    Raises:
        InputError, ModelNotFoundError, ModelLoadError, UnknownExerciseError, OutputError,
        ClearanceRequired.
    """
    settings = settings or Settings()
    auto = is_auto(exercise)
    ex = None if auto else (get_exercise(exercise) if isinstance(exercise, str) else exercise)
    clearance = None if ex is None else require_clearance(ex, clearance_confirmed)
    chosen = None if ex is None else effective_limits(ex, settings, patient, limits)
    with VideoFile(source) as video:
        out = _prepare_out(out_dir)  # after the input is known good: a bad one leaves nothing behind
        paths = AnalysisOutputs(out / REPORT_NAME, out / FRAMES_NAME,
                                out / VIDEO_NAME if write_video else None,
                                out / LANDMARKS_NAME if save_landmarks else None)
        info = video.info
        opts = pose_options(settings, model, segmentation=auto or ex.segmentation)
        with PoseEstimator(opts) as estimator, contextlib.closing(_read_ahead(video.frames())) as decoded:
            frames = decoded

            def pose_of(vf: VideoFrame) -> PoseFrame:
                return estimator.process(vf.image, vf.t_ms)

            record, notes = None, []
            if auto:
                frames, pose_of, rec, seconds = _recognise_start(frames, pose_of, lambda vf: vf.t_ms)
                record, notes = recognition_notes(rec, seconds)
                ex = get_exercise(rec.exercise_id)
                clearance = require_clearance(ex, clearance_confirmed)
                chosen = effective_limits(ex, settings, patient, limits)
            analyzer = make_analyzer(ex, settings, chosen)
            if on_rep is not None:
                report_each_result(analyzer, on_rep)
            if on_start is not None:
                on_start(ex, chosen)
            processing = processing_info(settings, chosen, estimator)
            input_info = InputInfo(kind="video", path=str(video.path), width=info.width,
                                   height=info.height, fps=round(info.fps, 3),
                                   duration_s=_finite(info.duration_s),
                                   frame_count=info.frame_count or None, rotation=info.rotation)
            report = _run(
                frames=frames, pose_of=pose_of,
                analyzer=analyzer, settings=settings, paths=paths, size=(info.width, info.height),
                fps=info.fps, expected=info.frame_count, input_info=input_info,
                processing=processing, progress=progress, on_frame=on_frame,
                clearance=clearance, recognition=record, notes=notes, stop=stop,
            )
    return report, paths


def _recognise_start(frames: Iterator, pose_of: Callable, t_of: Callable):
    """Read the first :data:`AUTO_SECONDS` of ``frames``, recognise the exercise from their
    poses, and hand back an iterator over *all* the frames and a ``pose_of`` that reuses the
    poses already computed (so no frame is lost or run twice)."""
    head, poses = [], []
    for item in frames:
        head.append(item)
        poses.append(pose_of(item))
        if t_of(item) - t_of(head[0]) >= AUTO_SECONDS * 1000:
            break
    rec = recognize(poses)
    seconds = (t_of(head[-1]) - t_of(head[0])) / 1000.0 if head else 0.0
    cached = {id(item): p for item, p in zip(head, poses)}

    def pose_again(item):
        p = cached.pop(id(item), None)
        return p if p is not None else pose_of(item)

    return itertools.chain(head, frames), pose_again, rec, seconds


def analyze_landmarks(
    source: str | os.PathLike[str],
    exercise: str | Exercise,
    out_dir: str | os.PathLike[str],
    *,
    width: int,
    height: int,
    fps: float,
    settings: Settings | None = None,
    limits: Mapping[str, float] | None = None,
    patient: PatientLimits | None = None,
    progress: Progress | None = None,
    clearance_confirmed: bool = False,
    stop: StopRequest | None = None,
) -> tuple[SessionReport, AnalysisOutputs]:
    """Analyse a wide landmark CSV (see :mod:`formcheck.landmark_csv`) without video.
    ``exercise="auto"``, limits, clearances, ``stop`` and the output folder work as in
    :func:`analyze`.

    Raises:
        LandmarkFileError: the file is malformed or lacks landmarks the exercise needs.
        ClearanceRequired: see :func:`analyze`.
    """
    settings = settings or Settings()
    table = LandmarkCsv(source, width, height, fps)
    frames = table.frames()
    record, notes = None, []
    if is_auto(exercise):
        frames, _, rec, seconds = _recognise_start(frames, lambda f: f, lambda f: f.t_ms)
        record, notes = recognition_notes(rec, seconds)
        exercise = rec.exercise_id
    ex = get_exercise(exercise) if isinstance(exercise, str) else exercise
    clearance = require_clearance(ex, clearance_confirmed)
    missing = table.missing(ex.needs)
    if missing:
        raise LandmarkFileError(f"{table.path}: {ex.id} needs landmarks the file lacks: {', '.join(missing)}")
    chosen = effective_limits(ex, settings, patient, limits)
    analyzer = make_analyzer(ex, settings, chosen)
    out = _prepare_out(out_dir)
    paths = AnalysisOutputs(out / REPORT_NAME, out / FRAMES_NAME, None, None)
    processing = processing_info(settings, chosen, None)
    input_info = InputInfo(kind="landmarks", path=str(table.path), width=width, height=height, fps=fps)
    indexed = ((i, f) for i, f in enumerate(frames))
    report = _run(frames=indexed, pose_of=None, analyzer=analyzer, settings=settings, paths=paths,
                  size=(width, height), fps=fps, expected=0, input_info=input_info,
                  processing=processing, progress=progress, on_frame=None,
                  clearance=clearance, recognition=record, notes=notes, stop=stop)
    return report, paths


def _finite(x: float) -> float | None:
    return None if not np.isfinite(x) else round(float(x), 3)


def _run(*, frames, pose_of, analyzer: Analyzer, settings: Settings, paths: AnalysisOutputs,
         size: tuple[int, int], fps: float, expected: int, input_info: InputInfo,
         processing: ProcessingInfo, progress: Progress | None, on_frame,
         clearance: ClearanceRecord | None = None, recognition: RecognitionRecord | None = None,
         notes: list[str] | None = None, stop: StopRequest | None = None) -> SessionReport:
    """The shared frame loop of :func:`analyze` and :func:`analyze_landmarks`.

    ``frames`` yields :class:`VideoFrame` (then ``pose_of`` turns each into a PoseFrame) or,
    for landmark files, ``(index, PoseFrame)`` pairs with ``pose_of`` None. The output folder
    is claimed first and the report written last (:func:`_claim`).
    """
    smoother = make_smoother(settings.smoothing.name, **settings.smoothing.params())
    annotate = video_annotator(analyzer.exercise, settings.min_visibility)
    check_ids = [c.id for c in analyzer.exercise.checks]
    incomplete: str | None = None
    interrupted: KeyboardInterrupt | None = None
    first_ms: int | None = None
    last_ms = 0
    done = 0
    partial = _claim(paths, build_report(analyzer, input_info, processing, 0.0, [], _unfinished()))
    video = landmarks = background = None
    try:
        if partial.video is not None and pose_of is not None:
            video = H264Writer(partial.video, size[0], size[1], fps if np.isfinite(fps) and fps > 0 else 30.0,
                               crf=VIDEO_CRF, preset=VIDEO_PRESET, threads=1)
            background = _BackgroundWriter(
                lambda vf, result: video.write(annotate(vf.image.copy(), result), vf.t_ms))
        landmarks = LandmarkCsvWriter(partial.landmarks_csv) if partial.landmarks_csv else None
        with FramesCsvWriter(partial.frames_csv, check_ids) as rows:
            try:
                for item in frames:
                    if stop is not None and stop.reason is not None:
                        incomplete = f"{stop.reason} after {done} frames"
                        break
                    if pose_of is None:
                        index, raw = item
                        vf = None
                    else:
                        vf = item
                        index, raw = vf.index, pose_of(vf)
                    if landmarks is not None:
                        landmarks.write(raw)
                    pose = smoother(raw)
                    result = analyzer.update(pose)
                    rows.write(index, result)
                    if background is not None and vf is not None:
                        background.submit(vf, result)
                    if on_frame is not None and vf is not None:
                        on_frame(vf, pose, result)
                    first_ms = pose.t_ms if first_ms is None else first_ms
                    last_ms = pose.t_ms
                    done += 1
                    if progress is not None:
                        progress(done, expected)
            except DecodeInterrupted as exc:
                incomplete = str(exc)
            except KeyboardInterrupt as exc:  # Ctrl-C, or a signal the caller turned into one
                incomplete = f"stopped by {str(exc) or 'the user'} after {done} frames"
                interrupted = exc
            analyzer.finish()
        _close_writers(background, video, landmarks)
        _publish(partial, paths)
    except Exception:
        _close_writers(background, video, landmarks, quietly=True)
        _discard(partial)
        raise
    duration = (last_ms - (first_ms or 0)) / 1000.0 + (1.0 / fps if fps and np.isfinite(fps) else 0.0)
    warnings: list[str] = list(notes or [])
    report = build_report(analyzer, input_info, processing, duration, warnings, incomplete)
    report.clearance = clearance
    report.recognition = recognition
    report.write(paths.report)
    if interrupted is not None:
        raise interrupted
    return report


def _unfinished() -> str:
    """The placeholder report's reason: what a folder left by a killed run says."""
    started = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    return (f"not finished: the analysis started at {started} (process {os.getpid()}) was killed "
            "or is still running; the other files here are partial or missing")


def _partial(path: Path) -> Path:
    """Where a run writes ``path`` until it has finished."""
    return path.with_name(f".{path.name}.partial")


def _claim(paths: AnalysisOutputs, placeholder: SessionReport) -> AnalysisOutputs:
    """Claim the output folder for one run, so that it never mixes two runs: the report is
    replaced first, by ``placeholder`` (saying the run has not finished), then what an earlier
    run left under the other output names is removed. Returns the paths to write meanwhile
    (``.<name>.partial``), which :func:`_publish` moves into place before the report is written
    last. A run killed in between leaves the placeholder and partial files: the report says so.
    """
    placeholder.write(paths.report)
    out = paths.report.parent
    try:
        for name in (FRAMES_NAME, VIDEO_NAME, LANDMARKS_NAME):
            (out / name).unlink(missing_ok=True)
            _partial(out / name).unlink(missing_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot replace the earlier results in {out}: {exc.strerror or exc}") from exc
    return AnalysisOutputs(paths.report, _partial(paths.frames_csv),
                           paths.video and _partial(paths.video),
                           paths.landmarks_csv and _partial(paths.landmarks_csv))


def _streams(outputs: AnalysisOutputs) -> list[Path]:
    return [p for p in (outputs.frames_csv, outputs.video, outputs.landmarks_csv) if p is not None]


def _publish(partial: AnalysisOutputs, paths: AnalysisOutputs) -> None:
    try:
        for tmp, final in zip(_streams(partial), _streams(paths)):
            os.replace(tmp, final)
    except OSError as exc:
        raise OutputError(f"cannot write {paths.report.parent}: {exc.strerror or exc}") from exc


def _discard(partial: AnalysisOutputs) -> None:
    """After a run failed: no report (it would describe a run that did not happen) and no
    partial files."""
    for path in (partial.report, *_streams(partial)):
        path.unlink(missing_ok=True)


def _close_writers(background: _BackgroundWriter | None, video: H264Writer | None,
                   landmarks: LandmarkCsvWriter | None, quietly: bool = False) -> None:
    """Close the output writers in order (the video writer's thread first); ``quietly``: after
    an error, which their own errors must not hide."""
    for close in (background and background.close, video and video.close, landmarks and landmarks.close):
        if not close:
            continue
        try:
            close()
        except Exception:
            if not quietly:
                raise
