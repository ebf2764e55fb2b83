"""The engine's parts on exact synthetic inputs: check states, rep counting, holds, cues, score."""

from __future__ import annotations

import math

import pytest

from formcheck.checks import CheckTracker
from formcheck.cues import CueCandidate, CueSelector
from formcheck.engine import CheckOutcome, rep_score
from formcheck.exercises import all_exercises
from formcheck.exercises.spec import Check, HoldTiming, RepCounting
from formcheck.reps import HoldTimer, RepCounter


def _check(**kw) -> Check:
    base = dict(id="c", title="C", metric=lambda b: 0.0, unit="deg", limit=10.0,
                flag_when="above", cue="fix it", explain="", hysteresis=2.0, min_duration_s=0.3)
    base.update(kw)
    return Check(**base)


def test_check_flags_only_after_min_duration_and_clears_with_hysteresis():
    tracker = CheckTracker(_check())
    states = [tracker.update(v, t).state for t, v in [(0, 11), (200, 11), (300, 11), (400, 9.0),
                                                       (500, 7.9), (600, 11)]]
    # 11 past 10 from t=0; flags once it has lasted 0.3 s (t=300); 9 is inside but within the
    # 2-degree band so the flag holds; 7.9 clears; 11 again starts a new count.
    assert states == ["ok", "ok", "flag", "flag", "ok", "ok"]


def test_check_short_spike_never_flags():
    tracker = CheckTracker(_check(min_duration_s=0.5))
    assert {tracker.update(v, t).state for t, v in [(0, 30), (100, 30), (200, 0), (300, 30)]} == {"ok"}


def test_check_nan_is_unknown_and_a_long_gap_restarts_the_count():
    tracker = CheckTracker(_check())
    assert tracker.update(12, 0).state == "ok"
    assert tracker.update(math.nan, 200).state == "unknown"
    assert tracker.update(12, 900).state == "ok"  # 0.9 s without a value: the count restarted
    assert tracker.update(12, 1200).state == "flag"


def test_check_short_dropout_keeps_the_flag():
    tracker = CheckTracker(_check())
    for t in (0, 200, 400):
        tracker.update(12, t)
    assert tracker.update(math.nan, 433).state == "unknown"
    assert tracker.update(12, 466).state == "flag"


def test_check_below_direction_and_custom_limit():
    tracker = CheckTracker(_check(flag_when="below", limit=150.0), limit=140.0)
    r = tracker.update(145.0, 0)
    assert r.state == "ok" and r.excess == pytest.approx(-5.0)
    tracker.update(130.0, 100)
    assert tracker.update(130.0, 500).state == "flag"


def _counting(**kw) -> RepCounting:
    base = dict(signal=lambda b: 0.0, unit="deg", rest=10.0, enter=30.0, min_rep_s=0.5, top_band=5.0)
    base.update(kw)
    return RepCounting(**base)


def _run(counter: RepCounter, samples):
    return [b for t, v in samples if (b := counter.update(t, v)[1]) is not None]


def _trapezoid(t0: int, up_ms: int, top_ms: int, down_ms: int, peak: float = 60.0, step: int = 50):
    """Signal 0 -> peak over up_ms, held top_ms, back to 0 over down_ms, then 200 ms rest."""
    out = []
    total = up_ms + top_ms + down_ms + 200
    for dt in range(0, total + 1, step):
        if dt <= up_ms:
            v = peak * dt / up_ms
        elif dt <= up_ms + top_ms:
            v = peak
        elif dt <= up_ms + top_ms + down_ms:
            v = peak * (1 - (dt - up_ms - top_ms) / down_ms)
        else:
            v = 0.0
        out.append((t0 + dt, v))
    return out


def test_rep_counter_counts_and_times_each_rep():
    samples = _trapezoid(0, 1000, 1000, 1000) + _trapezoid(3400, 600, 200, 600)
    reps = _run(RepCounter(_counting()), samples)
    assert len(reps) == 2
    first = reps[0]
    # The rep starts at the last rest frame within 15% of the way from the rest minimum (0) to
    # enter (30), i.e. signal <= 4.5: the frame at 50 ms (signal 3).
    assert first.start_ms == 50
    assert first.peak_value == 60.0
    # Top band is within 5 of 60: reached at 55/60 of the rise (the frame at 950 ms).
    assert first.time_up_s == pytest.approx(0.9, abs=0.01)
    assert first.top_pause_s == pytest.approx(1.0 + 0.1, abs=0.11)
    assert reps[1].top_pause_s < 0.5


def test_rep_counter_ignores_excursions_that_do_not_pass_enter_or_are_too_short():
    low = [(t, 25.0 if 100 <= t <= 900 else 0.0) for t in range(0, 1200, 50)]  # never reaches 30
    blip = [(1200 + t, 50.0 if 50 <= t <= 150 else 0.0) for t in range(0, 400, 50)]  # 0.2 s
    assert _run(RepCounter(_counting()), low + blip) == []


def test_rep_counter_hysteresis_holds_through_noise_between_rest_and_enter():
    # A rep that dips to 20 (between rest 10 and enter 30) at its middle is still one rep.
    samples = [(0, 0), (100, 40), (200, 40), (300, 20), (400, 40), (500, 40), (900, 0)]
    assert len(_run(RepCounter(_counting(min_rep_s=0.3)), samples)) == 1


def test_rep_counter_side_is_majority_vote():
    counter = RepCounter(_counting())
    sides = ["left"] * 3 + ["right"] * 12
    for i, (t, v) in enumerate(_trapezoid(0, 300, 300, 300)):
        counter.update(t, v, sides[min(i, len(sides) - 1)])
    assert counter.count_by_side == {"right": 1}


