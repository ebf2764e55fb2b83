"""The import graph of ``src/formcheck``, read from the source (AST), not by importing it: every
import counts, at module level, inside functions and under ``TYPE_CHECKING``.

- the store knows records, not how an analysis runs: it imports nothing of ``api``, ``engine``,
  ``batch``, ``coach``, ``cli`` or ``webapp``;
- the app's pages import no engine internals (``reps``, ``checks``, ``steps``, ``phases``);
- no two modules import each other, directly or round a loop;
- only ``pose.py`` imports MediaPipe, only ``batch_ray.py`` Ray (an optional extra);
- ``docs/architecture.md`` names every module.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGE = REPO / "src" / "formcheck"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(path: Path, known: set[str]) -> set[str]:
    """Every module ``path`` imports: formcheck modules by their full name (``from a import b``
    names module ``a.b`` when that is a module), others by their top-level name."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's own package up
                name = module_name(path)
                package = (name if path.name == "__init__.py" else name.rpartition(".")[0]).split(".")
                anchor = package[: len(package) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.update(f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names)
    return {name if name.startswith("formcheck") else name.split(".")[0] for name in found}


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: imports(path, set(mods)) for name, path in mods.items()}


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import loop (its modules in order, the first repeated at the end), or None."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node], _ = "open", stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt in edges and nxt not in state and (loop := visit(nxt)):
                return loop
        state[node], _ = "done", stack.pop()
        return None

    for node in sorted(edges):
        if node not in state and (loop := visit(node)):
            return loop
    return None


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def offenders(edges: dict[str, set[str]], importer: str, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(f"{m} -> {i}" for m, targets in edges.items() if _under(m, importer)
                  for i in targets if any(_under(i, f) for f in forbidden))


def test_the_store_imports_nothing_of_how_an_analysis_runs():
    forbidden = tuple(f"formcheck.{m}" for m in ("api", "engine", "batch", "coach", "cli", "webapp"))
    assert offenders(graph(), "formcheck.store", forbidden) == []


def test_pages_import_no_engine_internals():
    forbidden = tuple(f"formcheck.{m}" for m in ("reps", "checks", "steps", "phases"))
    assert offenders(graph(), "formcheck.webapp", forbidden) == []


def test_no_import_loops():
    edges = graph()
    # a package's __init__ runs before its modules whatever they import: not a loop of ours
    formcheck_edges = {m: {i for i in targets if i in edges and not m.startswith(i + ".")}
                       for m, targets in edges.items()}
    assert find_cycle(formcheck_edges) is None


def test_only_pose_imports_mediapipe():
    importers = [m for m, targets in graph().items() if "mediapipe" in targets]
    assert importers == ["formcheck.pose"]


def test_only_the_ray_engine_imports_ray():
    importers = [m for m, targets in graph().items() if "ray" in targets]
    assert importers == ["formcheck.batch_ray"]


@pytest.mark.parametrize(("edges", "loop"), [
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
    ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
])
def test_a_loop_is_found(edges, loop):
    assert find_cycle(edges) == loop


def test_a_forbidden_import_is_found(tmp_path):
    """The reader sees function-level and TYPE_CHECKING imports too (a store module that did
    either would fail the first test)."""
    src = tmp_path / "m.py"
    src.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from formcheck.engine import Analyzer\n"
                   "def f():\n    import formcheck.api\n    from mediapipe.tasks import python\n")
    assert imports(src, {"formcheck.engine", "formcheck.api"}) >= {"formcheck.engine", "formcheck.api", "mediapipe"}


def test_the_architecture_doc_names_every_module():
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = []
    for name, path in modules().items():
        rel = path.relative_to(PACKAGE).as_posix()
        if path.name == "__init__.py" or "/migrations/" in f"/{rel}":
            continue
        shown = rel if "/" not in rel or rel.startswith(("store/", "webapp/")) else rel.split("/")[0] + "/"
        if f"`{shown}`" not in text:
            missing.append(shown)
    assert sorted(set(missing)) == []


def test_the_recipe_for_an_exercise_names_real_fields():
    from dataclasses import fields

    from formcheck.exercises.spec import Exercise

    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    recipe = text.split("## Adding an exercise", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`(\w+)=`", recipe))
    assert named and named <= {f.name for f in fields(Exercise)}
