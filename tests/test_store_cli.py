"""``formcheck sessions list|show|export|delete|patient`` through Typer's CliRunner, and the
export files' content."""

from __future__ import annotations

import csv
import re
import shutil
import subprocess

import numpy as np
import pytest
from typer.testing import CliRunner

from tests.test_store import _outputs, rep, report, synthetic_video, three_reps
from tests.test_store_db import (  # noqa: F401  (fixtures)
    SQLITE_ONLY,
    db_url,
    postgres_admin_url,
    postgres_template,
    store,
)

runner = CliRunner()


@pytest.fixture(autouse=True)
def same_data_dir(tmp_path, monkeypatch):
    """The commands find the clips where the ``store`` fixture keeps them."""
    monkeypatch.setenv("FORMCHECK_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def app():
    from formcheck.cli import app

    return app


@pytest.fixture
def saved(store, tmp_path):
    """One session of P-017 (3 clamshell reps, rep 2 flagged and overruled with a note, with a
    clip) and one of P-other."""
    from formcheck.store import save_analysis

    store.add_patient("P-017", clips_opt_in=True)
    video = synthetic_video(tmp_path / "annotated.mp4")
    s = save_analysis(three_reps(), _outputs(tmp_path, video), patient="P-017", store=store)
    flagged = store.session_detail(s.session_id).sets[0].items[1]
    store.add_review("rep", flagged.id, "overrule", reviewer="T. Smith", note="=camera moved, not the pelvis")
    save_analysis(report([rep(1, 0, 1)]), None, patient="P-other", store=store)
    return s


def test_list_and_show(app, db_url, saved):
    out = runner.invoke(app, ["sessions", "list", "--db", db_url, "--patient", "P-017"])
    assert out.exit_code == 0, out.output
    assert "P-017" in out.output and "P-other" not in out.output
    out = runner.invoke(app, ["sessions", "show", str(saved.session_id), "--db", db_url])
    assert out.exit_code == 0, out.output
    assert "rep 2 (right)" in out.output and "pelvis_rocking overruled" in out.output
    assert "note by T. Smith" in out.output and "clip" in out.output


@SQLITE_ONLY
def test_unknown_session_is_a_clean_error(app, db_url, store):
    out = runner.invoke(app, ["sessions", "show", "999", "--db", db_url])
    assert out.exit_code == 2
    assert "no session with id 999" in out.output and "Traceback" not in out.output


def test_export_csv_content(app, db_url, saved, tmp_path):
    out = runner.invoke(app, ["sessions", "export", str(saved.session_id), "--db", db_url, "-o",
                              str(tmp_path / "exp"), "--no-pdf"])
    assert out.exit_code == 0, out.output
    text = (tmp_path / "exp" / f"session-{saved.session_id}-reps.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    assert [(r["index"], r["side"], r["flags"], r["score"]) for r in rows] == [
        ("1", "left", "", "100"), ("2", "right", "pelvis_rocking", "70"), ("3", "left", "", "100")]
    assert rows[1]["verdicts"] == "pelvis_rocking=overrule"
    assert rows[1]["notes"] == "'=camera moved, not the pelvis"  # no formula injection
    assert rows[1]["clip"] == "yes" and rows[0]["clip"] == ""
    assert rows[1]["metric_pelvis_rocking"] == "22" and rows[0]["start_s"] == "0.5"
    assert {r["patient"] for r in rows} == {"P-017"}


def test_export_pdf_pages_and_text(app, db_url, saved, tmp_path):
    if shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None:
        pytest.skip("poppler-utils (pdftotext, pdfinfo) not installed")
    out = runner.invoke(app, ["sessions", "export", str(saved.session_id), "--db", db_url, "-o",
                              str(tmp_path / "exp"), "--no-csv"])
    assert out.exit_code == 0, out.output
    pdf = tmp_path / "exp" / f"session-{saved.session_id}.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Pages:\s+2$", info, re.MULTILINE), info  # the session, then the patient's progress
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    text = " ".join(text.split())  # table cells wrap: compare words, not lines
    for expected in ("Session report: P-017", "Clamshell (set", "Status: complete", "rep 2",
                     "pelvis rocking: overruled", "camera moved, not the pelvis", "by T. Smith",
                     # the flagged rep with its worst frame (from its clip) and its values
                     "Rep 2 (right), 2.5-4.0 s, score 70: pelvis rocking", "The worst moment",
                     "pelvis rocking: worst 22.0 deg, flags above 15.0 deg; past it by 7.0 deg",
                     "Progress: P-017", "page 1/2", "page 2/2"):
        assert expected in text, expected
    assert text.count("pass") >= 2  # reps 1 and 3


