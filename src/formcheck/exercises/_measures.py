"""Metrics shared by several exercises (standing and walking ones mostly). Pure functions of a
:class:`~formcheck.body.Body`; NaN when not measurable. Conventions as in
:mod:`formcheck.geometry`: degrees, image pixels with y down, world metres (y down, z away from
the camera, x toward the person's left when facing the camera).

"Forward" in a side view is the way the person faces (:func:`facing`): the nose is ahead of the
ears in every posture these exercises use.
"""

from __future__ import annotations

import math

import numpy as np

from formcheck.body import SIDES, Body
from formcheck.geometry import distance, elevation, joint_angle, midpoint, tilt_from_vertical

NAN = float("nan")


def facing(body: Body) -> float:
    """Image x direction the person faces in a side view: +1 (toward image right), -1, or NaN.
    From the nose relative to the ears' midpoint, else the toes relative to the heels."""
    nose, ears = body.px(0), body.mid("ear")  # Landmark.NOSE == 0
    if np.isfinite(nose).all() and np.isfinite(ears).all() and abs(nose[0] - ears[0]) > 1e-6:
        return float(np.sign(nose[0] - ears[0]))
    toe, heel = body.mid("foot_index"), body.mid("heel")
    if np.isfinite(toe).all() and np.isfinite(heel).all() and abs(toe[0] - heel[0]) > 1e-6:
        return float(np.sign(toe[0] - heel[0]))
    return NAN


def facing_kneeling(body: Body) -> float:
    """Image x direction a kneeling person faces in a side view, +1, -1 or NaN: away from the
    shins, which lie on the floor behind the knees; :func:`facing` when no shin is seen. With
    the arms overhead the nose is hidden or turns with them (on renders of the overhead ball
    raise it flipped the trunk's lean from +15 to -11 degrees at the top)."""
    shin = body.near("ankle") - body.near("knee")
    if np.isfinite(shin).all() and abs(shin[0]) > 1e-6:
        return float(-np.sign(shin[0]))
    return facing(body)


def trunk_lean(body: Body, forward: float | None = None) -> float:
    """Side view: torso line (hip midpoint -> shoulder midpoint) tilt from vertical, degrees;
    + = leaning forward (shoulders ahead of the hips, the way the person faces), - = leaning
    back. Image plane. ``forward``: the image x direction the person faces (default
    :func:`facing`)."""
    hip, sh = body.mid("hip"), body.mid("shoulder")
    tilt = float(tilt_from_vertical(hip, sh))
    f = facing(body) if forward is None else forward
    if not (math.isfinite(tilt) and math.isfinite(f)):
        return NAN
    return tilt if (sh[0] - hip[0]) * f >= 0 else -tilt


def arm_forward(body: Body) -> float:
    """Side view: the near arm (shoulder -> wrist) from hanging straight down, degrees; + = the
    hand forward of the shoulder (the way the person faces), - = behind it. Image plane."""
    d = body.near("wrist") - body.near("shoulder")
    f = facing(body)
    if not (np.isfinite(d).all() and math.isfinite(f)) or not d.any():
        return NAN
    return math.degrees(math.atan2(float(d[0]) * f, float(d[1])))


def lean_back(body: Body) -> float:
    """Side view: how far the trunk leans back behind vertical, degrees (negative when it leans
    forward). The sign-flipped :func:`trunk_lean`."""
    return -trunk_lean(body)


def trunk_tilt(body: Body) -> float:
    """Torso line tilt from vertical in the image, degrees, unsigned: 0 upright. From the front
    this is a sideways lean."""
    return float(tilt_from_vertical(body.mid("hip"), body.mid("shoulder")))


def shoulder_tilt(body: Body) -> float:
    """Front view: the shoulder line's (left -> right shoulder) angle from horizontal, unsigned
    degrees; one shoulder dipping raises it."""
    return abs(float(elevation(body.side("left", "shoulder"), body.side("right", "shoulder"))))


def hip_tilt(body: Body) -> float:
    """Front view: the hip line's angle from horizontal, signed degrees: + when the right hip
    is higher in the image than the left (:func:`formcheck.geometry.elevation` of left hip ->
    right hip)."""
    return float(elevation(body.side("left", "hip"), body.side("right", "hip")))


def knee_angle_near(body: Body) -> float:
    """Near-side knee angle hip-knee-ankle in the image, degrees; 180 straight. Side view."""
    return float(joint_angle(body.near("hip"), body.near("knee"), body.near("ankle")))


def knee_angle_world(body: Body, side: str) -> float:
    """Knee angle hip-knee-ankle of ``side`` in world 3D, degrees; 180 straight."""
    return float(joint_angle(body.side(side, "hip", "world"), body.side(side, "knee", "world"),
                             body.side(side, "ankle", "world")))


def straightest_knee_world(body: Body) -> float:
    """The larger of the two world knee angles, degrees (the straighter leg)."""
    vals = [knee_angle_world(body, s) for s in SIDES]
    vals = [v for v in vals if math.isfinite(v)]
    return max(vals) if vals else NAN


