"""Straight-arm pulldown: standing, a cable or band anchored high in front; with straight arms
pull the hands down to the thighs, then let them rise slowly. Filmed from the side.

Side view, image pixels. The rep signal is 180 minus the shoulder flexion of the higher arm
(angle hip-shoulder-elbow, :func:`~formcheck.exercises._measures.arm_flexion`): about 50 with
the arms up in front, 165-170 with the hands at the thighs.

Limits calibrated on renders with exact truth (``benchmarks/calibration.py --exercise
straight_arm_pulldown --scenes 4``: 4 side and 4 oblique scenes, both body models, the camera
envelope; per check 8 reps at must-catch and 32 at must-pass from the side), each the middle of
the range in which every camera and body bin meets recall >= 0.9 and false flags <= 0.05; in
measured units:

- ``arms_straight``: MediaPipe reads the elbow's bend short (slope 0.84): a true 40-degree bend
  reads 134-144 degrees side-on, a soft 5-15 at 161 or more: limit 152.3 (range 143.7-160.9).
- ``lean_back``: the trunk tipping back since the rep began; true 15 reads 17-20 side-on, true
  0-5 at most 8.6: limit 12.9 (range 8.6-17.2 over the reps it judged; 2 of the 8 faulted reps
  were unknown, a camera 1.1-1.4 m high and 10-20 degrees off side-on that the engine takes
  for oblique and asks to turn).
- ``knees_soft`` is judged from no view: side-on a locked knee (true 178) read 171-179 and a
  slightly bent one (true 170) 167-175, so no limit separates them.

Re-measured from the side on 8 scenes with the body models crossed with the camera heights
(``benchmarks/calibration.py --scenes 8 --view side``: each body model filmed from every height bin;
16 reps at must-catch per check): ``arms_straight`` caught 16 of 16 and flagged 0 of 64 correct reps
(limits 143.7-155.0 meet both); ``lean_back`` 14 of the 14 it judged (2 read unknown), 0 of 64
(8.6-16.1).

From an oblique camera nothing is judged: 6 of 8 faulted reps of each check read unknown, and
the 40-degree elbow bends that were measured read 152-153, right at the side-view limit.

Tempo, on side-view renders (``benchmarks/tempo.py --scenes 4``, both body models; the way back
takes as long as the pull): a true 0.3 s pull reads 0.18-0.25 s up and 0.08-0.10 s back, a steady
0.6 s one 0.37-0.43 up and 0.13-0.18 back, 1.5 s 0.88-1.00 and 0.33-0.43. So ``min_lift_s`` is 0.3 and ``min_lower_s``
0.115 measured (they were 0.4 and 0.5, which flagged even a 1.5 s return: the engine times the
return only from the top band to the rest line, the fast middle of it). The return's margin is
one frame at 30 fps, so a return near 0.45 s true can go either way. A rushed rep lasts 0.58-0.62
s, so reps count from 0.5 s (at 0.8 the rushed ones were not counted).
"""

from __future__ import annotations

from formcheck.body import Body
from formcheck.exercises._measures import higher_arm_flexion, knee_angle_near, lean_back, near_elbow
from formcheck.exercises.spec import Check, Exercise, RepCounting, Template, Tolerance


def pull(body: Body) -> float:
    """180 - shoulder flexion of the higher arm, degrees: 90 arms straight ahead, 180 at the
    sides."""
    return 180.0 - higher_arm_flexion(body)


EXERCISE = Exercise(
    id="straight_arm_pulldown",
    name="Straight-arm pulldown",
    aliases=("straight_arm_pull_down", "lat_pulldown_straight_arm", "cable_pullover"),
    views=("side",),
    posture="standing",
    needs=("shoulder", "elbow", "wrist", "hip", "knee", "ankle"),
    camera="Camera side-on at chest height, 2-3 m away, head to feet and your raised hands in frame.",
    cautions=(
        "Do not arch your low back as the hands come down; stop if it tightens or hurts.",
        "Let the arms rise slowly, in control.",
    ),
    counting=RepCounting(signal=pull, unit="deg", rest=110.0, enter=140.0, min_rep_s=0.5,
                         top_band=8.0, min_lift_s=0.3, min_lower_s=0.115, range_label="arm sweep"),
    checks=(
        Check(id="arms_straight", title="Arms straight", metric=near_elbow, unit="deg",
              limit=152.3, flag_when="below", hysteresis=5.0, min_duration_s=0.3, priority=2,
              applies="rep", views=("side",),
              cue="Keep your arms straight; move from the shoulders.",
              explain="near elbow angle during the rep",
              tolerance=Tolerance(
                  measure="degrees the elbows bend during the pull", unit="deg", must_pass=15.0,
                  must_catch=40.0,
                  why="Guides: arms straight at all times; soft elbows (up to 15) are fine, 40 "
                      "degrees turns the pulldown into a row.")),
        Check(id="lean_back", title="No leaning back", metric=lean_back, unit="deg", limit=12.9,
              flag_when="above", hysteresis=3.0, min_duration_s=0.3, priority=1, applies="rep",
              relative=True, views=("side",),
              cue="Keep your trunk still; do not lean back or arch as you pull.",
              explain="trunk tipping back since the start of the rep",
              tolerance=Tolerance(
                  measure="degrees the trunk tips back since the rep started", unit="deg",
                  must_pass=5.0, must_catch=15.0,
                  why="Guides: do not over-arch the low back as the hands come down; 15 degrees "
                      "back is the arch doing the pull.")),
        Check(id="knees_soft", title="Knees soft", metric=knee_angle_near, unit="deg",
              limit=174.0, flag_when="above", hysteresis=2.0, min_duration_s=0.5, priority=4,
              views=(),
              cue="Keep a slight bend in your knees.",
              explain="near knee angle (locked = straight)",
              tolerance=Tolerance(
                  measure="knee angle (hip-knee-ankle, 180 = locked straight)", unit="deg",
                  must_pass=170.0, must_catch=178.0,
                  why="Guides: bend the knees slightly; a bend of 10 degrees is slight, a knee "
                      "within 2 degrees of straight is locked.")),
    ),
    good_rep_cue="Smooth pulldown.",
    cannot_see=(
        "The lumbar curve itself is not seen; leaning back is used as its sign.",
        "The cable or band is not tracked.",
        "Locked knees are not judged: the image knee angle cannot tell a locked knee from one "
        "bent 10 degrees.",
    ),
    description="With straight arms, pull a high cable down to your thighs and let it rise slowly.",
    recognition=(
        Template(torso_up=(84, 8), torso_range=(5, 8), side_on=(0.2, 0.12), knee_bend=(168, 10),
                 hands_up_max=(0.2, 0.5), move_wrist=(1.0, 0.4), move_ankle=(0.05, 0.1),
                 travel=(0.05, 0.15)),
    ),
)
