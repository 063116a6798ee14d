"""The play window, driven frame by frame under X with a fake connection."""

from __future__ import annotations

import arcade
import numpy as np
import pytest
import towns
from frames import click, grab, pixel, press, pump, save, send_events

from agora.client import overlays, palette
from agora.server.net.layers import LayerFeed
from agora.server import protocol as p


def reddish(rgb: tuple[int, int, int]) -> bool:
    r, g, b = rgb
    return r > 130 and g < 60 and b < 80


def greenish(rgb: tuple[int, int, int]) -> bool:
    r, g, b = rgb
    return g > 110 and g > r + 60


def grey(rgb: tuple[int, int, int]) -> bool:
    return max(rgb) - min(rgb) < 16


def close_to(rgb: tuple[int, int, int], want: tuple[int, ...], tol: int = 12) -> bool:
    return all(abs(a - b) <= tol for a, b in zip(rgb, want[:3]))


@pytest.fixture
def world():  # type: ignore[no-untyped-def]
    return towns.small_world()


@pytest.fixture
def flows(world) -> np.ndarray:  # type: ignore[no-untyped-def]
    flow = towns.flows_at(world, 0.3)
    flow[towns.link_between(world, 4, 5)] = 1.4 * 1800.0  # the arterial's first eastbound stretch
    return flow


@pytest.fixture
def joined(play_window, fake_link, world, flows):  # type: ignore[no-untyped-def]
    fake_link.messages.put(towns.welcome(world, flows))
    pump(play_window)
    assert play_window.city is not None
    return play_window


