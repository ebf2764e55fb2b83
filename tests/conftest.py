"""Shared fixtures. Tests run the real MediaPipe on real clips: point FORMCHECK_MODEL_DIR at the
folder holding pose_landmarker_full.task (CI uses ../shared/models)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FORMCHECK_SHARED_DIR", REPO.parent / "shared"))
MEDIA = SHARED / "media"
SAMPLES = REPO / "sample_videos"
#: PYTHONPATH for subprocesses: this checkout's package (not whichever formcheck is installed)
#: and the ``tests`` package.
PYTHONPATH = os.pathsep.join([str(REPO / "src"), str(REPO)])

if "FORMCHECK_MODEL_DIR" not in os.environ and (SHARED / "models").is_dir():
    os.environ["FORMCHECK_MODEL_DIR"] = str(SHARED / "models")


def media_clip(name: str) -> Path:
    """A clip from ../shared/media; the test is skipped with a reason when shared/ is absent."""
    path = MEDIA / name
    if not path.is_file():
        pytest.skip(f"{path} not available (tests expect ../shared beside the checkout)")
    return path


def manifest() -> list[dict]:
    path = MEDIA / "manifest.json"
    return json.loads(path.read_text()) if path.is_file() else []


@pytest.fixture(scope="session")
def model_dir() -> Path:
    d = os.environ.get("FORMCHECK_MODEL_DIR")
    if not d or not (Path(d) / "pose_landmarker_full.task").is_file():
        pytest.skip("no pose model: set FORMCHECK_MODEL_DIR")
    return Path(d)


@pytest.fixture
def plank_live_session(model_dir):
    """A live session (the app's live page's, :class:`formcheck.webapp.live.LiveSession`) with a
    plank set started at full quality; closed after the test."""
    from formcheck.exercises import get_exercise
    from formcheck.webapp.live import LiveSession

    session = LiveSession(adaptive=False)
    session.start(get_exercise("plank"))
    yield session
    session.close()
