"""The rendered body: a joint tree, its degrees of freedom, forward kinematics, the 33 MediaPipe
landmarks and the shapes that make up the visible surface. All of it is data plus a few small
functions; nothing here knows about exercises or OpenGL.

Frames and conventions:

- **Body frame** (every segment at rest, standing): ``x`` to the person's **left**, ``y`` **up**
  (toward the head), ``z`` **forward** (the belly side). Right-handed.
- **World frame**: metres, ``Y`` up, the floor is ``Y = 0``.
- A joint's local rotation is ``Ry(ry) @ Rx(rx) @ Rz(rz)`` in its parent's frame, from named
  anatomical degrees of freedom (``DOFS``) in degrees. Left and right come from one definition:
  a right-side DOF is the left one with its ``ry`` and ``rz`` signs flipped (``mirror_dofs``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Protocol

import numpy as np

from formcheck.landmarks import NUM_LANDMARKS, Landmark

# --------------------------------------------------------------------------------------------
# Body proportions
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BodyParams:
    """Proportions of the rendered person. Lengths in metres for a 1.75 m reference body and
    scaled by ``height_m / 1.75``; ``girth`` scales segment thickness only.

    Attributes:
        height_m: standing height.
        girth: thickness factor for limbs and trunk (1 = average build).
        leg: factor on thigh and shin lengths.
        arm: factor on upper-arm and forearm lengths.
        shoulder_width: factor on the distance between the shoulder joints.
        hip_width: factor on the distance between the hip joints.
    """

    height_m: float = 1.75
    girth: float = 1.0
    leg: float = 1.0
    arm: float = 1.0
    shoulder_width: float = 1.0
    hip_width: float = 1.0

    def __post_init__(self) -> None:
        if not 1.3 <= self.height_m <= 2.2:
            raise ValueError(f"height_m must be in [1.3, 2.2], got {self.height_m}")
        for name in ("girth", "leg", "arm", "shoulder_width", "hip_width"):
            if not 0.7 <= getattr(self, name) <= 1.4:
                raise ValueError(f"{name} must be in [0.7, 1.4], got {getattr(self, name)}")

    @classmethod
    def sample(cls, rng: np.random.Generator) -> BodyParams:
        """Random but plausible proportions."""
        return cls(
            height_m=round(float(rng.uniform(1.55, 1.92)), 3),
            girth=round(float(rng.uniform(0.9, 1.2)), 3),
            leg=round(float(rng.uniform(0.95, 1.05)), 3),
            arm=round(float(rng.uniform(0.95, 1.05)), 3),
            shoulder_width=round(float(rng.uniform(0.92, 1.1)), 3),
            hip_width=round(float(rng.uniform(0.92, 1.12)), 3),
        )

    # The body-model interface (:class:`~formcheck.render.bodies.BodyModel`): these
    # proportions are the mannequin.

    def offsets(self) -> np.ndarray:
        """(J, 3) rest offsets of every joint from its parent (:func:`joint_offsets`)."""
        return joint_offsets(self)

    def surface(self, pose: Pose) -> Surface:
        """The mannequin's shapes in ``pose`` (:func:`body_surface`)."""
        return body_surface(pose, self)

    def landmarks(self, pose: Pose) -> np.ndarray:
        """(33, 3) world landmark positions in ``pose`` (:func:`landmarks_world`)."""
        return landmarks_world(pose, self)

    def describe(self) -> dict[str, float]:
        """The proportions, for the truth file."""
        return {f.name: float(getattr(self, f.name)) for f in fields(self)}


# --------------------------------------------------------------------------------------------
# Joint tree and degrees of freedom
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Joint:
    """One joint: its parent, its rest offset from the parent (reference body, metres) and the
    proportion factor that scales that offset."""

    name: str
    parent: str | None
    offset: tuple[float, float, float]
    scale: str = ""  # BodyParams attribute that scales the offset ("" = height only)


