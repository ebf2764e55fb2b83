"""pose.py with the real MediaPipe model: landmarks out, timestamps in order, the rotated
fallback mapped back right, and the landmarkers closed on every way out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import mediapipe as mp
import numpy as np
import pytest

from formcheck.capture import VideoFile
from formcheck.errors import ModelLoadError, ModelNotFoundError
from formcheck.frames import PoseFrame
from formcheck.landmarks import Landmark
from formcheck.pose import PoseEstimator, PoseOptions, _to_pose_frame, _unrotate
from tests.conftest import PYTHONPATH, media_clip

STANDING = "standing_hip_abduction__suraj.mp4"  # one person, upright, whole body in view
PLANK = "plank__kaiakol-001.mp4"
BODY = [Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER, Landmark.LEFT_HIP, Landmark.RIGHT_HIP,
        Landmark.LEFT_KNEE, Landmark.RIGHT_KNEE, Landmark.LEFT_ANKLE, Landmark.RIGHT_ANKLE]


def _first_frames(name: str, n: int):
    with VideoFile(media_clip(name)) as video:
        out = []
        for frame in video.frames():
            out.append(frame)
            if len(out) == n:
                break
    return out


@pytest.fixture(scope="module")
def standing_frame():
    return _first_frames(STANDING, 1)[0].image


def test_finds_a_person_with_landmarks_in_the_frame(model_dir):
    frames = _first_frames(PLANK, 15)
    with PoseEstimator(PoseOptions(rotate_fallback=False)) as est:
        poses = [est.process(f.image, f.t_ms) for f in frames]
    assert all(p.has_person for p in poses)
    w, h = frames[0].size
    for p in poses:
        assert p.image_size == (w, h)
        body = p.xy[BODY]
        assert np.isfinite(body).all()
        assert (body[:, 0] > -0.1 * w).all() and (body[:, 0] < 1.1 * w).all()
        assert (body[:, 1] > -0.1 * h).all() and (body[:, 1] < 1.1 * h).all()
        assert np.nanmax(p.visibility) <= 1 and np.nanmin(p.visibility) >= 0
        # world landmarks are metres around the hips: a body is well under 3 m across
        assert np.nanmax(np.abs(p.world)) < 3
    assert [p.t_ms for p in poses] == [f.t_ms for f in frames]


def test_timestamps_are_made_strictly_increasing(model_dir, standing_frame):
    with PoseEstimator(PoseOptions(rotate_fallback=False)) as est:
        times = [est.process(standing_frame, t).t_ms for t in (0, 40, 40, 30, 80, 80, 81)]
    assert times == [0, 40, 41, 42, 80, 81, 82]


def test_nobody_in_the_frame_is_an_empty_result(model_dir):
    grey = np.full((360, 640, 3), 128, np.uint8)
    noise = np.random.default_rng(0).integers(0, 256, (360, 640, 3), dtype=np.uint8)
    with PoseEstimator() as est:
        for i, image in enumerate([grey, noise, grey]):
            pose = est.process(image, i * 33)
            assert not pose.has_person
            assert pose.image_size == (640, 360)
            assert np.isnan(pose.xy).all()
        assert est.fallback_hits == 0


@pytest.mark.parametrize("k", [1, 3])
def test_unrotate_maps_turned_pixels_back(k):
    w, h = 40, 30
    image = np.zeros((h, w), np.uint8)
    points = [(3, 5), (37, 2), (20, 28)]
    xy_turned = []
    for i, (x, y) in enumerate(points):
        image[y, x] = i + 1
    turned = np.rot90(image, k=k)
    for i in range(len(points)):
        ty, tx = np.argwhere(turned == i + 1)[0]
        xy_turned.append((tx, ty))
    xy = np.full((33, 2), np.nan)
    xy[: len(points)] = xy_turned
    frame = PoseFrame(t_ms=0, image_size=(turned.shape[1], turned.shape[0]), xy=xy,
                      world=np.zeros((33, 3)))
    back = _unrotate(frame, k, (w, h))
    np.testing.assert_allclose(back.xy[: len(points)], points)
    assert back.image_size == (w, h)


def test_rotated_fallback_finds_a_lying_person_where_they_are(model_dir, standing_frame):
    """Turn an upright person a quarter turn (now lying); the fallback's landmarks, mapped back,
    must sit where the upright landmarks land after the same turn."""
    h = standing_frame.shape[0]
    lying = np.ascontiguousarray(np.rot90(standing_frame, k=-1))  # clockwise
    with PoseEstimator(PoseOptions(rotate_fallback=True)) as est:
        # The reference: the same IMAGE-mode landmarker on the upright frame.
        mp_image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(standing_frame))
        ref = _to_pose_frame(est._still.detect(mp_image), 0, (standing_frame.shape[1], h))
        got = est._rotated_pass(lying, 0)
        assert est.fallback_hits == 1
    assert ref.has_person and got.has_person
    # upright pixel (x, y) -> clockwise-turned pixel (h - 1 - y, x)
    expected = np.stack([h - 1 - ref.xy[:, 1], ref.xy[:, 0]], axis=1)
    err = np.linalg.norm(got.xy[BODY] - expected[BODY], axis=1)
    assert np.median(err) < 0.03 * max(lying.shape[:2])


def test_options_are_validated():
    with pytest.raises(ValueError, match="min_detection_confidence"):
        PoseOptions(min_detection_confidence=1.5)
    with pytest.raises(ValueError, match="min_tracking_confidence"):
        PoseOptions(min_tracking_confidence=-0.1)


def test_close_is_idempotent_and_releases_both_landmarkers(model_dir):
    est = PoseEstimator(PoseOptions(rotate_fallback=True))
    assert est._video is not None and est._still is not None
    est.close()
    est.close()
    assert est._video is None and est._still is None


def test_corrupt_model_is_a_model_load_error(tmp_path):
    bad = tmp_path / "pose_landmarker_full.task"
    bad.write_bytes(np.random.default_rng(2).bytes(4096))
    with pytest.raises(ModelLoadError, match=str(bad)):
        PoseEstimator(PoseOptions(model=bad))


def test_missing_explicit_model(tmp_path):
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        PoseEstimator(PoseOptions(model=tmp_path / "none.task"))


def test_segmentation_mask_matches_the_frame(model_dir, standing_frame):
    with PoseEstimator(PoseOptions(segmentation=True, rotate_fallback=False)) as est:
        pose = est.process(standing_frame, 0)
    assert pose.mask is not None
    assert pose.mask.shape == standing_frame.shape[:2]
    assert 0 <= pose.mask.min() and pose.mask.max() <= 1


_EXIT_SCRIPT = textwrap.dedent("""
    import json, sys
    from formcheck import api
    from formcheck.errors import FormcheckError

    clip, out = sys.argv[1], sys.argv[2]
    results = {}

    # 1. a normal run
    report, _ = api.analyze(clip, "pose_only", out + "/ok", write_video=False)
    results["ok"] = report.frames_total

    # 2. an error raised part-way through (a bug in a callback)
    def boom(vf, pose, result):
        if vf.index == 3:
            raise RuntimeError("boom")
    try:
        api.analyze(clip, "pose_only", out + "/boom", write_video=True, on_frame=boom)
    except RuntimeError:
        results["boom"] = "raised"

    # 3. Ctrl-C part-way through: re-raised after the partial report is written
    def stop(vf, pose, result):
        if vf.index == 5:
            raise KeyboardInterrupt
    try:
        api.analyze(clip, "pose_only", out + "/stop", on_frame=stop)
    except KeyboardInterrupt:
        results["stop"] = json.load(open(out + "/stop/report.json"))["complete"]

    # 4. errors before the first frame: an unknown exercise, a model file that will not load
    try:
        api.analyze(clip, "nonexistent-exercise", out + "/bad")
    except FormcheckError:
        results["bad"] = "raised"
    open(out + "/corrupt.task", "wb").write(b"PK" + bytes(range(256)) * 8)
    try:
        api.analyze(clip, "pose_only", out + "/corrupt", model=out + "/corrupt.task")
    except FormcheckError:
        results["corrupt"] = "raised"
    print(json.dumps(results))
