"""landmark_csv.py and ``formcheck analyze --landmarks``: the wide MediaPipe CSV, read and written,
and a video run that round-trips through its own saved landmarks."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from formcheck.cli import app
from formcheck.errors import LandmarkFileError
from formcheck.landmark_csv import LandmarkCsv, LandmarkCsvWriter
from formcheck.landmarks import LANDMARK_NAMES, Landmark
from tests import factories
from tests.conftest import media_clip
from tests.exercise_poses import deadlift_landmarks

PLANK = "plank__kaiakol-001.mp4"
COCO17 = ("nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
          "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
          "left_knee", "right_knee", "left_ankle", "right_ankle")
BODY_NO_FACE = LANDMARK_NAMES[11:]  # shoulders down: no nose, eyes, ears or mouth

runner = CliRunner()


def _invoke(*args: str):
    result = runner.invoke(app, ["analyze", *args, "--quiet"])
    assert "Traceback" not in result.output
    return result


def _rewrite(src: Path, dst: Path, edit_header=None, keep=None, extra: bool = False) -> Path:
    with open(src, newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    cols = list(range(len(header)))
    if keep is not None:
        cols = [i for i, h in enumerate(header)
                if h == "t_ms" or h.rsplit("_", 1)[0] in keep]
    header = [header[i] for i in cols]
    body = [[r[i] for i in cols] for r in body]
    if edit_header:
        header = [edit_header(h) for h in header]
    if extra:
        header = ["frame_id", *header[:5], "person_score", *header[5:], "nose_extra"]
        body = [[str(n), *r[:5], "0.97", *r[5:], "x"] for n, r in enumerate(body)]
    with open(dst, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(body)
    return dst


@pytest.fixture(scope="module")
def video_run(tmp_path_factory, model_dir):
    """The plank clip analysed from video with --save-landmarks."""
    out = tmp_path_factory.mktemp("video")
    result = _invoke(str(media_clip(PLANK)), "-e", "plank", "-o", str(out), "--save-landmarks", "--no-video")
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    return out, report


def _analyse_csv(path: Path, report: dict, out: Path, exercise: str = "plank"):
    inp = report["input"]
    return _invoke("--landmarks", str(path), "--width", str(inp["width"]), "--height", str(inp["height"]),
                   "--fps", str(inp["fps"]), "-e", exercise, "-o", str(out))


def _frames_csv(out: Path) -> list[dict]:
    with open(out / "frames.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def _holds(report: dict) -> list[tuple]:
    return [(h["start_s"], h["end_s"], h["duration_s"]) for h in report["holds"]]


def test_round_trip_through_saved_landmarks(video_run, tmp_path):
    out, video_report = video_run
    assert video_report["holds"], "the clip holds a plank"
    result = _analyse_csv(out / "landmarks.csv", video_report, tmp_path)
    assert result.exit_code == 0, result.output
    csv_report = json.loads((tmp_path / "report.json").read_text())
    assert csv_report["input"]["kind"] == "landmarks"
    assert csv_report["frames_total"] == video_report["frames_total"]
    assert csv_report["frames_with_person"] == video_report["frames_with_person"]
    assert csv_report["rep_count"] == video_report["rep_count"]
    assert len(csv_report["holds"]) == len(video_report["holds"])
    for a, b in zip(_holds(csv_report), _holds(video_report)):
        np.testing.assert_allclose(a, b, atol=0.05)
    for a, b in zip(csv_report["holds"], video_report["holds"]):
        assert a["flags"] == b["flags"]
    # frame by frame, the image-plane metrics agree to well under a degree
    rows_v, rows_c = _frames_csv(out), _frames_csv(tmp_path)
    assert [r["t_ms"] for r in rows_v] == [r["t_ms"] for r in rows_c]
    for a, b in zip(rows_v, rows_c):
        assert a["phase"] == b["phase"]
        for cid in ("hip_sag", "elbows_under_shoulders", "knees_off_floor"):
            if a[cid] or b[cid]:
                assert float(a[cid]) == pytest.approx(float(b[cid]), abs=0.5), cid


@pytest.mark.parametrize(
    "variant",
    ["upper", "extra", "upper+extra"],
)
def test_header_case_and_extra_columns_do_not_matter(video_run, tmp_path, variant):
    out, report = video_run
    baseline = tmp_path / "base"
    assert _analyse_csv(out / "landmarks.csv", report, baseline).exit_code == 0
    edited = _rewrite(out / "landmarks.csv", tmp_path / "edited.csv",
                      edit_header=str.upper if "upper" in variant else None, extra="extra" in variant)
    result = _analyse_csv(edited, report, tmp_path / "edited")
    assert result.exit_code == 0, result.output
    assert _frames_csv(tmp_path / "edited") == _frames_csv(baseline)


@pytest.mark.parametrize("subset", [COCO17, BODY_NO_FACE], ids=["coco17", "body-no-face"])
def test_landmark_subset_works_for_plank(video_run, tmp_path, subset):
    out, report = video_run
    part = _rewrite(out / "landmarks.csv", tmp_path / "subset.csv", keep=subset)
    with open(part) as fh:
        header = next(csv.reader(fh))
    assert len(header) == 1 + 4 * len(subset)
    result = _analyse_csv(part, report, tmp_path / "o")
    assert result.exit_code == 0, result.output
    sub_report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert sub_report["frames_with_person"] == report["frames_with_person"]
    assert len(sub_report["holds"]) == len(report["holds"])
    for a, b in zip(_holds(sub_report), _holds(report)):
        np.testing.assert_allclose(a, b, atol=0.05)
    states = {r["head_hanging_state"] for r in _frames_csv(tmp_path / "o")}
    if "left_ear" not in subset:
        assert states == {"unknown"}, "no ears, no head check"


def test_missing_landmarks_are_named(video_run, tmp_path):
    out, report = video_run
    no_ankles = [n for n in LANDMARK_NAMES if "ankle" not in n]
    part = _rewrite(out / "landmarks.csv", tmp_path / "no_ankles.csv", keep=no_ankles)
    result = _analyse_csv(part, report, tmp_path / "o")
    assert result.exit_code == 2
    assert "left_ankle" in result.stderr and "right_ankle" in result.stderr
    assert result.stderr.strip().count("\n") == 0


# --- the reader and writer on their own -----------------------------------------------------------

def _frame(t_ms: int, dx: float = 0.0):
    pts = {"left_shoulder": (300 + dx, 200), "right_shoulder": (320 + dx, 205), "left_hip": (600, 260),
           "right_hip": (620, 262), "nose": (250.5, 180.25)}
    return factories.pose(pts, t_ms=t_ms, size=(1280, 720))


def test_writer_then_reader_round_trip(tmp_path):
    path = tmp_path / "lm.csv"
    frames = [_frame(0), factories.dropout(_frame(40)), _frame(80, dx=5.0)]
    with LandmarkCsvWriter(path) as writer:
        for f in frames:
            writer.write(f)
    table = LandmarkCsv(path, 1280, 720, fps=25)
    got = list(table.frames())
    assert [g.t_ms for g in got] == [0, 40, 80]
    assert [g.has_person for g in got] == [True, False, True]
    for a, b in zip(got, frames):
        np.testing.assert_allclose(a.xy, b.xy, atol=1e-5 * 1280, equal_nan=True)
        np.testing.assert_allclose(a.visibility, b.visibility, atol=1e-5, equal_nan=True)


def test_without_time_column_frames_are_spaced_by_fps(tmp_path):
    path = tmp_path / "lm.csv"
    path.write_text("nose_x,nose_y\n0.5,0.5\n0.5,0.5\n0.5,0.5\n")
    got = list(LandmarkCsv(path, 640, 480, fps=20).frames())
    assert [g.t_ms for g in got] == [0, 50, 100]
    np.testing.assert_allclose(got[0].xy[Landmark.NOSE], (320, 240))
    assert got[0].visibility[Landmark.NOSE] == 1.0  # no visibility column: seen
    assert np.isnan(got[0].xy[Landmark.LEFT_HIP]).all()


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (None, (640, 480, 30), "no such file"),
        ("", (640, 480, 30), "empty"),
        ("a,b,c\n1,2,3\n", (640, 480, 30), "no landmark columns"),
        ("nose_x,nose_y\n0.5,0.5\n", (0, 480, 30), "positive"),
        ("nose_x,nose_y\n0.5,0.5\n", (640, 480, 0), "--fps must be a number of frames per second from 1"),
    ],
    ids=["missing", "empty", "no-landmarks", "zero-width", "zero-fps"],
)
def test_bad_landmark_files(tmp_path, content, args, message):
    path = tmp_path / "lm.csv"
    if content is not None:
        path.write_text(content)
    with pytest.raises(LandmarkFileError, match=message):
        LandmarkCsv(path, *args)


def test_missing_reports_both_sides(tmp_path):
    path = tmp_path / "lm.csv"
    path.write_text("left_hip_x,left_hip_y,right_hip_x,right_hip_y,left_knee_x,left_knee_y\n0.5,0.5,0.5,0.5,0.5,0.6\n")
    table = LandmarkCsv(path, 640, 480, 30)
    assert table.missing(("hip", "knee")) == ["right_knee"]


# -- bad values and hostile files: refused in one line before anything is written --------------
def _refused(tmp_path, path: Path, *args: str) -> str:
    """Analyse ``path`` (a deadlift at 1280x720, 30 fps unless ``args`` say otherwise) and return
    the one error line; nothing may be written."""
    out = tmp_path / "out"
    result = _invoke("--landmarks", str(path), "--width", "1280", "--height", "720", "--fps", "30",
                     "-e", "deadlift", "--cleared", "-o", str(out), *args)
    lines = [ln for ln in result.stderr.splitlines() if ln]
    assert result.exit_code == 2 and len(lines) == 1 and lines[0].startswith("formcheck: error: "), result.output
    assert not out.exists(), sorted(p.name for p in out.iterdir())
    return lines[0]


def _deadlift(tmp_path: Path, edit=None) -> Path:
    """The deadlift landmark CSV, with ``edit(line number, row) -> row`` applied to its data rows."""
    path = deadlift_landmarks(tmp_path / "good.csv")
    if edit is None:
        return path
    with open(path, newline="") as fh:
        header, *rows = list(csv.reader(fh))
    edited = tmp_path / "edited.csv"
    with open(edited, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(edit(i + 2, row) for i, row in enumerate(rows))
    return edited


@pytest.mark.parametrize("fps", ["nan", "inf", "-inf", "0", "-30", "1e9"])
def test_an_unusable_frame_rate_is_refused(tmp_path, fps):
    line = _refused(tmp_path, _deadlift(tmp_path), "--fps", fps)
    assert "--fps must be a number of frames per second from 1 to 1000" in line


@pytest.mark.parametrize(("cell", "why"), [
    ("nan", "is not a time in ms from 0 to 86400000 (a day)"),
    ("inf", "is not a time in ms from 0 to 86400000 (a day)"),
    ("1e30", "is not a time in ms from 0 to 86400000 (a day)"),
    ("-40", "is not a time in ms from 0 to 86400000 (a day)"),
    ("", "is not a time in ms from 0 to 86400000 (a day)"),
    ("soon", "is not a time in ms from 0 to 86400000 (a day)"),
    ("back", "is not after the row before (300)"),
    ("same", "is not after the row before (300)"),
    ("jump", "comes 3600 s after the row before (at most 60 s)"),
])
def test_a_time_that_is_not_usable_is_refused_naming_the_line(tmp_path, cell, why):
    """A t_ms of 1e30 used to give a 1e27-second set scored 100; a NaN one was quietly replaced."""
    given = {"back": "5", "same": "300", "jump": str(300 + 3_600_000)}.get(cell, cell)
    path = _deadlift(tmp_path, lambda n, row: [given, *row[1:]] if n == 12 else row)
    assert _refused(tmp_path, path) == f"formcheck: error: {path}: line 12: t_ms {given!r} {why}"


def test_the_last_row_s_time_is_checked_too(tmp_path):
    last = 1 + len(list(open(_deadlift(tmp_path)))) - 1
    path = _deadlift(tmp_path, lambda n, row: ["1e30", *row[1:]] if n == last else row)
    assert f"line {last}: t_ms '1e30'" in _refused(tmp_path, path)


def _long_field(n: int) -> str:
    """A quoted cell of ``n`` characters over many short lines (no line is long)."""
    return '"' + "\n".join(["x" * 99] * (n // 100 + 1)) + '"'


@pytest.mark.parametrize("where", ["header", "data row"])
def test_a_cell_over_the_csv_field_limit_is_refused_in_one_line(tmp_path, where):
    """It used to be a traceback (``_csv.Error: field larger than field limit``), and in a data
    row after 97 rows of frames.csv were written."""
    path = _deadlift(tmp_path)
    text = path.read_text().splitlines()
    n = 1 if where == "header" else 98
    text[n - 1] = text[n - 1] + "," + _long_field(200_000)
    path.write_text("\n".join(text) + "\n")
    line = _refused(tmp_path, path)
    assert f"{path}: line " in line and "field larger than field limit" in line


@pytest.mark.parametrize("where", ["header", "data row"])
def test_an_over_long_line_is_refused_in_one_line(tmp_path, where):
    path = _deadlift(tmp_path)
    text = path.read_text().splitlines()
    n = 1 if where == "header" else 98
    text[n - 1] = text[n - 1] + "," + "x" * 200_000
    path.write_text("\n".join(text) + "\n")
    assert _refused(tmp_path, path).endswith(f"{path}: line {n} is longer than 65,536 characters: "
                                             "not a landmark CSV")


def test_a_huge_one_line_file_is_refused_at_once(tmp_path):
    """A 50 MB file of one line took 23 s and 2 GB to refuse: the line is refused after its
    first 64 KB."""
    import time
    import tracemalloc

    path = tmp_path / "one_line.csv"
    with open(path, "w") as fh:
        fh.write("nose_x,nose_y")
        for _ in range(50):
            fh.write(",0.5" * 250_000)  # 1 MB
    started = time.monotonic()
    tracemalloc.start()
    try:
        with pytest.raises(LandmarkFileError, match="line 1 is longer than 65,536 characters"):
            LandmarkCsv(path, 640, 480, 30)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.monotonic() - started < 5 and peak < 5_000_000, (time.monotonic() - started, peak)
    assert "line 1 is longer" in _refused(tmp_path, path)


def test_a_file_over_the_size_limit_is_refused_without_reading_it(tmp_path, monkeypatch):
    from formcheck import landmark_csv

    monkeypatch.setattr(landmark_csv, "MAX_FILE_BYTES", 1000)
    path = _deadlift(tmp_path)
    assert "too big" in _refused(tmp_path, path) and "at most 1,000" in _refused(tmp_path, path)


def test_bytes_that_are_not_utf8_are_refused_naming_the_file(tmp_path):
    path = _deadlift(tmp_path)
    data = path.read_bytes().splitlines(keepends=True)
    data[20] = b"\xff\xfe" + data[20]
    path.write_bytes(b"".join(data))
    line = _refused(tmp_path, path)
    assert f"{path}: not UTF-8 text" in line


def test_a_header_without_rows_is_refused(tmp_path):
    """It used to be analysed as a set of no frames, its report saying ``complete: true``."""
    path = tmp_path / "header_only.csv"
    path.write_text(_deadlift(tmp_path).read_text().splitlines()[0] + "\n")
    assert _refused(tmp_path, path) == f"formcheck: error: {path}: no data rows below the header"


def test_values_that_are_not_finite_or_far_outside_the_frame_are_not_seen(tmp_path):
    path = tmp_path / "lm.csv"
    path.write_text("nose_x,nose_y,left_hip_x,left_hip_y,right_hip_x,right_hip_y\n"
                    "inf,0.5,1e300,0.5,0.5,0.5\n")
    frame = next(LandmarkCsv(path, 640, 480, 30).frames())
    assert np.isnan(frame.xy[Landmark.NOSE]).all() and np.isnan(frame.xy[Landmark.LEFT_HIP]).all()
    np.testing.assert_allclose(frame.xy[Landmark.RIGHT_HIP], (320, 240))
