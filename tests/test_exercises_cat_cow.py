"""Cat/cow on posed skeletons with a traced back outline: a rep is one flexion and one
extension, in either order; per-patient caps flag past them and not before."""

import math

from formcheck.back_contour import back_bend, back_line
from formcheck.body import Body
from formcheck.exercises.cat_cow import NEUTRAL_BEND
from tests.exercise_poses import flagged_reps, frames, quadruped, run

N = NEUTRAL_BEND


def _cycles(n: int, flex: float = 45.0, ext: float = 45.0, fault_flex: dict | None = None):
    tl = [(0.0, {"bend": N}), (1.0, {"bend": N})]
    t = 1.0
    for i in range(1, n + 1):
        f = (fault_flex or {}).get(i, flex)
        for bend in (N + f, N + f, N, N - ext, N - ext, N):
            t += 0.8
            tl.append((t, {"bend": bend}))
    return tl


def test_back_bend_reads_the_planted_arc():
    for planted in (-60.0, -15.0, 0.0, 30.0):
        b = Body(quadruped(0, bend=planted))
        assert math.isclose(back_bend(b), planted, abs_tol=6), planted
        assert len(back_line(b)) >= 10


def test_back_bend_is_nan_without_a_mask():
    from dataclasses import replace

    assert math.isnan(back_bend(Body(replace(quadruped(0), mask=None))))


def test_counts_three_cat_cow_cycles():
    an = run("cat_cow", frames(quadruped, _cycles(3), fps=15, noise_px=0.5, drop_s=(5.0,)))
    assert len(an.reps) == 3
    assert all(not r.flags for r in an.reps)
    assert all(r.checks["spine_flexion"].worst > 35 for r in an.reps)


def test_cow_first_counts_too():
    tl = [(0.0, {"bend": N}), (1.0, {"bend": N}), (1.8, {"bend": N - 45}), (2.6, {"bend": N - 45}),
          (3.4, {"bend": N}), (4.2, {"bend": N + 45}), (5.0, {"bend": N + 45}), (5.8, {"bend": N}),
          (6.6, {"bend": N})]
    an = run("cat_cow", frames(quadruped, tl, fps=15, noise_px=0.5))
    assert len(an.reps) == 1


def test_flexion_cap_flags_only_the_rep_past_it():
    tl = _cycles(3, flex=30.0, fault_flex={2: 50.0})
    an = run("cat_cow", frames(quadruped, tl, fps=15, noise_px=0.5), limits={"spine_flexion": 35.0})
    assert len(an.reps) == 3
    assert flagged_reps(an, "spine_flexion") == [2]
    assert flagged_reps(an, "spine_extension") == []


def test_extension_cap():
    an = run("cat_cow", frames(quadruped, _cycles(2, ext=50.0), fps=15, noise_px=0.5),
             limits={"spine_extension": 30.0})
    assert flagged_reps(an, "spine_extension") == [1, 2]