""")


def test_landmarkers_are_closed_on_every_exit_path(model_dir, tmp_path):
    """MediaPipe prints a traceback at interpreter exit for a landmarker left open."""
    clip = media_clip("bird_dog__exos.gif")
    script = tmp_path / "run.py"
    script.write_text(_EXIT_SCRIPT)
    env = {**os.environ, "FORMCHECK_MODEL_DIR": str(model_dir), "PYTHONPATH": PYTHONPATH}
    proc = subprocess.run([sys.executable, str(script), str(clip), str(tmp_path)],
                          capture_output=True, text=True, env=env, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert "Exception ignored" not in proc.stderr, proc.stderr[-3000:]
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    assert results == {"ok": 12, "boom": "raised", "stop": False, "bad": "raised", "corrupt": "raised"}


def test_an_unclosed_landmarker_would_be_caught(model_dir, tmp_path):
    """The check above can fail: a landmarker left open does print a traceback at exit."""
    script = tmp_path / "leak.py"
    script.write_text(textwrap.dedent(f"""
        from formcheck.pose import _make_landmarker, PoseOptions
        from pathlib import Path
        lm = _make_landmarker(Path({str(model_dir / "pose_landmarker_full.task")!r}), PoseOptions(), video=True)
    """))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False)
    assert "Traceback" in proc.stderr or "Exception ignored" in proc.stderr


def test_a_real_run_prints_none_of_mediapipe_s_own_log_lines(model_dir, tmp_path):
    """LiteRT logs set-up and tear-down notices on file descriptor 2 (``INFO: ...
    DestroyAccelerator`` once per graph); the user's terminal sees none of them, and with
    FORMCHECK_MEDIAPIPE_LOG=1 they are back (so the check can fail)."""
    from tests.conftest import SAMPLES

    def run(**extra: str) -> str:
        env = {**os.environ, "FORMCHECK_MODEL_DIR": str(model_dir), "PYTHONPATH": PYTHONPATH, **extra}
        proc = subprocess.run([sys.executable, "-m", "formcheck", "analyze", str(SAMPLES / "plank_hip_sag.mp4"),
                               "-e", "plank", "-o", str(tmp_path / "out"), "--no-video", "-q"],
                              capture_output=True, text=True, env=env, timeout=300, check=False)
        assert proc.returncode == 0, proc.stderr[-2000:]
        return proc.stderr

    assert run() == ""
    assert "DestroyAccelerator" in run(FORMCHECK_MEDIAPIPE_LOG="1")
