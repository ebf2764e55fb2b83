"""The session store on real databases (a SQLite file and a PostgreSQL server, see
``test_store_db.py``): migrations, saving, rep-by-rep recording surviving a killed process,
reviews, limits, clips and their deletion."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from formcheck.config import Settings
from formcheck.exercises import get_exercise
from formcheck.limits import PatientLimits, effective_limits
from formcheck.store import SetRecorder
from formcheck.report import (
    CheckSummary,
    FlagDetail,
    HoldReport,
    InputInfo,
    ProcessingInfo,
    RepReport,
    SessionReport,
)
from tests.conftest import PYTHONPATH
from tests.test_store_db import (  # noqa: F401  (fixtures)
    SQLITE_ONLY,
    db_url,
    empty_db_url,
    postgres_admin_url,
    postgres_template,
    store,
)

REPO = Path(__file__).resolve().parents[1]


# -- factories: real report objects, as formcheck analyze builds them --------------------------
def rep(index: int, start: float, end: float, flags: tuple[str, ...] = (), side: str | None = "left",
        rng: float = 40.0) -> RepReport:
    details = [FlagDetail(check=f, worst=22.0, limit=15.0, past_by=7.0) for f in flags]
    return RepReport(index=index, start_s=start, peak_s=(start + end) / 2, end_s=end, side=side, range=rng,
                     range_unit="deg", time_up_s=1.0, top_pause_s=0.5, time_down_s=1.0,
                     metrics={"pelvis_rocking": 22.0 if flags else 5.0, "feet_together": 0.1},
                     unknown_fraction={"pelvis_rocking": 0.0, "feet_together": 0.0}, flags=list(flags),
                     flag_details=details, score=70.0 if flags else 100.0, passed=not flags)


def report(reps: list[RepReport], holds: list[HoldReport] | None = None, exercise: str = "clamshell",
           path: str = "/clinic/videos/clamshell take 1.mp4", complete: bool = True) -> SessionReport:
    checks = [CheckSummary(id=c, title=c.replace("_", " "), unit="deg", limit=15.0, flag_when="above",
                           frames_ok=10, frames_flag=1, frames_unknown=0,
                           flagged_in=sum(c in r.flags for r in reps), worst=22.0, measurable_in_view=True)
              for c in ("pelvis_rocking", "feet_together")]
    scores = [r.score for r in reps] or [h.score for h in holds or []]
    return SessionReport(
        exercise=exercise, exercise_name=exercise.title(), kind="reps" if reps else "hold",
        input=InputInfo(kind="video", path=path, width=64, height=48, fps=10.0),
        processing=ProcessingInfo(formcheck_version="test", smoothing="one_euro", min_visibility=0.5,
                                  limits={"pelvis_rocking": 15.0, "feet_together": 0.5}),
        frames_total=60, frames_with_person=60, detection_rate=1.0, duration_s=6.0, view="front",
        checks=checks, reps=reps, holds=holds or [], rep_count=len(reps),
        set_score=sum(scores) / len(scores) if scores else None, complete=complete,
        incomplete_reason=None if complete else "decoding stopped after 60 frames")


def three_reps() -> SessionReport:
    return report([rep(1, 0.5, 2.0), rep(2, 2.5, 4.0, ("pelvis_rocking",), side="right"), rep(3, 4.2, 5.5)])


def synthetic_video(path: Path, seconds: float = 6.0, fps: int = 10) -> Path:
    """A small H.264 video whose frame brightness encodes its time (no person: clip cutting
    only needs frames and times)."""
    from formcheck.video_writer import H264Writer

    with H264Writer(path, 64, 48, fps) as w:
        for i in range(int(seconds * fps)):
            w.write(np.full((48, 64, 3), (i * 4) % 256, np.uint8), int(i * 1000 / fps))
    return path


def run_py(code: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": PYTHONPATH}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=REPO)


# -- schema ------------------------------------------------------------------------------------
def test_migrations_create_exactly_the_models(empty_db_url, tmp_path):
    """open_store migrates an empty database to head, and the result matches models.py (no
    autogenerate diff)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from formcheck.store import open_store
    from formcheck.store.models import Base

    store = open_store(empty_db_url, tmp_path)
    with store.engine.connect() as conn:
        ctx = MigrationContext.configure(conn)
        assert ctx.get_current_revision() == "0002"
        diff = compare_metadata(ctx, Base.metadata)
    store.close()
    assert diff == []


