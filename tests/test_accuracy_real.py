"""End to end on the shared real clips (slow): every clip whose exercise, or the exercise it
stands in for, is declared runs through ``api.analyze``; where the manifest counts reps, the
count must be within one. (The full table: ``benchmarks/accuracy_real.py``.)"""

from __future__ import annotations

import pytest

from formcheck import api
from formcheck.exercises import all_exercises
from tests.conftest import manifest, media_clip


def _exercise(entry: dict) -> str | None:
    known = all_exercises()
    for name in (entry["exercise"], entry.get("relative_of")):
        if name in known:
            return name
    return None


CLIPS = [e for e in manifest() if _exercise(e) is not None and e.get("reps") is not None]


@pytest.mark.slow
@pytest.mark.parametrize("entry", CLIPS, ids=[e["file"] for e in CLIPS])
def test_rep_count_within_one(entry, model_dir, tmp_path):
    report, _ = api.analyze(media_clip(entry["file"]), _exercise(entry), tmp_path, write_video=False,
                            clearance_confirmed=True)
    assert report.complete
    if report.kind == "reps":
        assert abs(report.rep_count - entry["reps"]) <= 1, (report.rep_count, entry["reps"])
