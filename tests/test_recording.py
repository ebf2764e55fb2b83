"""Sets stored while they run (``formcheck.recording``), with the real pose model on formcheck's
own rendered bird dog (two reps, both flagged for a rounded back) and real databases:

- a live set: each rep readable from another connection as soon as it ends, a playable clip of
  each flagged rep drawn with the coach's shapes (as the live page showed it), End set / pain stop, the set marked
  interrupted while no video comes and in progress again when it does, the store going away
  (PostgreSQL refusing connections, a SQLite file locked by another program) without the
  coaching waiting or a rep being lost;
- ``formcheck analyze --save``: killed mid-video it leaves every finished rep, and a re-run of
  the same file replaces that session rather than adding one.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import PYTHONPATH, REPO, SAMPLES
from tests.test_store_db import (  # noqa: F401  (fixtures)
    SQLITE_ONLY,
    db_url,
    postgres_admin_url,
    postgres_template,
    store,
)

BIRD_DOG = SAMPLES / "bird_dog_rounded_back.mp4"  # reps 0.7-2.2 s and 3.2-4.8 s, both flagged


def frames(path: Path = BIRD_DOG):
    from formcheck.capture import VideoFile

    with VideoFile(path) as video:
        yield from video.frames()


def wait_for(condition, timeout: float = 30.0, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
    return value


def stored_sets(db_url: str, data_dir: Path, patient: str, reap: bool = False):
    """The patient's sets as a second connection (another process, the review page) sees them."""
    from formcheck.store import open_store

    with open_store(db_url, data_dir, reap=reap) as other:
        if other.find_patient(patient) is None:
            return []
        return [st for sess in other.sessions(patient) for st in sess.sets]


@pytest.fixture
def closing():
    """Close the coaches a test makes, explicitly: a pose model left to the garbage collector
    can hang when it is finalised on another thread (see webapp.live.SessionRegistry)."""
    made = []
    yield lambda coach: made.append(coach) or coach
    for coach in made:
        coach.close()


# -- live ----------------------------------------------------------------------------------
@pytest.mark.slow
def test_a_live_set_is_stored_rep_by_rep_with_a_clip_of_each_flagged_rep(store, db_url, tmp_path, model_dir, closing):
    from formcheck.capture import VideoFile
    from formcheck.recording import LiveRecording

    store.add_patient("P-live", clips_opt_in=True)
    store.set_limit("P-live", "bird_dog", "torso_level", 9.0)
    recording = LiveRecording(store, "P-live")
    coach = closing(recording.make_coach("bird_dog"))
    assert (coach.limits.values["torso_level"], coach.limits.sources["torso_level"]) == (9.0, "patient")
    video = list(frames())
    raw = {f.t_ms: f.image for f in video}
    for frame in video[:72]:  # rep 1 ends at 2.2 s
        coach.step(frame.image, frame.t_ms)
    [during] = wait_for(lambda: stored_sets(db_url, tmp_path / "data", "P-live"), what="rep 1 in the store")
    assert (during.status, during.items, during.flagged) == ("in_progress", 1, 1)  # seen from elsewhere
    for frame in video[72:]:
        coach.step(frame.image, frame.t_ms)
    report = coach.finish()
    recording.finish(report)
    assert recording.wait(60)
    status = recording.status()
    assert (status.state, status.saved, status.clips, status.error) == ("saved", 2, 2, None)

    [after] = stored_sets(db_url, tmp_path / "data", "P-live")
    assert (after.status, after.items, after.flagged, after.score) == ("complete", 2, 2, report.set_score)
    [sess] = store.sessions("P-live")
    detail = store.session_detail(sess.id)
    assert sess.source == "camera" and detail.sets[0].limits["torso_level"] == 9.0
    for item, rep in zip(detail.sets[0].items, report.reps):
        assert (item.index, item.flags, item.side) == (rep.index, tuple(rep.flags), rep.side)
        assert item.series["t_s"][0] <= item.start_s and any(v is not None for v in item.series["spine_neutral"])
        with VideoFile(item.clip) as clip:
            assert clip.info.codec == "h264"
            shown = list(clip.frames())
        # the rep and a second either side (as far as the video goes), from the frames the coach kept
        start = max(item.start_s - 1.0, 0.0)
        assert item.clip_start_s == pytest.approx(start, abs=0.1)
        assert len(shown) / 24 == pytest.approx(item.end_s + 1.0 - start, abs=0.3)
        # drawn with the coach's shapes (skeleton, values, counter): not the camera's picture
        first = shown[0].image.astype(int)
        camera = raw[min(raw, key=lambda t: abs(t - item.clip_start_s * 1000))].astype(int)
        assert np.abs(first - camera).max() > 100