@SQLITE_ONLY
def test_a_pseudonym_that_is_a_formula_is_exported_as_text(store, tmp_path):
    """A spreadsheet would run ``=HYPERLINK(...)`` as a live link: every text cell starting
    with = + - @ (or a tab or carriage return) gets an apostrophe; numbers stay numbers. New
    pseudonyms cannot start so; one stored before they were checked still can."""
    from sqlalchemy import update

    from formcheck.store import models as m
    from formcheck.store import save_analysis
    from formcheck.store.export import write_reps_csv

    s = save_analysis(report([rep(1, 0, 1, ("pelvis_rocking",))]), None, patient="P-old", store=store)
    name = '=HYPERLINK("http://x","y")'
    with store.engine.begin() as conn:
        conn.execute(update(m.Patient).where(m.Patient.pseudonym == "P-old").values(pseudonym=name))
    path = write_reps_csv(store.session_detail(s.session_id), tmp_path / "reps.csv")
    rows = list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))
    assert rows[0]["patient"] == "'" + name
    assert rows[0]["exercise"] == "clamshell" and rows[0]["start_s"] == "0.0"


@SQLITE_ONLY
def test_an_emoji_in_a_note_is_in_the_pdf(store, tmp_path):
    """DejaVu has a few emoji but not most (not U+1F9D8, a person in lotus position): the PDF
    embeds Noto Color Emoji for them (Debian fonts-noto-color-emoji, installed by .ci/run)."""
    from formcheck.store import save_analysis
    from formcheck.store.export import write_session_pdf

    if shutil.which("pdftotext") is None or shutil.which("fc-list") is None:
        pytest.skip("poppler-utils or fontconfig not installed")
    fonts = subprocess.run(["fc-list", ":charset=1f9d8", "family"], capture_output=True, text=True).stdout
    if "Noto Color Emoji" not in fonts:
        pytest.skip("Noto Color Emoji is not installed (apt-get install fonts-noto-color-emoji)")
    s = save_analysis(report([rep(1, 0, 1, ("pelvis_rocking",))]), None, patient="P-1", store=store)
    [item] = store.session_detail(s.session_id).sets[0].items
    store.add_review("rep", item.id, "note", note="calm \U0001F9D8")
    pdf = write_session_pdf(store.session_detail(s.session_id), tmp_path / "emoji.pdf")
    # -raw: in drawing order (the emoji font's glyphs are listed apart otherwise)
    text = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "note: calm \U0001F9D8" in text


@SQLITE_ONLY
def test_a_long_session_pdf_runs_to_several_pages(store, tmp_path):
    from formcheck.store import save_analysis
    from formcheck.store.export import write_session_pdf

    if shutil.which("pdfinfo") is None:
        pytest.skip("poppler-utils not installed")
    reps = [rep(i, 2.0 * i, 2.0 * i + 1, ("pelvis_rocking",) if i % 3 == 0 else ()) for i in range(1, 121)]
    s = save_analysis(report(reps), None, patient="P-long", store=store)
    pdf = write_session_pdf(store.session_detail(s.session_id), tmp_path / "long.pdf")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(next(x for x in info.splitlines() if x.startswith("Pages:")).split()[1])
    assert pages >= 3
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "rep 120" in text and f"page {pages}/{pages}" in text


def test_delete_patient_needs_confirmation_and_removes_clips(app, db_url, saved, store):
    clip = store.session_detail(saved.session_id).sets[0].items[1].clip
    out = runner.invoke(app, ["sessions", "delete", "--patient", "P-017", "--db", db_url], input="n\n")
    assert out.exit_code == 1 and clip.is_file()
    out = runner.invoke(app, ["sessions", "delete", "--patient", "P-017", "--db", db_url, "--yes"])
    assert out.exit_code == 0, out.output
    assert "1 clip file removed" in out.output
    assert not clip.exists()
    out = runner.invoke(app, ["sessions", "list", "--db", db_url])
    assert "P-017" not in out.output and "P-other" in out.output


@SQLITE_ONLY
def test_delete_needs_exactly_one_target(app, db_url, store):
    out = runner.invoke(app, ["sessions", "delete", "--db", db_url])
    assert out.exit_code == 2 and "give a session id or --patient" in out.output


