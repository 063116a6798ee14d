"""The lobby under X against real servers: it renders at workshop sizes; typing the address,
the code and a pseudonym, picking a persona and pressing Enter joins (the server's roster has
the player, the map window opens on the same link with that point of view); a wrong code, no
server and a full session are each said in words under the fields."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Iterator

import arcade
import msgspec
import pytest
import towns
from frames import click, grab, pixel, press, pump, save, type_text, wait_for

from agora.client import palette
from agora.client.connection import Connection
from agora.client.reconnect import LinkState
from agora.server.session.rulesets import bundled
from agora.server.world.world import World, resolve_world
from tests.client.test_preview import answer, ask_preview
from tests.conftest import LiveServer, serve_world

WORKSHOP = bundled("workshop")


def close_to(rgb: tuple[int, int, int], want: tuple[int, ...], tol: int = 12) -> bool:
    return all(abs(a - b) <= tol for a, b in zip(rgb, want[:3]))


def in_colour(image, rect, colour: tuple[int, ...]) -> bool:  # type: ignore[no-untyped-def]
    """Some of the text inside a widget's rectangle is drawn in that colour."""
    return any(close_to(pixel(image, x, y), colour, 30)
               for x in range(int(rect.left), int(rect.right), 2) for y in range(int(rect.bottom), int(rect.top)))


@pytest.fixture
def lobbies(x_display: str) -> Iterator[list[object]]:
    """Every lobby a test opens, closed afterwards (with its link, unless handed on)."""
    opened: list[object] = []
    yield opened
    for lobby in opened:
        if lobby.link is not None:  # type: ignore[attr-defined]
            lobby.link.close()  # type: ignore[attr-defined]
        if not lobby.closed:  # type: ignore[attr-defined]
            lobby.close()  # type: ignore[attr-defined]


def open_lobby(lobbies: list[object], server: str = "", width: int = 1280, height: int = 800):  # type: ignore[no-untyped-def]
    from agora.client.lobby import LobbyWindow

    lobby = LobbyWindow(server=server, width=width, height=height)
    lobbies.append(lobby)
    pump(lobby, 2)
    return lobby