def _sided(name: str, parent: str | None, offset: tuple[float, float, float], scale: str = ""):
    """A left joint and its mirror twin (x negated)."""
    out = []
    for side, sx in (("l", 1.0), ("r", -1.0)):
        par = parent.format(s=side) if parent else None
        out.append(Joint(f"{name}_{side}", par, (sx * offset[0], offset[1], offset[2]), scale))
    return out


#: The joint tree in parent-before-child order. ``pelvis`` sits at the hip-joint midpoint.
JOINTS: tuple[Joint, ...] = (
    Joint("pelvis", None, (0.0, 0.0, 0.0)),
    Joint("lumbar", "pelvis", (0.0, 0.10, 0.0)),
    Joint("thorax", "lumbar", (0.0, 0.15, 0.0)),
    Joint("neck", "thorax", (0.0, 0.30, 0.0)),
    *_sided("shoulder", "thorax", (0.18, 0.25, 0.0), "shoulder_width"),
    *_sided("elbow", "shoulder_{s}", (0.0, -0.29, 0.0), "arm"),
    *_sided("wrist", "elbow_{s}", (0.0, -0.25, 0.0), "arm"),
    *_sided("hip", "pelvis", (0.09, 0.0, 0.0), "hip_width"),
    # femur: same place as the hip, carries the thigh's rotation about its own long axis.
    *_sided("femur", "hip_{s}", (0.0, 0.0, 0.0)),
    *_sided("knee", "femur_{s}", (0.0, -0.43, 0.0), "leg"),
    *_sided("ankle", "knee_{s}", (0.0, -0.42, 0.0), "leg"),
)
JOINT_INDEX: dict[str, int] = {j.name: i for i, j in enumerate(JOINTS)}


@dataclass(frozen=True)
class Dof:
    """A named degree of freedom: which joint it turns, about which local axis, with which sign
    (so that positive is the anatomical direction in the name)."""

    joint: str
    axis: str  # "rx" | "ry" | "rz"
    sign: float


_CENTRAL_DOFS = {
    # positive pelvis_tilt = anterior tilt (top of the pelvis forward).
    "pelvis_tilt": Dof("pelvis", "rx", 1.0),
    # positive pelvis_roll = the left hip moves backward (roll about the body's long axis).
    "pelvis_roll": Dof("pelvis", "ry", 1.0),
    # positive pelvis_hike = the left hip moves up toward the head (frontal-plane list).
    "pelvis_hike": Dof("pelvis", "rz", 1.0),
    "spine_flex": Dof("lumbar", "rx", 1.0),  # + = rounding forward
    "spine_twist": Dof("lumbar", "ry", 1.0),  # + = the trunk's left side moves backward
    "spine_bend": Dof("lumbar", "rz", -1.0),  # + = side-bend to the left
    "thorax_flex": Dof("thorax", "rx", 1.0),
    "thorax_twist": Dof("thorax", "ry", 1.0),
    "thorax_bend": Dof("thorax", "rz", -1.0),
    "neck_flex": Dof("neck", "rx", 1.0),  # + = chin toward chest
    "neck_turn": Dof("neck", "ry", 1.0),  # + = face turns to the person's left
    "neck_tilt": Dof("neck", "rz", -1.0),
}

_LEFT_DOFS = {
    "shoulder_flex": Dof("shoulder_l", "rx", -1.0),  # + = arm forward/up (180 = overhead)
    "shoulder_abd": Dof("shoulder_l", "rz", 1.0),  # + = arm out to the side
    "shoulder_rot": Dof("shoulder_l", "ry", 1.0),
    "elbow_flex": Dof("elbow_l", "rx", -1.0),
    "wrist_ext": Dof("wrist_l", "rx", 1.0),  # + = back of the hand toward the forearm
    "wrist_pron": Dof("wrist_l", "ry", 1.0),  # turn of the hand about the forearm's axis
    "hip_flex": Dof("hip_l", "rx", -1.0),  # + = thigh forward; negative = extension
    "hip_abd": Dof("hip_l", "rz", 1.0),  # + = leg out to the side
    # + = a flexed thigh swings outward about the pelvis's long axis (the clamshell opening).
    "hip_swing": Dof("hip_l", "ry", 1.0),
    # + = the leg turns outward about the line from the hip to the ankle: the knee opens while
    # the ankle stays put (the clamshell).
    "hip_open": Dof("hip_l", "open", 1.0),
    "hip_rot": Dof("femur_l", "ry", -1.0),  # + = internal rotation (a bent knee's foot moves out)
    "knee_flex": Dof("knee_l", "rx", 1.0),
    "ankle_pf": Dof("ankle_l", "rx", 1.0),  # + = plantarflexion (toes pointed)
}


