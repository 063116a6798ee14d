"""The session database in SQLite: sessions, players, every accepted order in order, the
worlds sessions start from, and snapshots.

    log = EventLog(path)                       # creates the file and tables, or migrates them
    log.open_session(session, world_hash)      # once, when the session starts (keeps its world)
    log.add_player(session.id, player, session.last_seq)
    log.append(session.id, order)              # committed before the caller broadcasts
    log.save_progress(session)                 # after every tick: the tick reached
    orders = log.orders(session.id)            # replay = initial world + these
    replay(Session(...), orders, tick, log.players(session.id))

An order's `command` column is its wire tag and `payload` its JSON: world edits (tick: the
tick they apply at) and game commands (tick: the tick after which they took effect) alike;
the edits an adoption makes are not rows of their own (replay derives them). A player row
keeps `after_seq`, the orders logged before they joined, so that a replay adds them at the
same point, and their reconnect token, so that they can rejoin a recovered session. A
session row keeps what rebuilding it takes (the world by hash in `worlds`, the rule set as
JSON, both codes, the real seconds a tick) and its progress: the tick it reached, the phase
timer, and when its workshop ended.

Schema versions (PRAGMA user_version): 0, the first schema (sessions, players, events; the
game's columns came later without a version); 1, worlds and snapshots tables, the session's
codes, rule set, progress and end, the players' tokens; 2, proposals, votes and comments
as tables of their own (projections.py), written in the transaction that logs the game
order changing them, and the sessions' `from_session` and `from_tick` (a branch's parent
and the tick it was taken at, branches.py). Older files are migrated when opened: sessions
of the first schema count as ended (the server that ran them could not resume them); a
file of version 1 gets its proposals, votes and comments by replaying every session's game
orders without simulating (milliseconds for a workshop).
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from pathlib import Path

import io
from typing import Any

import msgspec
import numpy as np
import sqlite_utils

from agora.server import __version__
from agora.server.protocol import Logged, tag_of
from agora.server.session.phases import ClockState
from agora.server.session.players import Player, PlayerId, Role
from agora.server.session.proposals import ProposalBook
from agora.server.session.session import Joined, Order, Session
from agora.server.store import projections
from agora.server.store.snapshots import KEEP_STATE_EVERY, Snapshot
from agora.server.world.world import World, WorldMeta

_command_decoder = msgspec.json.Decoder(Logged)
SCHEMA_VERSION = 2


class StoreError(RuntimeError):
    """A database this version cannot use, with what to do about it."""


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")


class EventLog:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            # It keeps the players' reconnect tokens: for the server's user only.
            self.path.touch(mode=0o600)
        # One owner at a time (the session task), but not always the thread that opened it:
        # tests and `agora serve` open the log before the server's loop starts.
        self.db = sqlite_utils.Database(sqlite3.connect(self.path, check_same_thread=False))
        self.db.enable_wal()
        # WAL's default (NORMAL) may drop the last commits on power loss; an acknowledged
        # order must survive that too.
        self.db.execute("PRAGMA synchronous=FULL")
        self._create()

    def _create(self) -> None:
        version = int(self.db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise StoreError(f"{self.path} was written by a newer Agora (schema {version}; this version reads up "
                             f"to {SCHEMA_VERSION}): upgrade Agora to open it")
        self.db.table("sessions").create(
            {"id": str, "code": str, "world": str, "world_hash": str, "seed": int,
             "created_at": str, "server_version": str},
            pk="id", if_not_exists=True,
        )
        self.db.table("players").create(
            {"session": str, "id": int, "name": str, "role": str, "joined_at": str},
            pk=("session", "id"), foreign_keys=[("session", "sessions", "id")], if_not_exists=True,
        )
        self.db.table("events").create(
            {"session": str, "seq": int, "tick": int, "player_id": int, "player": str,
             "command": str, "payload": str, "logged_at": str},
            pk=("session", "seq"), foreign_keys=[("session", "sessions", "id")], if_not_exists=True,
        )
        # Columns that came with the game (issue 5); a log from before gets them, empty.
        self.db.table("sessions").add_missing_columns([{"rules": "", "live_edits": 1}])
        self.db.table("players").add_missing_columns([{"after_seq": 0}])
        if version < 1:
            self._migrate_to_1(fresh=not self.db.table("sessions").count)
        if version < 2:
            self._migrate_to_2()

    def _migrate_to_1(self, fresh: bool) -> None:
        """Worlds and snapshots; what resuming a session takes. Every step can run twice: a
        crash midway leaves the file at version 0, and the next open finishes the job."""
        with self.db.conn:
            self.db.table("worlds").create(
                {"hash": str, "name": str, "meta": str, "arrays": bytes, "stored_at": str},
                pk="hash", if_not_exists=True,
            )
            self.db.table("snapshots").create(
                {"session": str, "tick": int, "seq": int, "state_hash": str, "state": bytes,
                 "taken_at": str, "server_version": str},
                pk=("session", "tick"), foreign_keys=[("session", "sessions", "id")], if_not_exists=True,
            )
            self.db.table("sessions").add_missing_columns([{
                "observer_code": "", "tick_seconds": 1.0, "rules_json": "", "reached_tick": 0, "reached_seq": 0,
                "phase_elapsed_s": 0.0, "ended_at": "",
            }])
            self.db.table("players").add_missing_columns([{"token": ""}])
            if not fresh:
                self.db.execute("update sessions set ended_at = ? where ended_at is null", [_now()])
            self.db.execute("PRAGMA user_version = 1")

    def _migrate_to_2(self) -> None:
        """Proposals, votes and comments tables, filled by replaying each session's game; a
        branch's parent. One transaction: a crash midway leaves version 1, done again."""
        with self.db.conn:
            projections.create(self.db)
            self.db.execute("delete from proposals")
            self.db.execute("delete from votes")
            self.db.execute("delete from comments")
            self.db.table("sessions").add_missing_columns([{"from_session": "", "from_tick": 0}])
            projections.fill(self)
            self.db.execute("PRAGMA user_version = 2")

    def open_session(self, session: Session, world_hash: str, tick_seconds: float | None = None) -> None:
        """Record a new session, before its first tick: its world as it starts (kept once
        per world), its rule set, its codes, and the real seconds between its ticks."""
        if not self.db.execute("select 1 from worlds where hash = ?", [world_hash]).fetchone():
            buffer = io.BytesIO()
            names = session.world.names.arrays() if session.world.names is not None else {}
            np.savez_compressed(buffer, **session.world.arrays(), **names)  # type: ignore[arg-type]
            self.db.table("worlds").insert(
                {"hash": world_hash, "name": session.world.meta.name,
                 "meta": msgspec.json.encode(session.world.meta).decode(), "arrays": buffer.getvalue(),
                 "stored_at": _now()},
            )
        self.db.table("sessions").insert(
            {"id": session.id, "code": session.code, "world": session.world.meta.name,
             "world_hash": world_hash, "seed": session.seed, "created_at": _now(),
             "server_version": __version__, "rules": session.rules.name, "live_edits": int(session.live_edits),
             "observer_code": session.observer_code, "tick_seconds": tick_seconds,
             "rules_json": msgspec.json.encode(session.rules).decode(), "reached_tick": session.tick,
             "reached_seq": session.last_seq, "phase_elapsed_s": 0.0},
        )

    def world(self, world_hash: str) -> World | None:
        """The world a session started from, as it was kept; None for logs from before worlds were."""
        row = self.db.execute("select meta, arrays from worlds where hash = ?", [world_hash]).fetchone()
        if row is None:
            return None
        meta = msgspec.json.decode(row[0], type=WorldMeta)
        with np.load(io.BytesIO(row[1]), allow_pickle=False) as data:
            return World.from_arrays(meta, {name: data[name] for name in data.files})

    def add_player(self, session_id: str, player: Player, after_seq: int = 0) -> None:
        """`after_seq`: the session's last logged seq when the player joined."""
        self.db.table("players").insert(
            {"session": session_id, "id": int(player.id), "name": player.name,
             "role": str(player.role), "joined_at": _now(), "after_seq": after_seq, "token": player.token},
        )

    def players(self, session_id: str) -> list[Joined]:
        rows = self.db.query(
            "select id, name, role, after_seq, token from players where session = ? order by id", [session_id])
        return [Joined(PlayerId(r["id"]), r["name"], Role(r["role"]), r["after_seq"] or 0, r["token"] or "")
                for r in rows]

    def append(self, session_id: str, order: Order, book: ProposalBook | None = None) -> None:
        """Commit one accepted order, and with a game order the proposal book as it leaves
        it (projections.py), in one transaction; raises if it cannot be made durable."""
        with self.db.conn:
            self.db.execute(
                "insert into events (session, seq, tick, player_id, player, command, payload, logged_at)"
                " values (?, ?, ?, ?, ?, ?, ?, ?)",
                [session_id, order.seq, order.tick, int(order.player_id), order.player_name, tag_of(order.command),
                 msgspec.json.encode(order.command).decode(), _now()],
            )
            if book is not None:
                projections.write_book(self.db, session_id, order, book)

    def save_progress(self, session: Session) -> None:
        """The tick the session reached (and its last seq then), the phase timer, and whether
        its workshop has ended: what a restart resumes from. Committed before the tick is
        broadcast, so that no client hears of a tick a recovery would not reach."""
        clock = session.game.clock
        ended = clock.state == ClockState.FINISHED or session.game.ended
        with self.db.conn:
            self.db.execute(
                "update sessions set reached_tick = ?, reached_seq = ?, phase_elapsed_s = ?,"
                " ended_at = case when ? then coalesce(ended_at, ?) end where id = ?",
                [session.tick, session.last_seq, clock.elapsed_s, ended, _now(), session.id],
            )

    def add_snapshot(self, session_id: str, snapshot: Snapshot, every: int) -> None:
        """Keep a snapshot (taken every `every` ticks); the ones before it lose their arrays
        except every KEEP_STATE_EVERY-th (see snapshots.py)."""
        with self.db.conn:
            self.db.execute(
                "update snapshots set state = null where session = ? and state is not null and tick < ?"
                " and tick % ? != 0", [session_id, snapshot.tick, every * KEEP_STATE_EVERY],
            )
            self.db.execute(
                "insert or replace into snapshots (session, tick, seq, state_hash, state, taken_at, server_version)"
                " values (?, ?, ?, ?, ?, ?, ?)",
                [session_id, snapshot.tick, snapshot.seq, snapshot.state_hash, snapshot.state, _now(), __version__],
            )

    def snapshots(self, session_id: str) -> list[Snapshot]:
        """Every snapshot of a session by tick, without its arrays (state None)."""
        rows = self.db.execute(
            "select tick, seq, state_hash from snapshots where session = ? order by tick", [session_id]).fetchall()
        return [Snapshot(tick, seq, state_hash, None) for tick, seq, state_hash in rows]

    def latest_state(self, session_id: str, at_or_before: int) -> Snapshot | None:
        """The latest snapshot that still has its arrays, at or before a tick."""
        row = self.db.execute(
            "select tick, seq, state_hash, state from snapshots where session = ? and tick <= ?"
            " and state is not null order by tick desc limit 1", [session_id, at_or_before]).fetchone()
        return None if row is None else Snapshot(row[0], row[1], row[2], row[3])

    def orders(self, session_id: str) -> list[Order]:
        rows = self.db.query(
            "select seq, tick, player_id, player, payload from events where session = ? order by seq",
            [session_id],
        )
        return [
            Order(r["seq"], r["tick"], PlayerId(r["player_id"]), r["player"], _command_decoder.decode(r["payload"]))
            for r in rows
        ]

    def sessions(self) -> list[dict[str, Any]]:
        return list(self.db.query("select * from sessions order by created_at"))

    def session_row(self, session_id: str) -> dict[str, Any] | None:
        return next(self.db.query("select * from sessions where id = ?", [session_id]), None)

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the database file (at a clean stop)."""
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        self.db.close()