def fill_in(lobby, server: str, code: str, name: str) -> None:  # type: ignore[no-untyped-def]
    """Click each field and type into it, as a person does."""
    for field, text in ((lobby.server_field, server), (lobby.code_field, code), (lobby.name_field, name)):
        click(lobby, *field.rect.center)
        assert field.active
        type_text(lobby, text)
    pump(lobby, 1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_lobby_renders_at_workshop_sizes(lobbies) -> None:  # type: ignore[no-untyped-def]
    for width, height in ((1280, 800), (1920, 1080)):
        lobby = open_lobby(lobbies, "ws://127.0.0.1:8000", width, height)
        assert lobby.code_field.active, "the address is filled in: the code takes the typing"
        image = grab(lobby)
        save(image, f"client_lobby_{width}x{height}.png")
        card = lobby.card.rect
        assert card.top < height and card.bottom > 0 and card.left > 0 and card.right < width, "all of it shows"
        assert close_to(pixel(image, card.left + 1, card.center_y), palette.ACCENT, 30)  # the card's frame
        assert close_to(pixel(image, card.left + 12, card.top - 12), palette.BAR)  # the card
        assert close_to(pixel(image, 5, 5), palette.BACKGROUND)
        # The field that takes the typing wears the accent colour; the others do not.
        for field in lobby.fields:
            edge = pixel(image, field.rect.left + 1, field.rect.center_y)
            assert close_to(edge, palette.ACCENT, 30) == (field is lobby.code_field), (field.text, edge)
        assert lobby.heading.text == "Join a planning session"
        press(lobby, arcade.key.ENTER)  # no code yet
        assert lobby.error.startswith("Type the join code from the facilitator")
        lobby.close()


def test_typing_picking_a_persona_and_enter_joins_a_real_server(live_server: LiveServer, lobbies) -> None:  # type: ignore[no-untyped-def]
    from agora.client import app

    lobby = open_lobby(lobbies)
    fill_in(lobby, live_server.ws_url, live_server.code.lower(), "ada")
    wait_for(lobby, lambda: len(lobby.persona_buttons) == len(WORKSHOP.personas), 20, "the personas")
    assert live_server.runner.session.world.meta.title in lobby.session_line.text
    assert WORKSHOP.title in lobby.session_line.text and "0 of 60 player seats taken" in lobby.session_line.text
    cyclist = lobby.persona_buttons["cyclist"]
    click(lobby, *cyclist.rect.center)
    assert lobby.persona is not None and lobby.persona.name == "cyclist"
    assert lobby.persona_note.text.startswith("Cyclist: ")
    image = grab(lobby)
    save(image, "client_lobby_personas.png")
    assert close_to(pixel(image, cyclist.rect.left + 1, cyclist.rect.center_y), palette.ACCENT, 30)  # picked

    press(lobby, arcade.key.ENTER)
    wait_for(lobby, lambda: lobby.joined is not None, 30, "joining")
    joined = lobby.joined
    assert joined.link.state is LinkState.JOINED and (joined.name, joined.code) == ("ada", live_server.code)
    assert joined.persona.name == "cyclist" and joined.info.title == live_server.runner.session.world.meta.title
    assert [pl.name for pl in live_server.runner.session.roster if pl.role == "player"] == ["ada"]
    lobby.link = None  # handed on to the map window
    lobby.close()

    window = app.map_window(joined.link, joined.name, joined.code, joined.persona, 1280, 800)
    try:
        deadline = time.monotonic() + 30
        while window.city is None and time.monotonic() < deadline:
            pump(window, 1)
        assert window.city is not None, window.status
        assert window.player == "ada (player)" and window.preview_panel.persona == "cyclist"
    finally:
        joined.link.close()
        window.close()


def test_a_wrong_code_is_said_under_the_fields(live_server: LiveServer, lobbies) -> None:  # type: ignore[no-untyped-def]
    lobby = open_lobby(lobbies)
    fill_in(lobby, live_server.ws_url, "WRONG1", "ada")
    press(lobby, arcade.key.ENTER)
    wait_for(lobby, lambda: "WRONG1" in lobby.error, 20, "the refusal")
    assert lobby.error == ("No session here has the join code 'WRONG1'; check it on the facilitator's screen.")
    assert lobby.link is None and lobby.joined is None and not lobby.persona_buttons
    image = grab(lobby)
    save(image, "client_lobby_bad_code.png")
    assert in_colour(image, lobby.message.rect, palette.WORSE_TEXT), "said in the warning colour"


def test_no_server_says_it_cannot_be_reached(lobbies) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    lobby = open_lobby(lobbies)
    fill_in(lobby, f"127.0.0.1:{port}", "ABCDEF", "ada")
    press(lobby, arcade.key.ENTER)
    wait_for(lobby, lambda: lobby.error.startswith("Cannot reach"), 20, "the refusal")
    assert lobby.error.startswith(f"Cannot reach the server at ws://127.0.0.1:{port}/ws: nothing is listening there.")
    assert "ask the facilitator whether the server is running" in lobby.error
    save(grab(lobby), "client_lobby_no_server.png")


@pytest.fixture
def one_seat(tmp_path: Path) -> Iterator[LiveServer]:
    rules = msgspec.structs.replace(WORKSHOP, max_players=1)
    with serve_world(World.load(resolve_world("default")), tmp_path / "agora.db", rules=rules) as live:
        yield live


def test_a_full_session_is_said_before_and_after_trying(one_seat: LiveServer, lobbies) -> None:  # type: ignore[no-untyped-def]
    lobby = open_lobby(lobbies)
    fill_in(lobby, one_seat.ws_url, one_seat.code, "ada")
    wait_for(lobby, lambda: "0 of 1 player seats taken" in lobby.session_line.text, 20, "the free seat")
    # Someone takes the last seat between the lookup and Join: the websocket refuses.
    bob = Connection(one_seat.ws_url, code=one_seat.code, name="bob")
    bob.start()
    try:
        deadline = time.monotonic() + 20
        while not one_seat.runner.session.is_full:
            assert time.monotonic() < deadline, "bob never joined"
            time.sleep(0.05)
        press(lobby, arcade.key.ENTER)
        full = "This session is full: all its player seats are taken (1 of 1)."
        wait_for(lobby, lambda: lobby.error.startswith(full), 20, "the refusal")
        assert lobby.link is None and lobby.joined is None
        save(grab(lobby), "client_lobby_full.png")
        # Enter again asks the server afresh, which now says so before any websocket.
        press(lobby, arcade.key.ENTER)
        wait_for(lobby, lambda: lobby.found is not None and lobby.found.code == "session_full", 20, "the lookup")
        assert lobby.error.startswith(full) and lobby.link is None
    finally:
        bob.close()
    assert [pl.name for pl in one_seat.runner.session.roster if pl.role == "player"] == ["bob"]


def test_the_chosen_persona_comes_first_in_the_preview(play_window, fake_link) -> None:  # type: ignore[no-untyped-def]
    world = towns.small_world()
    fake_link.messages.put(towns.welcome(world, towns.flows_at(world, 0.3), game=towns.game()))
    pump(play_window)
    play_window.preview_panel.persona = "commuter"
    ask_preview(play_window, fake_link, world)
    fake_link.messages.put(answer(world))
    image = grab(play_window)
    save(image, "client_preview_persona.png")
    bars = play_window.preview_panel.bars
    assert bars[0][0] == "commuter" and len(bars) > 1
    others = [score for _, score, _ in bars[1:]]
    assert others == sorted(others, reverse=True), "the others as before: the most helped first"
    commuter = next(t for t in play_window.preview_panel.body.used if t.text == "Commuter")
    assert tuple(commuter.color[:3]) == palette.ACCENT[:3]
    assert close_to(pixel(image, commuter.x - 2, commuter.y - 8), palette.ROW_SELECTED, 6)  # its row, shaded


def test_agora_play_without_a_code_opens_the_lobby_then_the_map(live_server: LiveServer, x_display: str) -> None:
    """`agora play --server URL --name ada` in its own event loops: the lobby takes the code
    (typed), Enter joins, the lobby closes and the map window opens on the same link."""
    import argparse

    import pyglet

    from agora.client import app
    from agora.client.lobby import LobbyWindow
    from agora.client.window import PlayWindow

    parser = argparse.ArgumentParser(prog="agora")
    app.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["play", "--server", live_server.ws_url, "--name", "ada"])
    seen: dict[str, object] = {}
    began = time.monotonic()

    def drive(dt: float) -> None:
        windows = list(pyglet.app.windows)
        for window in windows:
            if isinstance(window, LobbyWindow) and "typed" not in seen:
                seen["typed"] = window.code_field.active and window.name == "ada"
                for ch in live_server.code:
                    window.dispatch_event("on_text", ch)
                window.dispatch_event("on_key_press", arcade.key.ENTER, 0)
            elif isinstance(window, PlayWindow) and window.city is not None:
                seen["map"] = (window.player, window.city.session, len(windows))
                window.close()
        if time.monotonic() - began > 60:
            for window in windows:
                window.close()

    # Windows closed by earlier tests are still on pyglet's clock (arcade 3.3 leaves them
    # there): the event loop would update them.
    clock = pyglet.clock.get_default()
    for item in list(clock._schedule_interval_items):
        owner = getattr(item.func, "__self__", None)
        if isinstance(owner, arcade.Window) and owner.closed:
            clock.unschedule(item.func)
    pyglet.clock.schedule_interval(drive, 0.05)
    try:
        assert app.run(args) == 0
    finally:
        pyglet.clock.unschedule(drive)
        # pyglet's event loop turns the windows' event queue off for good; the other tests
        # build windows outside a loop, which needs it on (see app.map_window).
        pyglet.window.Window._enable_event_queue = True
    assert seen.get("typed") is True, "the code field took the typing; the name came from --name"
    assert seen.get("map") == ("ada (player)", live_server.runner.session.id, 1), seen
    assert [pl.name for pl in live_server.runner.session.roster if pl.role == "player"] == ["ada"]
