"""Band side walk on posed skeletons: steps per direction (one foot out, the other follows),
feet coming together, trunk swaying."""

from collections import Counter

from tests.exercise_poses import flagged_reps, frames, run, standing_front


def _walk(steps: list[int], step_px: float = 120.0, fault: dict | None = None):
    """Keyframes for side steps; ``steps`` lists +1 (toward the person's left) or -1. Each step:
    the leading foot moves out (0.8 s), rests (0.4 s), the trailing foot follows (0.8 s), pause."""
    t, x, lf, rf = 0.0, 640.0, 0.0, 0.0
    base = {"x": x, "left_foot": 0.0, "right_foot": 0.0, "gap": 1.4, "lean": 0.0}
    tl = [(0.0, dict(base)), (1.0, dict(base))]
    t = 1.0
    for i, d in enumerate(steps, start=1):
        extra = (fault or {}).get(i, {})
        lead = "left_foot" if d > 0 else "right_foot"
        trail = "right_foot" if d > 0 else "left_foot"
        cur = dict(tl[-1][1])
        cur[lead] += d * step_px
        cur.update(extra)
        t += 0.8
        tl.append((t, dict(cur)))
        t += 0.4
        tl.append((t, dict(cur)))
        cur[trail] += d * step_px
        t += 0.8
        tl.append((t, dict(cur)))
        cur.update({k: 0.0 for k in extra if k == "lean"})
        t += 0.8
        tl.append((t, dict(cur)))
    return tl


def test_counts_steps_per_direction_through_noise_and_a_dropout():
    an = run("band_side_walk", frames(standing_front, _walk([1, 1, 1, -1, -1]), noise_px=1.0, drop_s=(2.0,)))
    assert [r.boundary.side for r in an.reps] == ["left", "left", "left", "right", "right"]
    assert Counter(r.side for r in an.reps) == {"left": 3, "right": 2}
    assert all(not r.flags for r in an.reps)


def test_a_foot_moving_alone_is_not_a_step():
    tl = [(0.0, {"left_foot": 0.0}), (1.0, {"left_foot": 0.0}), (2.0, {"left_foot": 120.0}),
          (4.0, {"left_foot": 120.0})]
    an = run("band_side_walk", frames(lambda t, **p: standing_front(t, **p), tl))
    assert an.reps == []


def test_trunk_sway_during_one_step_flags_that_step():
    an = run("band_side_walk", frames(standing_front, _walk([1, 1, 1], fault={2: {"lean": 18.0}})))
    assert len(an.reps) == 3
    assert flagged_reps(an, "trunk_sway") == [2]
