"""Squat to row: squat down and stand up, then row a cable or band (elbows drawn back), then
let the arms go forward again. A rep is a squat followed by a row, each with its own checks
(``stage``); filmed from the side.

Side view, image pixels, near side. Stages (:class:`PhasedRepCounting`):

- ``squat``: knee flexion (180 - hip-knee-ankle angle), 5-10 degrees standing, 80-100 at the
  bottom (the shared back-squat clip reaches 165 degrees on its first frames).
- ``row``: elbow flexion (180 - shoulder-elbow-wrist), about 10-40 with the arms out front and
  90 or more with the elbows drawn back.

Squat checks: ``squat_lean`` (trunk forward lean, limit 60 degrees: a squat with the load in
front stays more upright than the shared *barbell back squat* clip, which reaches 53);
``knees_past_toes`` (near knee ahead of the toes, 0.35 torso lengths; clip at most 0.3).
Row checks: ``elbows_back`` (the upper arm should end at or behind the trunk line: flags an
elbow still more than 20 degrees in front of it at the top of the row); ``row_upright``
(trunk lean forward over 20 degrees while rowing); ``row_lean_back`` (leaning back over 10).
"""

from __future__ import annotations

import math

import numpy as np

from formcheck.body import Body
from formcheck.exercises._measures import facing, knee_angle_near, lean_back, near_elbow, trunk_lean
from formcheck.exercises.spec import (Check, Exercise, PhasedRepCounting, RepCounting, RepStage,
                                      Template, Tolerance)


def knee_flexion(body: Body) -> float:
    """180 - near knee angle, degrees; 0 = straight leg."""
    return 180.0 - knee_angle_near(body)


def elbow_flexion(body: Body) -> float:
    """180 - near elbow angle, degrees; 0 = straight arm."""
    return 180.0 - near_elbow(body)


def knees_past_toes(body: Body) -> float:
    """Near knee ahead of the near toes (the way the person faces), torso lengths."""
    f = facing(body)
    d = (body.near("knee")[0] - body.near("foot_index")[0]) * f / body.torso_length_px
    return float(d) if math.isfinite(d) else float("nan")


def elbow_in_front(body: Body) -> float:
    """How far the near upper arm (shoulder -> elbow) points in front of the trunk line
    (shoulder -> hip), degrees; 0 = along the trunk, negative = elbow behind it."""
    sh, el, hip = body.near("shoulder"), body.near("elbow"), body.near("hip")
    f = facing(body)
    if not (np.isfinite(sh).all() and np.isfinite(el).all() and np.isfinite(hip).all() and math.isfinite(f)):
        return float("nan")
    down = hip - sh
    arm = el - sh
    ang = math.degrees(math.atan2(down[0] * arm[1] - down[1] * arm[0], float(np.dot(down, arm))))
    # ``ang`` is negative when the arm is turned from the trunk-down direction toward +x
    # (image y down), i.e. forward for a person facing +x.
    return -ang * f


