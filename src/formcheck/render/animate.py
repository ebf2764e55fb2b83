"""Turns a :class:`~formcheck.render.motions.Motion` into a posed body at any time ``t``: the rep
timeline, the faults (solved so each truth metric moves by exactly the fault's value), natural
sway, and placing the body on the floor (pitch solved so every contact group touches it)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .bodies import BodyModel, BodySurface
from .motions import FaultDef, Motion
from .skeleton import JOINT_INDEX, Pose, forward_kinematics, mirror_dofs, rot_axis, rot_y
from .truth import MeasureContext, body_vectors, measure_angles

#: Fractions of a rep slot: rise to the peak, pause at the top, return, rest.
REP_FRACTIONS = {"rise": 0.3, "top": 0.2, "lower": 0.3, "rest": 0.2}
HOLD_RAMP_S = 0.3


@dataclass(frozen=True)
class Segment:
    """Going to one peak pose and back: start, top start, top end, end (seconds)."""

    start: float
    top_start: float
    top_end: float
    end: float

    @property
    def peak(self) -> float:
        return (self.top_start + self.top_end) / 2.0


@dataclass(frozen=True)
class RepTiming:
    """One rep's times in seconds. ``side``: ``l``, ``r`` or ``both``. A rep visits each of the
    motion's peak poses in turn (one segment each; most exercises have one)."""

    index: int
    side: str
    segments: tuple[Segment, ...]

    @property
    def start(self) -> float:
        return self.segments[0].start

    @property
    def end(self) -> float:
        return self.segments[-1].end

    @property
    def peak(self) -> float:
        """Middle of the first peak's pause."""
        return self.segments[0].peak


def seconds_for_lift(lift_s: float, reps: int, n_peaks: int = 1) -> float:
    """Clip length whose ``reps`` reps each lift (start pose to the top) in ``lift_s`` seconds
    under :func:`schedule`: a rep's slot holds every peak pose's move (rise, top, lower) and a
    rest; the lead-in is 8 % of the clip, at most 0.5 s."""
    f = REP_FRACTIONS
    slot = lift_s / f["rise"] * (f["rise"] + f["top"] + f["lower"]) / (1 - f["rest"]) * n_peaks
    seconds = reps * slot / (1 - 2 * 0.08)
    return seconds if 0.08 * seconds <= 0.5 else reps * slot + 1.0


def schedule(
    seconds: float, reps: int, sides: str, first_side: str, n_peaks: int = 1
) -> list[RepTiming]:
    """Evenly spaced reps after a short lead-in; each rep's slot is split by REP_FRACTIONS (the
    moving part shared equally between the peak poses)."""
    if reps < 1:
        raise ValueError(f"reps must be >= 1, got {reps}")
    lead = min(0.5, 0.08 * seconds)
    slot = (seconds - 2 * lead) / reps
    if slot < 1.0 * n_peaks:
        raise ValueError(f"{reps} reps do not fit in {seconds} s (need >= {n_peaks} s per rep)")
    f = REP_FRACTIONS
    part = slot * (1.0 - f["rest"]) / n_peaks
    scale = part / (f["rise"] + f["top"] + f["lower"])
    out = []
    for i in range(reps):
        if sides == "alternate":
            side = first_side if i % 2 == 0 else ("r" if first_side == "l" else "l")
        elif sides == "one":
            side = first_side
        else:
            side = "both"
        segs = []
        for k in range(n_peaks):
            t0 = lead + i * slot + k * part
            a = t0 + f["rise"] * scale
            b = a + f["top"] * scale
            segs.append(Segment(t0, a, b, t0 + part))
        out.append(RepTiming(i, side, tuple(segs)))
    return out


def _smooth(x: float) -> float:
    x = min(max(x, 0.0), 1.0)
    return x * x * (3.0 - 2.0 * x)


def resolve(template: dict[str, float], side: str) -> dict[str, float]:
    """Fill ``{s}`` / ``{o}`` in DOF keys for a working side (``both`` needs no template)."""
    if side == "both":
        if any("{" in k for k in template):
            raise ValueError("a bilateral motion cannot use {s}/{o} templates")
        return dict(template)
    other = "r" if side == "l" else "l"
    return {k.format(s=side, o=other): v for k, v in template.items()}


@dataclass(frozen=True)
class AppliedFault:
    """A fault as requested: definition, value, and span in seconds (None = whole clip)."""

    fault: FaultDef
    value: float
    span: tuple[float, float] | None = None


