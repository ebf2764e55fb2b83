"""Monster walk on posed skeletons (side view): steps forward and backward, the pause between
steps (tempo), the trunk swinging."""

from tests.exercise_poses import flagged_reps, frames, run, standing_side


def _steps(dirs: list[int], pause_s: float = 0.8, step_px: float = 110.0, swing: dict | None = None):
    base = {"left_x": 0.0, "right_x": 0.0, "lean": 15.0, "knee_flex": 25.0}
    tl = [(0.0, dict(base)), (1.0, dict(base))]
    t = 1.0
    for i, d in enumerate(dirs, start=1):
        cur = dict(tl[-1][1])
        lead, trail = ("left_x", "right_x") if i % 2 else ("right_x", "left_x")
        cur[lead] += d * step_px
        cur["lean"] = 15.0 + (swing or {}).get(i, 0.0)
        t += 0.9
        tl.append((t, dict(cur)))
        cur[trail] += d * step_px
        t += 0.9
        tl.append((t, dict(cur)))
        cur["lean"] = 15.0
        t += pause_s
        tl.append((t, dict(cur)))
    return tl


def test_counts_forward_and_backward_steps():
    an = run("monster_walk", frames(standing_side, _steps([1, 1, 1, -1, -1]), noise_px=1.0, drop_s=(1.5,)))
    assert [r.boundary.side for r in an.reps] == ["forward"] * 3 + ["backward"] * 2
    assert all(not r.flags for r in an.reps)


def test_trunk_swing_flags_that_step():
    an = run("monster_walk", frames(standing_side, _steps([1, 1, 1], swing={2: 20.0})))
    assert flagged_reps(an, "trunk_swing") == [2]
