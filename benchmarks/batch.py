"""Batch speed, every engine on the same clips in one run: the local engine with 1 worker (in
this process, all cores) and 2 worker processes (pinned one per core, and left to the scheduler
as before pinning), and Ray on this machine with 1 and 2 CPUs (one clip per CPU) and with 2 CPUs
reserved per clip; each without and with the annotated video. Fresh output folders each time;
the shared clips are linked by path, never copied.

    python benchmarks/batch.py [--clips N] [--rounds R] [--write]

Prints one table (wall time of the batch, best and every round, clips/s and frames/s of the
best, speed-up over 1 local worker, the load average of each round) and, first, where one clip's CPU goes, thread by thread: what
one Ray task should reserve. ``--write`` saves it all as docs/benchmarks/batch.md. Ray's own
start (1-3 s) is left out of the wall times, and printed; worker start-up (importing MediaPipe,
loading the model) is in them, as a batch pays it.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import fcntl
import os
import tempfile
import threading
import time
from pathlib import Path

from _common import MEDIA, Output, machine, table

from formcheck import api, batch
from formcheck.capture import VideoFile

#: Real-person 720p mp4 clips of a few seconds, so decoding and pose dominate, not start-up.
CLIPS = ("plank__kaiakol-001.mp4", "plank__kaiakol-002.mp4", "plank__kaiakol-004.mp4",
         "bird_dog__lena.mp4", "bridge__be23.mp4", "donkey_kick__be23.mp4",
         "standing_hip_abduction__be23.mp4", "plank__tbf.mp4")


def thread_profile(clip: Path, out: Path) -> tuple[list[tuple], float, float]:
    """CPU seconds per thread kind of one ``api.analyze`` (annotated video on), sampled from
    /proc every 0.1 s; and the run's CPU and wall seconds."""
    names = {}
    samples: dict[int, tuple[str, float]] = {}
    stop = threading.Event()
    tick = os.sysconf("SC_CLK_TCK")

    def sample() -> None:
        while not stop.is_set():
            names.update({t.native_id: t.name.split(" ")[-1].strip("()") for t in threading.enumerate()})
            for tid in os.listdir("/proc/self/task"):
                try:
                    comm = Path(f"/proc/self/task/{tid}/comm").read_text().strip()
                    stat = Path(f"/proc/self/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                samples[int(tid)] = (comm, (int(stat[11]) + int(stat[12])) / tick)
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    t0, c0 = time.perf_counter(), time.process_time()
    api.analyze(clip, "plank", out)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    stop.set()
    sampler.join()
    kinds: dict[str, list] = collections.defaultdict(lambda: [0, 0.0])
    for tid, (comm, seconds) in samples.items():
        if tid == threading.get_native_id():
            kind = "main: pose calls, engine, CSV"
        elif tid == sampler.native_id:
            continue
        elif names.get(tid) == "produce":
            kind = "read-ahead: PyAV decode loop"
        elif names.get(tid) == "_run":
            kind = "video writer: annotate + x264 (1 thread)"
        elif comm == "drishti":
            kind = "MediaPipe graph (drishti)"
        elif comm.startswith("av:"):
            kind = "FFmpeg frame threads (av:h264:*)"
        else:
            kind = f"other ({comm})"
        kinds[kind][0] += 1
        kinds[kind][1] += seconds
    rows = [(k, n, round(s, 2)) for k, (n, s) in sorted(kinds.items(), key=lambda kv: -kv[1][1]) if s >= 0.01]
    return rows, cpu, wall


@contextlib.contextmanager
def every_core_taken():
    """Hold every core's lock (batch.CORE_LOCKS), so workers find none free and run unpinned:
    the pool as it ran before pinning."""
    batch.CORE_LOCKS.mkdir(parents=True, exist_ok=True)
    fds = [os.open(batch.CORE_LOCKS / f"cpu{c}.lock", os.O_RDONLY | os.O_CREAT, 0o666)
           for c in sorted(os.sched_getaffinity(0))]
    try:
        for fd in fds:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        for fd in fds:
            os.close(fd)


def configurations():
    """(label, context manager yielding the engine) for every row of the table."""
    from formcheck.batch_ray import RayEngine

    yield "local, 1 worker (this process)", lambda: contextlib.nullcontext(batch.LocalEngine(1))
    yield "local, 2 workers pinned one per core", lambda: contextlib.nullcontext(batch.LocalEngine(2))

    @contextlib.contextmanager
    def unpinned():
        with every_core_taken():
            yield batch.LocalEngine(2)

    yield "local, 2 workers unpinned (before)", unpinned
    yield "Ray, 1 CPU, 1 per clip", lambda: RayEngine(cpus=1, cpus_per_clip=1)
    yield "Ray, 2 CPUs, 1 per clip", lambda: RayEngine(cpus=2, cpus_per_clip=1)
    yield "Ray, 2 CPUs, 2 per clip", lambda: RayEngine(cpus=2, cpus_per_clip=2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=int, default=6, help=f"how many clips (at most {len(CLIPS)})")
    parser.add_argument("--rounds", type=int, default=2, help="times every engine runs (best and all shown)")
    parser.add_argument("--write", action="store_true", help="save the output as docs/benchmarks/batch.md")
    args = parser.parse_args()
    chosen = [MEDIA / c for c in CLIPS[: args.clips] if (MEDIA / c).is_file()]
    if not chosen:
        raise SystemExit(f"no shared clips found in {MEDIA}")
    frames = 0
    for c in chosen:
        with VideoFile(c) as v:
            frames += v.info.frame_count
    say = Output("batch", "Batch speed: local processes and Ray, side by side")
    say(f"{len(chosen)} clips ({', '.join(c.name for c in chosen)}), {frames} frames of 720p; {machine()}")
    say(f"load average at the start (1, 5, 15 min): {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="formcheck-batch-bench-") as tmp:
        src = Path(tmp) / "clips"
        src.mkdir()
        for c in chosen:
            (src / c.name).symlink_to(c)

        rows, cpu, wall = thread_profile(chosen[3 % len(chosen)], Path(tmp) / "profile")
        say()
        say(f"## Where one clip's CPU goes ({chosen[3 % len(chosen)].name}, annotated video on, alone)")
        say()
        say(table(["thread", "threads", "CPU s"], rows))
        say()
        say(f"CPU {cpu:.2f} s over {wall:.2f} s wall: {cpu / wall:.2f} cores busy on average "
            f"(load {os.getloadavg()[0]:.1f})")

        walls: dict[tuple[bool, str], list[float]] = collections.defaultdict(list)
        starts: dict[tuple[bool, str], list[float]] = collections.defaultdict(list)
        loads: dict[tuple[bool, str], list[float]] = collections.defaultdict(list)
        for round_ in range(args.rounds):  # rounds interleave the engines, so load hits all alike
            for video in (False, True):
                for label, make in configurations():
                    loads[video, label].append(os.getloadavg()[0])
                    t0 = time.perf_counter()
                    with make() as engine:
                        starts[video, label].append(time.perf_counter() - t0)
                        out = Path(tmp) / f"out-{sum(map(len, walls.values()))}"  # fresh for every run
                        summary = batch.run_batch(src, "plank", out, engine=engine, write_video=video)
                    if summary.failed:
                        raise SystemExit(f"{label}: {len(summary.failed)} clips failed: {summary.failed[0].error}")
                    walls[video, label].append(summary.seconds)
                    print(f"round {round_ + 1}, video {'on' if video else 'off'}, {label}: {summary.seconds:.1f} s",
                          flush=True)
    results = []
    for (video, label), runs in walls.items():
        best, base = min(runs), min(walls[video, "local, 1 worker (this process)"])
        results.append(("on" if video else "off", label, round(best, 1), ", ".join(f"{w:.1f}" for w in runs),
                        round(len(chosen) / best, 3), round(frames / best, 1), f"{base / best:.2f}x",
                        f"{max(starts[video, label]):.1f}", ", ".join(f"{x:.1f}" for x in loads[video, label])))
    say()
    say("## Clips per second")
    say()
    say(table(["video", "engine", "wall (s, best)", "wall (s, all rounds)", "clips/s (best)", "frames/s (best)",
               "vs 1 local worker", "start (s)", "load (1 min) per round"], results))
    say()
    say(f"load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if args.write:
        say.write()


if __name__ == "__main__":
    main()