@dataclass
class FrameState:
    """Where in the motion one instant falls."""

    phase: str
    rep: RepTiming | None
    progress: float  # 0 = start pose, 1 = peak pose
    side: str  # working side for templates and metrics (l/r)
    fault_levels: dict[str, float] = field(default_factory=dict)
    peak_index: int = 0  # which peak pose the rep is going to or from


@dataclass
class Placed:
    """A body posed and placed in the world."""

    pose: Pose
    surface: BodySurface
    landmarks: np.ndarray  # (33, 3) world, Y up


class Animator:
    """The posed body of one clip at any time.

    Args:
        motion: the exercise.
        body: the body model (the mannequin's :class:`~.skeleton.BodyParams`, a MakeHuman body).
        working_side: ``l`` / ``r``: the working side for one-sided motions, the first rep's
            side for alternating ones.
        seconds, reps: clip length and rep count (reps ignored for holds).
        faults: faults to apply.
        rng: source of the sway's phases and frequencies.
    """

    def __init__(
        self,
        motion: Motion,
        body: BodyModel,
        working_side: str,
        seconds: float,
        reps: int,
        faults: list[AppliedFault],
        rng: np.random.Generator,
    ) -> None:
        if working_side not in ("l", "r"):
            raise ValueError(f"working_side must be 'l' or 'r', got {working_side!r}")
        self.motion, self.body, self.seconds = motion, body, seconds
        self.working_side = working_side
        self.mirror = motion.sides == "one" and working_side == "r"
        self.faults = faults
        for f in faults:
            if f.fault.check_id not in motion.faults:
                raise ValueError(f"{motion.name} has no fault {f.fault.check_id!r}")
        self.reps = (
            []
            if motion.kind == "hold"
            else schedule(seconds, reps, motion.sides, working_side, len(motion.keyframes()))
        )
        self.start = self._mirrored(motion.start)
        long_axis, front = np.array(motion.long_axis), np.array(motion.front)
        if self.mirror:
            long_axis, front = long_axis * [1, 1, -1], front * [1, 1, -1]
        self.base_rot = np.stack([np.cross(long_axis, front), long_axis, front], axis=1)
        # sway: a few slow sines with random phases
        self._sway = {
            key: (amp * motion.sway, rng.uniform(0.12, 0.35), rng.uniform(0, 2 * np.pi))
            for key, amp in (("yaw", 0.5), ("dx", 0.005), ("dz", 0.005), ("neck_flex", 2.0),
                             ("neck_turn", 2.5), ("neck_tilt", 1.5))
        }
        self._anchor_targets: dict[int, np.ndarray] = {}  # empty while finding them
        self._anchor_targets = self._find_anchor_targets()
        self._scales: dict[tuple[str, int, str], float] = {}
        self._refs: dict[int, MeasureContext] = {}

    # ---------------------------------------------------------------- timeline and faults

    def _mirrored(self, dofs: dict[str, float]) -> dict[str, float]:
        return mirror_dofs(dofs) if self.mirror else dict(dofs)

    def state(self, t: float) -> FrameState:
        """Phase, rep, progress and fault levels at time ``t`` seconds."""
        if self.motion.kind == "hold":
            st = FrameState("hold", None, 0.0, self.working_side)
        else:
            st = FrameState("rest", None, 0.0, self.reps[0].side)
            for rep in self.reps:
                if t < rep.start:
                    break
                st.side = rep.side
                if t <= rep.end:
                    st.rep = rep
                    k, seg = next((k, g) for k, g in enumerate(rep.segments) if t <= g.end)
                    st.peak_index = k
                    if t < seg.top_start:
                        st.phase, st.progress = "rise", _smooth((t - seg.start) / (seg.top_start - seg.start))
                    elif t <= seg.top_end:
                        st.phase, st.progress = "top", 1.0
                    else:
                        st.phase, st.progress = "lower", 1.0 - _smooth((t - seg.top_end) / (seg.end - seg.top_end))
                    break
            if st.side == "both":
                st.side = "l"
        for f in self.faults:
            st.fault_levels[f.fault.check_id] = f.value * self._envelope(f, t, st)
        return st

    def span(self, f: AppliedFault) -> tuple[float, float]:
        """The fault's time span in seconds (the whole clip when not limited)."""
        return f.span if f.span is not None else (0.0, self.seconds)

    def _envelope(self, f: AppliedFault, t: float, st: FrameState) -> float:
        a, b = self.span(f)
        if f.fault.envelope == "rep":
            if st.rep is None or not a <= st.rep.peak <= b:
                return 0.0
            if f.fault.peak is not None and self.motion.keyframes()[st.peak_index][0] != f.fault.peak:
                return 0.0
            return st.progress
        if f.span is None:
            return 1.0
        ramp = min(HOLD_RAMP_S, (b - a) / 4)
        if t < a or t > b:
            return 0.0
        return _smooth(min((t - a) / ramp, (b - t) / ramp, 1.0)) if ramp > 0 else 1.0

    def ramp_s(self, f: AppliedFault) -> float:
        if f.fault.envelope == "rep" or f.span is None:
            return 0.0
        a, b = f.span
        return min(HOLD_RAMP_S, (b - a) / 4)

    def rep_faults(self, rep: RepTiming) -> list[str]:
        """Faults that reach full size in ``rep``."""
        out = []
        for f in self.faults:
            a, b = self.span(f)
            if a <= rep.peak <= b:
                out.append(f.fault.check_id)
        return out

    # ---------------------------------------------------------------- poses

    def _pose_dofs(self, side: str, progress: float, peak_index: int = 0) -> dict[str, float]:
        dofs = dict(self.start)
        if progress > 0 and self.motion.kind == "reps":
            peak = resolve(self.motion.keyframes()[peak_index][1], side)
            for k, v in peak.items():
                s0 = dofs.get(k, 0.0)
                dofs[k] = s0 + progress * (v - s0)
        return dofs

    def _fault_dofs(self, f: AppliedFault, side: str, level: float) -> dict[str, float]:
        out: dict[str, float] = {}
        if level == 0:
            return out
        for i, drive in enumerate(f.fault.drives):
            k = self._scale(f, i, side) * level / f.value
            for key, w in resolve(drive.dofs, side if self.motion.sides != "both" else "both").items():
                out[key] = out.get(key, 0.0) + w * k
        return out

    def _scale(self, f: AppliedFault, drive_index: int, side: str) -> float:
        """Drive amount that makes the drive's metric reach the fault value at full size."""
        key = (f.fault.check_id, drive_index, side, f.value)
        if key in self._scales:
            return self._scales[key]
        drive = f.fault.drives[drive_index]
        progress = 1.0 if f.fault.envelope == "rep" else 0.0
        names = [name for name, _ in self.motion.keyframes()]
        base = self._pose_dofs(side, progress, names.index(f.fault.peak) if f.fault.peak else 0)
        dside = side if self.motion.sides != "both" else "both"
        ctx = self._context_for(side, None)
        metric_names = (drive.metric,)

        def metric(k: float) -> float:
            dofs = dict(base)
            for kk, w in resolve(drive.dofs, dside).items():
                dofs[kk] = dofs.get(kk, 0.0) + w * k
            placed = self.place(dofs, 0.0, sway=False)
            return measure_angles(metric_names, placed.pose, placed.landmarks, ctx)[drive.metric]

        target = drive.sign * f.value
        if drive.mode == "delta":
            target += metric(0.0)
        k0, k1 = 0.0, f.value
        m0, m1 = metric(k0), metric(k1)
        for _ in range(20):
            if abs(m1 - target) < 1e-4 or m1 == m0:
                break
            k0, k1, m0 = k1, k1 + (target - m1) * (k1 - k0) / (m1 - m0), m1
            m1 = metric(k1)
        if abs(m1 - target) > 0.05:
            raise ValueError(
                f"cannot produce {f.fault.check_id}={f.value} on {self.motion.name} "
                f"({drive.metric} reaches {m1:.2f}, wanted {target:.2f})"
            )
        self._scales[key] = k1
        return k1

    def dofs_at(self, t: float, st: FrameState | None = None, sway: bool = True) -> dict[str, float]:
        st = st or self.state(t)
        dofs = self._pose_dofs(st.side, st.progress, st.peak_index)
        for f in self.faults:
            level = st.fault_levels.get(f.fault.check_id, 0.0)
            for k, v in self._fault_dofs(f, st.side, level).items():
                dofs[k] = dofs.get(k, 0.0) + v
        if sway:
            for key in ("neck_flex", "neck_turn", "neck_tilt"):
                dofs[key] = dofs.get(key, 0.0) + self._sine(key, t)
        return dofs

    def _sine(self, key: str, t: float) -> float:
        amp, freq, phase = self._sway[key]
        # a mirrored body sways as the mirror image
        sign = -1.0 if self.mirror and key in ("yaw", "dz", "neck_turn", "neck_tilt") else 1.0
        return sign * amp * np.sin(2 * np.pi * freq * t + phase)

    # ---------------------------------------------------------------- placing on the floor

    def _solve_pitch(self, surface: BodySurface) -> np.ndarray:
        """Rotation about the body's lateral axis that puts every contact group on the floor."""
        axis = self.base_rot[:, 0]
        groups = [surface.masks([JOINT_INDEX[j] for j in g]) for g in self.motion.contacts]
        if len(groups) < 2:
            return np.eye(3)

        def f(p: float) -> float:
            q = rot_axis(axis, p)
            return surface.lowest(q, groups[0]) - surface.lowest(q, groups[1])

        grid = np.arange(-40.0, 40.01, 5.0)
        values = np.array([f(p) for p in grid])
        best = None
        for i in range(len(grid) - 1):
            if values[i] == 0 or values[i] * values[i + 1] < 0:
                mid = abs(grid[i] + grid[i + 1]) / 2
                if best is None or mid < abs(best[0] + best[1]) / 2:
                    best = (grid[i], grid[i + 1])
        if best is None:
            return rot_axis(axis, float(grid[np.argmin(np.abs(values))]))
        lo, hi = best
        flo = f(lo)
        for _ in range(24):
            mid = (lo + hi) / 2
            fm = f(mid)
            if flo * fm <= 0:
                hi = mid
            else:
                lo, flo = mid, fm
        return rot_axis(axis, (lo + hi) / 2)

    def place(self, dofs: dict[str, float], t: float, sway: bool = True) -> Placed:
        """Pose ``dofs``, solve the pitch, rest it on the floor and keep the anchors still."""
        pose0 = forward_kinematics(dofs, self.body, self.base_rot, np.zeros(3))
        surf0 = self.body.surface(pose0)
        q = self._solve_pitch(surf0)
        if sway:
            q = rot_y(self._sine("yaw", t)) @ q
        shift = np.zeros(3)
        shift[1] = -surf0.lowest(q)
        pose = _moved(pose0, q, shift)
        surf = surf0.moved(q, shift)
        if self._anchor_targets:
            touching = [
                j for j in self._anchor_targets if surf.lowest(np.eye(3), surf.masks([j])) < 0.02
            ]
            if touching:
                d = np.mean([self._anchor_targets[j] - pose.pos[j] for j in touching], axis=0)
                shift = np.array([d[0], 0.0, d[2]])
                pose, surf = _moved(pose, np.eye(3), shift), surf.moved(np.eye(3), shift)
        if sway:
            extra = np.array([self._sine("dx", t), 0.0, self._sine("dz", t)])
            pose, surf = _moved(pose, np.eye(3), extra), surf.moved(np.eye(3), extra)
        return Placed(pose, surf, self.body.landmarks(pose))

    def _find_anchor_targets(self) -> dict[int, np.ndarray]:
        placed = self.place(dict(self.start), 0.0, sway=False)
        # centre the start pose's hip midpoint on the world origin
        offset = -placed.pose.pos[JOINT_INDEX["pelvis"]] * np.array([1.0, 0.0, 1.0])
        return {JOINT_INDEX[j]: placed.pose.pos[JOINT_INDEX[j]] + offset for j in self.motion.anchors}

    # ---------------------------------------------------------------- truth

    def _context_for(self, side: str, rep: RepTiming | None) -> MeasureContext:
        key = -1 if rep is None else rep.index
        if (key, side) in self._refs:
            return self._refs[(key, side)]
        if rep is None:
            placed = self.place(self._pose_dofs(side, 0.0), 0.0, sway=False)
        else:
            placed = self.place(self.dofs_at(rep.start), rep.start)
        hip, sho, gap = body_vectors(placed.pose, placed.landmarks)
        ctx = MeasureContext(side=side, ref_hip_line=hip, ref_shoulder_line=sho, ref_ankle_gap=gap)
        self._refs[(key, side)] = ctx
        return ctx

    def frame(self, t: float, sway: bool = True) -> tuple[FrameState, Placed, dict[str, float]]:
        """State, placed body and true angles at ``t`` seconds (``sway=False``: without the
        natural sway, which moves the neck and the body's yaw and position a little)."""
        st = self.state(t)
        placed = self.place(self.dofs_at(t, st, sway=sway), t, sway=sway)
        last = None
        for rep in self.reps:
            if rep.start <= t:
                last = rep
        ctx = self._context_for(st.side, last)
        angles = measure_angles(self.motion.metrics, placed.pose, placed.landmarks, ctx)
        return st, placed, angles


def _moved(pose: Pose, rot: np.ndarray, shift: np.ndarray) -> Pose:
    return Pose(
        rot=np.einsum("ij,njk->nik", rot, pose.rot),
        pos=pose.pos @ rot.T + shift,
        root_rot=rot @ pose.root_rot,
    )
