"""Proposals, votes and comments as tables of their own: a readable projection of the log that
planners can open in any SQLite tool (the log stays the truth; these rows are rebuilt from it).

    write_book(db, session_id, order, book)   # in the transaction that logs a game order
    fill(eventlog)                            # a migrated database: replay every session's game

Tables (schema version 2):
- proposals: one row per version (session, proposal, version): author_id, author (the
  player's pseudonym), title, rationale, interventions (JSON), cost_eur, tick (of the
  version), status and status_tick (the proposal's status now, on every version row).
- votes: (session, player, proposal): voter (pseudonym), choice ("approve" for approval
  and budgeting methods, "yes", "no" or "abstain" for majority), tick of the ballot.
- comments: (session, id): proposal, parent (the comment it answers, or null), author_id,
  author, text, tick.

Rows are written from the book as each order leaves it (the rows of what the order
touched: its proposal, comment or ballot), so the rules stay in the book alone and these
tables only copy what it decided.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import msgspec

from agora.server import protocol as p
from agora.server.session.proposals import ProposalBook
from agora.server.session.session import Order

log = logging.getLogger("agora.store")

# The game commands that change the book's proposals, comments or ballots.
BOOK_COMMANDS = (p.Propose, p.Submit, p.Amend, p.Withdraw, p.Comment, p.Vote, p.Adopt, p.Reject, p.RollBack)

TABLES = {
    "proposals": (
        "create table if not exists proposals (session text references sessions(id), proposal integer,"
        " version integer, author_id integer, author text, title text, rationale text, interventions text,"
        " cost_eur integer, tick integer, status text, status_tick integer, primary key (session, proposal, version))"
    ),
    "votes": (
        "create table if not exists votes (session text references sessions(id), player integer, voter text,"
        " proposal integer, choice text, tick integer, primary key (session, player, proposal))"
    ),
    "comments": (
        "create table if not exists comments (session text references sessions(id), id integer, proposal integer,"
        " parent integer, author_id integer, author text, text text, tick integer, primary key (session, id))"
    ),
}


def create(db: Any) -> None:
    """The three tables, if missing (`db`: a sqlite_utils Database)."""
    for statement in TABLES.values():
        db.execute(statement)


def write_book(db: Any, session_id: str, order: Order, book: ProposalBook) -> None:
    """Write what `order` changed in `book` (the book as the order left it): the proposal it
    made or moved, the comment it added, the ballot it cast. No commit: call it inside the
    transaction that logs the order."""
    command = order.command
    if not isinstance(command, BOOK_COMMANDS):
        return
    state = book.state()
    if isinstance(command, p.Comment):
        c = state["comments"][-1]  # ids ascending: the newest
        db.execute("insert or replace into comments values (?, ?, ?, ?, ?, ?, ?, ?)",
                   [session_id, c["id"], c["proposal"], c["parent"], c["author"], c["author_name"], c["text"], c["tick"]])
        return
    if isinstance(command, p.Vote):
        for voter, ballot in state["ballots"]:
            if voter != int(order.player_id):
                continue
            for choice in ballot:
                pid, vote = (int(choice), "approve") if isinstance(choice, int) else (int(choice[0]), str(choice[1]))
                db.execute("insert or replace into votes values (?, ?, ?, ?, ?, ?)",
                           [session_id, voter, order.player_name, pid, vote, order.tick])
        return
    # A new proposal is the newest; the others name theirs.
    pid = state["proposals"][-1]["id"] if isinstance(command, p.Propose) else int(getattr(command, "proposal"))
    q = next(q for q in state["proposals"] if q["id"] == pid)
    # state() names the author by id; the first status (drafted or submitted) is theirs.
    history = q["history"]
    for v in q["versions"]:
        db.execute(
            "insert or replace into proposals values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [session_id, q["id"], v["number"], q["author"], history[0]["by_name"], v["title"], v["rationale"],
             msgspec.json.encode(v["interventions"]).decode(), v["cost_eur"], v["tick"],
             history[-1]["status"], history[-1]["tick"]],
        )


def fill(eventlog: Any) -> None:
    """Replay the game of every session of the database (no simulation: world edits apply to
    the town, no tick is simulated) and write its proposals, votes and comments. A session
    whose world or log cannot be had keeps empty tables and is named in the log."""
    from agora.server.store.replays import Recorded, game_replay

    for row in eventlog.sessions():
        started = time.perf_counter()
        try:
            recorded = Recorded.load(eventlog, row["id"])
            orders = 0
            for order, book in game_replay(recorded):
                write_book(eventlog.db, recorded.id, order, book)
                orders += 1
        except (LookupError, ValueError) as exc:  # WorldError, ReplayError are ValueErrors
            log.warning("session %s: its proposals, votes and comments could not be rebuilt: %s", row["id"], exc)
            continue
        log.info("session %s: proposals, votes and comments rebuilt from %d game orders in %.2f s",
                 row["id"], orders, time.perf_counter() - started)
