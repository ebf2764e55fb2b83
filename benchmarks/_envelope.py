"""The camera and body envelope the checks are calibrated over, and a cache of rendered clips
with their MediaPipe poses.

A :class:`Scene` is one way of filming one exercise: body model and shape, clothes and room (the
seed), camera height, distance and yaw off the view's ideal direction, which side of the body
faces the camera (mirroring), portrait or landscape, frame rate. :func:`sample_scenes` spreads
scenes over the envelope of issue 16: camera height from floor level to 1.4 m with a down-pitch
of at most 35 degrees, 1.5-4 m away, yaw +-20 degrees, either side to the camera, portrait and
landscape, 24-60 fps. Heights are stratified (each quarter of the range gets its share) so
that every height bin has samples; a camera that would look up at the body by more than 8
degrees, or down by more than 35, is drawn again.

:func:`clip` renders a scene with given faults (``formcheck.render``) and runs MediaPipe on it
once; both are cached under ``benchmarks/_cache/calibration/`` (git-ignored), keyed by the
render command, so re-evaluating with other limits costs no rendering or pose estimation.
:func:`poses` loads the cached raw poses as :class:`~formcheck.frames.PoseFrame` objects.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from _common import CACHE

from formcheck.frames import PoseFrame
from formcheck.render import RenderSpec, RenderTruth, load_truth, render_clip

CLIPS = CACHE / "calibration"

#: The envelope (issue 16).
HEIGHT_M = (0.05, 1.4)
DISTANCE_M = (1.5, 4.0)
YAW_DEG = 20.0
MAX_DOWN_PITCH_DEG = 35.0
MAX_UP_PITCH_DEG = 8.0
FPS_CHOICES = (24.0, 30.0, 30.0, 60.0)
#: Every how many scenes one is filmed in portrait.
PORTRAIT_EVERY = 4
LANDSCAPE = (640, 360)

#: Height of the middle of the body above the floor, metres, by posture (for the pitch a
#: camera height gives); the renderer aims at the body's real middle.
BODY_MIDDLE_M = {"lying": 0.2, "kneeling": 0.4, "tall_kneeling": 0.7, "standing": 0.95}
#: Clip length (s) and reps per exercise: reps need their top pause and rest in between.
TIMING = {"plank": (4.0, 1), "bird_dog": (7.0, 2), "clamshell": (6.0, 2), "cat_cow": (8.0, 2),
          "side_leg_lift": (6.0, 2), "bridge": (6.0, 2)}
DEFAULT_TIMING = (6.0, 2)


@dataclass(frozen=True)
class Scene:
    """One way of filming one exercise (see the module docstring)."""

    #: the render motion (``formcheck.render.MOTIONS`` key): the exercise's id, or its second
    #: form's (``anti_rotation_chop``)
    exercise: str
    view: str
    seed: int
    height: float
    distance: float
    yaw: float
    side: str
    portrait: bool
    fps: float
    body_model: str = "mannequin"
    body_preset: str | None = None

    @property
    def size(self) -> tuple[int, int]:
        return LANDSCAPE[::-1] if self.portrait else LANDSCAPE

    def spec(self, faults: dict[str, float], out: Path) -> RenderSpec:
        seconds, reps = TIMING.get(self.exercise, DEFAULT_TIMING)
        extra = {}
        if self.body_model != "mannequin":
            extra["body_model"] = self.body_model
        if self.body_preset is not None:
            extra["body_preset"] = self.body_preset
        return RenderSpec(self.exercise, out, faults=dict(faults), view=self.view,
                          seconds=seconds, reps=reps, seed=self.seed, size=self.size, fps=self.fps,
                          side=self.side, camera_height=round(self.height, 3),
                          camera_distance=round(self.distance, 3), camera_yaw=round(self.yaw, 2),
                          **extra)

    def label(self) -> str:
        return (f"{self.exercise}_{self.view}_{self.body_model}_{self.body_preset or 'seed'}_"
                f"s{self.seed}")


#: Motions whose posture is not their exercise's (which allows several).
KNEELING_UPRIGHT = ("overhead_ball_raise", "anti_rotation_chop")


def _posture(motion: str) -> str:
    from formcheck.exercises import get_exercise
    from formcheck.render import MOTIONS

    if motion in KNEELING_UPRIGHT:
        return "tall_kneeling"
    posture = get_exercise(MOTIONS[motion].exercise_id).posture
    return posture if posture in BODY_MIDDLE_M else "standing"


def sample_scenes(exercise: str, view: str, n: int, seed: int = 0,
                  body_models: tuple[str, ...] = ("mannequin",),
                  body_presets: tuple[str | None, ...] = (None,)) -> list[Scene]:
    """``n`` scenes of ``exercise`` filmed from ``view``, spread over the envelope.

    Heights are stratified over :data:`HEIGHT_M` in four bins (scene ``i`` in bin ``i % 4``);
    the body model and shape, the side facing the camera, the frame rate and portrait framing
    cycle so every value is represented about equally. The body model and the side are crossed
    with the height bins: over every 8 scenes each model is filmed once from each bin, from both
    sides. (They used to cycle in step with the bins, so the MakeHuman body was only ever filmed
    from the upper two, 0.7-1.4 m, and a body's bias could not be told from the camera's. The
    first four scenes are unchanged, so 4-scene caches stay valid.)
    """
    rng = np.random.default_rng([seed, sum(map(ord, exercise + view))])
    middle = BODY_MIDDLE_M[_posture(exercise)]
    lo, hi = HEIGHT_M
    edges = np.linspace(lo, hi, 5)
    scenes = []
    for i in range(n):
        for _ in range(200):
            stratum = i % 4
            height = float(rng.uniform(edges[stratum], edges[stratum + 1]))
            distance = float(rng.uniform(*DISTANCE_M))
            pitch = math.degrees(math.atan2(height - middle, distance))
            if -MAX_UP_PITCH_DEG <= pitch <= MAX_DOWN_PITCH_DEG:
                break
        else:  # this stratum cannot reach the body at an allowed pitch: take the nearest height
            height = float(np.clip(middle + distance * math.tan(math.radians(
                MAX_DOWN_PITCH_DEG if height > middle else -MAX_UP_PITCH_DEG)), lo, hi))
        scenes.append(Scene(
            exercise=exercise, view=view, seed=int(rng.integers(1_000_000)), height=height,
            distance=distance, yaw=float(rng.uniform(-YAW_DEG, YAW_DEG)),
            side=("left", "right")[(i + i // 4) % 2],
            portrait=i % PORTRAIT_EVERY == PORTRAIT_EVERY - 1,
            fps=FPS_CHOICES[i % len(FPS_CHOICES)],
            body_model=body_models[(i // 2 + i // 4) % len(body_models)],
            body_preset=body_presets[i % len(body_presets)],
        ))
    return scenes


# --------------------------------------------------------------------------------------------
# Cache
# --------------------------------------------------------------------------------------------


def clip_path(scene: Scene, faults: dict[str, float]) -> Path:
    spec = scene.spec(faults, Path("x.mp4"))
    key = hashlib.sha1((spec.to_command() + repr(asdict(scene))).encode()).hexdigest()[:12]
    name = "_".join([scene.label(), *(f"{k}{v:g}" for k, v in sorted(faults.items()))])
    return CLIPS / f"{name}_{key}.mp4"


def pose_path(video: Path) -> Path:
    return video.with_name(video.stem + ".pose.npz")


def clip(scene: Scene, faults: dict[str, float], segmentation: bool) -> Path:
    """Render ``scene`` with ``faults`` and run MediaPipe on it, unless both are cached; returns
    the video's path (truth and poses beside it)."""
    out = clip_path(scene, faults)
    spec = scene.spec(faults, out)
    if not (out.is_file() and spec.truth_path.is_file()):
        out.parent.mkdir(parents=True, exist_ok=True)
        render_clip(spec)
    if not pose_path(out).is_file():
        extract_poses(out, segmentation)
    return out


