"""The synthetic renderer: truth follows the requested motion and faults exactly, the video and
its truth agree frame by frame, and the real MediaPipe finds the rendered person where the truth
says it is.

Truth-only tests drive :class:`formcheck.render.animate.Animator` (no OpenGL, fast); the rest
render short clips through moderngl/EGL and are skipped when no headless GL is available.
"""

from __future__ import annotations

import os
from pathlib import Path

import av
import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from formcheck.errors import UnknownExerciseError
from formcheck.landmarks import Landmark as L
from formcheck.landmarks import mirror
from formcheck.render import MOTIONS, RenderSpec, load_truth, render_clip
from formcheck.render.animate import AppliedFault, Animator
from formcheck.render.command import render
from formcheck.render.skeleton import BodyParams

BODY_LANDMARKS = [
    L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_ELBOW, L.RIGHT_ELBOW, L.LEFT_WRIST, L.RIGHT_WRIST,
    L.LEFT_HIP, L.RIGHT_HIP, L.LEFT_KNEE, L.RIGHT_KNEE, L.LEFT_ANKLE, L.RIGHT_ANKLE,
]


def mirror_index() -> list[int]:
    """Landmark index of each landmark's mirror twin (MOUTH_LEFT <-> MOUTH_RIGHT included)."""
    out = [int(mirror(lm)) for lm in L]
    out[L.MOUTH_LEFT], out[L.MOUTH_RIGHT] = L.MOUTH_RIGHT, L.MOUTH_LEFT
    return out


def animator(exercise, faults=(), side="l", seconds=6.0, reps=2, spans=None, body=None):
    motion = MOTIONS[exercise]
    spans = spans or {}
    applied = [AppliedFault(motion.faults[k], v, spans.get(k)) for k, v in faults]
    return Animator(motion, body or BodyParams(), side, seconds, reps, applied, np.random.default_rng(0))


def angle_at(anim, t, name, sway=True):
    return anim.frame(t, sway=sway)[2][name]


# ------------------------------------------------------------------ truth: faults and timing


@pytest.mark.parametrize(
    ("exercise", "fault", "value", "metric", "expected"),
    [
        ("plank", "hip_sag", 12, "hip_bend_deg", 12),
        ("plank", "hip_pike", 15, "hip_bend_deg", -15),
        ("bird_dog", "spine_neutral", 20, "lumbar_flexion_deg", 20),
        ("bird_dog", "spine_neutral", -10, "lumbar_flexion_deg", -10),
        ("bird_dog", "limb_above_torso", 15, "arm_above_torso_deg", 15),
        ("bird_dog", "limb_above_torso", 15, "leg_above_torso_deg", 15),
        ("bird_dog", "pelvis_level", 10, "pelvis_drop_deg", 10),
        ("clamshell", "pelvis_rocking", 15, "pelvis_rotation_deg", 15),
        ("clamshell", "feet_together", 12, "feet_separation_cm", 12),
        ("bridge", "over_arch", 15, "hip_extension_deg", 15),
    ],
)
def test_fault_reaches_its_size_at_every_peak_and_vanishes_at_rep_start(
    exercise, fault, value, metric, expected
):
    anim = animator(exercise, [(fault, value)])
    correct = animator(exercise)
    if anim.reps:
        for rep in anim.reps:
            assert angle_at(anim, rep.peak, metric) == pytest.approx(expected, abs=0.05)
            # at the rep's start the body is in the correct start pose
            assert angle_at(anim, rep.start, metric) == pytest.approx(
                angle_at(correct, rep.start, metric), abs=0.05
            )
    else:
        for t in (0.0, 2.5, 5.9):
            assert angle_at(anim, t, metric) == pytest.approx(expected, abs=0.05)


ALL_FAULTS = [(m.name, f.check_id, f.default) for m in MOTIONS.values() for f in m.faults.values()]


