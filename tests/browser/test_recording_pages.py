"""From the patient's set to the therapist's review, in a real browser (the offline set-up of
conftest.py): the fake webcam plays formcheck's own rendered bird dog (two reps in 6 s, both
flagged for a rounded back, looping) into the live page's camera widget, whose frames reach the
server over the frame channel; the set is recorded from those frames.

- A patient opens the link their therapist gave them (``/live?patient=P-link``), does a set and
  presses End set; the Review page of the same app then shows the set with its reps, and the
  flagged rep's clip plays.
- A patient the store does not know is offered to be created (not made silently); their tab is
  closed mid-set (the frames stop coming), and the set is listed as interrupted with the reps
  it had.
- The Analyse page saves an analysis for a patient, and the Review page shows it at once.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.browser import harness
from tests.browser.conftest import Server, artifacts_dir, select, start_camera, streamlit_server
from tests.conftest import SAMPLES

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CLIP = SAMPLES / "bird_dog_rounded_back.mp4"
STALE_S = 30  # formcheck.recording.NO_VIDEO_S: no video this long, the set is marked interrupted


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    """The store as the therapist left it: P-link (clips kept, their own trunk limit)."""
    from formcheck.store import open_store

    data = tmp_path_factory.mktemp("recording-data")
    with open_store(None, data) as store:
        store.add_patient("P-link", clips_opt_in=True)
        store.set_limit("P-link", "bird_dog", "torso_level", 9.0, set_by="T. Smith")
    return data


@pytest.fixture(scope="module")
def server(browser_ready, data_dir: Path, tmp_path_factory, model_dir: Path):
    work = tmp_path_factory.mktemp("recording-server")
    with streamlit_server("app.py", model_dir, work, "streamlit-recording.log",
                          env={"FORMCHECK_DATA_DIR": str(data_dir)},
                          drop_env=("FORMCHECK_DATABASE_URL", "FORMCHECK_REVIEW_PASSWORD")) as server:
        yield server


@pytest.fixture(scope="module")
def context(server: Server, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    from tests.browser.fake_camera import make_y4m

    work = tmp_path_factory.mktemp("recording-chromium")
    camera = make_y4m(CLIP, work / "bird_dog.y4m", 640, 360, 30)
    with sync_playwright() as pw, harness.chromium(pw, server, work, camera=camera, viewport=(1280, 1600)) as ctx:
        yield ctx


@pytest.fixture
def page(context, request):
    page = context.new_page()
    yield page
    if not page.is_closed():
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            page.screenshot(path=str(artifacts_dir() / f"failed-{request.node.name}.png"), full_page=True)
        page.close()


def stored_sets(data_dir: Path, patient: str):
    """The patient's sets as another process sees them (opening the store marks dead ones)."""
    from formcheck.store import open_store

    with open_store(None, data_dir) as store:
        if store.find_patient(patient) is None:
            return []
        return [(st, sess) for sess in store.sessions(patient) for st in sess.sets]


def saving_line(page) -> str:
    line = page.get_by_text(re.compile(r"(Saving to|Saved to|Not saving)")).first
    return line.inner_text() if line.count() else ""


def wait_for_line(page, pattern: str, timeout_s: float) -> str:
    deadline = time.monotonic() + timeout_s
    while not re.search(pattern, text := saving_line(page)):
        assert time.monotonic() < deadline, f"the page never said {pattern!r}; last: {text!r}"
        time.sleep(0.5)
    return text


def open_review(page, server: Server, patient: str) -> None:
    page.goto(f"{server.url}/review")
    page.get_by_text("Therapist review").first.wait_for()
    select(page, "Patient", patient)


