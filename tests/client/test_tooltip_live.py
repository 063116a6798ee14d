"""End to end: street names travel from worlds/helsinki-centre through a real server's
snapshot to `agora play`'s window, and the tooltip over Mannerheimintie says so."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from frames import grab, pump, save, send_events, wait_for

from agora.client import tooltip
from agora.client.connection import Connection
from agora.server.world.world import World, resolve_world


@pytest.fixture
def helsinki_server(tmp_path: Path):  # type: ignore[no-untyped-def]
    from tests.conftest import serve_world

    with serve_world(World.load(resolve_world("helsinki-centre")), tmp_path / "agora.db", tick_seconds=0.2) as server:
        yield server


def test_mannerheimintie_is_named_in_the_tooltip_over_it(helsinki_server, x_display: str) -> None:  # type: ignore[no-untyped-def]
    from agora.client.window import PlayWindow

    conn = Connection(helsinki_server.ws_url, code=helsinki_server.code, name="ada")
    window = PlayWindow(conn, name="ada", code=helsinki_server.code, width=1280, height=800)
    conn.start()
    try:
        wait_for(window, lambda: window.city is not None, 60, "the welcome")
        city, view, viewport = window.city, window.map_view, window.map_viewport
        assert "Mannerheimintie" in city.names
        named = [i for i in range(city.n_links) if city.street_name(i) == "Mannerheimintie"]
        link = max(named, key=lambda i: float(city.length_m[i]))
        # Zoom in on its middle, so that no other street is within a few pixels.
        x, y = view.link_anchor_px(link, viewport)
        cx, cy = viewport.area.center
        viewport.pan(cx - x, cy - y)
        viewport.zoom_at(cx, cy, 4.0)
        pump(window, 2)
        x, y = view.link_anchor_px(link, viewport)
        send_events(window, ("on_mouse_motion", int(round(x)), int(round(y)), 2, 1))
        time.sleep(tooltip.REST_S + 0.05)
        pump(window, 1)
        assert window.tooltip.lines[0] == "Mannerheimintie", window.tooltip.lines
        assert window.tooltip.lines[1].endswith(f"limit {float(city.speed_kmh[link]):.0f} km/h")
        save(grab(window), "client_tooltip_helsinki.png")
        # The names came over the wire: the world's own, not the client's invention.
        world = World.load(resolve_world("helsinki-centre"))
        assert world.names is not None and np.array_equal(city.link_name, world.names.link)
    finally:
        conn.close()
        window.close()
