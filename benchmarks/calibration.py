"""Calibration of every check's limit over the camera and body envelope, from renders with
exact truth.

Each check declares two true sizes (:class:`formcheck.exercises.spec.Tolerance`): **must
catch** (a fault a therapist would correct) and **must pass** (form a therapist accepts).
This script films each exercise over the envelope (:mod:`_envelope`: camera height, distance,
yaw, side, portrait/landscape, frame rate, body model and shape), with every check's fault at
its must-catch size in a clip of its own and every check at its must-pass size together in
another, plus a fault-free clip, runs the real pipeline (MediaPipe, smoothing, the engine) on
each, and reports per check, per camera bin and per body model:

- **recall** at must-catch: reps (holds) whose true size is at least 90 % of must-catch (the
  renderer's solve falls a little short on some bodies) that the check flags, over all such
  reps rendered (a rep the counter missed is not flagged);
- **false flags** at must-pass: reps (holds) whose true size is at most 110 % of must-pass that
  it flags (for a size on an absolute scale, where those margins would overlap, such as a knee
  angle of 165 passing and 175 caught, the margins are 10 % of the gap between the two);
- **unknown**: the share of reps the check could not judge at all (hidden landmarks, a camera
  the engine does not take for one of the check's views, or a view it declares it cannot
  judge: those bins are listed as ``unknown by design`` and must read unknown, never flag). An
  unknown rep at must-catch counts as missed in the recall; the summary also gives the recall
  over the judged reps alone;
- the **measured-vs-true** slope and offset (least squares over frames where both exist).

The operating curve of each check (recall and false flags against the limit, in measured
units) gives the limit range in which the worst bin meets recall >= 0.90 and false flags
<= 0.05; the script proposes the middle of that range, or says that no limit separates the two
sizes in some bin. A rep's flag at a candidate limit is read from its *persistent peak*: the
largest value the metric stayed beyond for the check's ``min_duration_s`` (what the engine's
tracker needs to flag), so one replay of the engine gives the whole curve; the engine's own
flags at the declared limits are reported beside it. A check that applies ``always`` in an
exercise of reps is judged live between the reps too (the deadlift's lean back at lockout comes
after the hinge's rep has ended): its sample is the rep's whole slot, from the middle of the rest
before it to the middle of the rest after, whether or not the counter found the rep, and its
engine flag is any frame flagged there.

Usage::

    python benchmarks/calibration.py --scenes 16 --jobs 2 [--exercise plank] [--write]
    python benchmarks/calibration.py --quick            # 4 scenes per view, headline exercises

Clips and poses are cached (``benchmarks/_cache/calibration``), so a second run only replays
the engine.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from _common import Output, machine, table
from _envelope import CLIPS, Scene, clip, clip_path, pose_path, poses, sample_scenes

from formcheck.api import make_analyzer
from formcheck.checks import CheckTracker
from formcheck.config import Settings
from formcheck.engine import Analyzer
from formcheck.geometry import camera_alignment
from formcheck.exercises import all_exercises
from formcheck.exercises.spec import Check, Exercise, RepCounting, Tolerance
from formcheck.limits import effective_limits
from formcheck.render import BODY_MODELS, BODY_PRESETS, MOTIONS, RenderTruth, load_truth
from formcheck.render.motions import FaultDef, engine_view
from formcheck.smoothing import make_smoother

RECALL_TARGET = 0.90
FALSE_FLAG_TARGET = 0.05
HEADLINE = ("plank", "bird_dog", "clamshell", "bridge")


# --------------------------------------------------------------------------------------------
# What is calibrated
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One check with a tolerance and a fault the renderer can plant for it."""

    exercise: Exercise
    check: Check
    fault: FaultDef
    #: the render motion that plants the fault (``MOTIONS`` key: the exercise, or its second form)
    motion: str

    @property
    def key(self) -> str:
        """``<motion>.<check>``: the exercise's id, or its second form's (the chop's checks are
        calibrated apart from the press's)."""
        return f"{self.motion}.{self.check.id}"

    def catch_sizes(self) -> tuple[float, ...]:
        """Fault values the catch clips take in turn: must-catch, the far end where declared,
        and both signs for two-way sizes."""
        tol = self.check.tolerance
        sizes = (tol.must_catch,) if tol.catch_up_to is None else (tol.must_catch, tol.catch_up_to)
        return tuple(x for s in sizes for x in ((s, -s) if tol.both_ways else (s,)))

    def pass_size(self, i: int) -> float:
        tol = self.check.tolerance
        return -tol.must_pass if tol.both_ways and i % 2 else tol.must_pass

    def truth_series(self, truth: RenderTruth) -> np.ndarray:
        """(T,) the true size the check judges: the fault's driven truth metric, signed like
        the fault (the largest of several drives), relative to each rep's start for relative
        checks (then made a magnitude for two-way sizes), and NaN in the frames where the check
        does not judge it (:meth:`applies`)."""
        series = np.nanmax([d.sign * truth.angle_series(d.metric) for d in self.fault.drives], axis=0)
        if self.check.relative:
            t = truth.times_s()
            base = np.full_like(series, np.nan)
            for rep in truth.reps:
                inside = (t >= rep.start_s) & (t <= rep.end_s)
                base[inside] = series[int(np.argmin(np.abs(t - rep.start_s)))]
            series = series - base
        if self.check.tolerance.both_ways:
            series = np.abs(series)
        return np.where(self.applies(truth), series, np.nan)

    def applies(self, truth: RenderTruth) -> np.ndarray:
        """(T,) the frames whose true size counts: the top of each rep for a check that applies
        at the top (a knee straight while standing is no fault of the hinge's bottom), and the
        frames of the fault's own peak pose for a fault shown at one (squat to row: the row)."""
        ok = np.ones(len(truth.frames), dtype=bool)
        if self.check.applies == "top":
            ok &= np.array([f.phase == "top" for f in truth.frames])
        if self.fault.peak is not None:
            ok &= np.array([f.pose == self.fault.peak for f in truth.frames])
        return ok


