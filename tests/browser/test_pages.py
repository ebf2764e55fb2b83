"""The analyse page in a real browser (see conftest.py for the offline set-up): upload a shared
clip, wait for the result, compare the page's hold/rep table and flags with what
``formcheck analyze`` (the CLI) reports for the same clip. The live page: ``test_live.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.browser.conftest import artifacts_dir
from tests.browser.harness import select
from tests.conftest import MEDIA, REPO

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: (exercise id, display name, clip): run for each exercise the registry has.
ANALYSE_CASES = [
    ("plank", "Forearm plank", "plank__kaiakol-004.mp4"),
    ("bird_dog", "Bird dog", "bird_dog__lena.mp4"),
]


def _cli_report(clip: Path, exercise: str, out: Path) -> dict:
    subprocess.run([sys.executable, "-m", "formcheck", "analyze", str(clip), "-e", exercise,
                    "-o", str(out), "--no-video", "-q"], check=True, cwd=REPO,
                   capture_output=True)
    return json.loads((out / "report.json").read_text())


def _table_rows(page, index_name: str) -> list[dict[str, str]]:
    """Rows of the st.table whose index column is ``index_name`` (header -> cell text)."""
    tables = page.locator("[data-testid='stTable'] table")
    for i in range(tables.count()):
        table = tables.nth(i)
        headers = [h.strip() for h in table.locator("thead th").all_inner_texts()]
        if headers and headers[0] == index_name:
            rows = []
            for tr in table.locator("tbody tr").all():
                cells = [c.strip() for c in tr.locator("th, td").all_inner_texts()]
                rows.append(dict(zip(headers, cells)))
            return rows
    return []


@pytest.mark.parametrize("exercise,name,clip_name", ANALYSE_CASES, ids=[c[0] for c in ANALYSE_CASES])
def test_analyse_page_matches_cli(page, app_server, tmp_path, exercise, name, clip_name):
    from formcheck.exercises import all_exercises

    if exercise not in all_exercises():
        pytest.skip(f"exercise {exercise} is not in the registry yet")
    clip = MEDIA / clip_name
    if not clip.is_file():
        pytest.skip(f"{clip} not available")
    expected = _cli_report(clip, exercise, tmp_path / "cli")

    page.goto(f"{app_server.url}/analyse")
    page.get_by_text("Analyse a recorded video").wait_for()
    page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(clip))
    select(page, "Exercise in the video", name)
    page.get_by_role("button", name="Analyse").click()
    page.get_by_text(f"Analysed '{clip.name}'").wait_for(timeout=180_000)
    page.locator("[data-testid='stVegaLiteChart'], [data-testid='stArrowVegaLiteChart']").first.wait_for()

    kind = expected["kind"]
    index = "Hold" if kind == "hold" else "Rep"
    items = expected["holds"] if kind == "hold" else expected["reps"]
    rows = _table_rows(page, index)
    assert len(rows) == len(items), f"page shows {len(rows)} {index.lower()}s, CLI {len(items)}"
    titles = {c["id"]: c["title"] for c in expected["checks"]}
    titles["tempo"] = "Tempo (rushed)"
    for row, item in zip(rows, items):
        assert row[index] == str(item["index"])
        assert row["Score"] == str(round(item["score"]))
        if item["flags"]:
            assert row["Result"].startswith("flagged:")
            for flag in item["flags"]:
                assert titles[flag] in row["Result"]
        else:
            assert row["Result"] == "pass"
        if kind == "reps" and item.get("side"):
            assert row["Side"] == item["side"]
    checks = {r["Check"]: r for r in _table_rows(page, "Check")}
    for c in expected["checks"]:
        assert checks[c["title"]][f"Flagged in ({'holds' if kind == 'hold' else 'reps'})"] == str(c["flagged_in"])
    video = page.locator("video").first
    assert video.evaluate("v => v.currentSrc.length > 0")

    page.set_viewport_size({"width": 1280, "height": 2600})
    time.sleep(1.0)
    page.screenshot(path=str(artifacts_dir() / f"analyse-{exercise}.png"))
