"""``formcheck render``: film a synthetic person doing an exercise, with faults dialled in, and
write the video plus its ground truth.

The library entry point is :func:`render_clip` (tests and benchmarks call it); :func:`render`
is the Typer command the CLI registers.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from formcheck.errors import FormcheckError, OutputError, UnknownExerciseError
from formcheck.landmarks import Landmark

from .animate import AppliedFault, Animator
from .bodies import BODY_MODELS, BODY_PRESETS, BodyModel, make_body
from .camera import Camera
from .motions import MOTIONS, Motion
from .skeleton import JOINT_INDEX, BodyParams
from .truth import CameraTruth, FaultTruth, FrameTruth, HoldTruth, RenderTruth, RepTruth

VIEWS = ("side", "front", "oblique", "head", "feet")
FPS_CHOICES = (24.0, 25.0, 30.0, 30.0, 50.0, 60.0)


@dataclass(frozen=True)
class RenderSpec:
    """What to render.

    Attributes:
        exercise: exercise id (``formcheck.render.motions.MOTIONS``).
        out: output ``.mp4``; the truth goes next to it as ``<stem>.truth.json``.
        faults: check id -> size in that check's unit.
        fault_spans: check id -> (start_s, end_s); missing = the whole clip (every rep).
        view: ``side``, ``front`` or ``oblique``.
        seconds: clip length.
        reps: number of reps (ignored for holds).
        seed: drives every random choice (body, clothes, room, light, camera jitter, sway).
        size: (width, height) in pixels.
        fps: frame rate; None = chosen by the seed from 24-60.
        side: ``left`` / ``right``: side of the body facing the camera (side and oblique views);
            for one-sided exercises (clamshell) also the working (top) side. None = by seed.
        camera_height: metres above the floor; None = by seed within the view's range.
        camera_distance: horizontal distance from the camera to the middle of the body's
            extent, metres; the lens's field of view is then chosen so the body fills the frame
            (within what phone and laptop cameras have, 30-75 degrees vertical). None = a field
            of view drawn by the seed and the distance that fills the frame with it.
        camera_pitch: degrees the camera looks down at the middle of the body (needs
            ``camera_distance``); sets the camera's height, so give one or the other.
        camera_yaw: degrees the camera stands off the view's ideal direction, turning about
            the vertical (+ = anticlockwise seen from above); None = by seed within +-8.
        body: the mannequin's proportions; None = from ``body_preset``, else by seed.
        body_model: ``mannequin`` or ``makehuman`` (:mod:`formcheck.render.bodies`).
        body_preset: a body shape of ``BODY_PRESETS`` (e.g. ``heavy``); None = by seed.
        crf: x264 quality.
    """

    exercise: str
    out: Path
    faults: dict[str, float] = field(default_factory=dict)
    fault_spans: dict[str, tuple[float, float]] = field(default_factory=dict)
    view: str = "side"
    seconds: float = 5.0
    reps: int = 3
    seed: int = 0
    size: tuple[int, int] = (640, 360)
    fps: float | None = None
    side: str | None = None
    camera_height: float | None = None
    camera_distance: float | None = None
    camera_pitch: float | None = None
    camera_yaw: float | None = None
    body: BodyParams | None = None
    body_model: str = "mannequin"
    body_preset: str | None = None
    crf: int = 26

    def __post_init__(self) -> None:
        if self.exercise not in MOTIONS:
            raise UnknownExerciseError(
                f"the renderer knows no exercise {self.exercise!r}; choose one of "
                f"{', '.join(sorted(MOTIONS))}"
            )
        motion = MOTIONS[self.exercise]
        if self.view not in motion.views:
            raise ValueError(f"view must be one of {', '.join(motion.views)}, got {self.view!r}")
        for name, value in self.faults.items():
            if name not in motion.faults:
                raise ValueError(
                    f"{self.exercise} has no fault {name!r}; it has {', '.join(motion.faults) or 'none'}"
                )
            if not np.isfinite(value) or value == 0:
                raise ValueError(f"fault {name} needs a finite non-zero size, got {value}")
        for name, (a, b) in self.fault_spans.items():
            if name not in self.faults:
                raise ValueError(f"--fault-span given for {name}, which is not a --fault")
            if not 0 <= a < b <= self.seconds:
                raise ValueError(f"fault span {a}-{b} s must lie inside the clip (0-{self.seconds} s)")
        if not 1.0 <= self.seconds <= 120:
            raise ValueError(f"seconds must be in [1, 120], got {self.seconds}")
        if self.reps < 1:
            raise ValueError(f"reps must be >= 1, got {self.reps}")
        if self.fps is not None and not 10 <= self.fps <= 120:
            raise ValueError(f"fps must be in [10, 120], got {self.fps}")
        if self.side not in (None, "left", "right"):
            raise ValueError(f"side must be left or right, got {self.side!r}")
        if self.body_model not in BODY_MODELS:
            raise ValueError(f"body model must be one of {', '.join(BODY_MODELS)}, got {self.body_model!r}")
        if self.body_preset is not None and self.body_preset not in BODY_PRESETS:
            raise ValueError(f"body preset must be one of {', '.join(BODY_PRESETS)}, got {self.body_preset!r}")
        if self.body is not None and (self.body_preset is not None or self.body_model != "mannequin"):
            raise ValueError("body (the mannequin's proportions) excludes body_preset and other body models")
        w, h = self.size
        if not (64 <= w <= 3840 and 64 <= h <= 3840):
            raise ValueError(f"size must be between 64x64 and 3840x3840, got {w}x{h}")
        if self.camera_height is not None and not 0.05 <= self.camera_height <= 3.0:
            raise ValueError(f"camera height must be in [0.05, 3] m, got {self.camera_height}")
        if self.camera_distance is not None and not 0.5 <= self.camera_distance <= 10.0:
            raise ValueError(f"camera distance must be in [0.5, 10] m, got {self.camera_distance}")
        if self.camera_pitch is not None:
            if self.camera_distance is None or self.camera_height is not None:
                raise ValueError("a camera pitch needs a camera distance and no camera height")
            if not -30.0 <= self.camera_pitch <= 70.0:
                raise ValueError(f"camera pitch must be in [-30, 70] degrees, got {self.camera_pitch}")
        if self.camera_yaw is not None and not -60.0 <= self.camera_yaw <= 60.0:
            raise ValueError(f"camera yaw must be in [-60, 60] degrees, got {self.camera_yaw}")

    @property
    def truth_path(self) -> Path:
        return truth_path_for(self.out)

    def to_command(self) -> str:
        """The ``formcheck render`` command line that reproduces this spec."""
        args = [self.exercise]
        for k, v in self.faults.items():
            args += ["--fault", f"{k}={v:g}"]
            if k in self.fault_spans:
                a, b = self.fault_spans[k]
                args += ["--fault-span", f"{k}={a:g}-{b:g}"]
        args += ["--view", self.view, "--seconds", f"{self.seconds:g}", "--reps", str(self.reps),
                 "--seed", str(self.seed), "--size", f"{self.size[0]}x{self.size[1]}"]
        if self.fps is not None:
            args += ["--fps", f"{self.fps:g}"]
        if self.side is not None:
            args += ["--side", self.side]
        if self.camera_height is not None:
            args += ["--camera-height", f"{self.camera_height:g}"]
        if self.camera_distance is not None:
            args += ["--camera-distance", f"{self.camera_distance:g}"]
        if self.camera_pitch is not None:
            args += ["--camera-pitch", f"{self.camera_pitch:g}"]
        if self.camera_yaw is not None:
            args += ["--camera-yaw", f"{self.camera_yaw:g}"]
        if self.body_model != "mannequin":
            args += ["--body-model", self.body_model]
        if self.body_preset is not None:
            args += ["--body", self.body_preset]
        args += ["--out", str(self.out)]
        return "formcheck render " + shlex.join(args)


def truth_path_for(video: Path) -> Path:
    """``clip.mp4`` -> ``clip.truth.json``."""
    video = Path(video)
    return video.with_name(video.stem + ".truth.json")


# --------------------------------------------------------------------------------------------
# Camera placement
# --------------------------------------------------------------------------------------------


def _view_direction(motion: Motion, view: str, base_rot: np.ndarray, facing: str) -> np.ndarray:
    """Horizontal unit vector from the body toward the camera."""
    dirs = {
        "lateral": base_rot[:, 0] * (1.0 if facing == "l" else -1.0),
        "head": base_rot[:, 1],
        "feet": -base_rot[:, 1],
        "belly": base_rot[:, 2],
    }
    total = np.zeros(3)
    for name in motion.views[view]:
        d = dirs[name] * np.array([1.0, 0.0, 1.0])
        if np.linalg.norm(d) < 1e-6:
            raise ValueError(f"{motion.name}: the {name} direction is vertical, pick another view")
        total += d / np.linalg.norm(d)
    return total / np.linalg.norm(total)


def place_camera(
    points: np.ndarray,
    direction: np.ndarray,
    height: float,
    fov_y: float,
    size: tuple[int, int],
    fill: float,
    roll: float,
) -> Camera:
    """A camera along ``direction`` at ``height`` that frames ``points`` (N, 3) so their
    projection spans ``fill`` of the frame (the tighter of width and height), centred."""
    w, h = size
    lo, hi = points.min(axis=0), points.max(axis=0)
    target = (lo + hi) / 2.0

    def make(dist: float, tgt: np.ndarray) -> Camera:
        eye = tgt + direction * dist
        eye[1] = height
        return Camera(tuple(eye), tuple(tgt), fov_y, w, h, roll)

    for _ in range(3):
        a, b = 0.5, 30.0
        for _ in range(40):
            d = (a + b) / 2
            px = make(d, target).project(points)
            span = max((px[:, 0].max() - px[:, 0].min()) / w, (px[:, 1].max() - px[:, 1].min()) / h)
            if span > fill:
                a = d
            else:
                b = d
        cam = make(b, target)
        # re-aim at the middle of the projected points
        px = cam.project(points)
        centre_px = (px.min(axis=0) + px.max(axis=0)) / 2
        ray = np.linalg.inv(cam.axes()) @ np.array(
            [(centre_px[0] - w / 2) / cam.focal_px, (centre_px[1] - h / 2) / cam.focal_px, 1.0]
        )
        depth = np.linalg.norm(target - np.asarray(cam.eye))
        target = np.asarray(cam.eye) + ray / np.linalg.norm(ray) * depth
    return cam


#: Vertical fields of view a phone or laptop camera has, degrees (a phone's main lens held in
#: landscape is about 40-50, in portrait about 65-75; laptop webcams 40-55).
FOV_RANGE = (30.0, 75.0)


def place_camera_at(
    points: np.ndarray,
    direction: np.ndarray,
    height: float,
    distance: float,
    size: tuple[int, int],
    fill: float,
    roll: float,
    fov_range: tuple[float, float] = FOV_RANGE,
) -> Camera:
    """A camera ``distance`` metres (horizontally) from the middle of ``points`` along
    ``direction``, at ``height``, aimed at them, with the field of view that makes their
    projection span ``fill`` of the frame, clamped to ``fov_range``. At the narrowest lens the
    body is smaller than ``fill``; at the widest it may not fit: that camera is simply badly
    placed, as a user's may be."""
    w, h = size
    lo, hi = points.min(axis=0), points.max(axis=0)
    target = (lo + hi) / 2.0
    eye = target + direction * distance
    eye[1] = height

    def make(fov: float, tgt: np.ndarray) -> Camera:
        return Camera(tuple(eye), tuple(tgt), fov, w, h, roll)

    fov = fov_range[1]
    for _ in range(3):
        a, b = fov_range
        for _ in range(40):
            f = (a + b) / 2
            px = make(f, target).project(points)
            span = max((px[:, 0].max() - px[:, 0].min()) / w, (px[:, 1].max() - px[:, 1].min()) / h)
            if span > fill:
                a = f
            else:
                b = f
        fov = b
        cam = make(fov, target)
        px = cam.project(points)
        centre_px = (px.min(axis=0) + px.max(axis=0)) / 2
        ray = np.linalg.inv(cam.axes()) @ np.array(
            [(centre_px[0] - w / 2) / cam.focal_px, (centre_px[1] - h / 2) / cam.focal_px, 1.0]
        )
        depth = np.linalg.norm(target - eye)
        target = eye + ray / np.linalg.norm(ray) * depth
    return make(fov, target)


