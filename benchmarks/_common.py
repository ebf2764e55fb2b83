"""Helpers shared by the benchmark scripts: where the shared media is, a markdown table, and
``--write`` to save a script's printed output under docs/benchmarks/."""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FORMCHECK_SHARED_DIR", REPO.parent / "shared"))
MEDIA = SHARED / "media"
CACHE = REPO / "benchmarks" / "_cache"  # git-ignored: generated clips, never committed
DOCS = REPO / "docs" / "benchmarks"

if "FORMCHECK_MODEL_DIR" not in os.environ and (SHARED / "models").is_dir():
    os.environ["FORMCHECK_MODEL_DIR"] = str(SHARED / "models")


def manifest() -> list[dict]:
    path = MEDIA / "manifest.json"
    if not path.is_file():
        sys.exit(f"{path} not found: the benchmarks need ../shared/media (or FORMCHECK_SHARED_DIR)")
    return json.loads(path.read_text())


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    def cell(x: object) -> str:
        if isinstance(x, float):
            return f"{x:.3g}" if abs(x) < 100 else f"{x:.0f}"
        return str(x)

    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def machine() -> str:
    import av
    import mediapipe

    import formcheck

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{cpu}, {os.cpu_count()} cores; Python {platform.python_version()}, "
            f"mediapipe {mediapipe.__version__}, PyAV {av.__version__}, formcheck {formcheck.__version__}")


class Output:
    """Collects what a script prints so ``--write`` can save it as docs/benchmarks/<name>.md."""

    def __init__(self, name: str, title: str) -> None:
        self.name = name
        self.parts: list[str] = [f"# {title}", ""]
        print(self.parts[0], "\n", flush=True)

    def __call__(self, text: str = "") -> None:
        print(text, flush=True)
        self.parts.append(text)

    def write(self) -> Path:
        DOCS.mkdir(parents=True, exist_ok=True)
        path = DOCS / f"{self.name}.md"
        path.write_text("\n".join(self.parts).rstrip() + "\n", encoding="utf-8")
        print(f"\nwrote {path}", file=sys.stderr)
        return path
