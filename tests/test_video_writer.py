"""video_writer.py: H.264 MP4 that browsers play, frames at their own times."""

from __future__ import annotations

import av
import numpy as np
import pytest

from formcheck.errors import OutputError
from formcheck.video_writer import H264Writer
from tests.videos import corner_colours, count_frames, decode_times_ms, quadrant_image


def test_writes_h264_yuv420p_that_pyav_decodes(tmp_path):
    path = tmp_path / "out.mp4"
    img = quadrant_image(160, 90)
    with H264Writer(path, 160, 90, fps=25) as writer:
        for i in range(20):
            writer.write(img, i * 40)
    assert writer.frames_written == 20
    n, codec = count_frames(path)
    assert (n, codec) == (20, "h264")
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        assert stream.codec_context.pix_fmt == "yuv420p"
        assert float(stream.average_rate) == pytest.approx(25, rel=0.01)
        frame = next(c.decode(video=0))
        got = corner_colours(frame.to_ndarray(format="rgb24"))
    for corner, colour in corner_colours(img).items():
        np.testing.assert_allclose(got[corner], colour, atol=12)


def test_frames_keep_their_timestamps(tmp_path):
    path = tmp_path / "vfr.mp4"
    times = [0, 33, 50, 120, 121, 400, 1000]
    with H264Writer(path, 64, 48) as writer:
        for t in times:
            writer.write(quadrant_image(64, 48), t)
    assert decode_times_ms(path) == times


def test_repeated_timestamp_moves_on_by_one_ms(tmp_path):
    path = tmp_path / "dup.mp4"
    with H264Writer(path, 64, 48) as writer:
        for t in (0, 40, 40, 80):
            writer.write(quadrant_image(64, 48), t)
    assert decode_times_ms(path) == [0, 40, 41, 80]


def test_odd_size_is_padded_to_even(tmp_path):
    path = tmp_path / "odd.mp4"
    with H264Writer(path, 101, 75) as writer:
        writer.write(quadrant_image(101, 75), 0)
        writer.write(quadrant_image(101, 75), 40)
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        assert (s.codec_context.width, s.codec_context.height) == (102, 76)
    assert count_frames(path)[0] == 2


def test_index_is_at_the_front_for_streaming(tmp_path):
    path = tmp_path / "fast.mp4"
    with H264Writer(path, 64, 48) as writer:
        for i in range(5):
            writer.write(quadrant_image(64, 48), i * 40)
    data = path.read_bytes()
    assert 0 <= data.find(b"moov") < data.find(b"mdat")


def test_close_is_idempotent(tmp_path):
    writer = H264Writer(tmp_path / "x.mp4", 32, 32)
    writer.write(quadrant_image(32, 32), 0)
    writer.close()
    writer.close()
    assert count_frames(tmp_path / "x.mp4")[0] == 1


def test_unwritable_path_raises_output_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="cannot write video"):
        H264Writer(blocker / "out.mp4", 32, 32)
