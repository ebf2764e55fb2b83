"""``formcheck analyze`` on every clip in the shared media (slow), and on one mp4 and one GIF
(fast): exit 0, a valid report, one frames.csv row per decoded frame, and an annotated H.264
video with the same frames."""

from __future__ import annotations

import csv

import pytest
from typer.testing import CliRunner

from formcheck.cli import app
from formcheck.exercises import all_exercises
from formcheck.report import SessionReport
from tests.conftest import manifest, media_clip
from tests.videos import count_frames, decode_times_ms

runner = CliRunner()
FAST = ("plank__kaiakol-001.mp4", "plank__ec.gif")


def _cli_has(option: str) -> bool:
    return option in runner.invoke(app, ["analyze", "--help"], terminal_width=200).output


def _exercise_for(entry: dict) -> tuple[str, list[str]]:
    """The clip's own exercise when formcheck declares it (with ``--cleared`` for one that asks
    a clearance question), else the pose-only pass."""
    known = all_exercises()
    for name in (entry["exercise"], entry.get("relative_of")):
        if name in known:
            if not getattr(known[name], "clearance", None):
                return name, []
            if _cli_has("--cleared"):
                return name, ["--cleared"]
    return "pose_only", []


def _check_clip(entry: dict, out) -> SessionReport:
    path = media_clip(entry["file"])
    exercise, extra = _exercise_for(entry)
    result = runner.invoke(app, ["analyze", str(path), "-e", exercise, "-o", str(out), "--quiet", *extra])
    assert result.exit_code == 0, f"{entry['file']}: {result.output}"
    report = SessionReport.model_validate_json((out / "report.json").read_text())
    assert report.complete and report.incomplete_reason is None
    assert report.exercise == exercise

    times = decode_times_ms(path)  # PyAV alone, no formcheck code
    assert len(times) == entry["frames"]
    with open(out / "frames.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(times) == report.frames_total
    assert [int(r["frame"]) for r in rows] == list(range(len(times)))
    assert [int(r["t_ms"]) for r in rows] == times
    assert sum(int(r["person_found"]) for r in rows) == report.frames_with_person

    n, codec = count_frames(out / "annotated.mp4")
    assert (n, codec) == (len(times), "h264")
    assert decode_times_ms(out / "annotated.mp4") == times
    assert (report.input.width, report.input.height) == (entry["width"], entry["height"])
    # MediaPipe's person detection on these clips, recorded in the manifest: allow a little drift
    # between versions and for the rotated fallback, which only adds frames.
    assert report.detection_rate >= entry["person_detected_fraction"] - 0.1
    return report


def _entry(name: str) -> dict:
    for e in manifest():
        if e["file"] == name:
            return e
    pytest.skip(f"{name} not in the shared manifest")


@pytest.mark.parametrize("name", FAST)
def test_analyze_fast_subset(model_dir, tmp_path, name):
    report = _check_clip(_entry(name), tmp_path)
    assert report.exercise == "plank" and report.holds


@pytest.mark.slow
@pytest.mark.parametrize("entry", manifest(), ids=lambda e: e["file"])
def test_analyze_every_shared_clip(model_dir, tmp_path, entry):
    if entry["file"] in FAST:
        pytest.skip("in the fast subset")
    _check_clip(entry, tmp_path)
