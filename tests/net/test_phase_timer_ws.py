"""The phase timer on a live server: a phase whose minutes are up ends by itself, logged as
the timer's order; a pause stops the timer and the ticks; an old log without game columns reads."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Iterator

import pytest

from agora.server import protocol as p
from agora.server.session.rulesets import load_ruleset, rulesets_root
from agora.server.session.session import Session, replay
from agora.server.store.eventlog import EventLog
from tests.conftest import LiveServer, make_tiny_world, serve_world
from tests.net.test_websocket import Player, join, sockets  # noqa: F401  (a fixture)


@pytest.fixture
def quick(tmp_path: Path) -> Iterator[LiveServer]:
    """The demo's rules with phases of about a second (minutes = 0.02)."""
    text = (rulesets_root() / "demo.toml").read_text()
    path = tmp_path / "quick.toml"
    text = re.sub(r"(?m)^duration_min = \d+$", "duration_min = 0.1", text)
    path.write_text(re.sub(r"(?m)^minutes = \d+$", "minutes = 0.02", text))
    with serve_world(make_tiny_world(), tmp_path / "agora.db", tick_seconds=0.02, rules=load_ruleset(path)) as live:
        yield live


def test_a_phase_ends_when_its_minutes_are_up_and_a_pause_holds_everything(quick: LiveServer, sockets) -> None:  # type: ignore[no-untyped-def]
    fac = sockets(quick.ws_url)
    fac.send(p.Hello(code="", name="", token=quick.facilitator_token))
    assert isinstance(fac.receive(), p.Welcome)
    fac.send(p.AdvancePhase())
    fac.wait_for(lambda m: isinstance(m, p.Game) and m.phase.name == "explore")
    later = fac.wait_for(lambda m: isinstance(m, p.Game) and m.phase.name == "propose", timeout=10.0)
    assert isinstance(later, p.Game) and later.phase.state == "running"
    fac.send(p.Pause())
    fac.wait_for(lambda m: isinstance(m, p.Game) and m.phase.state == "paused")
    tick = quick.runner.session.tick
    with pytest.raises(TimeoutError):  # neither ticks nor phase changes while paused
        fac.wait_for(lambda m: isinstance(m, (p.Delta, p.Game)), timeout=2.0)
    assert quick.runner.session.tick == tick and quick.runner.session.game.clock.view().name == "propose"
    log = EventLog(quick.eventlog_path)
    try:
        orders = log.orders("test")
        assert [(o.player_name, p.tag_of(o.command)) for o in orders][:2] == [
            ("facilitator", "advance_phase"), ("timer", "advance_phase")]
        assert int(orders[1].player_id) == 0
        again = replay(Session("test", make_tiny_world(), code="TESTME", rules=quick.runner.session.rules),
                       orders, to_tick=tick, players=log.players("test"))
        assert again.state_hash() == quick.runner.session.state_hash()
    finally:
        log.close()


def test_a_log_from_before_the_game_still_reads_and_replays(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    with sqlite3.connect(db) as old:  # the tables as they were before issue 5's game columns
        old.execute("create table sessions (id text primary key, code text, world text, world_hash text, seed integer,"
                    " created_at text, server_version text)")
        old.execute("create table players (session text, id integer, name text, role text, joined_at text,"
                    " primary key (session, id))")
        old.execute("create table events (session text, seq integer, tick integer, player_id integer, player text,"
                    " command text, payload text, logged_at text, primary key (session, seq))")
        old.execute("insert into sessions values ('s', 'ABCDEF', 'tiny', '', 0, '', '0.1')")
        old.execute("insert into players values ('s', 1, 'ada', 'player', '')")
        old.execute("""insert into events values ('s', 1, 3, 1, 'ada', 'close_link', '{"type":"close_link","link":4}', '')""")
    log = EventLog(db)
    try:
        orders, players = log.orders("s"), log.players("s")
        assert [o.command for o in orders] == [p.CloseLink(link=4)] and players[0].after_seq == 0
        assert log.sessions()[0]["rules"] is None  # the column came later: empty for old rows
    finally:
        log.close()
    again = replay(Session("s", make_tiny_world(), code="ABCDEF"), orders, to_tick=5, players=players)
    assert again.closed[4] and again.roster.get(players[0].id).name == "ada"
