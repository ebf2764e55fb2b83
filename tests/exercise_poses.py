"""Posed synthetic bodies for the eleven exercises of issue 6, and a runner: every landmark is
placed from known angles, so a test knows the true value of each metric. Image coordinates are
pixels (y down) of a 1280x720 frame; world coordinates are metres (y down, z away from the
camera), by default pixels / 500 with z = 0 (see :func:`tests.factories.pose`).

A *timeline* is a list of ``(seconds, params)`` keyframes; :func:`frames` interpolates the
parameters linearly between keyframes at ``fps``, builds each frame with a pose function, adds
Gaussian pixel noise and drops the frames listed in ``drop_s`` (no person found).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np

from formcheck.engine import Analyzer
from formcheck.exercises import get_exercise
from formcheck.frames import PoseFrame
from tests.factories import back_mask, dropout, jitter, pose

Params = dict[str, float]


def _dir(deg_up: float, towards_x: float = 1.0) -> np.ndarray:
    """Unit image vector ``deg_up`` degrees above horizontal, heading +x (1) or -x (-1)."""
    a = math.radians(deg_up)
    return np.array([towards_x * math.cos(a), -math.sin(a)])


def frames(make: Callable[..., PoseFrame], timeline: list[tuple[float, Params]], fps: float = 30.0,
           noise_px: float = 1.0, drop_s: tuple[float, ...] = (), seed: int = 0) -> Iterator[PoseFrame]:
    """Frames of ``make(t_ms, **params)`` along ``timeline`` (see module docstring)."""
    rng = np.random.default_rng(seed)
    times = [t for t, _ in timeline]
    keys = timeline[0][1].keys()
    n = int(times[-1] * fps) + 1
    for i in range(n):
        t = i / fps
        k = max(0, min(len(times) - 2, int(np.searchsorted(times, t, side="right")) - 1))
        t0, t1 = times[k], times[k + 1]
        w = 0.0 if t1 == t0 else min(1.0, max(0.0, (t - t0) / (t1 - t0)))
        params = {p: (1 - w) * timeline[k][1][p] + w * timeline[k + 1][1][p] for p in keys}
        frame = make(int(round(t * 1000)), **params)
        if noise_px:
            frame = jitter(frame, rng, noise_px)
        if any(abs(t - d) < 0.5 / fps for d in drop_s):
            frame = dropout(frame)
        yield frame


def reps_timeline(rest: Params, top: Params, n: int, up_s: float = 1.0, hold_s: float = 1.0,
                  down_s: float = 1.0, pause_s: float = 1.0, fault: tuple[int, Params] | None = None,
                  start_s: float = 1.0) -> list[tuple[float, Params]]:
    """``n`` reps rest -> top (held) -> rest; rep ``fault[0]`` (1-based) uses ``fault[1]`` on
    top of ``top`` during its top."""
    tl = [(0.0, dict(rest)), (start_s, dict(rest))]
    t = start_s
    for i in range(1, n + 1):
        peak = dict(top)
        if fault and fault[0] == i:
            peak.update(fault[1])
        t += up_s
        tl.append((t, peak))
        t += hold_s
        tl.append((t, peak))
        t += down_s
        tl.append((t, dict(rest)))
        t += pause_s
        tl.append((t, dict(rest)))
    return tl


def run(exercise: str, stream, limits: dict[str, float] | None = None) -> Analyzer:
    an = Analyzer(get_exercise(exercise), limits)
    for f in stream:
        an.update(f)
    an.finish()
    return an


def flagged_reps(an: Analyzer, check: str) -> list[int]:
    return [r.index for r in an.reps if check in r.flags]


def deadlift_landmarks(path: Path, reps: int = 1) -> Path:
    """``reps`` band-assisted deadlifts (standing, side view, 1280x720 at 30 fps) as a landmark
    CSV at ``path``."""
    from formcheck.landmark_csv import LandmarkCsvWriter

    with LandmarkCsvWriter(path) as w:
        for f in frames(standing_side, reps_timeline({"knee_flex": 8.0, "hip_flex": 0.0},
                                                     {"knee_flex": 25.0, "hip_flex": 85.0}, reps)):
            w.write(f)
    return path


# -- standing, side view ----------------------------------------------------------------------
def standing_side(t_ms: int, knee_flex: float = 5.0, hip_flex: float = 0.0, lean: float = 0.0,
                  arm_flex: float = 0.0, elbow_flex: float = 0.0, ankle_dx: float = 0.0,
                  left_x: float = 0.0, right_x: float = 0.0, ear_dx: float = 0.0,
                  neck: float = 1.0, facing: int = 1) -> PoseFrame:
    """A person standing side-on facing ``facing`` (+1 = image right).

    ``knee_flex``: knee flexion (deg); the shins tilt forward by half of it and the thighs back,
    so the hips drop (a squat). The trunk leans ``lean + hip_flex - knee_flex / 2`` degrees
    forward of vertical (``hip_flex`` is the hip's flexion from the thigh's line). ``arm_flex``: shoulder flexion (0 = arms down, 90 ahead, 180 up).
    ``elbow_flex``: elbow flexion (deg, the forearm bending up). ``left_x``/``right_x``: extra
    horizontal shift of each foot (pixels, + forward) with the shin, for steps.
    ``ear_dx``: ear shifted forward (pixels); ``neck``: ear-shoulder distance scale.
    """
    f = facing
    pts: dict[str, tuple[float, ...]] = {}
    base = np.array([640.0, 640.0])
    shin, thigh, torso, upper, fore = 150.0, 160.0, 200.0, 110.0, 100.0
    half = knee_flex / 2
    knee_off = shin * np.array([f * math.sin(math.radians(half)), -math.cos(math.radians(half))])
    hip_off = thigh * np.array([-f * math.sin(math.radians(half)), -math.cos(math.radians(half))])
    trunk_angle = math.radians(lean + hip_flex - half)  # from vertical, + forward
    for side, dx, off in (("left", left_x, np.array([0.0, 0.0])), ("right", right_x, np.array([3.0, -2.0]))):
        ankle = base + np.array([f * dx, 0.0]) + off
        knee = ankle + knee_off
        hip = base + knee_off + hip_off + off
        sh = hip + torso * np.array([f * math.sin(trunk_angle), -math.cos(trunk_angle)])
        arm_dir = np.array([f * math.sin(math.radians(arm_flex) + trunk_angle),
                            math.cos(math.radians(arm_flex) + trunk_angle)])
        elbow = sh + upper * arm_dir
        ang = math.radians(arm_flex + elbow_flex) + trunk_angle
        wrist = elbow + fore * np.array([f * math.sin(ang), math.cos(ang)])
        ear = sh + neck * 55 * np.array([f * math.sin(trunk_angle), -math.cos(trunk_angle)]) + np.array([f * ear_dx, 0])
        for name, p in (("ankle", ankle), ("knee", knee), ("hip", hip), ("shoulder", sh),
                        ("elbow", elbow), ("wrist", wrist), ("ear", ear),
                        ("heel", ankle + np.array([-f * 20.0, 10.0])),
                        ("foot_index", ankle + np.array([f * 45.0, 15.0]))):
            pts[f"{side}_{name}"] = tuple(p)
    ear_mid = np.array(pts["left_ear"])
    pts["nose"] = tuple(ear_mid + np.array([f * 30.0, 10.0]))
    return pose(pts, t_ms=t_ms)


# -- standing, front view ---------------------------------------------------------------------
def standing_front(t_ms: int, x: float = 640.0, left_foot: float = 0.0, right_foot: float = 0.0,
                   gap: float = 1.4, lean: float = 0.0, shoulder_tilt: float = 0.0,
                   knee: float = 160.0, elbow: float = 95.0, hip_yaw: float = 0.0) -> PoseFrame:
    """A person facing the camera (their left at image right), hips centred at ``x``.

    ``left_foot``/``right_foot``: each ankle's shift (pixels, + toward the person's left);
    ``gap``: ankle gap at rest in hip widths; ``lean``: trunk tilt sideways (deg);
    ``shoulder_tilt``: extra shoulder-line tilt (deg); ``knee``: world knee angle (deg, the
    shins bent forward in depth); ``elbow``: world elbow angle (deg), the forearms pointing
    forward (toward the camera); ``hip_yaw``: pelvis turned about the vertical (deg, world)."""
    hip_w, torso, thigh, shin = 100.0, 260.0, 210.0, 200.0
    hip_mid = np.array([x, 380.0])
    a = math.radians(lean)
    sh_mid = hip_mid + torso * np.array([math.sin(a), -math.cos(a)])
    pts: dict[str, tuple[float, ...]] = {}
    world: dict[str, tuple[float, float, float]] = {}
    s = 1 / 500.0
    yaw = math.radians(hip_yaw)
    bend = math.radians(180 - knee)
    for side, sign, foot in (("left", 1.0, left_foot), ("right", -1.0, right_foot)):
        hip = hip_mid + np.array([sign * hip_w / 2, 0.0])
        ankle = np.array([x + sign * gap * hip_w / 2 + foot, 380.0 + thigh + shin])
        knee_p = (hip + ankle) / 2
        tilt = math.radians(shoulder_tilt)
        sh = sh_mid + np.array([sign * 90 * math.cos(tilt), -sign * 90 * math.sin(tilt)])
        elb = sh + np.array([sign * 10.0, 130.0])
        wr = elb + np.array([0.0, -20.0])
        for name, p in (("hip", hip), ("knee", knee_p), ("ankle", ankle), ("shoulder", sh),
                        ("elbow", elb), ("wrist", wr), ("ear", sh_mid + np.array([sign * 30, -110]))):
            pts[f"{side}_{name}"] = tuple(p)
        hx = sign * hip_w / 2 * s
        world[f"{side}_hip"] = (hx * math.cos(yaw), 0.0, hx * math.sin(yaw))
        world[f"{side}_knee"] = ((knee_p[0] - x) * s, thigh * s, -thigh * s * math.sin(bend / 2) * 0.5)
        world[f"{side}_ankle"] = ((ankle[0] - x) * s, (thigh + shin) * s * math.cos(bend / 2), 0.0)
        shw = np.array([(sh[0] - x) * s, (sh[1] - 380) * s, 0.0])
        elw = shw + np.array([0.0, 0.26, 0.0])
        e = math.radians(elbow)  # forearm turned from the upper arm's "up" toward the camera
        wrw = elw + 0.25 * np.array([0.0, -math.cos(e), -math.sin(e)])
        world[f"{side}_shoulder"] = tuple(shw)
        world[f"{side}_elbow"] = tuple(elw)
        world[f"{side}_wrist"] = tuple(wrw)
        world[f"{side}_ear"] = ((sh_mid[0] - x + sign * 30) * s, (sh_mid[1] - 490) * s, 0.0)
    pts["nose"] = tuple(sh_mid + np.array([0.0, -100.0]))
    return pose(pts, t_ms=t_ms, world=world)


# -- lying / all fours ------------------------------------------------------------------------
def bridge(t_ms: int, lift: float = 0.0, arch: float = 0.0, facing: int = -1) -> PoseFrame:
    """Side view, lying on the back, head toward ``facing``; feet flat, knees up. ``lift``:
    0 lying .. 1 hips fully up (shoulders, hips and knees in line); ``arch``: hips pushed above
    that line by this many degrees."""
    f = facing
    shoulder = np.array([640.0 + f * 330, 560.0])
    knee = np.array([640.0 - f * 120, 380.0])
    ankle = np.array([640.0 - f * 230, 580.0])
    line_hip = shoulder + 0.62 * (knee - shoulder)
    lying_hip = np.array([640.0 + f * 10, 575.0])
    hip = (1 - lift) * lying_hip + lift * line_hip
    if arch:
        d = (knee - shoulder) / np.linalg.norm(knee - shoulder)
        normal = np.array([d[1], -d[0]]) if d[1] * 0 + (-d[0]) * f < 0 else np.array([-d[1], d[0]])
        normal = normal if normal[1] < 0 else -normal
        hip = hip + math.tan(math.radians(arch / 2)) * np.linalg.norm(hip - shoulder) * normal
    pts: dict[str, tuple[float, ...]] = {"nose": tuple(shoulder + np.array([f * 90.0, -30.0]))}
    for side, off in (("left", np.array([0.0, 0.0])), ("right", np.array([3.0, -3.0]))):
        for name, p in (("shoulder", shoulder), ("hip", hip), ("knee", knee), ("ankle", ankle),
                        ("elbow", shoulder + np.array([-f * 120.0, 10.0])),
                        ("wrist", shoulder + np.array([-f * 240.0, 15.0])),
                        ("ear", shoulder + np.array([f * 70.0, -15.0]))):
            pts[f"{side}_{name}"] = tuple(p + off)
    return pose(pts, t_ms=t_ms)


CAT_SIZE = (480, 270)


def quadruped(t_ms: int, bend: float = -15.0, facing: int = -1) -> PoseFrame:
    """Side view on all fours at ``CAT_SIZE``, with a person mask whose back outline is an arc
    turning through ``bend`` degrees (+ rounded, - hollow) between hips and shoulders."""
    f = facing
    w, h = CAT_SIZE
    hip = np.array([240.0 - f * 75, 140.0])
    sh = np.array([240.0 + f * 75, 130.0])
    pts: dict[str, tuple[float, ...]] = {"nose": tuple(sh + np.array([f * 35.0, -5.0]))}
    for side, off in (("left", np.array([0.0, 0.0])), ("right", np.array([1.0, -1.0]))):
        for name, p in (("shoulder", sh), ("hip", hip), ("elbow", sh + np.array([0.0, 45.0])),
                        ("wrist", sh + np.array([0.0, 90.0])), ("knee", hip + np.array([0.0, 90.0])),
                        ("ankle", hip + np.array([-f * 80.0, 92.0])), ("ear", sh + np.array([f * 25.0, -15.0]))):
            pts[f"{side}_{name}"] = tuple(p + off)
    frame = pose(pts, t_ms=t_ms, size=CAT_SIZE)
    return replace(frame, mask=back_mask(CAT_SIZE, hip, sh, bend, half_width=45))


def side_lying_front(t_ms: int, lift: float = 5.0, forward: float = 0.0, roll: float = 0.0) -> PoseFrame:
    """Lying on the right side, seen from the front (head at image left): the top (left) leg
    lifted ``lift`` degrees from the bottom one in the image, swung ``forward`` degrees toward
    the camera side (world, hip flexion), the top hip and shoulder rolled back ``roll`` deg."""
    s = 1 / 500.0
    hip_mid = np.array([700.0, 450.0])
    pts: dict[str, tuple[float, ...]] = {}
    world: dict[str, tuple[float, float, float]] = {}
    r = math.radians(roll)
    for side, dy in (("left", -70.0), ("right", 70.0)):
        hip = hip_mid + np.array([0.0, dy])
        sh = hip + np.array([-300.0, 0.0])
        pts[f"{side}_hip"], pts[f"{side}_shoulder"] = tuple(hip), tuple(sh)
        pts[f"{side}_elbow"] = tuple(sh + np.array([60.0, 60.0 if side == "right" else -20.0]))
        pts[f"{side}_wrist"] = tuple(sh + np.array([120.0, 80.0 if side == "right" else 20.0]))
        pts[f"{side}_ear"] = tuple(sh + np.array([-80.0, dy * 0.3]))
        yr = dy * s * (math.cos(r) if side == "left" else 1.0)
        zr = abs(dy * s) * math.sin(r) if side == "left" else 0.0
        world[f"{side}_hip"] = (0.0, yr, zr)
        world[f"{side}_shoulder"] = (-300 * s, yr, zr)
        ang = lift if side == "left" else 0.0
        knee = hip + 250 * _dir(ang, 1.0)
        ankle = hip + 500 * _dir(ang, 1.0)
        pts[f"{side}_knee"], pts[f"{side}_ankle"] = tuple(knee), tuple(ankle)
        fw = math.radians(forward if side == "left" else 0.0)
        for name, p, length in (("knee", knee, 250), ("ankle", ankle, 500)):
            d = (p - hip) / np.linalg.norm(p - hip)
            world[f"{side}_{name}"] = (float(d[0] * length * s * math.cos(fw)), float(yr + d[1] * length * s * math.cos(fw)),
                                       float(-length * s * math.sin(fw)))
    pts["nose"] = tuple(hip_mid + np.array([-400.0, 0.0]))
    return pose(pts, t_ms=t_ms, world=world)
