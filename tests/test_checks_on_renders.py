"""Each headline check's sign and both directions, on rendered pixels through the real pipeline
(renderer -> H.264 -> MediaPipe -> smoothing -> engine), not on landmarks computed with the
check's own formula.

One clip per exercise and body model carries several faults in turn (``fault_spans``): for a
hold, each fault fills its own few seconds; for reps, each fault is planted in its own rep. A
check must flag where its fault is at the must-catch size (the tolerance's), and must not flag
where another fault, or its own fault in the opposite direction, is: sag is not pike, a hanging
head is not a craned one. The camera is where the exercise's camera text puts it, with both
body models and either side facing the camera.

The sizes are the checks' declared tolerances, so these tests fail when a limit no longer
catches the must-catch size (the earlier plank ``head_in_line`` limit of 30 missed a head
hanging 30 degrees; the bridge's ``over_arch`` limit of 20 missed a 12-degree over-arch, and
``hip_sag`` at 4 missed a 10-degree sag). The clamshell's rocking is not here: it does not
separate on renders (README, calibration table), and its set-up bends are unknown from its views;
its ``feet_together`` is.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from formcheck.api import analyze
from formcheck.render import RenderSpec, RenderTruth, render_clip
from formcheck.render.animate import schedule
from formcheck.report import SessionReport
from tests.rendered import matching_rep, must_catch

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Run:
    truth: RenderTruth
    report: SessionReport
    rows: list[dict[str, str]]

    def times_s(self) -> np.ndarray:
        return np.array([int(r["t_ms"]) for r in self.rows]) / 1000.0

    def share(self, check_id: str, state: str, start_s: float, end_s: float) -> float:
        """Share of the frames in [start_s, end_s] where ``check_id`` is in ``state``."""
        t = self.times_s()
        inside = (t >= start_s) & (t <= end_s)
        states = np.array([r[f"{check_id}_state"] for r in self.rows])
        return float(np.mean(states[inside] == state)) if inside.any() else float("nan")

    def flagged(self, check_id: str, start_s: float, end_s: float) -> float:
        return self.share(check_id, "flag", start_s, end_s)


def _run(spec: RenderSpec, out: Path) -> Run:
    _, truth = render_clip(spec)
    report, outputs = analyze(spec.out, spec.exercise, out, write_video=False)
    with open(outputs.frames_csv, newline="") as fh:
        return Run(truth, report, list(csv.DictReader(fh)))


@pytest.fixture(scope="module")
def runs(model_dir, tmp_path_factory):
    done: dict[tuple, Run] = {}

    def get(name: str, **kw) -> Run:
        key = (name, repr(sorted(kw.items())))
        if key not in done:
            d = tmp_path_factory.mktemp(name)
            done[key] = _run(RenderSpec(out=d / "clip.mp4", **kw), d / "out")
        return done[key]

    return get


# --------------------------------------------------------------------------------------------
# Plank: one 16 s hold, four faults in turn
# --------------------------------------------------------------------------------------------

PLANK_SPANS = {"hip_sag": (3.0, 6.0), "hip_pike": (6.5, 9.5), "head_hanging": (10.0, 13.0),
               "head_craned": (13.5, 16.0)}
PLANK_CHECKS = ("hip_sag", "hip_pike", "head_hanging", "head_craned")
BODIES = [("mannequin", "average_man", "left"), ("makehuman", "average_woman", "right")]


@pytest.fixture(scope="module", params=BODIES, ids=lambda b: f"{b[0]}-{b[1]}")
def plank(request, runs):
    model, preset, side = request.param
    return runs(f"plank_{model}", exercise="plank", seconds=16.0, fps=24.0, size=(640, 360),
                seed=11, side=side, camera_height=0.5, camera_distance=2.6, camera_yaw=0.0,
                body_model=model, body_preset=preset,
                faults={c: must_catch("plank", c) for c in PLANK_CHECKS},
                fault_spans=PLANK_SPANS)


#: (body model, check) pairs that miss their must-catch fault here, as the calibration says
#: they may (README, calibration table: no head limit separates neutral from 30 degrees on
#: every body). Strict: a change that makes one pass must take it off this list.
KNOWN_MISSES = {("mannequin", "head_hanging"):
                "a 30-degree hanging head reads 16-17.5 on this camera, under the limit of 24"}


@pytest.mark.parametrize("check_id", PLANK_CHECKS)
def test_plank_check_flags_its_own_fault_and_no_other(request, plank, check_id):
    reason = KNOWN_MISSES.get((request.node.callspec.params["plank"][0], check_id))
    if reason:
        request.applymarker(pytest.mark.xfail(reason=reason, strict=True))
    a, b = PLANK_SPANS[check_id]
    # the hold envelope ramps in over the span's first part; judge its second half
    assert plank.flagged(check_id, (a + b) / 2, b) >= 0.5, f"{check_id} missed its fault"
    assert plank.flagged(check_id, 0.5, 2.5) == 0.0, f"{check_id} flagged the clean start"
    for other, (c, d) in PLANK_SPANS.items():
        if other != check_id:
            assert plank.flagged(check_id, (c + d) / 2, d) == 0.0, f"{check_id} flagged {other}"


def test_plank_is_held_throughout_even_strongly_piked(plank):
    assert len(plank.report.holds) == 1
    hold = plank.report.holds[0]
    assert hold.start_s < 1.0 and hold.end_s > 15.0


# --------------------------------------------------------------------------------------------
# Bird dog, bridge and clamshell: one fault per rep, after a clean first rep
# --------------------------------------------------------------------------------------------


def _rep_flags(run: Run) -> list[set[str]]:
    """Flags of the detected rep that overlaps each truth rep most, in truth order (an empty
    set where no rep was detected)."""
    matches = [matching_rep(rep, run.report.reps) for rep in run.truth.reps]
    return [set(m.flags) if m else set() for m in matches]


def _rep_spans(seconds: float, reps: int) -> list[tuple[float, float]]:
    """Each rep's slot in the renderer's schedule (lead-in, then evenly spaced reps)."""
    return [(t.segments[0].start, t.segments[-1].end) for t in schedule(seconds, reps, "one", "l")]


#: (exercise, view, camera height m, checks planted one per rep after a clean first rep)
REP_CLIPS = {
    "bird_dog": ("side", 0.6, ("spine_neutral", "limb_above_torso")),
    "bridge": ("side", 0.4, ("over_arch",)),
    # from the front and above, as the camera text asks; rocking does not separate (README)
    "clamshell": ("front", 1.2, ("feet_together",)),
}
REP_SECONDS = {"bird_dog": 4.5, "bridge": 4.0, "clamshell": 4.0}  # per rep


@pytest.fixture(scope="module", params=[(ex, *b) for ex in REP_CLIPS for b in BODIES],
                ids=lambda p: f"{p[0]}-{p[1]}-{p[2]}")
def rep_clip(request, runs):
    exercise, model, preset, side = request.param
    view, height, checks = REP_CLIPS[exercise]
    reps = 1 + len(checks)
    seconds = REP_SECONDS[exercise] * reps
    spans = _rep_spans(seconds, reps)[1:]
    run = runs(f"{exercise}_{model}", exercise=exercise, view=view, seconds=seconds, reps=reps,
               fps=30.0, size=(640, 360), seed=5, side=side, camera_height=height,
               camera_distance=2.6, camera_yaw=0.0, body_model=model, body_preset=preset,
               faults={c: must_catch(exercise, c) for c in checks},
               fault_spans=dict(zip(checks, spans)))
    return exercise, checks, run


def test_rep_clip_counts_every_rep(rep_clip):
    _, checks, run = rep_clip
    assert len(run.report.reps) == len(run.truth.reps) == 1 + len(checks)


def test_rep_check_flags_its_own_fault_and_no_other(rep_clip):
    exercise, checks, run = rep_clip
    flags = _rep_flags(run)
    assert not flags[0] & set(checks), f"{exercise}: the clean first rep was flagged {flags[0]}"
    for planted, rep_flags in zip(checks, flags[1:]):
        assert planted in rep_flags, f"{exercise}.{planted} missed its fault (flags {rep_flags})"
        others = rep_flags & set(checks) - {planted}
        assert not others, f"{exercise}: the {planted} rep was also flagged {others}"


def test_bridge_over_arch_is_unknown_from_a_raised_camera(runs):
    """A camera 1.1 m high looking down at the bridge reads a straight one about 8 degrees
    arched (the limit); ``over_arch`` must read unknown there, never flag, and say so in the
    rep, while the camera at knee height above still judges it."""
    run = runs("bridge_raised", exercise="bridge", view="side", seconds=8.0, reps=2, fps=30.0,
               size=(640, 360), seed=5, side="left", camera_height=1.1, camera_distance=2.6,
               camera_yaw=-15.0, body_model="mannequin", body_preset="heavy")
    assert len(run.report.reps) == 2
    for rep in run.report.reps:
        assert "over_arch" not in rep.flags
        assert rep.unknown_fraction["over_arch"] == 1.0
    summary = next(c for c in run.report.checks if c.id == "over_arch")
    assert summary.note and "within 12 degrees of square side-on" in summary.note


def test_plank_hip_sag_is_unknown_from_a_steeply_raised_camera(runs):
    """The calibration's one camera whose correct planks flagged ``hip_sag``: 1.23 m high and
    1.6 m away, looking down 34 degrees at a MakeHuman man whose hips are truly 3 degrees high.
    Outside the check's 20-degree camera gate it must not flag, and the report must say why;
    the plank itself is still timed and the other checks still judged."""
    run = runs("plank_raised", exercise="plank", view="side", seconds=4.0, fps=30.0,
               size=(360, 640), seed=287982, side="right", camera_height=1.234,
               camera_distance=1.627, camera_yaw=9.78, body_model="makehuman",
               body_preset="average_man")
    assert len(run.report.holds) == 1
    assert "hip_sag" not in run.report.holds[0].flags
    assert run.share("hip_sag", "unknown", 0.5, 3.5) >= 0.8
    assert run.share("hip_pike", "unknown", 0.5, 3.5) < 0.2
    summary = next(c for c in run.report.checks if c.id == "hip_sag")
    assert summary.note and "within 20 degrees of square side-on" in summary.note
