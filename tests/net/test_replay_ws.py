"""Replay connections over real websockets, on a workshop recorded as the server records it
(tests/store/recording.py): the timeline lists its orders, a seek shows the session as a
rebuild from the database has it, back and forth, previews are of the town at the tick
seeked, a branch answers with the new session, and a wrong token or tick is refused."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import msgspec
import numpy as np
import pytest
from websockets.sync.client import ClientConnection, connect

from agora.server import protocol as p
from agora.server.net.replay_server import ReplayServer
from agora.server.store.eventlog import EventLog
from agora.server.store.replays import Recorded, rebuild
from agora.server.world.world import World, resolve_world
from tests.store.recording import quiet_streets, record_workshop

ADMIN = "admin-secret-for-tests"


@dataclass(frozen=True)
class Recording:
    db: Path
    facilitator_token: str
    closed_street: int  # ada closed it at tick 4; the facilitator reopened it at tick 27


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Recording:
    db = tmp_path_factory.mktemp("replay") / "agora.db"
    log = EventLog(db)
    world = World.load(resolve_world("default"))
    rec = record_workshop(log, world, every=20)
    log.close()
    return Recording(db, rec.facilitator.token, quiet_streets(world)[0])


@pytest.fixture(scope="module")
def server(recording: Recording) -> Iterator[ReplayServer]:
    with ReplayServer(recording.db, admin_token=ADMIN) as live:
        yield live


class Planner:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    def send(self, message: msgspec.Struct) -> None:
        self.ws.send(p.msgpack_encoder.encode(message))

    def next(self, timeout: float = 60.0) -> p.ServerMessage:
        return p.server_msgpack_decoder.decode(self.ws.recv(timeout=timeout))

    def wait_for(self, kind: type, timeout: float = 120.0):  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while True:
            message = self.next(max(deadline - time.monotonic(), 0.1))
            if isinstance(message, kind):
                return message
            assert not isinstance(message, p.Error), message

    def seek(self, tick: int) -> tuple[p.Snapshot, p.Game]:
        self.send(p.Seek(tick))
        resync = self.wait_for(p.Resync)
        game = self.wait_for(p.Game)
        return resync.snapshot, game


@pytest.fixture
def planner(server: ReplayServer) -> Iterator[Planner]:
    with connect(server.ws_url, max_size=2**28) as ws:
        yield Planner(ws)


def open_replay(planner: Planner, token: str) -> tuple[p.Welcome, p.Timeline]:
    planner.send(p.Hello(code="", name="planner", token=token, replay="w1"))
    welcome = planner.next()
    assert isinstance(welcome, p.Welcome), welcome
    timeline = planner.next()
    assert isinstance(timeline, p.Timeline), timeline
    return welcome, timeline


def test_the_timeline_lists_every_logged_order(planner: Planner, recording: Recording) -> None:
    welcome, timeline = open_replay(planner, recording.facilitator_token)
    assert welcome.role == "observer" and welcome.snapshot.tick == 1 and welcome.game is not None
    assert (timeline.session, timeline.first_tick, timeline.last_tick) == ("w1", 1, 100)
    assert len(timeline.clock_hours) == 100
    # The demo rule set's clock: one simulated minute a tick; the clock shown at tick t is
    # that of its start, as the live session's indicators showed it.
    assert timeline.clock_hours[1] - timeline.clock_hours[0] == pytest.approx(1 / 60)
    assert timeline.clock_hours[0] == pytest.approx(welcome.snapshot.indicators.clock_hour)
    commands = [e.command for e in timeline.events]
    assert len(commands) == 18 and [e.seq for e in timeline.events] == list(range(1, 19))
    assert commands[:3] == ["set_phase", "close_link", "propose"]
    for kind in ("vote", "count_votes", "adopt", "roll_back", "announce"):
        assert kind in commands
    close = timeline.events[1]
    assert (close.tick, close.player, close.summary) == (4, "ada", f"ada closed road {recording.closed_street} to cars")
    proposed = [e for e in timeline.events if e.command == "propose"]
    assert [(e.proposal, e.summary) for e in proposed] == [(1, "ada proposed 'Quiet street'"),
                                                           (2, "bob proposed 'Park'")]
    adopted = [e for e in timeline.events if e.command == "adopt"]
    assert [e.proposal for e in adopted] == [1, 2] and adopted[0].summary == "facilitator adopted proposal 1"


def test_a_seek_shows_the_rebuilt_session_forwards_and_back(planner: Planner, recording: Recording) -> None:
    open_replay(planner, ADMIN)
    log = EventLog(recording.db)
    try:
        recorded = Recorded.load(log, "w1")
        seen: dict[int, p.Snapshot] = {}
        # Forward from tick 1, back to a checkpoint, on, back to the start, to the stored
        # snapshot at 100 (the only one whose arrays the pruning kept), back again.
        for tick in (40, 20, 60, 3, 100, 95, 40):
            snapshot, game = planner.seek(tick)
            assert snapshot.tick == game.tick == tick
            expected = rebuild(log, recorded, tick).session
            assert np.array_equal(snapshot.closed.to_numpy(), expected.closed)
            assert np.array_equal(snapshot.flow_veh_h.to_numpy(), expected.sim.link_flow_veh_h().astype(np.float32))
            assert snapshot.indicators.vehicle_hours == pytest.approx(expected.sim.indicators()["vehicle_hours"])
            assert [q.id for q in game.proposals] == [int(q.id) for q in expected.game.book.visible(
                expected.roster.get(expected.roster.by_token(recorded.facilitator_token).id))]
            seen.setdefault(tick, snapshot)
        # The same tick twice, once reached going forward and once going back: one state.
        assert seen[40].flow_veh_h.data == planner.seek(40)[0].flow_veh_h.data
    finally:
        log.close()
    street = recording.closed_street
    at_3, at_20 = planner.seek(3)[0], planner.seek(20)[0]
    assert not at_3.closed.to_numpy()[street] and at_20.closed.to_numpy()[street]
    assert not planner.seek(30)[0].closed.to_numpy()[street], "the facilitator reopened it at tick 27"
    # The board as it was: nothing proposed at tick 3, both proposals and the adoption by 60.
    assert planner.seek(3)[1].proposals == []
    game = planner.seek(60)[1]
    assert {q.id: q.status for q in game.proposals} == {1: "adopted", 2: "submitted"}
    assert game.phase.name == "adopt"


def test_a_preview_in_a_replay_is_of_the_town_at_the_tick_seeked(planner: Planner, recording: Recording) -> None:
    open_replay(planner, recording.facilitator_token)
    street = recording.closed_street
    planner.seek(20)  # the street is closed then: closing it again cannot be previewed
    planner.send(p.PreviewDraft(request=1, interventions=[p.CloseLink(link=street)]))
    refused = planner.next(timeout=120)
    assert isinstance(refused, p.Error) and refused.request == 1 and refused.code == "already_closed", refused
    planner.seek(30)  # reopened by then
    planner.send(p.PreviewDraft(request=2, interventions=[p.CloseLink(link=street)]))
    answer = planner.wait_for(p.Preview, timeout=300)
    assert answer.request == 2 and answer.world_version == 30
    change = dict(zip(answer.link.to_numpy().tolist(), answer.flow_delta_veh_h.to_numpy().tolist()))
    assert change.get(street, 0.0) < 0.0, "closing the street takes its cars away"


def test_wrong_tokens_ticks_and_commands_are_refused(server: ReplayServer, recording: Recording) -> None:
    with connect(server.ws_url) as ws:
        stranger = Planner(ws)
        stranger.send(p.Hello(code="", name="x", token="not-a-token", replay="w1"))
        refused = stranger.next()
        assert isinstance(refused, p.Error) and refused.code == "not_allowed", refused
        assert "facilitator" in refused.message
    with connect(server.ws_url) as ws:
        lost = Planner(ws)
        lost.send(p.Hello(code="", name="x", token=ADMIN, replay="nope"))
        refused = lost.next()
        assert isinstance(refused, p.Error) and refused.code == "no_such_session" and "w1" not in refused.message
    with connect(server.ws_url) as ws:
        planner = Planner(ws)
        open_replay(planner, ADMIN)
        planner.send(p.Seek(500))
        error = planner.next()
        assert isinstance(error, p.Error) and error.code == "no_such_tick" and "1 to tick 100" in error.message
        planner.send(p.CloseLink(link=3))
        error = planner.next()
        assert isinstance(error, p.Error) and error.code == "replay_only"
        assert planner.seek(10)[0].tick == 10, "the connection goes on after refusals"
    # Nothing a replay does is logged.
    log = EventLog(recording.db)
    try:
        assert len(log.orders("w1")) == 18
    finally:
        log.close()


def test_a_branch_writes_a_new_session_from_the_tick_and_answers_with_its_codes(planner: Planner,
                                                                              recording: Recording) -> None:
    open_replay(planner, recording.facilitator_token)
    planner.send(p.Branch(tick=42))
    made = planner.wait_for(p.Branched)
    assert made.from_session == "w1" and made.from_tick == 42 and made.session_id != "w1"
    assert made.join_code and made.facilitator_token and made.join_code != made.observer_code
    eventlog = EventLog(recording.db)
    try:
        row = eventlog.session_row(made.session_id)
        assert row is not None and row["from_session"] == "w1" and row["from_tick"] == 42
    finally:
        eventlog.close()
    planner.send(p.Branch(tick=0))
    error = planner.next()
    assert isinstance(error, p.Error) and error.code == "no_such_tick"


def test_a_live_session_refuses_seek_and_branch(live_server) -> None:  # type: ignore[no-untyped-def]
    with connect(live_server.ws_url + "/ws") as ws:
        player = Planner(ws)
        player.send(p.Hello(code=live_server.code, name="ada"))
        assert isinstance(player.next(), p.Welcome)
        for message in (p.Seek(5), p.Branch(5)):
            player.send(message)
            error = _first_error(player)
            assert error.code == "not_a_replay" and "replay" in error.message
    assert live_server.accepted_commands() == []


def _first_error(player: Planner) -> p.Error:
    while True:
        message = player.next()
        if isinstance(message, p.Error):
            return message


def test_summaries_name_who_did_what() -> None:
    from agora.server.net.replay_timeline import summary
    from agora.server.session.players import PlayerId
    from agora.server.session.session import Order

    def said(player: str, command: p.Logged, pid: int = 2) -> str:
        return summary(Order(1, 3, PlayerId(0 if player == "timer" else pid), player, command))

    assert said("timer", p.AdvancePhase()) == "The phase's time ran out: on to the next phase"
    assert said("facilitator", p.AdvancePhase()) == "facilitator moved on to the next phase"
    assert said("ada", p.SetToll(links=[1, 2, 3, 4, 5, 6], toll_eur=2.5)) == \
        "ada set a toll of \u20ac2.50 on roads 1, 2, 3, 4 and 2 more"
    assert said("bob", p.Comment(proposal=2, text="  Deliveries\nat 6?  ", parent=4)) == \
        "bob replied on proposal 2: 'Deliveries at 6?'"
    assert said("ada", p.MakePark(cells=[(1, 2), (1, 3)])) == "ada made a park of 2 cells"
    assert said("ada", p.Propose(title="x" * 70, interventions=[], draft=True)).endswith("\u2026'")


def test_agora_replay_view_names_a_session_the_file_does_not_hold(recording: Recording,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from agora.server.cli import main

    assert main(["replay", str(recording.db), "--session", "nope", "--view"]) == 2
    assert "holds no session 'nope' (it holds: w1" in capsys.readouterr().err
