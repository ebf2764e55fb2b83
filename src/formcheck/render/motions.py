"""Exercise motions and faults, as data.

Each exercise is a :class:`Motion`: how the body lies in the world, a start pose and a peak pose
(named degrees of freedom from :mod:`formcheck.render.skeleton`, in degrees), which body parts
rest on the floor, where the camera goes for each view, and the faults it can show.

Templates: in rep poses and fault drives ``{s}`` is the rep's working side (``l`` or ``r``) and
``{o}`` the other side. Bird dog's working side is the reaching arm (so ``{o}`` is the lifted
leg); clamshell's is the top leg. Central DOFs take a side with ``@``: ``pelvis_roll@{s}`` rolls
the working side's hip backward.

A fault is one or more *drives*: a set of DOFs moved together (weights per unit), scaled by a
factor that :mod:`formcheck.render.animate` solves so that the named truth metric moves by
exactly the fault's value (``delta``) or reaches it (``absolute``). The fault's id is the id of
the check that should catch it, and its value is in that check's unit. Each fault is solved on
its own; several faults at once add their DOF changes, so their metrics are then close to, not
exactly, their values (the truth file always holds the real values).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# World directions the body frame's y (long axis, toward the head) and z (front, belly) point
# to when lying down. The floor is Y = 0, so (0, -1, 0) is "down".
HEAD_X = (1.0, 0.0, 0.0)
DOWN = (0.0, -1.0, 0.0)
UP = (0.0, 1.0, 0.0)


@dataclass(frozen=True)
class Drive:
    """DOFs moved together by one fault, solved so that ``metric`` changes by the fault value.

    Attributes:
        metric: truth angle name (see :mod:`formcheck.render.truth`).
        dofs: DOF key template -> weight per unit of drive.
        mode: ``delta`` (metric minus the fault-free metric equals the value) or ``absolute``
            (the metric equals the value).
        sign: the metric moves by ``sign * value`` (``hip_pike=15`` gives hip_bend_deg = -15).
    """

    metric: str
    dofs: dict[str, float]
    mode: str = "delta"
    sign: float = 1.0


@dataclass(frozen=True)
class FaultDef:
    """A fault the renderer can dial in.

    Attributes:
        check_id: id of the check that should flag it.
        unit: unit of the value (that check's unit).
        drives: how it moves the body.
        envelope: ``rep`` (grows with each rep's movement, full at the peak) or ``hold`` (full
            for the whole span).
        description: what it looks like.
        default: a typical value, used in help texts and samples.
        peak: for motions with several peak poses, the one the fault shows at (None = all;
            the drive is solved at the first).
    """

    check_id: str
    unit: str
    drives: tuple[Drive, ...]
    envelope: str
    description: str
    default: float
    peak: str | None = None


@dataclass(frozen=True)
class Motion:
    """One exercise, or one form of it, as data.

    Attributes:
        name: the motion's id (``MOTIONS`` key): the exercise id (as in EXERCISES.md), or for a
            second form of one exercise, ``<exercise>_<form>``.
        exercise: the exercise id when ``name`` is not one (a second form).
        kind: ``reps`` or ``hold``.
        long_axis, front: world directions of the body's y (head) and z (belly) axes when the
            working side is left; the right side is the mirror image (world Z negated).
        start: DOF values of the start pose (and of the whole hold).
        peak: DOF values at the top of a rep (templates), replacing ``start``'s values.
        peaks: several named peak poses visited in turn in each rep (cat/cow: flex, then
            extend); overrides ``peak``.
        sides: ``alternate`` (reps switch sides), ``one`` (all reps on the chosen side) or
            ``both`` (bilateral, side "both").
        contacts: one or two groups of joint names whose shapes rest on the floor. With two,
            the body's pitch is solved so both touch.
        anchors: joints that stay put on the floor when they touch it.
        views: view name -> camera directions (``lateral``, ``head``, ``feet``, ``belly``),
            averaged for obliques.
        camera_height: (low, high) camera height range in metres, per view.
        metrics: truth angles written per frame.
        faults: faults by check id.
        sway: amplitude scale of the natural sway (1 = default).
    """

    name: str
    kind: str
    long_axis: tuple[float, float, float]
    front: tuple[float, float, float]
    start: dict[str, float]
    peak: dict[str, float] = field(default_factory=dict)
    sides: str = "both"
    contacts: tuple[tuple[str, ...], ...] = ()
    anchors: tuple[str, ...] = ()
    views: dict[str, tuple[str, ...]] = field(default_factory=dict)
    camera_height: dict[str, tuple[float, float]] = field(default_factory=dict)
    metrics: tuple[str, ...] = ()
    faults: dict[str, FaultDef] = field(default_factory=dict)
    sway: float = 1.0
    peaks: tuple[tuple[str, dict[str, float]], ...] = ()
    exercise: str = ""

    @property
    def exercise_id(self) -> str:
        """The formcheck exercise this motion films."""
        return self.exercise or self.name

    def keyframes(self) -> tuple[tuple[str, dict[str, float]], ...]:
        """The named peak poses a rep visits in order (``peaks``, else the single ``peak``)."""
        return self.peaks or (("peak", self.peak),)


#: View names: ``side`` (camera at the body's left or right), ``front`` (facing the belly side),
#: ``head`` / ``feet`` (at that end, looking along the body), ``oblique`` (between the first
#: two directions). What formcheck's engine calls each is :func:`engine_view`.
_FLOOR_VIEWS = {"side": ("lateral",), "head": ("head",), "feet": ("feet",), "oblique": ("lateral", "head")}
_FLOOR_HEIGHTS = {"side": (0.45, 0.8), "head": (0.5, 0.9), "feet": (0.8, 1.2), "oblique": (0.5, 0.9)}

_LEGS = ("knee_angle_left_deg", "knee_angle_right_deg", "hip_flexion_left_deg", "hip_flexion_right_deg")

PLANK = Motion(
    name="plank",
    kind="hold",
    long_axis=HEAD_X,
    front=DOWN,
    start={
        "shoulder_flex_l": 90, "shoulder_flex_r": 90,
        "elbow_flex_l": 90, "elbow_flex_r": 90,
        "wrist_pron_l": -60, "wrist_pron_r": -60,
        "shoulder_abd_l": -4, "shoulder_abd_r": -4,
        "ankle_pf_l": 5, "ankle_pf_r": 5,
        "neck_flex": 8,
    },
    contacts=(("elbow_l", "elbow_r", "wrist_l", "wrist_r"), ("ankle_l", "ankle_r")),
    anchors=("elbow_l", "elbow_r", "ankle_l", "ankle_r"),
    views=_FLOOR_VIEWS,
    camera_height=_FLOOR_HEIGHTS,
    metrics=(
        "hip_bend_deg", "torso_elevation_deg", "body_line_elevation_deg",
        "upper_arm_from_vertical_deg", "neck_flexion_deg", *_LEGS,
    ),
    faults={
        "head_hanging": FaultDef(
            "head_hanging", "deg",
            (Drive("neck_flexion_deg", {"neck_flex": 1.0}, mode="absolute"),),
            "hold", "the head hangs toward the floor (chin to chest, looking back at the knees)", 30,
        ),
        "head_craned": FaultDef(
            "head_craned", "deg",
            (Drive("neck_flexion_deg", {"neck_flex": 1.0}, mode="absolute", sign=-1.0),),
            "hold", "the head cranes up to look ahead", 30,
        ),
        "elbows_under_shoulders": FaultDef(
            "elbows_under_shoulders", "deg",
            (Drive("upper_arm_from_vertical_deg", {"shoulder_flex_l": 1.0, "shoulder_flex_r": 1.0}),),
            "hold", "the elbows sit ahead of the shoulders (upper arms leaning forward)", 25,
        ),
        "hip_sag": FaultDef(
            "hip_sag", "deg",
            (Drive("hip_bend_deg", {"hip_flex_l": -0.7, "hip_flex_r": -0.7, "spine_flex": -0.3}),),
            "hold", "hips drop below the shoulder-ankle line (low back arching)", 12,
        ),
        "hip_pike": FaultDef(
            "hip_pike", "deg",
            (Drive("hip_bend_deg", {"hip_flex_l": 0.8, "hip_flex_r": 0.8, "spine_flex": 0.2},
                   sign=-1.0),),
            "hold", "hips hiked above the shoulder-ankle line", 15,
        ),
    },
)

BIRD_DOG = Motion(
    name="bird_dog",
    kind="reps",
    long_axis=HEAD_X,
    front=DOWN,
    start={
        "shoulder_flex_l": 90, "shoulder_flex_r": 90,
        "wrist_ext_l": 90, "wrist_ext_r": 90, "wrist_pron_l": 180, "wrist_pron_r": 180,
        "hip_flex_l": 90, "hip_flex_r": 90,
        "knee_flex_l": 90, "knee_flex_r": 90,
        "ankle_pf_l": 75, "ankle_pf_r": 75,
        "neck_flex": 5,
    },
    peak={
        "shoulder_flex_{s}": 180, "wrist_ext_{s}": 0, "wrist_pron_{s}": 90,
        "hip_flex_{o}": 0, "knee_flex_{o}": 0, "ankle_pf_{o}": 20,
    },
    sides="alternate",
    contacts=(("elbow_l", "elbow_r", "wrist_l", "wrist_r"), ("knee_l", "knee_r", "ankle_l", "ankle_r")),
    anchors=("wrist_l", "wrist_r", "knee_l", "knee_r"),
    views=_FLOOR_VIEWS,
    camera_height=_FLOOR_HEIGHTS,
    metrics=(
        "torso_elevation_deg", "lumbar_flexion_deg", "arm_above_torso_deg", "leg_above_torso_deg",
        "pelvis_drop_deg", "hip_line_tilt_deg", "shoulder_line_tilt_deg", *_LEGS,
    ),
    faults={
        "spine_neutral": FaultDef(
            "spine_neutral", "deg",
            (Drive("lumbar_flexion_deg", {
                "pelvis_tilt": -1.0, "spine_flex": 0.6, "thorax_flex": 0.4, "hip_flex_{s}": -1.0,
            }),),
            "rep", "the low back rounds (negative: arches) as the limbs reach out; the pelvis "
            "tilts against the thorax and the lifted leg follows it", 20,
        ),
        "limb_above_torso": FaultDef(
            "limb_above_torso", "deg",
            (
                Drive("arm_above_torso_deg", {"shoulder_flex_{s}": 1.0}, mode="absolute"),
                Drive("leg_above_torso_deg", {"hip_flex_{o}": -1.0}, mode="absolute"),
            ),
            "rep", "the reaching arm and leg rise above the torso line", 15,
        ),
        "pelvis_level": FaultDef(
            "pelvis_level", "deg",
            (Drive("pelvis_drop_deg", {
                "pelvis_roll@{o}": -1.0, "spine_twist@{o}": 1.0, "hip_swing_{s}": -1.0,
            }),),
            "rep", "the pelvis rolls so the lifted leg's hip drops toward the floor", 10,
        ),
    },
)

CLAMSHELL = Motion(
    name="clamshell",
    kind="reps",
    long_axis=HEAD_X,
    front=(0.0, 0.0, -1.0),  # lying on the right side: the left (working) side is up
    start={
        "hip_flex_l": 45, "hip_flex_r": 45,
        "hip_abd_l": -9, "hip_abd_r": -3,
        "knee_flex_l": 90, "knee_flex_r": 90,
        "ankle_pf_l": 20, "ankle_pf_r": 20,
        # bottom arm under the head, top hand on the floor in front of the chest
        "shoulder_flex_r": 165, "elbow_flex_r": 40, "shoulder_abd_r": 0,
        "shoulder_flex_l": 70, "elbow_flex_l": 30, "shoulder_abd_l": -25,
        "neck_tilt": -12,
    },
    peak={"hip_open_{s}": 60},
    sides="one",
    contacts=(("pelvis", "hip_l", "hip_r", "thorax", "shoulder_l", "shoulder_r", "lumbar"),),
    anchors=("pelvis", "thorax"),
    views={"front": ("belly",), "feet": ("feet",), "oblique": ("belly", "feet")},
    camera_height={"front": (1.0, 1.4), "feet": (0.6, 1.0), "oblique": (0.9, 1.3)},
    metrics=(
        "knee_opening_deg", "pelvis_rotation_deg", "shoulder_rotation_deg", "feet_separation_cm",
        "ankle_knee_gap_ratio", "bottom_knee_from_90_deg", "bottom_hip_from_45_deg", *_LEGS,
    ),
    faults={
        "pelvis_rocking": FaultDef(
            "pelvis_rocking", "deg",
            (Drive("pelvis_rotation_deg", {"pelvis_roll@{s}": 1.0, "hip_swing_{o}": 1.0}),),
            "rep", "the pelvis and trunk roll backward as the knee opens", 15,
        ),
        "feet_together": FaultDef(
            "feet_together", "cm",
            (Drive("feet_separation_cm", {"hip_rot_{s}": 1.0}),),
            "rep", "the top foot lifts off the bottom one as the knee opens", 12,
        ),
        "knee_bend": FaultDef(
            "knee_bend", "deg",
            (Drive("bottom_knee_from_90_deg", {"knee_flex_l": -1.0, "knee_flex_r": -1.0}),),
            "hold", "the knees are straighter than the right angle the set-up asks for "
            "(negative: bent tighter)", 40,
        ),
        "hip_bend": FaultDef(
            "hip_bend", "deg",
            (Drive("bottom_hip_from_45_deg", {"hip_flex_l": 1.0, "hip_flex_r": 1.0}),),
            "hold", "the hips are bent more than the 45 degrees the set-up asks for, knees drawn "
            "forward (negative: straighter, knees in line with the body)", 30,
        ),
    },
)

BRIDGE = Motion(
    name="bridge",
    kind="reps",
    long_axis=HEAD_X,
    front=UP,
    start={
        # lying flat: shoulders, pelvis and feet all touch the floor
        "hip_flex_l": 50, "hip_flex_r": 50,
        "knee_flex_l": 115, "knee_flex_r": 115,
        "hip_abd_l": 4, "hip_abd_r": 4,
        "ankle_pf_l": 5, "ankle_pf_r": 5,
        "shoulder_abd_l": 12, "shoulder_abd_r": 12,
        "wrist_pron_l": 90, "wrist_pron_r": 90,
    },
    peak={
        "hip_flex_l": 0, "hip_flex_r": 0,
        # knees ~100 at the top keep the shoulder-to-feet distance of the start pose
        "knee_flex_l": 100, "knee_flex_r": 100,
        "ankle_pf_l": 25, "ankle_pf_r": 25,
        "shoulder_flex_l": -25, "shoulder_flex_r": -25,
        "neck_flex": 25,
    },
    sides="both",
    contacts=(("thorax", "shoulder_l", "shoulder_r", "neck"), ("ankle_l", "ankle_r")),
    anchors=("ankle_l", "ankle_r"),
    views={"side": ("lateral",), "feet": ("feet",), "oblique": ("lateral", "feet")},
    camera_height=_FLOOR_HEIGHTS,
    metrics=(
        "hip_extension_deg", "torso_elevation_deg", "knee_width_ratio", "hip_line_tilt_deg",
        *_LEGS,
    ),
    faults={
        "over_arch": FaultDef(
            "over_arch", "deg",
            (Drive("hip_extension_deg", {"hip_flex_l": -0.5, "hip_flex_r": -0.5, "spine_flex": -0.5}),),
            "rep", "at the top the hips push past the shoulder-knee line (lumbar over-arch)", 15,
        ),
    },
)

#: Straight-arm exercises: the elbows bend (value: their flexion, 0 = straight), growing with
#: the rep.
_ELBOWS_BEND = FaultDef(
    "arms_straight", "deg",
    (Drive("elbow_flexion_deg", {"elbow_flex_l": 1.0, "elbow_flex_r": 1.0}, mode="absolute"),),
    "rep", "the elbows bend during the rep (value: their flexion at the rep's peak, 0 = straight)", 40,
)

_STANDING_VIEWS = {"side": ("lateral",), "front": ("belly",), "oblique": ("lateral", "belly")}
_STANDING_HEIGHTS = {"side": (0.8, 1.3), "front": (0.9, 1.4), "oblique": (0.9, 1.4)}
_FEET = (("ankle_l", "ankle_r"),)
_ARMS = ("elbow_angle_left_deg", "elbow_angle_right_deg")

SIDE_LEG_LIFT = Motion(
    name="side_leg_lift",
    kind="reps",
    long_axis=HEAD_X,
    front=(0.0, 0.0, -1.0),  # lying on the right side, the left (working) leg on top
    start={
        "hip_abd_l": -2, "hip_abd_r": 0,
        "knee_flex_l": 3, "knee_flex_r": 25, "hip_flex_r": 20,
        "ankle_pf_l": 10, "ankle_pf_r": 20,
        "shoulder_flex_r": 165, "elbow_flex_r": 40,
        "shoulder_flex_l": 70, "elbow_flex_l": 30, "shoulder_abd_l": -25,
        "neck_tilt": -12,
    },
    peak={"hip_abd_{s}": 38},
    sides="one",
    contacts=(("pelvis", "hip_l", "hip_r", "thorax", "shoulder_l", "shoulder_r", "lumbar"),),
    anchors=("pelvis", "thorax"),
    views={"front": ("belly",), "feet": ("feet",), "oblique": ("belly", "feet")},
    camera_height={"front": (0.9, 1.4), "feet": (0.6, 1.0), "oblique": (0.9, 1.3)},
    metrics=("leg_abduction_deg", "leg_forward_deg", "pelvis_rotation_deg", "shoulder_rotation_deg",
             *_LEGS),
    faults={
        "pelvis_rocking": FaultDef(
            "pelvis_rocking", "deg",
            (Drive("pelvis_rotation_deg", {"pelvis_roll@{s}": 1.0, "hip_swing_{o}": 1.0}),),
            "rep", "the pelvis and trunk roll backward as the leg lifts", 15,
        ),
        "leg_forward": FaultDef(
            "leg_forward", "deg",
            (Drive("leg_forward_deg", {"hip_flex_{s}": 1.0}, mode="absolute"),),
            "rep", "the lifted leg drifts forward of the body line (hip flexes)", 20,
        ),
        "too_high": FaultDef(
            "too_high", "deg",
            (Drive("leg_abduction_deg", {"hip_abd_{s}": 1.0}, mode="absolute"),),
            "rep", "the top leg lifts past the hip's range (value: its abduction at the top)", 60,
        ),
    },
)

#: Cat/cow: the pelvis tilts against the thorax and the hips unbend as much (the thighs stay put).
#: The bend is shared by the two spine joints as in the bird dog's rounding (0.6 / 0.4): put all
#: at the low one, it was a kink 10 cm above the hips that the back's outline barely showed (on
#: one mannequin clip a 40-degree cat read 15 degrees past neutral; shared, 30).
_LUMBAR_BEND = {"pelvis_tilt": -0.6, "hip_flex_l": -0.6, "hip_flex_r": -0.6, "spine_flex": 0.36,
                "thorax_flex": 0.24}

CAT_COW = Motion(
    name="cat_cow",
    kind="reps",
    long_axis=HEAD_X,
    front=DOWN,
    start=dict(BIRD_DOG.start),
    peaks=(
        ("flex", {  # cat: back rounds up, head drops; the thorax stays level
            "pelvis_tilt": -22, "hip_flex_l": 68, "hip_flex_r": 68,
            "spine_flex": 15, "thorax_flex": 8, "neck_flex": 32,
        }),
        ("extend", {  # cow: back sags, head lifts
            "pelvis_tilt": 16, "hip_flex_l": 106, "hip_flex_r": 106,
            "spine_flex": -10, "thorax_flex": -6, "neck_flex": -28,
        }),
    ),
    sides="both",
    contacts=BIRD_DOG.contacts,
    anchors=BIRD_DOG.anchors,
    views=_FLOOR_VIEWS,
    camera_height=_FLOOR_HEIGHTS,
    metrics=("lumbar_flexion_deg", "torso_elevation_deg", "hands_from_vertical_deg",
             "thighs_from_vertical_deg", *_LEGS),
    faults={
        "spine_flexion": FaultDef(
            "spine_flexion", "deg",
            (Drive("lumbar_flexion_deg", _LUMBAR_BEND, mode="absolute"),),
            "rep", "the cat rounds the low back to the value (lumbar flexion past neutral), for "
            "testing a flexion cap", 40, peak="flex",
        ),
        "spine_extension": FaultDef(
            "spine_extension", "deg",
            (Drive("lumbar_flexion_deg", _LUMBAR_BEND, mode="absolute", sign=-1.0),),
            "rep", "the cow hollows the low back to the value (lumbar extension past neutral), "
            "for testing an extension cap", 30, peak="extend",
        ),
        "hands_under_shoulders": FaultDef(
            "hands_under_shoulders", "deg",
            (Drive("hands_from_vertical_deg", {"shoulder_flex_l": 1.0, "shoulder_flex_r": 1.0},
                   mode="absolute"),),
            "hold", "the hands are placed ahead of the shoulders (negative: behind them)", 25,
        ),
        "knees_under_hips": FaultDef(
            "knees_under_hips", "deg",
            # the shins keep their angle to the floor: the knee bends as much as the hip
            (Drive("thighs_from_vertical_deg", {"hip_flex_l": 1.0, "hip_flex_r": 1.0,
                                                "knee_flex_l": 1.0, "knee_flex_r": 1.0},
                   mode="absolute"),),
            "hold", "the knees are placed ahead of the hips, toward the hands (negative: behind "
            "them)", 25,
        ),
    },
)

DEADLIFT = Motion(
    name="deadlift",
    kind="reps",
    long_axis=UP,
    front=(0.0, 0.0, 1.0),
    start={
        "hip_flex_l": 5, "hip_flex_r": 5, "knee_flex_l": 8, "knee_flex_r": 8,
        "ankle_pf_l": -3, "ankle_pf_r": -3, "hip_abd_l": 4, "hip_abd_r": 4,
        "shoulder_flex_l": 5, "shoulder_flex_r": 5, "wrist_pron_l": -80, "wrist_pron_r": -80,
    },
    peak={  # hip hinge: trunk forward ~65 deg, knees soft, arms hanging
        "pelvis_tilt": 65, "hip_flex_l": 80, "hip_flex_r": 80,
        "knee_flex_l": 22, "knee_flex_r": 22, "ankle_pf_l": -7, "ankle_pf_r": -7,
        "shoulder_flex_l": 68, "shoulder_flex_r": 68, "neck_flex": -15,
    },
    sides="both",
    contacts=_FEET,
    anchors=("ankle_l", "ankle_r"),
    views=_STANDING_VIEWS,
    camera_height=_STANDING_HEIGHTS,
    metrics=("trunk_lean_deg", "lumbar_flexion_deg", "arm_elevation_deg", *_LEGS),
    faults={
        "back_rounding": FaultDef(
            "back_rounding", "deg",
            (Drive("lumbar_flexion_deg", {"spine_flex": 0.6, "thorax_flex": 0.4}),),
            "rep", "the back rounds during the hinge (negative: arches)", 20,
        ),
        "knees_soft": FaultDef(
            "knees_soft", "deg",
            (Drive("knee_angle_left_deg", {"knee_flex_l": -1.0, "knee_flex_r": -1.0,
                                            "ankle_pf_l": 1.0, "ankle_pf_r": 1.0}, mode="absolute"),),
            "rep", "the knees straighten during the hinge (value: the knee angle at the bottom, "
            "180 = straight)", 175,
        ),
        "hands_close": FaultDef(
            "hands_close", "deg",
            (Drive("arm_elevation_deg", {"shoulder_flex_l": 1.0, "shoulder_flex_r": 1.0},
                   mode="absolute"),),
            "rep", "the arms swing forward, hands away from the legs (value: the arms' angle "
            "from hanging straight down at the bottom)", 25,
        ),
        "lean_back": FaultDef(
            "lean_back", "deg",
            (Drive("trunk_lean_deg", {"spine_flex": -0.6, "thorax_flex": -0.4}, sign=-1.0),),
            "hold", "standing tall, the trunk leans back (the low back arching) by the value", 15,
        ),
    },
)

STRAIGHT_ARM_PULLDOWN = Motion(
    name="straight_arm_pulldown",
    kind="reps",
    long_axis=UP,
    front=(0.0, 0.0, 1.0),
    start={  # slight hinge, knees soft, straight arms up in front
        "pelvis_tilt": 18, "hip_flex_l": 25, "hip_flex_r": 25,
        "knee_flex_l": 15, "knee_flex_r": 15, "ankle_pf_l": -8, "ankle_pf_r": -8,
        "hip_abd_l": 4, "hip_abd_r": 4,
        "shoulder_flex_l": 128, "shoulder_flex_r": 128, "elbow_flex_l": 5, "elbow_flex_r": 5,
        "wrist_pron_l": -80, "wrist_pron_r": -80, "neck_flex": -12,
    },
    peak={"shoulder_flex_l": 28, "shoulder_flex_r": 28},
    sides="both",
    contacts=_FEET,
    anchors=("ankle_l", "ankle_r"),
    views=_STANDING_VIEWS,
    camera_height=_STANDING_HEIGHTS,
    metrics=("trunk_lean_deg", "arm_elevation_deg", "elbow_flexion_deg", *_ARMS, *_LEGS),
    faults={
        "lean_back": FaultDef(
            "lean_back", "deg",
            (Drive("trunk_lean_deg", {"spine_flex": -0.6, "thorax_flex": -0.4}, sign=-1.0),),
            "rep", "the trunk leans back (lumbar over-arch) as the arms come down", 15,
        ),
        "arms_straight": _ELBOWS_BEND,
        "knees_soft": FaultDef(
            "knees_soft", "deg",
            (Drive("knee_angle_left_deg", {"knee_flex_l": -1.0, "knee_flex_r": -1.0,
                                            "ankle_pf_l": 0.5, "ankle_pf_r": 0.5}, mode="absolute"),),
            "hold", "the knees are locked straight (value: the knee angle, 180 = straight)", 178,
        ),
    },
)

OVERHEAD_BALL_RAISE = Motion(
    name="overhead_ball_raise",
    kind="reps",
    long_axis=UP,
    front=(0.0, 0.0, 1.0),
    start={  # tall kneeling, hands together in front of the hips
        "knee_flex_l": 90, "knee_flex_r": 90, "ankle_pf_l": 80, "ankle_pf_r": 80,
        "hip_abd_l": 3, "hip_abd_r": 3,
        "shoulder_flex_l": 25, "shoulder_flex_r": 25, "shoulder_abd_l": -12, "shoulder_abd_r": -12,
        "elbow_flex_l": 10, "elbow_flex_r": 10, "wrist_pron_l": -90, "wrist_pron_r": -90,
    },
    peak={"shoulder_flex_l": 172, "shoulder_flex_r": 172, "shoulder_abd_l": -6, "shoulder_abd_r": -6},
    sides="both",
    contacts=(("knee_l", "knee_r", "ankle_l", "ankle_r"),),
    anchors=("knee_l", "knee_r"),
    views=_STANDING_VIEWS,
    camera_height={"side": (0.6, 1.1), "front": (0.7, 1.2), "oblique": (0.7, 1.2)},
    metrics=("trunk_lean_deg", "arm_elevation_deg", "elbow_flexion_deg", *_ARMS, "lumbar_flexion_deg",
             "head_forward_cm"),
    faults={
        "lean_back": FaultDef(
            "lean_back", "deg",
            (Drive("trunk_lean_deg", {"spine_flex": -0.6, "thorax_flex": -0.4}, sign=-1.0),),
            "rep", "the trunk leans back (lumbar over-arch) as the arms go overhead", 12,
        ),
        "arms_straight": _ELBOWS_BEND,
        # The skeleton has one neck joint, so the head comes forward by bending at the neck's
        # base and the face tips down with it (a real chin poke also tips the head back up).
        "head_forward": FaultDef(
            "head_forward", "cm",
            (Drive("head_forward_cm", {"neck_flex": 1.0}),),
            "rep", "the head pokes forward of the shoulders as the arms go up", 6,
        ),
    },
)

ANTI_ROTATION = Motion(
    name="anti_rotation",
    kind="reps",
    long_axis=UP,
    front=(0.0, 0.0, 1.0),
    start={  # athletic stance, hands at the chest (Pallof press)
        "hip_flex_l": 12, "hip_flex_r": 12, "knee_flex_l": 18, "knee_flex_r": 18,
        "ankle_pf_l": -6, "ankle_pf_r": -6, "hip_abd_l": 10, "hip_abd_r": 10,
        "shoulder_flex_l": 15, "shoulder_flex_r": 15, "shoulder_abd_l": -10, "shoulder_abd_r": -10,
        "elbow_flex_l": 95, "elbow_flex_r": 95, "wrist_pron_l": -90, "wrist_pron_r": -90,
    },
    peak={"shoulder_flex_l": 88, "shoulder_flex_r": 88, "shoulder_abd_l": -18, "shoulder_abd_r": -18,
          "elbow_flex_l": 3, "elbow_flex_r": 3},
    sides="both",
    contacts=_FEET,
    anchors=("ankle_l", "ankle_r"),
    views={"front": ("belly",), "side": ("lateral",), "oblique": ("lateral", "belly")},
    camera_height=_STANDING_HEIGHTS,
    metrics=("pelvis_rotation_deg", "shoulder_line_tilt_deg", "trunk_lean_deg", "knee_flexion_deg",
             *_ARMS, *_LEGS),
    faults={
        "hip_rotation": FaultDef(
            "hip_rotation", "deg",
            (Drive("pelvis_rotation_deg", {"pelvis_roll": 1.0, "hip_swing_l": -1.0,
                                            "hip_swing_r": 1.0, "spine_twist": -1.0}),),
            "rep", "the hips turn (left hip back; negative: the right) while the arms press out", 15,
        ),
        "shoulder_dip": FaultDef(
            "shoulder_dip", "deg",
            (Drive("shoulder_line_tilt_deg", {"thorax_bend": 1.0}, sign=-1.0),),
            "rep", "the trunk side-bends so the left shoulder drops (negative: the right one)", 10,
        ),
        "trunk_posture": FaultDef(
            "trunk_posture", "deg",
            (Drive("trunk_lean_deg", {"spine_flex": 0.6, "thorax_flex": 0.4}),),
            "rep", "the trunk hunches forward as the arms press out (negative: arches back)", 15,
        ),
        "knees_slight": FaultDef(
            "knees_slight", "deg",
            (Drive("knee_flexion_deg", {"knee_flex_l": 1.0, "knee_flex_r": 1.0, "hip_flex_l": 0.5,
                                        "hip_flex_r": 0.5, "ankle_pf_l": -0.5, "ankle_pf_r": -0.5},
                   mode="absolute"),),
            "hold", "the knees are bent deep, a half squat (value: the more bent knee's flexion)", 50,
        ),
    },
)

#: The half-kneeling chop, the anti-rotation exercise's second form: one knee down, the front
#: foot flat, the arms straight, the hands pulled from above the head down beside the hips and
#: back. The renderer pulls down in the body's own plane, not across it: the chop's diagonal turns
#: the arms in depth, which a side-on camera cannot see, and the checks judge the trunk and the
#: elbows, not the path. Its faults: the press's trunk fault and the straight-arm elbow bend.
ANTI_ROTATION_CHOP = Motion(
    name="anti_rotation_chop",
    exercise="anti_rotation",
    kind="reps",
    long_axis=UP,
    front=(0.0, 0.0, 1.0),
    start={  # left foot forward, right knee down; hands together above the head. The front
        # thigh rises 4 degrees: the shin and foot are longer than the thigh, and at 90 the
        # contact solver tips the trunk back to put the knee and the front foot both down
        "hip_flex_l": 94, "knee_flex_l": 94, "hip_abd_l": 4,
        "hip_flex_r": -5, "knee_flex_r": 90, "ankle_pf_r": 75, "hip_abd_r": 4,
        "shoulder_flex_l": 150, "shoulder_flex_r": 150, "shoulder_abd_l": -10, "shoulder_abd_r": -10,
        "elbow_flex_l": 5, "elbow_flex_r": 5, "wrist_pron_l": -90, "wrist_pron_r": -90,
    },
    # the hands end beside the hips (straight in front, straight arms pass through a heavy
    # belly, and MediaPipe read those elbows as bent 60 degrees)
    peak={"shoulder_flex_l": 10, "shoulder_flex_r": 10, "shoulder_abd_l": 15, "shoulder_abd_r": 15},
    sides="both",
    contacts=(("knee_r", "ankle_r"), ("ankle_l",)),
    anchors=("knee_r", "ankle_l"),
    views=_STANDING_VIEWS,
    camera_height={"side": (0.6, 1.2), "front": (0.7, 1.2), "oblique": (0.7, 1.2)},
    metrics=("trunk_lean_deg", "elbow_flexion_deg", *_ARMS, *_LEGS),
    faults={"arms_straight": _ELBOWS_BEND, "trunk_posture": ANTI_ROTATION.faults["trunk_posture"]},
)

SQUAT_TO_ROW = Motion(
    name="squat_to_row",
    kind="reps",
    long_axis=UP,
    front=(0.0, 0.0, 1.0),
    start={  # standing, arms straight forward holding the band
        "hip_flex_l": 3, "hip_flex_r": 3, "knee_flex_l": 5, "knee_flex_r": 5,
        "ankle_pf_l": -2, "ankle_pf_r": -2, "hip_abd_l": 8, "hip_abd_r": 8,
        "shoulder_flex_l": 85, "shoulder_flex_r": 85, "shoulder_abd_l": -8, "shoulder_abd_r": -8,
        "elbow_flex_l": 5, "elbow_flex_r": 5, "wrist_pron_l": -90, "wrist_pron_r": -90,
    },
    peaks=(
        ("squat", {  # thighs near level, trunk leaning ~40 deg, arms kept forward
            "pelvis_tilt": 40, "hip_flex_l": 118, "hip_flex_r": 118,
            "knee_flex_l": 108, "knee_flex_r": 108, "ankle_pf_l": -30, "ankle_pf_r": -30,
            "shoulder_flex_l": 128, "shoulder_flex_r": 128, "neck_flex": -20,
        }),
        ("row", {  # standing tall, elbows pulled back
            "shoulder_flex_l": -25, "shoulder_flex_r": -25, "shoulder_abd_l": 5, "shoulder_abd_r": 5,
            "elbow_flex_l": 105, "elbow_flex_r": 105,
        }),
    ),
    sides="both",
    contacts=_FEET,
    anchors=("ankle_l", "ankle_r"),
    views=_STANDING_VIEWS,
    camera_height=_STANDING_HEIGHTS,
    metrics=("trunk_lean_deg", "lumbar_flexion_deg", "arm_elevation_deg", "knee_past_toes_cm",
             "upper_arm_forward_deg", *_ARMS, *_LEGS),
    faults={
        "squat_lean": FaultDef(
            "squat_lean", "deg",
            (Drive("trunk_lean_deg", {"pelvis_tilt": 1.0, "hip_flex_l": 1.0, "hip_flex_r": 1.0},
                   mode="absolute"),),
            "rep", "the trunk folds forward at the bottom of the squat (value: its lean from "
            "vertical)", 65, peak="squat",
        ),
        "knees_past_toes": FaultDef(
            "knees_past_toes", "cm",
            # the shins tip forward and the knees bend as much: thighs and trunk keep their angles
            (Drive("knee_past_toes_cm", {"ankle_pf_l": -1.0, "ankle_pf_r": -1.0, "knee_flex_l": 1.0,
                                         "knee_flex_r": 1.0}, mode="absolute"),),
            "rep", "the knees travel forward past the toes at the bottom of the squat (value: how "
            "far past)", 15, peak="squat",
        ),
        "elbows_back": FaultDef(
            "elbows_back", "deg",
            (Drive("upper_arm_forward_deg", {"shoulder_flex_l": 1.0, "shoulder_flex_r": 1.0},
                   mode="absolute"),),
            "rep", "the row stops short, elbows still in front of the trunk (value: the upper "
            "arms' angle in front of the trunk line)", 30, peak="row",
        ),
        "row_upright": FaultDef(
            "row_upright", "deg",
            (Drive("trunk_lean_deg", {"pelvis_tilt": 1.0, "hip_flex_l": 1.0, "hip_flex_r": 1.0},
                   mode="absolute"),),
            "rep", "the trunk leans forward while rowing (value: its lean from vertical)", 25,
            peak="row",
        ),
        "row_lean_back": FaultDef(
            "row_lean_back", "deg",
            (Drive("trunk_lean_deg", {"spine_flex": -0.6, "thorax_flex": -0.4}, sign=-1.0),),
            "rep", "the trunk leans back as the elbows pull back in the row", 15, peak="row",
        ),
    },
)

def engine_view(view: str) -> str:
    """The view formcheck's engine reports for a render view: ``head`` and ``feet`` look along
    the body (``end``); the others keep their names."""
    return "end" if view in ("head", "feet") else view


#: Every motion the renderer can film, by id: one per exercise (its id), and a second form of
#: one (``anti_rotation_chop``; :attr:`Motion.exercise_id` names its exercise).
MOTIONS: dict[str, Motion] = {
    m.name: m
    for m in (PLANK, BIRD_DOG, CLAMSHELL, BRIDGE, SIDE_LEG_LIFT, CAT_COW, DEADLIFT,
              STRAIGHT_ARM_PULLDOWN, OVERHEAD_BALL_RAISE, ANTI_ROTATION, ANTI_ROTATION_CHOP,
              SQUAT_TO_ROW)
}
