"""Cat/cow on posed skeletons with a traced back outline: a rep is one flexion and one
extension, in either order. The spine caps read the outline the right way round, but are judged
from no view (on renders the outline did not follow the true lumbar bend: see the module
docstring), so a rep past a cap reads unknown and never flags."""

import math

from formcheck.back_contour import back_bend, back_line
from formcheck.body import Body
from formcheck.exercises.cat_cow import NEUTRAL_BEND, spine_flexion
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


def test_cow_first_counts_too():
    tl = [(0.0, {"bend": N}), (1.0, {"bend": N}), (1.8, {"bend": N - 45}), (2.6, {"bend": N - 45}),
          (3.4, {"bend": N}), (4.2, {"bend": N + 45}), (5.0, {"bend": N + 45}), (5.8, {"bend": N}),
          (6.6, {"bend": N})]
    an = run("cat_cow", frames(quadruped, tl, fps=15, noise_px=0.5))
    assert len(an.reps) == 1


def test_a_rep_past_a_cap_is_measured_but_the_cap_is_not_judged():
    tl = _cycles(3, flex=30.0, fault_flex={2: 50.0})
    an = run("cat_cow", frames(quadruped, tl, fps=15, noise_px=0.5),
             limits={"spine_flexion": 35.0, "spine_extension": 30.0})
    assert len(an.reps) == 3
    fs = list(frames(quadruped, tl, fps=15, noise_px=0.5))
    first, past, last = (max(spine_flexion(Body(f)) for f in fs
                             if r.boundary.start_ms <= f.t_ms <= r.boundary.end_ms) for r in an.reps)
    assert past > 45 and first < 35 and last < 35  # the outline reads the rep past the cap
    for cid in ("spine_flexion", "spine_extension"):
        assert flagged_reps(an, cid) == []
        assert all(r.checks[cid].unknown_fraction == 1.0 for r in an.reps)
