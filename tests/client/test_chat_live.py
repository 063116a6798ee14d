"""Chat, announcements and trends against a real server: two players' windows join after
some ticks and find the trend so far in their Welcome; one types a chat line, the other's
window shows it (and counts it on the tab while another tab shows); the facilitator
announces over its own connection and both windows show the banner."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Iterator

import arcade
import pytest
from frames import click, grab, pixel, press, pump, save, type_text

from agora.client import banner
from agora.client.connection import Connection
from agora.server import protocol as p
from agora.server.world.world import World, resolve_world
from tests.conftest import LiveServer, serve_world


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    with serve_world(World.load(resolve_world("default")), tmp_path / "agora.db", tick_seconds=0.1) as live:
        yield live


def frame(window: arcade.Window) -> None:
    """One frame of one of several windows (arcade draws into the window set last)."""
    arcade.set_window(window)
    pump(window, 1)


def wait_for(windows: list[arcade.Window], condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {seconds} s")
        for window in windows:
            frame(window)
        time.sleep(0.01)


def close_to(rgb: tuple[int, int, int], want: tuple[int, ...], tol: int = 16) -> bool:
    return all(abs(a - b) <= tol for a, b in zip(rgb, want[:3]))


def test_two_players_chat_the_facilitator_announces_and_late_joiners_see_the_trend(server: LiveServer,
                                                                                    x_display: str) -> None:
    from agora.client.window import PlayWindow

    deadline = time.monotonic() + 60
    while server.runner.session.tick < 8:
        assert time.monotonic() < deadline, "the server did not tick"
        time.sleep(0.05)
    fac = Connection(server.ws_url, code="", name="", token=server.facilitator_token)
    ada_link = Connection(server.ws_url, code=server.code, name="ada")
    bob_link = Connection(server.ws_url, code=server.code, name="bob")
    ada = PlayWindow(ada_link, name="ada", code=server.code, width=1280, height=800)
    bob = PlayWindow(bob_link, name="bob", code=server.code, width=1280, height=800)
    windows = [ada, bob]
    for link in (fac, ada_link, bob_link):
        link.start()
    try:
        wait_for(windows, lambda: all(w.city is not None and w.game.game is not None for w in windows), 30,
                 "both welcomes")
        # Joined at tick 8 or later: the trend starts at the runner's first tick, not at the join.
        for w in windows:
            ticks = [tick for tick, _, _ in w.trends.readings]
            assert len(ticks) >= 8 and ticks[0] <= 2 and ticks == sorted(ticks), ticks
            assert {"vehicle_hours", "co2_kg_h", "mode_share_car", "access_walk_all"} <= set(w.trends.names())
        held = bob.trends.readings[-1][0]
        wait_for(windows, lambda: bob.trends.readings[-1][0] >= held + 3, 30, "three more ticks on bob's trend")
        assert bob.tabs.show("trends")
        frame(bob)
        assert len(bob.tabs.current().panel.charts) == 7
        arcade.set_window(bob)
        save(grab(bob), "client_live_trends.png")

        bob.tabs.show("board")
        arcade.set_window(ada)
        press(ada, arcade.key.T)
        type_text(ada, "Shall we look at the school street?")
        press(ada, arcade.key.ENTER)
        said = "Shall we look at the school street?"
        wait_for(windows, lambda: any(line.text == said for line in bob.chat.lines), 20, "ada's line at bob's")
        assert bob.chat.badge() == "1" and ada.chat.badge() == ""
        frame(bob)
        arcade.set_window(bob)
        click(bob, *bob.tabs.header_at("chat"))
        frame(bob)
        assert [(line.author, line.text) for line in bob.chat.shown][-1] == ("ada", said)
        assert ("chat", {"type": "chat", "text": said}) in server.accepted_commands()

        assert fac.send(p.Announce(text="Voting opens in two minutes."))
        wait_for(windows, lambda: all(w.banner.showing(time.monotonic()) for w in windows), 20, "both banners")
        for name, w in (("ada", ada), ("bob", bob)):
            arcade.set_window(w)
            image = grab(w)
            save(image, f"client_live_banner_{name}.png")
            assert w.banner.line is not None and w.banner.line.text == "Voting opens in two minutes."
            left, bottom, width, height = w.banner.box
            assert close_to(pixel(image, left + width - 20, bottom + height / 2), banner.BACKGROUND)
        # Bob has the chat in front: the announcement is pinned at its top.
        texts = [t.text for pool in bob.chat._pools for t in pool.used]
        assert "Voting opens in two minutes." in texts
    finally:
        for link in (ada_link, bob_link, fac):
            link.close()
        for w in windows:
            w.close()
