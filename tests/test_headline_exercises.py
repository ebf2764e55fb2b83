"""Plank, bird dog and clamshell on ground-truth synthetic sequences: exact counts, and each
planted fault flags where it was planted and nowhere else."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from formcheck.body import Body
from formcheck.engine import Analyzer
from formcheck.exercises import get_exercise
from formcheck.exercises import clamshell as cs
from formcheck.exercises import plank as pk
from formcheck.frames import PoseFrame
from formcheck.landmarks import Landmark
from tests import skeletons
from tests.factories import dropout, jitter

FPS = 30


def _ms(i: int) -> int:
    return int(round(i * 1000 / FPS))


def _run(exercise: str, frames: list[PoseFrame]) -> Analyzer:
    analyzer = Analyzer(get_exercise(exercise))
    for f in frames:
        analyzer.update(f)
    analyzer.finish()
    return analyzer


def _mirror(frame: PoseFrame) -> PoseFrame:
    """The same pose seen in a mirror (image x flipped, left/right labels kept)."""
    if not frame.has_person:
        return frame
    xy = frame.xy.copy()
    xy[:, 0] = frame.image_size[0] - xy[:, 0]
    world = frame.world.copy()
    world[:, 0] = -world[:, 0]
    mask = None if frame.mask is None else frame.mask[:, ::-1].copy()
    return replace(frame, xy=xy, world=world, mask=mask)


# -- plank ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("sag", [-20.0, -5.0, 0.0, 8.0, 15.0])
@pytest.mark.parametrize("facing", [-1, 1])
def test_plank_metric_reads_the_true_bend(sag, facing):
    body = Body(skeletons.plank(0, sag_deg=sag, facing=facing))
    assert pk.hip_sag(body) == pytest.approx(sag, abs=0.3)
    assert pk.hip_pike(body) == pytest.approx(-sag, abs=0.3)


def test_plank_flags_sag_only_during_the_planted_span():
    rng = np.random.default_rng(1)
    frames = []
    for i in range(6 * FPS):
        t = i / FPS
        # a straight body as MediaPipe reads it: hips about 2.5 degrees high (calibration)
        sag = 15.0 if 2.0 <= t < 4.0 else -2.5
        f = jitter(skeletons.plank(_ms(i), sag_deg=sag), rng, 1.0)
        frames.append(dropout(f) if i == 100 else f)
    analyzer = Analyzer(get_exercise("plank"))
    states = [analyzer.update(f).readings["hip_sag"].state for f in frames]
    analyzer.finish()
    flagged_t = [i / FPS for i, s in enumerate(states) if s == "flag"]
    assert flagged_t and 2.0 <= min(flagged_t) <= 2.6 and 3.9 <= max(flagged_t) <= 4.2
    others = {cid for f_ in [analyzer] for cid, c in f_.check_state_counts.items()
              if cid != "hip_sag" and c["flag"]}
    assert others == set()
    assert len(analyzer.holds) == 1
    hold = analyzer.holds[0]
    assert hold.flags == ("hip_sag",)
    assert hold.span.duration_s == pytest.approx(6.0, abs=0.1)
    assert hold.span.good_s == pytest.approx(4.0, abs=0.6)
    assert hold.checks["hip_sag"].worst == pytest.approx(15.0, abs=2.5)


def test_plank_pike_tolerated_until_an_inverted_v():
    mild = _run("plank", [skeletons.plank(_ms(i), sag_deg=-15.0) for i in range(3 * FPS)])
    steep = _run("plank", [skeletons.plank(_ms(i), sag_deg=-35.0) for i in range(3 * FPS)])
    assert mild.holds and mild.holds[0].flags == ()
    assert steep.holds and "hip_pike" in steep.holds[0].flags


def test_plank_elbows_and_knees():
    elbows = _run("plank", [skeletons.plank(_ms(i), elbow_forward_deg=40) for i in range(3 * FPS)])
    knees = _run("plank", [skeletons.plank(_ms(i), knee_bend_deg=50) for i in range(3 * FPS)])
    assert elbows.holds[0].flags == ("elbows_under_shoulders",)
    assert "knees_off_floor" in knees.holds[0].flags


def test_plank_no_hold_when_standing():
    frames = []
    for i in range(2 * FPS):
        f = skeletons.plank(_ms(i))
        # Rotate the whole body 90 degrees: an upright person is not in a plank.
        c = np.array([640.0, 420.0])
        d = f.xy - c
        frames.append(replace(f, xy=c + np.stack([-d[:, 1], d[:, 0]], axis=1)))
    assert _run("plank", frames).holds == []


# -- bird dog ------------------------------------------------------------------------------------

def _bird_dog_set(faults: dict[int, str], facing: int = -1, mask: bool = True) -> list[PoseFrame]:
    """Six reps alternating sides (left arm first), 3 s each: 1 s up, 1 s hold, 1 s down.
    ``faults`` maps rep index (0-based) to a fault name. With ``mask``, the frames carry a person
    mask whose back outline reads -15 deg (a little hollow, as real outlines do) at rest."""
    rng = np.random.default_rng(7)
    frames, i = [], 0
    for rep in range(6):
        arm_side = "left" if rep % 2 == 0 else "right"
        fault = faults.get(rep)
        for k in range(int(3.6 * FPS)):
            t = k / FPS
            x = min(t, 1.0) if t < 2.0 else max(0.0, 3.0 - t)  # 0 -> 1 -> 0
            arm_top, back_change = 0.0, 0.0
            leg_side = None
            if fault == "round":
                back_change = 20.0  # the outline rounds by 20 deg at full reach
            elif fault == "hollow":
                back_change = -20.0  # what real correct reps show: not a rounding fault
            elif fault == "high":
                arm_top = 35.0
            elif fault == "same_side":
                leg_side = arm_side
            arm = -90 + x * (90 + arm_top)
            thigh = -90 + x * 90
            back = -15.0 + x * back_change if mask else None
            f = skeletons.bird_dog(_ms(i), arm, thigh, arm_side, leg_side, facing, shin_deg=0.0,
                                   back_bend_deg=back)
            frames.append(jitter(f, rng, 0.8))
            i += 1
    return frames


def test_bird_dog_counts_reps_per_side_exactly():
    analyzer = _run("bird_dog", _bird_dog_set({}))
    assert len(analyzer.reps) == 6
    assert [r.boundary.side for r in analyzer.reps] == ["left", "right"] * 3
    assert all(r.flags == () for r in analyzer.reps), [r.flags for r in analyzer.reps]
    assert all(r.boundary.top_pause_s == pytest.approx(1.0, abs=0.25) for r in analyzer.reps)


@pytest.mark.parametrize("fault,check", [("round", "spine_neutral"), ("high", "limb_above_torso"),
                                         ("same_side", "opposite_limbs")])
def test_bird_dog_fault_flags_its_rep_only(fault, check):
    analyzer = _run("bird_dog", _bird_dog_set({2: fault}))
    assert len(analyzer.reps) == 6
    flags = [r.flags for r in analyzer.reps]
    assert flags[2] == (check,), flags
    assert all(f == () for k, f in enumerate(flags) if k != 2), flags


def test_bird_dog_left_right_mirror_twins_agree():
    frames = _bird_dog_set({3: "round"})
    a = _run("bird_dog", frames)
    b = _run("bird_dog", [_mirror(f) for f in frames])
    assert [r.flags for r in a.reps] == [r.flags for r in b.reps]
    assert [r.boundary.side for r in a.reps] == [r.boundary.side for r in b.reps]
    for ra, rb in zip(a.reps, b.reps):
        for cid in ra.checks:
            wa, wb = ra.checks[cid].worst, rb.checks[cid].worst
            assert (math.isnan(wa) and math.isnan(wb)) or wa == pytest.approx(wb, abs=1e-6)


def test_bird_dog_pelvis_level_is_unknown_side_on():
    analyzer = _run("bird_dog", _bird_dog_set({}))
    assert analyzer.check_state_counts["pelvis_level"]["flag"] == 0
    assert analyzer.check_state_counts["pelvis_level"]["ok"] == 0
    assert analyzer.main_view == "side"


def test_bird_dog_hollowing_outline_is_not_a_rounding_fault():
    analyzer = _run("bird_dog", _bird_dog_set({1: "hollow", 4: "hollow"}))
    assert [r.flags for r in analyzer.reps] == [()] * 6
    # "worst" of an above-limit check is its highest reading over the top of the rep: the
    # least hollow frame there, still well below 0
    assert all(analyzer.reps[k].checks["spine_neutral"].worst < -10 for k in (1, 4))


def test_bird_dog_rounding_reads_the_planted_change():
    analyzer = _run("bird_dog", _bird_dog_set({2: "round"}))
    worst = [r.checks["spine_neutral"].worst for r in analyzer.reps]
    assert worst[2] == pytest.approx(20, abs=4)
    assert all(abs(w) < 3 for k, w in enumerate(worst) if k != 2), worst


def test_bird_dog_one_glitched_outline_at_the_rep_start_does_not_shift_the_rep():
    """The reference of a relative check is the median of the rest before the rep, not the
    single frame where the rep starts (a mask outline can jump on one frame)."""
    frames = _bird_dog_set({})
    start = 2 * int(3.6 * FPS) + 3  # rep 3's last frame still in the rest band
    glitch = skeletons.bird_dog(0, -90, -90, back_bend_deg=-45.0).mask
    frames[start] = replace(frames[start], mask=glitch)
    analyzer = _run("bird_dog", frames)
    assert [r.flags for r in analyzer.reps] == [()] * 6
    assert abs(analyzer.reps[2].checks["spine_neutral"].worst) < 3


def test_bird_dog_back_is_unknown_without_a_mask():
    analyzer = _run("bird_dog", _bird_dog_set({2: "round"}, mask=False))
    assert len(analyzer.reps) == 6
    assert all(r.flags == () for r in analyzer.reps)
    counts = analyzer.check_state_counts["spine_neutral"]
    assert counts["flag"] == 0 and counts["ok"] == 0


def test_bird_dog_cue_for_the_fault_and_praise_for_clean_reps():
    analyzer = _run("bird_dog", _bird_dog_set({1: "high"}))
    texts = [(c.kind, c.source) for c in analyzer.cue_log]
    assert ("correction", "limb_above_torso") in texts
    assert ("praise", "rep") in texts
    assert all(src != "pelvis_level" for _, src in texts)  # unknown checks never cue


# -- clamshell -----------------------------------------------------------------------------------

def _clam_set(rock: dict[int, float] | None = None, feet: dict[int, float] | None = None,
              reps: int = 4) -> list[PoseFrame]:
    rock, feet = rock or {}, feet or {}
    frames, i = [], 0
    rng = np.random.default_rng(3)
    for rep in range(reps):
        for k in range(int(3.5 * FPS)):
            t = k / FPS
            x = min(t / 1.2, 1.0) if t < 2.2 else max(0.0, (3.2 - t) / 1.0)
            f = skeletons.clamshell(_ms(i), opening_deg=45 * x, rock_deg=rock.get(rep, 0.0) * x,
                                    feet_apart_m=feet.get(rep, 0.0) * x)
            frames.append(jitter(f, rng, 0.5))
            i += 1
    return frames


def test_clamshell_metrics_read_the_true_pose():
    still = Body(skeletons.clamshell(0, opening_deg=0))
    opened = Body(skeletons.clamshell(0, opening_deg=45))
    rocked = Body(skeletons.clamshell(0, opening_deg=45, rock_deg=20))
    assert cs.knee_opening(still) < 20  # knees touching: the thighs converge from the hips
    assert cs.knee_opening(opened) > 35
    assert cs.trunk_roll(rocked) - cs.trunk_roll(opened) == pytest.approx(20.0, abs=0.5)
    assert cs.top_side(opened) == "right"


def test_clamshell_counts_and_flags_rocking_in_the_planted_rep():
    analyzer = _run("clamshell", _clam_set(rock={1: 25.0}))
    assert len(analyzer.reps) == 4
    flags = [r.flags for r in analyzer.reps]
    assert "pelvis_rocking" in flags[1]
    assert all("pelvis_rocking" not in f for k, f in enumerate(flags) if k != 1), flags
    # Measured from the rep's start (the lift's first 15%), so a little under the planted 25.
    assert analyzer.reps[1].checks["pelvis_rocking"].worst == pytest.approx(25.0, abs=3.5)
    assert {r.boundary.side for r in analyzer.reps} == {"right"}


def test_clamshell_feet_gap_follows_the_lift_not_the_opening():
    # Orthographic front camera, 500 px/m: the torso (shoulder to hip midpoint) is 0.5 m.
    def gap(opening: float, lift: float) -> float:
        return cs.feet_gap(Body(skeletons.clamshell(0, opening_deg=opening, feet_apart_m=lift)))

    rest = gap(0, 0.0)
    assert gap(45, 0.0) == pytest.approx(rest, abs=1e-6)  # opening the knee alone: no change
    assert gap(45, 0.10) - rest == pytest.approx(0.10 / 0.5, abs=1e-6)
    assert gap(45, 0.03) - rest == pytest.approx(0.03 / 0.5, abs=1e-6)


def test_clamshell_feet_gap_needs_the_feet():
    frame = skeletons.clamshell(0, opening_deg=45)
    visibility = frame.visibility.copy()
    visibility[Landmark.LEFT_FOOT_INDEX] = 0.1
    assert math.isfinite(cs.feet_gap(Body(frame)))
    assert math.isnan(cs.feet_gap(Body(replace(frame, visibility=visibility))))


def test_clamshell_feet_apart_flags():
    analyzer = _run("clamshell", _clam_set(feet={2: 0.3}))
    flags = [r.flags for r in analyzer.reps]
    assert "feet_together" in flags[2] and all("feet_together" not in f for k, f in enumerate(flags) if k != 2)


# -- camera geometry -------------------------------------------------------------------------

def _project_plank(sag_deg: float, camera_pitch_deg: float, size: tuple[int, int]) -> PoseFrame:
    """A plank in 3D (body along x, up = +y, sagittal plane z = 0) seen by an orthographic
    camera raised by ``camera_pitch_deg`` and looking down at it, drawn into a frame of
    ``size`` pixels with the body spanning 60% of the frame width."""
    half = np.radians(sag_deg) / 2
    hip = np.zeros(3)
    shoulder = hip + 0.5 * np.array([-np.cos(half), np.sin(half), 0.0])
    ankle = hip + 0.9 * np.array([np.cos(half), np.sin(half), 0.0])
    pitch = np.radians(camera_pitch_deg)

    def to_px(p: np.ndarray) -> tuple[float, float]:
        # Camera looks along +z, tilted down: image up = y*cos(pitch) + z*sin(pitch).
        u, v = p[0], p[1] * np.cos(pitch) + p[2] * np.sin(pitch)
        scale = 0.6 * size[0] / 1.4
        return (size[0] / 2 + scale * u, size[1] / 2 - scale * v)

    from tests.factories import both_sides, pose
    pts = both_sides({"shoulder": to_px(shoulder), "hip": to_px(hip), "ankle": to_px(ankle)})
    return pose(pts, size=size)


@pytest.mark.parametrize("sag", [-20.0, 12.0])
def test_plank_angle_is_the_same_on_landscape_and_portrait_frames(sag):
    """Pixels keep x and y in one unit; MediaPipe's normalised coordinates would not (on a
    9:16 frame a normalised unit of y is 3.2 times a unit of x)."""
    wide = Body(_project_plank(sag, 0.0, (1280, 720)))
    tall = Body(_project_plank(sag, 0.0, (720, 1280)))
    assert pk.hip_sag(wide) == pytest.approx(sag, abs=1e-6)
    assert pk.hip_sag(tall) == pytest.approx(sag, abs=1e-6)
    norm = tall.frame.xy / np.array(tall.frame.image_size)
    from formcheck.geometry import bend_below_line
    squashed = float(bend_below_line(norm[11], norm[23], norm[27]))
    assert abs(squashed - sag) > 5  # what normalised coordinates would have reported


@pytest.mark.parametrize("pitch", [0.0, 20.0, 35.0])
def test_plank_angle_from_a_raised_camera_reads_cos_pitch_smaller(pitch):
    """A camera looking down at the body by ``pitch`` shortens the vertical offsets by cos(pitch):
    the measured bend is atan(cos(pitch) * tan(true)) on each side of the hip. At 20 degrees a
    12-degree sag reads 11.3; the camera guidance (hip height) keeps the pitch small."""
    body = Body(_project_plank(12.0, pitch, (1280, 720)))
    expected = 2 * np.degrees(np.arctan(np.cos(np.radians(pitch)) * np.tan(np.radians(6.0))))
    assert pk.hip_sag(body) == pytest.approx(expected, abs=0.01)


def test_analyzer_reports_each_rep_the_moment_it_ends():
    analyzer = Analyzer(get_exercise("bird_dog"))
    seen: list[tuple[int, int]] = []
    frames = _bird_dog_set({})
    analyzer.on_result = lambda r: seen.append((r.index, r.boundary.end_ms))
    for f in frames:
        analyzer.update(f)
        if seen and seen[-1][1] == f.t_ms:
            assert len(analyzer.reps) == seen[-1][0]  # called on the very frame the rep ended
    assert [i for i, _ in seen] == [1, 2, 3, 4, 5, 6]


def test_analyze_hands_each_rep_to_on_rep_before_the_report(model_dir, tmp_path):
    """The store writes reps as they end: api.analyze's on_rep gets each one as in the report."""
    from formcheck import api
    from tests.conftest import SAMPLES

    seen = []
    report, _ = api.analyze(SAMPLES / "bird_dog_rounded_back.mp4", "bird_dog", tmp_path,
                            write_video=False, on_rep=seen.append)
    assert report.rep_count == 2
    assert [r.model_dump() for r in seen] == [r.model_dump() for r in report.reps]
