"""Databases written by earlier versions open in this one: their tables gain what came since,
their sessions replay, and new sessions go in beside them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from agora.server import protocol as p
from agora.server.net.sessions import Resumed, SessionRegistry
from agora.server.session.players import Role
from agora.server.session.session import replay
from agora.server.store.eventlog import SCHEMA_VERSION, EventLog, StoreError
from agora.server.store.replays import Recorded, rebuild
from agora.server.world.world import World, resolve_world

FIRST_SCHEMA = [  # server/store/eventlog.py as first committed (dbdb3cd), before the game's columns
    ("create table sessions (id text primary key, code text, world text, world_hash text, seed integer,"
     " created_at text, server_version text)"),
    ("create table players (session text references sessions(id), id integer, name text, role text,"
     " joined_at text, primary key (session, id))"),
    ("create table events (session text references sessions(id), seq integer, tick integer, player_id integer,"
     " player text, command text, payload text, logged_at text, primary key (session, seq))"),
]


def first_schema_db(path: Path, world_hash: str) -> None:
    with sqlite3.connect(path) as old:
        for statement in FIRST_SCHEMA:
            old.execute(statement)
        old.execute("insert into sessions values ('old1', 'ABCDEF', 'default', ?, 0, '2026-01-01', '0.1.0')",
                    [world_hash])
        old.execute("insert into players values ('old1', 1, 'ada', 'player', '2026-01-01')")
        old.execute("insert into events values ('old1', 1, 4, 1, 'ada', 'close_link',"
                    " '{\"type\":\"close_link\",\"link\":17}', '2026-01-01')")
    old.close()


def test_a_database_of_the_first_schema_opens_replays_and_takes_new_sessions(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    world = World.load(resolve_world("default"))
    first_schema_db(db, world.state_hash())

    log = EventLog(db)
    assert log.db.execute("pragma user_version").fetchone()[0] == SCHEMA_VERSION == 2
    assert {"worlds", "snapshots", "proposals", "votes", "comments"} <= set(log.db.table_names())
    row = log.session_row("old1")
    assert row is not None and row["ended_at"], "its server could not resume it: it counts as ended"
    assert row["rules"] is None and row["observer_code"] is None and row["reached_tick"] is None

    # It replays: the world from its folder (its hash unchanged), the rule set by default.
    recorded = Recorded.load(log, "old1")
    assert recorded.reached_tick == 3 and recorded.rules.name == "workshop" and recorded.ended
    assert [(j.name, j.role, j.after_seq, j.token) for j in recorded.players] == [("ada", Role.PLAYER, 0, "")]
    rebuilt = rebuild(log, recorded, to_tick=6)
    assert rebuilt.start_tick == 0 and rebuilt.session.closed[17]
    clean = replay(recorded.fresh(), log.orders("old1"), 6, log.players("old1"))
    assert rebuilt.session.state_hash() == clean.state_hash()

    # A new session goes in beside it; a restart resumes the new one, not the old.
    registry = SessionRegistry(log, tick_seconds=0.5)
    created = registry.prepare("default", code="NEWONE", rules="demo")
    session = created.runner.session
    session.schedule(session.check(created.facilitator, p.CloseLink(link=17)))
    log.append(session.id, session.pending[0])
    log.close()

    again = EventLog(db)  # opening a migrated file migrates nothing more
    outcomes = SessionRegistry(again, tick_seconds=0.5).resume()
    assert [type(o) for o in outcomes] == [Resumed]
    resumed = outcomes[0]
    assert isinstance(resumed, Resumed)
    back = resumed.runner.session
    assert (back.id, back.code, back.observer_code, back.rules.name) == (session.id, "NEWONE", session.observer_code, "demo")
    assert back.tick == 1 and back.last_seq == 1 and resumed.runner.tick_seconds == 0.5
    assert back.rejoin(created.facilitator.token).role == Role.FACILITATOR
    back.advance()
    assert back.closed[17]
    again.close()


def test_a_database_of_a_newer_schema_is_refused_with_what_to_do(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    with sqlite3.connect(db) as newer:
        newer.execute(f"pragma user_version = {SCHEMA_VERSION + 1}")
    newer.close()
    with pytest.raises(StoreError, match="written by a newer Agora.*upgrade Agora"):
        EventLog(db)