def _build_dofs() -> dict[str, Dof]:
    dofs = dict(_CENTRAL_DOFS)
    for name, d in _LEFT_DOFS.items():
        dofs[f"{name}_l"] = d
        mirrored = -d.sign if d.axis in ("ry", "rz", "open") else d.sign
        dofs[f"{name}_r"] = Dof(d.joint[:-2] + "_r", d.axis, mirrored)
    return dofs


#: Every named degree of freedom, left and right generated from one definition.
DOFS: dict[str, Dof] = _build_dofs()


def resolve_dof_key(key: str) -> tuple[str, float]:
    """``"hip_flex_l"`` -> (``"hip_flex_l"``, 1); ``"pelvis_roll@r"`` -> (``"pelvis_roll"``, -1).

    The ``@side`` suffix gives a central DOF a side: ``pelvis_roll@l`` is a roll that moves the
    left hip backward, ``pelvis_roll@r`` the right hip. Raises ValueError for unknown names.
    """
    sign = 1.0
    if "@" in key:
        key, side = key.split("@", 1)
        if side not in ("l", "r"):
            raise ValueError(f"side suffix must be @l or @r, got @{side}")
        if key not in _CENTRAL_DOFS or DOFS[key].axis == "rx":
            raise ValueError(f"{key} has no side (only central ry/rz DOFs take @l/@r)")
        sign = 1.0 if side == "l" else -1.0
    if key not in DOFS:
        raise ValueError(f"unknown degree of freedom {key!r}")
    return key, sign


def mirror_key(key: str) -> str:
    """The same DOF key on the other side of the body (``hip_flex_l`` <-> ``hip_flex_r``)."""
    if "@" in key:
        base, side = key.split("@", 1)
        return f"{base}@{'r' if side == 'l' else 'l'}"
    if key.endswith("_l"):
        return key[:-2] + "_r"
    if key.endswith("_r"):
        return key[:-2] + "_l"
    return key


def mirror_dofs(dofs: dict[str, float]) -> dict[str, float]:
    """The mirror-image pose: sided keys swap sides; central ry/rz DOFs change sign."""
    out: dict[str, float] = {}
    for key, value in dofs.items():
        if "@" not in key and key in _CENTRAL_DOFS and _CENTRAL_DOFS[key].axis != "rx":
            out[key] = out.get(key, 0.0) - value
        else:
            k = mirror_key(key)
            out[k] = out.get(k, 0.0) + value
    return out


# --------------------------------------------------------------------------------------------
# Rotations and forward kinematics
# --------------------------------------------------------------------------------------------


def rot_x(deg: float) -> np.ndarray:
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def rot_y(deg: float) -> np.ndarray:
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def rot_z(deg: float) -> np.ndarray:
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def rot_axis(axis: np.ndarray, deg: float) -> np.ndarray:
    """Rotation by ``deg`` about the unit vector ``axis`` (Rodrigues)."""
    a = np.asarray(axis, dtype=float)
    a = a / np.linalg.norm(a)
    k = np.array([[0.0, -a[2], a[1]], [a[2], 0.0, -a[0]], [-a[1], a[0], 0.0]])
    t = np.radians(deg)
    return np.eye(3) + np.sin(t) * k + (1.0 - np.cos(t)) * (k @ k)