def elbow_angle(body: Body, side: str, space: str = "px") -> float:
    """Elbow angle shoulder-elbow-wrist of ``side``, degrees; 180 = straight arm."""
    return float(joint_angle(body.side(side, "shoulder", space), body.side(side, "elbow", space),
                             body.side(side, "wrist", space)))


def bentest_elbow(body: Body, space: str = "px") -> float:
    """The smaller of the two elbow angles, degrees (the more bent arm); NaN if neither seen."""
    vals = [v for v in (elbow_angle(body, s, space) for s in SIDES) if math.isfinite(v)]
    return min(vals) if vals else NAN


def near_elbow(body: Body) -> float:
    """Near-side elbow angle in the image, degrees (side view)."""
    return float(joint_angle(body.near("shoulder"), body.near("elbow"), body.near("wrist")))


def hip_yaw_world(body: Body) -> float:
    """Yaw of the hip line in the world's horizontal plane, degrees (see
    :func:`formcheck.geometry.horizontal_yaw`): its change shows the pelvis turning."""
    from formcheck.geometry import horizontal_yaw

    return float(horizontal_yaw(body.side("left", "hip", "world"), body.side("right", "hip", "world")))


def trunk_pitch_world(body: Body) -> float:
    """Forward (+) or backward (-) lean of the torso in world 3D, degrees from vertical, within
    the body's own sagittal plane: works from the front, where the lean is in depth.

    Forward is ``left x up`` with left = right hip -> left hip and up = hip midpoint -> shoulder
    midpoint (world y points down, so up is -y)."""
    lh, rh = body.side("left", "hip", "world"), body.side("right", "hip", "world")
    ls, rs = body.side("left", "shoulder", "world"), body.side("right", "shoulder", "world")
    if not all(np.isfinite(p).all() for p in (lh, rh, ls, rs)):
        return NAN
    left = lh - rh
    up_world = np.array([0.0, -1.0, 0.0])
    fwd = np.cross(left, up_world)
    n = np.linalg.norm(fwd)
    if n < 1e-9:
        return NAN
    fwd /= n
    torso = midpoint(ls, rs) - midpoint(lh, rh)
    return float(np.degrees(np.arctan2(np.dot(torso, fwd), np.dot(torso, up_world))))


def knee_valgus(body: Body) -> float:
    """Front view: how far the knees sit inside the line from hip to ankle, as a share of the
    hip width, the worse knee; + = caving in toward the midline, - = out. Image plane."""
    lh, rh = body.side("left", "hip"), body.side("right", "hip")
    width = float(distance(lh, rh))
    if not math.isfinite(width) or width < 1e-6:
        return NAN
    centre = midpoint(lh, rh)
    worst = NAN
    for s in SIDES:
        hip, knee, ankle = body.side(s, "hip"), body.side(s, "knee"), body.side(s, "ankle")
        if not all(np.isfinite(p).all() for p in (hip, knee, ankle)):
            continue
        along = (knee[1] - hip[1]) / (ankle[1] - hip[1]) if abs(ankle[1] - hip[1]) > 1e-6 else 0.5
        line_x = hip[0] + along * (ankle[0] - hip[0])
        outward = math.copysign(1.0, hip[0] - centre[0])
        inward = (line_x - knee[0]) * outward / width
        worst = inward if not math.isfinite(worst) else max(worst, inward)
    return worst


def ankle_gap_ratio(body: Body) -> float:
    """Front view: ankle separation divided by hip width, both in the image."""
    hips = float(distance(body.side("left", "hip"), body.side("right", "hip")))
    ankles = float(distance(body.side("left", "ankle"), body.side("right", "ankle")))
    return ankles / hips if math.isfinite(hips) and hips > 1e-6 else NAN


def torso_length(body: Body) -> float:
    """Shoulder midpoint to hip midpoint, pixels (the scale for ratios)."""
    return body.torso_length_px


def arm_flexion(body: Body, side: str) -> float:
    """Shoulder flexion of ``side`` in the image: angle between the trunk (shoulder -> hip) and
    the upper arm (shoulder -> elbow), degrees, 0 = arm down along the body, 90 = straight ahead
    (or to the side), 180 = overhead. Unsigned: forward and backward read alike. The elbow, not
    the wrist, so that a bent elbow does not read as a smaller movement of the shoulder (on
    renders, pulldowns with the elbows bent 40 degrees stayed under the rep counter's threshold
    when measured to the wrist)."""
    return float(joint_angle(body.side(side, "hip"), body.side(side, "shoulder"), body.side(side, "elbow")))


def higher_arm_flexion(body: Body) -> float:
    """The larger :func:`arm_flexion` of the two arms, degrees."""
    vals = [v for v in (arm_flexion(body, s) for s in SIDES) if math.isfinite(v)]
    return max(vals) if vals else NAN
