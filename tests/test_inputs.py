"""formcheck.inputs and the readers that use it: an input that is not a readable file is refused
in one line naming the real cause (``os.path.exists`` calls a looping link "no such file" and
``st_size`` calls a named pipe "empty"; opening a pipe would wait for ever)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from formcheck.cli import app
from formcheck.config import Settings
from tests.conftest import PYTHONPATH
from tests.exercise_poses import deadlift_landmarks

runner = CliRunner()


def _loop(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.symlink_to(path.name)
    return path


def _fifo(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    os.mkfifo(path)
    return path


def _dangling(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.symlink_to(tmp_path / "gone" / name)
    return path


KINDS = [
    (_loop, "a symbolic link that loops back on itself"),
    (_fifo, "is a named pipe (FIFO), not a regular file"),
    (_dangling, "a symbolic link to a missing file ("),
]


def _error_line(args: list[str]) -> str:
    result = runner.invoke(app, [*args, "--quiet"])
    lines = [ln for ln in result.stderr.splitlines() if ln]
    assert result.exit_code == 2 and "Traceback" not in result.output and len(lines) == 1, result.output
    return lines[0]


@pytest.mark.parametrize(("make", "says"), KINDS, ids=["loop", "fifo", "dangling"])
def test_a_video_that_is_not_a_file_is_named_for_what_it_is(tmp_path, make, says):
    path = make(tmp_path, "clip.mp4")
    line = _error_line(["analyze", str(path), "-o", str(tmp_path / "out")])
    assert line.startswith(f"formcheck: error: {path}: {says}")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("make", "says"), KINDS, ids=["loop", "fifo", "dangling"])
def test_a_landmark_file_that_is_not_a_file_is_named_for_what_it_is(tmp_path, make, says):
    path = make(tmp_path, "lm.csv")
    line = _error_line(["analyze", "--landmarks", str(path), "--width", "640", "--height", "480", "--fps", "30",
                        "-o", str(tmp_path / "out")])
    assert line.startswith(f"formcheck: error: {path}: {says}")


@pytest.mark.parametrize(("make", "says"), KINDS, ids=["loop", "fifo", "dangling"])
def test_a_config_that_is_not_a_file_is_named_for_what_it_is(tmp_path, make, says):
    """In a real process with a time limit: reading a named pipe used to wait for ever."""
    path = make(tmp_path, "my.toml")
    result = subprocess.run([sys.executable, "-m", "formcheck", "analyze", "clip.mp4", "--config", str(path)],
                            capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": PYTHONPATH})
    assert result.returncode == 2
    assert result.stderr.startswith(f"formcheck: error: cannot read config {path}: {says}")
    assert result.stderr.count("\n") == 1


def test_an_empty_config_is_the_defaults(tmp_path):
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    assert Settings.load(empty) == Settings()


def test_a_config_that_is_not_utf8_is_named(tmp_path):
    path = tmp_path / "my.toml"
    path.write_bytes(b"\xff\xfe[limits]\n")
    assert _error_line(["analyze", "clip.mp4", "--config", str(path)]) == \
        f"formcheck: error: config {path} is not UTF-8 text (byte 0 cannot be read)"


def test_file_problem_accepts_a_readable_file(tmp_path):
    from formcheck.inputs import file_problem

    path = tmp_path / "a.csv"
    path.write_text("x")
    assert file_problem(path) is None
    assert file_problem(path, max_bytes=0) == "too big (1 bytes; at most 0)"
    assert file_problem(tmp_path) == "is a folder, not a file"
    assert file_problem(Path("/dev/null")) == "is a device, not a regular file"


@pytest.mark.parametrize(("out", "says"), [
    ("/proc/formcheck-out", "/proc does not take new files or folders (a system file system?)"),
    ("/proc/self/status/out", "/proc/self/status is a file, not a folder"),
    ("/dev/null/out", "/dev/null is a file, not a folder"),
])
def test_an_output_folder_that_cannot_be_made_names_the_folder_that_refused(tmp_path, out, says):
    """A folder in /proc used to get the OS's "No such file or directory"."""
    csv = deadlift_landmarks(tmp_path / "lm.csv")
    line = _error_line(["analyze", "--landmarks", str(csv), "--width", "1280", "--height", "720", "--fps", "30",
                        "-e", "deadlift", "--cleared", "-o", out])
    assert line == f"formcheck: error: cannot write to output folder {out}: {says}"
