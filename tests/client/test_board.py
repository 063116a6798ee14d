"""The side panel's board under X: the phase and its timer, the budget, the proposals and
the one open, the ballot and the count, fed by a fake connection."""

from __future__ import annotations

import time

import arcade
import pytest
import towns
from frames import click, grab, pixel, press, pump, save

from agora.client import palette
from agora.client.hud import side_width
from agora.server import protocol as p


def close_to(rgb: tuple[int, int, int], want: tuple[int, ...], tol: int = 12) -> bool:
    return all(abs(a - b) <= tol for a, b in zip(rgb, want[:3]))


def panel_texts(window) -> list[str]:  # type: ignore[no-untyped-def]
    return [t.text for pool in window.board._pools for t in pool.used]


def has(window, *wanted: str) -> None:  # type: ignore[no-untyped-def]
    texts = panel_texts(window)
    for want in wanted:
        assert any(want in t for t in texts), f"{want!r} is not on the panel: {texts}"


@pytest.fixture
def world():  # type: ignore[no-untyped-def]
    return towns.small_world()


@pytest.fixture
def joined_game(play_window, fake_link, world):  # type: ignore[no-untyped-def]
    flows = towns.flows_at(world, 0.3)
    fake_link.messages.put(towns.welcome(world, flows, game=towns.game(proposals=towns.three_proposals())))
    pump(play_window)
    return play_window


def row(window, pid: int):  # type: ignore[no-untyped-def]
    return next(r for r in window.board.rows if r.proposal == pid)


def test_the_panel_shows_the_phase_its_time_left_the_budget_and_the_board(joined_game) -> None:  # type: ignore[no-untyped-def]
    # The countdown starts when the Game message is handled: the first frames of a loaded
    # machine can take a second, so the clock is read from a known moment.
    joined_game.game.received_at = time.monotonic()
    image = grab(joined_game)
    save(image, "client_board.png")
    has(joined_game, "Propose", "phase 2 of 5", "5:00 left", "Open now: preview, propose, withdraw, comment",
        "€3M left of €3M", "€0 spent")
    # Every proposal the player may see: title, author, status, versions, cost.
    has(joined_game, "#1  Quiet Mill Lane", "by bob  ·  submitted  ·  2 versions  ·  3 comments", "€10k",
        "#2  Bike lanes on the high street", "by cy  ·  submitted  ·  1 version", "€84k",
        "#3  My draft", "draft (only you see it)")
    # The open one (the first): its rationale, versions and comment thread.
    has(joined_game, "PROPOSAL #1", "Children walk to school along Mill Lane",
        "v2  ·  tick 20  ·  €10k  ·  Quiet Mill Lane", "v1  ·  tick 10", "COMMENTS (3)",
        "Where do the cars go instead?", "Onto the ring road: see the preview.", "Good for the school run.")
    # The open row carries the accent stripe; the others do not.
    first, second = row(joined_game, 1), row(joined_game, 2)
    assert close_to(pixel(image, first.left + 1, first.bottom + first.height / 2), palette.ACCENT)
    assert close_to(pixel(image, second.left + 1, second.bottom + second.height / 2), palette.BAR)
    # The panel sits at the right, clear of the map's area.
    area = joined_game.hud.side_area(1280, 800)
    assert area.left == 1280 - side_width(1280) and joined_game.hud.map_area(1280, 800).width == area.left


def test_the_timer_counts_down_between_messages_and_shows_pause_and_speed(joined_game, fake_link) -> None:  # type: ignore[no-untyped-def]
    joined_game.game.received_at = time.monotonic() - 10.0
    pump(joined_game)
    # Ten seconds were taken off, and the frames themselves take a second or two on a busy machine.
    assert {"4:50 left", "4:49 left", "4:48 left"} & set(panel_texts(joined_game)), panel_texts(joined_game)
    fake_link.messages.put(towns.game(towns.phase("propose", state="paused", remaining_s=42.0, speed=2.0),
                                      proposals=towns.three_proposals()))
    pump(joined_game)
    joined_game.game.received_at -= 10.0  # paused: the time left does not move
    image = grab(joined_game)
    save(image, "client_board_paused.png")
    has(joined_game, "0:42 left", "PAUSED  ·  speed ×2")
    fake_link.messages.put(towns.game(towns.phase(state="waiting")))
    pump(joined_game)
    has(joined_game, "Not started yet", "Waiting for the facilitator to start the first phase.", "PROPOSALS (0)", "None yet.")


