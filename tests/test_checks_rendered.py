"""The checks of side leg lift, cat/cow, deadlift, straight-arm pulldown, overhead ball raise,
anti-rotation (press and chop) and squat to row on rendered pixels through the real pipeline
(renderer -> H.264 -> MediaPipe -> smoothing -> engine), not on landmarks computed with the
check's own formula.

One camera per exercise, where its camera text puts it (the mannequin, 640x360 at 24 fps). A clip
carries several reps and each rep at most one fault (``fault_spans``), at the check's must-catch
size (its :class:`~formcheck.exercises.spec.Tolerance`) or the same size the other way round:

- the check flags its own fault in its flagging direction, and in both directions when the
  tolerance counts both ways (a thigh leaning forward or back);
- it does not flag the opposite direction of a one-way check (leaning forward is not leaning
  back; a bent knee is not a locked one), its fault at a size the tolerance accepts, a correct
  rep, or another check's fault, unless the render's truth says that fault moved this check's
  own quantity past must-pass too (a trunk leaning back all through a hinge also swings the
  hanging arms 17 degrees forward: between the hands check's sizes, so either answer is right);
- a check that does not judge the camera's view reads unknown there and never flags.

Tempo is not covered here (``benchmarks/tempo.py`` renders it).

The limits are the modules' calibrated ones (``benchmarks/calibration.py``), so these tests fail
when a limit no longer catches the must-catch size from the camera the guidance asks for, or when
a metric's sign is wrong. Synthetic landmarks (``tests/test_exercises_*.py``) test the engine's
logic; these test that the checks read real pixels the right way round.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from formcheck.api import analyze
from formcheck.exercises import get_exercise
from formcheck.exercises.spec import Exercise
from formcheck.render import MOTIONS, RenderSpec, RenderTruth, render_clip
from formcheck.render.motions import engine_view
from formcheck.report import RepReport, SessionReport
from tests.rendered import matching_rep, must_catch

pytestmark = pytest.mark.slow

SIZE = (640, 360)
FPS = 24.0
#: Lead-in before the first rep (:func:`formcheck.render.animate.schedule`, clips of 6.25 s or more).
LEAD_S = 0.5


@dataclass(frozen=True)
class Shot:
    """Where the camera stands for one exercise (shared by its clips)."""

    #: the render motion (``MOTIONS`` key): the exercise's id, or its second form's
    exercise: str
    view: str
    camera_height: float
    camera_distance: float = 2.5
    side: str = "left"
    seed: int = 7
    rep_s: float = 3.0  # one rep's slot; cat/cow's two poses need more


@dataclass(frozen=True)
class Rep:
    """One rep of a clip: the fault planted in it (None: a correct rep) and the checks that must
    flag it (every other check the view judges must not)."""

    fault: tuple[str, float] | None = None
    flags: tuple[str, ...] = ()


def _exercise(motion: str) -> Exercise:
    """The exercise a render motion films (the chop is a form of anti-rotation)."""
    return get_exercise(MOTIONS[motion].exercise_id)


def good() -> Rep:
    return Rep()


def caught(exercise: str, check_id: str, sign: float = 1.0) -> Rep:
    """The check's fault at its must-catch size, which it must flag."""
    return Rep((check_id, must_catch(exercise, check_id, sign)), (check_id,))


def passed(check_id: str, value: float) -> Rep:
    """The check's fault at ``value`` (the other direction, or form the tolerance accepts):
    nothing may flag."""
    return Rep((check_id, value), ())


@dataclass(frozen=True)
class Run:
    shot: Shot
    reps: tuple[Rep, ...]
    truth: RenderTruth
    report: SessionReport
    frames: list[dict[str, str]]

    def slot(self, i: int) -> tuple[float, float]:
        return LEAD_S + i * self.shot.rep_s, LEAD_S + (i + 1) * self.shot.rep_s

    def detected(self, i: int) -> RepReport | None:
        """The engine's rep that overlaps the i-th rendered rep the most."""
        return matching_rep(self.truth.reps[i], self.report.reps)

    def live_flag(self, check_id: str, i: int) -> bool:
        """Any frame of the i-th rep's slot (its rest included) flagged live by ``check_id``."""
        a, b = self.slot(i)
        return any(a <= int(r["t_ms"]) / 1000.0 <= b and r[f"{check_id}_state"] == "flag"
                   for r in self.frames)