@dataclass
class Pose:
    """A posed body: world rotation (3, 3) and origin (3,) of every joint frame, by joint index."""

    rot: np.ndarray  # (J, 3, 3) columns = the joint frame's x, y, z axes in world coordinates
    pos: np.ndarray  # (J, 3) world metres
    root_rot: np.ndarray = field(default_factory=lambda: np.eye(3))  # the body frame in world

    def frame(self, joint: str) -> tuple[np.ndarray, np.ndarray]:
        i = JOINT_INDEX[joint]
        return self.rot[i], self.pos[i]

    def point(self, joint: str, local: tuple[float, float, float] = (0.0, 0.0, 0.0)) -> np.ndarray:
        """World position of a point given in a joint's local frame (metres)."""
        r, p = self.frame(joint)
        return p + r @ np.asarray(local, dtype=float)


def joint_offsets(body: BodyParams) -> np.ndarray:
    """(J, 3) rest offsets of every joint from its parent, scaled to ``body``."""
    s = body.height_m / 1.75
    out = np.zeros((len(JOINTS), 3))
    for i, j in enumerate(JOINTS):
        f = getattr(body, j.scale) if j.scale else 1.0
        out[i] = np.asarray(j.offset) * s * f
    return out


def local_rotations(dofs: dict[str, float]) -> np.ndarray:
    """(J, 3, 3) local joint rotations from a dict of DOF values in degrees (missing = 0)."""
    angles = np.zeros((len(JOINTS), 3))  # rx, ry, rz per joint
    axis_index = {"rx": 0, "ry": 1, "rz": 2}
    for key, value in dofs.items():
        name, side_sign = resolve_dof_key(key)
        d = DOFS[name]
        if d.axis in axis_index:
            angles[JOINT_INDEX[d.joint], axis_index[d.axis]] += d.sign * side_sign * value
    return np.stack([rot_y(ry) @ rot_x(rx) @ rot_z(rz) for rx, ry, rz in angles])


class Jointed(Protocol):
    """What forward kinematics needs of a body model (:class:`~.bodies.BodyModel`)."""

    def offsets(self) -> np.ndarray:
        """(J, 3) rest offsets of every joint from its parent, metres, body frame."""


def forward_kinematics(
    dofs: dict[str, float], body: Jointed, root_rot: np.ndarray, root_pos: np.ndarray
) -> Pose:
    """World frames of every joint of ``body`` (its skeleton: ``body.offsets()``). ``root_rot``
    (3, 3) maps body-frame vectors to world; ``root_pos`` (3,) is the world position of the
    pelvis (hip-joint midpoint)."""
    local = local_rotations(dofs)
    offsets = body.offsets()
    for side in ("l", "r"):
        value = dofs.get(f"hip_open_{side}", 0.0)
        if value:
            hip, fem, knee, ank = (JOINT_INDEX[f"{j}_{side}"] for j in ("hip", "femur", "knee", "ankle"))
            chain = local[hip] @ (offsets[fem] + local[fem] @ (offsets[knee] + local[knee] @ offsets[ank]))
            sign = -DOFS[f"hip_open_{side}"].sign  # the hip->ankle line points down (-y)
            local[hip] = rot_axis(chain, sign * value) @ local[hip]
    rot = np.zeros((len(JOINTS), 3, 3))
    pos = np.zeros((len(JOINTS), 3))
    for i, j in enumerate(JOINTS):
        if j.parent is None:
            rot[i] = root_rot @ local[i]
            pos[i] = np.asarray(root_pos, dtype=float)
        else:
            p = JOINT_INDEX[j.parent]
            rot[i] = rot[p] @ local[i]
            pos[i] = pos[p] + rot[p] @ offsets[i]
    return Pose(rot=rot, pos=pos, root_rot=np.asarray(root_rot, dtype=float))


# --------------------------------------------------------------------------------------------
# Landmarks: where MediaPipe's 33 points sit on this body
# --------------------------------------------------------------------------------------------

#: Head centre in the neck frame, and the head's half-extents (x, y, z), reference body.
HEAD_CENTER = (0.0, 0.12, 0.02)
HEAD_RADII = (0.075, 0.11, 0.095)


