"""The Streamlit app without a browser: page logic through ``streamlit.testing.v1.AppTest``,
the shared table/plot builders, upload checks, settings, and the live session holder fed
frames directly (the camera widget itself is only exercised in tests/browser)."""

from __future__ import annotations

import io
import json
import math
import sys
import time
import types

import av
import numpy as np
import pandas as pd
import pytest

from formcheck.report import (
    CheckSummary,
    FlagDetail,
    InputInfo,
    ProcessingInfo,
    RepReport,
    SessionReport,
    side_comparison,
)
from formcheck.webapp import common
from formcheck.webapp.analyse import UploadError, save_upload, sniff_container
from formcheck.webapp.settings import AppSettings, SettingError
from tests.conftest import media_clip

ANALYSE_SCRIPT = "from formcheck.webapp.analyse import analyse_page\nanalyse_page()\n"
LIVE_SCRIPT = """
from formcheck.webapp import live
live.live_page(video_widget=lambda session, settings: False)
"""


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    """Each test's pages save into a store of its own (a SQLite file under tmp_path)."""
    monkeypatch.delenv("FORMCHECK_DATABASE_URL", raising=False)
    monkeypatch.setenv("FORMCHECK_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


@pytest.fixture(autouse=True)
def close_live_sessions():
    """Close the live sessions a test made (explicitly: see live.SessionRegistry)."""
    yield
    from formcheck.webapp.live import SESSIONS

    SESSIONS.close_all()


def app(script: str):
    from streamlit.testing.v1 import AppTest

    return AppTest.from_string(script, default_timeout=120)


def errors(at) -> list[str]:
    return [e.value for e in at.error]


# -- settings --------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["0", "-3", "lots"])
def test_bad_upload_limit(value):
    with pytest.raises(SettingError, match="FORMCHECK_MAX_UPLOAD_MB"):
        AppSettings.from_env({"FORMCHECK_MAX_UPLOAD_MB": value})


def test_upload_limit_in_bytes():
    assert AppSettings.from_env({"FORMCHECK_MAX_UPLOAD_MB": "5"}).max_upload_bytes == 5_000_000


# -- uploads ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("head,kind", [
    (b"\x00\x00\x00\x20ftypisom\x00\x00", "mp4"),
    (b"\x00\x00\x00\x14ftypqt  \x00\x00", "mov"),
    (b"\x00\x00\x00\x08wide\x00\x00\x00\x00", "mov"),
    (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42", "webm"),
    (b"RIFF\x00\x10\x00\x00AVI LIST", "avi"),
    (b"GIF89a\x10\x00\x10\x00\x00\x00", "gif"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", None),
    (b"<html><body>x</body>", None),
    (b"", None),
])
def test_sniff_container_by_content(head, kind):
    assert sniff_container(head) == kind


def test_upload_saved_under_a_generated_name(tmp_path):
    clip = media_clip("plank__tbf.mp4")
    data = clip.read_bytes()
    path = save_upload(io.BytesIO(data), "../../etc/evil name.mp4", len(data), tmp_path, 10**9)
    assert path.parent == tmp_path
    assert path.name.startswith("upload-") and path.suffix == ".mp4"
    assert "evil" not in path.name
    assert path.read_bytes() == data


def test_upload_too_big_refused_before_writing(tmp_path):
    with pytest.raises(UploadError, match="limit is 1.0 MB"):
        save_upload(io.BytesIO(b"x" * 10), "big.mp4", 2_000_000, tmp_path, 1_000_000)
    assert not list(tmp_path.iterdir())


def test_truncated_video_refused(tmp_path):
    data = media_clip("plank__kaiakol-004.mp4").read_bytes()[:3000]
    with pytest.raises(UploadError) as info:
        save_upload(io.BytesIO(data), "cut.mp4", len(data), tmp_path, 10**9)
    assert "'cut.mp4'" in str(info.value) and str(tmp_path) not in str(info.value)


# -- the analyse page ------------------------------------------------------------------------------
def test_analyse_page_starts_empty():
    at = app(ANALYSE_SCRIPT).run()
    assert not at.exception
    assert "Choose a video file" in at.info[0].value
    assert "200 MB" in at.caption[0].value
    ids = at.selectbox(key="analyse_exercise").options
    assert len(ids) == len(common.exercise_ids()) + 1
    assert ids[0] == common.exercise_label("auto")  # recognition first: the default


@pytest.mark.parametrize("name,content,message", [
    ("notes.mp4", b"hello, this is text pretending to be a video", "not a video this page can read"),
    ("empty.mov", b"", "empty"),
    ("fake.gif", b"GIF89a" + b"\x00" * 200, "not a readable video"),
])
def test_analyse_page_rejects_bad_uploads_with_a_message(name, content, message):
    at = app(ANALYSE_SCRIPT).run()
    at.file_uploader(key="analyse_upload").set_value((name, content, "video/mp4")).run()
    assert not at.exception
    assert any(message in e for e in errors(at)), errors(at)
    assert not any(b.label == "Analyse" for b in at.button)


def test_analyse_page_enforces_the_size_setting(monkeypatch):
    monkeypatch.setenv("FORMCHECK_MAX_UPLOAD_MB", "1")
    data = media_clip("plank__kaiakol-004.mp4").read_bytes()
    assert len(data) > 1_000_000
    at = app(ANALYSE_SCRIPT).run()
    assert "1.0 MB" in at.caption[0].value
    at.file_uploader(key="analyse_upload").set_value(("plank.mp4", data, "video/mp4")).run()
    assert any("the limit is 1.0 MB" in e for e in errors(at)), errors(at)


def _blank_video(path, frames: int = 12) -> bytes:
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        for _ in range(frames):
            frame = av.VideoFrame.from_ndarray(np.full((240, 320, 3), 90, np.uint8), format="rgb24")
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path.read_bytes()


def test_analyse_page_says_when_no_person_is_found(model_dir, tmp_path):
    at = app(ANALYSE_SCRIPT).run()
    at.file_uploader(key="analyse_upload").set_value(("wall.mp4", _blank_video(tmp_path / "b.mp4"), "video/mp4"))
    at.run()
    assert not errors(at)
    at.button(key="analyse_run").click().run()
    assert not at.exception
    assert any("No person was found" in e for e in errors(at)), errors(at)


def test_analyse_page_names_a_set_up_problem_that_lasts_the_whole_video(model_dir):
    """A plank uploaded as a bird dog: the page says to get onto hands and knees."""
    from tests.conftest import SAMPLES

    at = app(ANALYSE_SCRIPT).run()
    clip = SAMPLES / "plank_correct.mp4"
    at.file_uploader(key="analyse_upload").set_value((clip.name, clip.read_bytes(), "video/mp4"))
    at.selectbox(key="analyse_exercise").select("bird_dog")
    at.run()
    at.button(key="analyse_run").click().run()
    assert not at.exception and not errors(at)
    warnings = [w.value for w in at.warning]
    assert any("get down onto your hands and knees (in 100% of frames)" in w for w in warnings), warnings


@pytest.mark.slow
def test_analyse_page_result_matches_the_api(model_dir, tmp_path):
    from formcheck import api

    clip = media_clip("plank__kaiakol-004.mp4")
    expected, _ = api.analyze(clip, "plank", tmp_path / "api", write_video=False)
    at = app(ANALYSE_SCRIPT).run()
    at.file_uploader(key="analyse_upload").set_value(("my plank.mp4", clip.read_bytes(), "video/mp4"))
    at.selectbox(key="analyse_exercise").select("plank")
    at.run()
    at.button(key="analyse_run").click().run()
    assert not at.exception and not errors(at)
    assert "Analysed 'my plank.mp4'" in at.success[0].value
    holds = at.table[0].value
    assert list(holds["Hold"]) == [h.index for h in expected.holds]
    assert [r.startswith("flagged") for r in holds["Result"]] == [bool(h.flags) for h in expected.holds]
    assert list(holds["Score"]) == [round(h.score) for h in expected.holds]
    assert [b.label for b in at.get("download_button")] == ["report.json", "frames.csv", "annotated.mp4"]


# -- tables and charts -----------------------------------------------------------------------------
def _rep(index, side, flags, score, start):
    return RepReport(index=index, start_s=start, peak_s=start + 1, end_s=start + 2.5, side=side,
                     range=40.0 + index, range_unit="deg", time_up_s=1.0, top_pause_s=0.5,
                     time_down_s=1.0, metrics={"back_flat": 5.0}, unknown_fraction={"back_flat": 0.0},
                     flags=flags, flag_details=[FlagDetail(check=f, worst=12.0, limit=10.0, past_by=2.0)
                                                for f in flags if f != "tempo"],
                     score=score, passed=not flags)


def reps_report() -> SessionReport:
    reps = [_rep(1, "left", [], 100.0, 0.0), _rep(2, "right", ["back_flat", "tempo"], 64.0, 3.0),
            _rep(3, "left", [], 100.0, 6.0)]
    check = CheckSummary(id="back_flat", title="Back flat", unit="deg", limit=10.0, flag_when="above",
                         frames_ok=80, frames_flag=20, frames_unknown=5, flagged_in=1, worst=12.0,
                         measurable_in_view=True)
    return SessionReport(
        exercise="bird_dog", exercise_name="Bird dog", kind="reps",
        input=InputInfo(kind="video", width=640, height=480, fps=30.0),
        processing=ProcessingInfo(formcheck_version="0", smoothing="one_euro", min_visibility=0.5),
        frames_total=105, frames_with_person=100, detection_rate=0.95, duration_s=9.0, view="side",
        checks=[check], reps=reps, rep_count=3, set_score=88.0, sides=side_comparison(reps))


def test_rep_table_shows_side_score_and_flag_titles():
    table = common.rep_table(reps_report())
    assert list(table["Rep"]) == [1, 2, 3]
    assert list(table["Side"]) == ["left", "right", "left"]
    assert list(table["Result"]) == ["pass", "flagged: Back flat, Tempo (rushed)", "pass"]
    assert list(table["Score"]) == [100, 64, 100]


def test_check_and_side_tables():
    report = reps_report()
    checks = common.check_table(report).set_index("Check")
    assert checks.loc["Back flat", "Flags when"] == "above 10 deg"
    assert checks.loc["Back flat", "Worst"] == "12.0 deg"
    assert checks.loc["Back flat", "Flagged in (reps)"] == 1
    assert checks.loc["Back flat", "Frames flagged"] == "20%"
    sides = common.side_table(report).set_index("Side")
    assert sides.loc["Left", "Reps"] == 2 and sides.loc["Right", "Flagged reps"] == 1


def frames_table() -> pd.DataFrame:
    t = np.arange(10) * 100
    value = [1, 2, np.nan, 12, 13, 14, 3, 2, 15, 16]
    state = ["ok", "ok", "unknown", "flag", "flag", "flag", "ok", "ok", "flag", "flag"]
    return pd.DataFrame({"t_ms": t, "t_s": t / 1000, "back_flat": value, "back_flat_state": state})


def test_flag_spans():
    assert common.flag_spans(frames_table(), "back_flat") == [(0.3, 0.6), (0.8, 0.9)]


def test_metric_chart_has_flag_bands_line_and_limit():
    check = reps_report().checks[0]
    spec = common.metric_chart(frames_table(), check).to_dict()
    marks = [layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]
             for layer in spec["layer"]]
    assert marks == ["rect", "line", "rule"]
    assert spec["title"]["text"] == "Back flat"


