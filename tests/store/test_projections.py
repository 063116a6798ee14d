"""Proposals, votes and comments as tables of their own: after a recorded workshop they hold
what the session's ProposalBook holds; a database of schema 1 gets them by replaying its
game orders when opened."""

from __future__ import annotations

import shutil
import sqlite3
import time
from pathlib import Path

import msgspec
import pytest

from agora.server.session.proposals import ProposalBook
from agora.server.store.eventlog import SCHEMA_VERSION, EventLog
from agora.server.world.world import World, resolve_world

from tests.store.recording import record_workshop


def tables(db: Path, session_id: str) -> dict[str, list[tuple[object, ...]]]:
    """The three tables as any SQLite tool reads them (a plain connection, no Agora code)."""
    with sqlite3.connect(db) as conn:
        out = {
            "proposals": conn.execute(
                "select proposal, version, author_id, author, title, rationale, interventions, cost_eur, tick, status,"
                " status_tick from proposals where session = ? order by proposal, version", [session_id]).fetchall(),
            "votes": conn.execute("select player, voter, proposal, choice, tick from votes where session = ?"
                                  " order by player, proposal", [session_id]).fetchall(),
            "comments": conn.execute("select id, proposal, parent, author_id, author, text, tick from comments"
                                     " where session = ? order by id", [session_id]).fetchall(),
        }
    conn.close()
    return out


def from_book(book: ProposalBook, names: dict[int, str], ballot_ticks: dict[int, int]) -> dict[str, list[tuple[object, ...]]]:
    state = book.state()
    proposals = [
        (q["id"], v["number"], q["author"], names[q["author"]], v["title"], v["rationale"],
         msgspec.json.encode(v["interventions"]).decode(), v["cost_eur"], v["tick"], q["history"][-1]["status"],
         q["history"][-1]["tick"])
        for q in state["proposals"] for v in q["versions"]
    ]
    votes = sorted((voter, names[voter], pid, "approve", ballot_ticks[voter]) for voter, ballot in state["ballots"]
                   for pid in ballot)
    comments = [(c["id"], c["proposal"], c["parent"], c["author"], c["author_name"], c["text"], c["tick"])
                for c in state["comments"]]
    return {"proposals": proposals, "votes": votes, "comments": comments}


@pytest.fixture(scope="module")
def workshop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list[tuple[object, ...]]]]:
    db = tmp_path_factory.mktemp("projections") / "agora.db"
    log = EventLog(db)
    rec = record_workshop(log, World.load(resolve_world("default")), every=50, ticks=80)
    names = {int(p.id): p.name for p in rec.session.roster}
    ballot_ticks = {int(o.player_id): o.tick for o in log.orders("w1") if type(o.command).__name__ == "Vote"}
    expected = from_book(rec.session.game.book, names, ballot_ticks)
    log.close()
    return db, expected


def test_the_tables_hold_what_the_proposal_book_holds_after_a_workshop(
        workshop: tuple[Path, dict[str, list[tuple[object, ...]]]]) -> None:
    db, expected = workshop
    got = tables(db, "w1")
    assert got == expected
    # The workshop's story, as a planner reads it in the tables.
    assert [(r[0], r[4], r[3], r[9]) for r in got["proposals"]] == [
        (1, "Quiet street", "ada", "rolled_back"), (2, "Park", "bob", "adopted")]
    assert [(r[1], r[2], r[3]) for r in got["votes"]] == [("ada", 1, "approve"), ("ada", 2, "approve"),
                                                          ("bob", 1, "approve")]
    assert [(r[4], r[5], r[6]) for r in got["comments"]] == [("bob", "Deliveries?", 12)]
    assert msgspec.json.decode(got["proposals"][0][6])[0]["type"] == "close_link"


