"""End to end: `agora play`'s window against a real server (tests/conftest.py's live_server)."""

from __future__ import annotations

import queue
import time

import arcade
import numpy as np
import pytest
from frames import click, grab, press, pump, save, wait_for

from agora.client.connection import Connection
from agora.server import protocol as p


def test_click_and_c_close_a_road_for_everyone(live_server, x_display: str) -> None:  # type: ignore[no-untyped-def]
    from agora.client.window import PlayWindow

    ada = Connection(live_server.ws_url, code=live_server.code, name="ada")
    bob = Connection(live_server.ws_url, code=live_server.code, name="bob")
    window = PlayWindow(ada, name="ada", code=live_server.code, width=1280, height=800)
    ada.start()
    bob.start()
    try:
        wait_for(window, lambda: window.city is not None, 30, "the welcome")
        city, view = window.city, window.map_view
        pump(window, 2)  # lay the panels out before choosing a road clear of them

        # The busiest road whose clickable middle is on the map and under no panel.
        order = np.argsort(-city.volume_capacity())
        link = next(
            int(i) for i in order
            if city.car_link()[i] and not city.closed[i]
            and _on_map(window, view.link_anchor_px(int(i), window.map_viewport))
        )
        flow_before = float(city.flow_veh_h[link])
        assert flow_before > 0
        save(grab(window), "client_live_before.png")

        click(window, *view.link_anchor_px(link, window.map_viewport))
        assert window.selected == link
        press(window, arcade.key.C)
        wait_for(window, lambda: bool(city.closed[link]), 20, f"closing link {link}")
        twin = int(city.twin[link])
        if twin >= 0:
            assert city.closed[twin]  # the server closed the other direction too
        wait_for(window, lambda: float(city.flow_veh_h[link]) < 1.0, 30, "re-routing away from the closed link")
        save(grab(window), "client_live_after.png")

        commands = live_server.accepted_commands()
        assert any(kind == "close_link" and payload.get("link") == link for kind, payload in commands), commands
        # Everyone connected sees it: bob was told who did what, and the closed set.
        seen = _drain(bob.messages, seconds=10, until=lambda m: isinstance(m, p.Delta) and link in m.closed)
        assert any(isinstance(m, p.Event) and m.player == "ada" and link in m.links for m in seen)

        # C again on the closed road reopens it.
        press(window, arcade.key.C)
        wait_for(window, lambda: not city.closed[link], 20, f"reopening link {link}")
        assert [k for k, _ in live_server.accepted_commands()][-1] == "reopen_link"
    finally:
        ada.close()
        bob.close()
        window.close()


def test_a_wrong_code_is_shown_not_raised(live_server, x_display: str) -> None:  # type: ignore[no-untyped-def]
    from agora.client.window import PlayWindow

    conn = Connection(live_server.ws_url, code="WRONG1", name="ada")
    window = PlayWindow(conn, name="ada", code="WRONG1", width=900, height=600)
    conn.start()
    try:
        wait_for(window, lambda: window.status is not None and window.status[0] == "Could not join the session", 20,
                 "the refusal")
        save(grab(window), "client_live_refused.png")
        pump(window, 5)  # the socket closing afterwards changes nothing on screen
        assert window.status[0] == "Could not join the session"
    finally:
        conn.close()
        window.close()


def _on_map(window, xy: tuple[float, float]) -> bool:  # type: ignore[no-untyped-def]
    area = window.hud.map_area(*window.get_size())
    x, y = xy
    inside = area.left + 20 < x < area.left + area.width - 20 and area.bottom + 20 < y < area.bottom + area.height - 20
    return inside and not window.hud.covers(x, y)


def _drain(q: queue.Queue[object], seconds: float, until) -> list[object]:  # type: ignore[no-untyped-def]
    seen: list[object] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            message = q.get(timeout=0.1)
        except queue.Empty:
            continue
        seen.append(message)
        if until(message):
            return seen
    pytest.fail(f"the second client never saw it; it got {[type(m).__name__ for m in seen]}")