def test_open_twice_is_idempotent(db_url, tmp_path):
    from formcheck.store import open_store

    with open_store(db_url, tmp_path) as a:
        a.add_patient("P-1")
    with open_store(db_url, tmp_path) as b:
        assert [p.pseudonym for p in b.patients()] == ["P-1"]


def test_default_location_is_the_data_folder(tmp_path, monkeypatch):
    from formcheck.store import open_store

    monkeypatch.delenv("FORMCHECK_DATABASE_URL", raising=False)
    monkeypatch.setenv("FORMCHECK_DATA_DIR", str(tmp_path / "fc"))
    with open_store() as s:
        s.add_patient("P-1")
        assert s.clips_dir == tmp_path / "fc" / "clips"
    assert (tmp_path / "fc" / "formcheck.db").is_file()


def test_the_database_file_is_its_owner_s_only(tmp_path, monkeypatch):
    """It holds patients' records: 0600 (and its -wal/-shm files take its mode), whatever the
    umask (SQLite used to make it 0644)."""
    import stat

    from formcheck.store import open_store

    monkeypatch.delenv("FORMCHECK_DATABASE_URL", raising=False)
    previous = os.umask(0o022)
    try:
        with open_store(None, tmp_path / "fc") as s:
            s.add_patient("P-1")
            files = sorted((tmp_path / "fc").glob("formcheck.db*"))
            assert [f.name for f in files][:1] == ["formcheck.db"]
            assert {f.name: stat.S_IMODE(f.stat().st_mode) for f in files} == {f.name: 0o600 for f in files}
    finally:
        os.umask(previous)


# -- saving and listing ------------------------------------------------------------------------
def test_saved_analysis_is_listed_from_a_new_process(store, db_url):
    from formcheck.store import save_analysis

    saved = save_analysis(three_reps(), None, patient="P-017", store=store)
    assert (saved.reps, saved.holds, saved.clips) == (3, 0, 0)
    out = run_py("from formcheck.cli import main; main()", "sessions", "list", "--db", db_url)
    assert out.returncode == 0, out.stderr
    line = next(x for x in out.stdout.splitlines() if "P-017" in x)
    assert line.split()[0] == str(saved.session_id)
    assert "clamshell" in line and "complete" in line
    # the set's counts: 3 reps, 1 flagged, 1 awaiting review
    assert line.split()[-4:-1] == ["3", "1", "1"]
    detail = store.session_detail(saved.session_id)
    assert detail.summary.source_name == "clamshell take 1.mp4"  # folders dropped


@SQLITE_ONLY
def test_saving_the_same_input_twice_is_a_no_op(store, tmp_path):
    from formcheck.store import save_analysis, source_key

    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"x")
    first = save_analysis(three_reps(), None, patient="P-1", store=store, source_key=source_key(clip))
    again = save_analysis(three_reps(), None, patient="P-1", store=store, source_key=source_key(clip))
    assert again.already_saved and again.session_id == first.session_id
    assert len(store.sessions("P-1")) == 1


@SQLITE_ONLY
def test_incomplete_report_is_stored_as_interrupted(store):
    from formcheck.store import save_analysis

    saved = save_analysis(report([rep(1, 0.5, 2.0)], complete=False), None, patient="P-1", store=store)
    st = store.session_detail(saved.session_id).sets[0].summary
    assert st.status == "interrupted" and "decoding stopped" in st.status_reason