def cases(exercises: tuple[str, ...] | None) -> tuple[list[Case], list[str]]:
    """The checks that can be calibrated, and a line for each that cannot (and why)."""
    out, skipped = [], []
    for ex in all_exercises().values():
        if exercises and ex.id not in exercises:
            continue
        motions = [m for m in MOTIONS.values() if m.exercise_id == ex.id]
        for c in ex.checks:
            planting = [m for m in motions if c.id in m.faults]
            if c.tolerance is None:
                skipped.append(f"{ex.id}.{c.id}: no tolerance declared")
            elif not motions:
                skipped.append(f"{ex.id}.{c.id}: the renderer cannot film {ex.id}")
            elif not planting:
                skipped.append(f"{ex.id}.{c.id}: the renderer has no fault for it")
            else:
                out += [Case(ex, c, m.faults[c.id], m.name) for m in planting]
    return out, skipped


#: Render views that the exercise table (EXERCISES.md) allows beyond the exercise's own views:
#: its checks must read ``unknown`` there, never flag.
ALSO_FILMED = {"clamshell": ("feet",), "bird_dog": ("feet",),
               # the table films anti-rotation from the front; only side-on judges anything
               "anti_rotation": ("front", "oblique"),
               # side-view (and the side leg lift's front-view) exercises whose checks cannot
               # judge an oblique camera
               **{ex: ("oblique",) for ex in ("deadlift", "straight_arm_pulldown",
                                             "overhead_ball_raise", "side_leg_lift")}}
#: Render views left out although the engine would accept them or the table allows them.
NOT_FILMED: dict[str, tuple[str, ...]] = {}


def guidance_views(ex: Exercise, motion: str) -> tuple[str, ...]:
    """The views of a render motion (``formcheck.render.MOTIONS``) in which the guidance allows
    filming: those the engine calls one of the exercise's views, and :data:`ALSO_FILMED`."""
    return tuple(v for v in MOTIONS[motion].views
                 if (engine_view(v) in ex.views or v in ALSO_FILMED.get(ex.id, ()))
                 and v not in NOT_FILMED.get(ex.id, ()))


