"""Hover tooltips under X: the pointer moved with real motion events rests over a road or a
cell of the small town, and the box beside it says what the server sent about it."""

from __future__ import annotations

import time

import numpy as np
import pytest
import towns
from frames import grab, pixel, pump, save, send_events

from agora.client import captions, palette, tooltip
from agora.server.net.layers import LayerFeed
from agora.server.world.names import LinkNames


@pytest.fixture
def world():  # type: ignore[no-untyped-def]
    world = towns.small_world()
    names = ["" for _ in range(world.network.n_links)]
    for a, b in ((4, 5), (5, 4), (5, 6), (6, 5), (6, 7), (7, 6)):
        names[towns.link_between(world, a, b)] = "Mill Road"
    world.names = LinkNames.of(names)
    world.network.bus_lane[towns.link_between(world, 4, 5)] = True
    world.network.toll_eur[towns.link_between(world, 4, 5)] = 2.5
    return world


@pytest.fixture
def joined(play_window, fake_link, world):  # type: ignore[no-untyped-def]
    feed = LayerFeed()
    board = towns.noise_board(world, east_dba=63.0)
    board["grid_no2_ug_m3"] = np.full(world.grid.shape, 17.5, dtype=np.float32)
    board["grid_habitat_quality"] = np.full(world.grid.shape, 0.42, dtype=np.float32)
    feed.commit(feed.prepare(board))
    flow = towns.flows_at(world, 0.3)
    flow[towns.link_between(world, 4, 5)] = 1350.0
    fake_link.messages.put(towns.welcome(world, flow, layers=feed.snapshot_layers()))
    pump(play_window)
    assert play_window.city is not None
    return play_window


def hover(window, x: float, y: float) -> None:  # type: ignore[no-untyped-def]
    """Move the pointer there as X reports it, and let it rest past the delay."""
    send_events(window, ("on_mouse_motion", int(round(x)), int(round(y)), 3, 1))
    pump(window, 1)
    assert window.tooltip.lines == []  # not yet: the pointer has not rested
    time.sleep(tooltip.REST_S + 0.05)
    pump(window, 1)


def test_resting_on_a_road_shows_its_name_class_flow_and_lanes(joined, world) -> None:  # type: ignore[no-untyped-def]
    link = towns.link_between(world, 4, 5)
    x, y = joined.map_view.link_anchor_px(link, joined.map_viewport)
    hover(joined, x, y)
    assert joined.tooltip.lines[:5] == [
        "Mill Road",
        "Arterial \u00b7 2 lanes \u00b7 limit 50 km/h",
        "Flow 1,350 veh/h \u00b7 75% of capacity (v/c 0.75)",
        "Open to cars",
        "Has a bus lane, toll \u20ac2.50 a car",
    ]
    # Then the layers at that spot, in their units.
    assert [line.split(":")[0] for line in joined.tooltip.lines[5:]] == ["Road noise, Lden", "NO2, this hour",
                                                                        "Habitat quality"]
    image = grab(joined)
    save(image, "client_tooltip_road.png")
    # The box sits below-right of the pointer, its edge in the accent colour.
    assert pixel(image, x + tooltip.OFFSET_PX + 1, y - tooltip.OFFSET_PX - 10) == palette.ACCENT[:3]


def test_an_unnamed_road_says_what_it_is_and_a_path_has_no_cars(joined, world) -> None:  # type: ignore[no-untyped-def]
    collector = towns.link_between(world, 1, 5)
    hover(joined, *joined.map_view.link_anchor_px(collector, joined.map_viewport))
    assert joined.tooltip.lines[0] == "unnamed collector road"
    assert joined.tooltip.lines[4] == "No bus lane, bike lane or toll"
    path = towns.link_between(world, 10, 11)
    joined.map_viewport.zoom_at(*joined.map_view.link_anchor_px(path, joined.map_viewport), 3.0)
    hover(joined, *joined.map_view.link_anchor_px(path, joined.map_viewport))
    assert joined.tooltip.lines[:3] == ["unnamed path", "Path \u00b7 1 lane \u00b7 limit 5 km/h",
                                        "Foot and bike path: no cars"]


