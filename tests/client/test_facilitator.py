"""The Facilitate tab under X, fed by a fake connection: it shows for a facilitator's
Welcome and not for a player's, each button and key sends its command, Remove and Reject
ask first, and the panel shows what the server says, not what it expects."""

from __future__ import annotations

import re

import arcade
import msgspec
import pytest
import towns
from frames import click, grab, pixel, press, pump, save, type_text

from agora.client import palette
from agora.server import protocol as p

PLAN = [p.PhaseStep(name, title, minutes) for name, title, minutes, _ in towns.PHASES]
PLAYERS = [p.PlayerInfo(1, "fran", "facilitator"), p.PlayerInfo(2, "bob", "player"),
           p.PlayerInfo(3, "cy", "player", muted=True), p.PlayerInfo(4, "dee", "player", removed=True),
           p.PlayerInfo(5, "eve", "observer")]


def close_to(rgb: tuple[int, int, int], want: tuple[int, ...], tol: int = 12) -> bool:
    return all(abs(a - b) <= tol for a, b in zip(rgb, want[:3]))


def game(name: str = "propose", state: str = "running", speed: float = 1.0, adopted: bool = False) -> p.Game:
    phase = msgspec.structs.replace(towns.phase(name, state=state, speed=speed), plan=PLAN)
    proposals = towns.three_proposals()
    if adopted:
        proposals[0] = msgspec.structs.replace(proposals[0], status="adopted", reversible=True)
    return msgspec.structs.replace(towns.game(phase, proposals=proposals), players=PLAYERS)


def join(window, link, role: str, g: p.Game | None = None) -> None:  # type: ignore[no-untyped-def]
    world = towns.small_world()
    welcome = towns.welcome(world, towns.flows_at(world, 0.3), name="fran", game=g or game())
    link.messages.put(msgspec.structs.replace(welcome, role=role))
    pump(window)


@pytest.fixture
def facilitating(play_window, fake_link):  # type: ignore[no-untyped-def]
    join(play_window, fake_link, "facilitator")
    return play_window


def press_button(window, key: str) -> None:  # type: ignore[no-untyped-def]
    button = window.facilitate.button(key)
    assert button is not None, f"no button {key!r}: {[b.key for b in window.facilitate.buttons]}"
    click(window, *button.centre)
    pump(window)


def panel_texts(window) -> list[str]:  # type: ignore[no-untyped-def]
    return window.facilitate.texts()  # type: ignore[no-any-return]


def has(window, *wanted: str) -> None:  # type: ignore[no-untyped-def]
    texts = panel_texts(window)
    for want in wanted:
        assert any(want in t for t in texts), f"{want!r} is not on the panel: {texts}"


def test_the_tab_shows_for_a_facilitator_and_not_for_a_player(play_window, fake_link) -> None:  # type: ignore[no-untyped-def]
    join(play_window, fake_link, "player")
    assert "facilitate" not in [t.key for t in play_window.tabs.visible()]
    assert play_window.tabs.header_at("facilitate") is None

    join(play_window, fake_link, "facilitator")
    assert [t.key for t in play_window.tabs.visible()][-1] == "facilitate"
    assert play_window.tabs.active == "facilitate"  # to the front on joining
    click(play_window, *play_window.tabs.header_at("board"))
    assert play_window.tabs.active == "board"
    pump(play_window)
    click(play_window, *play_window.tabs.header_at("facilitate"))
    image = grab(play_window)
    save(image, "client_facilitate_1280x800.png")
    panel = play_window.facilitate
    # The timer counts down from 5:00 while the frames are drawn (slowly, under load).
    assert any(re.fullmatch(r"(5:00|4:[0-5]\d) left", t) for t in panel_texts(play_window))
    has(play_window, "PHASES", "phase 2 of 5", "1  Explore", "2  Propose", "5  Debrief", "now",
        "DECIDE", "#1  Quiet Mill Lane", "ROOM (4)", "bob", "cy", "muted", "dee", "removed", "eve", "observer")
    # The current phase's row carries the accent stripe; the others a Go instead of "now".
    go = panel.button("go:explore")
    assert go is not None and panel.button("go:propose") is None
    assert {b.key for b in panel.buttons} >= {"go:explore", "go:vote", "go:adopt", "go:debrief", "pause_resume",
                                              "minus_5", "plus_5", "next_phase", "speed:0.5", "speed:1", "speed:2",
                                              "speed:4", "adopt", "reject", "announce", "mute:2", "remove:2",
                                              "mute:3", "remove:3", "mute:5", "remove:5"}
    # No buttons for the facilitator or a removed player; no count outside the vote, no
    # roll back for a proposal that is not adopted.
    assert not {"mute:1", "remove:1", "mute:4", "remove:4", "count_votes", "roll_back"} & {b.key for b in panel.buttons}
    area = play_window.tabs.panel_area(play_window.hud.side_area(1280, 800))
    # Propose's row lies under Explore's.
    assert close_to(pixel(image, area.left + 14 - 5, go.centre[1] - 24), palette.ACCENT), "the current phase is not marked"
    assert close_to(pixel(image, area.left + 14 - 5, go.centre[1]), palette.BAR)
    # The speed in force is lit; every button lies inside the panel.
    assert close_to(pixel(image, panel.button("speed:1").left + 4, panel.button("speed:1").bottom + 4), palette.ACCENT)
    for b in panel.buttons:
        assert area.left <= b.left and b.left + b.width <= area.left + area.width and area.bottom <= b.bottom, b.key

    play_window.set_size(1920, 1080)
    pump(play_window, 3)
    save(grab(play_window), "client_facilitate_1920x1080.png")
    area = play_window.tabs.panel_area(play_window.hud.side_area(1920, 1080))
    for b in panel.buttons:
        assert area.left <= b.left and b.left + b.width <= area.left + area.width and area.bottom <= b.bottom, b.key