def test_read_frames_adds_seconds(tmp_path):
    path = tmp_path / "frames.csv"
    path.write_text("frame,t_ms,back_flat,back_flat_state\n0,0,,unknown\n1,40,3.5,ok\n")
    frames = common.read_frames(path)
    assert list(frames["t_s"]) == [0.0, 0.04]
    assert math.isnan(frames["back_flat"][0])


def test_exercise_ids_come_from_the_registry():
    from formcheck.exercises import all_exercises

    ids = common.exercise_ids()
    assert sorted(ids) == sorted(all_exercises())
    assert ids[-1] == "pose_only"


# -- navigation ------------------------------------------------------------------------------------
def test_review_page_is_added_only_when_its_module_imports(monkeypatch):
    from formcheck import webapp

    monkeypatch.setitem(sys.modules, webapp.REVIEW_MODULE, None)  # import fails
    assert webapp._review_page() is None
    module = types.ModuleType(webapp.REVIEW_MODULE)
    module.review_page = lambda: None
    monkeypatch.setitem(sys.modules, webapp.REVIEW_MODULE, module)
    assert webapp._review_page() is module.review_page


def test_app_script_runs(monkeypatch):
    from streamlit.testing.v1 import AppTest

    from formcheck.webapp import APP_SCRIPT, live

    monkeypatch.setattr(live, "camera_widget", lambda session, settings: False)
    monkeypatch.setattr(live.live_page, "__defaults__", (live.camera_widget,))
    at = AppTest.from_file(str(APP_SCRIPT), default_timeout=120).run()
    assert not at.exception
    assert at.title[0].value == "Live coaching"


