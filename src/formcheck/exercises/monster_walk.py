"""Monster walk: a band around the legs, a slight forward lean, slow steps forward or backward
with a short pause between them. Counted in steps per direction (``forward``/``backward``),
filmed from the side (or the front).

Side view: the walking axis is the image x axis, signed so it increases the way the person
faces (:func:`formcheck.exercises._measures.facing`). Front view: it is the image y axis,
increasing toward the camera for a person facing it (a step toward the camera moves the feet
down the picture); from the front, depth makes steps shorter in the picture and less certain.

No shared clip shows this exercise and the renderer cannot film a walk, so the limits are the
middle of each check's tolerance (true sizes, declared with each check), in the image plane
where a side view shows the lean at its true angle; they are not calibrated on renders:
``too_much_lean`` 35 degrees from vertical (slight is up to 25, 45 is too much),
``leaning_back`` 5, ``trunk_swing`` 10 degrees of change since the step began (5 / 15), and
``knees_over_toes`` 0.2 hip widths of caving in (front view; 0.1 / 0.3). A pause of at least
0.3 s with both feet still between steps, and a step of at least 0.6 s (two foot moves of
0.3 s, the tempo rule's rushing lift), are the tempo targets.
"""

from __future__ import annotations

from formcheck.body import Body
from formcheck.exercises._measures import facing, knee_valgus, lean_back, torso_length, trunk_lean
from formcheck.exercises.spec import Check, Exercise, StepCounting, Template, Tolerance


def feet_forward(body: Body) -> tuple[float, float]:
    """(left, right) ankle positions along the walking direction, pixels, + = forward."""
    la, ra = body.side("left", "ankle"), body.side("right", "ankle")
    if body.view == "side":
        f = facing(body)
        return f * float(la[0]), f * float(ra[0])
    nose_seen = body.ok(0)
    toward_camera = 1.0 if nose_seen else -1.0
    return toward_camera * float(la[1]), toward_camera * float(ra[1])


def forward_lean(body: Body) -> float:
    """Side view: trunk lean forward from vertical, degrees (- = leaning back)."""
    return trunk_lean(body)


def leaning_back(body: Body) -> float:
    """Side view: trunk lean backward from vertical, degrees (- = leaning forward)."""
    return lean_back(body)


EXERCISE = Exercise(
    id="monster_walk",
    name="Monster walk",
    aliases=("monster_walks", "band_monster_walk", "banded_walk_forward"),
    views=("side", "front"),
    posture="standing",
    per_side=False,
    needs=("shoulder", "hip", "knee", "ankle"),
    camera=("Camera side-on at hip height, 3-4 m away, with room for a few steps forward and "
            "back; your feet must stay in view. A camera in front also works for counting."),
    cautions=(
        "Move slowly, backward even more so, and stop if your low back tightens or hurts.",
        "Pause briefly with the feet still before each step.",
    ),
    counting=StepCounting(feet=feet_forward, scale=torso_length, directions=("backward", "forward"),
                          move_ratio=0.06, window_s=0.3, min_step_ratio=0.2, max_follow_s=2.0,
                          min_step_s=0.6, min_pause_s=0.3),
    checks=(
        Check(id="too_much_lean", title="Slight lean", metric=forward_lean, unit="deg",
              limit=35.0, flag_when="above", hysteresis=3.0, min_duration_s=0.5, priority=2,
              views=("side",),
              cue="Lean forward only slightly; chest up.",
              explain="trunk lean forward from vertical",
              tolerance=Tolerance(
                  measure="degrees the trunk leans forward from vertical", unit="deg",
                  must_pass=25.0, must_catch=45.0,
                  why="Guides: lean forward slightly; up to 25 degrees is slight, 45 puts the "
                      "low back to work holding the trunk.")),
        Check(id="leaning_back", title="No leaning back", metric=leaning_back, unit="deg",
              limit=5.0, flag_when="above", hysteresis=2.0, min_duration_s=0.5, priority=1,
              views=("side",),
              cue="Keep a slight forward lean; do not lean back.",
              explain="trunk lean backward from vertical",
              tolerance=Tolerance(
                  measure="degrees the trunk leans back behind vertical", unit="deg",
                  must_pass=0.0, must_catch=10.0,
                  why="Guides: a slight forward lean; upright is accepted, leaning back 10 "
                      "degrees arches the low back (going backward especially).")),
        Check(id="trunk_swing", title="Steady trunk", metric=forward_lean, unit="deg",
              limit=10.0, flag_when="above", hysteresis=3.0, min_duration_s=0.3, priority=1,
              applies="rep", relative=True, absolute=True, views=("side",),
              cue="Keep your trunk still; let the hips do the stepping.",
              explain="change of the trunk lean since the start of the step",
              tolerance=Tolerance(
                  measure="degrees the trunk lean changes during a step", unit="deg",
                  must_pass=5.0, must_catch=15.0,
                  why="Guides: move slowly so the low back does not take over; a trunk "
                      "swinging 15 degrees a step is the back doing the walking.")),
        Check(id="knees_over_toes", title="Knees over toes", metric=knee_valgus, unit="ratio",
              limit=0.2, flag_when="above", hysteresis=0.05, min_duration_s=0.3, priority=3,
              views=("front",),
              cue="Push your knees out over your toes.",
              explain="knee inside the hip-ankle line, in hip widths (front view)",
              tolerance=Tolerance(
                  measure="hip widths the knees cave inside the hip-ankle line", unit="ratio",
                  must_pass=0.1, must_catch=0.3,
                  why="The exercise table asks for knees tracking over the toes; caving in by "
                      "a third of the hip width is a visible collapse against the band.")),
    ),
    good_rep_cue="Good step, nice pause.",
    cannot_see=(
        "Side-on, the camera cannot see the knees caving in; film from the front for that.",
        "The band itself is not tracked.",
    ),
    description="Band around the legs, slight forward lean: slow steps forward or back, pausing between.",
    recognition=(
        Template(torso_up=(72, 10), side_on=(0.15, 0.15), knee_bend=(145, 20), move_ankle=(0.5, 0.3),
                 move_wrist=(0.1, 0.15), travel=(0.8, 0.8)),
    ),
)
