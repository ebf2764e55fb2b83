"""``formcheck batch``: many clips, a bad file among them, resuming after a crash, parallel
workers saving into the store. Real clips from ../shared/media, copied into tmp_path."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
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

    # a re-run skips what is done (the bad file is tried again), a changed clip is redone
    first = markers(out)
    res = runner.invoke(app, ["batch", str(clips), "-e", "plank", "-o", str(out), "--no-video", "-q"])
    assert "0 analysed, 2 already done, 1 failed" in res.output
    assert markers(out) == first  # untouched
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
    """SIGKILL the batch once the first clip is done; the re-run skips it and does the rest."""
    (clips / "broken clip.mp4").unlink()
    for i in range(3):  # more work, so the kill lands mid-batch
        shutil.copy(media_clip("plank__kaiakol-001.mp4"), clips / f"copy{i}.mp4")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "formcheck", "batch", str(clips), "-e", "plank", "-o", str(out),
           "--no-video", "-q"]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": PYTHONPATH})
    deadline = time.monotonic() + 180
    while not list(out.glob("*/.formcheck-done.json")):
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        assert time.monotonic() < deadline, "no clip finished in time"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done_before = markers(out)
    assert 1 <= len(done_before) < 5, "the kill should land mid-batch"
    res = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": PYTHONPATH},
                         timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    assert f"{5 - len(done_before)} analysed, {len(done_before)} already done, 0 failed" in res.stdout
    after = markers(out)
    assert len(after) == 5
    for name, marker in done_before.items():
        assert after[name]["finished_at"] == marker["finished_at"]  # not redone


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
