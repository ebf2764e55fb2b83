"""The live camera's frame channel (``formcheck.webapp.live_camera``) served by a real uvicorn
server to a real WebSocket client, coaching real frames of a plank clip with the real pose
model: answers with shapes, only same-origin pages with a live session's token, the newest
frame replacing one still waiting, bad frames answered with an error; a patient's set recorded
from the frames the channel brings (reps stored as they end, interrupted when the frames stop,
the flagged reps' clips drawn). The browser's side is tested in tests/browser/test_live.py and
tests/browser/test_recording_pages.py."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time

import cv2
import numpy as np
import pytest

from formcheck.capture import VideoFile
from tests.conftest import media_clip

PLANK = "plank__kaiakol-004.mp4"
EPOCH_MS = 1.7e12  # capture times are milliseconds since the epoch on the browser's clock


def _jpeg_frames(n: int, width: int = 640) -> list[tuple[bytes, float, tuple[int, int]]]:
    """(JPEG, capture time, camera size) of the first ``n`` frames of the plank clip."""
    out = []
    with VideoFile(media_clip(PLANK)) as video:
        for frame in video.frames():
            if len(out) >= n:
                break
            h, w = frame.image.shape[:2]
            image = cv2.resize(frame.image, (width, round(h * width / w)), interpolation=cv2.INTER_AREA)
            ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 80])
            out.append((jpeg.tobytes(), EPOCH_MS + frame.t_ms, (w, h)))
    return out


@pytest.fixture(scope="module")
def plank_frames():
    return _jpeg_frames(45)


@pytest.fixture
def session(plank_live_session):
    return plank_live_session


@contextlib.contextmanager
def serving(find):
    """The frame channel's route on a uvicorn server in a thread; yields its ws:// URL."""
    import uvicorn
    from starlette.applications import Starlette

    from formcheck.webapp.live_camera.component import routes

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=routes(find)), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"ws://127.0.0.1:{port}/_formcheck/live/frames", f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextlib.contextmanager
def connected(session):
    """A client that said hello with ``session``'s token; yields (socket, the ready message)."""
    from websockets.sync.client import connect

    with serving(lambda token: session if token == session.stream_token else None) as (url, origin), \
            connect(url, origin=origin, max_size=None) as ws:
        ws.send(json.dumps({"type": "hello", "token": session.stream_token}))
        yield ws, json.loads(ws.recv(timeout=30))


def _message(seq: int, jpeg: bytes, captured: float, size: tuple[int, int]) -> bytes:
    from formcheck.webapp.live_camera.channel import frame_message

    return frame_message(seq, captured, size, jpeg)


def test_frames_are_coached_and_answered_with_what_to_draw(session, plank_frames):
    with connected(session) as (ws, ready):
        assert ready == {"type": "ready", "quality": "full model, pose at camera size", "send_side": 640}
        answers = []
        for seq, (jpeg, captured, size) in enumerate(plank_frames, 1):
            ws.send(_message(seq, jpeg, captured, size))
            answers.append(json.loads(ws.recv(timeout=60)))
    assert [a["type"] for a in answers] == ["frame"] * len(plank_frames)
    assert [a["seq"] for a in answers] == list(range(1, len(plank_frames) + 1))
    last = answers[-1]
    texts = [s["text"] for s in last["shapes"] if s["kind"] == "text"]
    assert any(t.startswith("hold ") for t in texts) and any(t.startswith("Hips sagging") for t in texts)
    lines = [s for s in last["shapes"] if s["kind"] == "line"]
    assert lines, "no skeleton in the answer"
    w, h = plank_frames[0][2]
    # drawn for the camera's frame (1280x720), though pose ran on the 640-pixel JPEG
    assert max(p[0] for s in lines for p in s["points"]) > 640 and all(0 <= p[1] <= h for s in lines for p in s["points"])
    assert last["server"]["coach_ms"] > 0 and last["server"]["answered_at"] >= last["server"]["received_at"] > EPOCH_MS
    assert last["send_side"] == 640
    status = session.status()
    assert status.frames == len(plank_frames) and status.latest.hold_s > 0.5
    assert status.latest.t_ms == round(plank_frames[-1][1] - plank_frames[0][1])


