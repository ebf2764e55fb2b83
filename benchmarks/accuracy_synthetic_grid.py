"""Fault grid on synthetic renders: does each check measure what the truth says, and does its
default limit flag the renders it should?

For every check that both the renderer (a fault with the check's id, ``formcheck.render.MOTIONS``)
and the exercise (``formcheck.exercises``) know, and that flags values *above* its limit, it
renders the exercise with that fault at 0, 0.5, 1, 1.5 and 2 times the check's default limit, in
up to two of the views the exercise supports (``Exercise.views``), for one or more seeds (each
seed draws another body, camera and room), runs :func:`formcheck.api.analyze` on each clip, and
prints per check:

- **error** of the measured metric (``frames.csv``, the check's column) against the truth angle
  the fault drives (``hip_bend_deg`` for ``hip_sag``, ``-hip_bend_deg`` for ``hip_pike``, ...),
  over the frames where both exist: mean (the bias), 95th percentile of the absolute error, and
  the least-squares slope and Pearson r of measured on true. For relative checks the truth is
  also taken relative to the start of its rep. Some checks measure a proxy of the truth angle,
  not the angle itself (bird dog ``spine_neutral`` measures how much the person mask's back
  outline rounds, which includes the upper back and soft tissue; ``limb_above_torso`` measures
  from the horizontal, the truth from the torso line): their bias is a property of the proxy, their slope and r still tell how well it
  follows the truth;
- **flag rate** per fault size: reps (or holds) flagged for that check / reps (holds) rendered,
  each truth rep matched to the free detected rep that overlaps it most (a truth rep with no
  detected rep counts as not flagged; ``missed reps`` says how many, ``count error`` sums
  |reps counted - reps rendered| over the clips). ``recall@1.5x`` is the rate at 1.5x the
  limit; ``false@0`` and ``false@0.5x`` are the rates without the fault and at half the limit.

**Units.** The fault is dialled in the truth's units (degrees of the true 3D angle, in the body's
planes); the limit is in the check's *measured* units (degrees on MediaPipe's landmarks, mostly
in the image). "1.5x the limit" is therefore 1.5x the limit's number applied as a true angle: if
MediaPipe under-reads the angle, a 1.5x fault may measure below the limit. That is the point of
the grid: it shows where a limit set on measured values and the truth disagree.

Usage::

    FORMCHECK_MODEL_DIR=/work/shared/models python benchmarks/accuracy_synthetic_grid.py --quick [--write]
    python benchmarks/accuracy_synthetic_grid.py [--seeds 2] [--views 2] [--write]

Renders are cached under ``benchmarks/_cache/synthetic_grid/`` (git-ignored), one file per spec
(the name hashes the spec's render command), so a second run only re-analyses. ``--quick`` runs
the headline checks (plank, bird dog, clamshell) in one view with one seed: about 25 clips,
5-10 minutes on two loaded cores the first time.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from _common import CACHE, Output, machine, table

from formcheck.api import analyze
from formcheck.exercises import get_exercise
from formcheck.exercises.spec import Check
from formcheck.render import MOTIONS, RenderSpec, RenderTruth, load_truth, render_clip
from formcheck.render.motions import FaultDef

GRID_CACHE = CACHE / "synthetic_grid"
LEVELS = (0.0, 0.5, 1.0, 1.5, 2.0)
HEADLINE = ("plank", "bird_dog", "clamshell")
SIZE = (480, 270)
FPS = 10.0
SEED0 = 300
#: Clip length and reps per exercise: holds need ~3 s; reps need a top pause the counters
#: accept (bird dog's min_top_pause_s is 0.7 s of a 0.2-slot pause).
TIMING = {"plank": (3.0, 1), "bird_dog": (6.0, 2), "clamshell": (5.0, 2)}
DEFAULT_TIMING = (5.0, 2)


@dataclass(frozen=True)
class Case:
    """One check of one exercise that the grid covers."""

    exercise: str
    check: Check
    fault: FaultDef
    views: tuple[str, ...]

    def truth_series(self, truth: RenderTruth) -> np.ndarray:
        """(T,) the true value of what the check measures: the fault's driven truth metric,
        signed like the check (the larger of several drives), relative to the rep's start for
        relative checks."""
        series = np.nanmax([d.sign * truth.angle_series(d.metric) for d in self.fault.drives], axis=0)
        if self.check.relative:
            t = truth.times_s()
            base = np.full_like(series, np.nan)
            for rep in truth.reps:
                inside = (t >= rep.start_s) & (t <= rep.end_s)
                start = int(np.argmin(np.abs(t - rep.start_s)))
                base[inside] = series[start]
            series = series - base
        return series


def cases(exercises: tuple[str, ...] | None, n_views: int) -> list[Case]:
    out = []
    for name, motion in MOTIONS.items():
        if exercises and name not in exercises:
            continue
        try:
            ex = get_exercise(motion.exercise_id)
        except Exception as exc:  # noqa: BLE001 (an exercise not registered yet is skipped)
            print(f"skip {name}: {exc}", file=sys.stderr)
            continue
        checks = {c.id: c for c in ex.checks}
        views = tuple(v for v in ex.views if v in motion.views)[:n_views]
        for fid, fault in motion.faults.items():
            c = checks.get(fid)
            if c is None or c.flag_when != "above":
                continue  # below-limit checks (arms_straight) have absolute limits, not fault sizes
            out.append(Case(name, c, fault, tuple(v for v in views if v in c.views) or views[:1]))
    return out


@dataclass
class Clip:
    """One analysed render."""

    truth: RenderTruth
    report: object
    frames: list[dict] = field(default_factory=list)


def _spec(exercise: str, view: str, seed: int, faults: dict[str, float]) -> RenderSpec:
    seconds, reps = TIMING.get(exercise, DEFAULT_TIMING)
    probe = RenderSpec(exercise, Path("x.mp4"), faults=faults, view=view, seconds=seconds, reps=reps,
                       seed=seed, size=SIZE, fps=FPS)
    key = hashlib.sha1(probe.to_command().encode()).hexdigest()[:10]
    label = "_".join([exercise, view, str(seed), *(f"{k}{v:g}" for k, v in faults.items())])
    return RenderSpec(exercise, GRID_CACHE / f"{label}_{key}.mp4", faults=faults, view=view,
                      seconds=seconds, reps=reps, seed=seed, size=SIZE, fps=FPS)


def run_clip(spec: RenderSpec, stats: dict) -> Clip:
    started = time.perf_counter()
    if spec.out.is_file() and spec.truth_path.is_file():
        truth = load_truth(spec.truth_path)
    else:
        _, truth = render_clip(spec)
        stats["rendered"] += 1
    rendered = time.perf_counter()
    out_dir = spec.out.with_suffix("")
    report, outputs = analyze(spec.out, MOTIONS[spec.exercise].exercise_id, out_dir, write_video=False)
    with open(outputs.frames_csv, newline="") as fh:
        frames = list(csv.DictReader(fh))
    stats["render_s"] += rendered - started
    stats["analyze_s"] += time.perf_counter() - rendered
    return Clip(truth, report, frames)


def _flagged(clip: Clip, check_id: str) -> tuple[int, int, int, int]:
    """(units flagged for the check, units rendered, truth reps with no detected rep, |reps
    counted - reps rendered|). Each truth rep takes the detected rep that overlaps it most among
    those not taken yet, so one long detected rep cannot stand for two."""
    report = clip.report
    if clip.truth.hold is not None:
        return int(any(check_id in h.flags for h in report.holds)), 1, int(not report.holds), 0
    flagged = missed = 0
    free = list(report.reps)
    for rep in clip.truth.reps:
        overlap = [(min(rep.end_s, r.end_s) - max(rep.start_s, r.start_s), r) for r in free]
        overlap = [(o, r) for o, r in overlap if o > 0]
        if not overlap:
            missed += 1
            continue
        best = max(overlap, key=lambda x: x[0])[1]
        free.remove(best)
        flagged += check_id in best.flags
    return flagged, len(clip.truth.reps), missed, abs(report.rep_count - len(clip.truth.reps))


def _measured(clip: Clip, check_id: str) -> np.ndarray:
    return np.array([float(r[check_id]) if r[check_id] else np.nan for r in clip.frames])


@dataclass
class CheckResult:
    case: Case
    true: list[float] = field(default_factory=list)
    measured: list[float] = field(default_factory=list)
    flags: dict[float, list[int]] = field(default_factory=lambda: {lv: [0, 0, 0, 0] for lv in LEVELS})

    def add(self, clip: Clip, level: float) -> None:
        t = self.case.truth_series(clip.truth)
        m = _measured(clip, self.case.check.id)
        n = min(len(t), len(m))
        ok = np.isfinite(t[:n]) & np.isfinite(m[:n])
        self.true += t[:n][ok].tolist()
        self.measured += m[:n][ok].tolist()
        for i, v in enumerate(_flagged(clip, self.case.check.id)):
            self.flags[level][i] += v

    def row(self) -> list[object]:
        c = self.case.check
        t, m = np.array(self.true), np.array(self.measured)
        err = m - t
        if len(t) > 2 and np.ptp(t) > 1e-6:
            slope = float(np.polyfit(t, m, 1)[0])
            r = float(np.corrcoef(t, m)[0, 1])
        else:
            slope = r = float("nan")

        def rate(level: float) -> str:
            k, n = self.flags[level][:2]
            return f"{k}/{n}" if n else "-"

        missed = sum(v[2] for v in self.flags.values())
        miscounted = sum(v[3] for v in self.flags.values())
        return [f"{self.case.exercise} `{c.id}`", f"{c.limit:g} {c.unit}", ", ".join(self.case.views),
                len(t), float(err.mean()) if len(t) else float("nan"),
                float(np.percentile(np.abs(err), 95)) if len(t) else float("nan"), slope, r,
                *(rate(lv) for lv in LEVELS), missed, miscounted]


HEADER = ["check", "limit", "views", "frames", "mean err", "p95 abs err", "slope", "r",
          "false@0", "false@0.5x", "1x", "recall@1.5x", "2x", "missed reps", "count error"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="headline checks, one view, one seed")
    parser.add_argument("--seeds", type=int, default=2, help="seeds (bodies, cameras) per cell")
    parser.add_argument("--views", type=int, default=2, help="views per exercise (Exercise.views order)")
    parser.add_argument("--exercise", action="append", help="only these exercises (repeatable)")
    parser.add_argument("--write", action="store_true", help="save docs/benchmarks/accuracy_synthetic.md")
    args = parser.parse_args()
    if args.quick:
        args.seeds, args.views = 1, 1
        args.exercise = args.exercise or list(HEADLINE)
    GRID_CACHE.mkdir(parents=True, exist_ok=True)

    todo = cases(tuple(args.exercise) if args.exercise else None, args.views)
    results = {(c.exercise, c.check.id): CheckResult(c) for c in todo}
    stats = {"rendered": 0, "clips": 0, "render_s": 0.0, "analyze_s": 0.0}
    started = time.perf_counter()
    # A fault-free clip serves level 0 of every check of its exercise and view.
    for exercise in dict.fromkeys(c.exercise for c in todo):
        mine = [c for c in todo if c.exercise == exercise]
        for view in dict.fromkeys(v for c in mine for v in c.views):
            for seed in range(SEED0, SEED0 + args.seeds):
                clean = run_clip(_spec(exercise, view, seed, {}), stats)
                stats["clips"] += 1
                for c in mine:
                    if view not in c.views:
                        continue
                    results[(exercise, c.check.id)].add(clean, 0.0)
                    for level in LEVELS[1:]:
                        spec = _spec(exercise, view, seed, {c.check.id: level * c.check.limit})
                        try:
                            clip = run_clip(spec, stats)
                        except ValueError as exc:  # a pose the renderer cannot reach
                            print(f"  skip {spec.out.name}: {exc}", file=sys.stderr)
                            continue
                        stats["clips"] += 1
                        results[(exercise, c.check.id)].add(clip, level)
                print(f"  {exercise} {view} seed {seed} done ({time.perf_counter() - started:.0f} s)",
                      file=sys.stderr, flush=True)

    out = Output("accuracy_synthetic", "Checks against synthetic ground truth")
    out(f"Generated by `benchmarks/accuracy_synthetic_grid.py{' --quick' if args.quick else ''}`"
        f" ({args.seeds} seed(s) per cell, up to {args.views} view(s) per exercise, "
        f"{SIZE[0]}x{SIZE[1]} at {FPS:g} fps, {stats['clips']} clips).")
    out(f"Machine: {machine()}.")
    out()
    out("Each fault is rendered at 0, 0.5, 1, 1.5 and 2 times the check's default limit. The fault "
        "is set in the truth's units (the true 3D angle in the body's planes); the limit is in the "
        "check's measured units (MediaPipe's landmarks, mostly image angles), so \"1.5x\" is the "
        "limit's number applied as a true angle. Flag columns: reps (holds) flagged for the check / "
        "reps (holds) rendered. Error columns: measured minus true, over frames where both exist "
        "(all sizes pooled); slope and r of measured on true. See the script's docstring for which "
        "checks measure a proxy rather than the truth angle itself.")
    out()
    out(table(HEADER, [res.row() for res in results.values()]))
    out()
    out(f"Rendered {stats['rendered']} clips in {stats['render_s']:.0f} s (the rest from the cache), "
        f"analysed {stats['clips']} in {stats['analyze_s']:.0f} s.")
    if args.write:
        out.write()


if __name__ == "__main__":
    main()
