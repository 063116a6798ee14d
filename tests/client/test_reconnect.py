"""Lost connection, end to end: a real `agora serve` process on a SQLite file, a real window.
The player closes a road with C and puts a proposal to the room; the server is killed with
SIGKILL; the window says it is reconnecting, over the last state; the server is started
again on the same file and port; the window rejoins by itself with its token and shows the
same state (the road closed, the same tick or later, the same proposal), and C works again."""

from __future__ import annotations

import re
import time
from pathlib import Path

import arcade
import numpy as np
from frames import click, grab, pixel, press, pump, save, wait_for

from agora.client.connection import Connection
from agora.client.notices import Kind
from agora.client.reconnect import LinkState, SessionLink
from agora.server import protocol as p
from agora.server.world.types import RoadClass
from tests.net.test_recovery import Server, free_port, started  # noqa: F401 (a fixture)

RECONNECTING = re.compile(r"Connection lost - reconnecting \(attempt (\d+)\)\.\.\.")


def attempt(window) -> int:  # type: ignore[no-untyped-def]
    match = RECONNECTING.fullmatch(window.status[0]) if window.status is not None else None
    return int(match.group(1)) if match else 0


def busiest_visible_road(window) -> int:  # type: ignore[no-untyped-def]
    city, view, area = window.city, window.map_view, window.hud.map_area(*window.get_size())
    for link in np.argsort(-city.volume_capacity()):
        x, y = view.link_anchor_px(int(link), window.map_viewport)
        inside = area.left + 20 < x < area.left + area.width - 20 and area.bottom + 20 < y < area.bottom + area.height - 20
        if city.car_link()[link] and not city.closed[link] and inside and not window.hud.covers(x, y):
            return int(link)
    raise AssertionError("no road to click")


def test_the_window_reconnects_by_itself_after_the_server_is_killed_and_restarted(
        tmp_path: Path, started: list[Server], x_display: str) -> None:  # noqa: F811
    from agora.client.window import PlayWindow

    db, port = tmp_path / "agora.db", free_port()
    server = Server(db, port, tmp_path / "serve-0.out", started)
    token = re.search(r"facilitator token: (\S+)", server.wait_ready())
    assert token is not None
    url = f"ws://127.0.0.1:{port}"
    link = SessionLink(url, code="KILLME", name="ada")
    window = PlayWindow(link, name="ada", code="KILLME", width=1280, height=800)
    facilitator = Connection(url, code="", name="", token=token.group(1))
    link.start()
    facilitator.start()
    try:
        wait_for(window, lambda: window.city is not None, 60, "the welcome")
        me = window.player_id
        pump(window, 2)
        road = busiest_visible_road(window)
        click(window, *window.map_view.link_anchor_px(road, window.map_viewport))
        press(window, arcade.key.C)
        wait_for(window, lambda: bool(window.city.closed[road]), 20, f"closing road {road}")
        assert facilitator.send(p.SetPhase(phase="propose"))
        wait_for(window, lambda: window.game.game is not None and window.game.game.phase.name == "propose", 20,
                 "the propose phase")
        city = window.city
        other = next(int(i) for i in np.flatnonzero(city.car_link() & (city.road_class == int(RoadClass.LOCAL)))
                     if int(i) not in (road, int(city.twin[road])))
        assert link.send(p.Propose(title="Quiet street", interventions=[p.CloseLink(link=other)]))
        wait_for(window, lambda: bool(window.game.game.proposals), 20, "the proposal on the board")
        proposals = [(q.id, q.author, q.versions[-1].title) for q in window.game.game.proposals]
        pump(window, 3)
        before = grab(window)
        save(before, "client_reconnect_before.png")

        killed_at = time.monotonic()
        server.kill()
        shown_s = wait_for(window, lambda: attempt(window) >= 1, 20, "the reconnecting notice")
        tick_before = window.city.tick  # the last tick the server told of before it died
        wait_for(window, lambda: attempt(window) >= 3, 20, "the third attempt")  # it keeps trying
        save(grab(window), "client_reconnecting.png")
        assert window.status[2] is Kind.ERROR and "comes back by itself" in window.status[1]
        assert window.city.closed[road] and window.city.tick == tick_before, "the last state stays on screen"
        assert link.state is LinkState.RETRYING and not link.send(p.ReopenLink(link=road))

        server = Server(db, port, tmp_path / "serve-1.out", started)
        out = server.wait_ready()
        assert "Resumed session" in out, out
        back_s = wait_for(window, lambda: window.status is None and link.state is LinkState.JOINED, 30, "rejoining")
        pump(window, 2)
        notes = [n.text for n in window.notices.active(time.monotonic())]
        assert "Reconnected: the map and the game are live again." in notes
        assert window.player_id == me and window.player == "ada (player)", "the same player, by the token"
        assert window.city.closed[road] and window.city.closed[int(window.city.twin[road])]
        assert window.city.tick >= tick_before
        assert [(q.id, q.author, q.versions[-1].title) for q in window.game.game.proposals] == proposals
        save(grab(window), "client_reconnected.png")
        print(f"\nreconnect: notice {shown_s:.2f} s after the kill; welcomed {back_s:.2f} s after the "
              f"restarted server answered ({time.monotonic() - killed_at:.1f} s in all)")

        # The link works again: C reopens the road, for the server too.
        click(window, *window.map_view.link_anchor_px(road, window.map_viewport))
        press(window, arcade.key.C)
        wait_for(window, lambda: not window.city.closed[road], 20, f"reopening road {road}")
    finally:
        facilitator.close()
        link.close()
        window.close()


def test_reconnecting_shows_over_the_last_state_and_reconnected_clears_it(play_window, fake_link) -> None:  # type: ignore[no-untyped-def]
    import towns

    from agora.client import palette
    from agora.client.connection import Reconnected, Reconnecting
    from tests.client.test_preview import ask_preview

    world = towns.small_world()
    fake_link.messages.put(towns.welcome(world, towns.flows_at(world, 0.3), game=towns.game(
        proposals=towns.three_proposals())))
    pump(play_window)
    ask_preview(play_window, fake_link, world)  # a preview asked for, never to be answered
    assert play_window.draft.pending is not None
    fake_link.messages.put(Reconnecting(3, "No answer from ws://127.0.0.1:8000/ws: nothing is listening there.", 2.0))
    image = grab(play_window)
    save(image, "client_reconnecting_fake.png")
    assert play_window.status[0] == "Connection lost - reconnecting (attempt 3)..."
    assert play_window.status[1].startswith("No answer from ws://127.0.0.1:8000/ws")
    assert "Trying again in 2 s" in play_window.status[1]
    assert play_window.hud._status_head.text == "Connection lost - reconnecting (attempt 3)..."
    # Over the map and over the side panel: the panel's right end lies in the side column.
    head = play_window.hud._status_head
    side = play_window.hud.side_area(*play_window.get_size())
    x = min(head.x + head.content_width / 2 + 8, play_window.width - 30)
    assert x > side.left, "the headline reaches into the side column"
    assert all(abs(a - b) <= 40 for a, b in zip(pixel(image, x, head.y - 30), palette.ERROR_PANEL[:3]))
    assert play_window.city is not None  # the last state stays

    fake_link.messages.put(towns.welcome(world, towns.flows_at(world, 0.3), tick=9))
    fake_link.messages.put(Reconnected(3))
    pump(play_window)
    assert play_window.status is None and play_window.city.tick == 9
    assert play_window.draft.pending is None, "the preview's answer went with the old connection"
    notes = [n.text for n in play_window.notices.active(time.monotonic())]
    assert notes[0] == "Reconnected: the map and the game are live again."