def test_a_frame_still_waiting_is_replaced_by_the_newest(session, plank_frames):
    with connected(session) as (ws, _):
        for seq, (jpeg, captured, size) in enumerate(plank_frames, 1):
            ws.send(_message(seq, jpeg, captured, size))  # all at once: a client that does not wait
        answers = []
        while not answers or answers[-1]["seq"] != len(plank_frames):
            answers.append(json.loads(ws.recv(timeout=60)))
    seqs = [a["seq"] for a in answers]
    assert seqs == sorted(seqs) and seqs[-1] == len(plank_frames)
    assert len(answers) < len(plank_frames) / 2, f"frames were queued, not replaced: {seqs}"
    assert session.status().frames == len(answers)


def test_a_frame_older_than_one_coached_is_skipped(session, plank_frames):
    (jpeg, captured, size), later = plank_frames[0], plank_frames[5]
    with connected(session) as (ws, _):
        ws.send(_message(1, later[0], later[1], later[2]))
        assert json.loads(ws.recv(timeout=60))["type"] == "frame"
        ws.send(_message(2, jpeg, captured, size))
        assert json.loads(ws.recv(timeout=60)) == {"type": "skipped", "seq": 2}
    assert session.status().frames == 1


def test_a_bad_frame_gets_an_error_and_the_channel_goes_on(session, plank_frames):
    jpeg, captured, size = plank_frames[0]
    with connected(session) as (ws, _):
        ws.send(b"\x00\x00\x00\x05{bad}not a jpeg")
        error = json.loads(ws.recv(timeout=30))
        assert error["type"] == "error" and not error["fatal"] and "could not be read" in error["message"]
        ws.send(_message(1, b"not a jpeg", captured, size))
        assert "not a JPEG" in json.loads(ws.recv(timeout=30))["message"]
        ws.send(_message(2, jpeg, captured, size))
        assert json.loads(ws.recv(timeout=60))["type"] == "frame"


def test_other_sites_and_unknown_tokens_are_refused(session):
    from websockets.exceptions import ConnectionClosed, InvalidStatus
    from websockets.sync.client import connect

    with serving(lambda token: session if token == session.stream_token else None) as (url, origin):
        with pytest.raises(InvalidStatus) as refused:
            with connect(url, origin="http://elsewhere.example"):
                pass
        assert refused.value.response.status_code == 403
        with connect(url, origin=origin) as ws:
            ws.send(json.dumps({"type": "hello", "token": "guessed"}))
            error = json.loads(ws.recv(timeout=30))
            assert error["type"] == "error" and error["fatal"] and "reload the page" in error["message"]
            with pytest.raises(ConnectionClosed):
                ws.recv(timeout=30)


def test_a_session_that_ends_tells_the_page(session, plank_frames):
    jpeg, captured, size = plank_frames[0]
    with connected(session) as (ws, _):
        session.end(pain=True)
        ws.send(_message(1, jpeg, captured, size))
        answer = json.loads(ws.recv(timeout=60))
        assert "Stopped: it hurts" in [s.get("text") for s in answer["shapes"]]
        session.close()
        ws.send(_message(2, jpeg, captured + 40, size))
        assert json.loads(ws.recv(timeout=60))["shapes"] == []


@pytest.mark.parametrize("origin,host,same", [
    ("http://127.0.0.1:8501", "127.0.0.1:8501", True),
    ("https://clinic.example", "clinic.example", True),
    ("https://Clinic.Example", "clinic.example", True),
    ("https://clinic.example", "clinic.example:8501", False),
    ("https://other.example", "clinic.example", False),
    (None, "clinic.example", False),
    ("null", "clinic.example", False),
])
def test_same_origin(origin, host, same):
    from formcheck.webapp.live_camera.channel import same_origin

    assert same_origin(origin, host) is same


def _with_header(header: bytes, rest: bytes = b"jpeg") -> bytes:
    return len(header).to_bytes(4, "big") + header + rest


@pytest.mark.parametrize("message,reason", [
    (b"", "too short"),
    (b"\x00\x00\xff\xff{}", "length out of range"),
    (_with_header(b"{}"), "bad frame header"),
    (_with_header(b'{"seq": 1, "captured": 1e400, "width": 640, "height": 480}'), "impossible"),
    (_with_header(b'{"seq": 1, "captured": 5, "width": 0, "height": 480}'), "impossible"),
    (_with_header(b'{"seq": 1, "captured": 5, "width": 640, "height": 480}', b"GIF89a"), "not a JPEG"),
])
def test_unreadable_frames_say_why(message, reason):
    from formcheck.webapp.live_camera.channel import FrameError, read_frame

    with pytest.raises(FrameError, match=reason):
        read_frame(message)


