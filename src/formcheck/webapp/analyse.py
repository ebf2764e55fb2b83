"""The "Analyse a video" page: upload a recording, pick the exercise (or let it be recognised),
get the annotated video, the per-rep table, each check's metric over time and the files to
download, and save the result for a patient (as ``formcheck analyze --save`` does, with clips of
the flagged reps when the patient opted in) for their therapist's review.

Uploads are checked before anything runs: size against the limit, type by content (magic
bytes, then PyAV must decode a frame), never by the file name. An accepted upload is written
under a fresh temporary folder with a generated name; the user's file name is only ever shown.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from formcheck import api
from formcheck.capture import VideoFile
from formcheck.errors import FormcheckError, InputError, NoPersonError
from formcheck.exercises import all_exercises
from formcheck.report import SessionReport
from formcheck.store import StoreError, content_key, save_analysis
from formcheck.webapp import common, patients
from formcheck.webapp.settings import AppSettings, SettingError

log = logging.getLogger(__name__)

#: What the uploader offers; the content check decides what is accepted.
UPLOAD_TYPES = ("mp4", "mov", "webm", "avi", "gif")
_STATE = "analyse_page"


class UploadError(InputError):
    """The upload is not something the page will analyse (too big, empty, not a video)."""


def sniff_container(head: bytes) -> str | None:
    """The container of a file from its first bytes (at least 12): ``mp4``, ``mov``,
    ``webm`` (Matroska/WebM), ``avi`` or ``gif``; None when it is none of these."""
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[4:8] == b"ftyp":
        return "mov" if head[8:10] == b"qt" else "mp4"
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"):
        return "mov"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "avi"
    return None


def _mb(n_bytes: int) -> str:
    return f"{n_bytes / 1_000_000:.0f} MB" if n_bytes >= 10_000_000 else f"{n_bytes / 1_000_000:.1f} MB"


def effective_upload_limit(settings: AppSettings) -> int:
    """Bytes: the app setting, capped by Streamlit's own ``server.maxUploadSize`` (MB)."""
    server_mb = st.get_option("server.maxUploadSize")
    return min(settings.max_upload_bytes, int(server_mb) * 1_000_000)


def save_upload(data, name: str, size: int, folder: Path, limit_bytes: int) -> Path:
    """Check an upload and write it to ``folder`` under a generated name.

    ``data`` is a binary file object (Streamlit's ``UploadedFile``); ``name`` is used in
    messages only.

    Raises:
        UploadError: empty, over ``limit_bytes``, not a known video container, or PyAV cannot
            decode a frame of it.
    """
    if size <= 0:
        raise UploadError(f"{name!r} is empty (0 bytes)")
    if size > limit_bytes:
        raise UploadError(f"{name!r} is {_mb(size)}; the limit is {_mb(limit_bytes)}. "
                          "Trim or compress the video and try again.")
    data.seek(0)
    head = data.read(16)
    kind = sniff_container(head)
    if kind is None:
        raise UploadError(f"{name!r} is not a video this page can read (expected "
                          f"{', '.join(t.upper() for t in UPLOAD_TYPES)}; the file's content "
                          "does not look like any of them)")
    path = folder / f"upload-{uuid.uuid4().hex}.{kind}"
    data.seek(0)
    with open(path, "wb") as out:
        shutil.copyfileobj(data, out, length=1 << 20)
    probe_video(path, name)
    return path


def probe_video(path: Path, name: str) -> None:
    """Open ``path`` with PyAV and decode its first frame.

    Raises:
        UploadError: with the reason, naming the upload as ``name`` (not the temporary path).
    """
    try:
        with VideoFile(path) as video:
            next(video.frames())
    except InputError as exc:
        raise UploadError(_rename(str(exc), path, name)) from exc
    except StopIteration:
        raise UploadError(f"{name!r}: the video has no frames") from None