@pytest.mark.parametrize(("exercise", "fault", "value"), ALL_FAULTS)
def test_every_declared_fault_moves_its_metrics_by_exactly_its_value(exercise, fault, value):
    anim = animator(exercise, [(fault, value)], seconds=8)
    correct = animator(exercise, seconds=8)
    # a hold fault is solved on the start pose, a rep fault at its peak
    t = 2.0 if not anim.reps else anim.reps[0].start / 2
    if anim.reps and MOTIONS[exercise].faults[fault].envelope == "rep":
        names = [name for name, _ in MOTIONS[exercise].keyframes()]
        peak = MOTIONS[exercise].faults[fault].peak
        t = anim.reps[0].segments[names.index(peak) if peak else 0].peak
    for drive in MOTIONS[exercise].faults[fault].drives:
        # without the sway: it moves the neck, which the head faults drive
        base = 0.0 if drive.mode == "absolute" else angle_at(correct, t, drive.metric, sway=False)
        assert angle_at(anim, t, drive.metric, sway=False) == pytest.approx(base + drive.sign * value, abs=0.05)
    assert anim.state(t).fault_levels == {fault: value}


@pytest.mark.parametrize("exercise", list(MOTIONS))
def test_every_exercise_renders_a_plausible_pose_sequence(exercise):
    anim = animator(exercise, seconds=8)
    motion = MOTIONS[exercise]
    assert motion.kind in ("reps", "hold")
    for t in np.linspace(0, 7.9, 9):
        st, placed, angles = anim.frame(float(t))
        assert set(angles) == set(motion.metrics)
        assert all(np.isfinite(v) for v in angles.values())
        assert placed.surface.lowest(np.eye(3)) == pytest.approx(0, abs=1e-6)
        assert np.all(placed.landmarks[:, 1] > -1e-6)  # nothing below the floor
    for rep in anim.reps:
        assert [anim.state(g.peak).phase for g in rep.segments] == ["top"] * len(rep.segments)


@pytest.mark.parametrize("exercise", ["plank", "bird_dog", "clamshell", "bridge"])
def test_correct_form_shows_none_of_the_faults(exercise):
    anim = animator(exercise)
    times = [r.peak for r in anim.reps] or [1.0, 3.0]
    zero_at_peak = {
        "hip_bend_deg": 0, "lumbar_flexion_deg": 0, "arm_above_torso_deg": 0,
        "leg_above_torso_deg": 0, "pelvis_drop_deg": 0, "pelvis_rotation_deg": 0,
        "hip_extension_deg": 0,
    }
    for t in times:
        angles = anim.frame(t)[2]
        for name, value in zero_at_peak.items():
            if name in angles:
                assert angles[name] == pytest.approx(value, abs=0.1), name
        if "feet_separation_cm" in angles:
            assert abs(angles["feet_separation_cm"]) < 3.0  # feet stay stacked


def test_hold_fault_span_limits_the_fault_and_ramps_inside_the_span():
    anim = animator("plank", [("hip_sag", 12)], spans={"hip_sag": (2.0, 4.0)})
    assert angle_at(anim, 1.0, "hip_bend_deg") == pytest.approx(0, abs=0.05)
    assert angle_at(anim, 5.0, "hip_bend_deg") == pytest.approx(0, abs=0.05)
    for t in (2.35, 3.0, 3.65):
        assert angle_at(anim, t, "hip_bend_deg") == pytest.approx(12, abs=0.05)
    st = anim.state(2.1)
    assert 0 < st.fault_levels["hip_sag"] < 12


def test_rep_fault_span_picks_the_reps_whose_peak_it_contains():
    anim = animator("clamshell", [("pelvis_rocking", 15)], seconds=9, reps=3)
    r0, r1, r2 = anim.reps
    spanned = animator("clamshell", [("pelvis_rocking", 15)], seconds=9, reps=3,
                       spans={"pelvis_rocking": (r1.start, r1.end)})
    assert angle_at(spanned, r0.peak, "pelvis_rotation_deg") == pytest.approx(0, abs=0.05)
    assert angle_at(spanned, r1.peak, "pelvis_rotation_deg") == pytest.approx(15, abs=0.05)
    assert angle_at(spanned, r2.peak, "pelvis_rotation_deg") == pytest.approx(0, abs=0.05)
    assert spanned.rep_faults(r1) == ["pelvis_rocking"] and spanned.rep_faults(r0) == []