def _render_and_analyze(shot: Shot, reps: tuple[Rep, ...], root: Path) -> Run:
    faults, spans = {}, {}
    for i, rep in enumerate(reps):
        if rep.fault is None:
            continue
        cid, value = rep.fault
        assert faults.get(cid, value) == value, f"{cid} planted at two sizes in one clip"
        faults[cid] = value
        spans.setdefault(cid, []).append(i)
    # a fault planted in one rep spans that rep's slot; one planted in every rep, the whole clip
    spans = {cid: (LEAD_S + idx[0] * shot.rep_s, LEAD_S + (idx[0] + 1) * shot.rep_s)
             for cid, idx in spans.items() if len(idx) < len(reps)}
    assert all(len([r for r in reps if r.fault and r.fault[0] == cid]) == 1 for cid in spans), \
        "a fault is planted in one rep or in all of them"
    name = "_".join([shot.exercise, *(f"{k}{v:g}" for k, v in sorted(faults.items()))])
    out = root / name
    spec = RenderSpec(shot.exercise, out.with_suffix(".mp4"), faults=faults, fault_spans=spans,
                      view=shot.view, seconds=len(reps) * shot.rep_s + 2 * LEAD_S, reps=len(reps),
                      seed=shot.seed, size=SIZE, fps=FPS, side=shot.side,
                      camera_height=shot.camera_height, camera_distance=shot.camera_distance,
                      camera_yaw=0.0)
    video, truth = render_clip(spec)
    report, outputs = analyze(video, MOTIONS[shot.exercise].exercise_id, out, write_video=False,
                              clearance_confirmed=True)
    with open(outputs.frames_csv, newline="") as fh:
        frames = list(csv.DictReader(fh))
    return Run(shot, reps, truth, report, frames)


# --------------------------------------------------------------------------------------------
# What is filmed. Checks judged from the shot's view and with a renderer fault appear below in
# both directions; a check left out has no renderer fault (see the calibration's "Not
# calibrated" list) but must still not flag a correct rep or another check's fault.
# --------------------------------------------------------------------------------------------

#: Checks judged on the live per-frame flags of each rep's slot (its rest included), not on the
#: rep's verdict: the deadlift's lean back comes at lockout, after the hinge's rep has ended;
#: cat/cow's set-up checks apply whether or not the rep is counted (on renders its reps are not:
#: see ``test_every_rep_is_counted``).
LIVE = {("deadlift", "lean_back"), ("cat_cow", "hands_under_shoulders"),
        ("cat_cow", "knees_under_hips"), ("cat_cow", "back_level")}

#: One-way checks whose other direction is every correct rep: the hinge leans the trunk 40-60
#: degrees forward; a row's forward lean is the other way of its lean back and vice versa.
OTHER_WAY = {("deadlift", "lean_back"), ("squat_to_row", "row_upright"),
             ("squat_to_row", "row_lean_back")}


def _caught(exercise: str, *checks: str) -> tuple[Rep, ...]:
    return tuple(caught(exercise, c) for c in checks)


CLIPS: dict[str, tuple[Shot, tuple[tuple[Rep, ...], ...]]] = {
    # a clip takes one size per fault: the faults, then their other ways
    "deadlift": (Shot("deadlift", "side", camera_height=0.9), (
        (good(), *_caught("deadlift", "knees_soft", "hands_close")),
        (passed("knees_soft", 150.0), passed("hands_close", 10.0)),
        # standing tall leaning back, the whole clip (the lockout is between the reps)
        (caught("deadlift", "lean_back"), caught("deadlift", "lean_back")),
    )),
    "straight_arm_pulldown": (Shot("straight_arm_pulldown", "side", camera_height=1.3), (
        (good(), *_caught("straight_arm_pulldown", "arms_straight", "lean_back")),
        (passed("arms_straight", 15.0), passed("lean_back", -15.0)),
    )),
    "overhead_ball_raise": (Shot("overhead_ball_raise", "side", camera_height=0.9), (
        (good(), *_caught("overhead_ball_raise", "arms_straight", "lean_back")),
        (passed("arms_straight", 15.0), passed("lean_back", -15.0)),
    )),
    "squat_to_row": (Shot("squat_to_row", "side", camera_height=0.9), (
        (good(), *_caught("squat_to_row", "squat_lean", "knees_past_toes", "elbows_back",
                          "row_upright", "row_lean_back")),
        (passed("squat_lean", 45.0), passed("knees_past_toes", 5.0), passed("elbows_back", 5.0)),
    )),
    "side_leg_lift": (Shot("side_leg_lift", "front", camera_height=0.5, camera_distance=2.0), (
        (good(), caught("side_leg_lift", "too_high")),
        (good(), passed("too_high", 45.0)),
    )),
    "cat_cow": (Shot("cat_cow", "side", camera_height=0.6, rep_s=4.0), (
        (good(), *_caught("cat_cow", "hands_under_shoulders", "knees_under_hips")),
        (caught("cat_cow", "hands_under_shoulders", -1.0), caught("cat_cow", "knees_under_hips", -1.0)),
    )),
    "anti_rotation": (Shot("anti_rotation", "side", camera_height=1.3), (
        (good(), *_caught("anti_rotation", "trunk_posture", "knees_slight")),
        (caught("anti_rotation", "trunk_posture", -1.0), passed("knees_slight", 25.0)),
    )),
    # half-kneeling: the knee check is the standing one's and reads unknown here
    "anti_rotation_chop": (Shot("anti_rotation_chop", "side", camera_height=1.0), (
        (good(), *_caught("anti_rotation", "arms_straight", "trunk_posture")),
        (passed("arms_straight", 15.0), caught("anti_rotation", "trunk_posture", -1.0)),
    )),
}