def _head(local: tuple[float, float, float]) -> tuple[str, tuple[float, float, float]]:
    return "neck", (HEAD_CENTER[0] + local[0], HEAD_CENTER[1] + local[1], HEAD_CENTER[2] + local[2])


_FACE_LEFT = {  # left-side face points relative to the head centre (x = person's left)
    "eye_inner": (0.016, 0.028, 0.086),
    "eye": (0.033, 0.030, 0.081),
    "eye_outer": (0.049, 0.028, 0.070),
    "ear": (0.075, 0.005, -0.005),
    "mouth": (0.024, -0.048, 0.082),
}
_HAND_LEFT = {  # in the wrist frame; arm hanging, palm forward (anatomical position)
    "pinky": (-0.03, -0.085, 0.0),
    "index": (0.025, -0.095, 0.0),
    "thumb": (0.045, -0.055, 0.012),
}
_FOOT = {"heel": (0.0, -0.055, -0.06), "foot_index": (0.0, -0.065, 0.175)}  # in the ankle frame


def _landmark_sites() -> list[tuple[str, tuple[float, float, float], str]]:
    """For each landmark in MediaPipe order: (joint frame, local offset, size-scale kind)."""
    sites: list[tuple[str, tuple[float, float, float], str]] = []
    for lm in Landmark:
        name = lm.name.lower()
        if name == "nose":
            sites.append((*_head((0.0, -0.005, 0.108)), "head"))
            continue
        if name.startswith("mouth_"):  # MediaPipe names these MOUTH_LEFT / MOUTH_RIGHT
            name = f"{name.split('_')[1]}_mouth"
        side, part = name.split("_", 1)
        s, sx = side[0], (1.0 if side == "left" else -1.0)
        if part in _FACE_LEFT:
            x, y, z = _FACE_LEFT[part]
            sites.append((*_head((sx * x, y, z)), "head"))
        elif part in _HAND_LEFT:
            x, y, z = _HAND_LEFT[part]
            sites.append((f"wrist_{s}", (sx * x, y, z), "limb"))
        elif part in _FOOT:
            sites.append((f"ankle_{s}", _FOOT[part], "limb"))
        else:  # shoulder, elbow, wrist, hip, knee, ankle: the joint centre
            sites.append((f"{part}_{s}", (0.0, 0.0, 0.0), "limb"))
    return sites


LANDMARK_SITES = _landmark_sites()
assert len(LANDMARK_SITES) == NUM_LANDMARKS


def landmarks_world(pose: Pose, body: BodyParams) -> np.ndarray:
    """(33, 3) world positions of MediaPipe's landmarks on the posed body (metres, Y up)."""
    s = body.height_m / 1.75
    out = np.zeros((NUM_LANDMARKS, 3))
    for i, (joint, local, _) in enumerate(LANDMARK_SITES):
        out[i] = pose.point(joint, tuple(s * np.asarray(local)))
    return out


# --------------------------------------------------------------------------------------------
# Surface shapes (what gets rendered)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ellipsoid:
    """An ellipsoid fixed in a joint frame: centre and half-extents in that frame (reference
    body metres; half-extents also scale with girth when ``girth`` is True)."""

    joint: str
    center: tuple[float, float, float]
    radii: tuple[float, float, float]
    material: str
    girth: bool = True
    tilt_x: float = 0.0  # extra rotation about the frame's x axis, degrees


@dataclass(frozen=True)
class Capsule:
    """A tapered capsule between two points given as (joint, local offset); radii scale with
    girth."""

    a: tuple[str, tuple[float, float, float]]
    b: tuple[str, tuple[float, float, float]]
    ra: float
    rb: float
    material: str


