"""End to end on the demo rule set: the facilitator's window against a real server, driven
by clicks and keys on its Facilitate tab, with a player on another connection. The window
starts and advances the phases, pauses and gives the phase five more minutes, announces,
mutes the player (whose chat is then refused, as is their try at the timer), and adopts
the player's proposal; the server's state and its log show each."""

from __future__ import annotations

import queue
import time
from pathlib import Path
from typing import Iterator

import arcade
import pytest
from frames import click, grab, press, pump, save, type_text, wait_for

from agora.client.connection import Connection
from agora.server import protocol as p
from agora.server.session.game import Game
from agora.server.session.rulesets import bundled
from agora.server.world.world import World, resolve_world
from tests.conftest import LiveServer, serve_world


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[LiveServer]:
    with serve_world(World.load(resolve_world("default")), tmp_path / "agora.db", tick_seconds=0.1,
                     rules=bundled("demo"), live_edits=False) as live:
        yield live


def press_button(window, key: str) -> None:  # type: ignore[no-untyped-def]
    pump(window, 1)
    button = window.facilitate.button(key)
    assert button is not None, f"no button {key!r}: {[b.key for b in window.facilitate.buttons]}"
    click(window, *button.centre)


def received(connection: Connection, kind: type, seconds: float) -> object:
    """The first message of a kind on a connection without a window (others are dropped)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            message = connection.messages.get(timeout=0.1)
        except queue.Empty:
            continue
        if isinstance(message, kind):
            return message
    pytest.fail(f"no {kind.__name__} within {seconds} s")


def test_the_facilitator_runs_the_session_from_the_panel(demo_server: LiveServer, x_display: str) -> None:
    from agora.client.window import PlayWindow

    fac = Connection(demo_server.ws_url, code="", name="", token=demo_server.facilitator_token)
    bob = Connection(demo_server.ws_url, code=demo_server.code, name="bob")
    window = PlayWindow(fac, name="fran", code="", width=1280, height=800)
    fac.start()
    bob.start()

    def server() -> Game:  # the session keeps a new copy of its game after each command
        return demo_server.runner.session.game

    try:
        wait_for(window, lambda: window.city is not None and window.game.game is not None, 30, "the welcome")
        welcome = received(bob, p.Welcome, 30)
        assert isinstance(welcome, p.Welcome)
        bob_id = welcome.player_id
        assert window.role == "facilitator" and "facilitate" in [t.key for t in window.tabs.visible()]
        assert window.tabs.active == "facilitate"

        def phase_is(name: str):  # type: ignore[no-untyped-def]
            return lambda: window.game.game is not None and window.game.game.phase.name == name

        press_button(window, "next_phase")  # "Start"
        wait_for(window, phase_is("explore"), 20, "the explore phase")
        press(window, arcade.key.N, arcade.key.MOD_CTRL)
        wait_for(window, phase_is("propose"), 20, "the propose phase")
        assert server().clock.phase is not None and server().clock.phase.name == "propose"

        # Bob proposes closing a local two-way street.
        net = window.city
        local = net.road_class_names.index("local")
        street = next(i for i in range(net.n_links) if net.road_class[i] == local and net.twin[i] >= 0
                      and net.car_link()[i])
        assert bob.send(p.Propose(title="Quiet street", interventions=[p.CloseLink(link=street)]))
        wait_for(window, lambda: any(q.status == "submitted" for q in window.game.proposals()), 20, "bob's proposal")
        proposal = window.game.proposals()[0].id

        press_button(window, "pause_resume")
        wait_for(window, lambda: window.game.game.phase.state == "paused", 20, "the pause")
        assert server().clock.state.value == "paused"
        press_button(window, "plus_5")
        wait_for(window, lambda: window.game.game.phase.minutes == 12.0, 20, "five more minutes")
        pump(window, 1)
        assert "12 min" in window.facilitate.texts()
        assert server().clock.extra_s == 300.0 and server().clock.remaining_s > 7 * 60

        press_button(window, "announce")
        assert window.prompt.open
        type_text(window, "Ten minutes to propose")
        press(window, arcade.key.ENTER)
        wait_for(window, lambda: any(line.announcement and line.text == "Ten minutes to propose"
                                     for line in window.game.game.chat), 20, "the announcement")

        press_button(window, f"mute:{bob_id}")
        wait_for(window, lambda: any(q.id == bob_id and q.muted for q in window.game.game.players), 20, "the mute")
        assert bob_id in server().moderation.muted
        save(grab(window), "client_facilitate_live.png")
        assert bob.send(p.Chat(text="Can I still talk?"))
        refusal = received(bob, p.Error, 20)
        assert isinstance(refusal, p.Error) and refusal.code == "muted"
        assert not any(line.text == "Can I still talk?" for line in server().book.chat_log)
        assert bob.send(p.ExtendPhase(minutes=30.0))  # a player cannot run the clock
        refusal = received(bob, p.Error, 20)
        assert isinstance(refusal, p.Error) and refusal.code == "not_allowed"
        assert server().clock.extra_s == 300.0

        press(window, arcade.key.P, arcade.key.MOD_CTRL)  # resume: an adoption applies at a tick
        wait_for(window, lambda: window.game.game.phase.state == "running", 20, "the resume")
        window.game.select(proposal)
        press_button(window, "adopt")
        wait_for(window, lambda: window.game.proposal(proposal).status == "adopted", 20, "the adoption")
        wait_for(window, lambda: window.facilitate.button("roll_back") is not None, 5, "the roll back button")
        wait_for(window, lambda: bool(window.city.closed[street]), 30, "the street closed in the town")
        notes = [n.text for n in window.notices.active(time.monotonic())]
        assert "Adopted: its changes apply at the next tick." in notes
        save(grab(window), "client_facilitate_live_adopted.png")

        logged = [(kind, body) for kind, body in demo_server.accepted_commands()
                  if kind in ("advance_phase", "pause", "resume", "extend_phase", "announce", "mute", "adopt")]
        assert logged == [
            ("advance_phase", {"type": "advance_phase"}), ("advance_phase", {"type": "advance_phase"}),
            ("pause", {"type": "pause"}), ("extend_phase", {"type": "extend_phase", "minutes": 5.0}),
            ("announce", {"type": "announce", "text": "Ten minutes to propose"}),
            ("mute", {"type": "mute", "player": bob_id}), ("resume", {"type": "resume"}),
            ("adopt", {"type": "adopt", "proposal": proposal}),
        ]
    finally:
        bob.close()
        fac.close()
        window.close()
