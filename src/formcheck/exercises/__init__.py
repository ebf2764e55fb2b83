"""The exercise catalogue. Each module in this package declares one exercise as a module-level
``EXERCISE`` (see :mod:`formcheck.exercises.spec`); this registry finds them, so adding an
exercise means adding one module and nothing else."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from formcheck.errors import UnknownExerciseError
from formcheck.exercises.spec import Exercise


@cache
def all_exercises() -> dict[str, Exercise]:
    """Every declared exercise by id, in module-name order."""
    found: dict[str, Exercise] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name == "spec" or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        exercise = getattr(module, "EXERCISE", None)
        if isinstance(exercise, Exercise):
            if exercise.id in found:
                raise RuntimeError(f"two modules declare exercise {exercise.id!r}")
            found[exercise.id] = exercise
    return found


def get_exercise(name: str) -> Exercise:
    """Look an exercise up by id or alias (case and ``-``/space insensitive).

    Raises:
        UnknownExerciseError: naming the known exercises.
    """
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    catalogue = all_exercises()
    for ex in catalogue.values():
        if key == ex.id or key in ex.aliases:
            return ex
    raise UnknownExerciseError(
        f"unknown exercise {name!r}; known exercises: {', '.join(sorted(catalogue))}"
    )
