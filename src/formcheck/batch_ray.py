"""``formcheck batch --engine ray``: a batch's clips as Ray tasks, on a local Ray or on a cluster
started with ``ray start`` (the ``cluster`` extra: ``pip install "formcheck[cluster]"``).

- One task per clip, running :func:`formcheck.batch.analyse_on_cores` (what the local engine
  runs) with :data:`CPUS_PER_CLIP` CPUs declared, pinned to that many free cores of its machine.
- The pose model goes into Ray's object store once; a machine fetches it only when the driver's
  model file is not already there, byte for byte, and keeps it in its cache for later clips.
- A task whose worker process dies (a native crash, kill -9, the machine going away) is retried
  once by Ray, then reported as failed with :data:`formcheck.batch.WORKER_DIED`.
- Results come back to the driver, which keeps the books exactly as for a local batch (done
  markers, store, summary); so the clips and ``--out`` must be on storage every machine mounts.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ray
import ray.exceptions
from ray._private import ray_constants

from formcheck.api import REPORT_NAME
from formcheck.batch import MAX_ATTEMPTS, WORKER_DIED, BatchJob, ClipResult, Finished, analyse_on_cores
from formcheck.errors import FormcheckError
from formcheck.models import cache_dir, resolve_model

#: CPUs one clip's task reserves. One landmarker keeps about one core busy (two MediaPipe
#: inference threads, the decoder and the video writer share it, cpu/wall 1.0-1.1 under load);
#: pinned one clip per core, two clips on two cores beat one clip on both
#: (benchmarks/batch.py, docs/batch.md).
CPUS_PER_CLIP = 1.0
#: How long to wait for the cluster's address to answer before giving up.
CONNECT_TIMEOUT_S = 5.0
_QUIET = {"logging_level": logging.WARNING, "log_to_driver": False}


@functools.cache
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    """The file's digest, computed once per process for each version of the file."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _digest(path: Path) -> str | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return _sha256(str(path), st.st_size, st.st_mtime_ns)


@dataclass(frozen=True)
class ShippedModel:
    """The driver's pose model, as a task gets it.

    ``ref`` holds the bytes' object reference inside a list, so Ray hands a task the reference
    (a few bytes) rather than resolving 9 MB for every clip.
    """

    path: str
    sha256: str
    ref: list

    @classmethod
    def put(cls, path: Path) -> ShippedModel:
        data = path.read_bytes()
        return cls(str(path), hashlib.sha256(data).hexdigest(), [ray.put(data)])

    def on_this_machine(self) -> str:
        """A path to the model on the machine running the task: the driver's own path when the
        same file is there (a shared folder, or the driver's machine), else a copy in the cache,
        fetched from the object store the first time."""
        if _digest(Path(self.path)) == self.sha256:
            return self.path
        local = cache_dir() / "shipped" / self.sha256 / Path(self.path).name
        if _digest(local) != self.sha256:
            local.parent.mkdir(parents=True, exist_ok=True)
            tmp = local.with_name(f".{local.name}.{os.getpid()}.tmp")
            tmp.write_bytes(ray.get(self.ref[0]))
            os.replace(tmp, local)
        return str(local)


@ray.remote
def analyse_clip_task(model: ShippedModel, cores: int, job: BatchJob, exercise: str, settings: Any,
                      rest: tuple) -> ClipResult:
    """One clip on a Ray worker: :func:`formcheck.batch.analyse_one`'s arguments, the model
    path replaced by the copy shipped to this machine; ``rest`` is what follows the model."""
    return analyse_on_cores(cores, job, exercise, settings, model.on_this_machine(), *rest)


