"""Bad input through ``formcheck analyze``: one clear line on stderr, no traceback, a non-zero
exit status (2 for errors, 1 for an incomplete run)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from formcheck import models
from formcheck.cli import app
from formcheck.video_writer import H264Writer
from tests.conftest import REPO, media_clip
from tests.videos import BAD_FILES, count_frames

runner = CliRunner()
PLANK = "plank__kaiakol-001.mp4"


def _analyze(*args: str, exit_code: int = 2):
    result = runner.invoke(app, ["analyze", *map(str, args), "--quiet"])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert result.exit_code == exit_code, result.output
    return result


def _one_error_line(result) -> str:
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("formcheck: error: ")
    return lines[0]


@pytest.mark.parametrize(("make", "expect"), [(m, e) for _, m, e in BAD_FILES],
                         ids=[i for i, _, _ in BAD_FILES])
def test_unreadable_video(tmp_path, make, expect):
    path = tmp_path / "clip.mp4"
    make(path)
    line = _one_error_line(_analyze(path, "-o", tmp_path / "out"))
    assert str(path) in line
    assert any(word in line for word in expect.split("|"))


def test_truncated_video_is_analysed_up_to_the_cut(model_dir, tmp_path):
    data = media_clip(PLANK).read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    out = tmp_path / "out"
    result = _analyze(cut, "-e", "plank", "-o", out, exit_code=1)
    assert "incomplete" in result.stderr and "Traceback" not in result.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["complete"] is False
    assert "truncated" in report["incomplete_reason"]
    with open(out / "frames.csv") as fh:
        rows = sum(1 for _ in csv.reader(fh)) - 1
    assert 5 < rows < 77
    assert report["frames_total"] == rows
    assert report["frames_with_person"] > 0
    assert count_frames(out / "annotated.mp4") == (rows, "h264")


def test_video_with_no_person(model_dir, tmp_path):
    clip = tmp_path / "empty_room.mp4"
    rng = np.random.default_rng(0)
    with H264Writer(clip, 320, 240, fps=10) as writer:
        for i in range(10):
            image = np.full((240, 320, 3), (90, 110, 130), np.uint8) if i % 2 else \
                rng.integers(0, 256, (240, 320, 3), dtype=np.uint8)
            writer.write(image, i * 100)
    line = _one_error_line(_analyze(clip, "-o", tmp_path / "out"))
    assert "no person" in line and "10 frames" in line


def test_missing_model_says_where_it_looked(tmp_path, monkeypatch):
    empty = tmp_path / "models_here"
    empty.mkdir()
    monkeypatch.setenv("FORMCHECK_MODEL_DIR", str(empty))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(models, "_checkout_models_dir", lambda: tmp_path / "checkout")
    monkeypatch.setattr(models, "cache_dir", lambda: tmp_path / "cache")
    # no network: the download goes to a closed local port and fails at once
    with __import__("socket").socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(models, "_URL", f"http://127.0.0.1:{port}/pose_landmarker_{{v}}.task")
    line = _one_error_line(_analyze(media_clip("bird_dog__exos.gif"), "-o", tmp_path / "out"))
    assert "pose_landmarker_full.task not found" in line
    assert str(empty / "pose_landmarker_full.task") in line
    assert str(tmp_path / "cache") in line
    assert "download failed" in line
    assert not (tmp_path / "cache" / "pose_landmarker_full.task").exists()


def test_corrupt_model(tmp_path):
    bad = tmp_path / "pose_landmarker_full.task"
    bad.write_bytes(np.random.default_rng(9).bytes(100_000))
    line = _one_error_line(_analyze(media_clip("bird_dog__exos.gif"), "--model", bad, "-o", tmp_path / "out"))
    assert str(bad) in line and "could not load" in line


def test_unknown_exercise_lists_known_ones(tmp_path):
    line = _one_error_line(_analyze(media_clip("bird_dog__exos.gif"), "-e", "planck", "-o", tmp_path / "o"))
    assert "unknown exercise 'planck'" in line
    assert "plank" in line.split("known exercises:")[1]
    assert "pose_only" in line


def test_landmark_csv_with_missing_columns(tmp_path):
    path = tmp_path / "lm.csv"
    cols = ["t_ms"] + [f"{n}_{a}" for n in ("left_shoulder", "right_shoulder", "left_hip", "right_hip")
                       for a in "xyzv"]
    path.write_text(",".join(cols) + "\n" + ",".join(["0"] + ["0.5"] * (len(cols) - 1)) + "\n")
    line = _one_error_line(_analyze("--landmarks", path, "--width", "640", "--height", "480", "--fps", "30",
                                    "-e", "plank", "-o", tmp_path / "o"))
    for name in ("left_elbow", "right_elbow", "left_knee", "right_knee", "left_ankle", "right_ankle"):
        assert name in line
    assert "left_hip" not in line


def test_landmarks_need_size_and_rate(tmp_path):
    path = tmp_path / "lm.csv"
    path.write_text("nose_x,nose_y\n0.5,0.5\n")
    line = _one_error_line(_analyze("--landmarks", path, "-o", tmp_path / "o"))
    assert "--width" in line


def test_output_folder_that_cannot_be_written(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("I am a file, not a folder")
    line = _one_error_line(_analyze(media_clip("bird_dog__exos.gif"), "-o", blocker / "out"))
    assert "cannot write to output folder" in line and str(blocker / "out") in line


def test_video_and_landmarks_together(tmp_path):
    line = _one_error_line(_analyze(media_clip("bird_dog__exos.gif"), "--landmarks", tmp_path / "x.csv",
                                    "-o", tmp_path / "o"))
    assert "not both" in line


def test_no_input_at_all(tmp_path):
    line = _one_error_line(_analyze("-o", tmp_path / "o"))
    assert "give a video file" in line


def test_bad_limit_syntax(tmp_path):
    line = _one_error_line(_analyze(media_clip("bird_dog__exos.gif"), "--limit", "hip_sag", "-o", tmp_path / "o"))
    assert "CHECK=NUMBER" in line


def test_a_real_process_prints_one_line_and_no_traceback(tmp_path):
    """The same through the installed entry point, outside the test runner's capture."""
    bad = tmp_path / "random.mp4"
    bad.write_bytes(np.random.default_rng(3).bytes(10_000))
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    proc = subprocess.run([sys.executable, "-m", "formcheck", "analyze", str(bad), "-o", str(tmp_path / "o")],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("formcheck: error:")]
    assert len(errors) == 1 and str(bad) in errors[0]


