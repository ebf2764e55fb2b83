"""The therapist review page in a real browser: play a flagged rep's clip, overrule the flag,
and find the overrule (with the reviewer's name and a time) in the store.

Same offline set-up as ``test_pages.py`` (see conftest.py): the server runs through
``launch_streamlit.py`` inside its own network namespace, Chromium joins it with ``nsenter``.
The server runs a two-line script calling ``review_page()`` on a store made here (a SQLite file
in a temporary data folder), so the test does not depend on the rest of the app.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.browser import harness
from tests.browser.conftest import Server, artifacts_dir, streamlit_server
from tests.test_store import _outputs, synthetic_video, three_reps

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGE_SCRIPT = """\
import streamlit as st
from formcheck.webapp.review import review_page
st.set_page_config(page_title="formcheck review", layout="wide")
review_page()
"""


@pytest.fixture(scope="module")
def review_data(tmp_path_factory) -> Path:
    """A data folder whose store holds one patient with one flagged rep and its clip."""
    from formcheck.store import open_store, save_analysis

    data = tmp_path_factory.mktemp("review-data")
    work = tmp_path_factory.mktemp("review-video")
    video = synthetic_video(work / "annotated.mp4")
    with open_store(None, data) as store:
        store.add_patient("P-browser", clips_opt_in=True)
        saved = save_analysis(three_reps(), _outputs(work, video), patient="P-browser", store=store)
        assert saved.clips == 1
    return data


@pytest.fixture(scope="module")
def review_server(browser_ready, review_data: Path, tmp_path_factory, model_dir: Path):
    work = tmp_path_factory.mktemp("review-server")
    script = work / "review_app.py"
    script.write_text(PAGE_SCRIPT)
    with streamlit_server(str(script), model_dir, work, "streamlit-review.log",
                          env={"FORMCHECK_DATA_DIR": str(review_data)},
                          drop_env=("FORMCHECK_DATABASE_URL", "FORMCHECK_REVIEW_PASSWORD")) as server:
        yield server


@pytest.fixture(scope="module")
def review_browser(review_server: Server, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw, harness.chromium(pw, review_server, tmp_path_factory.mktemp("review-chromium"),
                                                   viewport=(1280, 1600)) as context:
        yield context


def test_play_a_flagged_clip_overrule_it_and_find_it_stored(review_browser, review_server, review_data):
    from formcheck.store import open_store

    page = review_browser.new_page()
    try:
        page.goto(review_server.url)
        page.get_by_text("Therapist review").first.wait_for()
        card = page.locator("[class*='st-key-card-rep-']").first
        card.get_by_text("Rep 2 (right)").wait_for()

        # the clip plays in the browser (H.264 from the store's clip folder)
        video = card.locator("video")
        video.wait_for()
        page.wait_for_function("v => v.readyState >= 2", arg=video.element_handle(), timeout=30_000)
        duration = video.evaluate("v => v.duration")
        assert 3.0 <= duration <= 4.0  # rep 2.5-4.0 s plus a second either side
        video.evaluate("v => { v.muted = true; return v.play(); }")
        page.wait_for_function("v => v.currentTime > 0.5", arg=video.element_handle(), timeout=20_000)

        page.get_by_label("Reviewer").fill("T. Smith")
        page.get_by_label("Reviewer").press("Enter")
        card.get_by_placeholder("note (optional)").fill("the pelvis is fine; the camera moved")
        card.get_by_placeholder("note (optional)").press("Enter")
        card.get_by_role("button", name="Overrule (not a fault)").click()
        card.get_by_text("No rocking: overruled").wait_for()  # the card now shows the verdict
        card.get_by_text("T. Smith overruled No rocking: the pelvis is fine").wait_for()
        page.screenshot(path=str(artifacts_dir() / "review-overruled.png"), full_page=True)
    except Exception:
        page.screenshot(path=str(artifacts_dir() / "failed-review-page.png"), full_page=True)
        raise
    finally:
        page.close()

    with open_store(None, review_data) as store:
        [sess] = store.sessions("P-browser")
        item = next(i for i in store.session_detail(sess.id).sets[0].items if i.flags)
        assert item.verdicts == {"pelvis_rocking": "overrule"}
        [review] = item.reviews
        assert (review.reviewer, review.note) == ("T. Smith", "the pelvis is fine; the camera moved")
        assert abs(time.time() - review.created_at.timestamp()) < 600
        assert store.overrule_stats("P-browser")[0].overruled == 1