@pytest.mark.slow
@SQLITE_ONLY
def test_pain_stop_no_video_and_closing_the_page(store, db_url, tmp_path, model_dir, closing):
    """Set 1 stops for pain; set 2 sees no video for a while (marked interrupted, then in progress
    again when the video comes back), and the page closes before it ends."""
    from formcheck.recording import LiveRecording

    store.add_patient("P-2")
    recording = LiveRecording(store, "P-2", no_video_s=1.0)
    first = closing(recording.make_coach("bird_dog"))
    for frame in frames():
        first.step(frame.image, frame.t_ms)
        if frame.t_ms > 3000:
            break
    recording.finish(first.finish(pain=True), pain=True)
    assert recording.wait(30)

    second = closing(recording.make_coach("bird_dog"))
    video = list(frames())
    for frame in video[:80]:  # rep 1 ends at 2.2 s
        second.step(frame.image, frame.t_ms)
    wait_for(lambda: recording.status().saved == 1, what="rep 1 of set 2")
    statuses = lambda: [(st.status, st.items) for st in stored_sets(db_url, tmp_path / "data", "P-2")]  # noqa: E731
    wait_for(lambda: statuses()[1] == ("interrupted", 1), what="set 2 marked interrupted (no video)")
    for frame in video[80:]:
        second.step(frame.image, frame.t_ms)
    wait_for(lambda: statuses()[1] == ("in_progress", 2), what="set 2 under way again")
    recording.close()
    wait_for(lambda: recording.status().state == "closed", what="the recording to close")

    [pain, closed] = stored_sets(db_url, tmp_path / "data", "P-2")
    assert (pain.status, pain.items) == ("pain_stopped", 1)
    detail = store.session_detail(store.sessions("P-2")[0].id)
    assert len(detail.sets[0].pain_stops) == 1
    assert (closed.status, closed.items) == ("interrupted", 2)
    assert "closed before the set ended" in closed.status_reason
    assert all(i.clip is None for s in detail.sets for i in s.items)  # not opted in: no clips


@pytest.mark.slow
@SQLITE_ONLY
def test_an_auto_set_is_recorded_as_the_exercise_recognised(store, db_url, tmp_path, model_dir, closing):
    from formcheck.recording import LiveRecording

    store.add_patient("P-auto")
    recording = LiveRecording(store, "P-auto")
    coach = closing(recording.make_coach("auto"))
    for frame in frames():
        coach.step(frame.image, frame.t_ms)
    recording.finish(coach.finish())
    assert recording.wait(60)
    [st] = stored_sets(db_url, tmp_path / "data", "P-auto")
    assert (st.exercise, st.status, st.items) == ("bird_dog", "complete", 2)
    detail = store.session_detail(store.sessions("P-auto")[0].id)
    assert detail.sets[0].report["recognition"]["guessed"] == "bird_dog"


@pytest.mark.slow
def test_the_store_not_answering_holds_the_reps_until_it_does(postgres_admin_url, postgres_template, tmp_path,
                                                              model_dir, closing):
    """PostgreSQL refuses connections part-way through the set: the coach does not wait, the
    page is told, and the reps are written once the database answers again."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from formcheck.recording import LiveRecording
    from formcheck.store import open_store
    from tests.test_store_db import fresh_postgres_db

    url = fresh_postgres_db(postgres_admin_url, postgres_template)
    name = make_url(url).database
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")

    def connections(allowed: bool) -> None:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allowed).lower()}'))
            if not allowed:
                conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d"),
                             {"d": name})

    store = open_store(url, tmp_path / "data")
    store.add_patient("P-pg")
    recording = LiveRecording(store, "P-pg")
    coach = closing(recording.make_coach("bird_dog"))
    slowest = 0.0
    try:
        for frame in frames():
            if frame.t_ms >= 1500 and recording.status().saved == 0 and not recording.status().error:
                connections(False)
            started = time.monotonic()
            coach.step(frame.image, frame.t_ms)
            slowest = max(slowest, time.monotonic() - started)
        coach_report = coach.finish()
        recording.finish(coach_report)
        status = wait_for(lambda: recording.status() if recording.status().error else None,
                          what="the page to be told")
        assert "unavailable" in status.error and status.saved == 0 and status.waiting >= 1
        assert slowest < 1.0  # the frames never waited for the database
    finally:
        connections(True)
    assert recording.wait(60)
    status = recording.status()
    assert (status.state, status.saved, status.error) == ("saved", 2, None)
    [sess] = store.sessions("P-pg")
    assert (sess.sets[0].status, sess.sets[0].items) == ("complete", 2)
    store.close()
    admin.dispose()


@pytest.mark.slow
@SQLITE_ONLY
def test_a_locked_sqlite_file_is_waited_out(store, db_url, tmp_path, model_dir, closing):
    """Another program holds the SQLite file locked for longer than the store waits (30 s): the
    page says the store is unavailable, the set goes on, and the reps are written after."""
    from formcheck.recording import LiveRecording

    store.add_patient("P-lock")
    recording = LiveRecording(store, "P-lock")
    coach = closing(recording.make_coach("bird_dog"))
    locker = sqlite3.connect(db_url.removeprefix("sqlite:///"), timeout=1)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        for frame in frames():
            coach.step(frame.image, frame.t_ms)
        recording.finish(coach.finish())
        status = wait_for(lambda: recording.status() if recording.status().error else None, timeout=60,
                          what="the lock to be reported")
        assert "database is locked" in status.error and status.saved == 0
    finally:
        locker.rollback()
        locker.close()
    assert recording.wait(90)
    assert recording.status().saved == 2
    assert [(st.status, st.items) for st in stored_sets(db_url, tmp_path / "data", "P-lock")] == [("complete", 2)]


LIVE_SERVER_KILLED = """
import os, signal, sys, time
from formcheck.recording import LiveRecording
from formcheck.store import open_store
from tests.test_recording import frames