def camera_pitch_deg(camera: Camera) -> float:
    """How far the optical axis points below the horizontal, degrees (+ = looking down)."""
    fwd = np.subtract(camera.target, camera.eye)
    return float(np.degrees(np.arcsin(-fwd[1] / np.linalg.norm(fwd))))


# --------------------------------------------------------------------------------------------
# render_clip
# --------------------------------------------------------------------------------------------


def _r(values: np.ndarray, digits: int) -> list:
    return np.round(np.asarray(values, dtype=float), digits).tolist()


@dataclass(frozen=True)
class _Shot:
    """Every random choice of one clip, drawn from the seed in a fixed order."""

    body: BodyModel
    appearance: object  # scene.Appearance (imported lazily with the scene)
    fps: float
    facing: str
    camera_height: float
    fov: float
    fill: float
    yaw_offset: float
    roll: float
    sway_rng: np.random.Generator
    wall_distance: float
    noise_rng: np.random.Generator


def _draw_shot(spec: RenderSpec, motion: Motion, appearance_cls) -> _Shot:
    rng = np.random.default_rng(spec.seed)
    body = spec.body or make_body(spec.body_model, spec.body_preset, rng)
    appearance = appearance_cls.sample(rng)
    fps = spec.fps or float(FPS_CHOICES[rng.integers(len(FPS_CHOICES))])
    facing = spec.side[0] if spec.side else ("l" if rng.uniform() < 0.5 else "r")
    lo, hi = motion.camera_height[spec.view]
    height = spec.camera_height if spec.camera_height is not None else float(rng.uniform(lo, hi))
    fov, fill = float(rng.uniform(40.0, 52.0)), float(rng.uniform(0.72, 0.86))
    yaw, roll = float(rng.uniform(-8.0, 8.0)), float(rng.uniform(-2.0, 2.0))
    if spec.camera_yaw is not None:
        yaw = spec.camera_yaw
    sway_rng = np.random.default_rng(rng.integers(2**32))
    wall_distance = float(rng.uniform(1.2, 2.5))
    noise_rng = np.random.default_rng(rng.integers(2**32))
    return _Shot(body, appearance, fps, facing, height, fov, fill, yaw, roll, sway_rng,
                 wall_distance, noise_rng)