def test_a_schema_1_database_gets_its_tables_by_replaying_its_game(
        workshop: tuple[Path, dict[str, list[tuple[object, ...]]]], tmp_path: Path) -> None:
    db, expected = workshop
    old = tmp_path / "v1.db"
    shutil.copy(db, old)
    with sqlite3.connect(old) as conn:  # as version 1 left it: no such tables, no branch columns
        for table in ("proposals", "votes", "comments"):
            conn.execute(f"drop table {table}")
        conn.execute("alter table sessions drop column from_session")
        conn.execute("alter table sessions drop column from_tick")
        conn.execute("pragma user_version = 1")
    conn.close()

    started = time.perf_counter()
    log = EventLog(old)
    seconds = time.perf_counter() - started
    assert log.db.execute("pragma user_version").fetchone()[0] == SCHEMA_VERSION == 2
    log.close()
    assert tables(old, "w1") == expected
    print(f"migrated the 80-tick workshop (18 orders) from schema 1 in {seconds * 1000:.0f} ms")
    assert seconds < 5, "the game alone replays, not the simulation"


def test_drafts_amendments_withdrawals_rejections_replies_and_majority_ballots_project_too(tmp_path: Path) -> None:
    import msgspec as ms

    from agora.server import protocol as p
    from agora.server.session.rulesets import Majority, bundled
    from agora.server.session.session import Session
    from tests.store.recording import Recorder, quiet_streets

    world = World.load(resolve_world("default"))
    rules = ms.structs.replace(bundled("demo"), voting=Majority(quorum=0.5))
    rec = Recorder(EventLog(tmp_path / "agora.db"), Session("m1", world, code="ABCDEF", rules=rules), every=50)
    fac, ada, bob = rec.facilitator, rec.join("ada"), rec.join("bob")
    streets = quiet_streets(world)
    rec.ticks(1)
    rec.game(fac, p.SetPhase(phase="propose"))
    rec.game(ada, p.Propose(title="Draft", interventions=[p.CloseLink(link=streets[1])], draft=True))
    rec.ticks(2)
    rec.game(ada, p.Amend(proposal=1, title="Amended", rationale="Two streets",
                          interventions=[p.CloseLink(link=streets[1]), p.CloseLink(link=streets[2])]))
    rec.game(ada, p.Submit(proposal=1))
    rec.game(bob, p.Propose(title="Gone soon", interventions=[p.CloseLink(link=streets[3])]))
    rec.game(bob, p.Withdraw(proposal=2))
    rec.game(bob, p.Propose(title="Toll", interventions=[p.CloseLink(link=streets[4])]))
    rec.game(bob, p.Comment(proposal=1, text="Why two?"))
    rec.game(ada, p.Comment(proposal=1, text="Because.", parent=1))
    rec.ticks(2)
    rec.game(fac, p.SetPhase(phase="vote"))
    rec.game(ada, p.Vote(choices={1: "yes", 3: "no"}))
    rec.game(bob, p.Vote(choices={1: "abstain", 3: "yes"}))
    rec.game(fac, p.SetPhase(phase="adopt"))
    rec.game(fac, p.Reject(proposal=3, reason="Out of scope"))
    rec.ticks(1)
    rec.log.close()

    got = tables(tmp_path / "agora.db", "m1")
    assert [(r[0], r[1], r[4], r[9]) for r in got["proposals"]] == [
        (1, 1, "Draft", "submitted"), (1, 2, "Amended", "submitted"), (2, 1, "Gone soon", "withdrawn"),
        (3, 1, "Toll", "rejected")]
    assert [(r[1], r[2], r[3]) for r in got["votes"]] == [("ada", 1, "yes"), ("ada", 3, "no"), ("bob", 1, "abstain"),
                                                          ("bob", 3, "yes")]
    assert [(r[0], r[2], r[4], r[5]) for r in got["comments"]] == [(1, None, "bob", "Why two?"), (2, 1, "ada", "Because.")]
    state = rec.session.game.book.state()
    assert len(got["proposals"]) == sum(len(q["versions"]) for q in state["proposals"])
