"""Which limit each check of a set uses, and where it came from, decided in one place.

A check's limit is, from weakest to strongest:

1. ``default``: the exercise module's :attr:`Check.limit <formcheck.exercises.spec.Check.limit>`;
2. ``config``: the settings file (``[limits.<exercise>]``, :class:`formcheck.config.Settings`);
3. ``patient``: the patient's own limit, set by a therapist in the session store;
4. ``cap``: the patient's spinal cap (flexion or extension), for the check the exercise says it
   governs (:attr:`Exercise.caps <formcheck.exercises.spec.Exercise.caps>`), when it is tighter
   than the limit so far (a cap only ever lowers a limit);
5. ``override``: the command line's ``--limit CHECK=VALUE`` (or ``limits=`` in the API).

:func:`effective_limits` returns the values with their sources; the report keeps both
(``processing.limits`` and ``processing.limit_sources``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from formcheck.config import Settings
from formcheck.exercises.spec import CapKind, Check, Exercise

LimitSource = Literal["default", "config", "patient", "cap", "override"]


@dataclass(frozen=True)
class PatientLimits:
    """What a therapist set for one patient (read from the session store).

    Attributes:
        limits: exercise id -> check id -> the patient's own limit (checks an exercise no
            longer has are ignored).
        caps: cap kind -> the most the spine may bend that way, degrees.
    """

    limits: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    caps: Mapping[CapKind, float] = field(default_factory=dict)


@dataclass(frozen=True)
class EffectiveLimits:
    """The limit of every check of one exercise and where each came from (check id -> ...)."""

    values: dict[str, float]
    sources: dict[str, LimitSource]


def effective_limits(exercise: Exercise, settings: Settings | None = None,
                     patient: PatientLimits | None = None,
                     overrides: Mapping[str, float] | None = None) -> EffectiveLimits:
    """Merge defaults, the settings file, a patient's limits and caps, and overrides (see the
    module docstring for the order). Every value must be one its check accepts
    (:meth:`Check.checked_limit <formcheck.exercises.spec.Check.checked_limit>`): a NaN, an
    infinity or a limit past any value the metric can take would switch the check off.

    Raises:
        ValueError: the settings file or ``overrides`` name a check the exercise does not have,
            or a limit or cap from any source is not one its check accepts (naming the source).
    """
    checks = {c.id: c for c in exercise.checks}
    values = {cid: c.limit for cid, c in checks.items()}
    sources: dict[str, LimitSource] = dict.fromkeys(checks, "default")

    def apply(given: Mapping[str, float], source: LimitSource, strict: bool) -> None:
        unknown = sorted(set(given) - set(checks))
        if unknown and strict:
            raise ValueError(f"{exercise.id} has no check(s) {', '.join(unknown)}")
        for cid, value in given.items():
            if cid in checks:
                values[cid], sources[cid] = _checked(checks[cid], value, source), source

    apply((settings or Settings()).limits.get(exercise.id, {}), "config", strict=True)
    if patient is not None:
        apply(patient.limits.get(exercise.id, {}), "patient", strict=False)
        for kind, cap in patient.caps.items():
            cid = exercise.caps.get(kind)
            if cid is not None and _checked(checks[cid], cap, "cap") < values[cid]:
                values[cid], sources[cid] = float(cap), "cap"
    apply(overrides or {}, "override", strict=True)
    return EffectiveLimits(values, sources)


#: How each source is named when one of its values is refused.
_SOURCE_NAMES: dict[LimitSource, str] = {
    "config": "settings file limits", "patient": "the patient's own limit",
    "cap": "the patient's spinal cap", "override": "--limit",
}


def _checked(check: Check, value: object, source: LimitSource) -> float:
    try:
        return check.checked_limit(value)
    except ValueError as exc:
        raise ValueError(f"{_SOURCE_NAMES[source]} {exc}") from None
