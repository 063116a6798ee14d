"""Ending a session in its database while no server runs it (`agora session end`).

    ended = end_offline(EventLog("agora.db"), "3f9c2a1d")
    ended.seq       # the EndSession order logged, or None if it had ended already

The end is an order like any other, logged by the session's facilitator at the tick the
session reached (after that tick's game orders), so that a replay ends it at the same
point and its state hash says so; `ended_at` is set in the same transaction, and a server
started on the file no longer resumes the session. A live session is ended by its
facilitator (EndSession) or over HTTP (POST /sessions/{id}/end): not with this, which
would race the server for the next order number.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import msgspec

from agora.server import protocol as p
from agora.server.session.game import TIMER
from agora.server.session.players import Role
from agora.server.store.eventlog import EventLog


@dataclass(frozen=True)
class Ended:
    session_id: str
    tick: int
    seq: int | None  # the EndSession order; None: the session had ended before
    ended_at: str


def end_offline(eventlog: EventLog, session_id: str) -> Ended:
    """Raises LookupError for a session the database does not hold."""
    row = eventlog.session_row(session_id)
    if row is None:
        known = ", ".join(r["id"] for r in eventlog.sessions()) or "none"
        raise LookupError(f"{eventlog.path} holds no session {session_id!r} (it holds: {known})")
    if row.get("ended_at"):
        return Ended(session_id, int(row.get("reached_tick") or 0), None, str(row["ended_at"]))
    orders = eventlog.orders(session_id)
    # As Recorded.load: the saved progress, or later if orders were logged after it.
    tick = max([row.get("reached_tick") or 0, *(o.tick - 1 if o.is_edit else o.tick for o in orders)])
    seq = max((o.seq for o in orders), default=0) + 1
    by = next((j for j in eventlog.players(session_id) if j.role == Role.FACILITATOR), None)
    by_id, by_name = (int(by.id), by.name) if by is not None else (int(TIMER.id), TIMER.name)
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")
    with eventlog.db.conn:
        eventlog.db.execute(
            "insert into events (session, seq, tick, player_id, player, command, payload, logged_at)"
            " values (?, ?, ?, ?, ?, ?, ?, ?)",
            [session_id, seq, tick, by_id, by_name, "end_session", msgspec.json.encode(p.EndSession()).decode(), now],
        )
        eventlog.db.execute("update sessions set ended_at = ?, reached_tick = ? where id = ?", [now, tick, session_id])
    return Ended(session_id, tick, seq, now)