def anchor(window, link: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    return window.map_view.link_anchor_px(link, window.map_viewport)


def centre_on(window, link: int) -> None:  # type: ignore[no-untyped-def]
    x, y = anchor(window, link)
    cx, cy = window.map_viewport.area.center
    window.map_viewport.pan(cx - x, cy - y)
    pump(window)


def test_before_the_welcome_the_window_says_it_is_connecting(play_window) -> None:  # type: ignore[no-untyped-def]
    pump(play_window)
    assert play_window.status[0] == "Connecting..."
    save(grab(play_window), "client_connecting.png")


def test_the_map_shows_land_use_and_roads_coloured_by_load(joined, world) -> None:  # type: ignore[no-untyped-def]
    image = grab(joined)
    save(image, "client_map.png")
    lake = pixel(image, *joined.map_viewport.to_screen(*towns.LAKE_POINT_M))
    assert close_to(lake, palette.LAND_USE_COLORS["water"]), lake
    assert reddish(pixel(image, *anchor(joined, towns.link_between(world, 4, 5))))
    assert greenish(pixel(image, *anchor(joined, towns.link_between(world, 5, 4))))
    assert greenish(pixel(image, *anchor(joined, towns.link_between(world, 1, 5))))
    # The legend's bar marks the traffic classes' edges in shares of capacity.
    assert [t.text for t in joined.hud.roads_legend.ticks[:3]] == ["60%", "85%", "100%"]
    assert [t.text for t in joined.hud.roads_legend.extras[:2]] == ["closed to cars", "foot / bike path"]


def test_a_delta_recolours_roads_and_updates_the_indicators(joined, world, flows) -> None:  # type: ignore[no-untyped-def]
    jammed, freed = towns.link_between(world, 1, 5), towns.link_between(world, 4, 5)
    closed = (towns.link_between(world, 6, 7), towns.link_between(world, 7, 6))
    after = flows.copy()
    after[jammed] = 2.0 * 900.0
    after[freed] = 0.1 * 1800.0
    joined.link.messages.put(towns.delta(world, flows, after, tick=8, closed=closed, vehicle_hours=2345.0))
    image = grab(joined)
    save(image, "client_after_delta.png")
    assert reddish(pixel(image, *anchor(joined, jammed)))
    assert greenish(pixel(image, *anchor(joined, freed)))
    # A closed link is charcoal and white dashes, never a traffic colour.
    along = [pixel(image, *anchor(joined, closed[0]))[:3]]
    along += [pixel(image, anchor(joined, closed[0])[0] + dx, anchor(joined, closed[0])[1]) for dx in range(-12, 13, 2)]
    assert all(grey(c) for c in along), along
    assert min(max(c) for c in along) < 80 and max(min(c) for c in along) > 200
    values = [t.text for t in joined.hud._card_values]
    assert "2,345 h" in values and "8" in values


def test_clicking_a_road_selects_it_and_c_closes_then_reopens(joined, fake_link, world) -> None:  # type: ignore[no-untyped-def]
    link = towns.link_between(world, 5, 6)
    click(joined, *anchor(joined, link))
    assert joined.selected == link
    twin = towns.link_between(world, 6, 5)
    click(joined, *anchor(joined, twin))
    assert joined.selected == twin
    image = grab(joined)
    save(image, "client_selected.png")
    assert [t.text for t in joined.hud._selection][0].startswith(f"Road {twin}: arterial")
    press(joined, arcade.key.C)
    assert fake_link.sent == [p.CloseLink(link=twin)]

    joined.link.messages.put(p.Accepted(command="close_link", seq=1, applies_at_tick=8))
    joined.link.messages.put(p.Event(tick=8, player="ada", command="close_link", links=[twin, link]))
    flows = joined.city.flow_veh_h.copy()
    joined.link.messages.put(towns.delta(world, flows, flows, tick=8, closed=(twin, link)))
    pump(joined)
    assert [n.text for n in joined.notices.active(0.0)][0] == f"ada closed road {twin} (and {link}, the other direction)"
    press(joined, arcade.key.C)
    assert fake_link.sent[-1] == p.ReopenLink(link=twin)


def test_clicks_away_from_roads_and_on_paths_do_not_send(joined, fake_link, world) -> None:  # type: ignore[no-untyped-def]
    click(joined, *joined.map_viewport.to_screen(*towns.BLOCK_CENTRE_M))
    assert joined.selected is None
    press(joined, arcade.key.C)
    path = towns.link_between(world, 10, 11)
    centre_on(joined, path)  # the legend covers the map's corner where it runs
    click(joined, *anchor(joined, path))
    assert joined.selected == path
    press(joined, arcade.key.C)
    assert fake_link.sent == []
    texts = [n.text for n in joined.notices.active(0.0)]
    assert any("Click a road first" in t for t in texts) and any("foot and bike path" in t for t in texts)


def test_picking_still_works_after_zoom_and_pan(joined, world) -> None:  # type: ignore[no-untyped-def]
    send_events(
        joined,
        ("on_mouse_scroll", 640, 400, 0, 3),
        ("on_mouse_press", 600, 400, arcade.MOUSE_BUTTON_LEFT, 0),
        ("on_mouse_drag", 650, 380, 50, -20, arcade.MOUSE_BUTTON_LEFT, 0),
        ("on_mouse_release", 650, 380, arcade.MOUSE_BUTTON_LEFT, 0),
    )
    assert joined.map_viewport.zoom == pytest.approx(1.2**3)
    assert joined.selected is None  # a drag pans, it does not select
    link = towns.link_between(world, 5, 9)
    image = grab(joined)
    save(image, "client_zoomed.png")
    click(joined, *anchor(joined, link))
    assert joined.selected == link
    assert greenish(pixel(image, *anchor(joined, link)))


def test_server_errors_show_for_a_few_seconds(joined) -> None:  # type: ignore[no-untyped-def]
    joined.link.messages.put(p.Error(code="no_such_link", message="There is no link 99999."))
    image = grab(joined)
    save(image, "client_error.png")
    assert [n.text for n in joined.notices.active(0.0)] == ["Refused (no_such_link): There is no link 99999."]
    note = joined.hud._notices[0]
    assert close_to(pixel(image, note.x - 4, note.y + 4), palette.ERROR_PANEL, tol=40)
    import time

    assert joined.notices.active(time.monotonic() + 10.0) == []


def test_a_refused_join_is_shown_and_the_window_survives_the_close(play_window, fake_link) -> None:  # type: ignore[no-untyped-def]
    from agora.client.connection import ConnectionLost

    fake_link.messages.put(p.Error(code="bad_code", message="No session has the join code NOPE."))
    fake_link.messages.put(ConnectionLost("The server closed the connection (code 1008).", was_open=True))
    image = grab(play_window)
    save(image, "client_refused.png")
    assert play_window.status[0] == "Could not join the session"
    assert "NOPE" in play_window.status[1]
    assert play_window.hud._status_head.text == "Could not join the session"
    press(play_window, arcade.key.ESCAPE)
    assert play_window.closed


def test_an_unreachable_server_is_shown(play_window, fake_link) -> None:  # type: ignore[no-untyped-def]
    from agora.client.connection import ConnectionLost

    fake_link.messages.put(ConnectionLost("No answer from ws://127.0.0.1:9/ws: refused", was_open=False))
    pump(play_window)
    assert play_window.status[0] == "Cannot reach the server"


def test_resize_refits_the_map(joined, world) -> None:  # type: ignore[no-untyped-def]
    joined.set_size(900, 600)
    pump(joined, 4)
    assert joined.get_size() == (900, 600)
    assert joined.map_viewport.window_size == (900, 600)
    image = grab(joined)
    save(image, "client_resized.png")
    assert image.size == (900, 600)
    left, bottom = joined.map_viewport.to_screen(-75.0, -50.0)
    right, top = joined.map_viewport.to_screen(1125.0, 750.0)
    assert 0 <= left and right <= 900 and 0 <= bottom and top <= 600
    assert reddish(pixel(image, *anchor(joined, towns.link_between(world, 4, 5))))


def test_escape_and_q_close_the_window(joined) -> None:  # type: ignore[no-untyped-def]
    press(joined, arcade.key.Q)
    assert joined.closed


def test_clicks_on_a_panel_do_not_select_the_road_beneath(joined, world) -> None:  # type: ignore[no-untyped-def]
    pump(joined)
    left, bottom, w, h = joined.hud.roads_legend.rect
    target = (left + w / 2, bottom + h / 3)
    assert joined.hud.covers(*target)
    link = towns.link_between(world, 7, 11)
    here = anchor(joined, link)
    joined.map_viewport.pan(target[0] - here[0], target[1] - here[1])
    pump(joined)
    assert joined.map_view.pick(*target, joined.map_viewport) == link  # the road is under the legend
    click(joined, *target)
    assert joined.selected is None


def test_real_x_input_selects_and_closes(joined, fake_link, world) -> None:  # type: ignore[no-untyped-def]
    """The same story through the X server (xdotool's synthetic mouse and keyboard), so
    pyglet's own event translation, y flip included, is exercised too."""
    import shutil
    import subprocess
    import time

    if shutil.which("xdotool") is None:
        pytest.fail("xdotool is not installed (Debian: apt-get install xdotool)", pytrace=False)
    link = towns.link_between(world, 5, 6)
    x, y = anchor(joined, link)
    left, top = joined.get_location()
    screen = (left + int(round(x)), top + joined.height - int(round(y)))
    subprocess.run(["xdotool", "mousemove", *map(str, screen), "click", "1"], check=True)
    deadline = time.monotonic() + 5
    while joined.selected is None and time.monotonic() < deadline:
        pump(joined, 1)
    assert joined.selected == link
    subprocess.run(["xdotool", "key", "c"], check=True)
    while not fake_link.sent and time.monotonic() < deadline:
        pump(joined, 1)
    assert fake_link.sent == [p.CloseLink(link=link)]


def test_a_resync_replaces_the_city_and_keeps_the_view_and_selection(joined, world, flows) -> None:  # type: ignore[no-untyped-def]
    link = towns.link_between(world, 4, 5)
    click(joined, *anchor(joined, link))
    joined.map_viewport.zoom_at(*joined.map_viewport.area.center, 1.5)
    view = (joined.map_viewport.center_m, joined.map_viewport.px_per_m)
    calmer = flows.copy()
    calmer[link] = 0.2 * 1800.0
    joined.link.messages.put(p.Resync(snapshot=towns.welcome(world, calmer, tick=30).snapshot))
    image = grab(joined)
    assert joined.city.tick == 30
    assert joined.selected == link
    assert (joined.map_viewport.center_m, joined.map_viewport.px_per_m) == view
    assert greenish(pixel(image, *anchor(joined, link)))


def overlay_colour(name: str, value: float, land: str) -> tuple[int, ...]:
    scale = overlays.scale_of(name)
    klass = int(np.searchsorted(np.asarray(scale.bounds), value, side="right"))
    base = np.array(palette.LAND_USE_COLORS[land], dtype=float)
    return tuple(int(round(v)) for v in base * (1 - overlays.OPACITY) + np.array(scale.colors[klass]) * overlays.OPACITY)


def test_l_paints_the_noise_layer_over_the_map_and_deltas_repaint_it(play_window, fake_link, world, flows) -> None:  # type: ignore[no-untyped-def]
    feed = LayerFeed()
    feed.commit(feed.prepare(towns.noise_board(world, east_dba=72.0)))
    fake_link.messages.put(towns.welcome(world, flows, layers=feed.snapshot_layers()))
    pump(play_window)
    east = play_window.map_viewport.to_screen(750.0, 450.0)  # a housing block east of x = 450 m
    west = play_window.map_viewport.to_screen(150.0, 450.0)
    assert close_to(pixel(grab(play_window), *east), palette.LAND_USE_COLORS["housing"])  # no overlay yet
    press(play_window, arcade.key.L)
    assert play_window.overlay == "noise_lden_dba"
    image = grab(play_window)
    save(image, "client_noise_overlay.png")
    assert close_to(pixel(image, *east), overlay_colour("noise_lden_dba", 72.0, "housing"))
    assert close_to(pixel(image, *west), overlay_colour("noise_lden_dba", 42.0, "housing"))
    assert play_window.hud.grid_legend.title.text.endswith("Road noise, Lden (dB(A))")
    assert [t.text for t in play_window.hud.grid_legend.ticks[:6]] == ["45", "50", "55", "60", "65", "70"]
    # The east falls quieter: the delta's change repaints the overlay.
    feed.commit(feed.prepare(towns.noise_board(world, east_dba=47.0)))
    fake_link.messages.put(towns.delta(world, flows, flows, tick=8, layers=feed.changed_layers()))
    pump(play_window)
    assert close_to(pixel(grab(play_window), *east), overlay_colour("noise_lden_dba", 47.0, "housing"))
    press(play_window, arcade.key.L)  # the last layer: back to land use alone
    assert play_window.overlay is None
    assert close_to(pixel(grab(play_window), *east), palette.LAND_USE_COLORS["housing"])
