"""End to end on rendered video: ``formcheck.render`` truth -> ``formcheck.api.analyze`` -> the
report and ``frames.csv`` compared with that truth.

Two groups, all slow (MediaPipe on whole clips):

- the committed clips in ``sample_videos/`` with their ``.truth.json``: rep counts, sides and rep
  boundaries against the truth's reps, which checks flag, and the measured metric per frame
  against the truth angle it stands for;
- a few fresh renders, small (480x270, 10 fps, 4 s) and cached per session: a plank whose hips
  sag only during part of the hold, and a clamshell with and without the pelvis rolling back.

The bounds are measured values with a margin, not the truth itself: MediaPipe reads a plank's
hips higher than the mannequin's hip joints (see ``sample_videos/README.md`` and
``docs/benchmarks/accuracy_synthetic.md``).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from formcheck.api import analyze
from formcheck.exercises import all_exercises, get_exercise
from formcheck.render import RenderSpec, RenderTruth, load_truth, render_clip
from formcheck.report import SessionReport
from tests.conftest import SAMPLES

pytestmark = pytest.mark.slow

#: Rep boundaries: |detected - truth| in seconds. The truth's peak is the middle of a top pause
#: of about 0.5 s, the counter's peak is the signal's extreme inside it; start and end are where
#: the signal crosses the counter's rest threshold, which the truth's (body back at the start
#: pose) leads or trails by a few frames. Measured on the samples: peak <= 0.24 s, start <= 0.21
#: s and end <= 0.29 s off, except the clamshell's starts (see CLAMSHELL_START_TOL_S).
PEAK_TOL_S = 0.35
START_TOL_S = 0.35
END_TOL_S = 0.4
#: The clamshell counter starts each rep 0.4-0.5 s before the truth does (MediaPipe's knee
#: opening leaves its rest band early); the first rep of the sample starts at 0.0.
CLAMSHELL_START_TOL_S = 0.6


@dataclass(frozen=True)
class Run:
    truth: RenderTruth
    report: SessionReport
    rows: list[dict[str, str]]

    def column(self, name: str) -> np.ndarray:
        """(T,) a frames.csv number column, NaN where empty."""
        return np.array([float(r[name]) if r[name] else np.nan for r in self.rows])

    def states(self, check_id: str) -> np.ndarray:
        return np.array([r[f"{check_id}_state"] for r in self.rows])

    def times_s(self) -> np.ndarray:
        return np.array([int(r["t_ms"]) for r in self.rows]) / 1000.0

    def paired(self, check_id: str, angle: str) -> tuple[np.ndarray, np.ndarray]:
        """(true, measured) over the frames where both exist."""
        t, m = self.truth.angle_series(angle), self.column(check_id)
        assert len(t) == len(m), "one frames.csv row per rendered frame"
        ok = np.isfinite(t) & np.isfinite(m)
        return t[ok], m[ok]

    def check_flags(self, flags: list[str]) -> set[str]:
        """The flags that are checks of the exercise (not ``tempo`` and the like)."""
        return set(flags) & {c.id for c in get_exercise(self.report.exercise).checks}


def _analyze(video: Path, truth: RenderTruth, out: Path) -> Run:
    report, outputs = analyze(video, truth.exercise, out, write_video=False)
    with open(outputs.frames_csv, newline="") as fh:
        rows = list(csv.DictReader(fh))
    return Run(truth, report, rows)


@pytest.fixture(scope="module")
def sample(model_dir, tmp_path_factory):
    """``sample("plank_hip_sag")``: the committed clip analysed once per module."""
    done: dict[str, Run] = {}

    def run(name: str) -> Run:
        if name not in done:
            video = SAMPLES / f"{name}.mp4"
            done[name] = _analyze(video, load_truth(video), tmp_path_factory.mktemp(name))
        return done[name]

    return run


def _assert_reps_match_truth(run: Run, start_tol: float = START_TOL_S) -> None:
    truth_reps, reps = run.truth.reps, run.report.reps
    assert run.report.rep_count == len(reps) == len(truth_reps)
    for want, got in zip(truth_reps, reps):
        if want.side != "both":
            assert got.side == want.side, f"rep {want.index}"
        assert abs(got.peak_s - want.peak_s) <= PEAK_TOL_S, f"rep {want.index} peak"
        assert abs(got.start_s - want.start_s) <= start_tol, f"rep {want.index} start"
        assert abs(got.end_s - want.end_s) <= END_TOL_S, f"rep {want.index} end"


# --------------------------------------------------------------------------------------------
# The committed samples
# --------------------------------------------------------------------------------------------


def test_plank_hip_sag_flags_only_hip_sag(sample):
    run = sample("plank_hip_sag")
    assert run.truth.faults[0].check_id == "hip_sag" and run.truth.faults[0].value == 12
    (hold,) = run.report.holds
    assert hold.flags == ["hip_sag"]
    # flagged from shortly after the start (min_duration 0.4 s plus smoothing) to the end
    states = run.states("hip_sag")
    assert np.mean(states == "flag") > 0.8
    assert states[-1] == "flag"


def test_plank_correct_is_clean(sample):
    run = sample("plank_correct")
    (hold,) = run.report.holds
    assert hold.flags == []
    assert hold.duration_s > 4.5
    assert not np.any(run.states("hip_sag") == "flag")


def test_plank_hip_bend_reads_high_but_follows_the_truth(sample):
    """MediaPipe reads the hips high: on the samples a true 0 reads about -2.5 and a true +12
    about +4.4 (slope about 0.6). Bounds: a few degrees around those, and steady frames."""
    correct_true, correct = sample("plank_correct").paired("hip_sag", "hip_bend_deg")
    sag_true, sag = sample("plank_hip_sag").paired("hip_sag", "hip_bend_deg")
    assert len(correct) > 140 and len(sag) > 140
    assert np.allclose(correct_true, 0, atol=0.5) and np.allclose(sag_true, 12, atol=0.5)
    assert -5.0 < correct.mean() < 0.0
    assert 2.0 < sag.mean() < 7.0
    slope = (sag.mean() - correct.mean()) / (sag_true.mean() - correct_true.mean())
    assert 0.4 < slope < 0.8
    # still clips: the per-frame reading stays within a couple of degrees of its mean
    for m in (correct, sag):
        assert np.percentile(np.abs(m - m.mean()), 95) < 2.0
    # the bias matters for the limit: the true 12-degree sag reads only a few degrees past it
    assert sag.mean() - get_exercise("plank").check("hip_sag").limit < 3.0


def test_bird_dog_rounded_back(sample):
    run = sample("bird_dog_rounded_back")
    assert [r.side for r in run.truth.reps] == ["left", "right"]
    _assert_reps_match_truth(run)
    for rep in run.report.reps:
        assert run.check_flags(rep.flags) == {"spine_neutral"}, f"rep {rep.index}: {rep.flags}"
        assert rep.metrics["spine_neutral"] > get_exercise("bird_dog").check("spine_neutral").limit
    # spine_neutral is the mask outline's rounding since the rep's start, at the top only; on
    # these reps (true lumbar flexion about 20) measured mean error +2.2 deg, 95th percentile 6.9.
    true, measured = run.paired("spine_neutral", "lumbar_flexion_deg")
    assert len(true) > 30
    assert abs((measured - true).mean()) < 5.0
    assert np.percentile(np.abs(measured - true), 95) < 10.0


def test_clamshell_rocking(sample):
    run = sample("clamshell_rocking")
    assert len(run.truth.reps) == 3 and all(r.side == "left" for r in run.truth.reps)
    _assert_reps_match_truth(run, start_tol=CLAMSHELL_START_TOL_S)
    # every rep flags here; the first is the fragile one (its reference is taken as the clip
    # starts), so the reps after it are the requirement
    for rep in run.report.reps[1:]:
        assert "pelvis_rocking" in rep.flags, f"rep {rep.index}: {rep.flags}"
    # the measured roll (relative to the rep's start) rises with the true roll, but it also rises
    # on a correct clamshell (see test_fresh_clamshell_correct_is_not_flagged): it reads high
    true, measured = run.paired("pelvis_rocking", "pelvis_rotation_deg")
    assert len(true) > 50
    assert np.corrcoef(true, measured)[0, 1] > 0.85
    # the shoulder-line roll over-reads this sample by about 7 deg (23-25 for a true 15)
    assert -1.0 < (measured - true).mean() < 9.0


def test_bridge_correct(sample):
    if "bridge" not in all_exercises():
        pytest.skip("no exercise 'bridge' registered yet (formcheck exercises)")
    run = sample("bridge_correct")
    _assert_reps_match_truth(run)
    for rep in run.report.reps:
        assert rep.flags == [], f"rep {rep.index}: {rep.flags}"
    # over_arch (hips above the shoulder-knee line, image) against the true hip extension, at
    # the top of each rep: measured mean error +1.2 deg, 95th percentile 5.9, r 0.91
    true, measured = run.paired("over_arch", "hip_extension_deg")
    assert len(true) > 40
    assert abs((measured - true).mean()) < 4.0
    assert np.percentile(np.abs(measured - true), 95) < 9.0
    assert np.corrcoef(true, measured)[0, 1] > 0.8


# --------------------------------------------------------------------------------------------
# Fresh renders (480x270, 10 fps, 4 s: about 10 s to render and 4 s to analyse each)
# --------------------------------------------------------------------------------------------

FRESH_SIZE = (480, 270)


@pytest.fixture(scope="session")
def fresh(model_dir, tmp_path_factory):
    """``fresh(name, spec_kwargs)``: render once per session, analyse once."""
    root = tmp_path_factory.mktemp("fresh_renders")
    done: dict[str, Run] = {}

    def run(name: str, exercise: str, **kwargs) -> Run:
        if name not in done:
            pytest.importorskip("moderngl")
            spec = RenderSpec(exercise, root / f"{name}.mp4", seconds=4.0, fps=10.0, size=FRESH_SIZE, **kwargs)
            video, truth = render_clip(spec)
            done[name] = _analyze(video, truth, root / name)
        return done[name]

    return run


def _plank_span(fresh) -> Run:
    return fresh("plank_sag_span", "plank", faults={"hip_sag": 15}, fault_spans={"hip_sag": (1.5, 3.0)},
                 view="side", seed=3)


def test_fresh_plank_sag_flags_during_its_span_only(fresh):
    run = _plank_span(fresh)
    t, states = run.times_s(), run.states("hip_sag")
    (fault,) = run.truth.faults
    assert (fault.start_s, fault.end_s) == (1.5, 3.0)
    assert not np.any(states[t < fault.start_s] == "flag"), "flagged before the sag"
    during = (t >= fault.start_s) & (t <= fault.end_s + 0.2)  # + hysteresis and smoothing lag
    assert np.any(states[during] == "flag"), "never flagged during the sag"
    assert not np.any(states[t > fault.end_s + 0.5] == "flag"), "still flagged long after"
    assert "hip_sag" in run.report.holds[0].flags


def test_fresh_plank_sag_measured_rise(fresh):
    """The sag raises the measured bend by 0.5-1.1 times its true size (measured: 0.84 on this
    seed; the samples give 0.58), over the frames where the fault is at full size."""
    run = _plank_span(fresh)
    level = np.array([f.fault_levels.get("hip_sag", 0.0) for f in run.truth.frames])
    m, t = run.column("hip_sag"), run.times_s()
    full = level == 15
    before = (t < 1.4) & np.isfinite(m)
    assert full.sum() >= 8 and before.sum() >= 8
    rise = np.nanmean(m[full]) - m[before].mean()
    assert 0.5 * 15 < rise < 1.1 * 15


def _clamshell(fresh, rocking: float) -> Run:
    faults = {"pelvis_rocking": rocking} if rocking else {}
    return fresh(f"clamshell_rock{rocking:g}", "clamshell", faults=faults, view="front",
                 camera_height=1.3, reps=2, seed=4)


@pytest.mark.xfail(strict=True, reason=(
    "measured with the shoulder-line roll: on this small, 10 fps render (seed 4) a true 20-deg "
    "rock reads 15.5 and 17.5 and a correct clamshell 13.3 and 17.7, under the 20-deg limit: from "
    "one camera MediaPipe's depth does not separate them here (the 24 fps sample does: 23-25 "
    "against 10-11 on a correct render). README: clamshell rocking is weak"))
def test_fresh_clamshell_rocking_flags_every_rep(fresh):
    run = _clamshell(fresh, 20)
    assert all(r.faults == ["pelvis_rocking"] for r in run.truth.reps)
    _assert_reps_match_truth(run, start_tol=CLAMSHELL_START_TOL_S)
    for rep in run.report.reps:
        assert "pelvis_rocking" in rep.flags, f"rep {rep.index}: {rep.flags}"


def test_fresh_clamshell_correct_is_not_flagged(fresh):
    run = _clamshell(fresh, 0)
    assert run.report.rep_count == 2
    for rep in run.report.reps:
        assert "pelvis_rocking" not in rep.flags, f"rep {rep.index}: {rep.metrics['pelvis_rocking']}"