def test_a_patient_opens_their_link_does_a_set_and_the_therapist_sees_it(page, server, data_dir):
    if shutil.which("pdfimages") is None:
        pytest.skip("poppler-utils not installed (the report is checked with pdfimages and pdftotext)")
    page.goto(f"{server.url}/live?patient=P-link")
    page.get_by_text("Live coaching").first.wait_for()
    chooser = page.locator("[data-testid='stSelectbox']").filter(has_text="Save for")
    chooser.locator("input[role='combobox']").wait_for()
    assert chooser.locator("input[role='combobox']").input_value() == "P-link"  # ready for them
    page.get_by_text("Choose the exercise you are about to do").wait_for()  # none done yet: no guess
    select(page, "Exercise", "Bird dog")
    page.get_by_text("P-link's own limits: Trunk still 9 deg").wait_for()
    assert "Saving to P-link: 0 reps so far" in wait_for_line(page, "Saving to P-link", 60)
    start_camera(page, server)
    wait_for_line(page, r"Saving to P-link: [2-9] reps so far", 180)
    page.screenshot(path=str(artifacts_dir() / "recording-live-saving.png"))
    [(during, _)] = stored_sets(data_dir, "P-link")
    assert during.status == "in_progress" and during.items >= 2  # already in the store, rep by rep

    page.get_by_role("button", name="End set").click()
    line = wait_for_line(page, r"Saved to P-link", 60)
    reps = int(re.search(r"(\d+) reps", line).group(1))
    assert re.search(r"[1-9]\d* clips? of reps to look at", line), line
    page.get_by_text("Set summary").wait_for()
    page.screenshot(path=str(artifacts_dir() / "recording-live-ended.png"), full_page=True)
    [(done, session)] = stored_sets(data_dir, "P-link")
    assert (done.status, done.items) == ("complete", reps) and done.flagged >= 1 and session.source == "camera"

    open_review(page, server, "P-link")
    card = page.locator("[class*='st-key-card-rep-']").first
    card.get_by_text(re.compile(r"Rep \d \((left|right)\)")).wait_for()
    assert page.get_by_text("Bird dog (set").count() > 0
    video = card.locator("video")
    video.wait_for()
    page.wait_for_function("v => v.readyState >= 2", arg=video.element_handle(), timeout=30_000)
    assert 1.0 <= video.evaluate("v => v.duration") <= 10.0
    video.evaluate("v => { v.muted = true; return v.play(); }")
    page.wait_for_function("v => v.currentTime > 0.5", arg=video.element_handle(), timeout=20_000)
    page.screenshot(path=str(artifacts_dir() / "recording-review.png"), full_page=True)

    # the printable report of the set: a picture and a chart per flagged rep, then the progress
    with page.expect_download(timeout=120_000) as download:
        page.get_by_role("button", name="Export PDF").click()
    pdf = artifacts_dir() / "recording-live-session.pdf"
    download.value.save_as(pdf)
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert len(listing.splitlines()[2:]) >= done.flagged + 1  # a still per flagged rep (+ charts), progress
    text = " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())
    assert "Session report: P-link" in text and "The worst moment" in text and "Progress: P-link" in text
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(artifacts_dir() / "recording-live-session")],
                   check=True)


def test_a_new_patient_is_offered_and_a_closed_tab_leaves_the_set_interrupted(context, server, data_dir):
    page = context.new_page()
    try:
        page.goto(f"{server.url}/live?patient=P-tab")
        page.get_by_text("who is not in this computer's records yet").wait_for()
        assert stored_sets(data_dir, "P-tab") == []  # not made until asked for
        page.screenshot(path=str(artifacts_dir() / "recording-new-patient.png"))
        page.get_by_role("button", name="Create P-tab and save the sets").click()
        chooser = page.locator("[data-testid='stSelectbox']").filter(has_text="Save for").locator("input")
        deadline = time.monotonic() + 30
        while chooser.input_value() != "P-tab":  # the page has run again with them chosen
            assert time.monotonic() < deadline, chooser.input_value()
            time.sleep(0.2)
        select(page, "Exercise", "Bird dog")
        wait_for_line(page, "Saving to P-tab: 0 reps", 60)
        start_camera(page, server)
        wait_for_line(page, r"Saving to P-tab: [2-9] reps so far", 180)
    except Exception:
        page.screenshot(path=str(artifacts_dir() / "failed-recording-closed-tab.png"), full_page=True)
        raise
    page.close()  # mid-set: no End set

    deadline = time.monotonic() + STALE_S + 60
    while not (sets := stored_sets(data_dir, "P-tab")) or sets[0][0].status != "interrupted":
        assert time.monotonic() < deadline, f"the set was not marked interrupted: {sets}"
        time.sleep(1.0)
    [(st, _)] = sets
    assert st.items >= 2 and "no video" in st.status_reason

    review = context.new_page()
    try:
        open_review(review, server, "P-tab")
        review.locator("[data-testid='stMetricValue']").filter(has_text="interrupted").first.wait_for()
        review.locator("[class*='st-key-card-rep-']").first.wait_for()
        review.screenshot(path=str(artifacts_dir() / "recording-review-interrupted.png"), full_page=True)
    finally:
        review.close()


def test_the_analyse_page_saves_for_a_patient_and_the_review_page_shows_it(page, server, data_dir):
    page.goto(f"{server.url}/analyse")
    page.get_by_text("Analyse a recorded video").wait_for()
    page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(CLIP))
    page.get_by_role("button", name="Analyse").click()  # the exercise left on "auto"
    page.get_by_text(f"Analysed '{CLIP.name}' as Bird dog").wait_for(timeout=180_000)
    page.get_by_text("recognised from the first").wait_for()
    select(page, "Patient", "P-link")
    page.get_by_role("button", name="Save for patient").click()
    saved = page.get_by_text(re.compile(r"This set is saved for P-link \(session \d+: 2 reps, 2 clips"))
    saved.wait_for()
    session_id = re.search(r"session (\d+)", saved.inner_text()).group(1)
    page.screenshot(path=str(artifacts_dir() / "recording-analyse-saved.png"), full_page=True)
    video_sessions = [sess for _, sess in stored_sets(data_dir, "P-link") if sess.source == "video"]
    assert [(s.id, s.source_name) for s in video_sessions] == [(int(session_id), CLIP.name)]

    open_review(page, server, "P-link")  # the same server, no restart
    select(page, "Session", f"(#{session_id})")
    card = page.locator("[class*='st-key-card-rep-']").first
    card.locator("video").wait_for()
    assert page.locator("[class*='st-key-card-rep-']").count() == 2
    page.screenshot(path=str(artifacts_dir() / "recording-review-analysed.png"), full_page=True)
