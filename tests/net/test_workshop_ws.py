"""A short workshop on the demo rule set over real websockets: a facilitator, three players
and an observer propose, talk, amend, vote, count and adopt; the town changes at the next
tick and a rollback restores it; bad input is refused with its code and the session goes
on; then the log replays into a fresh session with the same state hash."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import pytest
from websockets.sync.client import connect

from agora.server import protocol as p
from agora.server.net.previews import PreviewService
from agora.server.session.rulesets import bundled
from agora.server.session.session import Session, replay
from agora.server.store.eventlog import EventLog
from agora.server.world.types import LandUse
from agora.server.world.world import World, resolve_world
from tests.conftest import LiveServer, serve_world
from tests.net.test_websocket import Player


@pytest.fixture
def server(tmp_path: Path, previews: PreviewService) -> Iterator[LiveServer]:
    with serve_world(World.load(resolve_world("default")), tmp_path / "agora.db", tick_seconds=0.1,
                     previews=previews, rules=bundled("demo"), live_edits=False) as live:
        yield live


@pytest.fixture
def sockets() -> Iterator[Callable[[str], Player]]:
    with contextlib.ExitStack() as stack:
        yield lambda url: Player(stack.enter_context(connect(url + "/ws", max_size=None, max_queue=None, ping_interval=None)))


def enter(sockets: Callable[[str], Player], server: LiveServer, **hello: str) -> tuple[Player, p.Welcome]:
    player = sockets(server.ws_url)
    player.send(p.Hello(**{"code": "", "name": "", **hello}))  # type: ignore[arg-type]
    welcome = player.receive()
    assert isinstance(welcome, p.Welcome), welcome
    assert welcome.game is not None and welcome.game.rules == "demo"
    return player, welcome


def answer(player: Player) -> p.Accepted | p.Error:
    message = player.wait_for(lambda m: isinstance(m, (p.Accepted, p.Error)))
    assert isinstance(message, (p.Accepted, p.Error))
    return message


def accepted(player: Player, message: p.ClientMessage) -> p.Accepted:
    player.send(message)
    reply = answer(player)
    assert isinstance(reply, p.Accepted), f"{p.tag_of(message)} refused: {reply}"
    assert reply.command == p.tag_of(message)
    return reply


def refused(player: Player, message: p.ClientMessage | bytes) -> str:
    player.ws.send(message if isinstance(message, bytes) else p.msgpack_encoder.encode(message))
    reply = answer(player)
    assert isinstance(reply, p.Error), f"expected a refusal, got {reply}"
    assert reply.message
    return reply.code


def game(player: Player, want: Callable[[p.Game], bool]) -> p.Game:
    message = player.wait_for(lambda m: isinstance(m, p.Game) and want(m))
    assert isinstance(message, p.Game)
    return message


def phase(name: str) -> Callable[[p.Game], bool]:
    return lambda g: g.phase.name == name


def test_a_short_workshop_from_proposal_to_rollback_and_replay(server: LiveServer, sockets) -> None:  # type: ignore[no-untyped-def]
    fac, welcome = enter(sockets, server, token=server.facilitator_token)
    assert welcome.role == "facilitator" and welcome.game is not None and welcome.game.phase.state == "waiting"
    ada, _ = enter(sockets, server, code=server.code, name="ada")
    bob, _ = enter(sockets, server, code=server.code, name="bob")
    cy, _ = enter(sockets, server, code=server.code, name="cy")
    eve, _ = enter(sockets, server, code=server.observer_code, name="eve")
    snap = welcome.snapshot
    net = snap.network
    fac.ticks(2)
    assert fac.flow is not None
    # A busy two-way local or collector street: the demo closes only those.
    names = net.road_class_names
    quiet_roads = np.isin(net.road_class.to_numpy(), [names.index("collector"), names.index("local")])
    flow = np.where(quiet_roads & (net.twin.to_numpy() >= 0), fac.flow, -1.0)
    street = int(np.argmax(flow))
    other = int(np.argsort(flow)[-3])
    assert flow[street] > 0
    grass = np.argwhere(snap.grid.land_use.to_numpy() == int(LandUse.GRASS))[:64]
    huge = [p.MakePark(cells=[(int(r), int(c)) for r, c in grass[:32]]),
            p.MakePark(cells=[(int(r), int(c)) for r, c in grass[32:64]])]

    # Before the first phase nothing is open; the players cannot edit the town directly.
    assert refused(ada, p.PreviewDraft(request=1, interventions=[p.CloseLink(link=street)])) == "wrong_phase"
    assert refused(ada, p.CloseLink(link=street)) == "not_allowed"
    assert refused(ada, p.AdvancePhase()) == "not_allowed"
    accepted(fac, p.AdvancePhase())
    for player in (fac, ada, eve):
        assert game(player, phase("explore")).phase.state == "running"

    ada.send(p.PreviewDraft(request=2, interventions=[p.CloseLink(link=street)]))
    preview = ada.wait_for(lambda m: isinstance(m, (p.Preview, p.Error)) and m.request == 2, timeout=120.0)
    assert isinstance(preview, p.Preview) and len(preview.link.to_numpy()) > 0
    assert refused(ada, p.Propose(title="Quiet street", interventions=[p.CloseLink(link=street)])) == "wrong_phase"

    accepted(fac, p.AdvancePhase())
    game(ada, phase("propose"))
    accepted(ada, p.Propose(title="Quiet street", rationale="Children walk here.",
                            interventions=[p.CloseLink(link=street)]))
    seen = game(bob, lambda g: len(g.proposals) == 1)
    quiet = seen.proposals[0]
    assert (quiet.id, quiet.author, quiet.status) == (1, "ada", "submitted")
    assert quiet.versions[0].cost_eur == 10_000 and seen.budget_eur == 3_000_000
    assert refused(eve, p.Propose(title="Mine", interventions=[p.CloseLink(link=other)])) == "not_allowed"
    assert refused(bob, p.Propose(title="Parks everywhere", interventions=list(huge))) == "over_budget"
    accepted(bob, p.Propose(title="Another quiet street", interventions=[p.CloseLink(link=other)], draft=True))
    assert [q.id for q in game(ada, lambda g: True).proposals] == [1], "drafts are private"
    accepted(bob, p.Submit(proposal=2))

    accepted(bob, p.Comment(proposal=1, text="What about deliveries?"))
    accepted(ada, p.Comment(proposal=1, text="Before 8 and after 18.", parent=1))
    assert refused(bob, p.Comment(proposal=1, text="x" * 1_000_000)) == "comment_too_long"
    assert refused(bob, p.Comment(proposal=1, text="?", parent=99)) == "no_such_comment"
    accepted(ada, p.Amend(proposal=1, title="Quiet school street", rationale="Children walk here, 7 to 9.",
                          interventions=[p.CloseLink(link=street)]))
    assert refused(bob, p.Amend(proposal=1, title="Mine now", interventions=[p.CloseLink(link=street)])) == "not_author"
    accepted(cy, p.Propose(title="Withdrawn soon", interventions=[p.CloseLink(link=int(np.argsort(flow)[-5]))]))
    accepted(cy, p.Withdraw(proposal=3))
    accepted(cy, p.Chat(text="Shall we vote?"))
    accepted(fac, p.Mute(player=4))  # cy
    assert refused(cy, p.Chat(text="Hello?")) == "muted"
    accepted(fac, p.Unmute(player=4))
    seen = game(eve, lambda g: [q.status for q in g.proposals] == ["submitted", "submitted", "withdrawn"]
                and bool(g.chat) and not any(x.muted for x in g.players))
    quiet = seen.proposals[0]
    assert [v.title for v in quiet.versions] == ["Quiet street", "Quiet school street"]
    assert [(c.author, c.depth, c.parent) for c in quiet.comments] == [("bob", 0, None), ("ada", 1, 1)]
    assert seen.chat[-1].text == "Shall we vote?"

    accepted(fac, p.AdvancePhase())
    game(ada, phase("vote"))
    assert refused(ada, p.Propose(title="Late", interventions=[p.CloseLink(link=other)])) == "wrong_phase"
    assert refused(bob, p.Vote(approve=[3])) == "proposal_withdrawn"
    assert refused(eve, p.Vote(approve=[1])) == "not_allowed"
    accepted(ada, p.Vote(approve=[1, 2]))
    accepted(bob, p.Vote(approve=[1]))
    assert refused(bob, p.Vote(approve=[2])) == "already_voted"
    accepted(cy, p.Vote(approve=[2, 1]))
    assert refused(ada, p.CountVotes()) == "not_allowed"
    accepted(fac, p.CountVotes())
    for player in (fac, eve):
        result = player.wait_for(lambda m: isinstance(m, p.VoteResult))
        assert isinstance(result, p.VoteResult) and result.method == "approval"
        assert result.winners == [1] and result.voters == 3
        assert [(t.proposal, t.approvals, t.outcome) for t in result.tallies] == [(1, 3, "chosen"), (2, 2, "outranked")]

    accepted(fac, p.AdvancePhase())
    game(ada, phase("adopt"))
    before = fac.flow.copy()
    adopted = accepted(fac, p.Adopt(proposal=1))
    twin = int(net.twin.to_numpy()[street])
    for player in (ada, eve):
        event = player.wait_for(lambda m: isinstance(m, p.Event))
        assert isinstance(event, p.Event) and event.command == "close_link"
        assert event.tick == adopted.applies_at_tick + 1 and sorted(event.links) == sorted([street, twin])
    ada.ticks(2)
    assert ada.flow is not None and ada.flow[[street, twin]].sum() == 0.0 and ada.closed == sorted([street, twin])
    moved = np.abs(ada.flow - before)
    moved[[street, twin]] = 0.0
    assert moved.max() > 10.0, "traffic found other routes"
    assert game(fac, lambda g: g.spent_eur == 10_000).proposals[0].status == "adopted"
    assert refused(fac, p.Adopt(proposal=1)) == "wrong_status"

    accepted(fac, p.RollBack(proposal=1))
    event = ada.wait_for(lambda m: isinstance(m, p.Event))
    assert isinstance(event, p.Event) and event.command == "reopen_link"
    ada.ticks(3)
    assert ada.closed == [] and ada.flow[street] > 0.0
    assert game(fac, lambda g: g.spent_eur == 0).proposals[0].status == "rolled_back"

    # The session went on through every refusal; pause it to compare with a replay.
    accepted(fac, p.Pause())
    paused = game(fac, lambda g: g.phase.state == "paused")
    tick = fac.tick
    with pytest.raises(TimeoutError):
        fac.wait_for(lambda m: isinstance(m, p.Delta), timeout=0.5)
    runner = server.runner
    assert runner.session.tick == paused.tick == tick
    live_hash = runner.session.state_hash()

    log = EventLog(server.eventlog_path)
    try:
        orders, players = log.orders(runner.session.id), log.players(runner.session.id)
        assert [(j.name, j.role.value) for j in players] == [
            ("facilitator", "facilitator"), ("ada", "player"), ("bob", "player"), ("cy", "player"), ("eve", "observer")]
        commands = [p.tag_of(o.command) for o in orders]
        assert commands[:3] == ["advance_phase", "advance_phase", "propose"] and commands[-1] == "pause"
        assert "close_link" not in commands, "an adoption's edits are derived, not logged"
    finally:
        log.close()
    fresh = Session("test", World.load(resolve_world("default")), code="TESTME", rules=bundled("demo"), live_edits=False)
    again = replay(fresh, orders, to_tick=tick, players=players)
    assert again.tick == tick
    assert again.game.state_hash() == runner.session.game.state_hash()
    assert again.state_hash() == live_hash
    accepted(fac, p.Resume())
    fac.ticks(1)
