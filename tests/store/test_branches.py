"""Branching: `agora replay --to T --branch` writes a new session that a real server resumes
from the parent's state at T; a player joins it with its new code and finds that state (the
town's closed streets, the proposals, the state hash); the parent is untouched; the branch
goes on with orders of its own and `agora replay --verify` passes on it."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from websockets.sync.client import connect

from agora.server import protocol as p
from agora.server.cli import main
from agora.server.net.app import create_app
from agora.server.net.sessions import Resumed, SessionRegistry
from agora.server.store.branches import branch
from agora.server.store.eventlog import EventLog
from agora.server.store.replays import Recorded, rebuild
from agora.server.world.world import World, resolve_world

from tests.conftest import serve_app
from tests.net.test_websocket import Player
from tests.store.recording import record_workshop

T = 50  # proposal 1 adopted (tick 43), proposal 2 not yet (62); the parent's snapshots at 20 and 40


def parent_rows(db: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(db) as conn:
        out = {table: conn.execute(f"select * from {table} where session = 'w1' order by 2").fetchall()
               for table in ("events", "players", "snapshots", "proposals", "votes", "comments")}
        out["sessions"] = conn.execute("select * from sessions where id = 'w1'").fetchall()
    conn.close()
    return out


@pytest.fixture(scope="module")
def recorded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("branches") / "agora.db"
    log = EventLog(db)
    record_workshop(log, World.load(resolve_world("default")), every=20, ticks=100)
    log.close()
    return db


def test_a_branch_served_starts_where_its_parent_was_and_verifies(recorded_db: Path, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "agora.db"
    db.write_bytes(recorded_db.read_bytes())
    log = EventLog(db)
    at_t = rebuild(log, Recorded.load(log, "w1"), T).session  # the parent at T, as a replay gives it
    parent_hash, parent_closed = at_t.state_hash(), np.flatnonzero(at_t.closed).tolist()
    parent_world = at_t.world.state_hash()
    parent_book = [(q.id, q.version.title, str(q.status)) for q in at_t.game.book.candidates()]
    adopted = [(q.id, q.version.title) for q in at_t.game.book.visible(at_t.roster.get(1))  # type: ignore[arg-type]
               if str(q.status) == "adopted"]
    assert adopted == [(1, "Quiet street")] and parent_closed, "the branch point has an adopted proposal"
    log.close()
    before = parent_rows(db)

    assert main(["replay", str(db), "--session", "w1", "--to", str(T), "--branch"]) == 0
    out = capsys.readouterr().out
    branch_id = re.search(r"Branched session (\w+) from session w1 at tick 50", out).group(1)  # type: ignore[union-attr]
    code = re.search(r"Join code: (\w+)", out).group(1)  # type: ignore[union-attr]
    token = re.search(r"facilitator token: (\S+)", out).group(1)  # type: ignore[union-attr]
    assert parent_rows(db) == before, "the parent is untouched"

    log = EventLog(db)
    row = log.session_row(branch_id)
    assert row is not None and (row["from_session"], row["from_tick"], row["ended_at"]) == ("w1", T, None)
    assert {j.token for j in log.players(branch_id)}.isdisjoint({j.token for j in log.players("w1")})
    # The proposals table of the branch holds the book at T: proposal 2 not yet adopted.
    assert [(r["proposal"], r["status"]) for r in log.db.query(
        "select proposal, status from proposals where session = ? order by proposal", [branch_id])] == [
        (1, "adopted"), (2, "submitted")]

    # Serve the file: the branch resumes like any other session, at T, in the parent's state.
    registry = SessionRegistry(log, tick_seconds=0.05)
    outcomes = {o.runner.session.id: o for o in registry.resume() if isinstance(o, Resumed)}
    resumed = outcomes[branch_id]
    # From the snapshot the branch was given at T: nothing to simulate.
    assert resumed.rebuilt.session.tick == T and resumed.rebuilt.start_tick == T and not resumed.rebuilt.note
    assert resumed.rebuilt.session.state_hash() == parent_hash
    assert resumed.facilitator_token == token
    with serve_app(create_app(registry)) as address, connect(f"ws://{address}/ws") as ws:
        zoe = Player(ws)
        zoe.send(p.Hello(code=code, name="zoe"))
        welcome = zoe.wait_for(lambda m: isinstance(m, p.Welcome))
        assert isinstance(welcome, p.Welcome) and welcome.snapshot.session == branch_id
        assert welcome.snapshot.tick >= T
        assert np.flatnonzero(welcome.snapshot.closed.to_numpy()).tolist() == parent_closed
        game = welcome.game
        assert [(q.id, q.versions[-1].title, q.status) for q in game.proposals] == [
            (1, "Quiet street", "adopted"), (2, "Park", "submitted")]
        assert [(q[0], q[1]) for q in parent_book] == [(2, "Park")]
        assert game.spent_eur > 0 and game.spent_eur == at_t.game.book.spent_eur()
        assert registry.runners[branch_id].session.world.state_hash() == parent_world
        # The branch goes its own way: an edit of its own, logged under it alone.
        street = next(link for link in range(200, 683) if link not in parent_closed)
        zoe.send(p.CloseLink(link=street))
        event = zoe.wait_for(lambda m: isinstance(m, p.Event))
        assert isinstance(event, p.Event) and street in event.links
    assert [o.command for o in log.orders(branch_id)][-1] == p.CloseLink(link=street)
    assert not any(o.command == p.CloseLink(link=street) for o in log.orders("w1"))
    log.close()

    assert main(["replay", str(db), "--session", branch_id, "--verify"]) == 0
    verified = capsys.readouterr().out
    assert re.search(r"Verified [34] snapshots \(ticks 20 to (50|60)\): every state hash equal", verified)


def test_a_branch_beyond_the_tick_reached_is_refused(recorded_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = EventLog(recorded_db)
    with pytest.raises(ValueError, match="reached tick 100: branch at a tick from 0 to that, not 101"):
        branch(log, "w1", 101)
    with pytest.raises(LookupError):
        branch(log, "nope", 3)
    log.close()
    assert main(["replay", str(recorded_db), "--session", "w1", "--to", "101", "--branch"]) == 2
    assert "not 101" in capsys.readouterr().err
