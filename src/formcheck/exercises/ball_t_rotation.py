"""Ball T-rotation: lying face down over an exercise ball, one hand on the floor; rotate the
other arm, straight, up toward the ceiling (the body opens into a T), eyes on the hand, then
back down. Reps per side (the rotating arm). Filmed from the front or side.

The rep signal is the higher arm's elevation (shoulder -> wrist above horizontal, image,
degrees): -60 to -90 with the hand down by the ball or on the floor, 50-90 at the top.

No shared clip shows this exercise on a ball; the side-lying open book (a relative) uses the
same arm path and counts each opening of the arm (three in that clip, which the manifest
counts as one rep); lying on its side, its supporting hand slides with the trunk, so
``support_planted`` may flag there. Limits come from geometry and the guide:

- ``arm_straight``: the rotating elbow (world 3D) below 130 degrees at the top (MediaPipe's
  world elbow reads a straight arm at about 140-150).
- ``eyes_on_hand``: angle between the gaze (ears' midpoint -> nose, world) and the rotating arm
  (shoulder -> wrist, world) at the top above 100 degrees: the face still turned to the floor.
- ``support_planted``: the supporting hand's distance to the same-side knee changing by more
  than 0.3 torso lengths since the rep began (the hand sliding or lifting).
"""

from __future__ import annotations

import math

import numpy as np

from formcheck.body import SIDES, Body, other_side
from formcheck.exercises.spec import Check, Exercise, RepCounting, Template, Tolerance
from formcheck.geometry import distance, elevation, joint_angle


def _arm_elevations(body: Body) -> dict[str, float]:
    return {s: float(elevation(body.side(s, "shoulder"), body.side(s, "wrist"))) for s in SIDES}


def arm_up(body: Body) -> float:
    """The higher arm's elevation above horizontal, degrees."""
    vals = [v for v in _arm_elevations(body).values() if math.isfinite(v)]
    return max(vals) if vals else float("nan")


def rotating_side(body: Body) -> str | None:
    """The side of the higher arm."""
    vals = {s: v for s, v in _arm_elevations(body).items() if math.isfinite(v)}
    return max(vals, key=vals.get) if vals else None


def rotating_elbow(body: Body) -> float:
    """Elbow angle of the rotating arm, world 3D, degrees; 180 straight."""
    side = rotating_side(body)
    if side is None:
        return float("nan")
    return float(joint_angle(body.side(side, "shoulder", "world"), body.side(side, "elbow", "world"),
                             body.side(side, "wrist", "world")))


def gaze_off_hand(body: Body) -> float:
    """Angle between the gaze direction (ears' midpoint -> nose) and the rotating arm
    (shoulder -> wrist), world 3D, degrees; small when looking at the hand."""
    side = rotating_side(body)
    if side is None:
        return float("nan")
    nose = body.world(0)
    gaze = nose - body.mid("ear", "world")
    arm = body.side(side, "wrist", "world") - body.side(side, "shoulder", "world")
    return float(joint_angle(gaze, np.zeros(3), arm))


def support_reach(body: Body) -> float:
    """Supporting hand (the lower arm's wrist) to the same-side knee, torso lengths, image."""
    side = rotating_side(body)
    if side is None:
        return float("nan")
    support = other_side(side)
    return float(distance(body.side(support, "wrist"), body.side(support, "knee")) / body.torso_length_px)


EXERCISE = Exercise(
    id="ball_t_rotation",
    name="Ball T-rotation",
    aliases=("t_rotation", "ball_rotation", "prone_ball_t_rotation"),
    views=("front", "side", "oblique"),
    posture="any",
    per_side=True,
    needs=("shoulder", "elbow", "wrist", "hip", "knee"),
    camera=("Camera at the side of the ball at about ball height, 2-3 m away, your whole body and "
            "the raised hand in frame."),
    cautions=(
        "With a herniated disc or spinal stenosis, ask your doctor or therapist before doing "
        "this exercise.",
        "Rotate slowly and only as far as is comfortable; stop if it hurts.",
    ),
    counting=RepCounting(signal=arm_up, unit="deg", rest=-10.0, enter=40.0, side_of=rotating_side,
                         min_rep_s=0.8, top_band=10.0, min_lift_s=0.6, range_label="arm rotation"),
    checks=(
        Check(id="arm_straight", title="Arm straight", metric=rotating_elbow, unit="deg",
              limit=130.0, flag_when="below", hysteresis=5.0, min_duration_s=0.3, priority=2,
              applies="top",
              cue="Keep the rotating arm straight.",
              explain="rotating elbow angle at the top (3D)",
              tolerance=Tolerance(
                  measure="degrees the rotating elbow bends at the top", unit="deg",
                  must_pass=15.0, must_catch=40.0,
                  why="Guides: keep your arm straight; 40 degrees of bend shortens the lever "
                      "the trunk rotates.")),
        Check(id="eyes_on_hand", title="Eyes follow the hand", metric=gaze_off_hand, unit="deg",
              limit=100.0, flag_when="above", hysteresis=5.0, min_duration_s=0.3, priority=3,
              applies="top",
              cue="Turn your head and watch your hand.",
              explain="angle between the gaze and the rotating arm at the top (3D)",
              tolerance=Tolerance(
                  measure="degrees between where the face points and the rotating arm at the top",
                  unit="deg", must_pass=30.0, must_catch=80.0,
                  why="Guides: follow your hand with your eyes; a face within 30 degrees of the "
                      "arm is following it, 80 or more is still facing the floor.")),
        Check(id="support_planted", title="Support hand planted", metric=support_reach,
              unit="ratio", limit=0.3, flag_when="above", hysteresis=0.05, min_duration_s=0.3,
              priority=1, applies="rep", relative=True, absolute=True,
              cue="Keep the supporting hand planted and push into the floor.",
              explain="supporting hand moving relative to the knee since the start of the rep",
              tolerance=Tolerance(
                  measure="cm the supporting hand moves on the floor during the rep", unit="cm",
                  must_pass=5.0, must_catch=15.0,
                  why="Guides: push off the floor with the other arm; the hand stays planted, "
                      "sliding 15 cm means the support gave way.")),
    ),
    good_rep_cue="Good rotation.",
    cannot_see=(
        "The ball is not tracked: whether the chest stays on it cannot be checked.",
        "How far the thoracic spine rotates is estimated from the arm, not measured.",
    ),
    description="Face down over a ball, rotate one straight arm up toward the ceiling and back.",
    recognition=(
        Template(torso_up=(20, 20), hands_up_max=(0.7, 0.5), move_wrist=(1.2, 0.6),
                 move_ankle=(0.05, 0.15), travel=(0.05, 0.15), move_hip=(0.05, 0.1)),
    ),
)
