"""capture.py: frames come out upright, with the container's timestamps, streamed."""

from __future__ import annotations

import gc
import itertools
import os
import shutil
import subprocess
import tracemalloc

import av
import numpy as np
import pytest
from PIL import Image

from formcheck.api import _read_ahead
from formcheck.capture import DecodeInterrupted, VideoFile
from formcheck.errors import InputError
from tests.conftest import manifest, media_clip
from tests.videos import BAD_FILES, corner_colours, decode_times_ms, quadrant_image, write_clip

MP4 = "plank__kaiakol-001.mp4"
GIF_IRREGULAR = "plank__colem.gif"  # first delay 80 ms, then 90 ms


def _times(path) -> list[int]:
    with VideoFile(path) as video:
        return [f.t_ms for f in video.frames()]


def _manifest_entry(name: str) -> dict:
    return next(e for e in manifest() if e["file"] == name)


def _ffprobe_times_ms(path) -> list[int]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "frame=pts_time",
         "-of", "csv=p=0", str(path)], capture_output=True, text=True, check=True).stdout
    return [round(float(x) * 1000) for x in out.split() if x.strip() not in ("", "N/A")]


# --- real clips -------------------------------------------------------------------------------

def test_mp4_decodes_every_frame_with_container_times():
    path = media_clip(MP4)
    times = _times(path)
    assert len(times) == _manifest_entry(MP4)["frames"]
    assert times == decode_times_ms(path)
    assert all(b > a for a, b in itertools.pairwise(times))
    if shutil.which("ffprobe"):  # an independent reader, when installed
        assert times == _ffprobe_times_ms(path)


def test_mp4_info_matches_manifest():
    path = media_clip(MP4)
    entry = _manifest_entry(MP4)
    with VideoFile(path) as video:
        info = video.info
    assert (info.width, info.height) == (entry["width"], entry["height"])
    assert info.fps == pytest.approx(entry["fps"], rel=0.01)
    assert info.frame_count == entry["frames"]
    assert info.rotation == 0


@pytest.mark.parametrize("name", [GIF_IRREGULAR, "anti_rotation__exos.gif"])
def test_gif_times_are_the_per_frame_delays(name):
    path = media_clip(name)
    with Image.open(path) as im:  # Pillow reads the GIF's own delays: an independent reference
        delays = []
        for i in range(im.n_frames):
            im.seek(i)
            delays.append(im.info["duration"])
    expected = np.concatenate([[0], np.cumsum(delays)[:-1]]).astype(int).tolist()
    assert len(set(delays)) > 1, "the clip was chosen for its uneven delays"
    assert _times(path) == expected


def test_generated_gif_with_uneven_delays(tmp_path):
    delays = [40, 120, 70, 500, 60, 100]
    frames = [Image.fromarray(np.full((24, 32, 3), 40 * i, np.uint8)) for i in range(len(delays))]
    path = tmp_path / "uneven.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=delays, loop=0)
    assert _times(path) == [0, 40, 160, 230, 730, 790]


# --- phone rotation ---------------------------------------------------------------------------

@pytest.mark.parametrize("quarter_turns", [0, 1, 2, 3])
def test_rotated_phone_clip_comes_out_upright(tmp_path, quarter_turns):
    """A phone stores the sensor picture turned and writes a display matrix saying how to turn
    it back; the frames must come out as the scene looked (the upright quadrant pattern)."""
    upright = quadrant_image(96, 64)
    stored = np.ascontiguousarray(np.rot90(upright, k=quarter_turns))  # turned anticlockwise
    # To show it upright the player turns it back clockwise, i.e. -90*k anticlockwise.
    path = write_clip(tmp_path / "phone.mp4", [stored] * 5, rotation=-90 * quarter_turns)
    with VideoFile(path) as video:
        assert (video.info.width, video.info.height) == (96, 64)
        assert video.info.rotation == (-90 * quarter_turns) % 360
        frames = list(video.frames())
    assert len(frames) == 5
    for frame in frames:
        assert frame.image.shape == (64, 96, 3)
        got = corner_colours(frame.image)
        want = corner_colours(upright)
        for corner in want:
            np.testing.assert_allclose(got[corner], want[corner], atol=12, err_msg=corner)
    if shutil.which("ffmpeg"):  # FFmpeg's own autorotation agrees
        raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-frames:v", "1", "-f", "rawvideo",
                              "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
        ref = np.frombuffer(raw, np.uint8).reshape(64, 96, 3)
        assert np.abs(ref.astype(int) - frames[0].image.astype(int)).mean() < 3