def parse_address(address: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[v6]:PORT`` too) of a Ray head (``ray start --head --port=PORT``).

    Raises:
        FormcheckError: not of that form.
    """
    host, sep, port = address.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise FormcheckError(f"--address takes HOST:PORT of the Ray head (e.g. 10.0.0.5:6379), got {address!r}")
    return host, int(port)


class RayEngine:
    """Runs a batch's clips on Ray (a :class:`formcheck.batch.BatchEngine`). Use as a context
    manager: entering starts or joins Ray, leaving disconnects (a local Ray stops).

    Args:
        address: ``HOST:PORT`` of a running cluster's head; None starts a Ray on this machine
            only, listening on loopback.
        cpus: the local Ray's CPUs (None: every core this process may use); not with ``address``.
        cpus_per_clip: CPUs each clip's task reserves (and cores it is pinned to, rounded up).

    Raises (on entering):
        FormcheckError: the address is malformed, does not answer, or Ray cannot join it.
    """

    def __init__(self, address: str | None = None, cpus: int | None = None,
                 cpus_per_clip: float = CPUS_PER_CLIP) -> None:
        if address is not None and cpus is not None:
            raise ValueError("the CPUs of a cluster are its own: give cpus only without an address")
        if cpus is not None and cpus < 1:
            raise ValueError("cpus must be at least 1")
        if cpus_per_clip <= 0:
            raise ValueError("cpus_per_clip must be more than 0")
        self.address = address
        self.cpus = cpus
        self.cpus_per_clip = cpus_per_clip
        self.hosts = 0

    def __enter__(self) -> RayEngine:
        if self.address is None:
            self._loopback_only(True)
            try:
                ray.init(address="local", num_cpus=self.cpus or len(os.sched_getaffinity(0)),
                         include_dashboard=False, **_QUIET)
            except BaseException:
                self._loopback_only(False)
                raise
        else:
            host, port = parse_address(self.address)
            try:
                socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S).close()
            except OSError as exc:
                raise FormcheckError(
                    f"no Ray cluster answers at {self.address} ({exc.strerror or exc}): start its head "
                    f"there with `ray start --head --port={port}`, or check the address") from None
            try:
                ray.init(address=f"{host}:{port}", **_QUIET)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise FormcheckError(f"cannot join the Ray cluster at {self.address}: "
                                     f"{str(exc).strip().splitlines()[0][:300]}") from None
        self.hosts = len({n["NodeManagerAddress"] for n in ray.nodes() if n["Alive"]})
        return self

    def __exit__(self, *exc: object) -> None:
        ray.shutdown()
        if self.address is None:
            self._loopback_only(False)

    _saved_switch: tuple[str | None, bool] | None = None

    def _loopback_only(self, on: bool) -> None:
        """Even a Ray of one machine registers, and listens on, the machine's network address
        (``127.0.0.1`` given as its address is replaced by it). Ray's switch for "not a
        cluster" keeps it on loopback: the environment variable for the processes it starts,
        and the constant this process read from it when it imported Ray."""
        name = ray_constants.ENABLE_RAY_CLUSTERS_ENV_VAR
        if on:
            self._saved_switch = (os.environ.get(name), ray_constants.ENABLE_RAY_CLUSTER)
            os.environ[name], ray_constants.ENABLE_RAY_CLUSTER = "0", False
        elif self._saved_switch is not None:
            env, ray_constants.ENABLE_RAY_CLUSTER = self._saved_switch
            if env is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = env
            self._saved_switch = None

    def describe(self) -> dict[str, Any]:
        return {"engine": "ray", "address": self.address or "local", "hosts": self.hosts,
                "cluster_cpus": ray.cluster_resources().get("CPU", 0), "cpus_per_clip": self.cpus_per_clip}

    def run(self, todo: list[BatchJob], args: tuple, finished: Finished) -> None:
        if not todo:
            return
        exercise, settings, model, *rest = args
        # Resolved (and downloaded if need be) here, once: no worker downloads the model.
        shipped = ShippedModel.put(resolve_model(model, settings.pose.variant))
        task = analyse_clip_task.options(num_cpus=self.cpus_per_clip, max_retries=MAX_ATTEMPTS - 1)
        cores = math.ceil(self.cpus_per_clip)
        pending = {task.remote(shipped, cores, job, exercise, settings, tuple(rest)): job for job in todo}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                job = pending.pop(ref)
                finished(_result(ref, job), job)


def _result(ref: ray.ObjectRef, job: BatchJob) -> ClipResult:
    try:
        result = ray.get(ref)
    except ray.exceptions.WorkerCrashedError:
        return ClipResult(str(job.clip), str(job.out), "failed", WORKER_DIED)
    except ray.exceptions.RayError as exc:
        return ClipResult(str(job.clip), str(job.out), "failed",
                          f"Ray: {type(exc).__name__}: {str(exc).strip().splitlines()[0][:300]}")
    if result.status == "done" and not (job.out / REPORT_NAME).is_file():
        result.status = "failed"
        result.error = (f"its results were written into {job.out} on another machine, which this one "
                        "cannot see: --out must be a folder every machine of the cluster mounts")
    return result