# -- recording rep by rep ----------------------------------------------------------------------
KILLED_MID_SET = """
import os, signal, sys
from tests.test_store import rep
from formcheck.store import SetRecorder, open_store

store = open_store(sys.argv[1], sys.argv[2])
rec = SetRecorder(store, "P-kill", source="camera")
rec.start_set("clamshell")
for i in range(1, 4):
    rec.add_rep(rep(i, 2.0 * i, 2.0 * i + 1.5, ("pelvis_rocking",) if i == 2 else ()))
print("recorded", rec.set_id, flush=True)
# rep 4 is under way when the process dies: no finish(), no context exit, no atexit
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_killed_process_keeps_every_finished_rep_and_the_set_shows_interrupted(db_url, tmp_path):
    from formcheck.store import open_store

    out = run_py(KILLED_MID_SET, db_url, str(tmp_path / "data"))
    assert out.returncode == -signal.SIGKILL, out.stderr
    set_id = int(out.stdout.split()[1])
    with open_store(db_url, tmp_path / "data", reap=False) as raw:
        [sess] = raw.sessions("P-kill")
        assert sess.sets[0].status == "in_progress"  # as the dead process left it
    with open_store(db_url, tmp_path / "data") as s:  # opening reaps
        [sess] = s.sessions("P-kill")
        st = sess.sets[0]
        assert (st.id, st.status, st.items, st.flagged) == (set_id, "interrupted", 3, 1)
        assert "ended before the set was finished" in st.status_reason
        items = s.session_detail(sess.id).sets[0].items
        assert [i.index for i in items] == [1, 2, 3]
        assert items[1].flags == ("pelvis_rocking",)


@SQLITE_ONLY
def test_a_live_recorder_is_not_reaped(store):
    rec = SetRecorder(store, "P-live")
    rec.start_set("clamshell")
    rec.add_rep(rep(1, 0.5, 2.0))
    assert store.reap_interrupted() == 0  # this process is alive and wrote just now
    assert store.sessions("P-live")[0].sets[0].status == "in_progress"
    rec.finish()
    assert store.sessions("P-live")[0].sets[0].status == "complete"


def test_a_stale_set_is_reaped_even_if_its_process_lives(store):
    from formcheck.store import models as m

    rec = SetRecorder(store, "P-stale")
    set_id = rec.start_set("clamshell")
    with store.session() as s, s.begin():
        s.get(m.ExerciseSet, set_id).heartbeat_at = m.utcnow() - dt.timedelta(hours=2)
    assert store.reap_interrupted() == 1
    st = store.sessions("P-stale")[0].sets[0]
    assert st.status == "interrupted" and "nothing recorded" in st.status_reason


@SQLITE_ONLY
def test_leaving_the_recorder_unfinished_or_by_error_marks_interrupted(store):
    with SetRecorder(store, "P-1") as rec:
        rec.start_set("clamshell")
        rec.add_rep(rep(1, 0.5, 2.0))
    with pytest.raises(ZeroDivisionError), SetRecorder(store, "P-1") as rec2:
        rec2.start_set("clamshell")
        raise ZeroDivisionError("boom")
    statuses = sorted((st.status, st.status_reason) for s in store.sessions("P-1") for st in s.sets)
    assert statuses == [("interrupted", "stopped by an error: ZeroDivisionError"),
                        ("interrupted", "the recording stopped before the set was finished")]


@SQLITE_ONLY
def test_pain_stop_ends_the_set_and_keeps_the_reps(store):
    with SetRecorder(store, "P-1") as rec:
        rec.start_set("clamshell")
        rec.add_rep(rep(1, 0.5, 2.0))
        rec.pain_stop(3.2, "sharp pain left side")
        rec.finish(report([rep(1, 0.5, 2.0)]))  # the report arriving afterwards changes nothing
    d = store.session_detail(store.sessions("P-1")[0].id)
    assert d.sets[0].summary.status == "pain_stopped"
    assert d.sets[0].pain_stops == ((3.2, "sharp pain left side"),)
    assert len(d.sets[0].items) == 1


def test_two_sets_in_one_session(store):
    with SetRecorder(store, "P-1") as rec:
        rec.start_set("clamshell")
        rec.add_rep(rep(1, 0.5, 2.0))
        rec.finish()
        rec.start_set("plank")
        rec.add_hold(HoldReport(index=1, start_s=1.0, end_s=11.0, duration_s=10.0, good_form_s=8.0,
                                longest_good_s=6.0, metrics={"hip_sag": 12.0}, flags=["hip_sag"],
                                flag_details=[FlagDetail(check="hip_sag", worst=12.0, limit=10.0, past_by=2.0)],
                                score=80.0))
        rec.finish()
    [sess] = store.sessions("P-1")
    assert [(st.exercise, st.kind, st.items, st.flagged) for st in sess.sets] == [
        ("clamshell", "reps", 1, 0), ("plank", "hold", 1, 1)]


# -- reviews -----------------------------------------------------------------------------------
def test_reviews_persist_and_the_latest_verdict_counts(db_url, tmp_path):
    from formcheck.store import open_store, save_analysis

    with open_store(db_url, tmp_path) as s:
        saved = save_analysis(three_reps(), None, patient="P-1", store=s)
        flagged = s.session_detail(saved.session_id).sets[0].items[1]
        s.add_review("rep", flagged.id, "agree", reviewer="T. Smith")
        s.add_review("rep", flagged.id, "overrule", reviewer="T. Smith", note="rocking is the camera moving")
        s.add_review("rep", flagged.id, "note", reviewer="A. Jones", note="ask about hip pain")
    with open_store(db_url, tmp_path) as s:  # a new engine: read back from the database
        item = s.session_detail(saved.session_id).sets[0].items[1]
        assert item.verdicts == {"pelvis_rocking": "overrule"}
        assert [(r.verdict, r.reviewer) for r in item.reviews] == [
            ("agree", "T. Smith"), ("overrule", "T. Smith"), ("note", "A. Jones")]
        assert all(r.created_at.tzinfo is not None for r in item.reviews)
        assert not item.needs_review
        [stats] = [c for c in s.overrule_stats("P-1") if c.check_id == "pelvis_rocking"]
        assert (stats.flagged, stats.reviewed, stats.agreed, stats.overruled) == (1, 1, 0, 1)
        assert stats.overrule_rate == 1.0
        assert s.patients_overview()[0].to_review == 0


@SQLITE_ONLY
def test_patients_with_flags_to_review_come_first(store):
    from formcheck.store import save_analysis

    save_analysis(report([rep(1, 0.5, 2.0)]), None, patient="A-clean", store=store)
    save_analysis(three_reps(), None, patient="B-flagged", store=store)
    save_analysis(report([rep(1, 0.5, 2.0)]), None, patient="C-clean-latest", store=store)
    rows = store.patients_overview()
    assert [r.patient.pseudonym for r in rows] == ["B-flagged", "C-clean-latest", "A-clean"]
    assert [r.to_review for r in rows] == [1, 0, 0]


@SQLITE_ONLY
@pytest.mark.parametrize(("kwargs", "error"), [
    (dict(verdict="maybe"), "verdict must be one of"),
    (dict(verdict="agree", check_id="feet_together"), "was not flagged for"),
    (dict(verdict="note"), "note is required"),
    (dict(verdict="note", note="x" * 2001), "too long"),
    (dict(verdict="agree", reviewer="Dr\x00Evil"), "control characters"),
])
def test_bad_reviews_are_refused(store, kwargs, error):
    from formcheck.store import save_analysis

    saved = save_analysis(three_reps(), None, patient="P-1", store=store)
    item = store.session_detail(saved.session_id).sets[0].items[1]
    kwargs = dict(kwargs)
    verdict = kwargs.pop("verdict")
    with pytest.raises(ValueError, match=error):
        store.add_review("rep", item.id, verdict, **kwargs)


@SQLITE_ONLY
def test_unflagged_rep_cannot_be_overruled(store):
    from formcheck.store import save_analysis

    saved = save_analysis(three_reps(), None, patient="P-1", store=store)
    clean = store.session_detail(saved.session_id).sets[0].items[0]
    with pytest.raises(ValueError, match="no flags"):
        store.add_review("rep", clean.id, "overrule")


@SQLITE_ONLY
# -- patients, limits, caps --------------------------------------------------------------------
def test_per_patient_limits_feed_the_analysis(store):
    store.add_patient("P-1")
    store.set_limit("P-1", "plank", "hip_sag", 6.0, set_by="T. Smith")
    store.set_limit("P-1", "plank", "hip_pike", 30.0)
    store.set_limit("P-1", "plank", "hip_pike", None)  # cleared again
    assert store.patient_limits("P-1") == PatientLimits({"plank": {"hip_sag": 6.0}}, {})
    assert store.patient_limits("nobody") == PatientLimits()
    with pytest.raises(ValueError, match="no check"):
        store.set_limit("P-1", "plank", "knee_valgus", 3.0)
    with pytest.raises(ValueError, match="finite"):
        store.set_limit("P-1", "plank", "hip_sag", float("nan"))
    # they reach the analysis, which says where they came from
    chosen = effective_limits(get_exercise("plank"), Settings(), store.patient_limits("P-1"))
    assert (chosen.values["hip_sag"], chosen.sources["hip_sag"]) == (6.0, "patient")
    assert chosen.sources["hip_pike"] == "default"


def test_an_unusable_patient_limit_is_refused_and_not_stored(store):
    store.add_patient("P-1")
    for value in (float("nan"), float("inf"), -float("inf"), 1000.0, 180.0):
        with pytest.raises(ValueError, match="plank hip_sag=.*: a limit must be a finite number between -180 and 180 deg"):
            store.set_limit("P-1", "plank", "hip_sag", value)
    assert store.limits("P-1") == {}


def test_a_cap_tighter_than_the_limit_governs_the_exercise_s_cap_check(store):
    store.add_patient("P-disc")
    store.set_cap("P-disc", "flexion", 20.0, reason="herniated disc")
    store.set_cap("P-disc", "extension", 120.0)  # looser than the default: no effect
    chosen = effective_limits(get_exercise("cat_cow"), Settings(), store.patient_limits("P-disc"),
                              overrides={"back_level": 25.0})
    assert (chosen.values["spine_flexion"], chosen.sources["spine_flexion"]) == (20.0, "cap")
    assert chosen.sources["spine_extension"] == "default"
    assert chosen.sources["back_level"] == "override"
    assert set(effective_limits(get_exercise("plank"), Settings(), store.patient_limits("P-disc"))
               .sources.values()) == {"default"}  # plank has no check a cap governs


def test_caps_and_clearance_are_stored(store):
    store.add_patient("P-disc")
    store.set_cap("P-disc", "flexion", 20.0, reason="L4-L5 herniated disc", set_by="T. Smith")
    store.set_clearance("P-disc", "deadlift", dt.date(2026, 3, 1), cleared_by="Dr. Lee")
    assert store.caps("P-disc") == {"flexion": (20.0, "L4-L5 herniated disc")}
    assert store.clearance("P-disc", "deadlift") == (dt.date(2026, 3, 1), "Dr. Lee")
    with pytest.raises(ValueError):
        store.set_cap("P-disc", "rotation", 10.0)
    with pytest.raises(ValueError):
        store.set_cap("P-disc", "extension", 500.0)


@SQLITE_ONLY
@pytest.mark.parametrize("bad", ["", "   ", "x" * 65, "tab\there", "new\nline", "../../etc/passwd", "-rf",
                                 "P-017-", "<b>P</b>", "P/017", "P\\017", "P*017", "~P"])
def test_bad_pseudonyms_are_refused_and_nothing_is_stored(store, bad):
    from formcheck.store import SetRecorder

    with pytest.raises(ValueError, match="not a pseudonym|is required"):
        store.add_patient(bad)
    with pytest.raises(ValueError, match="not a pseudonym|is required"):
        SetRecorder(store, bad)
    assert store.patients() == []


@SQLITE_ONLY
@pytest.mark.parametrize("good", ["P-017", "A", "Zoë 3", "clinic2.P_17", "x" * 64])
def test_pseudonyms_may_be_any_letters_and_digits_with_separators(store, good):
    assert store.add_patient(f"  {good} ").pseudonym == good
    assert store.find_patient(good).pseudonym == good


@SQLITE_ONLY
def test_a_pseudonym_never_becomes_a_path(store, tmp_path):
    from formcheck.store import save_analysis

    video = synthetic_video(tmp_path / "annotated.mp4")
    store.add_patient("etc.passwd", clips_opt_in=True)
    outputs = _outputs(tmp_path, video)
    save_analysis(three_reps(), outputs, patient="etc.passwd", store=store)
    [clip] = [p for p in store.clips_dir.rglob("*") if p.is_file()]
    assert clip.parent.parent == store.clips_dir
    assert all(c in "0123456789abcdef" for c in clip.parent.name + clip.stem)
    assert store.clip_path(clip.parent.name, "../" + clip.name) is None


# -- clips -------------------------------------------------------------------------------------
def _outputs(folder: Path, video: Path | None):
    from formcheck.report import AnalysisOutputs

    return AnalysisOutputs(folder / "report.json", folder / "frames.csv", video, None)


def test_flagged_reps_get_a_clip_with_a_second_either_side(store, tmp_path):
    from formcheck.capture import VideoFile
    from formcheck.store import save_analysis

    video = synthetic_video(tmp_path / "annotated.mp4")
    store.add_patient("P-clips", clips_opt_in=True)
    saved = save_analysis(three_reps(), _outputs(tmp_path, video), patient="P-clips", store=store)
    assert saved.clips == 1
    items = store.session_detail(saved.session_id).sets[0].items
    assert [i.clip is not None for i in items] == [False, True, False]
    with VideoFile(items[1].clip) as clip:
        frames = list(clip.frames())
        assert clip.info.codec == "h264"
    # rep 2 runs 2.5-4.0 s: the clip covers 1.5-5.0 s, i.e. 3.5 s at 10 fps
    assert 33 <= len(frames) <= 36
    assert frames[0].t_ms == 0
    first_level = int(frames[0].image.mean())
    assert abs(first_level - (15 * 4) % 256) <= 4  # the frame shown at 1.5 s in the source


@SQLITE_ONLY
def test_no_clips_without_opt_in(store, tmp_path):
    from formcheck.store import save_analysis

    video = synthetic_video(tmp_path / "annotated.mp4")
    saved = save_analysis(three_reps(), _outputs(tmp_path, video), patient="P-no", store=store)
    assert saved.clips == 0
    assert not any(p.is_file() for p in store.clips_dir.rglob("*")) if store.clips_dir.exists() else True


def test_deleting_a_patient_deletes_their_clips_and_rows(store, tmp_path):
    from formcheck.store import StoreError, save_analysis

    video = synthetic_video(tmp_path / "annotated.mp4")
    store.add_patient("P-gone", clips_opt_in=True)
    store.add_patient("P-stays", clips_opt_in=True)
    gone = save_analysis(three_reps(), _outputs(tmp_path, video), patient="P-gone", store=store)
    save_analysis(three_reps(), _outputs(tmp_path, video), patient="P-stays", store=store)
    gone_clip = store.session_detail(gone.session_id).sets[0].items[1].clip
    store.add_review("rep", store.session_detail(gone.session_id).sets[0].items[1].id, "agree")
    store.set_limit("P-gone", "plank", "hip_sag", 5.0)
    assert gone_clip.is_file()
    assert store.delete_patient("P-gone") == 1
    assert not gone_clip.exists() and not gone_clip.parent.exists()
    with pytest.raises(StoreError):
        store.session_detail(gone.session_id)
    with pytest.raises(StoreError):
        store.patient("P-gone")
    remaining = [p for p in store.clips_dir.rglob("*.mp4")]
    assert len(remaining) == 1  # P-stays keeps theirs
    from sqlalchemy import func, select

    from formcheck.store import models as m

    with store.session() as s:  # nothing of theirs is left behind in any table
        assert s.scalar(select(func.count()).select_from(m.Review)) == 0
        assert s.scalar(select(func.count()).select_from(m.PatientLimit)) == 0
        assert s.scalar(select(func.count()).select_from(m.Rep)) == 3


@SQLITE_ONLY
def test_deleting_a_session_deletes_its_clips(store, tmp_path):
    from formcheck.store import save_analysis

    video = synthetic_video(tmp_path / "annotated.mp4")
    store.add_patient("P-1", clips_opt_in=True)
    saved = save_analysis(three_reps(), _outputs(tmp_path, video), patient="P-1", store=store)
    clip = store.session_detail(saved.session_id).sets[0].items[1].clip
    assert store.delete_session(saved.session_id) == 1
    assert not clip.exists()
    assert store.sessions("P-1") == []


@SQLITE_ONLY
# -- series and progress -----------------------------------------------------------------------
def test_rep_series_come_from_frames_csv(store, tmp_path):
    from formcheck.store import save_analysis

    csv_path = tmp_path / "frames.csv"
    header = ("frame,t_ms,person_found,phase,signal,rep_count,hold_s,pelvis_rocking,pelvis_rocking_state,"
              "feet_together,feet_together_state,cue")
    lines = [header]
    for i in range(60):
        lines.append(f"{i},{i * 100},1,up,{i},0,0.0,{i / 2:.3f},ok,,unknown,")
    csv_path.write_text("\n".join(lines) + "\n")
    saved = save_analysis(three_reps(), _outputs(tmp_path, None), patient="P-1", store=store)
    series = store.session_detail(saved.session_id).sets[0].items[1].series
    assert series["t_s"][0] == pytest.approx(1.5) and series["t_s"][-1] == pytest.approx(5.0)
    assert series["pelvis_rocking"][0] == pytest.approx(7.5)
    assert set(series["feet_together"]) == {None}


@SQLITE_ONLY
def test_progress_over_sessions(store):
    from formcheck.store import save_analysis

    save_analysis(report([rep(1, 0, 1, side="left", rng=40), rep(2, 2, 3, side="right", rng=20)]), None,
                  patient="P-1", store=store)
    save_analysis(report([rep(1, 0, 1, side="left", rng=40), rep(2, 2, 3, side="right", rng=36),
                          rep(3, 4, 5, side="right", rng=36)]), None, patient="P-1", store=store)
    points = store.progress("P-1")
    assert [p.reps for p in points] == [2, 3]
    assert [p.balance for p in points] == [pytest.approx(0.5), pytest.approx(0.1)]
    assert points[1].mean_range == pytest.approx(112 / 3)


# -- recording again, clips from memory, an unreachable store -------------------------------------
def _frames(seconds: float, fps: int = 10, start_s: float = 0.0):
    from formcheck.frames import VideoFrame

    return [VideoFrame(i, int((start_s + i / fps) * 1000), np.full((48, 64, 3), 60 + i, np.uint8))
            for i in range(int(seconds * fps))]


def test_a_rerun_of_the_same_input_replaces_its_session_and_its_clips(store, tmp_path):
    store.add_patient("P-again", clips_opt_in=True)
    first = SetRecorder(store, "P-again", source="video", source_key="k1")
    first.start_set("clamshell")
    first.add_rep(rep(1, 0.5, 2.0, ("pelvis_rocking",)))
    clip = first.add_clip("rep", 1, _frames(3.0))
    assert clip is not None and clip.start_s == 0.0
    [item] = store.session_detail(first.session_id).sets[0].items
    assert item.clip is not None and item.clip_start_s == 0.0
    store.add_patient("P-other")
    SetRecorder(store, "P-other", source_key="k1").start_set("clamshell")  # same key, someone else: kept

    again = SetRecorder(store, "P-again", source="video", source_key="k1")
    again.start_set("clamshell")
    again.add_rep(rep(1, 0.5, 2.0))
    again.finish()
    assert again.replaced == first.session_id
    assert [s.id for s in store.sessions("P-again")] == [again.session_id]
    assert not item.clip.exists()
    assert len(store.sessions("P-other")) == 1


@SQLITE_ONLY
def test_clips_from_frames_are_kept_only_for_patients_who_agreed(store):
    for name, agreed in (("P-yes", True), ("P-no", False)):
        store.add_patient(name, clips_opt_in=agreed)
        rec = SetRecorder(store, name)
        rec.start_set("plank")
        rec.add_hold(HoldReport(index=1, start_s=4.0, end_s=9.0, duration_s=5.0, good_form_s=1.0, longest_good_s=1.0,
                                metrics={"hip_sag": 12.0}, flags=["hip_sag"], flag_details=[], score=20.0))
        kept = rec.add_clip("hold", 1, _frames(2.0, start_s=3.5))
        assert (kept is not None) == agreed
        with pytest.raises(ValueError, match="no rep 7"):
            rec.add_clip("rep", 7, _frames(1.0))
    [hold] = store.session_detail(store.sessions("P-yes")[0].id).sets[0].items
    assert hold.clip_start_s == 3.5 and hold.clip.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in store.clips_dir.rglob("*.mp4")] == [hold.clip.name]


def test_a_database_that_stops_answering_is_unavailable_and_comes_back(postgres_admin_url, postgres_template,
                                                                       tmp_path):
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from formcheck.store import StoreUnavailable, open_store
    from tests.test_store_db import fresh_postgres_db

    url = fresh_postgres_db(postgres_admin_url, postgres_template)
    name = make_url(url).database
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    store = open_store(url, tmp_path)
    store.add_patient("P-1")
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d"), {"d": name})
    try:
        with pytest.raises(StoreUnavailable, match="the session store is unavailable"):
            store.add_patient("P-2")
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
    store.add_patient("P-2")
    assert [p.pseudonym for p in store.patients()] == ["P-1", "P-2"]
    store.close()
    admin.dispose()


def test_a_store_made_before_clip_times_is_upgraded_with_its_data(tmp_path):
    from sqlalchemy import create_engine

    from formcheck.store import open_store, save_analysis
    from formcheck.store.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        upgrade(conn, "0001")
        conn.exec_driver_sql("INSERT INTO patients (pseudonym, clips_opt_in, clip_folder, created_at) "
                             f"VALUES ('P-old', 1, '{'a' * 32}', '2026-01-01 10:00:00')")
    engine.dispose()
    with open_store(url, tmp_path) as store:  # upgrades to head
        assert store.find_patient("P-old").clips_opt_in
        saved = save_analysis(three_reps(), None, patient="P-old", store=store)
        assert [i.clip_start_s for i in store.session_detail(saved.session_id).sets[0].items] == [None] * 3