def _sided_shapes() -> list[Ellipsoid | Capsule]:
    shapes: list[Ellipsoid | Capsule] = []
    for s, sx in (("l", 1.0), ("r", -1.0)):
        o = (0.0, 0.0, 0.0)
        shapes += [
            Capsule((f"shoulder_{s}", o), (f"elbow_{s}", o), 0.050, 0.040, "shirt"),
            Capsule((f"elbow_{s}", o), (f"wrist_{s}", o), 0.038, 0.028, "skin"),
            Ellipsoid(f"wrist_{s}", (0.0, -0.06, -0.004), (0.044, 0.058, 0.02), "skin", False),
            Ellipsoid(f"wrist_{s}", (sx * 0.042, -0.045, 0.01), (0.012, 0.028, 0.012), "skin", False),
            Capsule((f"hip_{s}", (sx * 0.02, 0.0, 0.0)), (f"knee_{s}", o), 0.085, 0.052, "pants"),
            Capsule((f"knee_{s}", o), (f"ankle_{s}", o), 0.052, 0.036, "pants"),
            Ellipsoid(f"ankle_{s}", (0.0, -0.045, 0.055), (0.045, 0.038, 0.13), "shoes", False),
            Ellipsoid("neck", (sx * 0.075, HEAD_CENTER[1], HEAD_CENTER[2] - 0.005),
                      (0.014, 0.030, 0.020), "skin", False),
        ]
        # face: eye whites, irises, brows
        ex, ey, ez = _FACE_LEFT["eye"]
        c = HEAD_CENTER
        shapes += [
            Ellipsoid("neck", (c[0] + sx * ex, c[1] + ey, c[2] + ez - 0.004),
                      (0.016, 0.009, 0.008), "eye_white", False),
            Ellipsoid("neck", (c[0] + sx * ex, c[1] + ey, c[2] + ez + 0.0015),
                      (0.0075, 0.0075, 0.006), "eye_dark", False),
            Ellipsoid("neck", (c[0] + sx * ex, c[1] + ey + 0.02, c[2] + ez - 0.004),
                      (0.019, 0.004, 0.008), "hair", False, tilt_x=-10.0),
        ]
    return shapes


_O = (0.0, 0.0, 0.0)

#: The body surface: trunk, head with a face, limbs, hands and shoes.
BODY_SHAPES: tuple[Ellipsoid | Capsule, ...] = (
    Ellipsoid("pelvis", (0.0, 0.03, -0.01), (0.165, 0.115, 0.11), "pants"),
    Ellipsoid("lumbar", (0.0, 0.07, 0.0), (0.15, 0.16, 0.10), "shirt"),
    Ellipsoid("thorax", (0.0, 0.15, 0.0), (0.165, 0.18, 0.11), "shirt"),
    Capsule(("shoulder_l", _O), ("shoulder_r", _O), 0.058, 0.058, "shirt"),
    Capsule(("thorax", (0.0, 0.24, 0.0)), ("neck", (0.0, 0.09, 0.01)), 0.052, 0.048, "skin"),
    Ellipsoid("neck", HEAD_CENTER, HEAD_RADII, "skin", False),
    # hair: a cap over the top and back of the head
    Ellipsoid("neck", (0.0, HEAD_CENTER[1] + 0.022, HEAD_CENTER[2] - 0.018),
              (0.079, 0.10, 0.092), "hair", False),
    # nose and mouth
    Ellipsoid("neck", (0.0, HEAD_CENTER[1] - 0.002, HEAD_CENTER[2] + 0.092),
              (0.013, 0.028, 0.018), "skin", False, tilt_x=-15.0),
    Ellipsoid("neck", (0.0, HEAD_CENTER[1] - 0.048, HEAD_CENTER[2] + 0.081),
              (0.026, 0.006, 0.01), "lips", False),
    *_sided_shapes(),
)