@pytest.mark.parametrize("reps", [1, 3, 5])
def test_rep_boundaries_match_the_requested_count(reps):
    anim = animator("bird_dog", seconds=10, reps=reps)
    assert len(anim.reps) == reps
    prev_end = 0.0
    for rep in anim.reps:
        assert prev_end <= rep.start < rep.peak < rep.end <= 10
        prev_end = rep.end
        assert anim.state(rep.peak).phase == "top"
        assert anim.state(rep.peak).progress == 1.0
    # bird dog alternates sides
    assert [r.side for r in anim.reps] == ["l", "r", "l", "r", "l"][:reps]
    assert anim.state(anim.reps[-1].end + 0.01).phase == "rest"


def test_too_many_reps_for_the_clip_is_rejected():
    with pytest.raises(ValueError, match="do not fit"):
        animator("bridge", seconds=3, reps=5)


@pytest.mark.parametrize("exercise", ["plank", "bird_dog", "clamshell", "bridge", "anti_rotation_chop"])
def test_body_rests_on_the_floor_with_every_contact_group_touching(exercise):
    anim = animator(exercise)
    motion = MOTIONS[exercise]
    from formcheck.render.skeleton import JOINT_INDEX

    for t in np.linspace(0, 5.9, 7):
        placed = anim.frame(float(t))[1]
        surf = placed.surface
        assert surf.lowest(np.eye(3)) == pytest.approx(0, abs=1e-6)
        for group in motion.contacts:
            sel = surf.masks([JOINT_INDEX[j] for j in group])
            assert surf.lowest(np.eye(3), sel) < 0.01, (t, group)


def test_clamshell_on_the_other_side_is_the_mirror_image():
    left = animator("clamshell", [("pelvis_rocking", 12)], side="l")
    right = animator("clamshell", [("pelvis_rocking", 12)], side="r")
    for t in (0.3, left.reps[0].peak, 2.0):
        _, pl, al = left.frame(t)
        _, pr, ar = right.frame(t)
        for name in ("knee_opening_deg", "pelvis_rotation_deg", "feet_separation_cm"):
            assert al[name] == pytest.approx(ar[name], abs=0.05)
        assert al["knee_angle_left_deg"] == pytest.approx(ar["knee_angle_right_deg"], abs=0.05)
        # world positions: the right-side body is the left one reflected through Z = 0
        swapped = pr.landmarks[mirror_index()] * [1, 1, -1]
        assert np.allclose(swapped, pl.landmarks, atol=1e-6)


def test_body_proportions_change_the_body_but_not_the_fault_size():
    big = BodyParams(height_m=1.9, girth=1.2, leg=1.05, arm=0.95, shoulder_width=1.1)
    anim = animator("plank", [("hip_sag", 8)], body=big)
    assert angle_at(anim, 1.0, "hip_bend_deg") == pytest.approx(8, abs=0.05)
    with pytest.raises(ValueError, match="height_m"):
        BodyParams(height_m=3.0)


# ------------------------------------------------------------------ spec validation


def test_spec_rejects_unknown_exercise_fault_and_span(tmp_path):
    with pytest.raises(UnknownExerciseError, match="plank"):
        RenderSpec("burpee", tmp_path / "x.mp4")
    with pytest.raises(ValueError, match="no fault 'hip_sag'"):
        RenderSpec("bridge", tmp_path / "x.mp4", faults={"hip_sag": 5})
    with pytest.raises(ValueError, match="inside the clip"):
        RenderSpec("plank", tmp_path / "x.mp4", faults={"hip_sag": 5}, fault_spans={"hip_sag": (2, 9)})
    with pytest.raises(ValueError, match="view"):
        RenderSpec("plank", tmp_path / "x.mp4", view="top")


# ------------------------------------------------------------------ rendered clips


def _gl_available() -> bool:
    try:
        import moderngl

        ctx = moderngl.create_standalone_context(backend="egl")
        ctx.release()
        return True
    except Exception:  # any failure means: no headless GL here
        return False


needs_gl = pytest.mark.skipif(not _gl_available(), reason="no moderngl/EGL")


def _decode(path: Path) -> tuple[list[np.ndarray], list[int]]:
    images, times = [], []
    with av.open(str(path)) as c:
        for f in c.decode(video=0):
            images.append(f.to_ndarray(format="rgb24"))
            times.append(int(round(f.time * 1000)))
    return images, times