def _flag_of(run: Run, check_id: str, i: int) -> bool:
    if (run.shot.exercise, check_id) in LIVE:
        return run.live_flag(check_id, i)
    rep = run.detected(i)
    return rep is not None and check_id in rep.flags


def _true_size(run: Run, check_id: str, i: int) -> float | None:
    """The true size of ``check_id``'s fault in the i-th rep, in its tolerance's units, from the
    render's truth (as ``benchmarks/calibration.py`` takes it: the fault's truth metric, from the
    rep's start for a relative check, a magnitude for a two-way one, at the top for a top check);
    None when the renderer has no fault (so no truth) for the check."""
    fault = MOTIONS[run.shot.exercise].faults.get(check_id)
    if fault is None:
        return None
    check = _exercise(run.shot.exercise).check(check_id)
    truth = run.truth
    t = truth.times_s()
    series = np.nanmax([d.sign * truth.angle_series(d.metric) for d in fault.drives], axis=0)
    rep = truth.reps[i]
    a, b = run.slot(i) if (run.shot.exercise, check_id) in LIVE else (rep.start_s, rep.end_s)
    inside = (t >= a) & (t <= b)
    if check.relative:
        series = series - series[int(np.argmin(np.abs(t - rep.start_s)))]
    if check.tolerance.both_ways:
        series = np.abs(series)
    if check.applies == "top":
        inside &= np.array([f.phase == "top" for f in truth.frames])
    if fault.peak is not None:
        inside &= np.array([f.pose == fault.peak for f in truth.frames])
    return float(np.nanmax(series[inside])) if inside.any() else None


def _expected(run: Run, check_id: str, i: int) -> bool | None:
    """Must the check flag the i-th rep (None: either is right)? Its own planted fault as
    planned; otherwise from the truth: at most must-pass, no; at least must-catch, yes; between
    (another fault moving this check's quantity part of the way), either."""
    rep = run.reps[i]
    if rep.fault is not None and rep.fault[0] == check_id:
        return check_id in rep.flags
    true = _true_size(run, check_id, i)
    tol = _exercise(run.shot.exercise).check(check_id).tolerance
    if true is None or true <= tol.must_pass + 0.06:
        return False
    return True if true >= tol.must_catch else None


def _judged(motion: str, view: str) -> set[str]:
    return {c.id for c in _exercise(motion).checks if engine_view(view) in c.views}


CASES = [(ex, k) for ex, (_, clips) in CLIPS.items() for k in range(len(clips))]


@pytest.fixture(scope="module")
def runs(model_dir, tmp_path_factory):
    pytest.importorskip("moderngl")
    done: dict[tuple[str, int], Run] = {}

    def get(exercise: str, k: int) -> Run:
        if (exercise, k) not in done:
            shot, clips = CLIPS[exercise]
            done[(exercise, k)] = _render_and_analyze(shot, clips[k], tmp_path_factory.mktemp(exercise))
        return done[(exercise, k)]

    return get


