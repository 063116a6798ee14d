"""What the client keeps of the game: the phase timer between messages, the open proposal,
the ballot being filled. No window needed."""

from __future__ import annotations

import towns

from agora.client.game_state import GameState, clock_text, eur
from agora.server import protocol as p


def test_the_phase_timer_counts_down_at_the_facilitators_speed_and_holds_when_paused() -> None:
    game = GameState()
    game.take(towns.game(towns.phase("propose", remaining_s=300.0, speed=2.0)), now=100.0)
    assert game.seconds_left(100.0) == 300.0
    assert game.seconds_left(110.0) == 280.0  # ten real seconds at twice the speed
    assert game.seconds_left(500.0) == 0.0  # never below zero while the server's message is late
    clock = game.clock(110.0)
    assert (clock.title, clock.place, clock.paused, clock.speed) == ("Propose", "phase 2 of 5", False, 2.0)
    game.take(towns.game(towns.phase("propose", state="paused", remaining_s=123.0)), now=200.0)
    assert game.seconds_left(260.0) == 123.0
    assert game.clock(260.0).paused
    game.take(towns.game(towns.phase(state="waiting")), now=300.0)
    assert game.seconds_left(301.0) is None
    assert game.clock(301.0).title == "Not started yet"


def test_the_open_proposal_follows_the_board() -> None:
    game = GameState()
    game.take(towns.game(proposals=towns.three_proposals()), now=0.0)
    assert game.selected == 1
    game.select_step(1)
    assert game.selected == 2
    game.select_step(-1)
    game.select_step(-1)
    assert game.selected == 3  # wraps round
    game.take(towns.game(proposals=towns.three_proposals()[:2]), now=1.0)
    assert game.selected == 1  # the one open left the board: the first opens instead


def test_an_approval_ballot_holds_only_submitted_proposals() -> None:
    game = GameState()
    game.take(towns.game(towns.phase("vote"), proposals=towns.three_proposals()), now=0.0)
    assert game.opens("vote") and not game.opens("propose")
    assert game.ballot() is None
    assert game.toggle(2) and game.toggle(1)
    assert not game.toggle(3)  # a draft is not on the ballot
    assert game.ballot() == p.Vote(approve=[1, 2])
    game.toggle(1)
    assert game.ballot() == p.Vote(approve=[2])
    # Proposal 2 is withdrawn: it leaves the ballot being filled.
    rest = [q if q.id != 2 else towns.proposal(2, "Bike lanes", 84_000, status="withdrawn")
            for q in towns.three_proposals()]
    game.take(towns.game(towns.phase("vote"), proposals=rest), now=1.0)
    assert game.ballot() is None


def test_a_majority_ballot_cycles_yes_no_abstain_and_blank() -> None:
    game = GameState()
    game.take(towns.game(towns.phase("vote"), proposals=towns.three_proposals(), voting="majority"), now=0.0)
    marks = []
    for _ in range(4):
        game.toggle(1)
        marks.append(game.mark(1))
    assert marks == ["yes", "no", "abstain", ""]
    game.toggle(1)
    game.toggle(2)
    game.toggle(2)
    assert game.ballot() == p.Vote(choices={1: "yes", 2: "no"})


def test_money_and_time_as_people_read_them() -> None:
    assert [eur(x) for x in (3_000_000, 2_500_000, 84_000, 9_999, 0)] == ["€3M", "€2.50M", "€84k", "€9,999", "€0"]
    assert [clock_text(x) for x in (300.0, 59.2, 0.0, None)] == ["5:00", "1:00", "0:00", ""]


def test_a_new_proposal_of_ones_own_opens_and_others_do_not() -> None:
    game = GameState()
    game.me = 1
    game.take(towns.game(proposals=towns.three_proposals()), now=0.0)
    game.select(2)
    others = towns.three_proposals() + [towns.proposal(5, "Someone else's", 1_000, author="bob")]
    game.take(towns.game(proposals=others), now=1.0)
    assert game.selected == 2
    own = p.ProposalInfo(6, 1, "ada", "submitted", others[0].versions, [], [], False)
    game.take(towns.game(proposals=[*others, own]), now=2.0)
    assert game.selected == 6