def plan(case_list: list[Case], scenes: list[Scene]) -> list[tuple[Scene, dict[str, float]]]:
    """Per scene: a fault-free clip, one with every check at its must-pass size, and one per
    check at its must-catch size (alternating with ``catch_up_to`` where declared)."""
    jobs = []
    seen: dict[tuple[str, str], int] = defaultdict(int)
    for scene in scenes:
        # sizes alternate by the scene's place among its exercise and view's scenes, so a
        # scene keeps its clips (and their cache) whatever else the run covers
        i = seen[(scene.exercise, scene.view)]
        seen[(scene.exercise, scene.view)] += 1
        mine = [c for c in case_list if c.motion == scene.exercise]
        jobs.append((scene, {}))
        passing = {c.check.id: c.pass_size(i) for c in mine if c.check.tolerance.must_pass > 0}
        if passing:
            jobs.append((scene, passing))
        for c in mine:
            sizes = c.catch_sizes()
            jobs.append((scene, {c.check.id: sizes[i % len(sizes)]}))
    return jobs


def interleaved(jobs: list[tuple[Scene, dict[str, float]]]) -> list[tuple[Scene, dict[str, float]]]:
    """The jobs reordered so that every exercise and view gets its first scenes done first: a
    run stopped part-way (or read with ``--cached-only``) still covers everything."""
    rank: dict[tuple[str, str], list[int]] = defaultdict(list)
    order = {}
    for scene, _ in jobs:
        group = rank[(scene.exercise, scene.view)]
        if id(scene) not in order:
            order[id(scene)] = len(group)
            group.append(id(scene))
    return sorted(jobs, key=lambda job: order[id(job[0])])


def _work(job: tuple[Scene, dict[str, float]]) -> str:
    scene, faults = job
    ex = all_exercises()[MOTIONS[scene.exercise].exercise_id]
    try:
        return str(clip(scene, faults, ex.segmentation))
    except ValueError as exc:  # a pose the renderer cannot reach
        return f"error: {clip_path(scene, faults).name}: {exc}"


# --------------------------------------------------------------------------------------------
# Replaying the engine
# --------------------------------------------------------------------------------------------


@dataclass
class Replay:
    """The engine's view of one clip: per-frame values and phases, and its reps or holds."""

    t_ms: np.ndarray
    values: dict[str, np.ndarray]
    signal: np.ndarray
    units: list[tuple[int, int, tuple[str, ...], float]]  # (start_ms, end_ms, flags, peak)
    views: dict[str, int]
    #: per check, the engine's per-frame state (``ok``, ``flag``, ``unknown`` ...)
    states: dict[str, np.ndarray] = field(default_factory=dict)


def replay(video: Path, ex: Exercise, settings: Settings) -> Replay:
    analyzer: Analyzer = make_analyzer(ex, settings, effective_limits(ex, settings))
    smoother = make_smoother(settings.smoothing.name, **settings.smoothing.params())
    t, sig, values, states = [], [], defaultdict(list), defaultdict(list)
    for raw in poses(video):
        result = analyzer.update(smoother(raw))
        t.append(result.t_ms)
        sig.append(result.signal)
        for cid, r in result.readings.items():
            values[cid].append(r.value)
            states[cid].append(r.state)
    analyzer.finish()
    if analyzer.reps:
        units = [(r.boundary.start_ms, r.boundary.end_ms, r.flags, r.boundary.peak_value)
                 for r in analyzer.reps]
    else:
        units = [(h.span.start_ms, h.span.end_ms, h.flags, math.nan) for h in analyzer.holds]
    return Replay(np.array(t), {k: np.array(v) for k, v in values.items()}, np.array(sig), units,
                  dict(analyzer.view_counts), {k: np.array(v) for k, v in states.items()})


def persistent_peak(t_ms: np.ndarray, v: np.ndarray, min_s: float, above: bool) -> float:
    """The farthest value ``v`` stayed beyond for at least ``min_s``: a limit flags this stretch
    iff it lies below the result (``above``; above it for ``below`` checks). As in the engine's
    tracker (:class:`formcheck.checks.CheckTracker`), NaN frames keep the timer running across
    a short gap and restart it after one longer than ``CheckTracker.max_gap_s``."""
    ok = np.isfinite(v)
    t, x = t_ms[ok].astype(float), v[ok] if above else -v[ok]
    if len(x) == 0:
        return math.nan
    # stretches of known values without a gap the tracker forgets
    cut = np.flatnonzero(np.diff(t) > CheckTracker.max_gap_s * 1000.0) + 1
    best = -math.inf
    for ts, xs in zip(np.split(t, cut), np.split(x, cut)):
        for k in range(len(xs)):
            i = np.searchsorted(ts, ts[k] - min_s * 1000.0, side="right") - 1
            if i < 0:
                continue
            best = max(best, float(xs[i:k + 1].min()))
    if not math.isfinite(best):
        return math.nan
    return best if above else -best


