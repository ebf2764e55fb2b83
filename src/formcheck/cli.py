"""The ``formcheck`` command: a thin shell over :mod:`formcheck.api`.

Every ``FormcheckError`` becomes a one-line message on stderr and exit status 2; nothing the
user can cause prints a traceback.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from pathlib import Path
from typing import Annotated, Optional

import typer

from formcheck.config import Settings
from formcheck.errors import FormcheckError, NoPersonError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Rep-by-rep form feedback for low-back-pain rehab exercises.")


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"formcheck: error: {message}", err=True)
    raise typer.Exit(code)


def _parse_limits(items: list[str]) -> dict[str, float]:
    limits = {}
    for item in items:
        key, sep, value = item.partition("=")
        try:
            limits[key.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            _fail(f"--limit takes CHECK=NUMBER, got {item!r}")
    return limits


#: What a stopped analysis's report says for each signal that stops it.
_STOP_REASONS = {signal.SIGINT: "stopped by the user (Ctrl-C)", signal.SIGTERM: "stopped by SIGTERM"}


def _stop_on_signals(ctx: typer.Context, stop) -> list[int]:
    """Until the command (``ctx``) ends, SIGINT (Ctrl-C) and SIGTERM (``timeout``, systemd,
    ``docker stop``) ask ``stop`` (a :class:`formcheck.api.StopRequest`) to end the analysis
    after the frame it is on, keeping what it did; a second signal stops at once
    (KeyboardInterrupt). Returns the signals received, filled in as they come."""
    received: list[int] = []

    def handler(signum: int, _frame: object) -> None:
        if received:
            raise KeyboardInterrupt
        received.append(signum)
        stop.request(_STOP_REASONS[signum])

    if threading.current_thread() is threading.main_thread():  # only it may handle signals
        previous = {s: signal.signal(s, handler) for s in _STOP_REASONS}
        ctx.call_on_close(lambda: [signal.signal(s, h) for s, h in previous.items()])
    return received


def _settings(config: Optional[Path], variant: Optional[str]) -> Settings:
    settings = Settings.load(config)
    if variant:
        settings = settings.model_copy(update={"pose": settings.pose.model_copy(update={"variant": variant})})
    return settings


class _Bar:
    """A tqdm bar fed by the API's progress callback; silent with --quiet."""

    def __init__(self, quiet: bool, desc: str) -> None:
        from tqdm import tqdm

        # disable=None: no bar when stderr is not a terminal (logs, CI).
        self._bar = tqdm(desc=desc, unit="frame", disable=True if quiet else None, leave=False, file=sys.stderr)

    def __call__(self, done: int, total: int) -> None:
        if total and self._bar.total != total:
            self._bar.total = total
        self._bar.update(done - self._bar.n)

    def close(self) -> None:
        self._bar.close()