def test_live_with_no_camera_is_one_clear_line(tmp_path):
    """No camera at that index (CI machines have none): one line, exit 2, and none of OpenCV's
    own backend chatter."""
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "formcheck", "live", "--exercise", "plank",
                             "--camera", "57"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == ["formcheck: error: camera 57 could not be opened: is it plugged in, and not in "
                     "use by another program? Try another index with --camera N."], result.stderr


def test_camera_error_is_an_input_error():
    from formcheck.capture import Camera
    from formcheck.errors import InputError

    with pytest.raises(InputError, match="camera 57 could not be opened"):
        Camera(57)


def test_auto_exercise_says_what_it_recognised(model_dir, tmp_path):
    from typer.testing import CliRunner

    from formcheck.cli import app
    from tests.conftest import SAMPLES

    result = CliRunner().invoke(app, ["analyze", str(SAMPLES / "plank_correct.mp4"), "--exercise", "auto",
                                      "--out", str(tmp_path), "--no-video"])
    assert result.exit_code == 0, result.output
    assert "exercise recognised from the first 3 s: plank" in result.output


@pytest.mark.parametrize("clip, exercise, problem", [
    ("plank_correct.mp4", "bird_dog", "get down onto your hands and knees"),
    ("bird_dog_rounded_back.mp4", "bird_dog", None),
])
def test_wrong_exercise_is_named_by_the_set_up_line(model_dir, tmp_path, clip, exercise, problem):
    """A plank analysed as a bird dog: the thighs lie along the body in every frame, so the
    summary says to get onto hands and knees; a real bird dog gets no posture line."""
    from tests.conftest import SAMPLES

    result = runner.invoke(app, ["analyze", str(SAMPLES / clip), "--exercise", exercise,
                                 "--out", str(tmp_path), "--no-video"])
    assert result.exit_code == 0, result.output
    set_up = [ln for ln in result.output.splitlines() if ln.startswith("set-up: ")]
    if problem is None:
        assert not any("hands and knees" in ln for ln in set_up), result.output
    else:
        assert f"set-up: {problem} (in 100% of frames)" in set_up, result.output