def _sphere(n_lat: int = 10, n_lon: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """Unit sphere: (V, 3) vertices (= normals) and (F, 3) triangle indices."""
    lat = np.linspace(0, np.pi, n_lat + 1)
    lon = np.linspace(0, 2 * np.pi, n_lon + 1)
    la, lo = np.meshgrid(lat, lon, indexing="ij")
    v = np.stack([np.sin(la) * np.cos(lo), np.cos(la), np.sin(la) * np.sin(lo)], -1).reshape(-1, 3)
    faces = []
    w = n_lon + 1
    for i in range(n_lat):
        for j in range(n_lon):
            a, b, c, d = i * w + j, i * w + j + 1, (i + 1) * w + j, (i + 1) * w + j + 1
            faces += [(a, c, b), (b, c, d)]
    return v, np.array(faces)


def _tube(n: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """Open unit tube: (V, 3) rows (cos, sin, t) with t in {0, 1}, and triangle indices."""
    ang = np.linspace(0, 2 * np.pi, n + 1)
    v = np.concatenate([np.stack([np.cos(ang), np.sin(ang), np.full_like(ang, t)], -1) for t in (0.0, 1.0)])
    faces = []
    for j in range(n):
        a, b, c, d = j, j + 1, n + 1 + j, n + 2 + j
        faces += [(a, b, c), (b, d, c)]
    return v, np.array(faces)


_SPHERE_V, _SPHERE_F = _sphere()
_TUBE_V, _TUBE_F = _tube()


@dataclass
class Surface:
    """World-space body surface as arrays, ready to draw or to rest on the floor.

    Attributes:
        ell_center: (E, 3) ellipsoid centres.
        ell_axes: (E, 3, 3) columns are the ellipsoids' scaled half-axes.
        ell_owner: (E,) joint index each ellipsoid hangs on.
        cap_ends: (C, 2, 3) capsule end points.
        cap_radii: (C, 2) capsule end radii.
        cap_owner: (C,) joint index of each capsule's first end.
        ell_material, cap_material: material names.
    """

    ell_center: np.ndarray
    ell_axes: np.ndarray
    ell_owner: np.ndarray
    ell_material: list[str]
    cap_ends: np.ndarray
    cap_radii: np.ndarray
    cap_owner: np.ndarray
    cap_material: list[str]

    def moved(self, rot: np.ndarray, shift: np.ndarray) -> Surface:
        """The surface after ``p -> rot @ p + shift``."""
        return Surface(
            ell_center=self.ell_center @ rot.T + shift,
            ell_axes=np.einsum("ij,ejk->eik", rot, self.ell_axes),
            ell_owner=self.ell_owner,
            ell_material=self.ell_material,
            cap_ends=self.cap_ends @ rot.T + shift,
            cap_radii=self.cap_radii,
            cap_owner=self.cap_owner,
            cap_material=self.cap_material,
        )

    def masks(self, joints: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """Boolean selections of the ellipsoids and capsules hanging on ``joints``."""
        return np.isin(self.ell_owner, joints), np.isin(self.cap_owner, joints)

    def lowest(
        self, rot: np.ndarray, select: tuple[np.ndarray, np.ndarray] | None = None
    ) -> float:
        """Lowest world height (Y) of the surface after rotating it by ``rot`` (about the origin),
        over the shapes picked by ``select`` (from :meth:`masks`; all shapes when None)."""
        up = rot.T @ np.array([0.0, 1.0, 0.0])  # world up in the unrotated frame
        ell = self.ell_center @ up - np.linalg.norm(np.einsum("eij,i->ej", self.ell_axes, up), axis=1)
        cap = (self.cap_ends @ up - self.cap_radii).min(axis=1)
        if select is not None:
            ell, cap = ell[select[0]], cap[select[1]]
        values = np.concatenate([ell, cap])
        return float(values.min()) if values.size else float("nan")

    def center(self) -> np.ndarray:
        """(3,) mean of the ellipsoid centres (where the floor shadow is centred)."""
        return self.ell_center.mean(axis=0)

    def triangles(self, colors: dict[str, tuple[float, float, float]]) -> np.ndarray:
        """Triangle soup of the body: (N, 9) float32 rows of position, normal, colour."""
        parts = []
        # ellipsoids, plus spheres at capsule ends
        centers = [self.ell_center]
        axes = [self.ell_axes]
        mats = list(self.ell_material)
        ends = self.cap_ends.reshape(-1, 3)
        radii = self.cap_radii.reshape(-1)
        centers.append(ends)
        axes.append(np.eye(3)[None] * radii[:, None, None])
        mats += [m for m in self.cap_material for _ in (0, 1)]
        c = np.concatenate(centers)
        a = np.concatenate(axes)
        col = np.array([colors[m] for m in mats])
        pos = c[:, None, :] + np.einsum("eij,vj->evi", a, _SPHERE_V)
        inv_t = np.linalg.inv(a).transpose(0, 2, 1)
        nrm = np.einsum("eij,vj->evi", inv_t, _SPHERE_V)
        nrm /= np.linalg.norm(nrm, axis=-1, keepdims=True)
        tri = _SPHERE_F.reshape(-1)
        parts.append(
            np.concatenate(
                [pos[:, tri], nrm[:, tri], np.repeat(col[:, None, :], len(tri), axis=1)], axis=-1
            ).reshape(-1, 9)
        )
        # capsule tubes (tapered)
        p0, p1 = self.cap_ends[:, 0], self.cap_ends[:, 1]
        axis = p1 - p0
        length = np.linalg.norm(axis, axis=1, keepdims=True)
        d = axis / np.maximum(length, 1e-9)
        helper = np.where(np.abs(d[:, 1:2]) < 0.9, np.array([[0.0, 1.0, 0.0]]), np.array([[1.0, 0.0, 0.0]]))
        u = np.cross(d, helper)
        u /= np.linalg.norm(u, axis=1, keepdims=True)
        v = np.cross(d, u)
        cs, sn, t = _TUBE_V[:, 0], _TUBE_V[:, 1], _TUBE_V[:, 2]
        r = self.cap_radii[:, :1] + (self.cap_radii[:, 1:] - self.cap_radii[:, :1]) * t[None]
        ring = cs[None, :, None] * u[:, None, :] + sn[None, :, None] * v[:, None, :]
        tpos = p0[:, None] + t[None, :, None] * axis[:, None] + r[..., None] * ring
        slope = (self.cap_radii[:, 0] - self.cap_radii[:, 1]) / np.maximum(length[:, 0], 1e-9)
        tn = ring + slope[:, None, None] * d[:, None, :]
        tn /= np.linalg.norm(tn, axis=-1, keepdims=True)
        tcol = np.array([colors[m] for m in self.cap_material])
        tri = _TUBE_F.reshape(-1)
        parts.append(
            np.concatenate(
                [tpos[:, tri], tn[:, tri], np.repeat(tcol[:, None, :], len(tri), axis=1)], axis=-1
            ).reshape(-1, 9)
        )
        return np.concatenate(parts).astype("f4")


def body_surface(pose: Pose, body: BodyParams) -> Surface:
    """The ``BODY_SHAPES`` of ``body`` in ``pose``, as world-space arrays."""
    s = body.height_m / 1.75
    g = body.girth
    ec, ea, eo, em, ce, cr, co, cm = [], [], [], [], [], [], [], []
    for shape in BODY_SHAPES:
        if isinstance(shape, Ellipsoid):
            r, _ = pose.frame(shape.joint)
            ec.append(pose.point(shape.joint, tuple(s * np.asarray(shape.center))))
            radii = np.asarray(shape.radii) * s * (g if shape.girth else 1.0)
            rr = r @ rot_x(shape.tilt_x) if shape.tilt_x else r
            ea.append(rr * radii[None, :])
            eo.append(JOINT_INDEX[shape.joint])
            em.append(shape.material)
        else:
            ce.append(
                [
                    pose.point(shape.a[0], tuple(s * np.asarray(shape.a[1]))),
                    pose.point(shape.b[0], tuple(s * np.asarray(shape.b[1]))),
                ]
            )
            cr.append([shape.ra * s * g, shape.rb * s * g])
            co.append(JOINT_INDEX[shape.a[0]])
            cm.append(shape.material)
    return Surface(
        np.array(ec), np.array(ea), np.array(eo), em, np.array(ce), np.array(cr), np.array(co), cm
    )