@pytest.fixture(scope="module")
def plank_clip(tmp_path_factory):
    out = tmp_path_factory.mktemp("render") / "plank_sag.mp4"
    spec = RenderSpec("plank", out, faults={"hip_sag": 12}, fault_spans={"hip_sag": (1.0, 2.0)},
                      view="side", seconds=2.5, seed=3, fps=12, size=(640, 360))
    return render_clip(spec)


@needs_gl
def test_video_and_truth_agree_frame_by_frame(plank_clip):
    video, truth = plank_clip
    images, times = _decode(video)
    assert len(images) == len(truth.frames) == 30
    assert images[0].shape == (360, 640, 3)
    assert times == [f.t_ms for f in truth.frames]
    assert truth.hold is not None and truth.reps == []
    (fault,) = truth.faults
    assert (fault.check_id, fault.value, fault.unit, fault.start_s, fault.end_s) == ("hip_sag", 12, "deg", 1.0, 2.0)
    bend = truth.angle_series("hip_bend_deg")
    t = truth.times_s()
    assert np.all(np.abs(bend[(t < 1.0) | (t > 2.0)]) < 0.01)
    full = (t >= 1.0 + fault.ramp_s) & (t <= 2.0 - fault.ramp_s)
    assert full.any() and np.allclose(bend[full], 12, atol=0.01)
    # the truth file on disk reads back the same
    again = load_truth(video)
    assert again.frames[5].landmarks_px == truth.frames[5].landmarks_px
    assert again.command.startswith("formcheck render plank --fault hip_sag=12")
    # the image is not empty where the body is: pixels around the projected hip differ from
    # the background colour far above the body
    img = images[0]
    hx, hy = np.mean(np.array(truth.frames[0].landmarks_px)[[L.LEFT_HIP, L.RIGHT_HIP]], axis=0)
    assert img[int(hy), int(hx)].astype(int).sum() != img[5, 5].astype(int).sum()


def _model_path() -> Path | None:
    d = os.environ.get("FORMCHECK_MODEL_DIR", "/work/shared/models")
    p = Path(d) / "pose_landmarker_full.task"
    return p if p.exists() else None


def _mediapipe_landmarks(video: Path) -> list[np.ndarray | None]:
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    opts = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(_model_path())),
        running_mode=vision.RunningMode.VIDEO,
        num_poses=1,
    )
    out: list[np.ndarray | None] = []
    images, times = _decode(video)
    with vision.PoseLandmarker.create_from_options(opts) as landmarker:
        for img, t in zip(images, times):
            h, w = img.shape[:2]
            res = landmarker.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=img), t)
            out.append(
                np.array([[p.x * w, p.y * h] for p in res.pose_landmarks[0]]) if res.pose_landmarks else None
            )
    return out


def _landmark_error(detected: np.ndarray, true_px: np.ndarray) -> float:
    """Median body-landmark error as a fraction of the true torso length; a left/right swap of
    the whole body (common in pure side views) is forgiven."""
    torso = np.linalg.norm(
        (true_px[L.LEFT_SHOULDER] + true_px[L.RIGHT_SHOULDER]) / 2
        - (true_px[L.LEFT_HIP] + true_px[L.RIGHT_HIP]) / 2
    )
    swapped = detected[mirror_index()]
    errs = [np.median(np.linalg.norm(d[BODY_LANDMARKS] - true_px[BODY_LANDMARKS], axis=1)) for d in (detected, swapped)]
    return min(errs) / torso


#: What MediaPipe achieved on these renders when the tests were written (median over frames):
#: detection 100 %, body-landmark error 3-7 % of the torso length. The limits leave room.
MIN_DETECTION = 0.9
MAX_LANDMARK_ERROR = 0.12