@app.command()
def analyze(
    ctx: typer.Context,
    video: Annotated[Optional[Path], typer.Argument(help="video file (mp4/mov/avi/webm/mkv/gif)")] = None,
    exercise: Annotated[str, typer.Option("--exercise", "-e", help="exercise id (see `formcheck exercises`)")] = "pose_only",
    out: Annotated[Path, typer.Option("--out", "-o", help="output folder")] = Path("formcheck-out"),
    landmarks: Annotated[Optional[Path], typer.Option(help="analyse a landmark CSV instead of a video")] = None,
    width: Annotated[int, typer.Option(help="with --landmarks: frame width in pixels")] = 0,
    height: Annotated[int, typer.Option(help="with --landmarks: frame height in pixels")] = 0,
    fps: Annotated[float, typer.Option(help="with --landmarks: frame rate")] = 0.0,
    model: Annotated[Optional[Path], typer.Option(help="pose model .task file")] = None,
    model_variant: Annotated[Optional[str], typer.Option(help="full, lite or heavy")] = None,
    config: Annotated[Optional[Path], typer.Option(help="settings TOML (see formcheck.example.toml)")] = None,
    limit: Annotated[list[str], typer.Option(help="override a check's limit: CHECK=VALUE (repeatable)")] = [],  # noqa: B006
    no_video: Annotated[bool, typer.Option("--no-video", help="skip the annotated video")] = False,
    save_landmarks: Annotated[bool, typer.Option(help="also write landmarks.csv")] = False,
    cleared: Annotated[bool, typer.Option("--cleared", help="answer yes to the exercise's clearance question (deadlift: back pain-free now and lifting cleared by a clinician)")] = False,
    save: Annotated[bool, typer.Option("--save", help="store each rep for --patient as it ends (therapist review); "
                                                     "a re-run of the same video replaces what it stored")] = False,
    patient: Annotated[Optional[str], typer.Option("--patient", "-p", help="patient pseudonym: their own limits are used")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar or summary")] = False,
) -> None:
    """Analyse a recorded video (or a landmark CSV) and write report.json, frames.csv and an
    annotated video into --out."""
    from formcheck import api

    limits = _parse_limits(limit)
    if save and not patient:
        _fail("--save needs --patient PSEUDONYM")
    bar = _Bar(quiet, "analysing")
    store = patient_limits = saved = None
    stop = api.StopRequest()
    signals = _stop_on_signals(ctx, stop)
    try:
        if patient:
            from formcheck.store import open_store

            store = open_store()
            patient_limits = store.patient_limits(patient)
        settings = _settings(config, model_variant)
        if landmarks is not None:
            if video is not None:
                _fail("give either a video or --landmarks, not both")
            report, paths = api.analyze_landmarks(landmarks, exercise, out, width=width, height=height,
                                                  fps=fps, settings=settings, limits=limits,
                                                  patient=patient_limits, progress=bar,
                                                  clearance_confirmed=cleared, stop=stop)
        elif video is None:
            _fail("give a video file, or --landmarks FILE.csv --width W --height H --fps F")
        else:
            options = dict(settings=settings, model=model, limits=limits, write_video=not no_video,
                           save_landmarks=save_landmarks, progress=bar, clearance_confirmed=cleared,
                           stop=stop)
            if save:
                from formcheck.recording import record_analysis

                report, paths, saved = record_analysis(video, exercise, out, patient=patient, store=store,
                                                       **options)
            else:
                report, paths = api.analyze(video, exercise, out, patient=patient_limits, **options)
    except KeyboardInterrupt:
        bar.close()
        kept = "; the reps finished so far are stored, the set marked interrupted" if save else ""
        _fail(f"interrupted; partial results (marked incomplete) are in {out}{kept}", 130)
    except (FormcheckError, ValueError) as exc:
        bar.close()
        _fail(str(exc))
    bar.close()
    if report.frames_with_person == 0 and not signals:
        _fail(str(NoPersonError(f"no person was found in any of the {report.frames_total} frames "
                                f"of {report.input.path}: check the file shows someone doing the "
                                "exercise, whole body in view")))
    if not quiet:
        typer.echo(summary_text(report))
        typer.echo(f"wrote {paths.report}, {paths.frames_csv}" + (f", {paths.video}" if paths.video else ""))
    if save and landmarks is not None and report.frames_with_person:  # read in moments: stored once done
        from formcheck.store import save_analysis

        try:
            saved = save_analysis(report, paths, patient=patient, store=store)
        except (FormcheckError, ValueError) as exc:
            _fail(f"analysis written to {out} but not saved: {exc}")
    if saved is not None and not quiet:
        replaced = f" (replacing session {saved.replaced}, saved from the same file)" if saved.replaced else ""
        typer.echo(f"saved as session {saved.session_id} of patient {patient}{replaced}")
    if signals and not report.complete:
        kept = "; the reps finished so far are stored, the set marked interrupted" if saved is not None else ""
        _fail(f"{report.incomplete_reason}; partial results (marked incomplete) are in {out}{kept}",
              128 + signals[0])
    if not report.complete:
        typer.echo(f"formcheck: warning: incomplete: {report.incomplete_reason}", err=True)
        raise typer.Exit(1)


def summary_text(report) -> str:
    """A few lines for the terminal: counts, flags, score."""
    lines = [f"{report.exercise_name}: person found in {report.detection_rate:.0%} of "
             f"{report.frames_total} frames, view {report.view}"]
    if report.recognition is not None:
        r = report.recognition
        lines.append(f"exercise recognised from the first {r.seconds_used:.0f} s: {r.guessed} "
                     f"({r.confidence:.0%} sure{', UNSURE: pass --exercise to be certain' if r.unsure else ''})")
    if report.kind == "reps":
        lines.append(f"reps: {report.rep_count}" + (f", set score {report.set_score:.0f}/100"
                                                    if report.set_score is not None else ""))
        for r in report.reps:
            verdict = "pass" if r.passed else "flagged: " + ", ".join(r.flags)
            side = f" {r.side}" if r.side else ""
            lines.append(f"  rep {r.index}{side} {r.start_s:.1f}-{r.end_s:.1f}s  score {r.score:.0f}  {verdict}")
    elif report.kind == "hold":
        for h in report.holds:
            lines.append(f"  hold {h.index}: {h.duration_s:.1f}s, good form {h.good_form_s:.1f}s, "
                         f"longest good {h.longest_good_s:.1f}s, score {h.score:.0f}"
                         + (f", flagged: {', '.join(h.flags)}" if h.flags else ""))
        if not report.holds:
            lines.append("  no hold found")
    for problem, share in report.lasting_setup_problems().items():
        lines.append(f"set-up: {problem} (in {share:.0%} of frames)")
    for w in report.warnings:
        lines.append(f"warning: {w}")
    return "\n".join(lines)


@app.command()
def exercises() -> None:
    """List the exercises with their checks and camera placement."""
    from formcheck.body import SQUARE_VIEWS
    from formcheck.exercises import all_exercises

    for ex in all_exercises().values():
        typer.echo(f"{ex.id}  ({ex.name}; {ex.kind}; views: {', '.join(ex.views)})")
        typer.echo(f"    camera: {ex.camera}")
        for c in ex.checks:
            direction = ">" if c.flag_when == "above" else "<"
            if c.max_off_view_deg is None:
                judged = ", ".join(c.views) or "no view (unknown from every camera)"
            else:
                judged = (", ".join(v for v in c.views if v in SQUARE_VIEWS)
                          + f" (within {c.max_off_view_deg:g} degrees of square-on)")
            typer.echo(f"    - {c.id}: {c.title} (flags when it measures {direction} {c.limit:g} {c.unit}) "
                       f"{c.explain}; judged from: {judged}")
            tol = c.tolerance
            if tol is not None:
                unit = f" {tol.unit}" if tol.unit else ""
                catch = (f"{tol.must_catch:g}-{tol.catch_up_to:g}" if tol.catch_up_to is not None
                         else f">= {tol.must_catch:g}")
                typer.echo(f"        true size: {tol.measure}{' (either way)' if tol.both_ways else ''}; "
                           f"must pass <= {tol.must_pass:g}{unit}, must catch {catch}{unit}")


@app.command()
def live(
    exercise: Annotated[str, typer.Option("--exercise", "-e")] = "pose_only",
    camera: Annotated[int, typer.Option(help="camera device index")] = 0,
    cleared: Annotated[bool, typer.Option("--cleared", help="answer yes to the exercise's clearance question")] = False,
    model: Annotated[Optional[Path], typer.Option(help="pose model .task file")] = None,
    config: Annotated[Optional[Path], typer.Option(help="settings TOML")] = None,
) -> None:
    """Coach from a local camera in a desktop window (press q to stop). The browser version is
    `streamlit run app.py`."""
    import cv2

    from formcheck.capture import Camera
    from formcheck.coach import LiveCoach

    try:
        settings = _settings(config, None)
        # The camera first: no point loading the model for a camera that is not there.
        with Camera(camera) as cam, LiveCoach(exercise, settings, model=model,
                                              clearance_confirmed=cleared) as coach:
            for frame in cam.frames():
                image, _ = coach.process(frame.image, frame.t_ms)
                cv2.imshow("formcheck", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
                if cv2.waitKey(1) & 0xFF == ord("q"):
                    break
    except FormcheckError as exc:
        _fail(str(exc))
    except cv2.error as exc:
        _fail(f"cannot open a window to show the camera ({exc.msg if hasattr(exc, 'msg') else exc}); "
              "use `streamlit run app.py` instead")


class _BatchProgress:
    """The batch's bar: clips analysed of those to do, clips/s and ETA (tqdm's), with the clips
    an earlier run settled and those failed beside it (settled clips stay out of the rate)."""

    def __init__(self, quiet: bool) -> None:
        from tqdm import tqdm

        self._quiet = quiet
        self._bar = tqdm(desc="clips", unit="clip", disable=quiet, file=sys.stderr)
        self._skipped = self._failed = 0

    def __call__(self, r, finished: int, total: int) -> None:
        if r.resumed:
            self._skipped += 1
        else:
            self._bar.update(1)
        self._failed += r.status == "failed"
        self._bar.total = total - self._skipped
        self._bar.set_postfix_str(f"{self._skipped} already done, {self._failed} failed", refresh=False)
        self._bar.refresh()
        if r.status == "failed" and not self._quiet:
            self._bar.write(f"failed: {Path(r.clip).name}", file=sys.stderr)

    def close(self) -> None:
        self._bar.close()


def _batch_engine(engine: str, workers: Optional[int], address: Optional[str], cpus_per_clip: Optional[float]):
    """The engine the options ask for, as a context manager."""
    from formcheck.batch import LocalEngine

    if engine == "local":
        if address is not None or cpus_per_clip is not None:
            _fail("--address and --cpus-per-clip are for --engine ray")
        return contextlib.nullcontext(LocalEngine(workers or 1))
    if engine != "ray":
        _fail(f"--engine is local or ray, got {engine!r}")
    if address is not None and workers is not None:
        _fail("--workers does not apply with --address: the cluster's CPUs decide how many clips run at once")
    try:
        from formcheck.batch_ray import CPUS_PER_CLIP, RayEngine
    except ImportError:
        _fail('--engine ray needs Ray, which is not installed: pip install "formcheck[cluster]"')
    try:
        return RayEngine(address, workers, CPUS_PER_CLIP if cpus_per_clip is None else cpus_per_clip)
    except ValueError as exc:
        _fail(f"--cpus-per-clip: {exc}")


@app.command()
def batch(
    folder: Annotated[Path, typer.Argument(help="folder of video clips")],
    exercise: Annotated[str, typer.Option("--exercise", "-e", help="exercise id (see `formcheck exercises`)")],
    out: Annotated[Path, typer.Option("--out", "-o", help="output folder (one sub-folder per clip)")],
    workers: Annotated[Optional[int], typer.Option("--workers", "-j", min=1, help="clips at once on this machine (local: 1; a local Ray: every core)")] = None,
    engine: Annotated[str, typer.Option("--engine", help="local (this machine's processes) or ray")] = "local",
    address: Annotated[Optional[str], typer.Option("--address", help="with --engine ray: HOST:PORT of a running Ray cluster's head (default: start a Ray on this machine)")] = None,
    cpus_per_clip: Annotated[Optional[float], typer.Option("--cpus-per-clip", help="with --engine ray: CPUs each clip reserves (default 1)")] = None,
    save: Annotated[bool, typer.Option("--save", help="store each result as a session of --patient")] = False,
    patient: Annotated[Optional[str], typer.Option("--patient", "-p",
                                                   help="patient pseudonym (their own limits are used)")] = None,
    recursive: Annotated[bool, typer.Option("--recursive", "-r", help="also look in sub-folders")] = False,
    no_video: Annotated[bool, typer.Option("--no-video", help="skip the annotated videos (faster)")] = False,
    model: Annotated[Optional[Path], typer.Option(help="pose model .task file")] = None,
    config: Annotated[Optional[Path], typer.Option(help="settings TOML")] = None,
    db: Annotated[Optional[str], typer.Option("--db", envvar="FORMCHECK_DATABASE_URL",
                                              help="database URL for --save")] = None,
    data_dir: Annotated[Optional[Path], typer.Option("--data-dir", envvar="FORMCHECK_DATA_DIR",
                                                     help="data folder for --save")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
) -> None:
    """Analyse every clip in FOLDER in parallel, on this machine or on a Ray cluster. Re-running
    skips clips already done; a bad clip is reported at the end and the rest go on (exit status
    1 if any failed)."""
    from formcheck.batch import run_batch

    if save and not patient:
        _fail("--save needs --patient PSEUDONYM")
    chosen = _batch_engine(engine, workers, address, cpus_per_clip)
    store = None
    try:
        settings = Settings.load(config)
        if patient:
            from formcheck.store import open_store

            store = open_store(db, data_dir)
        with chosen as runner, contextlib.closing(_BatchProgress(quiet)) as progress:
            summary = run_batch(folder, exercise, out, engine=runner, settings=settings, model=model,
                                write_video=not no_video, recursive=recursive, save=save, patient=patient,
                                store=store, on_result=progress)
    except (FormcheckError, ValueError) as exc:
        _fail(str(exc))
    finally:
        if store is not None:
            store.close()
    typer.echo(f"{len(summary.results)} clips in {summary.seconds:.1f}s: {summary.count('done')} analysed, "
               f"{summary.count('skipped')} already done, {len(summary.failed)} failed"
               + (f"; saved for {patient}" if save else "") + f"; results in {out}")
    if not summary.results:
        typer.echo(f"formcheck: warning: no video files in {folder}", err=True)
    for r in summary.failed:
        error = r.error or "unknown error"
        typer.echo(f"  failed: {error if error.startswith(r.clip) else f'{r.clip}: {error}'}")
    if summary.failed:
        raise typer.Exit(1)


def _register_optional_commands() -> None:
    """Commands whose extras (``render``, ``store``) may not be installed."""
    try:
        from formcheck.render.command import render
    except ImportError:
        pass
    else:
        app.command("render")(render)
    try:
        from formcheck.store.cli import sessions_app
    except ImportError:
        pass
    else:
        app.add_typer(sessions_app, name="sessions", help="List, show, export and delete stored sessions.")


_register_optional_commands()


def main() -> None:
    # SIGTERM (timeout, systemd, docker stop) ends every command as Ctrl-C does; `analyze`
    # turns both into a clean stop (see _stop_on_signals).
    signal.signal(signal.SIGTERM, _interrupt)
    app()


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


if __name__ == "__main__":
    main()