@SQLITE_ONLY
def test_patient_command_sets_clip_opt_in(app, db_url, store):
    out = runner.invoke(app, ["sessions", "patient", "P-new", "--clips", "--db", db_url])
    assert out.exit_code == 0 and "clips kept" in out.output
    assert store.patient("P-new").clips_opt_in
    out = runner.invoke(app, ["sessions", "patient", "P-new", "--no-clips", "--db", db_url])
    assert "clips not kept" in out.output and not store.patient("P-new").clips_opt_in


def test_data_dir_option_and_env(app, tmp_path, monkeypatch):
    monkeypatch.delenv("FORMCHECK_DATABASE_URL", raising=False)
    out = runner.invoke(app, ["sessions", "patient", "P-1", "--data-dir", str(tmp_path / "d")])
    assert out.exit_code == 0, out.output
    assert (tmp_path / "d" / "formcheck.db").is_file()
    monkeypatch.setenv("FORMCHECK_DATA_DIR", str(tmp_path / "d"))
    out = runner.invoke(app, ["sessions", "list"])
    assert out.exit_code == 0 and "no sessions stored" in out.output


def test_unreachable_database_is_a_clean_error(app, tmp_path):
    out = runner.invoke(app, ["sessions", "list", "--db", "postgresql://nobody:secret@127.0.0.1:1/none",
                              "--data-dir", str(tmp_path)])
    assert out.exit_code == 2
    assert "cannot open the session store" in out.output
    assert "secret" not in out.output  # the password is never printed


def test_the_pdf_pictures_each_flagged_rep_from_its_clip(store, saved, tmp_path):
    """The still beside the flagged rep is the clip's frame of that moment (the synthetic video's
    brightness tells its time), with the check's chart beside it and the progress plots after."""
    from formcheck.store.export import write_session_pdf
    from tests.browser.conftest import artifacts_dir

    if shutil.which("pdfimages") is None or shutil.which("pdftoppm") is None:
        pytest.skip("poppler-utils not installed")
    detail = store.session_detail(saved.session_id)
    pdf = write_session_pdf(detail, tmp_path / "s.pdf", store.progress("P-017"))
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    images = [line.split() for line in listing.splitlines()[2:]]
    assert [int(i[0]) for i in images] == [1, 2]  # the still on page 1, the progress plot on page 2
    subprocess.run(["pdfimages", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "img")], check=True)
    from PIL import Image

    [still] = [np.asarray(Image.open(p).convert("RGB")) for p in sorted(tmp_path.glob("img-*.png"))
               if Image.open(p).size == (64, 48)]
    # no series stored for this rep, so the middle of it (3.25 s): the frame shown from 3.2 s
    assert abs(still.mean() - 32 * 4) <= 4
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(artifacts_dir() / "session-pdf")], check=True)


@SQLITE_ONLY
def test_the_worst_moment_is_found_in_the_stored_series_and_read_from_the_clip(store, tmp_path):
    from formcheck.store import figures, save_analysis

    csv_path = tmp_path / "frames.csv"
    lines = ["frame,t_ms,person_found,phase,signal,rep_count,hold_s,pelvis_rocking,pelvis_rocking_state,"
             "feet_together,feet_together_state,cue"]
    for i in range(60):  # pelvis rocking peaks at 22 (the rep's recorded worst) at 3.6 s
        lines.append(f"{i},{i * 100},1,up,{i},0,0.0,{22 - abs(i - 36) * 0.5:.3f},ok,,unknown,")
    csv_path.write_text("\n".join(lines) + "\n")
    video = synthetic_video(tmp_path / "annotated.mp4")
    store.add_patient("P-w", clips_opt_in=True)
    saved = save_analysis(three_reps(), _outputs(tmp_path, video), patient="P-w", store=store)
    rep2 = store.session_detail(saved.session_id).sets[0].items[1]
    assert figures.worst_moment(rep2, "pelvis_rocking") == pytest.approx(3.6)
    assert rep2.clip_start_s == pytest.approx(1.5)
    still = figures.still_from_clip(rep2, 3.6)
    assert abs(still.mean() - 36 * 4) <= 4  # the source frame of 3.6 s
    assert figures.item_chart_png(rep2, "pelvis_rocking", "No rocking", "deg", 15.0, 3.6)[:4] == b"\x89PNG"
    assert figures.item_chart_png(rep2, "feet_together", "Feet", "m", 0.5, None) is None  # never measured
