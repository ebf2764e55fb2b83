"""The pose stage: RGB frames in, :class:`~formcheck.frames.PoseFrame` out.

This is the only module that imports MediaPipe. It wraps the Tasks ``PoseLandmarker`` in VIDEO
running mode (files and live cameras alike: both feed strictly increasing millisecond
timestamps; a live source simply skips frames it had no time for) and converts each result to
formcheck's own frame type at the boundary.

Horizontal bodies (plank, bird dog, clamshell, bridge) are where BlazePose's person detector is
weakest: it was trained mostly on upright people. When the tracker loses the person,
``rotate_fallback`` runs a second landmarker on the frame turned 90 degrees (the lying body then
looks upright) and maps its landmarks back; see ``benchmarks/detection.py`` for what it buys.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from formcheck.errors import ModelLoadError
from formcheck.frames import PoseFrame
from formcheck.landmarks import NUM_LANDMARKS
from formcheck.models import resolve_model



@contextlib.contextmanager
def _native_log_filtered():
    """Hold back what MediaPipe's C++ core writes to stderr while it starts and stops
    (LiteRT's ``INFO: ... RegisterAccelerator`` / ``DestroyAccelerator``, XNNPACK and sparsity
    notices, the first frame's alignment warning), passing on only error and fatal lines. It
    has to be done on file descriptor 2: these are LiteRT's own log lines, which
    GLOG_minloglevel and TF_CPP_MIN_LOG_LEVEL do not reach (measured with mediapipe 1.x), and
    the Python API offers no switch. Set FORMCHECK_MEDIAPIPE_LOG=1 to see everything."""
    if os.environ.get("FORMCHECK_MEDIAPIPE_LOG"):
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real stderr (e.g. some embedded interpreters)
        yield
        return
    with tempfile.TemporaryFile(mode="w+b") as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            for line in sink.read().decode("utf-8", "replace").splitlines():
                if line[:1] in ("E", "F") and not line.startswith("INFO"):
                    print(line, file=sys.stderr)


@dataclass(frozen=True)
class PoseOptions:
    """Settings of the pose stage.

    Attributes:
        model: explicit model file; None resolves ``variant`` (see :mod:`formcheck.models`).
        variant: ``full``, ``lite`` or ``heavy``.
        min_detection_confidence: person-detector score needed to start tracking, in [0, 1].
        min_presence_confidence: landmark-model score needed to keep a pose, in [0, 1].
        min_tracking_confidence: score needed to track instead of re-detecting, in [0, 1].
        segmentation: also return the person mask (used for the back contour in cat/cow).
        rotate_fallback: when no person is found, retry on the frame turned 90 degrees.
    """

    model: str | os.PathLike[str] | None = None
    variant: str = "full"
    min_detection_confidence: float = 0.5
    min_presence_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    segmentation: bool = False
    rotate_fallback: bool = True

    def __post_init__(self) -> None:
        for name in ("min_detection_confidence", "min_presence_confidence", "min_tracking_confidence"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"PoseOptions.{name} must be in [0, 1], got {value}")


def _make_landmarker(model_path: Path, options: PoseOptions, video: bool):
    from mediapipe.tasks.python import BaseOptions, vision

    mp_options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(model_path)),
        running_mode=vision.RunningMode.VIDEO if video else vision.RunningMode.IMAGE,
        num_poses=1,
        min_pose_detection_confidence=options.min_detection_confidence,
        min_pose_presence_confidence=options.min_presence_confidence,
        min_tracking_confidence=options.min_tracking_confidence,
        output_segmentation_masks=options.segmentation,
    )
    try:
        with _native_log_filtered():
            return vision.PoseLandmarker.create_from_options(mp_options)
    except (RuntimeError, ValueError) as exc:
        raise ModelLoadError(
            f"MediaPipe could not load the pose model {model_path} ({str(exc).splitlines()[0]}); "
            "the file may be corrupt or not a PoseLandmarker .task file: delete it and download "
            "it again (see models/README.md)"
        ) from exc


class PoseEstimator:
    """MediaPipe PoseLandmarker for a stream of frames. Use as a context manager; ``close()`` is
    idempotent and always releases the landmarkers (mediapipe prints a traceback at exit for one
    left open).

    Raises:
        ModelNotFoundError: no model file (from :func:`formcheck.models.resolve_model`).
        ModelLoadError: the model file is not loadable.
    """

    def __init__(self, options: PoseOptions | None = None) -> None:
        self.options = options or PoseOptions()
        self.model_path = resolve_model(self.options.model, self.options.variant)
        self._video = _make_landmarker(self.model_path, self.options, video=True)
        self._still = None
        if self.options.rotate_fallback:
            try:
                self._still = _make_landmarker(self.model_path, self.options, video=False)
            except BaseException:
                self._video.close()
                raise
        self._last_ms = -1
        self._first = True
        self.fallback_hits = 0

    def process(self, image: np.ndarray, t_ms: int) -> PoseFrame:
        """Landmarks of the most prominent person in one (H, W, 3) uint8 RGB frame.

        ``t_ms`` must increase strictly from call to call (MediaPipe's VIDEO mode); a repeated
        or earlier time is moved on by one millisecond rather than refused. Returns
        ``PoseFrame.empty`` when nobody is found.
        """
        import mediapipe as mp

        t_ms = max(int(t_ms), self._last_ms + 1)
        self._last_ms = t_ms
        h, w = image.shape[:2]
        mp_image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(image))
        if self._first:  # the graph logs more set-up notices on its first frame
            with _native_log_filtered():
                result = self._video.detect_for_video(mp_image, t_ms)
            self._first = False
        else:
            result = self._video.detect_for_video(mp_image, t_ms)
        frame = _to_pose_frame(result, t_ms, (w, h))
        if not frame.has_person and self._still is not None:
            frame = self._rotated_pass(image, t_ms)
        return frame

    def _rotated_pass(self, image: np.ndarray, t_ms: int) -> PoseFrame:
        import mediapipe as mp

        h, w = image.shape[:2]
        # Try both quarter turns: a person lying head-left needs the opposite turn from one lying
        # head-right.
        for k in (1, 3):
            turned = np.ascontiguousarray(np.rot90(image, k=k))
            result = self._still.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=turned))
            frame = _to_pose_frame(result, t_ms, (turned.shape[1], turned.shape[0]))
            if frame.has_person:
                self.fallback_hits += 1
                return _unrotate(frame, k, (w, h))
        return PoseFrame.empty(t_ms, (w, h))

    def close(self) -> None:
        for name in ("_video", "_still"):
            landmarker = getattr(self, name, None)
            if landmarker is not None:
                with _native_log_filtered():  # closing logs one DestroyAccelerator line per graph
                    landmarker.close()
                setattr(self, name, None)

    def __enter__(self) -> PoseEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _to_pose_frame(result, t_ms: int, size: tuple[int, int]) -> PoseFrame:
    if not result.pose_landmarks:
        return PoseFrame.empty(t_ms, size)
    w, h = size
    image_lms = result.pose_landmarks[0]
    world_lms = result.pose_world_landmarks[0] if result.pose_world_landmarks else None
    xy = np.array([[lm.x * w, lm.y * h] for lm in image_lms], dtype=np.float64)
    depth = np.array([lm.z for lm in image_lms], dtype=np.float64)
    visibility = np.array([_score(lm.visibility) for lm in image_lms], dtype=np.float64)
    presence = np.array([_score(lm.presence) for lm in image_lms], dtype=np.float64)
    if world_lms is not None:
        world = np.array([[lm.x, lm.y, lm.z] for lm in world_lms], dtype=np.float64)
    else:
        world = np.full((NUM_LANDMARKS, 3), np.nan)
    mask = None
    if result.segmentation_masks:
        # A copy: numpy_view() points into MediaPipe's buffer, which is reused by later calls.
        mask = np.array(result.segmentation_masks[0].numpy_view(), dtype=np.float32)[..., 0].copy()
    return PoseFrame(t_ms=t_ms, image_size=size, xy=xy, world=world, depth=depth,
                     visibility=visibility, presence=presence, mask=mask)


def _score(value: float | None) -> float:
    return float("nan") if value is None else float(value)


def _unrotate(frame: PoseFrame, k: int, size: tuple[int, int]) -> PoseFrame:
    """Map a frame measured on ``np.rot90(image, k)`` back to the original image."""
    w, h = size
    x, y = frame.xy[:, 0], frame.xy[:, 1]
    if k == 1:  # rot90 anticlockwise: original (x, y) -> (y, w - 1 - x)
        xy = np.stack([w - 1 - y, x], axis=1)
    else:  # k == 3, clockwise: original (x, y) -> (h - 1 - y, x)
        xy = np.stack([y, h - 1 - x], axis=1)
    mask = None if frame.mask is None else np.ascontiguousarray(np.rot90(frame.mask, k=-k))
    # World landmarks are kept as MediaPipe gave them for the turned image: their x/y axes are
    # turned by the same quarter turn, so undo it on those two axes too.
    wx, wy, wz = frame.world[:, 0], frame.world[:, 1], frame.world[:, 2]
    world = np.stack([-wy, wx, wz], axis=1) if k == 1 else np.stack([wy, -wx, wz], axis=1)
    return PoseFrame(t_ms=frame.t_ms, image_size=size, xy=xy, world=world, depth=frame.depth,
                     visibility=frame.visibility, presence=frame.presence, mask=mask)