def test_a_frame_message_reads_back():
    from formcheck.webapp.live_camera.channel import frame_message, read_frame

    image = np.zeros((48, 64, 3), np.uint8)
    image[:, :32] = (250, 20, 20)
    ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    frame = read_frame(frame_message(7, EPOCH_MS + 0.5, (640, 480), jpeg.tobytes()))
    assert (frame.seq, frame.captured_ms, frame.size) == (7, EPOCH_MS + 0.5, (640, 480))
    assert frame.image.shape == (48, 64, 3) and frame.image[24, 8, 0] > 200 > frame.image[24, 8, 2]


def test_the_channel_lives_under_the_apps_base_path():
    from streamlit import config

    from formcheck.webapp.live_camera.component import frames_path, routes

    before = config.get_option("server.baseUrlPath")
    try:
        config.set_option("server.baseUrlPath", "/clinic/formcheck/")
        assert frames_path() == "/clinic/formcheck/_formcheck/live/frames"
        assert routes(lambda token: None)[0].path == frames_path()
    finally:
        config.set_option("server.baseUrlPath", before)


@pytest.mark.slow
def test_a_patients_set_over_the_channel_is_recorded_and_marked_interrupted_when_frames_stop(tmp_path, model_dir):
    """The live page's recording fed by the frame channel, as the browser feeds it: formcheck's
    rendered bird dog (two reps, both flagged) sent as 640-pixel JPEGs; each rep is stored as it
    ends; the socket closing (the tab closed) leaves the set interrupted for want of video; End
    set then completes it with a clip of each flagged rep, drawn with the shapes the page got."""
    from formcheck.capture import VideoFile
    from formcheck.recording import LiveRecording
    from formcheck.store import open_store
    from formcheck.webapp.live import LiveSession
    from tests.test_recording import BIRD_DOG, stored_sets, wait_for

    camera = []
    with VideoFile(BIRD_DOG) as video:
        for frame in video.frames():
            h, w = frame.image.shape[:2]
            small = cv2.resize(frame.image, (640, round(h * 640 / w)), interpolation=cv2.INTER_AREA)
            ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(small, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 80])
            camera.append((jpeg.tobytes(), EPOCH_MS + frame.t_ms, (w, h), small))
    data = tmp_path / "data"
    with open_store(None, data) as store:
        store.add_patient("P-ws", clips_opt_in=True)
        session = LiveSession(adaptive=False)
        try:
            session.use_recording(LiveRecording(store, "P-ws", no_video_s=1.0))
            session.start("bird_dog")
            with connected(session) as (ws, _):
                for seq, (jpeg, captured, size, _) in enumerate(camera, 1):
                    ws.send(_message(seq, jpeg, captured, size))
                    assert json.loads(ws.recv(timeout=60))["type"] == "frame"
                wait_for(lambda: session.recording.status().saved == 2, 60, "both reps stored")
            sets = lambda: stored_sets(None, data, "P-ws")  # noqa: E731
            [during] = wait_for(lambda: [s for s in sets() if s.status == "interrupted"], 30, "the set interrupted")
            assert during.items == 2 and "no video" in during.status_reason
            report = session.end()
            assert session.recording.wait(60)
            status = session.recording.status()
            assert (status.state, status.saved, status.clips, status.error) == ("saved", 2, 2, None)
        finally:
            session.close()
        [done] = sets()
        assert (done.status, done.items, done.flagged) == ("complete", 2, 2) and len(report.reps) == 2
        [sess] = store.sessions("P-ws")
        assert sess.source == "camera"
        for item in store.session_detail(sess.id).sets[0].items:
            with VideoFile(item.clip) as clip:
                first = next(clip.frames())
            # at the size the frames arrived (the JPEG's, not the camera's), drawn on
            assert first.image.shape[:2] == camera[0][3].shape[:2]
            sent = min(camera, key=lambda c: abs(c[1] - EPOCH_MS - item.clip_start_s * 1000))[3]
            assert np.abs(first.image.astype(int) - sent.astype(int)).max() > 100