def extract_poses(video: Path, segmentation: bool) -> None:
    """Run MediaPipe over a rendered clip and cache its raw poses beside it (:func:`pose_path`)."""
    from formcheck.capture import VideoFile
    from formcheck.pose import PoseEstimator, PoseOptions

    frames: list[PoseFrame] = []
    with VideoFile(video) as v, PoseEstimator(PoseOptions(segmentation=segmentation)) as est:
        for vf in v.frames():
            frames.append(est.process(vf.image, vf.t_ms))
    arrays = {name: np.stack([getattr(f, name) for f in frames]).astype(np.float32)
              for name in ("xy", "world", "depth", "visibility", "presence")}
    arrays["t_ms"] = np.array([f.t_ms for f in frames])
    arrays["size"] = np.array(frames[0].image_size)
    if segmentation:
        w, h = frames[0].image_size
        arrays["mask"] = np.stack([
            (np.clip(f.mask, 0, 1) * 255).astype(np.uint8) if f.mask is not None
            else np.zeros((h, w), np.uint8) for f in frames])
    tmp = pose_path(video).with_suffix(".tmp.npz")
    np.savez_compressed(tmp, **arrays)
    tmp.replace(pose_path(video))


def poses(video: Path) -> list[PoseFrame]:
    """The cached raw MediaPipe poses of a rendered clip."""
    data = np.load(pose_path(video))
    size = tuple(int(x) for x in data["size"])
    masks = data["mask"] if "mask" in data.files else None
    return [
        PoseFrame(t_ms=int(t), image_size=size, xy=data["xy"][i].astype(float),
                  world=data["world"][i].astype(float), depth=data["depth"][i].astype(float),
                  visibility=data["visibility"][i].astype(float),
                  presence=data["presence"][i].astype(float),
                  mask=None if masks is None else masks[i].astype(np.float32) / 255.0)
        for i, t in enumerate(data["t_ms"])
    ]


def truth(video: Path) -> RenderTruth:
    return load_truth(video)