def test_each_button_sends_its_command(facilitating, fake_link) -> None:  # type: ignore[no-untyped-def]
    window = facilitating
    expected = [("go:vote", p.SetPhase(phase="vote")), ("pause_resume", p.Pause()),
                ("minus_5", p.ExtendPhase(minutes=-5.0)), ("plus_5", p.ExtendPhase(minutes=5.0)),
                ("next_phase", p.AdvancePhase()), ("speed:0.5", p.SetSpeed(speed=0.5)),
                ("speed:4", p.SetSpeed(speed=4.0)), ("mute:2", p.Mute(player=2)), ("mute:3", p.Unmute(player=3)),
                ("adopt", p.Adopt(proposal=1))]
    for key, command in expected:
        fake_link.sent.clear()
        press_button(window, key)
        assert fake_link.sent == [command], key
    # The panel does not guess: the buttons are as they were until a Game message says otherwise.
    assert window.facilitate.button("pause_resume").label == "Pause"
    assert window.facilitate.button("mute:2").label == "Mute"


def test_remove_asks_first_and_esc_sends_nothing(facilitating, fake_link) -> None:  # type: ignore[no-untyped-def]
    window = facilitating
    fake_link.sent.clear()
    press_button(window, "remove:2")
    assert window.prompt.open and fake_link.sent == []
    assert window.prompt.heading.text == "Remove bob from the session?"
    image = grab(window)
    save(image, "client_facilitate_remove.png")
    press(window, arcade.key.ESCAPE)
    assert not window.prompt.open and fake_link.sent == []
    press_button(window, "remove:2")
    press(window, arcade.key.ENTER)
    assert not window.prompt.open and fake_link.sent == [p.Remove(player=2)]


def test_reject_takes_a_reason_and_announce_a_line(facilitating, fake_link) -> None:  # type: ignore[no-untyped-def]
    window = facilitating
    fake_link.sent.clear()
    press_button(window, "reject")
    assert window.prompt.open and window.prompt.has_field
    type_text(window, "Over the budget")
    pump(window)
    press(window, arcade.key.ENTER)
    assert fake_link.sent == [p.Reject(proposal=1, reason="Over the budget")]

    fake_link.sent.clear()
    press_button(window, "announce")
    press(window, arcade.key.ENTER)  # nothing typed: the dialog stays, saying so
    assert window.prompt.open and fake_link.sent == []
    assert any("Type the announcement first" in n.text for n in window.notices.active(0.0))
    type_text(window, "Ten minutes left to propose")
    pump(window)
    save(grab(window), "client_facilitate_announce.png")
    click(window, *window.prompt.confirm_button.rect.center)  # the button, by mouse
    pump(window)
    assert fake_link.sent == [p.Announce(text="Ten minutes left to propose")] and not window.prompt.open


