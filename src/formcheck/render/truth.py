"""Ground truth of a rendered clip: the schema of ``FILE.truth.json`` and the true angles.

Angles are measured on the **true 3D joints** in the body's own planes (not the camera's), with
:mod:`formcheck.geometry` where it fits, so that truth and checks share definitions:

- The **body frame** is the rendered body's root: ``x`` to its left, ``y`` toward the head,
  ``z`` toward the belly. The **sagittal plane** is the plane normal to ``x``; sagittal angles
  are measured on points projected into it, with the in-plane direction nearest to world-down as
  "down" (image-like y down), so :func:`formcheck.geometry.bend_below_line` applies unchanged.
- ``hip_bend_deg``: ``bend_below_line(shoulder_mid, hip_mid, ankle_mid)`` in the sagittal plane;
  + = hips below the shoulder-ankle line (sag), - = above (pike).
- ``torso_elevation_deg``: hip_mid -> shoulder_mid above the world horizontal.
  ``body_line_elevation_deg``: ankle_mid -> shoulder_mid above the horizontal.
- ``upper_arm_from_vertical_deg``: mean over both arms of the angle between shoulder -> elbow and
  straight down (0 = elbows under the shoulders).
- ``knee_angle_{left,right}_deg``: ``joint_angle(hip, knee, ankle)``, 180 = straight.
  ``hip_flexion_{left,right}_deg``: ``joint_angle(shoulder, hip, knee)`` on that side, 180 =
  straight (smaller = more flexed).
- ``lumbar_flexion_deg``: tilt of the pelvis against the thorax in the sagittal plane (from the
  skeleton's pelvis and thorax frames), + = rounded, - = arched.
- ``neck_flexion_deg``: tilt of the head and neck against the thorax in the sagittal plane (the
  skeleton's neck and thorax frames), + = chin toward the chest (in a plank: the head hanging
  toward the floor), - = craned back (looking up).
- ``arm_above_torso_deg`` / ``leg_above_torso_deg`` (bird dog): sagittal angle of the reaching
  arm (shoulder -> wrist) from the torso line (hip_mid -> shoulder_mid), and of the lifted leg
  (hip -> ankle) from the torso line continued (shoulder_mid -> hip_mid); + = above the line.
  The reaching arm is the rep's side, the lifted leg the other side.
- ``pelvis_drop_deg``: hip-line tilt, + = the lifted leg's hip lower than the other.
  ``hip_line_tilt_deg`` / ``shoulder_line_tilt_deg``: + = left side higher (world vertical).
- ``pelvis_rotation_deg`` / ``shoulder_rotation_deg``: rotation of the hip line (shoulder line)
  about the body's long axis since the rep's start, + = the working side's point moving backward
  (clamshell: rolling back).
- ``knee_opening_deg``: angle between the thighs (hip -> knee, left and right).
- ``bottom_knee_from_90_deg`` / ``bottom_hip_from_45_deg`` (clamshell set-up): the bottom
  leg's knee angle minus 90 degrees (+ = straighter), and its hip flexion (``180 -
  joint_angle(shoulder, hip, knee)``) minus 45 (+ = more flexed), in 3D; the bottom leg is
  the side that is not working.
- ``feet_separation_cm``: ankle distance minus its value at the rep's start.
  ``ankle_knee_gap_ratio``: ankle distance / knee distance.
- ``hip_extension_deg`` (bridge): ``-bend_below_line(shoulder_mid, hip_mid, knee_mid)`` in the
  sagittal plane; 0 = shoulders, hips and knees in line, + = hips pushed past it (over-arch).
- ``knee_width_ratio``: knee distance / ankle distance (below 1 = knees caving in).
- ``trunk_lean_deg`` (standing and kneeling): hip_mid -> shoulder_mid from the world vertical in
  the sagittal plane, + = leaning forward (toward the belly side), - = leaning back.
- ``leg_forward_deg`` / ``leg_abduction_deg`` (side-lying leg lift): the working leg (hip ->
  ankle) against the torso line continued (shoulder_mid -> hip_mid), in the body's sagittal
  plane (+ = toward the front) and frontal plane (+ = out to the working side).
- ``elbow_angle_{left,right}_deg``: ``joint_angle(shoulder, elbow, wrist)``, 180 = straight.
- ``arm_elevation_deg``: shoulder_mid -> wrist_mid from straight down (0 = arms hanging, 90 =
  forward and level, 180 = overhead).
- ``elbow_flexion_deg``: ``180 - elbow_angle``, mean of both arms; 0 = straight arms.
  ``knee_flexion_deg``: ``180 - knee_angle`` of the more bent knee; 0 = straight legs.
- ``knee_past_toes_cm`` (standing): knee ahead of the toes (foot_index) along the body's
  horizontal front direction (the one ``trunk_lean_deg`` uses), mean of both sides, cm; + = the
  knees past the toes.
- ``head_forward_cm`` (standing and kneeling): the ear midpoint ahead of the shoulder midpoint
  along the same horizontal front direction, cm; + = the head forward of the shoulders.
- ``upper_arm_forward_deg``: sagittal angle of the upper arm (shoulder -> elbow) from the trunk
  line on that side (shoulder -> hip), mean of both arms; + = the elbow in front of the trunk
  (toward the belly side), - = drawn back behind it.
- ``hands_from_vertical_deg`` / ``thighs_from_vertical_deg`` (on all fours): sagittal angle of
  shoulder -> wrist (hip -> knee) from the world vertical, mean of both sides; + = the hands
  (knees) toward the head, 0 = right under the shoulders (hips).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, Field

from formcheck import geometry
from formcheck.landmarks import Landmark as L

from .skeleton import JOINT_INDEX, Pose

_UP = np.array([0.0, 1.0, 0.0])


@dataclass(frozen=True)
class MeasureContext:
    """What the angles need besides the landmarks.

    Attributes:
        side: working side of the current (or last) rep, ``l`` / ``r``; ``l`` when bilateral.
        ref_hip_line, ref_shoulder_line: (3,) left-minus-right vectors at the rep's start, in
            body-frame coordinates.
        ref_ankle_gap: ankle distance at the rep's start, metres.
    """

    side: str = "l"
    ref_hip_line: np.ndarray | None = None
    ref_shoulder_line: np.ndarray | None = None
    ref_ankle_gap: float = float("nan")


def _mid(lm: np.ndarray, a: L, b: L) -> np.ndarray:
    return geometry.midpoint(lm[a], lm[b])


def _elev(v: np.ndarray) -> float:
    return float(np.degrees(np.arcsin(np.clip(v @ _UP / np.linalg.norm(v), -1.0, 1.0))))


def _sagittal(root_rot: np.ndarray):
    """Projector of world points into the sagittal plane, as 2D (along, down) coordinates."""
    x = root_rot[:, 0]
    down = -_UP - (-_UP @ x) * x
    if np.linalg.norm(down) < 0.3:  # lying on the side: the sagittal plane is horizontal
        down = root_rot[:, 2]
    e2 = down / np.linalg.norm(down)
    e1 = np.cross(e2, x)
    return lambda p: np.array([p @ e1, p @ e2])


def _above(base_from: np.ndarray, base_to: np.ndarray, seg_from: np.ndarray, seg_to: np.ndarray):
    """Sagittal (2D, y down) angle of segment ``seg`` from line ``base``, + = rotated upward."""
    t = base_to - base_from
    t = t / np.linalg.norm(t)
    n = np.array([-t[1], t[0]])
    if n[1] > 0:  # make the normal point up (negative y)
        n = -n
    a = seg_to - seg_from
    return float(np.degrees(np.arctan2(a @ n, a @ t)))


def _front(pose: Pose) -> np.ndarray:
    """The body's front (belly) direction, made horizontal: forward for a standing body."""
    front = pose.root_rot[:, 2] - (pose.root_rot[:, 2] @ _UP) * _UP
    return front / np.linalg.norm(front)


