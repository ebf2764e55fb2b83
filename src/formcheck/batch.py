"""``formcheck batch``: analyse every clip in a folder, in parallel processes, resumably.

- Each clip is analysed by :func:`formcheck.api.analyze` in a worker process (spawn context, so
  each worker opens its own MediaPipe landmarker; nothing is shared but the arguments), into
  ``OUT/<clip name>-<hash>/``.
- When a clip is finished a done-marker (``.formcheck-done.json``) is written atomically into its
  folder; a re-run skips clips whose marker matches the file's size and modification time, so a
  batch killed half-way resumes where it stopped.
- A clip that cannot be analysed (not a video, truncated, nobody in it, a worker crash) is
  reported and the batch goes on; the failures are listed at the end and the exit status is 1.
- With ``--save --patient P`` each finished clip is stored as a session of P (saving the same
  file twice is a no-op), using P's own limits.

The ``formcheck batch`` command (:mod:`formcheck.cli`) is a thin shell over :func:`run_batch`;
``docs/batch.md`` describes running the same job on a cluster (Ray or Dask).
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import re
import time
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from formcheck import api
from formcheck.capture import VIDEO_SUFFIXES
from formcheck.config import Settings
from formcheck.errors import FormcheckError, InputError
from formcheck.exercises import get_exercise
from formcheck.limits import PatientLimits
from formcheck.report import AnalysisOutputs, SessionReport, write_text_atomic

DONE_MARKER = ".formcheck-done.json"
SUMMARY_NAME = "batch-summary.json"
#: Bigger input files are not analysed (a mistaken disk image, a multi-hour recording).
MAX_INPUT_BYTES = 4 * 1024 ** 3
#: How many times a clip may take a worker process down before it is given up.
MAX_ATTEMPTS = 2


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
    reps: int = 0
    holds: int = 0
    score: float | None = None
    saved_session: int | None = None


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
                limits: Mapping[str, float], patient: PatientLimits | None, write_video: bool) -> ClipResult:
    """Analyse one clip (runs in a worker process). Never raises for a bad clip: the error is
    in the result."""
    t0 = time.perf_counter()
    result = ClipResult(str(job.clip), str(job.out), "failed")
    try:
        if job.size > MAX_INPUT_BYTES:
            raise FormcheckError(f"{job.clip.name}: too big ({job.size} bytes, at most {MAX_INPUT_BYTES})")
        report, _ = api.analyze(job.clip, exercise, job.out, settings=settings, model=model,
                                limits=limits, patient=patient, write_video=write_video)
        if report.frames_with_person == 0:
            raise FormcheckError(f"no person was found in any of the {report.frames_total} frames")
        result.reps, result.holds, result.score = len(report.reps), len(report.holds), report.set_score
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


def run_batch(folder: str | os.PathLike[str], exercise: str, out: str | os.PathLike[str], *,
              workers: int = 1, settings: Settings | None = None, model: str | None = None,
              limits: Mapping[str, float] | None = None, write_video: bool = True, recursive: bool = False,
              save: bool = False, patient: str | None = None, store: Any = None,
              on_result: Callable[[ClipResult, int, int], None] | None = None) -> BatchSummary:
    """Analyse every clip in ``folder`` with ``workers`` processes (1: in this process).

    ``limits`` override every clip's limits; with a ``patient`` (pseudonym) their own limits
    and caps apply too (:func:`formcheck.limits.effective_limits`), read from ``store`` (the
    default store when None). ``on_result(result, finished, total)`` is called as each clip
    ends (skipped ones too).

    Raises:
        InputError: ``folder`` is not a folder. UnknownExerciseError. StoreError (``save``).
    """
    folder, out = Path(folder), Path(out)
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder")
    ex = get_exercise(exercise)
    if workers < 1:
        raise ValueError("workers must be at least 1")
    if save and not patient:
        raise ValueError("--save needs --patient")
    settings = settings or Settings()
    if patient and store is None:
        from formcheck.store import open_store  # the store extra, needed only for a patient

        store = open_store()
    patient_limits = store.patient_limits(patient) if patient else None
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    jobs = plan(folder, out, recursive)
    summary = BatchSummary()
    total = len(jobs)
    todo: list[BatchJob] = []

    def finished(result: ClipResult, job: BatchJob) -> None:
        if save and result.status == "done":
            result.saved_session = _save(job, result, patient, store)
        # Done for good: analysed, or analysed as far as a damaged file allows. Other failures
        # (not a video, a crash) get no marker, so a re-run tries them again.
        final = result.status == "done" or (result.error or "").startswith("incomplete")
        if final and job.out.is_dir():
            write_json_atomic(job.out / DONE_MARKER, {
                "source": str(job.clip), "size": job.size, "mtime_ns": job.mtime_ns, "exercise": ex.id,
                "finished_at": time.time(), "status": result.status, "error": result.error,
                "reps": result.reps, "holds": result.holds, "score": result.score,
                "saved_session": result.saved_session})
        summary.results.append(result)
        if on_result is not None:
            on_result(result, len(summary.results), total)

    for job in jobs:
        marker = read_marker(job, ex.id)
        if marker is None:
            todo.append(job)
            continue
        status = "failed" if marker.get("status") == "failed" else "skipped"
        result = ClipResult(str(job.clip), str(job.out), status, marker.get("error"),
                            reps=marker.get("reps", 0), holds=marker.get("holds", 0), score=marker.get("score"),
                            saved_session=marker.get("saved_session"))
        if save and marker.get("status") == "done" and marker.get("saved_session") is None:
            result.saved_session = _save(job, result, patient, store)  # crashed between analysis and save
            write_json_atomic(job.out / DONE_MARKER, {**marker, "saved_session": result.saved_session})
        summary.results.append(result)
        if on_result is not None:
            on_result(result, len(summary.results), total)

    args = (ex.id, settings, str(model) if model else None, dict(limits or {}), patient_limits, write_video)
    if workers == 1:
        for job in todo:
            finished(analyse_one(job, *args), job)
    else:
        _run_pool(todo, args, workers, finished)
    summary.seconds = round(time.perf_counter() - t0, 2)
    summary.results.sort(key=lambda r: r.clip)
    write_json_atomic(out / SUMMARY_NAME, {"seconds": summary.seconds, "workers": workers,
                                           "results": [asdict(r) for r in summary.results]})
    return summary


def _run_pool(todo: list[BatchJob], args: tuple, workers: int,
              finished: Callable[[ClipResult, BatchJob], None]) -> None:
    """Run ``todo`` on a spawn-context process pool. A worker that dies (a crash inside a native
    library) breaks the pool: the clips it held are retried in a new pool, and a clip that
    breaks it :data:`MAX_ATTEMPTS` times is reported as failed."""
    ctx = multiprocessing.get_context("spawn")
    attempts: dict[Path, int] = {}
    pending = list(todo)
    while pending:
        with ProcessPoolExecutor(max_workers=min(workers, len(pending)), mp_context=ctx) as pool:
            futures: dict[Future, BatchJob] = {pool.submit(analyse_one, job, *args): job for job in pending}
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
                            finished(ClipResult(str(job.clip), str(job.out), "failed",
                                                "the worker process died analysing this clip"), job)
                        else:
                            pending.append(job)
                        continue
                    finished(result, job)
            if broken:
                pool.shutdown(wait=False, cancel_futures=True)


def _save(job: BatchJob, result: ClipResult, patient: str, store: Any) -> int:
    from formcheck.store import save_analysis, source_key

    report = SessionReport.model_validate_json((job.out / api.REPORT_NAME).read_text(encoding="utf-8"))
    video = job.out / api.VIDEO_NAME
    outputs = AnalysisOutputs(job.out / api.REPORT_NAME, job.out / api.FRAMES_NAME,
                              video if video.is_file() else None, None)
    saved = save_analysis(report, outputs, patient=patient, store=store, source="batch",
                          source_key=source_key(job.clip))
    return saved.session_id
