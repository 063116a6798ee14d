"""Branching what-ifs: a new session that starts from a recorded session's state at a tick,
for a follow-up workshop.

    branched = branch(EventLog("agora.db"), "3f9c2a1d", tick=420)
    branched.join_code, branched.facilitator_token       # its own, new
    # agora serve --db agora.db resumes it like any other session

A branch is its parent's history up to the tick, then its own: its log starts with a copy
of the parent's orders that took effect by then (world edits, adoptions and every game
command: proposals, comments, ballots, the budget spent), its snapshots up to then are the
parent's (same state hashes: the same orders replay to the same states), its players are
the parent's players then, with new reconnect tokens, and it has new codes. So a server
resumes it from the parent's latest snapshot at or before the tick, and `agora replay
--verify` replays it from the same initial world, exactly, through the copied history and
on through its own. The parent is not touched. The sessions row records `from_session` and
`from_tick`; the branch's phase timer starts again at zero.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
from dataclasses import dataclass

from agora.server import __version__
from agora.server import protocol as p
from agora.server.session.players import Role, new_join_code
from agora.server.store.eventlog import EventLog
from agora.server.store.projections import write_book
from agora.server.session.session import Replay, Session, SimState
from agora.server.store.replays import Recorded, game_replay
from agora.server.store.snapshots import Snapshot, decode, take


@dataclass(frozen=True)
class Branched:
    session_id: str
    join_code: str
    observer_code: str
    facilitator_token: str
    from_session: str
    from_tick: int


def branch(eventlog: EventLog, session_id: str, tick: int) -> Branched:
    """Write the new session into the database (one transaction). Raises LookupError for an
    unknown session, ValueError for a tick the session never reached or a log that does not
    replay to it (ReplayError), WorldError if its world cannot be had."""
    recorded = Recorded.load(eventlog, session_id)
    if not 0 <= tick <= recorded.reached_tick:
        raise ValueError(f"session {session_id} reached tick {recorded.reached_tick}: branch at a tick from 0 to that,"
                         f" not {tick}")
    kept = []
    for order in sorted(recorded.orders, key=lambda o: o.seq):
        # As Replay.run_to(tick): edits scheduled for the next tick are pending at this one.
        if (order.tick - 1 if order.is_edit else order.tick) > tick or isinstance(order.command, p.EndSession):
            break
        kept.append(order)
    last_seq = kept[-1].seq if kept else 0
    players = [j for j in recorded.players if j.after_seq <= last_seq]
    parent = dataclasses.replace(recorded, orders=kept, players=players, reached_tick=tick, reached_seq=last_seq)
    state_at_tick = _snapshot_at(eventlog, parent, tick)

    new_id = secrets.token_hex(4)
    while eventlog.session_row(new_id) is not None:
        new_id = secrets.token_hex(4)
    taken = {c for r in eventlog.sessions() for c in (r["code"], r.get("observer_code")) if c}
    code = _fresh_code(taken)
    observer_code = _fresh_code(taken | {code})
    tokens = {int(j.id): secrets.token_urlsafe(18) for j in players}
    facilitator = next((j for j in players if j.role == Role.FACILITATOR), None)
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")
    db = eventlog.db
    row = eventlog.session_row(session_id)
    assert row is not None
    with db.conn:
        db.execute(
            "insert into sessions (id, code, world, world_hash, seed, created_at, server_version, rules, live_edits,"
            " observer_code, tick_seconds, rules_json, reached_tick, reached_seq, phase_elapsed_s, from_session,"
            " from_tick) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [new_id, code, row["world"], row["world_hash"], row["seed"], now, __version__, row.get("rules"),
             row.get("live_edits"), observer_code, row.get("tick_seconds"), row.get("rules_json"), tick, last_seq,
             0.0, session_id, tick],
        )
        for j in players:
            db.execute("insert into players (session, id, name, role, joined_at, after_seq, token)"
                       " values (?, ?, ?, ?, ?, ?, ?)",
                       [new_id, int(j.id), j.name, str(j.role), now, j.after_seq, tokens[int(j.id)]])
        if facilitator is None:  # logs from before a facilitator was kept: the branch gets one
            facilitator_id = max([0, *tokens]) + 1
            tokens[facilitator_id] = secrets.token_urlsafe(18)
            db.execute("insert into players (session, id, name, role, joined_at, after_seq, token)"
                       " values (?, ?, 'facilitator', 'facilitator', ?, ?, ?)",
                       [new_id, facilitator_id, now, last_seq, tokens[facilitator_id]])
        else:
            facilitator_id = int(facilitator.id)
        db.execute("insert into events (session, seq, tick, player_id, player, command, payload, logged_at)"
                   " select ?, seq, tick, player_id, player, command, payload, logged_at from events"
                   " where session = ? and seq <= ?", [new_id, session_id, last_seq])
        db.execute("insert into snapshots (session, tick, seq, state_hash, state, taken_at, server_version)"
                   " select ?, tick, seq, state_hash, state, taken_at, server_version from snapshots"
                   " where session = ? and tick <= ?", [new_id, session_id, tick])
        if state_at_tick is not None:  # where a server resumes the branch from
            db.execute("insert or replace into snapshots (session, tick, seq, state_hash, state, taken_at,"
                       " server_version) values (?, ?, ?, ?, ?, ?, ?)",
                       [new_id, tick, state_at_tick.seq, state_at_tick.state_hash, state_at_tick.state, now,
                        __version__])
        for order, book in game_replay(parent):
            write_book(db, new_id, order, book)
    return Branched(new_id, code, observer_code, tokens[facilitator_id], session_id, tick)


def _snapshot_at(eventlog: EventLog, parent: Recorded, tick: int) -> Snapshot | None:
    """The parent's snapshot at `tick`, as the live server would have taken it (after the
    tick, before its game orders), replayed from its latest snapshot with arrays before it;
    None at tick 0 (the initial world is the start). Raises ValueError (ReplayError) if the
    log does not replay, or the snapshot it starts from does not restore to its hash."""
    start = eventlog.latest_state(parent.id, tick)
    taken: list[Snapshot] = []

    def keep(session: Session) -> None:
        if start is not None and session.tick == start.tick and session.state_hash() != start.state_hash:
            raise ValueError(f"the snapshot at tick {start.tick} does not restore to its state hash; "
                             f"check the parent with agora replay --verify")
        if session.tick == tick:
            taken.append(take(session))

    sim_start = None
    if start is not None and start.state is not None:
        sim_start = SimState(start.tick, decode(start.state)[1])
    Replay(parent.fresh(), parent.orders, parent.players, start=sim_start, each_tick=keep).run_to(tick)
    return taken[0] if taken else None


def _fresh_code(taken: set[str]) -> str:
    code = new_join_code()
    while code in taken:
        code = new_join_code()
    return code
