"""What a run leaves in its output folder: never two runs mixed, and a report that is honest
about a run that was stopped (Ctrl-C, SIGTERM), killed, or failed (no person, an error).

The stopped and killed runs are real ``formcheck analyze`` processes on a real clip, signalled
once frames are being written (a rep finished, for the stopped ones)."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from formcheck import api
from formcheck.cli import app
from formcheck.video_writer import H264Writer
from tests.conftest import PYTHONPATH, SAMPLES, media_clip
from tests.exercise_poses import deadlift_landmarks
from tests.videos import count_frames

runner = CliRunner()
#: 10 s of a real bridge: its first rep ends about 4.5 s in.
BRIDGE = "bridge__dosipov.mp4"


def _report(out: Path) -> dict:
    return json.loads((out / "report.json").read_text())


def _landmark_run(out: Path, tmp_path: Path) -> dict:
    """A finished, complete analysis of a deadlift landmark file into ``out``."""
    result = runner.invoke(app, ["analyze", "--landmarks", str(deadlift_landmarks(tmp_path / "lm.csv")),
                                 "--width", "1280", "--height", "720", "--fps", "30", "-e", "deadlift",
                                 "--cleared", "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    report = _report(out)
    assert report["complete"] is True
    return report


def _start(out: Path, *extra: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "formcheck", "analyze", str(media_clip(BRIDGE)), "-e", "bridge",
                             "-o", str(out), "-q", *extra],
                            env={**os.environ, "PYTHONPATH": PYTHONPATH, **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _rows_being_written(out: Path, since: float = 0.0) -> list[list[str]]:
    """The frame rows written so far, after ``since`` (a modification time), under whichever
    name the run writes them."""
    for path in (out / ".frames.csv.partial", out / "frames.csv"):
        try:
            if path.stat().st_mtime > since:
                with open(path, newline="") as fh:
                    return list(csv.reader(fh))[1:]
        except (OSError, csv.Error):
            pass
    return []


def _wait_for(proc: subprocess.Popen, out: Path, since: float, ready, timeout_s: float = 240) -> None:
    deadline = time.monotonic() + timeout_s
    while not ready(_rows_being_written(out, since)):
        assert proc.poll() is None, f"finished before it could be signalled: {proc.communicate()}"
        assert time.monotonic() < deadline, "no frames written in time"
        time.sleep(0.2)


# -- item 2: a folder never mixes two runs ----------------------------------------------------
def test_a_killed_rerun_never_leaves_the_earlier_report_looking_valid(tmp_path, model_dir):
    out = tmp_path / "out"
    earlier = _landmark_run(out, tmp_path)
    since = (out / "frames.csv").stat().st_mtime
    proc = _start(out)
    _wait_for(proc, out, since, lambda rows: len(rows) >= 20)
    proc.kill()
    proc.wait(30)
    report = _report(out)
    assert report["complete"] is False and report["exercise"] == "bridge" != earlier["exercise"]
    assert report["incomplete_reason"].startswith("not finished: the analysis started at ")
    assert "was killed or is still running" in report["incomplete_reason"]
    # nothing of the earlier run is left beside it, and nothing half-written under a real name
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["report.json"]


def test_a_rerun_without_video_removes_the_earlier_run_s_video(tmp_path, model_dir):
    out = tmp_path / "out"
    report, _ = api.analyze(SAMPLES / "bridge_correct.mp4", "bridge", out)
    assert (out / "annotated.mp4").is_file() and report.complete
    _landmark_run(out, tmp_path)
    assert sorted(p.name for p in out.iterdir()) == ["frames.csv", "report.json"]


def test_a_run_that_fails_leaves_no_report_and_no_partial_file(tmp_path, model_dir):
    out = tmp_path / "out"
    _landmark_run(out, tmp_path)

    def broken(video_frame, pose, result):
        if video_frame.index == 10:
            raise RuntimeError("a bug in the caller")

    with pytest.raises(RuntimeError, match="a bug in the caller"):
        api.analyze(SAMPLES / "bridge_correct.mp4", "bridge", out, on_frame=broken)
    assert list(out.iterdir()) == []


# -- item 3: SIGTERM is Ctrl-C: report incomplete, video finished, finished reps saved ---------
@pytest.mark.parametrize(("sig", "reason"), [(signal.SIGTERM, "stopped by SIGTERM"),
                                             (signal.SIGINT, "stopped by the user (Ctrl-C)")],
                         ids=["SIGTERM", "SIGINT"])
def test_a_signalled_run_keeps_what_it_did(tmp_path, model_dir, sig, reason):
    out, data = tmp_path / "out", tmp_path / "data"
    proc = _start(out, "--save", "--patient", "P-stop",
                  env={"FORMCHECK_DATA_DIR": str(data), "FORMCHECK_DATABASE_URL": ""})
    _wait_for(proc, out, 0.0, lambda rows: any(r[5] not in ("", "0") for r in rows if len(r) > 5))
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=120)
    report = _report(out)
    frames = report["frames_total"]
    assert proc.returncode == 128 + sig, stderr
    assert stderr.strip() == (f"formcheck: error: {reason} after {frames} frames; partial results "
                              f"(marked incomplete) are in {out}; the reps finished so far are stored, "
                              "the set marked interrupted")
    assert report["complete"] is False and report["incomplete_reason"] == f"{reason} after {frames} frames"
    assert report["rep_count"] >= 1
    assert len(_rows_being_written(out)) == frames
    assert count_frames(out / "annotated.mp4") == (frames, "h264")  # finished: it plays
    assert sorted(p.name for p in out.iterdir()) == ["annotated.mp4", "frames.csv", "report.json"]

    from formcheck.store import open_store

    with open_store(None, data) as store:
        [session] = store.sessions("P-stop")
        [saved] = store.session_detail(session.id).sets
    assert saved.summary.status == "interrupted" and saved.summary.status_reason == report["incomplete_reason"]
    assert len(saved.items) == report["rep_count"]


# -- item 7: a failed run's report never says complete ----------------------------------------
def test_a_landmark_file_with_nobody_in_it_is_not_reported_complete(tmp_path):
    path = deadlift_landmarks(tmp_path / "lm.csv")
    with open(path, newline="") as fh:
        header, *rows = list(csv.reader(fh))
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows([row[0], *["inf"] * (len(row) - 1)] for row in rows)
    out = tmp_path / "out"
    result = runner.invoke(app, ["analyze", "--landmarks", str(path), "--width", "1280", "--height", "720",
                                 "--fps", "30", "-e", "deadlift", "--cleared", "-o", str(out), "-q"])
    assert result.exit_code == 2 and "no person was found in any of the" in result.stderr
    report = _report(out)
    assert report["complete"] is False
    assert report["incomplete_reason"] == f"no person was found in any of the {len(rows)} frames"


def test_a_video_with_nobody_in_it_is_not_reported_complete(tmp_path, model_dir):
    clip = tmp_path / "empty_room.mp4"
    with H264Writer(clip, 320, 240, fps=10) as writer:
        for i in range(10):
            writer.write(np.full((240, 320, 3), (90, 110, 130), np.uint8), i * 100)
    report, paths = api.analyze(clip, "plank", tmp_path / "out")
    assert report.frames_with_person == 0
    assert (report.complete, report.incomplete_reason) == (False, "no person was found in any of the 10 frames")
    assert json.loads(paths.report.read_text())["complete"] is False