@needs_gl
@pytest.mark.skipif(_model_path() is None, reason="no pose_landmarker_full.task (set FORMCHECK_MODEL_DIR)")
@pytest.mark.parametrize(
    ("exercise", "view", "faults", "seed"),
    [("plank", "side", {"hip_sag": 12}, 3), ("bird_dog", "side", {}, 5), ("clamshell", "front", {}, 7)],
)
def test_mediapipe_finds_the_rendered_person_where_the_truth_says(tmp_path, exercise, view, faults, seed, plank_clip):
    if exercise == "plank":
        video, truth = plank_clip
    else:
        spec = RenderSpec(exercise, tmp_path / f"{exercise}.mp4", faults=faults, view=view,
                          seconds=2.5, reps=1, seed=seed, fps=10, size=(640, 360))
        video, truth = render_clip(spec)
    detected = _mediapipe_landmarks(video)
    found = [(d, np.array(f.landmarks_px)) for d, f in zip(detected, truth.frames) if d is not None]
    assert len(found) / len(detected) >= MIN_DETECTION
    errors = [_landmark_error(d, t) for d, t in found]
    assert np.median(errors) < MAX_LANDMARK_ERROR, np.median(errors)


# ------------------------------------------------------------------ the command


@needs_gl
def test_render_command_writes_video_and_truth(tmp_path):
    app = typer.Typer()
    app.command("render")(render)
    app.command("noop")(lambda: None)  # keep "render" a named subcommand
    out = tmp_path / "bridge.mp4"
    result = CliRunner().invoke(
        app,
        ["render", "bridge", "--fault", "over_arch=10", "--seconds", "2", "--reps", "1",
         "--fps", "10", "--size", "320x180", "--seed", "4", "--side", "right", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    truth = load_truth(out.with_name("bridge.truth.json"))
    assert truth.size == [320, 180] and len(truth.frames) == 20 and truth.fps == 10
    assert [r.side for r in truth.reps] == ["both"]
    peak = min(truth.frames, key=lambda f: abs(f.t_ms / 1000 - truth.reps[0].peak_s))
    assert peak.angles["hip_extension_deg"] == pytest.approx(10, abs=0.05)
    assert truth.side_facing_camera == "right"


def test_render_command_reports_bad_options(tmp_path):
    app = typer.Typer()
    app.command("render")(render)
    app.command("noop")(lambda: None)
    runner = CliRunner()
    result = runner.invoke(app, ["render", "plank", "--fault", "hip_sag", "--out", str(tmp_path / "a.mp4")])
    assert result.exit_code != 0 and "NAME=VALUE" in result.output
    result = runner.invoke(app, ["render", "plank", "--fault", "over_arch=5", "--out", str(tmp_path / "a.mp4")])
    assert result.exit_code != 0 and "no fault" in result.output
    result = runner.invoke(app, ["render", "burpee", "--out", str(tmp_path / "a.mp4")])
    assert result.exit_code == 1
    assert not (tmp_path / "a.mp4").exists()


def test_missing_moderngl_is_a_clear_formcheck_error(monkeypatch, tmp_path):
    from formcheck.errors import FormcheckError
    from formcheck.render import RenderUnavailableError

    monkeypatch.setitem(__import__("sys").modules, "moderngl", None)  # makes `import moderngl` fail
    spec = RenderSpec("plank", tmp_path / "x.mp4", seconds=1, fps=10, size=(64, 64))
    with pytest.raises(RenderUnavailableError, match="libegl1 libegl-mesa0 libgl1-mesa-dri") as info:
        render_clip(spec)
    assert isinstance(info.value, FormcheckError)
    assert "formcheck[render]" in str(info.value)


def test_same_seed_same_truth_and_the_command_reproduces_the_spec(tmp_path):
    from formcheck.render.command import _parse_faults, _parse_spans

    spec = RenderSpec("clamshell", tmp_path / "c.mp4", faults={"pelvis_rocking": 15},
                      fault_spans={"pelvis_rocking": (1.0, 3.0)}, view="front", seconds=4, reps=2,
                      seed=9, fps=24, side="right", camera_height=1.3)
    cmd = spec.to_command().split()
    assert cmd[:3] == ["formcheck", "render", "clamshell"]
    faults = _parse_faults([cmd[i + 1] for i, a in enumerate(cmd) if a == "--fault"])
    spans = _parse_spans([cmd[i + 1] for i, a in enumerate(cmd) if a == "--fault-span"], faults)
    assert faults == spec.faults and spans == spec.fault_spans
    a = animator("clamshell", [("pelvis_rocking", 15)], side="r")
    b = animator("clamshell", [("pelvis_rocking", 15)], side="r")
    for t in (0.2, 1.7, 3.3):
        assert np.array_equal(a.frame(t)[1].landmarks, b.frame(t)[1].landmarks)