EXERCISE = Exercise(
    id="squat_to_row",
    name="Squat to row",
    aliases=("squat_row", "squat_and_row", "squat_with_row"),
    views=("side", "oblique"),
    posture="standing",
    needs=("shoulder", "elbow", "wrist", "hip", "knee", "ankle"),
    camera="Camera side-on at hip height, 2-3 m away, head to feet in frame.",
    cautions=(
        "Master the squat and the row on their own first.",
        "Keep your back neutral; stop if your low back tightens or hurts.",
    ),
    counting=PhasedRepCounting(
        stages=(
            RepStage("squat", RepCounting(signal=knee_flexion, unit="deg", rest=30.0, enter=60.0,
                                          min_rep_s=0.6, top_band=10.0)),
            RepStage("row", RepCounting(signal=elbow_flexion, unit="deg", rest=45.0, enter=70.0,
                                        min_rep_s=0.5, top_band=10.0)),
        ),
        max_gap_s=4.0, range_label="squat depth",
    ),
    checks=(
        Check(id="squat_lean", title="Chest up", metric=trunk_lean, unit="deg", limit=60.0,
              flag_when="above", hysteresis=3.0, min_duration_s=0.3, priority=1, stage="squat",
              views=("side", "oblique"),
              cue="Keep your chest up as you squat.",
              explain="squat: trunk forward lean from vertical",
              tolerance=Tolerance(
                  measure="degrees the trunk leans forward from vertical at the bottom of the "
                          "squat", unit="deg", must_pass=45.0, must_catch=65.0,
                  why="A squat holding a band in front keeps the chest up: a lean of up to 45 "
                      "degrees is normal, 65 is folding forward onto the low back.")),
        Check(id="knees_past_toes", title="Knees over toes", metric=knees_past_toes, unit="ratio",
              limit=0.35, flag_when="above", hysteresis=0.05, min_duration_s=0.3, priority=2,
              stage="squat", views=("side",),
              cue="Sit back: keep your knees over your toes, not past them.",
              explain="squat: near knee ahead of the toes, torso lengths",
              tolerance=Tolerance(
                  measure="cm the knees travel past the toes at the bottom of the squat",
                  unit="cm", must_pass=5.0, must_catch=15.0,
                  why="The exercise table asks for knees over the toes; a little past is "
                      "normal, 15 cm past shifts the load forward off the hips.")),
        Check(id="elbows_back", title="Elbows back", metric=elbow_in_front, unit="deg",
              limit=20.0, flag_when="above", hysteresis=4.0, min_duration_s=0.3, priority=2,
              applies="top", stage="row", views=("side",),
              cue="Draw your elbows back past your ribs.",
              explain="row: upper arm still in front of the trunk at the top of the row",
              tolerance=Tolerance(
                  measure="degrees the upper arms stay in front of the trunk line at the end of "
                          "the row", unit="deg", must_pass=5.0, must_catch=30.0,
                  why="The row draws the elbows back to the ribs or past them; stopping 30 "
                      "degrees short leaves the upper back's muscles out.")),
        Check(id="row_upright", title="Trunk upright", metric=trunk_lean, unit="deg", limit=20.0,
              flag_when="above", hysteresis=3.0, min_duration_s=0.3, priority=1, stage="row",
              views=("side", "oblique"),
              cue="Stand tall while you row.",
              explain="row: trunk forward lean from vertical",
              tolerance=Tolerance(
                  measure="degrees the trunk leans forward from vertical while rowing",
                  unit="deg", must_pass=10.0, must_catch=25.0,
                  why="The row is done standing tall; 25 degrees forward is a bent-over row "
                      "loading the low back.")),
        Check(id="row_lean_back", title="No leaning back", metric=lean_back, unit="deg",
              limit=10.0, flag_when="above", hysteresis=3.0, min_duration_s=0.3, priority=1,
              stage="row", views=("side", "oblique"),
              cue="Do not lean back to pull; keep the trunk still.",
              explain="row: trunk leaning back behind vertical",
              tolerance=Tolerance(
                  measure="degrees the trunk leans back behind vertical while rowing",
                  unit="deg", must_pass=5.0, must_catch=15.0,
                  why="Guides: no leaning back to pull; 15 degrees back is the low back "
                      "arching to finish the row.")),
    ),
    good_rep_cue="Good squat and row.",
    cannot_see=(
        "A neutral low back during the squat is not measured (landmarks show the trunk line, not "
        "its curve).",
        "Side-on, the knees caving in cannot be seen.",
    ),
    description="Squat down and up, then row the handles to your ribs; one of each is a rep.",
    recognition=(
        Template(torso_up=(65, 15), torso_range=(30, 20), side_on=(0.25, 0.15), knee_bend=(100, 25),
                 move_hip=(0.5, 0.25), move_wrist=(0.5, 0.4), travel=(0.1, 0.3)),
    ),
)
