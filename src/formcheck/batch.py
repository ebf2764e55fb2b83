"""``formcheck batch``: analyse every clip in a folder, in parallel processes, resumably.

- Each clip is analysed by :func:`formcheck.api.analyze` in a worker process (spawn context, so
  each worker opens its own MediaPipe landmarker; nothing is shared but the arguments), into
  ``OUT/<clip name>-<hash>/``.
- When a clip is finished a done-marker (``.formcheck-done.json``) is written atomically into its
  folder; a re-run skips clips whose marker matches the file's size and modification time, so a
  batch killed half-way resumes where it stopped.
- A clip that cannot be analysed (not a video, truncated, nobody in it, a worker crash) is
  reported and the batch goes on; the failures are listed at the end and the exit status is 1.
- With ``--save --patient P`` each clip is stored as a session of P while it is analysed, rep
  by rep (:func:`formcheck.recording.record_analysis`, in the worker): a batch killed part-way
  leaves the clips it was on listed as interrupted with their finished reps, and the re-run
  that analyses them again replaces those sessions. P's own limits apply.
- ``batch-summary.json`` and ``batch-summary.csv`` list every clip (exercise, reps, flags, score,
  time) whichever engine ran it.

Where the clips run is a :class:`BatchEngine`: :class:`LocalEngine` (this process or a process
pool) here, :class:`formcheck.batch_ray.RayEngine` on a Ray cluster; both run
:func:`analyse_on_cores` per clip. The ``formcheck batch`` command (:mod:`formcheck.cli`) is a
thin shell over :func:`run_batch`; ``docs/batch.md`` describes both engines.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import json
import multiprocessing
import os
import re
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Protocol

from formcheck import api
from formcheck.capture import VIDEO_SUFFIXES
from formcheck.config import Settings
from formcheck.errors import FormcheckError, InputError
from formcheck.exercises import get_exercise
from formcheck.limits import PatientLimits
from formcheck.report import AnalysisOutputs, SessionReport, write_text_atomic
from formcheck.spreadsheet import SpreadsheetSafeWriter

DONE_MARKER = ".formcheck-done.json"
SUMMARY_NAME = "batch-summary.json"
SUMMARY_CSV_NAME = "batch-summary.csv"
#: Bigger input files are not analysed (a mistaken disk image, a multi-hour recording).
MAX_INPUT_BYTES = 4 * 1024 ** 3
#: How many times a clip may take a worker process down before it is given up.
MAX_ATTEMPTS = 2
WORKER_DIED = f"the worker process died analysing this clip ({MAX_ATTEMPTS} tries)"


@dataclass(frozen=True)
class SaveTarget:
    """Where a worker stores each clip as it analyses it: the patient, and the store's URL and
    data folder (each worker process opens its own connection)."""

    patient: str
    url: str
    data_dir: str


@dataclass(frozen=True)
class BatchJob:
    clip: Path
    out: Path
    size: int
    mtime_ns: int


@dataclass
class ClipResult:
    clip: str
    out: str
    status: str  # done / skipped / failed
    error: str | None = None
    seconds: float = 0.0
    exercise: str | None = None
    duration_s: float | None = None
    reps: int = 0
    holds: int = 0
    #: check id -> how many reps or holds it flagged
    flags: dict[str, int] = field(default_factory=dict)
    score: float | None = None
    saved_session: int | None = None
    #: settled by an earlier run (read from its done-marker), not analysed by this one
    resumed: bool = False

    def csv_row(self) -> dict[str, Any]:
        row = asdict(self)
        row["flags"] = " ".join(f"{check}:{n}" for check, n in sorted(self.flags.items()))
        return row


@dataclass
class BatchSummary:
    results: list[ClipResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> list[ClipResult]:
        return [r for r in self.results if r.status == "failed"]

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)


def find_clips(folder: Path, recursive: bool = False) -> list[Path]:
    """Video files in ``folder`` (sorted; hidden files skipped). Anything with a video's name
    that is not a folder counts, a named pipe or a broken link too: it is reported as failed
    rather than silently left out."""
    pattern = "**/*" if recursive else "*"
    return sorted(p for p in folder.glob(pattern)
                  if p.suffix.lower() in VIDEO_SUFFIXES and not p.name.startswith(".") and not p.is_dir())


def job_folder_name(folder: Path, clip: Path) -> str:
    """``<clip stem, letters digits _ - only>-<hash of its path inside the folder>``: stable
    across runs, unique, and never a path the file name could steer."""
    rel = clip.relative_to(folder).as_posix()
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", clip.stem).strip("_")[:40] or "clip"
    return f"{stem}-{hashlib.sha1(rel.encode()).hexdigest()[:10]}"


def plan(folder: Path, out: Path, recursive: bool = False) -> list[BatchJob]:
    jobs = []
    for clip in find_clips(folder, recursive):
        st = clip.stat() if clip.exists() else clip.lstat()  # a broken link: analysing it says why
        jobs.append(BatchJob(clip, out / job_folder_name(folder, clip), st.st_size, st.st_mtime_ns))
    return jobs


def read_marker(job: BatchJob, exercise: str) -> dict[str, Any] | None:
    """The job's done-marker if it matches the clip as it is now, else None."""
    try:
        data = json.loads((job.out / DONE_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if (data.get("size"), data.get("mtime_ns"), data.get("exercise")) != (job.size, job.mtime_ns, exercise):
        return None
    return data


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write, flush to disk, then rename: a reader sees the old file or the whole new one."""
    write_text_atomic(path, json.dumps(data, indent=2))


def analyse_one(job: BatchJob, exercise: str, settings: Settings, model: str | None,
                limits: Mapping[str, float], patient: PatientLimits | None, write_video: bool,
                save_to: SaveTarget | None = None) -> ClipResult:
    """Analyse one clip (runs in a worker process), storing it rep by rep when ``save_to`` says
    where. Never raises for a bad clip: the error is in the result."""
    t0 = time.perf_counter()
    result = ClipResult(str(job.clip), str(job.out), "failed")
    try:
        if job.size > MAX_INPUT_BYTES:
            raise FormcheckError(f"{job.clip.name}: too big ({job.size} bytes, at most {MAX_INPUT_BYTES})")
        options = dict(settings=settings, model=model, limits=limits, write_video=write_video)
        if save_to is None:
            report, _ = api.analyze(job.clip, exercise, job.out, patient=patient, **options)
        else:  # the patient's limits are read where the clip is stored
            from formcheck.recording import record_analysis
            from formcheck.store import open_store

            with open_store(save_to.url, save_to.data_dir) as store:
                report, _, saved = record_analysis(job.clip, exercise, job.out, patient=save_to.patient,
                                                   store=store, source="batch", **options)
            result.saved_session = saved.session_id if saved is not None else None
        if report.frames_with_person == 0:
            raise FormcheckError(f"no person was found in any of the {report.frames_total} frames")
        result.reps, result.holds, result.score = len(report.reps), len(report.holds), report.set_score
        result.exercise, result.duration_s = report.exercise, report.duration_s
        result.flags = dict(Counter(check for item in [*report.reps, *report.holds] for check in item.flags))
        if report.complete:
            result.status = "done"
        else:
            result.error = f"incomplete: {report.incomplete_reason}"
    except FormcheckError as exc:
        result.error = str(exc)
    except Exception as exc:  # noqa: BLE001  a bug or library failure on one clip must not stop the batch
        result.error = f"{type(exc).__name__}: {exc}"
    result.seconds = round(time.perf_counter() - t0, 2)
    return result


#: Where workers on one machine claim cores (one lock file per core; the kernel drops a lock
#: when its process dies, so a killed worker never keeps a core).
CORE_LOCKS = Path(tempfile.gettempdir()) / "formcheck-cores"


@contextlib.contextmanager
def claim_cores(count: int) -> Iterator[set[int]]:
    """Pin this thread, and the threads it starts (MediaPipe's, the decoder's, the writer's),
    to ``count`` cores that no other formcheck worker on this machine holds; yields them.

    Two landmarkers left to the scheduler on two cores run slower than two pinned one per
    core (their inference threads chase each other across cores; benchmarks/batch.py). When
    ``count`` covers every core, or not enough are free, nothing is pinned (yields an empty
    set).
    """
    allowed = os.sched_getaffinity(0)
    held: dict[int, int] = {}  # core -> lock file descriptor
    try:
        if count < len(allowed):
            with contextlib.suppress(OSError):
                CORE_LOCKS.mkdir(mode=0o777, parents=True, exist_ok=True)
            for core in sorted(allowed):
                try:
                    fd = os.open(CORE_LOCKS / f"cpu{core}.lock", os.O_RDONLY | os.O_CREAT, 0o666)
                except OSError:  # another user's lock folder: run unpinned rather than fail
                    continue
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    continue
                held[core] = fd
                if len(held) == count:
                    break
        pinned = set(held) if len(held) == count else set()
        if pinned:
            os.sched_setaffinity(0, pinned)
        yield pinned
    finally:
        os.sched_setaffinity(0, allowed)
        for fd in held.values():
            os.close(fd)


def analyse_on_cores(cores: int, job: BatchJob, *args: Any) -> ClipResult:
    """:func:`analyse_one` pinned to ``cores`` free cores (see :func:`claim_cores`): what every
    engine runs per clip."""
    with claim_cores(cores):
        return analyse_one(job, *args)


#: ``finished(result, job)``: the batch's bookkeeping for one clip (marker, store, progress).
Finished = Callable[[ClipResult, BatchJob], None]


class BatchEngine(Protocol):
    """Where the clips of a batch run."""

    #: how many machines the clips may run on (SQLite cannot be shared between machines)
    hosts: int

    def describe(self) -> dict[str, Any]:
        """What ran the batch, for the summary."""

    def run(self, todo: list[BatchJob], args: tuple, finished: Finished) -> None:
        """Run :func:`analyse_on_cores` on each job (with ``args`` after it) and hand every
        result to ``finished`` as it arrives, in this thread."""


class LocalEngine:
    """This machine: ``workers=1`` runs the clips one after another in this process (all cores
    free for one landmarker); more run in a pool of spawn-context processes, each pinned to
    its share of the cores."""

    hosts = 1

    def __init__(self, workers: int = 1) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.workers = workers
        self.cores_per_worker = max(1, len(os.sched_getaffinity(0)) // workers)

    def describe(self) -> dict[str, Any]:
        return {"engine": "local", "workers": self.workers}

    def run(self, todo: list[BatchJob], args: tuple, finished: Finished) -> None:
        if self.workers == 1:
            for job in todo:
                finished(analyse_on_cores(self.cores_per_worker, job, *args), job)
        else:
            _run_pool(todo, args, self.workers, self.cores_per_worker, finished)


def run_batch(folder: str | os.PathLike[str], exercise: str, out: str | os.PathLike[str], *,
              workers: int = 1, engine: BatchEngine | None = None, settings: Settings | None = None,
              model: str | None = None, limits: Mapping[str, float] | None = None, write_video: bool = True,
              recursive: bool = False, save: bool = False, patient: str | None = None, store: Any = None,
              on_result: Callable[[ClipResult, int, int], None] | None = None) -> BatchSummary:
    """Analyse every clip in ``folder`` on ``engine`` (default: :class:`LocalEngine` with
    ``workers`` processes; 1: in this process).

    ``limits`` override every clip's limits; with a ``patient`` (pseudonym) their own limits
    and caps apply too (:func:`formcheck.limits.effective_limits`), read from ``store`` (the
    default store when None). ``on_result(result, finished, total)`` is called as each clip
    ends (skipped ones too, first).

    Raises:
        InputError: ``folder`` is not a folder. UnknownExerciseError. StoreError (``save``).
        FormcheckError: ``save`` into SQLite from an engine on more than one machine.
    """
    folder, out = Path(folder), Path(out)
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder")
    ex = get_exercise(exercise)
    engine = engine or LocalEngine(workers)
    if save and not patient:
        raise ValueError("--save needs --patient")
    settings = settings or Settings()
    if patient and store is None:
        from formcheck.store import open_store  # the store extra, needed only for a patient

        store = open_store()
    if save and engine.hosts > 1 and store.engine.url.get_backend_name() == "sqlite":
        raise FormcheckError(
            f"--save into SQLite ({store.engine.url.database}) from a cluster of {engine.hosts} machines: "
            "a SQLite file cannot be shared between machines; set FORMCHECK_DATABASE_URL to a PostgreSQL "
            "database every machine reaches (postgresql://user@host/db)")
    patient_limits = store.patient_limits(patient) if patient else None
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    jobs = plan(folder, out, recursive)
    summary = BatchSummary()
    total = len(jobs)
    todo: list[BatchJob] = []

    def finished(result: ClipResult, job: BatchJob) -> None:
        # Done for good: analysed, or analysed as far as a damaged file allows. Other failures
        # (not a video, a crash) get no marker, so a re-run tries them again.
        final = result.status == "done" or (result.error or "").startswith("incomplete")
        if final and job.out.is_dir():
            write_json_atomic(job.out / DONE_MARKER, {
                "source": str(job.clip), "size": job.size, "mtime_ns": job.mtime_ns, "exercise": ex.id,
                "finished_at": time.time(), **_marker_fields(result)})
        summary.results.append(result)
        if on_result is not None:
            on_result(result, len(summary.results), total)

    for job in jobs:
        marker = read_marker(job, ex.id)
        if marker is None:
            todo.append(job)
            continue
        status = "failed" if marker.get("status") == "failed" else "skipped"
        kept = {name: marker[name] for name in _MARKER_FIELDS if name in marker}  # older markers have fewer
        result = ClipResult(str(job.clip), str(job.out), **{**kept, "status": status}, resumed=True)
        if save and marker.get("status") == "done" and marker.get("saved_session") is None:
            result.saved_session = _save(job, patient, store)  # analysed before, without --save
            write_json_atomic(job.out / DONE_MARKER, {**marker, "saved_session": result.saved_session})
        summary.results.append(result)
        if on_result is not None:
            on_result(result, len(summary.results), total)

    save_to = SaveTarget(patient, store.engine.url.render_as_string(hide_password=False),
                         str(store.data_dir)) if save else None
    args = (ex.id, settings, str(model) if model else None, dict(limits or {}), patient_limits, write_video,
            save_to)
    engine.run(todo, args, finished)
    summary.seconds = round(time.perf_counter() - t0, 2)
    summary.results.sort(key=lambda r: r.clip)
    write_json_atomic(out / SUMMARY_NAME, {"seconds": summary.seconds, **engine.describe(),
                                           "results": [asdict(r) for r in summary.results]})
    _write_summary_csv(out / SUMMARY_CSV_NAME, summary.results)
    return summary


#: What a done-marker keeps of a clip's result, so a skipped clip is summarised like a new one.
_MARKER_FIELDS = ("status", "error", "seconds", "exercise", "duration_s", "reps", "holds", "flags", "score",
                  "saved_session")


def _marker_fields(result: ClipResult) -> dict[str, Any]:
    return {name: getattr(result, name) for name in _MARKER_FIELDS}


def _write_summary_csv(path: Path, results: list[ClipResult]) -> None:
    names = [f.name for f in fields(ClipResult)]
    buf = io.StringIO()
    writer = SpreadsheetSafeWriter(buf)  # a clip named =HYPERLINK(...).mp4 stays text
    writer.writerow(names)
    for r in results:
        row = r.csv_row()
        writer.writerow([row[n] for n in names])
    write_text_atomic(path, buf.getvalue())


def _run_pool(todo: list[BatchJob], args: tuple, workers: int, cores: int, finished: Finished) -> None:
    """Run ``todo`` through :func:`analyse_on_cores` on a spawn-context process pool. A worker
    that dies (a crash inside a native library) breaks the pool: the clips it held are retried
    in a new pool, and a clip that breaks it :data:`MAX_ATTEMPTS` times is reported as failed."""
    ctx = multiprocessing.get_context("spawn")
    attempts: dict[Path, int] = {}
    pending = list(todo)
    while pending:
        with ProcessPoolExecutor(max_workers=min(workers, len(pending)), mp_context=ctx) as pool:
            futures: dict[Future, BatchJob] = {pool.submit(analyse_on_cores, cores, job, *args): job
                                               for job in pending}
            pending = []
            broken = False
            while futures:
                done, _ = wait(futures, return_when=FIRST_COMPLETED)
                for fut in done:
                    job = futures.pop(fut)
                    try:
                        result = fut.result()
                    except BrokenProcessPool:
                        broken = True
                        attempts[job.clip] = attempts.get(job.clip, 0) + 1
                        if attempts[job.clip] >= MAX_ATTEMPTS:
                            finished(ClipResult(str(job.clip), str(job.out), "failed", WORKER_DIED), job)
                        else:
                            pending.append(job)
                        continue
                    finished(result, job)
            if broken:
                pool.shutdown(wait=False, cancel_futures=True)


def _save(job: BatchJob, patient: str, store: Any) -> int:
    """Store a clip analysed by an earlier run from the files it wrote."""
    from formcheck.store import save_analysis, source_key

    report = SessionReport.model_validate_json((job.out / api.REPORT_NAME).read_text(encoding="utf-8"))
    video = job.out / api.VIDEO_NAME
    outputs = AnalysisOutputs(job.out / api.REPORT_NAME, job.out / api.FRAMES_NAME,
                              video if video.is_file() else None, None)
    saved = save_analysis(report, outputs, patient=patient, store=store, source="batch",
                          source_key=source_key(job.clip))
    return saved.session_id