def _rename(message: str, path: Path, name: str) -> str:
    return message.replace(str(path), repr(name))


@dataclass
class Upload:
    """The upload currently on the page: its Streamlit file id, where it was saved (or why it
    was refused)."""

    file_id: str
    name: str
    folder: Path
    path: Path | None
    error: str | None


@dataclass
class Result:
    """A finished analysis kept across reruns."""

    file_id: str
    name: str
    exercise: str
    report: SessionReport
    outputs: api.AnalysisOutputs
    upload_path: Path


def _state() -> dict:
    return st.session_state.setdefault(_STATE, {"upload": None, "result": None})


def _forget(upload: Upload | None) -> None:
    if upload is not None:
        shutil.rmtree(upload.folder, ignore_errors=True)


def accept_upload(uploaded, limit_bytes: int) -> Upload:
    """Save and check a new upload once (reruns reuse the result); the previous upload's
    folder is removed."""
    state = _state()
    current: Upload | None = state["upload"]
    if current is not None and current.file_id == uploaded.file_id:
        return current
    _forget(current)
    state["result"] = None
    folder = Path(tempfile.mkdtemp(prefix="formcheck-upload-"))
    try:
        path, error = save_upload(uploaded, uploaded.name, uploaded.size, folder, limit_bytes), None
    except UploadError as exc:
        path, error = None, str(exc)
    upload = Upload(uploaded.file_id, uploaded.name, folder, path, error)
    state["upload"] = upload
    return upload


class _ProgressBar:
    """Feeds ``st.progress`` from the API's ``progress(done, total)``, at most ~8 times a second."""

    def __init__(self) -> None:
        self._bar = st.progress(0.0, text="Starting: loading the pose model...")
        self._last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self._last < 0.12 and done != total:
            return
        self._last = now
        if total:
            self._bar.progress(min(done / total, 1.0), text=f"Analysing: frame {done} of {total}")
        else:
            self._bar.progress(0.0, text=f"Analysing: frame {done}")

    def empty(self) -> None:
        self._bar.empty()


def run_analysis(upload: Upload, exercise_id: str) -> Result | None:
    """Analyse the saved upload with a progress bar; errors become ``st.error`` messages."""
    assert upload.path is not None
    out = upload.folder / f"out-{uuid.uuid4().hex[:8]}"
    bar = _ProgressBar()
    try:
        report, outputs = api.analyze(upload.path, exercise_id, out, progress=bar)
    except FormcheckError as exc:
        bar.empty()
        st.error(_rename(str(exc), upload.path, upload.name))
        return None
    except Exception as exc:  # the page boundary: a bug must not show the user a traceback
        bar.empty()
        log.exception("analysis of %s failed", upload.path)
        st.error(f"The analysis failed unexpectedly ({type(exc).__name__}). "
                 "The details are in the app's log; please report it.")
        return None
    bar.empty()
    if report.frames_with_person == 0:
        st.error(str(NoPersonError(
            f"No person was found in any of the {report.frames_total} frames of {upload.name!r}: "
            "check that the video shows someone doing the exercise, whole body in view.")))
        return None
    return Result(upload.file_id, upload.name, exercise_id, report, outputs, upload.path)


