"""``formcheck batch --engine ray`` against a real Ray: a two-node cluster started with ``ray
start`` in a loopback-only namespace (:mod:`tests.ray_cluster`), and a local Ray. Clips are the
shared ones, linked by path from a folder in tmp_path, beside a corrupt file."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import MEDIA, PYTHONPATH, REPO, media_clip
from tests.ray_cluster import ADDRESS, Namespace, RayCluster, why_not_runnable
from tests.test_store_db import postgres_admin_url  # noqa: F401  (fixture)
from tests.test_store_db import fresh_postgres_db

runner = CliRunner()
QUICK_CLIPS = ("plank__tbf.mp4", "squat__kaiakol.mp4", "plank__kaiakol-001.mp4")


def linked_folder(folder: Path, names: dict[str, str], corrupt: bool = False) -> Path:
    """``folder`` with a link per clip (link name -> shared clip), and a corrupt file."""
    folder.mkdir()
    for link, name in names.items():
        (folder / link).symlink_to(media_clip(name))
    if corrupt:
        (folder / "corrupt.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(4096))
    return folder


def summary_rows(out: Path) -> dict[str, dict]:
    with open(out / "batch-summary.csv", newline="", encoding="utf-8") as fh:
        return {Path(r["clip"]).name: r for r in csv.DictReader(fh)}


def markers(out: Path) -> dict[str, dict]:
    return {Path(json.loads(p.read_text())["source"]).name: json.loads(p.read_text())
            for p in out.glob("*/.formcheck-done.json")}


@pytest.fixture(scope="module")
def cluster(model_dir):
    reason = why_not_runnable()
    if reason:
        pytest.skip(reason)
    started = RayCluster(dict(os.environ))
    yield started
    assert started.stop() == [], "processes outlived ray stop"


def test_ray_missing_is_one_line_saying_how_to_install_it(tmp_path):
    (tmp_path / "in").mkdir()
    code = ("import sys; sys.modules['ray'] = None; sys.argv = ['formcheck', 'batch', sys.argv[1], '-e', 'plank', "
            "'-o', sys.argv[2], '--engine', 'ray']; from formcheck.cli import main; main()")
    res = subprocess.run([sys.executable, "-c", code, str(tmp_path / "in"), str(tmp_path / "out")], cwd=REPO,
                         capture_output=True, text=True, env={**os.environ, "PYTHONPATH": PYTHONPATH}, timeout=120)
    assert res.returncode == 2
    assert res.stderr.strip().splitlines() == [
        'formcheck: error: --engine ray needs Ray, which is not installed: pip install "formcheck[cluster]"']


def test_an_unreachable_cluster_is_one_line(tmp_path):
    pytest.importorskip("ray")
    import socket

    from formcheck.cli import app

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (tmp_path / "in").mkdir()
    started = time.monotonic()
    res = runner.invoke(app, ["batch", str(tmp_path / "in"), "-e", "plank", "-o", str(tmp_path / "o"),
                              "--engine", "ray", "--address", f"127.0.0.1:{port}"])
    assert res.exit_code == 2 and time.monotonic() - started < 30
    [line] = res.output.strip().splitlines()
    assert line.startswith(f"formcheck: error: no Ray cluster answers at 127.0.0.1:{port} (")
    assert "ray start --head" in line
    for address in ("nohost", "h:0", ":6379", "h:port"):
        res = runner.invoke(app, ["batch", str(tmp_path / "in"), "-e", "plank", "-o", str(tmp_path / "o"),
                                  "--engine", "ray", "--address", address])
        assert res.exit_code == 2 and "--address takes HOST:PORT" in res.output, address


def test_engine_options_that_do_not_go_together(tmp_path):
    from formcheck.cli import app

    (tmp_path / "in").mkdir()
    base = ["batch", str(tmp_path / "in"), "-e", "plank", "-o", str(tmp_path / "o")]
    res = runner.invoke(app, [*base, "--address", "127.0.0.1:6379"])
    assert res.exit_code == 2 and "--address and --cpus-per-clip are for --engine ray" in res.output
    res = runner.invoke(app, [*base, "--engine", "dask"])
    assert res.exit_code == 2 and "--engine is local or ray" in res.output
    res = runner.invoke(app, [*base, "--engine", "ray", "--address", "127.0.0.1:6379", "-j", "2"])
    assert res.exit_code == 2 and "--workers does not apply with --address" in res.output
    pytest.importorskip("ray")
    res = runner.invoke(app, [*base, "--engine", "ray", "--cpus-per-clip", "0"])
    assert res.exit_code == 2 and res.output.strip() == "formcheck: error: --cpus-per-clip: cpus_per_clip must be more than 0"


@pytest.mark.slow
def test_the_cluster_gives_the_local_engines_results_and_lists_the_corrupt_file(cluster, tmp_path):
    from formcheck.batch import run_batch

    folder = linked_folder(tmp_path / "in", {n: n for n in QUICK_CLIPS}, corrupt=True)
    local = run_batch(folder, "plank", tmp_path / "local")
    assert [r.status for r in local.results].count("done") == 3

    res = cluster.formcheck("batch", str(folder), "-e", "plank", "-o", str(tmp_path / "ray"),
                            "--engine", "ray", "--address", ADDRESS)
    assert res.returncode == 1, res.stderr[-3000:]
    assert "4 clips in" in res.stdout and "3 analysed, 0 already done, 1 failed" in res.stdout
    [failed] = [line for line in res.stdout.splitlines() if line.strip().startswith("failed:")]
    assert "corrupt.mp4" in failed and "not a readable video" in failed

    for report in sorted((tmp_path / "local").glob("*/report.json")):
        twin = tmp_path / "ray" / report.parent.name
        assert json.loads((twin / "report.json").read_text()) == json.loads(report.read_text()), twin
        assert (twin / "frames.csv").read_bytes() == (report.parent / "frames.csv").read_bytes()
        assert (twin / "annotated.mp4").stat().st_size > 0
    on_ray, on_local = summary_rows(tmp_path / "ray"), summary_rows(tmp_path / "local")
    assert sorted(on_ray) == sorted([*QUICK_CLIPS, "corrupt.mp4"])
    for name, row in on_ray.items():
        same = {k: v for k, v in row.items() if k not in ("seconds", "out")}
        assert same == {k: v for k, v in on_local[name].items() if k not in ("seconds", "out")}
        assert Path(row["out"]).name == Path(on_local[name]["out"]).name
    assert on_ray["plank__kaiakol-001.mp4"]["exercise"] == "plank"
    summary = json.loads((tmp_path / "ray" / "batch-summary.json").read_text())
    assert summary["engine"] == "ray" and summary["hosts"] == 2 and summary["cluster_cpus"] == 2

    res = cluster.formcheck("batch", str(folder), "-e", "plank", "-o", str(tmp_path / "ray"),
                            "--engine", "ray", "--address", ADDRESS, "-q")
    assert "0 analysed, 3 already done, 1 failed" in res.stdout


def _holding(cluster, clip: Path) -> list[int]:
    """Host PIDs of the cluster's processes that have ``clip`` open (the workers decoding it)."""
    target = str(clip.resolve())
    found = []
    for pid in cluster.ns.processes():
        try:
            fds = list(Path(f"/proc/{pid}/fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(fd) == target:
                    found.append(pid)
                    break
            except OSError:
                continue
    return found


class WorkerKiller(threading.Thread):
    """Kills (SIGKILL) the worker process analysing a clip, as often as asked per clip."""

    def __init__(self, cluster, kills: dict[Path, int]) -> None:
        super().__init__(daemon=True)
        self.cluster, self.left, self.killed = cluster, dict(kills), []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set() and any(self.left.values()):
            for clip, left in self.left.items():
                dead = {pid for _, pid in self.killed}  # a process being killed still shows its files
                for pid in [p for p in _holding(self.cluster, clip) if p not in dead][:1] if left else []:
                    os.kill(pid, signal.SIGKILL)
                    self.killed.append((clip.name, pid))
                    self.left[clip] -= 1
            time.sleep(0.02)


@pytest.mark.slow
def test_a_killed_worker_is_retried_once_then_its_clip_is_listed_as_failed(cluster, tmp_path):
    folder = linked_folder(tmp_path / "in", {"once.mp4": "bird_dog__lena.mp4", "twice.mp4": "bridge__be23.mp4",
                                             "never.mp4": "plank__tbf.mp4"})
    out = tmp_path / "out"
    killer = WorkerKiller(cluster, {MEDIA / "bird_dog__lena.mp4": 1, MEDIA / "bridge__be23.mp4": 2})
    killer.start()
    res = cluster.formcheck("batch", str(folder), "-e", "plank", "-o", str(out), "--engine", "ray",
                            "--address", ADDRESS, "--no-video")
    killer.stop.set()
    killer.join()
    assert sorted(name for name, _ in killer.killed) == ["bird_dog__lena.mp4", "bridge__be23.mp4",
                                                          "bridge__be23.mp4"]
    assert res.returncode == 1, res.stderr[-3000:]
    assert "2 analysed, 0 already done, 1 failed" in res.stdout
    assert "twice.mp4: the worker process died analysing this clip (2 tries)" in res.stdout
    assert sorted(markers(out)) == ["never.mp4", "once.mp4"]
    # the failed clip has no marker: the next run analyses it, and only it
    res = cluster.formcheck("batch", str(folder), "-e", "plank", "-o", str(out), "--engine", "ray",
                            "--address", ADDRESS, "--no-video", "-q")
    assert res.returncode == 0 and "1 analysed, 2 already done, 0 failed" in res.stdout


@pytest.mark.slow
def test_a_driver_killed_part_way_loses_only_the_clips_in_flight(cluster, tmp_path):
    names = {f"copy{i}.mp4": "plank__kaiakol-001.mp4" for i in range(6)}
    folder = linked_folder(tmp_path / "in", names)
    out = tmp_path / "out"
    args = ("batch", str(folder), "-e", "plank", "-o", str(out), "--engine", "ray", "--address",
            ADDRESS, "--no-video", "-q")
    proc = cluster.ns.popen(sys.executable, "-m", "formcheck", *args)
    deadline = time.monotonic() + 240
    while not markers(out):
        assert proc.poll() is None, proc.stderr.read()[-3000:]
        assert time.monotonic() < deadline, "no clip finished in time"
        time.sleep(0.05)
    [driver] = [int(c) for c in Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()]
    os.kill(driver, signal.SIGKILL)  # the driver itself, not nsenter in front of it
    proc.wait(30)
    before = markers(out)
    assert 1 <= len(before) < 6, "the kill should land mid-batch"
    res = cluster.formcheck(*args)
    assert res.returncode == 0, res.stderr[-3000:]
    assert f"{6 - len(before)} analysed, {len(before)} already done, 0 failed" in res.stdout
    after = markers(out)
    assert len(after) == 6
    assert all(after[name]["finished_at"] == marker["finished_at"] for name, marker in before.items())


def _unix_socket_url(admin_url: str) -> str:
    """A new database on the test server, by its Unix socket (which the namespace can reach)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(fresh_postgres_db(admin_url))
    engine = create_engine(url)
    with engine.connect() as conn:
        socket_dir = conn.execute(text("show unix_socket_directories")).scalar_one().split(",")[0].strip()
    engine.dispose()
    return url.set(host=None, port=None).update_query_dict({"host": socket_dir, "port": str(url.port)}).render_as_string(
        hide_password=False)


@pytest.mark.slow
def test_save_writes_each_clip_once_into_postgresql_and_sqlite_is_refused_on_two_machines(
        cluster, tmp_path, postgres_admin_url):  # noqa: F811
    from formcheck.store import open_store

    folder = linked_folder(tmp_path / "in", {n: n for n in QUICK_CLIPS[:2]})
    out = tmp_path / "out"
    base = ("batch", str(folder), "-e", "plank", "-o", str(out), "--engine", "ray", "--address",
            ADDRESS, "--no-video", "--save", "--patient", "P-ray", "--data-dir", str(tmp_path / "data"), "-q")
    res = cluster.formcheck(*base, env={"FORMCHECK_DATABASE_URL": ""})
    assert res.returncode == 2
    assert res.stderr.strip().splitlines()[-1].startswith("formcheck: error: --save into SQLite")
    assert "cannot be shared between machines" in res.stderr and "FORMCHECK_DATABASE_URL" in res.stderr
    assert not out.exists() or not markers(out)

    url = _unix_socket_url(postgres_admin_url)
    for _ in range(2):  # the second run finds both done and saves nothing again
        res = cluster.formcheck(*base, env={"FORMCHECK_DATABASE_URL": url})
        assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-3000:]
        assert "saved for P-ray" in res.stdout
    with open_store(url, tmp_path / "data") as store:
        sessions = store.sessions("P-ray")
    assert sorted(s.source_name for s in sessions) == sorted(QUICK_CLIPS[:2])
    assert all(s.source == "batch" and s.sets[0].status == "complete" for s in sessions)


@pytest.mark.slow
def test_the_model_reaches_a_machine_that_does_not_have_it(cluster, tmp_path):
    """A task on the worker node, given the driver's model under a path that node lacks, gets the
    bytes from the object store into its cache, once."""
    model = next(Path(os.environ["FORMCHECK_MODEL_DIR"]).glob("pose_landmarker_full.task"))
    script = f"""
import ray, hashlib, pathlib
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
from formcheck.batch_ray import ShippedModel
ray.init(address={ADDRESS!r}, logging_level="ERROR")
data = pathlib.Path({str(model)!r}).read_bytes()
shipped = ShippedModel("/nowhere/pose_landmarker_full.task", hashlib.sha256(data).hexdigest(), [ray.put(data)])
[worker] = [n["NodeID"] for n in ray.nodes() if n["Alive"] and n["NodeManagerAddress"] == "127.0.0.2"]
where = ray.remote(lambda m: (m.on_this_machine(), m.on_this_machine())).options(
    scheduling_strategy=NodeAffinitySchedulingStrategy(worker, soft=False),
    runtime_env={{"env_vars": {{"XDG_CACHE_HOME": {str(tmp_path / "cache")!r}}}}})
first, again = ray.get(where.remote(shipped))
print(first, again, hashlib.sha256(pathlib.Path(first).read_bytes()).hexdigest() == shipped.sha256)
"""
    res = cluster.ns.run(sys.executable, "-c", script)
    assert res.returncode == 0, res.stderr[-3000:]
    first, again, same = res.stdout.split()
    assert first == again and first.startswith(str(tmp_path / "cache")) and same == "True"


@pytest.mark.slow
def test_a_local_ray_saves_into_sqlite_on_one_machine(model_dir, tmp_path):
    reason = why_not_runnable()
    if reason:
        pytest.skip(reason)
    folder = linked_folder(tmp_path / "in", {n: n for n in QUICK_CLIPS[:2]})
    out, data = tmp_path / "out", tmp_path / "data"
    ns = Namespace({**os.environ, "PYTHONPATH": PYTHONPATH, "RAY_USAGE_STATS_ENABLED": "0",
                    "FORMCHECK_DATABASE_URL": "", "HOME": str(tmp_path)},  # Ray writes its token under ~/.ray
                   decoy=True)
    try:
        driver = ns.popen(sys.executable, "-m", "formcheck", "batch", str(folder), "-e", "plank", "-o", str(out),
                          "--engine", "ray", "--no-video", "--save", "--patient", "P-local", "--data-dir", str(data))
        listening: set[str] = set()
        while driver.poll() is None:  # what the local Ray listens on while it runs
            listening |= ns.listening()
            time.sleep(0.5)
        stdout, stderr = driver.communicate()
        assert ns.wait_empty() == [], "the local Ray outlived its batch"
    finally:
        ns.close()
    assert driver.returncode == 0, stderr[-3000:]
    assert listening and listening <= {"127.0.0.1", "[::ffff:127.0.0.1]"}, listening
    assert "2 analysed" in stdout and "saved for P-local" in stdout
    summary = json.loads((out / "batch-summary.json").read_text())
    assert summary["engine"] == "ray" and summary["address"] == "local" and summary["hosts"] == 1
    from formcheck.store import open_store

    with open_store(f"sqlite:///{data / 'formcheck.db'}", data) as store:
        assert len(store.sessions("P-local")) == 2