def test_resting_on_a_block_shows_the_cell_and_every_layer_in_its_unit(joined) -> None:  # type: ignore[no-untyped-def]
    x, y = joined.map_viewport.to_screen(750.0, 450.0)  # a housing block east of x = 450 m
    hover(joined, x, y)
    assert joined.tooltip.lines == [
        "Housing \u00b7 25 m square",
        "1 resident \u00b7 1 job",
        "Road noise, Lden: 63 dB(A)",
        "NO2, this hour: 17.5 \u00b5g/m\u00b3",
        "Habitat quality: 0.42 (0 to 1)",
    ]
    save(grab(joined), "client_tooltip_cell.png")
    # West of x = 450 m the noise is the quieter level; the lake is water.
    hover(joined, *joined.map_viewport.to_screen(150.0, 450.0))
    assert "Road noise, Lden: 42 dB(A)" in joined.tooltip.lines
    hover(joined, *joined.map_viewport.to_screen(*towns.LAKE_POINT_M))
    assert joined.tooltip.lines[:2] == ["Water \u00b7 25 m square", "1 resident \u00b7 1 job"]


def test_a_road_wins_within_a_few_pixels_and_the_cell_beyond(joined, world) -> None:  # type: ignore[no-untyped-def]
    link = towns.link_between(world, 4, 5)  # eastbound: its band is south of the centre line
    x, y = joined.map_view.link_anchor_px(link, joined.map_viewport)
    hover(joined, x, y - 3)
    assert joined.tooltip.lines[0] == "Mill Road"
    hover(joined, x, y - 25)
    assert joined.tooltip.lines[0] == "Housing \u00b7 25 m square"


def test_moving_hides_the_box_and_panels_have_none(joined) -> None:  # type: ignore[no-untyped-def]
    x, y = joined.map_viewport.to_screen(750.0, 450.0)
    hover(joined, x, y)
    assert joined.tooltip.lines
    send_events(joined, ("on_mouse_motion", int(x) + 5, int(y), 5, 0))
    pump(joined, 1)
    assert joined.tooltip.lines == []
    # Over the side panel and over a legend: no tooltip however long the pointer rests.
    side = joined.hud.side_area(*joined.get_size())
    hover(joined, side.left + 40, side.bottom + 200)
    assert joined.tooltip.lines == []
    left, bottom, w, h = joined.hud.roads_legend.rect
    hover(joined, left + w / 2, bottom + h / 2)
    assert joined.tooltip.lines == []


def test_a_delta_updates_the_box_under_a_resting_pointer(joined, fake_link, world) -> None:  # type: ignore[no-untyped-def]
    link = towns.link_between(world, 4, 5)
    hover(joined, *joined.map_view.link_anchor_px(link, joined.map_viewport))
    before = joined.city.flow_veh_h.copy()
    after = before.copy()
    after[link] = 2000.0
    fake_link.messages.put(towns.delta(world, before, after, tick=8, closed=(link,)))
    pump(joined, 2)
    assert joined.tooltip.lines[2:4] == ["Flow 2,000 veh/h \u00b7 111% of capacity (v/c 1.11)", "Closed to cars"]


def test_layer_values_carry_the_decimals_of_their_step() -> None:
    assert tooltip.layer_value(62.0, 1.0, "dB(A)") == "62 dB(A)"
    assert tooltip.layer_value(12.5, 0.5, "\u00b5g/m\u00b3") == "12.5 \u00b5g/m\u00b3"
    assert tooltip.layer_value(0.428, 0.004, "0-1") == "0.43 (0 to 1)"
    assert tooltip.layer_value(3.0, 1.0, "of 5") == "3 of 5"
    assert tooltip.layer_value(7.25, 0.25, "min") == "7.2 min"


def test_the_selected_roads_summary_names_the_street(joined, world) -> None:  # type: ignore[no-untyped-def]
    link = towns.link_between(world, 5, 6)
    assert captions.link_summary(joined.city, link)[0].startswith(f"Mill Road, road {link}: arterial, 2 lanes")
    other = towns.link_between(world, 1, 5)
    assert captions.link_summary(joined.city, other)[0].startswith(f"Road {other}: collector")
