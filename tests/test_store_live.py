"""End to end on real clips with the real pose model: a live-style session recorded rep by rep
(each rep readable from another connection the moment it ends), and ``analyze`` + ``save_analysis``
cutting a playable clip of a flagged hold."""

from __future__ import annotations

import pytest

from tests.conftest import media_clip
from tests.test_store_db import SQLITE_ONLY, db_url, postgres_admin_url, postgres_template, store  # noqa: F401

pytestmark = pytest.mark.slow


def test_live_session_commits_each_rep_as_it_ends(store, db_url, tmp_path, model_dir):
    from formcheck.capture import VideoFile
    from formcheck.coach import LiveCoach
    from formcheck.store import SetRecorder, open_store

    other = open_store(db_url, tmp_path / "data")  # a second connection, e.g. the review page
    seen_after_each_rep: list[int] = []

    def record(rep) -> None:
        rec.add_rep(rep)
        [sess] = other.sessions("P-live")
        seen_after_each_rep.append(sess.sets[0].items)

    with SetRecorder(store, "P-live", source="camera") as rec, LiveCoach("bird_dog", on_rep=record) as coach:
        rec.start_set("bird_dog")
        with VideoFile(media_clip("bird_dog__lena.mp4")) as video:
            for frame in video.frames():
                rec.observe(coach.step(frame.image, frame.t_ms))
        rec.finish(coach.finish())
    n = len(coach.report.reps)
    assert n >= 2
    assert seen_after_each_rep == list(range(1, n + 1))  # committed one by one, visible at once
    [sess] = other.sessions("P-live")
    assert sess.sets[0].status == "complete"
    items = other.session_detail(sess.id).sets[0].items
    assert [i.index for i in items] == list(range(1, n + 1))
    for item in items:  # each rep carries its metric series (rep +- 1 s) for the plot
        assert item.series["t_s"][0] <= item.start_s and item.series["t_s"][-1] >= item.end_s - 0.05
        assert any(v is not None for v in item.series["spine_neutral"])
    other.close()


@SQLITE_ONLY
def test_analyze_then_save_cuts_a_playable_clip(store, tmp_path, model_dir):
    from formcheck import api
    from formcheck.capture import VideoFile
    from formcheck.store import save_analysis

    store.add_patient("P-plank", clips_opt_in=True)
    store.set_limit("P-plank", "plank", "hip_pike", 12.0)  # this clip's hips sit ~17 deg high
    report, outputs = api.analyze(media_clip("plank__kaiakol-004.mp4"), "plank", tmp_path / "out",
                                  patient=store.patient_limits("P-plank"))
    assert report.processing.limit_sources["hip_pike"] == "patient"
    assert report.holds and "hip_pike" in report.holds[0].flags
    saved = save_analysis(report, outputs, patient="P-plank", store=store)
    assert saved.clips == 1
    [hold] = store.session_detail(saved.session_id).sets[0].items
    assert hold.kind == "hold" and hold.clip is not None
    with VideoFile(hold.clip) as clip:
        assert clip.info.codec == "h264"
        n = sum(1 for _ in clip.frames())
    # the hold plus a second either side, as far as the video goes
    expected = min(hold.end_s + 1.0, report.input.duration_s) - max(hold.start_s - 1.0, 0.0)
    assert abs(n / clip.info.fps - expected) < 0.2
    assert store.session_detail(saved.session_id).sets[0].limits["hip_pike"] == 12.0
