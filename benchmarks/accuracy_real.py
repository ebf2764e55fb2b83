"""End-to-end accuracy on the shared real clips: every clip in ``../shared/media`` whose exercise
(or the exercise it stands in for, ``relative_of``) is declared runs through
:func:`formcheck.api.analyze` (pose, smoothing, engine; no video written), and the table lists
the detection rate, the reps the manifest counted against the reps formcheck counted, and the
flags raised. Every clip in the manifest is a demonstration of good form, so every flag is a
false alarm unless the exercise module's docstring explains it (relatives do a different
movement; some clips start or end mid-rep).

    python benchmarks/accuracy_real.py [--write]     # --write: docs/benchmarks/accuracy_real.md
"""

from __future__ import annotations

import argparse
import tempfile
from collections import Counter

from _common import MEDIA, Output, machine, manifest, table
from formcheck import api
from formcheck.exercises import all_exercises


def exercise_for(entry: dict) -> tuple[str | None, bool]:
    """The declared exercise a clip is analysed as, and whether it is a relative."""
    known = all_exercises()
    if entry["exercise"] in known:
        return entry["exercise"], False
    rel = entry.get("relative_of")
    return (rel, True) if rel in known else (None, False)


def run_clip(entry: dict) -> dict:
    ex, relative = exercise_for(entry)
    with tempfile.TemporaryDirectory() as out:
        report, _ = api.analyze(MEDIA / entry["file"], ex, out, write_video=False,
                                clearance_confirmed=True)
    flags = Counter(f for r in report.reps for f in r.flags)
    flags.update(f for h in report.holds for f in h.flags)
    return {"file": entry["file"], "exercise": ex + (" (rel.)" if relative else ""),
            "view": report.view, "detection": report.detection_rate,
            "expected": entry["reps"], "counted": report.rep_count, "kind": report.kind,
            "flags": flags, "sides": report.sides}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    out = Output("accuracy_real", "Accuracy on the shared real clips (end to end)")
    entries = [e for e in manifest() if exercise_for(e)[0] is not None]
    results = [run_clip(e) for e in entries]
    rows = []
    for r in results:
        expected = "-" if r["expected"] is None else r["expected"]
        counted = r["counted"] if r["kind"] == "reps" else f"{r['counted']} hold(s)"
        flags = ", ".join(f"{k} x{n}" for k, n in sorted(r["flags"].items())) or "none"
        rows.append([r["file"], r["exercise"], r["view"], f"{r['detection']:.2f}", expected, counted, flags])
    out(table(["clip", "exercise", "view", "detection", "reps expected", "counted", "flags (reps/holds flagged)"], rows))
    counted = [r for r in results if r["expected"] is not None and r["kind"] == "reps"]
    exact = sum(r["counted"] == r["expected"] for r in counted)
    within = sum(abs(r["counted"] - r["expected"]) <= 1 for r in counted)
    clean = sum(not r["flags"] for r in results)
    out()
    covered = {r["exercise"].split()[0] for r in results}
    missing = sorted(set(all_exercises()) - covered - {"pose_only"})
    out(f"- clips: {len(results)}, covering {len(covered)} exercises (no clip for: {', '.join(missing)})")
    out(f"- rep counts where the manifest gives reps: {exact}/{len(counted)} exact, {within}/{len(counted)} within +-1")
    out(f"- clips with no flag at all: {clean}/{len(results)} (all clips are good form; see each "
        "exercise module's docstring for the flags it explains)")
    out(f"- machine: {machine()}")
    if args.write:
        out.write()


if __name__ == "__main__":
    main()