store = open_store(sys.argv[1], sys.argv[2])
store.add_patient("P-server")
recording = LiveRecording(store, "P-server")
coach = recording.make_coach("bird_dog")
for frame in frames():
    coach.step(frame.image, frame.t_ms)
    if recording.status().saved == 1:
        break  # rep 1 is stored; rep 2 is under way when the server dies
print("saved", recording.status().set_id, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.slow
def test_a_killed_server_leaves_the_live_set_interrupted_with_its_finished_reps(db_url, tmp_path, model_dir):
    from tests.test_store import run_py

    out = run_py(LIVE_SERVER_KILLED, db_url, str(tmp_path / "data"), timeout=300)
    assert out.returncode == -signal.SIGKILL, out.stderr[-2000:]
    set_id = int(out.stdout.split()[1])
    [st] = stored_sets(db_url, tmp_path / "data", "P-server", reap=True)  # the next open notices
    assert (st.id, st.status, st.items) == (set_id, "interrupted", 1)
    assert "ended before the set was finished" in st.status_reason


# -- a recorded video ----------------------------------------------------------------------
def looped(path: Path, times: int) -> Path:
    """The bird dog sample ``times`` over in one file (two reps each time)."""
    from formcheck.capture import VideoFile
    from formcheck.video_writer import H264Writer

    video = list(frames())
    with VideoFile(BIRD_DOG) as v:
        fps, (w, h) = v.info.fps, (v.info.width, v.info.height)
    step_ms = 1000.0 / fps
    with H264Writer(path, w, h, fps) as out:
        for k in range(times):
            for i, frame in enumerate(video):
                out.write(frame.image, int((k * len(video) + i) * step_ms))
    return path


def analyze_save(video: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "formcheck", "analyze", str(video), "-e", "bird_dog", "-o", str(out),
            "--save", "--patient", "P-kill", "--no-video"]


@pytest.mark.slow
def test_analyze_save_killed_mid_video_keeps_every_finished_rep_and_a_rerun_replaces_it(tmp_path, model_dir):
    from formcheck.store import open_store

    video = looped(tmp_path / "bird dog x6.mp4", 6)  # 12 reps in 36 s
    data = tmp_path / "data"
    env = {**os.environ, "PYTHONPATH": PYTHONPATH, "FORMCHECK_DATA_DIR": str(data), "FORMCHECK_DATABASE_URL": ""}
    url = f"sqlite:///{data / 'formcheck.db'}"
    proc = subprocess.Popen(analyze_save(video, tmp_path / "out"), cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        def reps_stored() -> int:
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
            time.sleep(0.2)
            sets = stored_sets(url, data, "P-kill") if (data / "formcheck.db").is_file() else []
            return sets[0].items if sets else 0

        wait_for(lambda: reps_stored() >= 3, timeout=180, what="three reps stored while the video is analysed")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    # it died before the end: the folder holds only the placeholder report saying so (issue 13)
    left = json.loads((tmp_path / "out" / "report.json").read_text())
    assert left["complete"] is False and left["incomplete_reason"].startswith("not finished:")

    [killed] = stored_sets(url, data, "P-kill", reap=True)  # opening the store notices the dead process
    assert killed.status == "interrupted" and "ended before the set was finished" in killed.status_reason
    assert 3 <= killed.items < 12
    with open_store(url, data) as store:
        [sess] = store.sessions("P-kill")
        items = store.session_detail(sess.id).sets[0].items
        assert [i.index for i in items] == list(range(1, killed.items + 1))
        assert all(i.flags and i.series for i in items)
        killed_session = sess.id

    done = subprocess.run(analyze_save(video, tmp_path / "out"), cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"(replacing session {killed_session}, saved from the same file)" in done.stdout
    [again] = stored_sets(url, data, "P-kill")
    assert (again.status, again.items) == ("complete", 12)


@SQLITE_ONLY
def test_a_video_with_nobody_in_it_stores_nothing(store, tmp_path, model_dir):
    from formcheck.recording import record_analysis
    from formcheck.video_writer import H264Writer

    blank = tmp_path / "wall.mp4"
    with H264Writer(blank, 320, 240, 10) as w:
        for i in range(12):
            w.write(np.full((240, 320, 3), 90, np.uint8), i * 100)
    report, _, saved = record_analysis(blank, "bird_dog", tmp_path / "out", patient="P-empty", store=store,
                                       write_video=False)
    assert report.frames_with_person == 0 and saved is None
    assert store.sessions("P-empty") == []
