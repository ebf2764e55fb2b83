"""Straight-arm pulldown: standing, a cable or band anchored high in front; with straight arms
pull the hands down to the thighs, then let them rise slowly. Filmed from the side.

Side view, image pixels. The rep signal is 180 minus the shoulder flexion of the higher arm
(angle hip-shoulder-wrist): about 90 with the arms up in front, 165-170 with the hands at the
thighs in the shared clip. The return (from the bottom back to ``rest``)
should take at least 0.5 s.

Limits from the shared (AI-generated) clip and the guide: ``arms_straight`` flags an elbow bent
below 100 degrees (the clip's near elbow reads 106-122 for a moment on the way back up); ``lean_back`` flags the trunk
tipping back more than 10 degrees since the rep began (the lumbar over-arch); ``knees_soft``
flags a locked knee (near knee above 178 degrees: MediaPipe reads a straight leg at 175-180, so
only a fully locked knee is flagged; the clip stays at 167-176).
"""

from __future__ import annotations

from formcheck.body import Body
from formcheck.exercises._measures import higher_arm_flexion, knee_angle_near, lean_back, near_elbow
from formcheck.exercises.spec import Check, Exercise, RepCounting, Template


def pull(body: Body) -> float:
    """180 - shoulder flexion of the higher arm, degrees: 90 arms straight ahead, 180 at the
    sides."""
    return 180.0 - higher_arm_flexion(body)


EXERCISE = Exercise(
    id="straight_arm_pulldown",
    name="Straight-arm pulldown",
    aliases=("straight_arm_pull_down", "lat_pulldown_straight_arm", "cable_pullover"),
    views=("side", "oblique"),
    posture="standing",
    needs=("shoulder", "elbow", "wrist", "hip", "knee", "ankle"),
    camera="Camera side-on at chest height, 2-3 m away, head to feet and your raised hands in frame.",
    cautions=(
        "Do not arch your low back as the hands come down; stop if it tightens or hurts.",
        "Let the arms rise slowly, in control.",
    ),
    counting=RepCounting(signal=pull, unit="deg", rest=110.0, enter=140.0, min_rep_s=0.8,
                         top_band=8.0, min_lift_s=0.4, min_lower_s=0.5, range_label="arm sweep"),
    checks=(
        Check(id="arms_straight", title="Arms straight", metric=near_elbow, unit="deg",
              limit=100.0, flag_when="below", hysteresis=5.0, min_duration_s=0.3, priority=2,
              applies="rep", views=("side", "oblique"),
              cue="Keep your arms straight; move from the shoulders.",
              explain="near elbow angle during the rep"),
        Check(id="lean_back", title="No leaning back", metric=lean_back, unit="deg", limit=10.0,
              flag_when="above", hysteresis=3.0, min_duration_s=0.3, priority=1, applies="rep",
              relative=True, views=("side", "oblique"),
              cue="Keep your trunk still; do not lean back or arch as you pull.",
              explain="trunk tipping back since the start of the rep"),
        Check(id="knees_soft", title="Knees soft", metric=knee_angle_near, unit="deg",
              limit=178.0, flag_when="above", hysteresis=2.0, min_duration_s=0.5, priority=4,
              views=("side", "oblique"),
              cue="Keep a slight bend in your knees.",
              explain="near knee angle (locked = straight)"),
    ),
    good_rep_cue="Smooth pulldown.",
    cannot_see=(
        "The lumbar curve itself is not seen; leaning back is used as its sign.",
        "The cable or band is not tracked.",
    ),
    description="With straight arms, pull a high cable down to your thighs and let it rise slowly.",
    recognition=(
        Template(torso_up=(84, 8), torso_range=(5, 8), side_on=(0.2, 0.12), knee_bend=(168, 10),
                 hands_up_max=(0.2, 0.5), move_wrist=(1.0, 0.4), move_ankle=(0.05, 0.1),
                 travel=(0.05, 0.15)),
    ),
)
