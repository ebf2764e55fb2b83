"""Band side walk: a band around the legs, knees a little bent, step sideways: one foot steps
out, the other follows without the feet touching. Counted in steps per direction (the person's
own left and right), filmed from the front.

Positions are image pixels from a front (or back) view. The walking axis is the image x axis,
signed so that it increases toward the person's own left (a person facing the camera has their
left at image right). Steps are counted by :class:`formcheck.steps.StepCounter`.

Limits. The renderer cannot film a walk (it has no travelling timeline), so these limits are
set from the tolerances (true sizes, declared with each check) by geometry, checked against the
shared front-view clips (all demonstrations of good form), and not calibrated on renders:

- ``feet_apart`` flags ankle centres closer than 0.45 hip widths: with the feet touching they
  are about 0.4 apart (an ankle's width against MediaPipe's hip width), "a little apart" is 0.6;
  between steps the clips close to 0.43-0.5 for single frames, and a drawn GIF whose feet
  nearly touch reads 0.27-0.37 for 0.1 s (under the 0.2 s a flag needs).
- ``trunk_sway`` is the sideways lean *since the start of the step*, 10 degrees (the middle of
  5 and 15): from the front a sideways lean lies in the picture plane, so the image angle is
  the true one; relative because a rolled camera tilts a level trunk (a rendered clip read
  20-27 degrees of constant tilt).
- ``shoulders_level`` 10 degrees (the middle of 5 and 15; image angle, in the picture plane);
  the clips stay within 0-8.
- ``knees_soft`` flags the straighter knee above 172 degrees (world 3D): MediaPipe reads a
  straight leg short of 180; the clips keep 118-170.
"""

from __future__ import annotations

import math

from formcheck.body import Body
from formcheck.exercises._measures import (ankle_gap_ratio, shoulder_tilt, straightest_knee_world, torso_length,
                                           trunk_tilt)
from formcheck.exercises.spec import Check, Exercise, StepCounting, Template, Tolerance


def toward_left(body: Body) -> float:
    """+1 when the person's left is toward image right (facing the camera), -1 when toward image
    left (back to the camera), NaN when the hips are not seen."""
    lh, rh = body.side("left", "hip"), body.side("right", "hip")
    d = lh[0] - rh[0]
    return math.copysign(1.0, d) if math.isfinite(d) and d != 0 else float("nan")


def feet_lateral(body: Body) -> tuple[float, float]:
    """(left, right) ankle positions along the person's own leftward axis, pixels (image x,
    sign-flipped when the person's back is to the camera)."""
    s = toward_left(body)
    return s * float(body.side("left", "ankle")[0]), s * float(body.side("right", "ankle")[0])


EXERCISE = Exercise(
    id="band_side_walk",
    name="Band side walk",
    aliases=("side_walk", "lateral_band_walk", "banded_side_walk", "lateral_walk"),
    views=("front",),
    posture="standing",
    per_side=True,
    needs=("shoulder", "hip", "knee", "ankle"),
    camera=("Camera in front of you at hip height, 3-4 m away, with room in the frame for a few "
            "steps to each side; your feet must stay in view."),
    cautions=(
        "Stop and rest if your low back tightens, spasms or hurts; side-lying leg lifts are a "
        "gentler start.",
        "Go slowly at first; push off from the trailing hip.",
    ),
    # tempo: a step faster than two 0.3 s foot moves is rushing (the guide: take it slow at
    # first); the shared clips step in 0.9-2.5 s
    counting=StepCounting(feet=feet_lateral, scale=torso_length, directions=("right", "left"),
                          move_ratio=0.06, window_s=0.3, min_step_ratio=0.2, max_follow_s=1.5,
                          min_step_s=0.6),
    checks=(
        Check(id="feet_apart", title="Feet apart", metric=ankle_gap_ratio, unit="ratio",
              limit=0.45, flag_when="below", hysteresis=0.05, min_duration_s=0.2, priority=2,
              applies="rep", views=("front",),
              cue="Keep a little space between your feet, even as they come together.",
              explain="ankle gap in hip widths during a step",
              tolerance=Tolerance(
                  measure="how far the feet close in: 1 minus the gap between the ankle centres "
                          "in hip widths (0.6 = feet touching)", unit="ratio", must_pass=0.4,
                  must_catch=0.6,
                  why="Guides: always keep the feet a little apart; ankle centres 0.6 hip "
                      "widths apart are a little apart, 0.4 hip widths is the feet touching.")),
        Check(id="trunk_sway", title="No side lean", metric=trunk_tilt, unit="deg", limit=10.0,
              flag_when="above", hysteresis=3.0, min_duration_s=0.3, priority=1, applies="rep",
              relative=True, absolute=True, views=("front",),
              cue="Stay tall: move with your hips, not by leaning your trunk.",
              explain="sideways lean of the torso line since the start of the step",
              tolerance=Tolerance(
                  measure="degrees the trunk leans sideways since the step began", unit="deg",
                  must_pass=5.0, must_catch=15.0,
                  why="Guides: do not lean to the side as you move; 15 degrees is the trunk "
                      "swinging the leg out.")),
        Check(id="shoulders_level", title="Shoulders level", metric=shoulder_tilt, unit="deg",
              limit=10.0, flag_when="above", hysteresis=3.0, min_duration_s=0.3, priority=3,
              views=("front",),
              cue="Keep your shoulders level.",
              explain="shoulder line tilt from horizontal",
              tolerance=Tolerance(
                  measure="degrees the shoulder line tilts from horizontal", unit="deg",
                  must_pass=5.0, must_catch=15.0,
                  why="Guides: keep the shoulders level at all times; 15 degrees is a visible "
                      "drop of one shoulder.")),
        Check(id="knees_soft", title="Knees soft", metric=straightest_knee_world, unit="deg",
              limit=172.0, flag_when="above", hysteresis=3.0, min_duration_s=0.5, priority=4,
              cue="Keep a slight bend in your knees.",
              explain="knee angle (3D) of the straighter leg; above the limit = locked knee",
              tolerance=Tolerance(
                  measure="knee angle of the straighter leg (180 = locked straight)", unit="deg",
                  must_pass=170.0, must_catch=178.0,
                  why="Guides: keep the knees bent slightly; 10 degrees of bend is slight, "
                      "within 2 of straight is locked.")),
    ),
    good_rep_cue="Good step.",
    cannot_see=(
        "The band itself is not tracked: the camera cannot tell how much tension it has.",
        "A camera that pans to follow you hides the steps: keep it still.",
    ),
    description="Band around the legs, knees soft: step sideways, the other foot follows.",
    recognition=(
        Template(torso_up=(78, 15), side_on=(0.5, 0.2), knee_bend=(140, 25), move_ankle=(0.5, 0.3),
                 move_wrist=(0.1, 0.2), travel=(0.7, 0.6), hands_up_max=(-0.5, 0.5)),
    ),
)