def test_app_serves_the_pages_and_the_live_frame_channel():
    import importlib.util

    from starlette.routing import WebSocketRoute

    from formcheck.webapp import APP_SCRIPT
    from formcheck.webapp.live_camera.channel import FrameChannel

    spec = importlib.util.spec_from_file_location("formcheck_app", common.Path(__file__).resolve().parents[1] / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.app._script_path == APP_SCRIPT
    [route] = module.app._user_routes
    assert isinstance(route, WebSocketRoute) and route.path == "/_formcheck/live/frames"
    assert isinstance(route.endpoint.__self__, FrameChannel)


# -- the review page -----------------------------------------------------------------------------
@pytest.mark.parametrize("value", [1000.0, float("nan"), float("inf"), 180.0])
def test_review_page_refuses_an_unusable_limit(tmp_path, monkeypatch, value):
    from formcheck.store import open_store

    monkeypatch.setenv("FORMCHECK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("FORMCHECK_DATABASE_URL", raising=False)
    monkeypatch.delenv("FORMCHECK_REVIEW_PASSWORD", raising=False)
    with open_store(None, tmp_path) as store:
        store.add_patient("P-1")
    at = app("from formcheck.webapp.review import review_page\nreview_page()").run()
    key = "lim-P-1-anti_rotation-shoulder_dip"
    assert (at.number_input(key=key).min, at.number_input(key=key).max) == (-180.0, 180.0)
    at.number_input(key=key).set_value(value)
    at.button(key="FormSubmitter:limits-P-1-anti_rotation-Save limits").click()
    at.run()
    assert not at.exception
    if value == 180.0:  # the widget's bounds are inclusive, the store's are not: one line
        assert errors(at) == ["anti_rotation shoulder_dip=180: a limit must be a finite number between "
                              "-180 and 180 deg"]
    with open_store(None, tmp_path) as store:
        assert store.limits("P-1") == {}


# -- the server ------------------------------------------------------------------------------------
def test_the_server_sends_frame_and_content_policies(tmp_path):
    """``streamlit run app.py`` serves the ``st.App`` of app.py, whose middleware adds the
    headers to every response (the browser tests check that no page breaks them)."""
    import os
    import socket
    import subprocess
    import urllib.request

    from tests.conftest import PYTHONPATH, REPO

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path / "streamlit.log"
    with open(log, "wb") as fh:
        server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                                   "--server.address", "127.0.0.1", "--server.headless", "true",
                                   "--server.fileWatcherType", "none"],
                                  cwd=REPO, env={**os.environ, "PYTHONPATH": PYTHONPATH}, stdout=fh,
                                  stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while "You can now view" not in log.read_text(errors="replace"):
            assert server.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.3)
        for path in ("/", "/analyse", "/_stcore/health"):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as response:
                headers = response.headers
            assert headers["X-Frame-Options"] == "SAMEORIGIN", path
            policy = headers["Content-Security-Policy"]
            assert "frame-ancestors 'self'" in policy and "default-src 'self'" in policy, path
            assert "'sha256-" in policy and "unsafe-eval" not in policy
    finally:
        server.terminate()
        server.wait(30)


