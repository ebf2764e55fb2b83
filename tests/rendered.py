"""What the tests on rendered clips share: a check's must-catch size, and the engine's rep that
matches a rendered (truth) rep."""

from __future__ import annotations

from formcheck.exercises import get_exercise
from formcheck.render.truth import RepTruth
from formcheck.report import RepReport


def must_catch(exercise: str, check_id: str, sign: float = 1.0) -> float:
    """The check's must-catch size (times ``sign``: -1 for the other direction)."""
    return sign * get_exercise(exercise).check(check_id).tolerance.must_catch


def matching_rep(truth: RepTruth, reps: list[RepReport]) -> RepReport | None:
    """The detected rep that overlaps the rendered rep ``truth`` the most; None when none
    overlaps it."""
    best = max(reps, key=lambda r: min(truth.end_s, r.end_s) - max(truth.start_s, r.start_s),
               default=None)
    if best is None or min(truth.end_s, best.end_s) <= max(truth.start_s, best.start_s):
        return None
    return best