def _aim(spec: RenderSpec, motion: Motion, anim: Animator, frames, shot: _Shot) -> Camera:
    """The camera for the view: every landmark of the clip in frame, plus a margin for the
    body's thickness."""
    direction = _view_direction(motion, spec.view, anim.base_rot, shot.facing)
    c, s = np.cos(np.radians(shot.yaw_offset)), np.sin(np.radians(shot.yaw_offset))
    direction = np.array([c * direction[0] - s * direction[2], 0.0, s * direction[0] + c * direction[2]])
    pts = np.concatenate([p.landmarks for _, p, _ in frames[:: max(1, len(frames) // 40)]])
    pts = np.concatenate([pts + off for off in np.eye(3) * 0.08] + [pts - off for off in np.eye(3) * 0.08])
    if spec.camera_distance is not None:
        height = shot.camera_height
        if spec.camera_pitch is not None:
            centre = (pts.min(axis=0) + pts.max(axis=0)) / 2.0
            height = float(centre[1] + spec.camera_distance * np.tan(np.radians(spec.camera_pitch)))
        return place_camera_at(pts, direction, height, spec.camera_distance, spec.size,
                               shot.fill, shot.roll)
    return place_camera(pts, direction, shot.camera_height, shot.fov, spec.size, shot.fill, shot.roll)


def _side_facing(camera: Camera, landmarks: np.ndarray) -> str | None:
    """The body side nearer the camera, or None when the hips are about equally far."""
    hips = landmarks[[Landmark.LEFT_HIP, Landmark.RIGHT_HIP]]
    dist = np.linalg.norm(hips - np.asarray(camera.eye), axis=1)
    if abs(dist[0] - dist[1]) <= 0.3 * np.linalg.norm(hips[0] - hips[1]):
        return None
    return "left" if dist[0] < dist[1] else "right"


def _room(anim: Animator, frames, camera: Camera, shot: _Shot):
    """The exercise mat under the body (x0, z0, x1, z1) and the wall behind it (point, normal)."""
    long_h = anim.base_rot[:, 1] * np.array([1.0, 0.0, 1.0])
    along_x = abs(long_h[0]) > abs(long_h[2]) if np.linalg.norm(long_h) > 0.5 else True
    centre = np.mean([p.landmarks[:, [0, 2]].mean(axis=0) for _, p, _ in frames[:: max(1, len(frames) // 10)]], axis=0)
    hx, hz = (1.85 / 2, 0.65 / 2) if along_x else (0.65 / 2, 1.85 / 2)
    mat = (centre[0] - hx, centre[1] - hz, centre[0] + hx, centre[1] + hz)
    toward_camera = (np.asarray(camera.eye) - np.asarray(camera.target)) * np.array([1.0, 0.0, 1.0])
    toward_camera /= np.linalg.norm(toward_camera)
    pelvis = frames[0][1].pose.pos[JOINT_INDEX["pelvis"]] * np.array([1.0, 0.0, 1.0])
    return mat, (pelvis - toward_camera * shot.wall_distance, toward_camera)


def _frame_truth(t: float, st, placed, angles, camera: Camera, motion: Motion) -> FrameTruth:
    lm = placed.landmarks
    hip_mid = (lm[Landmark.LEFT_HIP] + lm[Landmark.RIGHT_HIP]) / 2
    return FrameTruth(
        t_ms=int(round(t * 1000)),
        phase=st.phase,
        rep=None if st.rep is None else st.rep.index,
        pose=None if st.rep is None else motion.keyframes()[st.peak_index][0],
        fault_levels={k: round(v, 3) for k, v in st.fault_levels.items()},
        landmarks_px=_r(camera.project(lm), 1),
        landmarks_world=_r((lm - hip_mid) @ camera.axes().T, 3),
        angles={k: round(v, 2) for k, v in angles.items()},
    )


_SIDE_NAMES = {"l": "left", "r": "right", "both": "both"}


def _clip_truth(spec, motion, anim, shot, camera, faults, frames_truth, side_facing) -> RenderTruth:
    from formcheck import __version__

    return RenderTruth(
        formcheck_version=__version__,
        exercise=spec.exercise,
        view=spec.view,
        side_facing_camera=side_facing,
        working_side=_SIDE_NAMES[shot.facing],
        fps=shot.fps,
        size=list(spec.size),
        seconds=spec.seconds,
        seed=spec.seed,
        command=spec.to_command(),
        body=shot.body.describe(),
        body_model=spec.body_model,
        body_preset=spec.body_preset,
        camera=CameraTruth(
            eye=_r(camera.eye, 4),
            target=_r(camera.target, 4),
            fov_y_deg=round(camera.fov_y_deg, 3),
            roll_deg=round(shot.roll, 3),
            height_m=round(float(camera.eye[1]), 4),
            distance_m=round(float(np.linalg.norm(np.subtract(camera.eye, camera.target))), 4),
            yaw_offset_deg=round(shot.yaw_offset, 3),
            pitch_deg=round(camera_pitch_deg(camera), 3),
            focal_px=round(camera.focal_px, 3),
        ),
        appearance=shot.appearance.to_dict(),
        faults=[
            FaultTruth(
                check_id=f.fault.check_id,
                value=f.value,
                unit=f.fault.unit,
                start_s=anim.span(f)[0],
                end_s=anim.span(f)[1],
                envelope=f.fault.envelope,
                ramp_s=anim.ramp_s(f),
                description=f.fault.description,
            )
            for f in faults
        ],
        reps=[
            RepTruth(
                index=r.index,
                side=_SIDE_NAMES[r.side],
                start_s=round(r.start, 4),
                peak_s=round(r.peak, 4),
                end_s=round(r.end, 4),
                peaks={name: round(g.peak, 4) for (name, _), g in zip(motion.keyframes(), r.segments)},
                faults=anim.rep_faults(r),
            )
            for r in anim.reps
        ],
        hold=HoldTruth(start_s=0.0, end_s=spec.seconds) if motion.kind == "hold" else None,
        frames=frames_truth,
    )


def render_clip(spec: RenderSpec, progress: bool = False) -> tuple[Path, RenderTruth]:
    """Render ``spec.out`` (H.264 MP4) and ``spec.truth_path``; return both.

    Example::

        video, truth = render_clip(RenderSpec("plank", Path("out/sag.mp4"), faults={"hip_sag": 12}))
        truth.angle_series("hip_bend_deg")  # 12.0 in every frame

    Raises:
        RenderUnavailableError: moderngl or EGL is missing.
        OutputError: the output cannot be written.
        ValueError: an impossible combination (e.g. too many reps for the clip).
    """
    from formcheck.video_writer import H264Writer

    from .scene import Appearance, SceneRenderer

    motion = MOTIONS[spec.exercise]
    shot = _draw_shot(spec, motion, Appearance)
    faults = [
        AppliedFault(motion.faults[k], float(v), spec.fault_spans.get(k)) for k, v in spec.faults.items()
    ]
    anim = Animator(motion, shot.body, shot.facing, spec.seconds, spec.reps, faults, shot.sway_rng)
    times = np.arange(int(np.floor(spec.seconds * shot.fps + 1e-9))) / shot.fps
    frames = [anim.frame(float(t)) for t in times]
    camera = _aim(spec, motion, anim, frames, shot)
    mat, wall = _room(anim, frames, camera, shot)

    spec.out.parent.mkdir(parents=True, exist_ok=True)
    frames_truth: list[FrameTruth] = []
    started = time.perf_counter()
    noise = shot.appearance.noise
    w, h = spec.size
    with SceneRenderer(w, h, shot.appearance, mat, wall) as scene, H264Writer(
        spec.out, w, h, fps=shot.fps, crf=spec.crf
    ) as writer:
        for i, (t, (st, placed, angles)) in enumerate(zip(times, frames)):
            img = scene.render(camera, placed.surface)
            if noise > 0:
                noisy = img.astype(np.float32) + shot.noise_rng.normal(0, noise, img.shape)
                img = np.clip(noisy, 0, 255).astype(np.uint8)
            truth_frame = _frame_truth(float(t), st, placed, angles, camera, motion)
            writer.write(img, truth_frame.t_ms)
            frames_truth.append(truth_frame)
            if progress and (i % 10 == 0 or i == len(times) - 1):
                rate = (i + 1) / (time.perf_counter() - started)
                print(f"\rframe {i + 1}/{len(times)} ({rate:.1f} fps)", end="", file=sys.stderr)
    if progress:
        print(file=sys.stderr)
    side_facing = _side_facing(camera, frames[0][1].landmarks)
    truth = _clip_truth(spec, motion, anim, shot, camera, faults, frames_truth, side_facing)
    try:
        spec.truth_path.write_text(json.dumps(truth.model_dump(), separators=(",", ":")))
    except OSError as exc:
        raise OutputError(f"cannot write {spec.truth_path}: {exc}") from exc
    return spec.out, truth


def load_truth(path: str | os.PathLike[str]) -> RenderTruth:
    """Read a ``*.truth.json`` (or the truth next to a rendered ``.mp4``)."""
    p = Path(path)
    if p.suffix == ".mp4":
        p = truth_path_for(p)
    return RenderTruth.model_validate_json(p.read_text())


# --------------------------------------------------------------------------------------------
# The Typer command
# --------------------------------------------------------------------------------------------


def _parse_faults(items: list[str]) -> dict[str, float]:
    out = {}
    for item in items:
        m = re.fullmatch(r"\s*([a-z_]+)\s*=\s*(-?[0-9.]+)\s*", item)
        if not m:
            raise typer.BadParameter(f"--fault wants NAME=VALUE (e.g. hip_sag=12), got {item!r}")
        out[m.group(1)] = float(m.group(2))
    return out


def _parse_spans(items: list[str], faults: dict[str, float]) -> dict[str, tuple[float, float]]:
    spans = {}
    for item in items:
        name = None
        if "=" in item:
            name, item = item.split("=", 1)
        m = re.fullmatch(r"\s*([0-9.]+)\s*-\s*([0-9.]+)\s*", item)
        if not m:
            raise typer.BadParameter(f"--fault-span wants START-END seconds (e.g. 1.5-3), got {item!r}")
        span = (float(m.group(1)), float(m.group(2)))
        for k in [name] if name else list(faults):
            spans[k] = span
    return spans


def _parse_size(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d+)x(\d+)", text.strip().lower())
    if not m:
        raise typer.BadParameter(f"--size wants WxH (e.g. 640x360), got {text!r}")
    return int(m.group(1)), int(m.group(2))


def render(
    exercise: Annotated[str, typer.Argument(help=f"Exercise to film: {', '.join(MOTIONS)}.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output .mp4; the truth is written next to it as .truth.json.")],
    fault: Annotated[
        list[str],
        typer.Option("--fault", help="Fault NAME=VALUE in the catching check's unit, e.g. hip_sag=12. Repeatable."),
    ] = [],  # noqa: B006 (Typer reads the default)
    fault_span: Annotated[
        list[str],
        typer.Option("--fault-span", help="START-END seconds the faults apply (NAME=START-END for one fault). Default: every rep / the whole hold."),
    ] = [],  # noqa: B006
    view: Annotated[str, typer.Option(help="Camera view: side, front, oblique, head or feet (which of them an exercise has: formcheck.render.MOTIONS).")] = "side",
    seconds: Annotated[float, typer.Option(help="Clip length in seconds.")] = 5.0,
    reps: Annotated[int, typer.Option(help="Number of reps (ignored for holds).")] = 3,
    seed: Annotated[int, typer.Option(help="Seed for body, clothes, room, light, camera jitter and sway.")] = 0,
    size: Annotated[str, typer.Option(help="Frame size WxH.")] = "640x360",
    fps: Annotated[float | None, typer.Option(help="Frame rate; default: chosen by the seed (24-60).")] = None,
    side: Annotated[str | None, typer.Option(help="Body side facing the camera (clamshell: the top leg): left or right. Default: by seed.")] = None,
    camera_height: Annotated[float | None, typer.Option(help="Camera height above the floor, metres. Default: by seed within the view's range.")] = None,
    camera_distance: Annotated[float | None, typer.Option(help="Horizontal distance from the camera to the body, metres; the lens then zooms to fit. Default: by seed.")] = None,
    camera_pitch: Annotated[float | None, typer.Option(help="Degrees the camera looks down at the body (with --camera-distance, instead of --camera-height).")] = None,
    camera_yaw: Annotated[float | None, typer.Option(help="Degrees the camera stands off the view's ideal direction. Default: by seed within +-8.")] = None,
    body_model: Annotated[str, typer.Option(help=f"Body model: {', '.join(BODY_MODELS)}.")] = "mannequin",
    body: Annotated[str | None, typer.Option(help=f"Body shape: {', '.join(BODY_PRESETS)}. Default: by seed.")] = None,
) -> None:
    """Render a synthetic exercise clip with known faults, and its ground truth."""
    faults = _parse_faults(fault)
    try:
        spec = RenderSpec(
            exercise=exercise,
            out=out,
            faults=faults,
            fault_spans=_parse_spans(fault_span, faults),
            view=view,
            seconds=seconds,
            reps=reps,
            seed=seed,
            size=_parse_size(size),
            fps=fps,
            side=side,
            camera_height=camera_height,
            camera_distance=camera_distance,
            camera_pitch=camera_pitch,
            camera_yaw=camera_yaw,
            body_model=body_model,
            body_preset=body,
        )
        started = time.perf_counter()
        video, truth = render_clip(spec, progress=True)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    except FormcheckError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    took = time.perf_counter() - started
    typer.echo(
        f"wrote {video} ({len(truth.frames)} frames, {truth.fps:g} fps, {took:.1f} s) "
        f"and {spec.truth_path}"
    )
