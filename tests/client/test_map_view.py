"""The map's GPU side under X: a pan shifts the cached picture instead of drawing the roads
again and shows what a fresh drawing would; a tick rewrites only what changed, and the
buffers and texture then hold what a full repaint would write."""

from __future__ import annotations

import time

import numpy as np
import pytest
import towns
from frames import grab, pump, save

from agora.client import overlays, palette
from agora.client.map_view import IDLE_S, PAN_MARGIN
from agora.server.net.layers import LayerFeed


@pytest.fixture
def world():  # type: ignore[no-untyped-def]
    return towns.small_world()


@pytest.fixture
def feed(world) -> LayerFeed:  # type: ignore[no-untyped-def]
    feed = LayerFeed()
    feed.commit(feed.prepare(towns.noise_board(world, east_dba=58.0)))
    return feed


@pytest.fixture
def joined(play_window, fake_link, world, feed):  # type: ignore[no-untyped-def]
    fake_link.messages.put(towns.welcome(world, towns.flows_at(world, 0.3), layers=feed.snapshot_layers()))
    pump(play_window)
    play_window.next_layer()
    assert play_window.overlay == "noise_lden_dba"
    pump(play_window)
    return play_window


def map_pixels(window) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The map area of a fresh frame, without the panels over it (int16[h, w, 3])."""
    image = np.asarray(grab(window), dtype=np.int16)
    area = window.hud.map_area(*window.get_size())
    h = image.shape[0]
    # Leave out the bottom 200 px, where the legends sit.
    return image[int(h - area.bottom - area.height): int(h - area.bottom - 200), int(area.left): int(area.width)]


def count_drawings(window) -> list[int]:  # type: ignore[no-untyped-def]
    drawn = [0]
    render = window.map_view._render

    def counted(*args: object) -> None:
        drawn[0] += 1
        render(*args)

    window.map_view._render = counted
    return drawn


def test_a_drag_moves_the_picture_without_drawing_the_roads_again(joined) -> None:  # type: ignore[no-untyped-def]
    viewport = joined.map_viewport
    drawn = count_drawings(joined)
    viewport.zoom_at(400, 400, 2.0)
    pump(joined)
    assert drawn[0] == 1  # the window's size, while zooming
    time.sleep(IDLE_S)
    pump(joined)
    assert drawn[0] == 2  # the view rests: the picture gets its margin
    steps = 0
    while steps * 6 < PAN_MARGIN * joined.get_size()[0] - 12:  # within the margin
        viewport.pan(6, 2)
        pump(joined, 1)
        steps += 1
    # The drag only shifts the picture.
    assert drawn[0] == 2 and steps > 20
    panned = map_pixels(joined)
    save(grab(joined), "client_map_panned.png")
    joined.map_view._picture = None  # force a fresh drawing at the same view
    fresh = map_pixels(joined)
    assert drawn[0] == 3
    differ = np.abs(panned - fresh).max(axis=2) > 24
    print(f"pixels differing after a pan: {differ.mean():.4%}")
    assert differ.mean() < 0.002, differ.mean()
    # Past the margin's edge the picture is drawn again, around the new view.
    viewport.pan(PAN_MARGIN * joined.get_size()[0] + 10, 0)
    pump(joined, 1)
    assert drawn[0] == 4


def test_zooming_draws_each_step_and_a_tick_redraws_once(joined, fake_link, world) -> None:  # type: ignore[no-untyped-def]
    drawn = count_drawings(joined)
    for _ in range(3):
        joined.map_viewport.zoom_at(500, 400, 1.1)
        pump(joined, 1)
    assert drawn[0] == 3
    time.sleep(IDLE_S)
    pump(joined, 3)
    assert drawn[0] == 4  # once the view rests, with a margin to drag over
    pump(joined, 3)
    assert drawn[0] == 4  # a still map is never drawn again
    flows = joined.city.flow_veh_h.copy()
    fake_link.messages.put(towns.delta(world, flows, flows * 2, tick=8))
    pump(joined, 3)
    assert drawn[0] == 5


def test_a_tick_writes_the_changed_links_and_rows_as_a_full_repaint_would(joined, fake_link, world, feed) -> None:  # type: ignore[no-untyped-def]
    view, city = joined.map_view, joined.city
    flows = city.flow_veh_h.copy()
    after = flows.copy()
    busy = towns.link_between(world, 5, 6)
    after[busy] = 1.3 * 1800.0
    quiet = towns.link_between(world, 0, 1)
    board = towns.noise_board(world, east_dba=58.0)
    grid = board["grid_noise_lden_dba"]
    grid[20:23, 5:30] = 71.0  # a few rows get louder
    feed.commit(feed.prepare(board))
    layers = feed.changed_layers()
    assert layers and layers[0].encoding == "change"
    fake_link.messages.put(towns.delta(world, flows, after, tick=8, closed=(quiet,), layers=layers))
    pump(joined, 2)

    colours = np.frombuffer(view._color_buffer.read(), dtype=np.uint8).reshape(-1, 4)[: city.n_links]
    assert np.array_equal(colours, palette.link_rgba(city))
    assert tuple(colours[busy]) == palette.TRAFFIC_CLASSES[3].color
    assert tuple(colours[quiet]) == palette.CLOSED_COLOR
    styles = np.frombuffer(view._style_buffer.read(), dtype=np.float32).reshape(-1, 2)[: city.n_links]
    assert styles[quiet, 0] == 1.0 and styles[:, 0].sum() == 1.0

    texture = np.frombuffer(view._land_texture.read(), dtype=np.uint8).reshape(*city.land_use.shape, 4)
    full = overlays.overlay_rgba(city.layer_values("noise_lden_dba"), "noise_lden_dba", palette.land_use_rgba(city))
    assert np.array_equal(texture, full)
    assert not np.array_equal(texture[21, 10], texture[10, 10])  # the louder rows changed colour