def _from_down(v: np.ndarray) -> float:
    """Sagittal (along, down) vector's angle from straight down, degrees; + = toward ``along``
    (the front when standing, the head on all fours: see :func:`_sagittal`)."""
    return float(np.degrees(np.arctan2(v[0], v[1])))


def _from_line(vertex: np.ndarray, line_to: np.ndarray, seg_to: np.ndarray) -> float:
    """Sagittal angle of vertex -> seg_to from vertex -> line_to, degrees, in (-180, 180];
    + = turned toward ``along`` (see :func:`_from_down`)."""
    diff = _from_down(seg_to - vertex) - _from_down(line_to - vertex)
    return float(geometry.wrap_degrees(diff))


def _line_angle(vec_body: np.ndarray) -> float:
    """Angle of a left-minus-right vector about the long axis, + = left end moving backward."""
    return float(np.degrees(np.arctan2(-vec_body[2], vec_body[0])))


def body_vectors(pose: Pose, lm: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Hip line and shoulder line (left minus right) in body coordinates, and the ankle gap."""
    r = pose.root_rot
    hip = (lm[L.LEFT_HIP] - lm[L.RIGHT_HIP]) @ r
    sho = (lm[L.LEFT_SHOULDER] - lm[L.RIGHT_SHOULDER]) @ r
    gap = float(geometry.distance(lm[L.LEFT_ANKLE], lm[L.RIGHT_ANKLE]))
    return hip, sho, gap


def measure_angles(
    names: tuple[str, ...], pose: Pose, lm: np.ndarray, ctx: MeasureContext
) -> dict[str, float]:
    """The true values of ``names`` for one posed body.

    Args:
        names: metric names (module docstring).
        pose: the posed skeleton (world frame, Y up).
        lm: (33, 3) world landmark positions of that pose.
        ctx: rep side and rep-start references.
    """
    sh = _mid(lm, L.LEFT_SHOULDER, L.RIGHT_SHOULDER)
    hp = _mid(lm, L.LEFT_HIP, L.RIGHT_HIP)
    an = _mid(lm, L.LEFT_ANKLE, L.RIGHT_ANKLE)
    kn = _mid(lm, L.LEFT_KNEE, L.RIGHT_KNEE)
    sag = _sagittal(pose.root_rot)
    s, o = ("left", "right") if ctx.side == "l" else ("right", "left")
    sign = 1.0 if ctx.side == "l" else -1.0
    out: dict[str, float] = {}
    for name in names:
        if name == "hip_bend_deg":
            v = geometry.bend_below_line(sag(sh), sag(hp), sag(an))
        elif name == "hip_extension_deg":
            v = -geometry.bend_below_line(sag(sh), sag(hp), sag(kn))
        elif name == "torso_elevation_deg":
            v = _elev(sh - hp)
        elif name == "body_line_elevation_deg":
            v = _elev(sh - an)
        elif name == "upper_arm_from_vertical_deg":
            v = np.mean(
                [
                    geometry.joint_angle(lm[L[f"{k}_ELBOW"]] - lm[L[f"{k}_SHOULDER"]], np.zeros(3), -_UP)
                    for k in ("LEFT", "RIGHT")
                ]
            )
        elif name.startswith("knee_angle_"):
            k = name.split("_")[2].upper()
            v = geometry.joint_angle(lm[L[f"{k}_HIP"]], lm[L[f"{k}_KNEE"]], lm[L[f"{k}_ANKLE"]])
        elif name.startswith("hip_flexion_"):
            k = name.split("_")[2].upper()
            v = geometry.joint_angle(lm[L[f"{k}_SHOULDER"]], lm[L[f"{k}_HIP"]], lm[L[f"{k}_KNEE"]])
        elif name == "lumbar_flexion_deg":
            rel = pose.rot[JOINT_INDEX["pelvis"]].T @ pose.rot[JOINT_INDEX["thorax"]]
            v = np.degrees(np.arctan2(rel[2, 1], rel[1, 1]))
        elif name == "neck_flexion_deg":
            rel = pose.rot[JOINT_INDEX["thorax"]].T @ pose.rot[JOINT_INDEX["neck"]]
            v = np.degrees(np.arctan2(rel[2, 1], rel[1, 1]))
        elif name == "arm_above_torso_deg":
            v = _above(sag(hp), sag(sh), sag(lm[L[f"{s.upper()}_SHOULDER"]]), sag(lm[L[f"{s.upper()}_WRIST"]]))
        elif name == "leg_above_torso_deg":
            v = _above(sag(sh), sag(hp), sag(lm[L[f"{o.upper()}_HIP"]]), sag(lm[L[f"{o.upper()}_ANKLE"]]))
        elif name == "pelvis_drop_deg":
            v = _elev(lm[L[f"{s.upper()}_HIP"]] - lm[L[f"{o.upper()}_HIP"]])
        elif name == "hip_line_tilt_deg":
            v = _elev(lm[L.LEFT_HIP] - lm[L.RIGHT_HIP])
        elif name == "shoulder_line_tilt_deg":
            v = _elev(lm[L.LEFT_SHOULDER] - lm[L.RIGHT_SHOULDER])
        elif name in ("pelvis_rotation_deg", "shoulder_rotation_deg"):
            hip, sho, _ = body_vectors(pose, lm)
            cur, ref = (hip, ctx.ref_hip_line) if name.startswith("pelvis") else (sho, ctx.ref_shoulder_line)
            v = 0.0 if ref is None else sign * float(geometry.wrap_degrees(_line_angle(cur) - _line_angle(ref)))
        elif name == "bottom_knee_from_90_deg":
            v = geometry.joint_angle(lm[L[f"{o.upper()}_HIP"]], lm[L[f"{o.upper()}_KNEE"]],
                                     lm[L[f"{o.upper()}_ANKLE"]]) - 90.0
        elif name == "bottom_hip_from_45_deg":
            angle = geometry.joint_angle(lm[L[f"{o.upper()}_SHOULDER"]], lm[L[f"{o.upper()}_HIP"]],
                                         lm[L[f"{o.upper()}_KNEE"]])
            v = (180.0 - angle) - 45.0
        elif name == "knee_opening_deg":
            v = geometry.joint_angle(
                lm[L.LEFT_KNEE] - lm[L.LEFT_HIP], np.zeros(3), lm[L.RIGHT_KNEE] - lm[L.RIGHT_HIP]
            )
        elif name == "feet_separation_cm":
            v = 100.0 * (geometry.distance(lm[L.LEFT_ANKLE], lm[L.RIGHT_ANKLE]) - ctx.ref_ankle_gap)
        elif name == "ankle_knee_gap_ratio":
            v = geometry.distance(lm[L.LEFT_ANKLE], lm[L.RIGHT_ANKLE]) / geometry.distance(
                lm[L.LEFT_KNEE], lm[L.RIGHT_KNEE]
            )
        elif name == "knee_width_ratio":
            v = geometry.distance(lm[L.LEFT_KNEE], lm[L.RIGHT_KNEE]) / geometry.distance(
                lm[L.LEFT_ANKLE], lm[L.RIGHT_ANKLE]
            )
        elif name == "trunk_lean_deg":
            d = sh - hp
            v = np.degrees(np.arctan2(d @ _front(pose), d @ _UP))
        elif name in ("leg_forward_deg", "leg_abduction_deg"):
            r = pose.root_rot
            leg = (lm[L[f"{s.upper()}_ANKLE"]] - lm[L[f"{s.upper()}_HIP"]]) @ r
            ref = (hp - sh) @ r
            if name == "leg_forward_deg":
                v = np.degrees(np.arctan2(leg[2], -leg[1]) - np.arctan2(ref[2], -ref[1]))
            else:
                v = sign * np.degrees(np.arctan2(leg[0], -leg[1]) - np.arctan2(ref[0], -ref[1]))
        elif name.startswith("elbow_angle_"):
            k = name.split("_")[2].upper()
            v = geometry.joint_angle(lm[L[f"{k}_SHOULDER"]], lm[L[f"{k}_ELBOW"]], lm[L[f"{k}_WRIST"]])
        elif name == "arm_elevation_deg":
            wr = _mid(lm, L.LEFT_WRIST, L.RIGHT_WRIST)
            v = geometry.joint_angle(wr - sh, np.zeros(3), -_UP)
        elif name == "elbow_flexion_deg":
            v = np.mean([180.0 - geometry.joint_angle(lm[L[f"{k}_SHOULDER"]], lm[L[f"{k}_ELBOW"]],
                                                      lm[L[f"{k}_WRIST"]]) for k in ("LEFT", "RIGHT")])
        elif name == "knee_flexion_deg":
            v = 180.0 - min(geometry.joint_angle(lm[L[f"{k}_HIP"]], lm[L[f"{k}_KNEE"]], lm[L[f"{k}_ANKLE"]])
                            for k in ("LEFT", "RIGHT"))
        elif name == "knee_past_toes_cm":
            v = 100.0 * np.mean([(lm[L[f"{k}_KNEE"]] - lm[L[f"{k}_FOOT_INDEX"]]) @ _front(pose)
                                 for k in ("LEFT", "RIGHT")])
        elif name == "head_forward_cm":
            v = 100.0 * (_mid(lm, L.LEFT_EAR, L.RIGHT_EAR) - sh) @ _front(pose)
        elif name == "upper_arm_forward_deg":
            v = np.mean([_from_line(sag(lm[L[f"{k}_SHOULDER"]]), sag(lm[L[f"{k}_HIP"]]), sag(lm[L[f"{k}_ELBOW"]]))
                         for k in ("LEFT", "RIGHT")])
        elif name in ("hands_from_vertical_deg", "thighs_from_vertical_deg"):
            top, end = ("SHOULDER", "WRIST") if name.startswith("hands") else ("HIP", "KNEE")
            v = np.mean([_from_down(sag(lm[L[f"{k}_{end}"]]) - sag(lm[L[f"{k}_{top}"]]))
                         for k in ("LEFT", "RIGHT")])
        else:
            raise ValueError(f"unknown truth metric {name!r}")
        out[name] = float(v)
    return out


# --------------------------------------------------------------------------------------------
# The truth file
# --------------------------------------------------------------------------------------------


class FaultTruth(BaseModel):
    """A fault applied to the clip. ``value`` is reached (in ``unit``) at every rep peak inside
    [start_s, end_s] (``rep`` envelope) or held through the span (``hold`` envelope, ramping in
    and out over ``ramp_s`` inside the span's edges unless the span is the whole clip)."""

    check_id: str
    value: float
    unit: str
    start_s: float
    end_s: float
    envelope: str
    ramp_s: float = 0.0
    description: str = ""


class RepTruth(BaseModel):
    """One rep: ``side`` is the working side (``left``/``right``, ``both`` when bilateral);
    ``peak_s`` is the middle of the (first) top pause; ``end_s`` is when the body is back at the
    start pose. ``peaks`` names every peak pose with the middle of its pause (cat/cow: flex,
    extend). ``faults``: faults at full size in this rep."""

    index: int
    side: str
    start_s: float
    peak_s: float
    end_s: float
    peaks: dict[str, float] = Field(default_factory=dict)
    faults: list[str] = Field(default_factory=list)


class HoldTruth(BaseModel):
    start_s: float
    end_s: float


class CameraTruth(BaseModel):
    """Pinhole camera, world metres with Y up and the floor at Y = 0."""

    eye: list[float]
    target: list[float]
    fov_y_deg: float
    roll_deg: float
    height_m: float
    distance_m: float
    yaw_offset_deg: float
    focal_px: float
    #: How far the optical axis points below the horizontal (+ = looking down).
    pitch_deg: float = 0.0


class FrameTruth(BaseModel):
    """One frame. ``landmarks_px``: the true 3D landmark positions projected through the camera,
    (33, 2) pixels, MediaPipe order. ``landmarks_world``: (33, 3) metres, origin the hip
    midpoint, camera-aligned axes like MediaPipe's world landmarks (x image right, y down, z away
    from the camera). ``phase``: rest, rise, top, lower (reps) or hold; ``pose``: the peak pose
    the rep is moving to or from. ``fault_levels``: each fault's size at this instant, in its
    unit."""

    t_ms: int
    phase: str
    rep: int | None = None
    pose: str | None = None
    fault_levels: dict[str, float] = Field(default_factory=dict)
    landmarks_px: list[list[float]]
    landmarks_world: list[list[float]]
    angles: dict[str, float]


class RenderTruth(BaseModel):
    """Everything known about a rendered clip. Angle definitions: :mod:`formcheck.render.truth`.
    ``body_model`` names the body (``mannequin`` or ``makehuman``), ``body`` holds its shape
    values (the mannequin's proportions; MakeHuman's phenotype and measured ``height_m``) and
    ``body_preset`` the preset it was built from (None: drawn from the seed)."""

    formcheck_version: str
    exercise: str
    view: str
    side_facing_camera: str | None
    working_side: str
    fps: float
    size: list[int]
    seconds: float
    seed: int
    command: str = ""
    body: dict[str, float]
    body_model: str = "mannequin"
    body_preset: str | None = None
    camera: CameraTruth
    appearance: dict[str, object]
    faults: list[FaultTruth]
    reps: list[RepTruth]
    hold: HoldTruth | None = None
    frames: list[FrameTruth]

    def angle_series(self, name: str) -> np.ndarray:
        """(T,) one truth angle over all frames."""
        return np.array([f.angles.get(name, np.nan) for f in self.frames], dtype=float)

    def times_s(self) -> np.ndarray:
        return np.array([f.t_ms for f in self.frames], dtype=float) / 1000.0