def test_clicking_a_row_or_the_arrow_keys_open_a_proposal(joined_game) -> None:  # type: ignore[no-untyped-def]
    second = row(joined_game, 2)
    click(joined_game, second.left + second.width / 2, second.bottom + second.height / 2)
    assert joined_game.game.selected == 2
    assert joined_game.selected is None  # a click on the panel selects no road beneath it
    pump(joined_game)
    has(joined_game, "PROPOSAL #2", "NO COMMENTS YET")
    press(joined_game, arcade.key.DOWN)
    assert joined_game.game.selected == 3
    press(joined_game, arcade.key.UP)
    press(joined_game, arcade.key.UP)
    assert joined_game.game.selected == 1


def test_in_the_vote_phase_the_player_marks_proposals_and_casts_the_ballot(joined_game, fake_link) -> None:  # type: ignore[no-untyped-def]
    press(joined_game, arcade.key.SPACE)  # before the vote phase: nothing to mark
    assert joined_game.game.approvals == set()
    fake_link.messages.put(towns.game(towns.phase("vote", remaining_s=240.0), proposals=towns.three_proposals()))
    pump(joined_game)
    assert row(joined_game, 3).box is None  # a draft is not on the ballot
    box = row(joined_game, 2).box
    assert box is not None
    click(joined_game, box[0] + box[2] / 2, box[1] + box[3] / 2)
    assert joined_game.game.approvals == {2} and joined_game.game.selected == 2
    image = grab(joined_game)
    save(image, "client_ballot.png")
    assert close_to(pixel(image, box[0] + 3, box[1] + box[3] - 3), palette.ACCENT)  # ticked
    unticked = row(joined_game, 1).box
    assert close_to(pixel(image, unticked[0] + 4, unticked[1] + unticked[3] - 4), palette.BAR, tol=20)
    has(joined_game, "1 marked  ·  Space mark  ·  V cast")
    press(joined_game, arcade.key.V)
    assert fake_link.sent == [p.Vote(approve=[2])]

    fake_link.messages.put(p.Accepted(command="vote", seq=9, applies_at_tick=41))
    fake_link.messages.put(towns.game(towns.phase("vote", remaining_s=200.0), proposals=towns.three_proposals(),
                                      voted=True))
    pump(joined_game)
    assert "Your ballot is in" in joined_game.notices.active(0.0)[0].text
    has(joined_game, "your ballot is cast")
    press(joined_game, arcade.key.V)
    assert len(fake_link.sent) == 1  # a ballot is final: nothing more is sent

    fake_link.messages.put(p.VoteResult(
        tick=50, method="approval", winners=[2], voters=3,
        explanation="Bike lanes on the high street has the most approvals (2 of 3 voters).",
        tallies=[p.Tally(2, "chosen", "most approvals", approvals=2), p.Tally(1, "not_chosen", "fewer", approvals=1)]))
    image = grab(joined_game)
    save(image, "client_vote_result.png")
    has(joined_game, "RESULT OF THE VOTE", "approval, 3 voters", "Bike lanes on the high street has the most approvals",
        "chosen: 2 approvals", "not chosen: 1 approval")


def test_the_panel_reads_at_1920_by_1080(play_window, fake_link, world) -> None:  # type: ignore[no-untyped-def]
    play_window.set_size(1920, 1080)
    pump(play_window, 3)
    fake_link.messages.put(towns.welcome(world, towns.flows_at(world, 0.3),
                                         game=towns.game(proposals=towns.three_proposals())))
    image = grab(play_window)
    save(image, "client_board_1920.png")
    assert image.size == (1920, 1080)
    area = play_window.hud.side_area(1920, 1080)
    assert area.width == side_width(1920) >= 440
    # Titles are whole, not cut short, at this width.
    assert not [t for t in panel_texts(play_window) if t.startswith("#") and t.endswith("…")]
    has(play_window, "#2  Bike lanes on the high street")