@dataclass
class Sample:
    """One rep (or hold) of one check."""

    case: str
    bins: dict[str, str]
    view_valid: bool
    true_size: float
    kind: str  # "catch", "pass" or "between"
    peak: float  # persistent peak of the measured metric (NaN: never measured)
    flagged: bool  # the engine's flag at the declared limit
    counted: bool  # the counter found this rep
    #: the rep's evaluated frames (t_ms, value), for other persistence times
    series: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)

    def peak_for(self, min_s: float, above: bool) -> float:
        if self.series is None:
            return math.nan
        return persistent_peak(self.series[0], self.series[1], min_s, above)


def true_off_side_deg(truth: RenderTruth) -> float:
    """The true angle between the camera's optical axis and the body's lateral axis, degrees,
    median over the clip (0 = square side-on, 90 = from the front or an end): where the camera
    really was, whatever the view's name (yaw and down-pitch both turn a side view away)."""
    lateral = [camera_alignment(np.array(f.landmarks_world, dtype=float))[0] for f in truth.frames]
    return float(np.degrees(np.arccos(np.clip(np.nanmedian(lateral), 0.0, 1.0))))


def _bins(scene: Scene, truth: RenderTruth) -> dict[str, str]:
    pitch = truth.camera.pitch_deg
    off_side = true_off_side_deg(truth)
    return {
        "view": scene.view,
        "off side-on (true)": ("0-15", "15-30", "30-45", "45-90")[min(3, int(off_side // 15))],
        "height": ("0-0.35 m", "0.35-0.7 m", "0.7-1.05 m", "1.05-1.4 m")[
            min(3, int(truth.camera.height_m / 0.35))],
        "pitch": "<0" if pitch < 0 else "0-12" if pitch < 12 else "12-24" if pitch < 24 else "24-35+",
        "distance": "1.5-2.5 m" if scene.distance < 2.5 else "2.5-4 m",
        "yaw": "|yaw|<10" if abs(scene.yaw) < 10 else "|yaw|>=10",
        "side": scene.side,
        "frame": "portrait" if scene.portrait else "landscape",
        "fps": f"{scene.fps:g} fps",
        "body model": scene.body_model,
        "body": scene.body_preset or "seeded",
    }


def samples_of(case: Case, scene: Scene, video: Path, rp: Replay) -> list[Sample]:
    truth = load_truth(video)
    tol, check = case.check.tolerance, case.check
    series = case.truth_series(truth)
    t_true = truth.times_s() * 1000.0
    values = rp.values[check.id]
    above = check.flag_when == "above"
    valid = engine_view(scene.view) in check.views
    bins = _bins(scene, truth)
    out = []
    truth_units = ([(r.start_s * 1000, r.end_s * 1000) for r in truth.reps] if truth.reps
                   else [(truth.hold.start_s * 1000, truth.hold.end_s * 1000)])
    slots = _slots(truth_units, truth.seconds * 1000) if truth.reps and check.applies == "always" else None
    free = list(rp.units)
    for k, (start, end) in enumerate(truth_units):
        inside = (t_true >= start) & (t_true <= end) if slots is None else (
            (t_true >= slots[k][0]) & (t_true <= slots[k][1]))
        true = (float(np.nanmax(series[inside])) if truth.reps
                else float(np.nanmedian(series[inside])))
        kind = sample_kind(true, tol)
        overlap = [(min(end, u[1]) - max(start, u[0]), u) for u in free]
        overlap = [(o, u) for o, u in overlap if o > 0]
        unit = max(overlap, key=lambda x: x[0])[1] if overlap else None
        if unit is not None:
            free.remove(unit)
        if slots is not None:  # judged live, between reps too, counted or not: the whole slot
            sel = (rp.t_ms >= slots[k][0]) & (rp.t_ms <= slots[k][1])
            peak = persistent_peak(rp.t_ms[sel], values[sel], check.min_duration_s, above)
            flagged = bool(np.any(rp.states[check.id][sel] == "flag"))
            out.append(Sample(case.key, bins, valid, true, kind, peak, flagged, unit is not None,
                              (rp.t_ms[sel], values[sel])))
            continue
        if unit is None:
            out.append(Sample(case.key, bins, valid, true, kind, math.nan, False, False))
            continue
        sel = (rp.t_ms >= unit[0]) & (rp.t_ms <= unit[1])
        v = values[sel]
        if check.applies == "top" and isinstance(case.exercise.counting, RepCounting):
            top_from = unit[3] - case.exercise.counting.top_band
            v = np.where(rp.signal[sel] >= top_from, v, np.nan)
        peak = persistent_peak(rp.t_ms[sel], v, check.min_duration_s, above)
        out.append(Sample(case.key, bins, valid, true, kind, peak, check.id in unit[2], True,
                          (rp.t_ms[sel], v)))
    return out


def sample_kind(true: float, tol: Tolerance) -> str:
    """``catch``, ``pass`` or ``between`` for a rep of true size ``true``.

    The renderer's solve reaches a planted size only nearly on some bodies (MakeHuman's rig: a
    10-degree sag reaches 9.1-9.7): a catch sample is one at 90 % of must-catch or more (a
    smaller fault is harder to catch, so this errs against the check), a pass sample one at most
    10 % above must-pass (harder to pass). A size on an absolute scale (a knee angle: 165 passes,
    175 is caught) would have the two margins overlap; there each is 10 % of the gap.
    """
    lo, hi = 1.1 * tol.must_pass + 0.06, 0.9 * tol.must_catch
    if hi <= lo:
        gap = tol.must_catch - tol.must_pass
        lo, hi = tol.must_pass + 0.1 * gap, tol.must_catch - 0.1 * gap
    return "catch" if true >= hi else "pass" if true <= lo else "between"


def _slots(units: list[tuple[float, float]], clip_ms: float) -> list[tuple[float, float]]:
    """Each rep's slot, ms: from the middle of the rest before it (the clip's start for the
    first) to the middle of the rest after it (the clip's end for the last)."""
    cuts = [0.0] + [(a[1] + b[0]) / 2 for a, b in zip(units, units[1:])] + [clip_ms]
    return list(zip(cuts, cuts[1:]))


# --------------------------------------------------------------------------------------------
# Operating curves and the report
# --------------------------------------------------------------------------------------------


def _rounded(x: float) -> float:
    """``x`` to 3 significant digits but at least one decimal (171.8, 11.5, 4.76, 0.213)."""
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, max(1, 2 - math.floor(math.log10(abs(x)))))


def flags_at(samples: list[Sample], limit: float, above: bool) -> np.ndarray:
    p = np.array([s.peak for s in samples], dtype=float)
    with np.errstate(invalid="ignore"):
        return (p > limit) if above else (p < limit)


@dataclass
class CheckStats:
    case: Case
    samples: list[Sample] = field(default_factory=list)
    pairs: list[tuple[float, float]] = field(default_factory=list)  # (true, measured) per frame

    def groups(self) -> dict[tuple[str, str], list[Sample]]:
        """Samples by (bin axis, bin value), among the views the check judges."""
        out: dict[tuple[str, str], list[Sample]] = defaultdict(list)
        for s in self.samples:
            if not s.view_valid:
                continue
            for axis, value in s.bins.items():
                out[(axis, value)].append(s)
        return out

    def rates(self, limit: float, group: list[Sample], judged_only: bool = False
              ) -> tuple[float, int, float, int]:
        """Recall at must-catch and false flags at must-pass in ``group``; ``judged_only``
        leaves out the must-catch reps the check read unknown throughout."""
        above = self.case.check.flag_when == "above"
        catch = [s for s in group if s.kind == "catch" and not (judged_only and not math.isfinite(s.peak))]
        ok = [s for s in group if s.kind == "pass"]
        rec = float(flags_at(catch, limit, above).mean()) if catch else math.nan
        ff = float(flags_at(ok, limit, above).mean()) if ok else math.nan
        return rec, len(catch), ff, len(ok)

    def worst(self, limit: float, judged_only: bool = False) -> tuple[float, str, float, str]:
        """Lowest recall and highest false-flag rate over the bins, and where."""
        worst_rec, where_rec, worst_ff, where_ff = math.inf, "-", -math.inf, "-"
        for (axis, value), group in self.groups().items():
            rec, n_c, ff, n_p = self.rates(limit, group, judged_only)
            if n_c and rec < worst_rec:
                worst_rec, where_rec = rec, f"{axis} {value}"
            if n_p and ff > worst_ff:
                worst_ff, where_ff = ff, f"{axis} {value}"
        return worst_rec, where_rec, worst_ff, where_ff

    def proposal(self, judged_only: bool = False) -> tuple[float, float, float] | None:
        """(low, high, chosen) limits at which every bin meets both targets, or None;
        ``judged_only``: recall over the must-catch reps the check judged."""
        peaks = sorted({round(s.peak, 2) for s in self.samples if math.isfinite(s.peak)})
        if not peaks:
            return None
        grid = np.unique(np.concatenate([np.array(peaks) - 0.01, np.array(peaks) + 0.01]))
        good = [L for L in grid if self._meets(L, judged_only)]
        if not good:
            return None
        lo, hi = min(good), max(good)
        return lo, hi, _rounded((lo + hi) / 2)

    def _meets(self, limit: float, judged_only: bool = False) -> bool:
        rec, _, ff, _ = self.worst(limit, judged_only)
        return rec >= RECALL_TARGET and ff <= FALSE_FLAG_TARGET

    def slope_offset(self) -> tuple[float, float, float]:
        if len(self.pairs) < 3:
            return math.nan, math.nan, math.nan
        t, m = np.array(self.pairs).T
        if np.ptp(t) < 1e-6:
            return math.nan, float(np.mean(m - t)), math.nan
        slope, offset = np.polyfit(t, m, 1)
        return float(slope), float(offset), float(np.corrcoef(t, m)[0, 1])


#: Persistence times (s) the report compares: how long a value must stay past the limit.
PERSISTENCE_S = (0.1, 0.2, 0.3, 0.5, 0.8, 1.2)


def persistence_table(st: CheckStats) -> str:
    """Recall at must-catch and false flags at must-pass (all valid bins pooled, and the worst
    bin) at the declared limit, for each persistence time: how long a fault must last is part
    of the calibration, weighed against how long a rep's top or a hold lasts."""
    c = st.case.check
    above = c.flag_when == "above"
    rows = []
    for d in PERSISTENCE_S:
        shifted = [replace(s, peak=s.peak_for(d, above)) for s in st.samples]
        probe = CheckStats(st.case, shifted)
        rec, n_c, ff, n_p = probe.rates(c.limit, [s for s in shifted if s.view_valid])
        w_rec, _, w_ff, _ = probe.worst(c.limit)
        mark = " (declared)" if abs(d - c.min_duration_s) < 1e-9 else ""
        rows.append([f"{d:g} s{mark}", _fmt_rate(rec, n_c), _fmt_rate(ff, n_p),
                     f"{w_rec:.2f}" if math.isfinite(w_rec) else "-",
                     f"{w_ff:.2f}" if math.isfinite(w_ff) else "-"])
    return table(["persistence", "recall", "false flags", "worst-bin recall", "worst-bin false"], rows)


def _pairs(case: Case, video: Path, rp: Replay) -> list[tuple[float, float]]:
    truth = load_truth(video)
    series = case.truth_series(truth)
    measured = rp.values[case.check.id]
    n = min(len(series), len(measured))
    ok = np.isfinite(series[:n]) & np.isfinite(measured[:n])
    return list(zip(series[:n][ok].tolist(), measured[:n][ok].tolist()))


def _fmt_rate(rate: float, n: int) -> str:
    return "-" if not n else f"{rate:.2f} ({n})"


def report(stats: dict[str, CheckStats], skipped: list[str], args, n_clips: int) -> Output:
    # the headline run (or all exercises) is calibration.md; a run of other exercises gets its
    # own file, so it does not overwrite the headline's
    others = sorted(set(args.exercise or HEADLINE) - set(HEADLINE))
    name = "calibration" if not others else "_".join(["calibration", *others])
    out = Output(name, "Calibration of the checks over the camera and body envelope")
    out(f"Generated by `benchmarks/calibration.py --scenes {args.scenes}"
        f"{''.join(' --exercise ' + e for e in args.exercise or [])}"
        f"{''.join(' --view ' + v for v in args.view or [])}` on {n_clips} rendered clips.")
    out(f"Machine: {machine()}.")
    out()
    out("Every body model is filmed from every camera-height bin and from both sides (over each 8 "
        "scenes of a view). Until 2026-12-01 the model cycled in step with the height bins, so "
        "the MakeHuman body was only filmed from 0.7-1.4 m: its readings from low cameras, and "
        "the split between a body's bias and a camera's, are new here.")
    out()
    out("Per check: its tolerance (true sizes), its limit (measured units), the worst camera or "
        "body bin for recall at must-catch and for false flags at must-pass, at the declared "
        "limit (engine flags, `engine` columns) and along the operating curve (the limit range "
        f"in which every bin meets recall >= {RECALL_TARGET} and false flags <= "
        f"{FALSE_FLAG_TARGET}). Rates are followed by the number of reps (holds) in brackets; "
        "`engine recall (judged)` and `limits meeting both (judged)` leave out the must-catch reps "
        "the check read unknown throughout (they count as missed everywhere else); `false flags "
        "where blind`: must-pass reps flagged when filmed from a view the check declares it "
        "cannot judge (the engine took the camera for one it judges).")
    out()
    rows = []
    for key, st in stats.items():
        c = st.case.check
        tol = c.tolerance
        rec, where_rec, ff, where_ff = st.worst(c.limit)
        prop, prop_judged = st.proposal(), st.proposal(judged_only=True)
        valid = [s for s in st.samples if s.view_valid]
        blind_pass = [s for s in st.samples if not s.view_valid and s.kind == "pass"]
        eng_c = [s for s in valid if s.kind == "catch"]
        eng_p = [s for s in valid if s.kind == "pass"]
        judged = [s for s in eng_c if math.isfinite(s.peak)]
        slope, offset, r = st.slope_offset()
        rows.append([
            f"`{key}`", f"{tol.must_pass:g} / {tol.must_catch:g} {tol.unit}", f"{c.limit:g}",
            _fmt_rate(np.mean([s.flagged for s in eng_c]) if eng_c else math.nan, len(eng_c)),
            _fmt_rate(np.mean([s.flagged for s in eng_p]) if eng_p else math.nan, len(eng_p)),
            _fmt_rate(np.mean([s.flagged for s in judged]) if judged else math.nan, len(judged)),
            f"{rec:.2f} ({where_rec})" if math.isfinite(rec) else "-",
            f"{ff:.2f} ({where_ff})" if math.isfinite(ff) else "-",
            "none" if prop is None else f"{_rounded(prop[0]):g} to {_rounded(prop[1]):g} -> {prop[2]:g}",
            "none" if prop_judged is None else
            f"{_rounded(prop_judged[0]):g} to {_rounded(prop_judged[1]):g} -> {prop_judged[2]:g}",
            _fmt_rate(np.mean([s.flagged for s in blind_pass]) if blind_pass else math.nan, len(blind_pass)),
            slope, offset, r,
        ])
    out(table(["check", "pass / catch (true)", "limit", "engine recall", "engine false",
               "engine recall (judged)", "worst-bin recall", "worst-bin false", "limits meeting both",
               "limits meeting both (judged)", "false flags where blind", "slope", "offset", "r"],
              rows))
    out()
    for key, st in stats.items():
        c = st.case.check
        out(f"## `{key}`")
        out()
        out(f"{c.tolerance.measure}; must pass <= {c.tolerance.must_pass:g}, must catch >= "
            f"{c.tolerance.must_catch:g} {c.tolerance.unit}"
            + (f" (up to {c.tolerance.catch_up_to:g})" if c.tolerance.catch_up_to else "")
            + f". Limit {c.limit:g} {c.unit} ({c.flag_when}). {c.tolerance.why}")
        out()
        rows = []
        for (axis, value), group in sorted(st.groups().items()):
            rec, n_c, ff, n_p = st.rates(c.limit, group)
            unknown = np.mean([not math.isfinite(s.peak) for s in group]) if group else math.nan
            rows.append([axis, value, _fmt_rate(rec, n_c), _fmt_rate(ff, n_p), f"{unknown:.2f}"])
        out(table(["bin", "value", "recall at limit", "false flags at limit", "unknown"], rows))
        out()
        out(persistence_table(st))
        invalid = [s for s in st.samples if not s.view_valid]
        if invalid:
            by_view = defaultdict(list)
            for s in invalid:
                by_view[s.bins["view"]].append(s)
            for view, group in by_view.items():
                unknown = np.mean([not math.isfinite(s.peak) for s in group])
                out()
                out(f"Unknown by design from the {view} view: {len(group)} reps, unknown "
                    f"{unknown:.2f}; {_blind_flags(group)}.")
        out()
    if skipped:
        out("## Not calibrated")
        out()
        for line in skipped:
            out(f"- {line}")
    return out


def _blind_flags(group: list[Sample]) -> str:
    """Which reps a check flagged from a view it declares it cannot judge: at must-pass (false
    flags), at must-catch (right, by luck of the view test), and where the camera truly was."""
    parts = []
    for kind, label in (("pass", "must-pass"), ("catch", "must-catch"), ("between", "in between")):
        reps = [s for s in group if s.kind == kind]
        hit = [s for s in reps if s.flagged]
        if reps:
            where = sorted({s.bins["off side-on (true)"] for s in hit})
            parts.append(f"flagged {len(hit)} of {len(reps)} at {label}"
                         + (f" (camera {', '.join(where)} deg off side-on)" if where else ""))
    return "; ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenes", type=int, default=8, help="scenes per exercise and view "
                        "(holds get twice as many: one hold per clip)")
    parser.add_argument("--exercise", action="append", help="only these exercises (repeatable)")
    parser.add_argument("--body-model", action="append", help="body models to sample (default: all)")
    parser.add_argument("--view", action="append",
                        help="only these render views, e.g. side (repeatable; default: every view "
                             "the guidance allows)")
    parser.add_argument("--jobs", type=int, default=2, help="render/pose processes")
    parser.add_argument("--quick", action="store_true", help="4 scenes per view, headline exercises")
    parser.add_argument("--write", action="store_true", help="save docs/benchmarks/calibration.md "
                        "(calibration_<exercises>.md for exercises outside the headline four)")
    parser.add_argument("--samples", type=Path, help="also save every sample as JSON here")
    parser.add_argument("--cached-only", action="store_true",
                        help="evaluate only the clips already rendered and posed (no rendering)")
    args = parser.parse_args()
    if args.quick:
        args.scenes = 4
        args.exercise = args.exercise or list(HEADLINE)

    case_list, skipped = cases(tuple(args.exercise) if args.exercise else None)
    models = tuple(args.body_model or BODY_MODELS)
    presets = tuple(BODY_PRESETS)
    scenes = []
    for ex_id, motion in dict.fromkeys((c.exercise.id, c.motion) for c in case_list):
        ex = all_exercises()[ex_id]
        n = args.scenes * (2 if ex.kind == "hold" else 1)
        for view in guidance_views(ex, motion):
            if args.view and view not in args.view:
                continue
            scenes += sample_scenes(motion, view, n, body_models=models, body_presets=presets)
    jobs = interleaved(plan(case_list, scenes))
    if args.cached_only:
        jobs = [(sc, f) for sc, f in jobs if pose_path(clip_path(sc, f)).is_file()]
    started = time.perf_counter()
    CLIPS.mkdir(parents=True, exist_ok=True)
    done: list[str] = []
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for i, result in enumerate(pool.map(_work, jobs, chunksize=1)):
            done.append(result)
            if i % 10 == 0 or i == len(jobs) - 1:
                print(f"  {i + 1}/{len(jobs)} clips ({time.perf_counter() - started:.0f} s)",
                      file=sys.stderr, flush=True)
    errors = [d for d in done if d.startswith("error:")]
    for e in errors:
        print(e, file=sys.stderr)

    settings = Settings()
    stats = {c.key: CheckStats(c) for c in case_list}
    for (scene, faults), result in zip(jobs, done):
        if result.startswith("error:"):
            continue
        video = Path(result)
        ex = all_exercises()[MOTIONS[scene.exercise].exercise_id]
        rp = replay(video, ex, settings)
        for c in case_list:
            if c.motion != scene.exercise:
                continue
            stats[c.key].samples += samples_of(c, scene, video, rp)
            if engine_view(scene.view) in c.check.views:
                stats[c.key].pairs += _pairs(c, video, rp)
    out = report(stats, skipped + [f"render failed: {e}" for e in errors], args, len(jobs))
    if args.samples:
        args.samples.write_text(json.dumps([{k: v for k, v in s.__dict__.items() if k != "series"}
                                            for st in stats.values() for s in st.samples]))
    if args.write:
        out.write()


if __name__ == "__main__":
    main()