# --- variable frame rate ----------------------------------------------------------------------

def test_variable_frame_rate_times_are_the_containers(tmp_path):
    pts = [0, 20, 90, 100, 250, 260, 400, 433, 500, 700, 701, 1500]
    img = quadrant_image(64, 48)
    path = write_clip(tmp_path / "vfr.mp4", [img] * len(pts), pts_ms=pts, fps=15)
    assert decode_times_ms(path) == pts  # the container kept them
    assert _times(path) == pts
    # A frame counter at the nominal rate would say otherwise.
    with VideoFile(path) as video:
        nominal = [round(i * 1000 / video.info.fps) for i in range(len(pts))]
    assert nominal != pts


# --- streaming --------------------------------------------------------------------------------

def _rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory):
    """600 frames of 640x480 (a 20 s clip): ~550 MB if all frames were held as RGB."""
    rng = np.random.default_rng(0)
    base = quadrant_image(640, 480)

    def images():
        for i in range(600):
            img = np.roll(base, 4 * i, axis=1)
            img[rng.integers(0, 480), :] = 255
            yield img

    return write_clip(tmp_path_factory.mktemp("long") / "long.mp4", images(), fps=30)


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc")
def test_long_clip_streams_with_flat_memory(long_clip):
    frame_bytes = 640 * 480 * 3
    gc.collect()
    with VideoFile(long_clip) as video:
        it = _read_ahead(video.frames())  # the same read-ahead analyze() uses
        tracemalloc.start()
        rss0, samples, count = None, [], 0
        for frame in it:
            count += 1
            if count == 30:  # decoder and queue warmed up
                rss0 = _rss_bytes()
                tracemalloc.reset_peak()
            elif count > 30 and count % 25 == 0:
                samples.append(_rss_bytes())
        _, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert count == 600
    # numpy arrays alive at once: the frame in hand plus the read-ahead queue, not the clip.
    assert traced_peak < 20 * frame_bytes
    assert max(samples) - rss0 < 60 * frame_bytes  # the whole clip would be 600 frames


# --- truncated and bad files ------------------------------------------------------------------

def test_truncated_mp4_yields_the_readable_part_then_says_so(tmp_path):
    src = media_clip(MP4)
    data = src.read_bytes()
    cut = tmp_path / "half.mp4"
    cut.write_bytes(data[: len(data) // 2])
    got = []
    with VideoFile(cut) as video, pytest.raises(DecodeInterrupted, match="truncated"):
        for frame in video.frames():
            got.append(frame.t_ms)
    assert 5 < len(got) < _manifest_entry(MP4)["frames"]
    assert got == _times(src)[: len(got)]


def test_complete_file_is_not_reported_truncated(tmp_path):
    path = write_clip(tmp_path / "ok.mp4", [quadrant_image(64, 48)] * 40)
    assert len(_times(path)) == 40


@pytest.mark.parametrize(("make", "message"), [(m, e) for _, m, e in BAD_FILES],
                         ids=[i for i, _, _ in BAD_FILES])
def test_bad_files_raise_input_error(tmp_path, make, message):
    path = tmp_path / "clip.mp4"
    make(path)
    with pytest.raises(InputError, match=message), VideoFile(path) as video:
        list(video.frames())


def test_info_reads_the_frame_size_before_decoding(tmp_path):
    path = write_clip(tmp_path / "odd.mp4", [quadrant_image(100, 60)] * 3)
    with VideoFile(path) as video:
        assert (video.info.width, video.info.height) == (100, 60)
        assert video.info.codec == "h264"
        assert video.info.frame_count == 3


def test_frames_can_be_read_twice(tmp_path):
    path = write_clip(tmp_path / "twice.mp4", [quadrant_image(64, 48)] * 7)
    with VideoFile(path) as video:
        first = [f.t_ms for f in video.frames()]
        second = [f.t_ms for f in video.frames()]
    assert first == second and len(first) == 7


def test_pyav_sees_the_same_rotation_flag_we_write(tmp_path):
    path = write_clip(tmp_path / "r.mp4", [quadrant_image(32, 32)] * 2, rotation=90)
    with av.open(str(path)) as c:
        assert round(next(c.decode(video=0)).rotation) % 360 == 90