#: Exercises whose rendered reps the counter is known to miss: cat/cow counts on the back's
#: outline from a fixed neutral, which the renders' neutral misses (``formcheck.exercises.cat_cow``).
NOT_COUNTED = {"cat_cow"}


_MISSED = pytest.mark.xfail(
    strict=True, reason="the rendered back's outline reads its neutral far from the shared clips' "
                        "-15, so the cat and cow stay under the counter's bands")


@pytest.mark.parametrize(("exercise", "k"), [
    pytest.param(ex, k, marks=_MISSED) if ex in NOT_COUNTED else (ex, k) for ex, k in CASES],
    ids=[f"{ex}-{k}" for ex, k in CASES])
def test_every_rep_is_counted(runs, exercise, k):
    run = runs(exercise, k)
    assert len(run.truth.reps) == len(run.reps)
    missing = [i for i in range(len(run.reps)) if run.detected(i) is None]
    assert not missing, f"reps {missing} not counted: {[(r.start_s, r.end_s) for r in run.report.reps]}"


@pytest.mark.parametrize(("exercise", "k"), CASES, ids=[f"{ex}-{k}" for ex, k in CASES])
def test_each_check_flags_its_fault_and_nothing_else(runs, exercise, k):
    run = runs(exercise, k)
    judged = _judged(exercise, run.shot.view)
    wrong = []
    for i, rep in enumerate(run.reps):
        detected = run.detected(i)
        for cid in sorted(judged):
            got, want = _flag_of(run, cid, i), _expected(run, cid, i)
            if want is not None and got != want:
                value = None if detected is None else detected.metrics.get(cid)
                wrong.append(f"rep {i} ({rep.fault}): {cid} {'flagged' if got else 'missed'}, "
                             f"worst {value}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(("exercise", "k"), CASES, ids=[f"{ex}-{k}" for ex, k in CASES])
def test_planted_faults_have_their_true_size(runs, exercise, k):
    """The renderer's truth agrees with the plan: a caught rep's fault is at must-catch (within
    the renderer's reach, 10 %) and a passed one short of it, so the flags above are judged
    against the sizes they claim."""
    run = runs(exercise, k)
    for i, rep in enumerate(run.reps):
        if rep.fault is None:
            continue
        cid = rep.fault[0]
        tol = _exercise(exercise).check(cid).tolerance
        true = _true_size(run, cid, i)
        if cid in rep.flags:
            assert true >= 0.9 * tol.must_catch, (i, cid, true)
        else:
            assert true < tol.must_catch, (i, cid, true)


@pytest.mark.parametrize(("exercise", "k"), CASES, ids=[f"{ex}-{k}" for ex, k in CASES])
def test_checks_blind_from_this_view_read_unknown(runs, exercise, k):
    run = runs(exercise, k)
    blind = {c.id for c in _exercise(exercise).checks} - _judged(exercise, run.shot.view)
    for cid in blind:
        states = {r[f"{cid}_state"] for r in run.frames}
        assert "flag" not in states, f"{cid} is not judged from the {run.shot.view} view but flagged"
        for rep in run.report.reps:
            assert rep.unknown_fraction[cid] == 1.0, (cid, rep.unknown_fraction)


def test_the_clips_cover_every_judged_check_both_ways():
    """Every check a shot's view judges, with a fault the renderer can plant, is caught in the
    clips above and, for a one-way check, shown the other way round without a flag."""
    missing = []
    for exercise, (shot, clips) in CLIPS.items():
        reps = [r for clip in clips for r in clip]
        for cid in sorted(_judged(exercise, shot.view) & set(MOTIONS[exercise].faults)):
            tol = _exercise(exercise).check(cid).tolerance
            planted = [r.fault[1] for r in reps if r.fault and r.fault[0] == cid]
            flagged = [r.fault[1] for r in reps if r.fault and r.fault[0] == cid and cid in r.flags]
            if not flagged:
                missing.append(f"{exercise}.{cid}: never caught")
            elif tol.both_ways and not (min(flagged) < 0 < max(flagged)):
                missing.append(f"{exercise}.{cid}: caught one way only")
            elif (not tol.both_ways and len(planted) == len(flagged)
                  and (exercise, cid) not in OTHER_WAY):
                missing.append(f"{exercise}.{cid}: never shown the other way")
    assert not missing, "\n".join(missing)


def test_live_checks_are_judged_outside_the_rep():
    for exercise, cid in LIVE:
        assert _exercise(exercise).check(cid).applies == "always"