def test_rep_counter_finish_counts_a_clip_cut_on_the_way_down_only():
    counter = RepCounter(_counting())
    for t, v in [(0, 0), (100, 40), (500, 60), (700, 25)]:
        counter.update(t, v)
    assert counter.finish() is not None  # came down from 60 to 25: more than half-way to rest
    counter = RepCounter(_counting())
    for t, v in [(0, 0), (100, 40), (500, 60), (700, 50)]:
        counter.update(t, v)
    assert counter.finish() is None


def test_hold_timer_good_time_grace_and_minimum():
    timer = HoldTimer(HoldTiming(in_position=lambda b: True, min_hold_s=1.0, grace_s=0.5))
    spans = []
    for t in range(0, 3001, 100):
        form_ok = not (1000 <= t < 1500)
        in_position = not (2000 <= t < 2300)  # 0.3 s out: within the grace period
        if (s := timer.update(t, in_position, form_ok)) is not None:
            spans.append(s)
    spans.append(timer.finish())
    assert len(spans) == 1
    span = spans[0]
    assert span.duration_s == pytest.approx(3.0)
    assert span.good_s == pytest.approx(3.0 - 0.5 - 0.3, abs=0.11)  # form and position breaks
    assert span.longest_good_s == pytest.approx(1.0, abs=0.11)  # 0-1 s; later runs are shorter
    short = HoldTimer(HoldTiming(in_position=lambda b: True, min_hold_s=1.0))
    for t in range(0, 600, 100):
        short.update(t, True, True)
    assert short.finish() is None


def test_cues_one_at_a_time_most_important_first_with_cooldown():
    sel = CueSelector(display_s=2.0, repeat_s=5.0)
    a = CueCandidate("hips up", "correction", "hip_sag", 1)
    b = CueCandidate("elbows", "correction", "elbows", 4)
    first = sel.offer(0, [b, a])
    assert first.text == "hips up"
    assert sel.offer(500, [a, b]) is None  # one cue on screen at a time
    assert sel.current(1500).text == "hips up"
    second = sel.offer(2500, [a, b])  # "hips up" was said 2.5 s ago (< 5 s): next one
    assert second.text == "elbows"
    assert sel.offer(5000, [a]) is not None  # 5 s after: may repeat


def test_praise_never_replaces_a_correction_on_screen():
    sel = CueSelector(display_s=2.0, repeat_s=0.0)
    sel.offer(0, [CueCandidate("fix", "correction", "c", 1)])
    assert sel.offer(500, [CueCandidate("good rep", "praise", "rep", 50)]) is None
    sel2 = CueSelector(display_s=2.0, repeat_s=0.0)
    sel2.offer(0, [CueCandidate("good rep", "praise", "rep", 50)])
    assert sel2.offer(500, [CueCandidate("fix", "correction", "c", 1)]).text == "fix"


def test_rep_score_formula():
    ok = CheckOutcome(worst=5, excess=-5, flagged=False, unknown_fraction=0)
    just = CheckOutcome(worst=10.5, excess=0.5, flagged=True, unknown_fraction=0)
    double = CheckOutcome(worst=30, excess=20, flagged=True, unknown_fraction=0)
    limits = {"a": 10.0, "b": 10.0}
    assert rep_score({"a": ok, "b": ok}, limits, False) == 100
    assert rep_score({"a": just, "b": ok}, limits, False) == pytest.approx(100 - (20 + 30 * 0.05))
    assert rep_score({"a": double, "b": ok}, limits, False) == 50  # capped at 50 per check
    assert rep_score({"a": double, "b": double}, limits, True) == 0
    assert rep_score({"a": ok, "b": ok}, limits, True) == 90


def test_landmark_mirror_swaps_every_left_right_pair():
    from formcheck.landmarks import Landmark, mirror

    for lm in Landmark:
        twin = mirror(lm)
        assert mirror(twin) == lm
        if "LEFT" in lm.name or "RIGHT" in lm.name:
            assert twin != lm and twin.name.replace("RIGHT", "LEFT") == lm.name.replace("RIGHT", "LEFT")
        else:
            assert twin == lm


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("exercise", sorted(all_exercises()))
def test_landmarks_half_missing_raise_no_numpy_warning(tmp_path, exercise):
    """NaN input is a normal state (a landmark not seen), not a reason for numpy's "Mean of
    empty slice" or "All-NaN slice" warnings on the terminal."""
    from dataclasses import replace

    import numpy as np

    from formcheck import api
    from formcheck.landmark_csv import LandmarkCsvWriter
    from formcheck.landmarks import LANDMARK_NAMES
    from tests.exercise_poses import frames, reps_timeline, standing_side

    rng = np.random.default_rng(3)
    left = np.array(["left" in n for n in LANDMARK_NAMES])
    path = tmp_path / "lm.csv"
    with LandmarkCsvWriter(path) as w:
        for i, f in enumerate(frames(standing_side, reps_timeline({"knee_flex": 8.0, "hip_flex": 0.0},
                                                                  {"knee_flex": 25.0, "hip_flex": 85.0}, 1))):
            gone = left if i % 3 == 0 else rng.random(len(LANDMARK_NAMES)) < 0.5
            xy, vis = f.xy.copy(), f.visibility.copy()
            xy[gone], vis[gone] = np.nan, np.nan
            w.write(replace(f, xy=xy, visibility=vis))
    api.analyze_landmarks(path, exercise, tmp_path / "out", width=1280, height=720, fps=30,
                          clearance_confirmed=True)
