"""Band-assisted deadlift (hip hinge): a band pulls the hips back; hinge forward from the hips
with a neutral spine and soft knees, then stand tall. Filmed from the side.

The guide forbids deadlifts during back pain and asks for a clinician's clearance: the exercise
declares a ``clearance`` question, and the library refuses to analyse until it is answered yes
(``clearance_confirmed=True``; the CLI's ``--cleared``); the answer is kept in the report.

The rep signal is hip flexion (180 - the shoulder-hip-knee angle) in world 3D, so that a hinge
filmed from the front also counts: 5-20 degrees standing, 90-135 at the bottom in the clips.
Side-view checks use the image:

- ``knees_soft``: at the bottom the knee (near side) should stay bent; the clips bottom out at
  148-165 degrees, so the limit flags a knee straighter than 172.
- ``hands_close``: wrist ahead of the knee at the bottom, in torso lengths; clips 0.2-0.4.
- ``lean_back``: leaning back behind vertical when standing up (clips: at most 6 degrees).
- ``back_rounding``: the back's outline (mask, :mod:`formcheck.back_contour`) rounding at the
  bottom, degrees; limit 40: a flat back's outline reads -55 to +20 at the bottom of the
  side-view clips (the hanging arms and the band change the outline's ends; see
  :mod:`formcheck.back_contour`).

No tempo target: the guide gives none for this exercise.
"""

from __future__ import annotations

from formcheck.back_contour import back_bend, back_line
from formcheck.body import Body
from formcheck.exercises._measures import arm_forward, knee_angle_near, lean_back
from formcheck.exercises.spec import Check, Exercise, RepCounting, Template, Tolerance
from formcheck.geometry import joint_angle


def hip_hinge(body: Body) -> float:
    """Hip flexion, world 3D: 180 - angle(shoulder mid, hip mid, knee mid), degrees; 0 standing
    straight."""
    return 180.0 - float(joint_angle(body.mid("shoulder", "world"), body.mid("hip", "world"),
                                     body.mid("knee", "world")))


def back_rounding(body: Body) -> float:
    """Rounding of the back's outline, degrees (+ rounded); see :mod:`formcheck.back_contour`."""
    return back_bend(body)


EXERCISE = Exercise(
    id="deadlift",
    name="Band-assisted deadlift",
    aliases=("band_deadlift", "band_assisted_deadlift", "hip_hinge", "rdl", "romanian_deadlift"),
    views=("side", "oblique"),
    posture="standing",
    needs=("shoulder", "wrist", "hip", "knee", "ankle"),
    camera="Camera side-on at hip height, 2-3 m away, head to feet in frame.",
    cautions=(
        "Never deadlift while your back hurts, and only with a clinician's clearance.",
        "Never lock the knees straight: keep them soft and hinge from the hips.",
        "Stop at once if you feel pain in the low back.",
    ),
    clearance=("Is your back pain-free right now, and has a doctor or therapist cleared you "
               "for deadlifts?"),
    counting=RepCounting(signal=hip_hinge, unit="deg", rest=35.0, enter=55.0, min_rep_s=0.8,
                         top_band=10.0, min_lift_s=0.0, range_label="hip hinge"),
    checks=(
        Check(id="back_rounding", title="Back flat", metric=back_rounding, unit="deg",
              limit=40.0, flag_when="above", hysteresis=5.0, min_duration_s=0.3, priority=1,
              applies="top", views=("side",),
              cue="Keep your back flat: push the hips back and chest proud.",
              explain="rounding of the back's outline at the bottom (segmentation mask)",
              tolerance=Tolerance(
                  measure="degrees of lumbar flexion (the low back rounding) at the bottom of "
                          "the hinge", unit="deg", must_pass=5.0, must_catch=20.0,
                  why="Guides: hinge from the hips with a neutral spine; a back rounded 20 "
                      "degrees under load is what the deadlift must never do.")),
        Check(id="knees_soft", title="Knees soft", metric=knee_angle_near, unit="deg",
              limit=172.0, flag_when="above", hysteresis=3.0, min_duration_s=0.3, priority=1,
              applies="top", views=("side", "oblique"),
              cue="Unlock your knees: keep a soft bend at the bottom.",
              explain="near knee angle at the bottom of the hinge (straight = locked)",
              tolerance=Tolerance(
                  measure="knee angle at the bottom of the hinge (hip-knee-ankle, 180 = "
                          "straight)", unit="deg", must_pass=165.0, must_catch=175.0,
                  why="Guides: knees soft, never a straight-legged deadlift; a soft knee bends "
                      "15 degrees or more at the bottom, 5 or less is a straight leg.")),
        Check(id="hands_close", title="Hands close to legs", metric=arm_forward, unit="deg",
              limit=12.0, flag_when="above", hysteresis=3.0, min_duration_s=0.3, priority=2,
              applies="top", views=("side",),
              cue="Keep your hands close to your legs all the way down.",
              explain="arm swung forward of hanging straight down at the bottom",
              tolerance=Tolerance(
                  measure="degrees the arms swing forward of hanging straight down at the "
                          "bottom", unit="deg", must_pass=10.0, must_catch=25.0,
                  why="Guides: hands close to the legs; 25 degrees forward puts the hands (and "
                      "any weight) about 25 cm ahead of the legs, a longer lever on the low "
                      "back.")),
        Check(id="lean_back", title="No leaning back", metric=lean_back, unit="deg", limit=10.0,
              flag_when="above", hysteresis=3.0, min_duration_s=0.3, priority=2,
              views=("side", "oblique"),
              cue="Stand tall at the top; do not lean back.",
              explain="trunk leaning back behind vertical",
              tolerance=Tolerance(
                  measure="degrees the trunk leans back behind vertical when standing tall",
                  unit="deg", must_pass=5.0, must_catch=15.0,
                  why="Guides: no leaning back at lockout; 15 degrees back is the low back "
                      "arching to finish the lift.")),
    ),
    good_rep_cue="Good hinge.",
    cannot_see=(
        "Without the segmentation mask (landmark files) the back's rounding is not measured.",
        "The band and any weight are not tracked.",
    ),
    description="Hinge forward from the hips against a band's pull, back flat, knees soft; stand tall.",
    segmentation=True,
    overlays={"back": back_line},
    recognition=(
        Template(torso_up=(55, 25), torso_range=(50, 35), side_on=(0.3, 0.25), knee_bend=(165, 12),
                 move_wrist=(0.9, 0.5), move_ankle=(0.4, 0.35), hands_up_max=(-0.9, 0.4),
                 travel=(0.3, 0.3), knee_up=(-0.8, 0.25)),
    ),
)
