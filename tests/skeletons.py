"""Posed synthetic bodies for the headline exercises: every landmark placed from known angles,
so a test knows the true value of each metric. Image coordinates are pixels (y down) of a
1280x720 side or front view; world coordinates are metres (y down, z away from the camera).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from formcheck.frames import PoseFrame
from tests.factories import SIZE, back_mask, pose


def _dir(deg_up: float, towards_x: float) -> np.ndarray:
    """Unit image vector ``deg_up`` degrees above horizontal, heading +x (1) or -x (-1)."""
    a = math.radians(deg_up)
    return np.array([towards_x * math.cos(a), -math.sin(a)])


def plank(t_ms: int, sag_deg: float = 0.0, facing: int = -1, tilt_deg: float = 3.0,
          elbow_forward_deg: float = 0.0, knee_bend_deg: float = 0.0,
          head_up_deg: float = 0.0) -> PoseFrame:
    """Side-view forearm plank; the head is toward ``facing`` (-1: left of the image).

    ``sag_deg`` is the true bend at the hips (+ = hips below the shoulder-ankle line, - =
    piked), split evenly between trunk and legs around a body line tilted ``tilt_deg`` (the
    shoulders higher than the ankles, as on forearms). ``head_up_deg`` turns the head up (+)
    or down (-) from neutral, about the shoulders.
    """
    hip = np.array([640.0, 420.0])
    # trunk rises toward the head by tilt + sag/2; legs rise toward the feet by sag/2 - tilt.
    shoulder = hip + 300 * _dir(tilt_deg + sag_deg / 2, facing)
    knee = hip + 230 * _dir(sag_deg / 2 - tilt_deg, -facing)
    ankle = knee + 230 * _dir(sag_deg / 2 - tilt_deg - knee_bend_deg, -facing)
    elbow = shoulder + 130 * _dir(-90 + elbow_forward_deg, facing)
    wrist = elbow + 120 * _dir(0, facing)
    # A neutral head: MediaPipe reads a rendered neutral head's ear a few degrees below the
    # trunk's line (benchmarks/calibration.py), so the skeleton puts it there.
    ear = shoulder + 80 * _dir(tilt_deg + sag_deg / 2 - 8 + head_up_deg, facing)
    pts = {"nose": tuple(ear + 25 * _dir(-30, facing))}
    for side, off in (("left", np.array([0.0, 0.0])), ("right", np.array([3.0, -4.0]))):
        for name, p in (("shoulder", shoulder), ("elbow", elbow), ("wrist", wrist), ("hip", hip),
                        ("knee", knee), ("ankle", ankle), ("ear", ear),
                        ("heel", ankle + np.array([-facing * 10.0, 10.0])),
                        ("foot_index", ankle + np.array([facing * 5.0, 30.0]))):
            pts[f"{side}_{name}"] = tuple(p + off)
    return pose(pts, t_ms=t_ms)


def bird_dog(t_ms: int, arm_deg: float, leg_deg: float, arm_side: str = "left",
             leg_side: str | None = None, facing: int = -1, shin_deg: float | None = None,
             back_bend_deg: float | None = None) -> PoseFrame:
    """Side-view bird dog on all fours, head toward ``facing``. ``arm_deg``/``leg_deg`` are the
    image elevations of the reaching arm (shoulder -> wrist, forward) and thigh (hip -> knee,
    backward): -90 = resting on the floor, 0 = level. ``shin_deg`` is the reaching shin's
    elevation (knee -> ankle, backward; default: in line with the thigh). The other limbs stay
    planted, shins flat on the floor. By default the leg is the opposite side of the arm.
    ``back_bend_deg`` adds a quarter-size person mask whose back outline turns through that
    many degrees (+ rounded; see :func:`tests.factories.back_mask`); None: no mask."""
    leg_side = leg_side or ("right" if arm_side == "left" else "left")
    shoulder = np.array([500.0 if facing < 0 else 780.0, 380.0])
    hip = shoulder + np.array([-facing * 400.0, 40.0])  # shoulders higher than hips
    pts: dict[str, tuple[float, ...]] = {}
    for side, off in (("left", np.array([0.0, 0.0])), ("right", np.array([4.0, -3.0]))):
        s, h = shoulder + off, hip + off
        arm = arm_deg if side == arm_side else -90.0
        elbow = s + 120 * _dir(arm, facing)
        wrist = s + 240 * _dir(arm, facing)
        if side == leg_side:
            knee = h + 200 * _dir(leg_deg, -facing)
            ankle = knee + 200 * _dir(leg_deg if shin_deg is None else shin_deg, -facing)
        else:
            knee = h + np.array([0.0, 200.0])
            ankle = knee + np.array([-facing * 200.0, 0.0])
        for name, p in (("shoulder", s), ("elbow", elbow), ("wrist", wrist), ("hip", h),
                        ("knee", knee), ("ankle", ankle), ("ear", s + 90 * _dir(10, facing))):
            pts[f"{side}_{name}"] = tuple(p)
    pts["nose"] = tuple(shoulder + 110 * _dir(0, facing))
    frame = pose(pts, t_ms=t_ms)
    if back_bend_deg is None:
        return frame
    return replace(frame, mask=back_mask(SIZE, hip, shoulder, back_bend_deg, half_width=60, scale=0.25))


def _rot_x(v: np.ndarray, deg: float) -> np.ndarray:
    """Rotate world vector ``v`` about the x axis; positive turns -y (up) toward +z (away)."""
    a = math.radians(deg)
    y, z = v[1], v[2]
    return np.array([v[0], y * math.cos(a) + z * math.sin(a), -y * math.sin(a) + z * math.cos(a)])


def _rot_axis(v: np.ndarray, axis: np.ndarray, deg: float) -> np.ndarray:
    k = axis / np.linalg.norm(axis)
    a = math.radians(deg)
    return v * math.cos(a) + np.cross(k, v) * math.sin(a) + k * np.dot(k, v) * (1 - math.cos(a))


def clamshell(t_ms: int, opening_deg: float, rock_deg: float = 0.0, feet_apart_m: float = 0.0,
              top: str = "right") -> PoseFrame:
    """Side-lying clamshell seen from the front (camera on the knees' side), head toward -x.

    World: long axis along x (head at -x), up = -y, the knees point toward the camera (-z).
    Hips flexed 45, knees 90. ``opening_deg`` turns the top knee up about the hip-ankle axis;
    ``rock_deg`` rolls the whole top side (pelvis and trunk) backward (+z) about the long axis;
    ``feet_apart_m`` lifts the top foot (ankle and foot index).
    """
    bottom = "left" if top == "right" else "right"
    half = 0.1  # half the hip and shoulder width
    world: dict[str, np.ndarray] = {}
    for side, y in ((top, -half), (bottom, half)):
        hip = np.array([0.0, y, 0.0])
        shoulder = np.array([-0.5, y * 1.6, 0.0])
        thigh = np.array([math.cos(math.radians(45)), 0.0, -math.sin(math.radians(45))])
        knee = hip + 0.42 * thigh
        shin = np.array([math.cos(math.radians(45)), 0.0, math.sin(math.radians(45))])
        ankle = knee + 0.42 * shin
        world.update({f"{side}_hip": hip, f"{side}_shoulder": shoulder, f"{side}_knee": knee,
                      f"{side}_ankle": ankle})
    # Knees and feet rest on each other (the thighs converge from the hips).
    world[f"{top}_knee"] = world[f"{bottom}_knee"] + np.array([0.0, -0.1, 0.0])
    bottom_ankle = world[f"{bottom}_ankle"]
    world[f"{top}_ankle"] = bottom_ankle + np.array([0.0, -0.08 - feet_apart_m, 0.0])
    for side in (top, bottom):  # toes pointing along the body, toward the feet end
        world[f"{side}_foot_index"] = world[f"{side}_ankle"] + np.array([0.15, 0.0, 0.0])
    # Opening: the top knee turns up about the top hip -> top ankle axis.
    hip_t, ank_t = world[f"{top}_hip"], world[f"{top}_ankle"]
    world[f"{top}_knee"] = hip_t + _rot_axis(world[f"{top}_knee"] - hip_t, ank_t - hip_t, -opening_deg)
    if world[f"{top}_knee"][1] > world[f"{bottom}_knee"][1] - 0.05:  # make sure it went up
        world[f"{top}_knee"] = hip_t + _rot_axis(world[f"{top}_knee"] - hip_t, ank_t - hip_t, 2 * opening_deg)
    # Rocking: the top hip and shoulder roll backward about the long axis through the midline.
    for part in ("hip", "shoulder"):
        p = world[f"{top}_{part}"]
        world[f"{top}_{part}"] = _rot_x(p, rock_deg)
    for part in ("hip", "shoulder"):
        p = world[f"{bottom}_{part}"]
        world[f"{bottom}_{part}"] = _rot_x(p, rock_deg)
    world["nose"] = np.array([-0.75, 0.0, -0.1])
    world["left_ear"] = world["right_ear"] = np.array([-0.7, 0.0, 0.0])
    # Front camera, orthographic: x right, y down, 500 px per metre.
    pix = {k: (640 + 500 * v[0], 420 + 500 * v[1]) for k, v in world.items()}
    return pose(pix, t_ms=t_ms, world={k: tuple(v) for k, v in world.items()})
