"""Exercise recognition on the shared clips: :func:`formcheck.recognition.recognize` on the
first 3 s of each clip's pose (raw MediaPipe landmarks, cached by ``_poses.py``), against the
clip's exercise (or the exercise a relative stands in for). Prints each guess with its
confidence, the accuracy (all, and among the guesses it was sure of) and a confusion table.

The templates were written from the exercises' geometry and then adjusted while looking at
these same clips: there is no held-out set, so the accuracy is optimistic.

    python benchmarks/recognition.py [--write]      # --write: docs/benchmarks/recognition.md
"""

from __future__ import annotations

import argparse

from _common import Output, manifest, table
from _poses import load
from formcheck.recognition import SECONDS, recognize, templates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    out = Output("recognition", "Exercise recognition on the shared clips")
    rows, pairs = [], []
    known = templates()
    for e in manifest():
        truth = e["exercise"] if e["exercise"] in known else e.get("relative_of")
        if truth not in known:
            continue
        frames = load(e["file"])
        head = [f for f in frames if f.t_ms - frames[0].t_ms <= SECONDS * 1000]
        rec = recognize(head)
        pairs.append((truth, rec.exercise_id, rec.unsure))
        alt = ", ".join(f"{k} {v:.2f}" for k, v in list(rec.alternatives.items())[:2])
        rows.append([e["file"], truth + (" (rel.)" if e["exercise"] != truth else ""), rec.exercise_id,
                     f"{rec.confidence:.2f}", "unsure" if rec.unsure else "", alt,
                     "ok" if rec.exercise_id == truth else "WRONG"])
    out(table(["clip", "truth", "guess", "confidence", "", "next", ""], rows))
    n = len(pairs)
    ok = sum(t == g for t, g, _ in pairs)
    sure = [(t, g) for t, g, u in pairs if not u]
    sure_ok = sum(t == g for t, g in sure)
    wrong_sure = sum(t != g for t, g in sure)
    out()
    out(f"- accuracy: {ok}/{n} ({ok / n:.0%}); sure guesses: {len(sure)}/{n}, of which correct "
        f"{sure_ok}/{len(sure)}; wrong but sure: {wrong_sure}")
    labels = sorted({t for t, _, _ in pairs} | {g for _, g, _ in pairs})
    short = {lab: lab[:10] for lab in labels}
    conf = [[lab] + [sum(1 for t, g, _ in pairs if t == lab and g == col) or "" for col in labels]
            for lab in labels if any(t == lab for t, _, _ in pairs)]
    out()
    out("Confusion (rows: truth, columns: guess):")
    out()
    out(table(["truth \\ guess"] + [short[c] for c in labels], conf))
    if args.write:
        out.write()


if __name__ == "__main__":
    main()
