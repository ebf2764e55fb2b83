"""formcheck.annotate: the shapes a frame's result is drawn from, drawn with OpenCV where they
say, and the same shapes as the plain data the live page's browser overlay draws."""

from __future__ import annotations

import json

import numpy as np
import pytest

from formcheck.annotate import (BannerAnnotator, Disc, Line, Rect, SkeletonAnnotator, Text, draw,
                                live_annotator, to_plain)
from formcheck.engine import Analyzer
from formcheck.exercises import get_exercise
from tests import skeletons


def _plank_results(n: int = 90):
    analyzer = Analyzer(get_exercise("plank"))
    return [analyzer.update(skeletons.plank(round(i * 1000 / 30))) for i in range(n)]


def test_live_shapes_carry_skeleton_checks_counter_and_strip():
    result = _plank_results()[-1]
    shapes = live_annotator(get_exercise("plank")).shapes(result, (1280, 720))
    texts = [s.text for s in shapes if isinstance(s, Text)]
    assert texts[0].startswith("Hips sagging: ") and len(texts) >= 7
    assert any(t.startswith("hold ") for t in texts) and any(t.startswith("good form") for t in texts)
    assert sum(isinstance(s, Line) for s in shapes) > 10 and sum(isinstance(s, Disc) for s in shapes) > 10


def test_skeleton_is_drawn_in_the_pictures_pixels_not_the_pose_models():
    result = _plank_results(2)[-1]
    w, h = result.pose.image_size
    full = [s for s in SkeletonAnnotator().shapes(result, (w, h)) if isinstance(s, Disc)]
    half = [s for s in SkeletonAnnotator().shapes(result, (w // 2, h // 2)) if isinstance(s, Disc)]
    assert len(full) == len(half) > 0
    for a, b in zip(full, half):
        assert b.centre == pytest.approx((a.centre[0] / 2, a.centre[1] / 2), abs=0.51)


def test_draw_puts_each_shape_where_it_says():
    image = np.zeros((200, 300, 3), np.uint8)
    draw(image, [Line(((10, 10), (100, 10)), (255, 0, 0), 3), Disc((150, 100), 6, (0, 255, 0)),
                 Rect(200, 150, 250, 190, (0, 0, 255)), Rect(0, 60, 300, 80, (200, 200, 200), opacity=0.5),
                 Text("hold 3.0 s", 290, 40, 20, (255, 255, 255), 2, align="right", background=(1, 2, 3))])
    assert tuple(image[10, 50]) == (255, 0, 0)
    assert tuple(image[100, 150]) == (0, 255, 0)
    assert tuple(image[170, 225]) == (0, 0, 255)
    assert tuple(image[70, 5]) == (100, 100, 100)  # half-way blend over black
    box = (image[15:45, 150:295] == (1, 2, 3)).all(axis=2)
    ink = (image[15:45, 150:295] == 255).all(axis=2)
    assert box.any() and ink.any()  # the background box, with white text in it
    assert not image[15:45, 295:].any()  # right-aligned: nothing past x = 290 + margin


def test_plain_shapes_are_json_with_css_colours():
    shapes = [*live_annotator(get_exercise("plank")).shapes(_plank_results()[-1], (640, 480)),
              *BannerAnnotator("Set ended", "See the summary").shapes(None, (640, 480))]
    plain = json.loads(json.dumps(to_plain(shapes)))
    assert len(plain) == len(shapes)
    kinds = {p["kind"] for p in plain}
    assert kinds == {"line", "disc", "rect", "text"}
    for p in plain:
        assert all(p[k] is None or (p[k].startswith("#") and len(p[k]) == 7) for k in ("colour", "background") if k in p)
    banner = [p for p in plain if p["kind"] == "rect"][-1]
    assert banner["opacity"] == 0.65 and banner["x1"] == 640
    title = [p for p in plain if p["kind"] == "text"][-2]
    assert (title["text"], title["align"], title["x"]) == ("Set ended", "centre", 320)