def show_result(result: Result) -> None:
    report, outputs = result.report, result.outputs
    st.success(f"Analysed {result.name!r} as **{report.exercise_name}**: "
               f"{report.frames_total} frames, {report.duration_s:.1f} s.")
    if report.recognition is not None:
        r = report.recognition
        st.caption(f"The exercise was recognised from the first {r.seconds_used:.0f} s "
                   f"({r.confidence:.0%} sure); if it is wrong, choose it and analyse again.")
    lasting = report.lasting_setup_problems()
    if lasting:
        st.warning("**Set-up, for most of the video**\n" + "\n".join(
            f"- {p} (in {share:.0%} of frames)" for p, share in lasting.items()),
            icon=":material/warning:")
    left, right = st.columns([3, 2], gap="large")
    with left:
        if outputs.video is not None and outputs.video.is_file():
            st.video(str(outputs.video))
    with right:
        st.markdown("**Downloads**")
        st.download_button("report.json", data=outputs.report.read_bytes(), file_name="report.json",
                           mime="application/json", on_click="ignore", icon=":material/download:")
        st.download_button("frames.csv", data=outputs.frames_csv.read_bytes(), file_name="frames.csv",
                           mime="text/csv", on_click="ignore", icon=":material/download:")
        if outputs.video is not None and outputs.video.is_file():
            video = outputs.video
            st.download_button("annotated.mp4", data=lambda: video.read_bytes(),
                               file_name="annotated.mp4", mime="video/mp4", on_click="ignore",
                               icon=":material/download:")
        if report.cues:
            st.markdown("**Cues given**")
            st.caption("\n\n".join(f"{c.t_s:.1f} s: {c.text}" for c in report.cues[:12]))
    common.show_summary(report)
    st.subheader("Checks over time")
    st.caption("Blue: the measured value; dashed red: the limit; red bands: time the check flagged.")
    common.show_metric_charts(common.read_frames(outputs.frames_csv), report)
    _save_section(result)


def _save_section(result: Result) -> None:
    """Save the analysis for a patient (once per upload and exercise: saving again says where
    it already is)."""
    st.subheader("Save for a patient")
    patient = patients.patient_chooser("analyse_patient", label="Patient")
    if patient is None:
        st.caption("Choose the patient to keep this set for their therapist's review.")
        return
    if not st.button("Save for patient", type="primary", icon=":material/save:", key="analyse_save"):
        return
    try:
        saved = save_analysis(result.report, result.outputs, patient=patient, store=patients.app_store(),
                              source="video", source_key=content_key(result.upload_path, result.report.exercise),
                              source_name=result.name)
    except (FormcheckError, ValueError) as exc:
        st.error(f"Not saved: {exc}")
        return
    items = f"{saved.reps} reps" if result.report.kind == "reps" else f"{saved.holds} holds"
    clips = f", {saved.clips} clip{'s' if saved.clips != 1 else ''} of flagged ones" if saved.clips else ""
    where = "was already saved" if saved.already_saved else "is saved"
    st.success(common.escape_markdown(f"This set {where} for {patient} (session {saved.session_id}: {items}{clips}). "
                                      "Their therapist finds it on the Review page."), icon=":material/check_circle:")


def analyse_page() -> None:
    st.title("Analyse a recorded video")
    try:
        settings = AppSettings.from_env()
    except SettingError as exc:
        st.error(f"Setting ignored: {exc}")
        settings = AppSettings()
    limit = effective_upload_limit(settings)
    st.caption(f"Upload a video of one set (MP4, MOV, WebM, AVI or GIF, up to {_mb(limit)}). "
               "It is analysed on this computer and not kept after you leave.")
    uploaded = st.file_uploader("Video", type=list(UPLOAD_TYPES), key="analyse_upload",
                                help=f"Size limit {_mb(limit)}.")
    exercise_id = common.exercise_picker("Exercise in the video", key="analyse_exercise", auto=True)
    if exercise_id != api.AUTO:
        common.show_exercise_brief(all_exercises()[exercise_id], expanded=False)
    state = _state()
    if uploaded is None:
        _forget(state["upload"])
        state["upload"] = state["result"] = None
        st.info("Choose a video file to start.")
        return
    upload = accept_upload(uploaded, limit)
    if upload.error:
        st.error(upload.error)
        return
    result: Result | None = state["result"]
    if result is not None and result.exercise != exercise_id:
        result = None
    if st.button("Analyse", type="primary", icon=":material/play_arrow:", key="analyse_run"):
        result = run_analysis(upload, exercise_id)
        state["result"] = result
    if result is not None:
        show_result(result)
