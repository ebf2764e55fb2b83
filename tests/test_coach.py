"""formcheck.coach: a live set frame by frame with the real pose model on a real clip: results
as plain data without drawing, drawing at the camera's size, the per-rep callback, the kept
frames, the end of the set, and the pacer's decision to step down."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from formcheck.capture import VideoFile
from tests.conftest import media_clip

PLANK = "plank__kaiakol-004.mp4"


def _frames(n: int):
    with VideoFile(media_clip(PLANK)) as video:
        for i, frame in enumerate(video.frames()):
            if i >= n:
                return
            yield frame


def _plain(value):
    """A FrameResult as JSON-ready data, the way a transport would send it (no image)."""
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, np.ndarray):
        return np.where(np.isfinite(value), value, None).tolist() if value.dtype.kind == "f" else value.tolist()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def test_a_step_is_plain_data_with_the_capture_time(model_dir):
    from formcheck.coach import LiveCoach
    from formcheck.engine import FrameResult

    frames = list(_frames(20))
    with LiveCoach("plank") as coach:
        results = [coach.step(f.image, 1000 + f.t_ms) for f in frames]
        status = coach.status()
    last = results[-1]
    assert isinstance(last, FrameResult) and status.latest is last and status.frames == 20
    assert [r.t_ms for r in results] == [1000 + f.t_ms for f in frames]
    assert last.has_person and last.pose.xy.shape == (33, 2)
    assert set(last.readings) == {"hip_sag", "hip_pike", "elbows_under_shoulders", "head_hanging",
                                  "head_craned", "knees_off_floor"}
    sent = json.loads(json.dumps(_plain(last)))
    assert sent["readings"]["hip_sag"]["state"] in ("ok", "flag", "unknown")
    assert len(sent["pose"]["xy"]) == 33 and sent["holding"] == last.holding


def test_process_draws_a_copy_at_the_camera_size_while_pose_runs_smaller(model_dir):
    from formcheck.coach import LiveCoach

    frames = list(_frames(5))
    with LiveCoach("plank", quality_step=1) as coach:  # pose on a 480-pixel frame
        for f in frames:
            before = f.image.copy()
            drawn, result = coach.process(f.image, f.t_ms)
            assert drawn.shape == f.image.shape and np.array_equal(f.image, before)
        assert "480 px" in coach.status().quality
    h, w = frames[0].image.shape[:2]
    assert result.pose.image_size == (480, round(h * 480 / w))
    assert not np.array_equal(drawn, frames[-1].image)  # something was drawn


def test_reps_reach_the_callback_and_recent_frames_are_kept(model_dir):
    from formcheck.coach import LiveCoach
    from formcheck.report import HoldReport

    seen = []
    with LiveCoach("plank", on_rep=seen.append, keep_s=1.0) as coach:
        for f in _frames(90):
            coach.step(f.image, f.t_ms)
        kept = coach.recent_frames()
        assert kept[-1].t_ms - kept[0].t_ms <= 1000 and len(kept) >= 20
        assert kept[-1].t_ms == coach.status().latest.t_ms
        report = coach.finish()
    assert len(seen) == len(report.holds) == 1 and isinstance(seen[0], HoldReport)
    assert seen[0] == report.holds[0]
    assert report.input.kind == "camera" and report.frames_total == 90
    assert report.processing.limit_sources["hip_sag"] == "default"


def test_a_finished_set_takes_no_more_frames_and_a_later_pain_stop_is_recorded(model_dir):
    from formcheck.coach import PAIN_REASON, LiveCoach

    frames = list(_frames(10))
    with LiveCoach("plank") as coach:
        for f in frames:
            coach.step(f.image, f.t_ms)
        report = coach.finish()
        assert report.complete and coach.status().state == "ended"
        with pytest.raises(RuntimeError, match="ended"):
            coach.step(frames[0].image)
        later = coach.finish(pain=True)
    assert later.complete is False and later.incomplete_reason == PAIN_REASON
    assert coach.status().state == "stopped_pain" and coach.pain_reported


def test_auto_recognises_the_exercise_then_coaches_the_set_from_its_first_frame(model_dir):
    """formcheck's own bird dog render: tracked unjudged for 3 s, recognised, then coached as a
    bird dog with the same two reps a named set finds (the first began before it was known)."""
    from formcheck.coach import LiveCoach
    from tests.conftest import SAMPLES

    with VideoFile(SAMPLES / "bird_dog_rounded_back.mp4") as video:
        frames = list(video.frames())
    started, reps, states = [], [], []
    with LiveCoach("auto", on_start=lambda ex, limits: started.append(ex.id), on_rep=reps.append) as coach:
        for f in frames:
            coach.step(f.image, f.t_ms)
            states.append((coach.status().recognising, coach.status().exercise))
        report = coach.finish()
    with LiveCoach("bird_dog") as named:
        for f in frames:
            named.step(f.image, f.t_ms)
        expected = named.finish()
    assert states[0] == (True, "pose_only") and states[-1] == (False, "bird_dog")
    assert started == ["bird_dog"]  # the hooks begin once the exercise is known
    assert report.recognition.guessed == "bird_dog" and report.exercise == "bird_dog"
    assert [(r.index, r.side, r.flags) for r in report.reps] == [(r.index, r.side, r.flags) for r in expected.reps]
    assert reps == report.reps and report.reps[0].start_s < report.recognition.seconds_used


def test_auto_never_recognises_an_exercise_that_needs_a_clearance_not_given(model_dir):
    from formcheck.coach import LiveCoach

    with LiveCoach("auto") as coach:  # nobody in view: whatever it guesses, never the deadlift
        for t in range(0, 3200, 40):
            coach.step(np.zeros((240, 320, 3), np.uint8), t)
        assert coach.recognition is not None and coach.recognition.guessed != "deadlift"
        assert "deadlift" not in coach.recognition.alternatives
        assert coach.clearance is None


def test_pacer_steps_down_only_after_a_full_slow_window():
    from formcheck.coach import Pacer

    pacer = Pacer(target_fps=25, window_s=2.0, settle_s=1.0)
    t0 = 1000.0
    pacer.reset(t0)
    for i in range(30):
        pacer.add(t0 + i * 0.06, 55.0)
    assert not pacer.too_slow(t0 + 29 * 0.06)  # < settle + window
    for i in range(30, 80):
        pacer.add(t0 + i * 0.06, 55.0)
    assert pacer.too_slow(t0 + 79 * 0.06)
    assert 15 < pacer.fps() < 18
    fast = Pacer(target_fps=25, window_s=2.0, settle_s=1.0)
    fast.reset(t0)
    for i in range(100):
        fast.add(t0 + i * 0.035, 20.0)
    assert not fast.too_slow(t0 + 99 * 0.035)


@pytest.mark.slow
def test_a_coach_that_cannot_keep_up_steps_down(model_dir):
    """A budget no machine meets (1000 fps): after warm-up and a full window it lowers the pose
    resolution, and the report says so."""
    import itertools
    import time

    from formcheck.coach import LiveCoach

    frames = list(_frames(120))
    with LiveCoach("plank", adaptive=True, target_fps=1000.0) as coach:
        deadline = time.monotonic() + 30
        for f in itertools.cycle(frames):  # on the coach's own clock, as from a camera
            coach.process(f.image)
            if coach.status().quality_step or time.monotonic() > deadline:
                break
        assert coach.status().quality_step >= 1
        report = coach.finish()
    assert any("too slow for full quality" in w for w in report.warnings)