# -- the live page ---------------------------------------------------------------------------------
def test_live_page_shows_camera_placement_and_cautions(model_dir):
    from formcheck.exercises import get_exercise

    at = app(LIVE_SCRIPT).run()
    assert not at.exception
    at.selectbox(key="live_exercise").select("plank").run()
    plank = get_exercise("plank")
    text = " ".join(m.value for m in at.markdown)
    assert plank.camera in text
    assert all(c in at.warning[0].value for c in plank.cautions)
    assert "Press **Start camera**" in at.info[0].value


def test_live_page_pain_button_ends_the_set_with_advice(model_dir):
    at = app(LIVE_SCRIPT).run()
    at.selectbox(key="live_exercise").select("plank").run()
    at.button(key="live_pain").click().run()
    assert not at.exception
    assert any("Stop the exercise now" in e and "clinician" in e for e in errors(at))
    assert any(s.value == "Set summary" for s in at.subheader)
    assert any("stopped because it hurt" in w.value for w in at.warning)
    assert any("The user reported pain" in w.value for w in at.warning)
    from formcheck.webapp.live import SESSIONS

    session = SESSIONS.find(at.session_state["live_session_id"])
    assert session.pain_reported and session.report.complete is False


def _camera_frames(clip, n: int):
    """(RGB 640x360 image, capture time in epoch ms) for the first ``n`` frames of ``clip``."""
    with av.open(str(clip)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i >= n:
                return
            yield frame.reformat(width=640, height=360).to_ndarray(format="rgb24"), 1.7e12 + frame.time * 1000


def test_live_session_counts_a_hold_and_records_a_pain_stop(plank_live_session):
    from formcheck.annotate import Text
    from formcheck.coach import PAIN_REASON

    session = plank_live_session
    frames = list(_camera_frames(media_clip("plank__kaiakol-004.mp4"), 60))
    for image, captured in frames:
        overlay = session.coach_frame(image, captured, (1280, 720))
        assert overlay.send_side == 640 and "full model" in overlay.quality
        assert any(isinstance(s, Text) and s.text.startswith("hold") for s in overlay.shapes)
    status = session.status()
    assert status.state == "running" and status.frames == 60
    assert status.latest.has_person and status.latest.hold_s > 0.3
    # the set's clock is the capture clock: 60 frames of a 30 fps clip are 2 s
    assert status.latest.t_ms == round(frames[-1][1] - frames[0][1])
    assert status.fps > 0 and status.latency_p50_ms > 0
    assert session.coach_frame(image, captured - 100, (1280, 720)) is None  # older: dropped
    report = session.end(pain=True)
    assert report.input.kind == "camera" and report.frames_total == 60
    assert report.complete is False and report.incomplete_reason == PAIN_REASON
    assert len(report.holds) == 1
    assert json.loads(report.model_dump_json())["exercise"] == "plank"
    assert session.status().state == "stopped_pain"
    after = session.coach_frame(image, captured + 100, (1280, 720))
    assert [s.text for s in after.shapes if isinstance(s, Text)][0] == "Stopped: it hurts"
    assert after.quality == "the set has ended, not coaching"
    assert session.status().frames == 60  # a banner, no processing


def test_live_session_keeps_capture_time_when_frames_drop(plank_live_session):
    session = plank_live_session
    kept = list(_camera_frames(media_clip("plank__kaiakol-004.mp4"), 90))[::3]  # a slow machine: 1 in 3
    for image, captured in kept:
        session.coach_frame(image, captured, (640, 360))
    latest = session.status().latest
    assert session.status().frames == len(kept)
    assert latest.t_ms == round(kept[-1][1] - kept[0][1])
    assert latest.hold_s == pytest.approx((kept[-1][1] - kept[0][1]) / 1000, abs=0.5)


def test_idle_live_sessions_are_closed(model_dir):
    from formcheck.exercises import get_exercise
    from formcheck.webapp.live import LiveSession, SessionRegistry

    registry = SessionRegistry(idle_s=60)
    session = registry.get("a", LiveSession)
    session.start(get_exercise("plank"))
    assert registry.by_token(session.stream_token) is session
    assert registry.reap(now=session.last_active + 30) == 0
    assert registry.reap(now=session.last_active + 61) == 1
    assert registry.find("a") is None and registry.by_token(session.stream_token) is None
    overlay = session.coach_frame(np.zeros((360, 640, 3), np.uint8), 1.0, (640, 360))
    assert overlay.shapes == []  # closed: nothing coached, nothing drawn


# -- who the live set is for ---------------------------------------------------------------------
def _store(data_dir):
    from formcheck.store import open_store

    return open_store(None, data_dir)


def live_with_link(patient: str | None):
    at = app(LIVE_SCRIPT)
    if patient is not None:
        at.query_params["patient"] = patient
    return at.run()


def captions(at) -> str:
    """The captions' text as shown (Markdown escapes dropped)."""
    return " ".join(c.value for c in at.caption).replace("\\", "")


def test_without_a_patient_nothing_is_saved_and_no_exercise_is_guessed(data_dir):
    at = live_with_link(None)
    assert not at.exception
    assert at.selectbox(key="live_patient").value == "Do not save"
    assert at.selectbox(key="live_exercise").value is None
    assert any("Choose the exercise" in i.value for i in at.info)


def test_the_link_opens_the_page_for_its_patient_on_their_last_exercise(data_dir, model_dir):
    from formcheck.store import save_analysis
    from tests.test_store import three_reps

    with _store(data_dir) as store:
        store.add_patient("P-017")
        store.set_limit("P-017", "clamshell", "pelvis_rocking", 11.0)
        save_analysis(three_reps(), None, patient="P-017", store=store)  # a clamshell set
    at = live_with_link("P-017")
    assert not at.exception, at.exception
    assert at.selectbox(key="live_patient").value == "P-017"
    assert at.selectbox(key="live_exercise").value == "clamshell"
    assert "P-017's own limits: No rocking 11 deg" in captions(at)
    assert "Saving to P-017: 0 reps so far" in captions(at)
    from formcheck.webapp.live import SESSIONS

    session = SESSIONS.find(at.session_state["live_session_id"])
    assert session.limits.values["pelvis_rocking"] == 11.0 and session.recording.patient == "P-017"


def test_an_unknown_patient_in_the_link_is_offered_not_made(data_dir, model_dir):
    at = live_with_link("P-new")
    assert not at.exception
    assert any("P-new" in w.value and "not in this computer's records" in w.value for w in at.warning)
    assert at.selectbox(key="live_patient").value == "Do not save"
    with _store(data_dir) as store:
        assert store.find_patient("P-new") is None
    at.button(key="live_patient-create-linked").click().run()
    assert at.selectbox(key="live_patient").value == "P-new"
    with _store(data_dir) as store:
        assert store.find_patient("P-new") is not None and not store.find_patient("P-new").clips_opt_in
    at.selectbox(key="live_patient").select("Do not save").run()  # the link follows the choice
    assert "patient" not in at.query_params
    at.selectbox(key="live_patient").select("P-new").run()
    assert at.query_params["patient"] in ("P-new", ["P-new"])


@pytest.mark.parametrize("link", ["../../etc/passwd", "<script>x</script>", "x" * 65, "-rf"])
def test_a_link_naming_no_pseudonym_is_refused(data_dir, link):
    at = live_with_link(link)
    assert not at.exception
    assert any("not a pseudonym" in e for e in errors(at)), errors(at)
    assert at.selectbox(key="live_patient").value == "Do not save"
    with _store(data_dir) as store:
        assert store.patients() == []
    assert not any(p.name.startswith(("..", "<", "-")) for p in data_dir.rglob("*"))


def test_a_store_that_cannot_be_reached_is_said_and_the_set_goes_on_unsaved(monkeypatch, model_dir):
    monkeypatch.setenv("FORMCHECK_DATABASE_URL", "postgresql://formcheck@127.0.0.1:9/formcheck")
    at = live_with_link("P-017")
    assert not at.exception
    assert any("Nothing can be saved" in w.value and "cannot open the session store" in w.value
               for w in at.warning), [w.value for w in at.warning]
    at.selectbox(key="live_exercise").select("plank").run()
    assert not at.exception and not errors(at)
    assert "Not saving: no patient chosen." in captions(at)
    assert "Press **Start camera**" in at.info[0].value  # the set is ready, unsaved
