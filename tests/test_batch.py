"""``formcheck batch``: many clips, a bad file among them, resuming after a crash, parallel
workers saving into the store. Real clips from ../shared/media, copied into tmp_path."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import PYTHONPATH, REPO, media_clip

runner = CliRunner()
SMALL_CLIPS = ("plank__tbf.mp4", "squat__kaiakol.mp4")  # about 1 s each


@pytest.fixture
def app():
    from formcheck.cli import app

    return app


@pytest.fixture
def clips(tmp_path, model_dir) -> Path:
    """Two short plank clips and a file that is not a video."""
    folder = tmp_path / "in"
    folder.mkdir()
    for name in SMALL_CLIPS:
        shutil.copy(media_clip(name), folder / name)
    (folder / "broken clip.mp4").write_bytes(b"this is not a video")
    (folder / "notes.txt").write_text("ignored: not a video suffix")
    return folder


def markers(out: Path) -> dict[str, dict]:
    return {json.loads(p.read_text())["source"].rsplit("/", 1)[-1]: json.loads(p.read_text())
            for p in out.glob("*/.formcheck-done.json")}


def test_a_bad_file_is_listed_at_the_end_and_the_rest_are_analysed(app, clips, tmp_path):
    out = tmp_path / "out"
    res = runner.invoke(app, ["batch", str(clips), "-e", "plank", "-o", str(out), "--no-video", "-q"])
    assert res.exit_code == 1, res.output
    assert "3 clips" in res.output and "2 analysed" in res.output and "1 failed" in res.output
    failed = [line for line in res.output.splitlines() if line.strip().startswith("failed:")]
    assert len(failed) == 1 and "broken clip.mp4" in failed[0] and "not a readable video" in failed[0]
    done = markers(out)
    assert sorted(done) == sorted(SMALL_CLIPS)
    assert all(d["status"] == "done" and d["holds"] >= 0 for d in done.values())
    for name in SMALL_CLIPS:
        [folder] = [p for p in out.iterdir() if p.name.startswith(Path(name).stem + "-")]
        assert (folder / "report.json").is_file() and (folder / "frames.csv").is_file()
    summary = json.loads((out / "batch-summary.json").read_text())
    assert sorted(r["status"] for r in summary["results"]) == ["done", "done", "failed"]
    assert summary["engine"] == "local" and summary["workers"] == 1
    first_rows = summary_csv(out)
    assert sorted(first_rows) == sorted([*SMALL_CLIPS, "broken clip.mp4"])
    for name in SMALL_CLIPS:
        report = json.loads(next(out.glob(f"{Path(name).stem}-*/report.json")).read_text())
        row = first_rows[name]
        assert (row["status"], row["exercise"], row["resumed"]) == ("done", "plank", "False")
        assert int(row["holds"]) == len(report["holds"]) and float(row["duration_s"]) == report["duration_s"]
        flagged = sorted(f for h in report["holds"] for f in h["flags"])
        assert sorted(f for part in row["flags"].split() for f in [part.split(":")[0]] * int(part.split(":")[1])) == flagged
    assert "not a readable video" in first_rows["broken clip.mp4"]["error"]

    # a re-run skips what is done (the bad file is tried again), a changed clip is redone
    first = markers(out)
    res = runner.invoke(app, ["batch", str(clips), "-e", "plank", "-o", str(out), "--no-video", "-q"])
    assert "0 analysed, 2 already done, 1 failed" in res.output
    assert markers(out) == first  # untouched
    for name in SMALL_CLIPS:  # a resumed clip is summarised as when it was analysed
        assert summary_csv(out)[name] == {**first_rows[name], "status": "skipped", "resumed": "True"}
    changed = clips / SMALL_CLIPS[0]
    os.utime(changed, ns=(changed.stat().st_atime_ns, changed.stat().st_mtime_ns + 10**9))
    res = runner.invoke(app, ["batch", str(clips), "-e", "plank", "-o", str(out), "--no-video", "-q"])
    assert "1 analysed, 1 already done, 1 failed" in res.output


def test_a_pipe_or_a_broken_link_is_listed_as_failed_not_skipped(app, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    os.mkfifo(folder / "pipe.mp4")
    (folder / "gone.mp4").symlink_to(tmp_path / "deleted.mp4")
    (folder / "loop.mp4").symlink_to("loop.mp4")
    res = runner.invoke(app, ["batch", str(folder), "-e", "plank", "-o", str(tmp_path / "out"), "-q"])
    assert res.exit_code == 1 and "Traceback" not in res.output, res.output
    assert "3 clips" in res.output and "3 failed" in res.output
    failed = sorted(line.strip() for line in res.output.splitlines() if line.strip().startswith("failed:"))
    assert failed == [f"failed: {folder / 'gone.mp4'}: a symbolic link to a missing file ({tmp_path / 'deleted.mp4'})",
                      f"failed: {folder / 'loop.mp4'}: a symbolic link that loops back on itself",
                      f"failed: {folder / 'pipe.mp4'}: is a named pipe (FIFO), not a regular file"]


def test_a_clip_named_like_a_formula_is_text_in_the_summary_csv(app, tmp_path, monkeypatch):
    """Run on ``.``, a clip's path is its bare name: ``=HYPERLINK(...).mp4`` would run in a
    spreadsheet."""
    folder = tmp_path / "in"
    folder.mkdir()
    name = '=HYPERLINK("http:x","y").mp4'
    (folder / name).write_text("not a video")
    monkeypatch.chdir(folder)
    res = runner.invoke(app, ["batch", ".", "-e", "plank", "-o", str(tmp_path / "out"), "-q"])
    assert res.exit_code == 1, res.output
    with open(tmp_path / "out" / "batch-summary.csv", newline="", encoding="utf-8") as fh:
        [row] = list(csv.DictReader(fh))
    assert row["clip"] == "'" + name and row["status"] == "failed"
    assert row["error"].startswith("'" + name)


def summary_csv(out: Path) -> dict[str, dict]:
    with open(out / "batch-summary.csv", newline="", encoding="utf-8") as fh:
        return {Path(r["clip"]).name: r for r in csv.DictReader(fh)}


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two cores")
def test_workers_claim_different_cores_and_a_killed_one_frees_its_core(tmp_path, monkeypatch):
    from formcheck import batch

    monkeypatch.setattr(batch, "CORE_LOCKS", tmp_path / "locks")
    allowed = os.sched_getaffinity(0)
    claimed, release = [], threading.Event()

    def other_worker() -> None:  # a second worker: affinity is per thread, like per process
        with batch.claim_cores(1) as cores:
            claimed.append(cores)
            release.wait(60)

    other = threading.Thread(target=other_worker)
    other.start()
    while not claimed:
        time.sleep(0.01)
    with batch.claim_cores(1) as mine:
        assert len(claimed[0]) == len(mine) == 1 and claimed[0] != mine and os.sched_getaffinity(0) == mine
        seen = []
        thread = threading.Thread(target=lambda: seen.append(os.sched_getaffinity(0)))
        thread.start()
        thread.join()
        assert seen == [mine]  # threads started while pinned (MediaPipe's, the decoder's) inherit it
        if len(allowed) == 2:
            def third_worker() -> None:
                with batch.claim_cores(1) as cores:
                    seen.append((cores, os.sched_getaffinity(0)))

            thread = threading.Thread(target=third_worker)
            thread.start()
            thread.join()
            assert seen[1] == (set(), mine)  # no core free: left as it was (here: inherited)
    release.set()
    other.join()
    assert os.sched_getaffinity(0) == allowed
    with batch.claim_cores(len(allowed)) as every:
        assert every == set() and os.sched_getaffinity(0) == allowed  # one clip may use every core

    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; from formcheck import batch; "
         f"batch.CORE_LOCKS = Path({str(tmp_path / 'locks')!r}); "
         "c = batch.claim_cores(1); print(*c.__enter__(), flush=True); time.sleep(600)"],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": PYTHONPATH})
    held = {int(holder.stdout.readline())}
    with batch.claim_cores(len(allowed) - 1) as cores:
        assert cores and not held & cores
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    with batch.claim_cores(len(allowed) - 1) as cores:
        assert held <= cores  # its lock went with it


def test_output_folder_names_come_from_the_batch_not_the_file(tmp_path):
    from formcheck.batch import job_folder_name

    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    names = {job_folder_name(folder, folder / n) for n in
             ("a b.mp4", "a_b.mp4", "sub/a b.mp4", "..mp4", "été;rm -rf.mp4", "x" * 200 + ".mp4")}
    assert len(names) == 6
    for name in names:
        assert set(name) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
        assert 0 < len(name) <= 51


def test_an_empty_folder_and_a_missing_one(app, tmp_path):
    (tmp_path / "empty").mkdir()
    res = runner.invoke(app, ["batch", str(tmp_path / "empty"), "-e", "plank", "-o", str(tmp_path / "o")])
    assert res.exit_code == 0 and "no video files" in res.output
    res = runner.invoke(app, ["batch", str(tmp_path / "nope"), "-e", "plank", "-o", str(tmp_path / "o")])
    assert res.exit_code == 2 and "not a folder" in res.output
    res = runner.invoke(app, ["batch", str(tmp_path / "empty"), "-e", "plnk", "-o", str(tmp_path / "o")])
    assert res.exit_code == 2 and "unknown exercise" in res.output
    res = runner.invoke(app, ["batch", str(tmp_path / "empty"), "-e", "plank", "-o", str(tmp_path / "o"), "--save"])
    assert res.exit_code == 2 and "--save needs --patient" in res.output


@pytest.mark.slow
def test_a_batch_killed_part_way_resumes_where_it_stopped(clips, tmp_path):
    """SIGKILL the batch (saving for a patient) once the first clip is done; the re-run skips it
    and does the rest, and the store ends with one complete session per clip: the one that was
    being analysed when the batch died is replaced, not doubled."""
    from formcheck.store import open_store

    (clips / "broken clip.mp4").unlink()
    for i in range(3):  # more work, so the kill lands mid-batch
        shutil.copy(media_clip("plank__kaiakol-001.mp4"), clips / f"copy{i}.mp4")
    out, data = tmp_path / "out", tmp_path / "data"
    cmd = [sys.executable, "-m", "formcheck", "batch", str(clips), "-e", "plank", "-o", str(out),
           "--no-video", "-q", "--save", "--patient", "P-batch", "--data-dir", str(data)]
    env = {**os.environ, "PYTHONPATH": PYTHONPATH, "FORMCHECK_DATABASE_URL": ""}
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    deadline = time.monotonic() + 180
    while not list(out.glob("*/.formcheck-done.json")):
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        assert time.monotonic() < deadline, "no clip finished in time"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done_before = markers(out)
    assert 1 <= len(done_before) < 5, "the kill should land mid-batch"
    url = f"sqlite:///{data / 'formcheck.db'}"
    with open_store(url, data) as store:  # opening it notices the dead batch
        statuses = sorted(st.status for s in store.sessions("P-batch") for st in s.sets)
    assert statuses.count("complete") == len(done_before) and set(statuses) <= {"complete", "interrupted"}
    res = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, env=env, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    assert f"{5 - len(done_before)} analysed, {len(done_before)} already done, 0 failed" in res.stdout
    after = markers(out)
    assert len(after) == 5
    for name, marker in done_before.items():
        assert after[name]["finished_at"] == marker["finished_at"]  # not redone
    with open_store(url, data) as store:
        sessions = store.sessions("P-batch")
    assert sorted(s.source_name for s in sessions) == sorted(after)  # one each
    assert {st.status for s in sessions for st in s.sets} == {"complete"}


@pytest.mark.slow
def test_two_workers_save_each_clip_once(app, clips, tmp_path):
    from formcheck.store import open_store

    out, data = tmp_path / "out", tmp_path / "data"
    args = ["batch", str(clips), "-e", "plank", "-o", str(out), "-j", "2", "--save", "--patient", "P-batch",
            "--data-dir", str(data), "-q"]
    res = runner.invoke(app, args, env={"FORMCHECK_DATABASE_URL": ""})
    assert res.exit_code == 1, res.output  # the broken file
    assert "2 analysed" in res.output and "saved for P-batch" in res.output
    with open_store(f"sqlite:///{data / 'formcheck.db'}", data) as store:
        sessions = store.sessions("P-batch")
        assert sorted(s.source_name for s in sessions) == sorted(SMALL_CLIPS)
        assert all(s.source == "batch" and s.sets[0].status == "complete" for s in sessions)
    res = runner.invoke(app, args, env={"FORMCHECK_DATABASE_URL": ""})
    assert "2 already done" in res.output
    with open_store(f"sqlite:///{data / 'formcheck.db'}", data) as store:
        assert len(store.sessions("P-batch")) == 2
