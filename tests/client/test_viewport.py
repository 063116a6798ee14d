from __future__ import annotations

import pytest

from agora.client.city import Extent
from agora.client.viewport import Area, Viewport

EXTENT = Extent(0.0, 0.0, 2000.0, 1000.0)


def test_fit_centres_the_extent_and_keeps_its_aspect() -> None:
    vp = Viewport((1000, 1000), Area(0, 0, 1000, 1000), EXTENT)
    left, bottom = vp.to_screen(EXTENT.left, EXTENT.bottom)
    right, top = vp.to_screen(EXTENT.right, EXTENT.top)
    assert (right - left) / (top - bottom) == pytest.approx(2.0)
    assert right - left == pytest.approx(960.0)  # limited by the width, with a small margin
    assert ((left + right) / 2, (bottom + top) / 2) == pytest.approx((500.0, 500.0))


def test_screen_and_world_round_trip() -> None:
    vp = Viewport((1280, 800), Area(0, 26, 1280, 712), EXTENT)
    assert vp.to_world(*vp.to_screen(123.0, 456.0)) == pytest.approx((123.0, 456.0))


def test_clip_transform_matches_to_screen() -> None:
    vp = Viewport((1280, 800), Area(0, 26, 1280, 712), EXTENT)
    (sx, sy), (ox, oy) = vp.clip_transform()
    for x, y in ((0.0, 0.0), (2000.0, 1000.0), (700.0, 300.0)):
        px, py = vp.to_screen(x, y)
        assert (x * sx + ox, y * sy + oy) == pytest.approx((px / 1280 * 2 - 1, py / 800 * 2 - 1))


def test_zoom_keeps_the_point_under_the_cursor() -> None:
    vp = Viewport((1000, 800), Area(0, 0, 1000, 800), EXTENT)
    under = vp.to_world(300.0, 200.0)
    vp.zoom_at(300.0, 200.0, 2.0)
    assert vp.zoom == pytest.approx(2.0)
    assert vp.to_world(300.0, 200.0) == pytest.approx(under)
    vp.zoom_at(300.0, 200.0, 1e6)
    assert vp.zoom == pytest.approx(40.0)


def test_pan_follows_the_pointer_and_resize_keeps_a_chosen_view() -> None:
    vp = Viewport((1000, 800), Area(0, 0, 1000, 800), EXTENT)
    before = vp.to_screen(500.0, 500.0)
    vp.pan(10.0, -20.0)
    assert vp.to_screen(500.0, 500.0) == pytest.approx((before[0] + 10.0, before[1] - 20.0))
    scale = vp.px_per_m
    vp.resize((500, 400), Area(0, 0, 500, 400))
    assert vp.px_per_m == scale  # the user moved the map: leave it as they set it
    vp.fit()
    vp.resize((500, 400), Area(0, 0, 500, 400))
    assert vp.px_per_m == pytest.approx(scale / 2)  # otherwise refit to the new size