def test_the_panel_follows_the_game_messages(facilitating, fake_link) -> None:  # type: ignore[no-untyped-def]
    window = facilitating
    fake_link.messages.put(game("vote", state="paused", speed=2.0, adopted=True))
    pump(window)
    panel = window.facilitate
    assert panel.button("pause_resume").label == "Resume"
    assert panel.button("go:propose") is not None and panel.button("go:vote") is None
    has(window, "(paused)", "speed 2x  ·  PAUSED", "adopted")
    # Roll back for an adopted, reversible proposal; Adopt and Reject say why they cannot.
    fake_link.sent.clear()
    for key, command in (("pause_resume", p.Resume()), ("roll_back", p.RollBack(proposal=1)),
                         ("count_votes", p.CountVotes())):
        press_button(window, key)
        assert fake_link.sent[-1] == command, key
    sent = len(fake_link.sent)
    press_button(window, "adopt")
    assert len(fake_link.sent) == sent
    assert any("Only a submitted proposal can be adopted" in n.text for n in window.notices.active(0.0))
    image = grab(window)
    save(image, "client_facilitate_vote.png")
    lit = panel.button("speed:2")
    assert close_to(pixel(image, lit.left + 4, lit.bottom + 4), palette.ACCENT)
    # The server's answers show as notices.
    fake_link.messages.put(p.Accepted(command="roll_back", seq=9, applies_at_tick=41))
    fake_link.messages.put(p.Error(code="too_short", message="The Vote phase has only 0:40 left."))
    pump(window)
    notes = [n.text for n in window.notices.active(0.0)]
    assert "Rolled back: the town is undone at the next tick." in notes
    assert "Refused (too_short): The Vote phase has only 0:40 left." in notes


def test_the_facilitators_keys(facilitating, fake_link) -> None:  # type: ignore[no-untyped-def]
    window = facilitating
    fake_link.sent.clear()
    press(window, arcade.key.N, arcade.key.MOD_CTRL)
    press(window, arcade.key.P, arcade.key.MOD_CTRL)
    press(window, arcade.key.UP, arcade.key.MOD_CTRL)
    press(window, arcade.key.DOWN, arcade.key.MOD_CTRL | arcade.key.MOD_NUMLOCK)
    assert fake_link.sent == [p.AdvancePhase(), p.Pause(), p.SetSpeed(speed=2.0), p.SetSpeed(speed=0.5)]
    assert window.game.selected == 1  # Ctrl+Up/Down do not move through the proposals
    fake_link.messages.put(game(speed=4.0))
    pump(window)
    fake_link.sent.clear()
    press(window, arcade.key.UP, arcade.key.MOD_CTRL)
    assert fake_link.sent == [] and any("fastest" in n.text for n in window.notices.active(0.0))


def test_a_player_has_no_facilitator_keys(play_window, fake_link) -> None:  # type: ignore[no-untyped-def]
    join(play_window, fake_link, "player")
    fake_link.sent.clear()
    press(play_window, arcade.key.N, arcade.key.MOD_CTRL)
    press(play_window, arcade.key.P, arcade.key.MOD_CTRL)
    assert fake_link.sent == []
    assert any("Ctrl+N is the facilitator's key." == n.text for n in play_window.notices.active(0.0))


def test_a_full_room_pages_through_its_players(play_window, fake_link) -> None:  # type: ignore[no-untyped-def]
    crowd = [PLAYERS[0]] + [p.PlayerInfo(i, f"player {i}", "player") for i in range(2, 31)]
    join(play_window, fake_link, "facilitator", msgspec.structs.replace(game(), players=crowd))
    panel = play_window.facilitate
    shown = [b.key for b in panel.buttons if b.key.startswith("mute:")]
    assert 4 <= len(shown) < 29 and shown[0] == "mute:2"
    assert not panel.button("players_up").enabled and panel.button("players_down").enabled
    has(play_window, f"1-{len(shown) + 1} of 30")
    area = play_window.tabs.panel_area(play_window.hud.side_area(1280, 800))
    assert all(b.bottom >= area.bottom for b in panel.buttons)
    pages = 1
    while panel.button("players_down").enabled:
        press_button(play_window, "players_down")
        pages += 1
    last = [b.key for b in panel.buttons if b.key.startswith("mute:")]
    assert last[-1] == "mute:30" and pages == -(-30 // (len(shown) + 1))
    save(grab(play_window), "client_facilitate_crowd.png")
    press_button(play_window, "players_up")
    assert panel.button("players_up").enabled or panel.player_page == 0
