"""The session log in SQLite: sessions, players and every accepted order, in order.

    log = EventLog(path)                       # creates the file and tables if needed
    log.open_session(session, world_hash)      # once, when the session starts
    log.add_player(session.id, player, session.last_seq)
    log.append(session.id, order)              # committed before the caller broadcasts
    orders = log.orders(session.id)            # replay = initial world + these
    replay(Session(...), orders, tick, log.players(session.id))

An order's `command` column is its wire tag and `payload` its JSON: world edits (tick: the
tick they apply at) and game commands (tick: the tick after which they took effect) alike;
the edits an adoption makes are not rows of their own (replay derives them). A player row
keeps `after_seq`, the orders logged before they joined, so that a replay adds them at the
same point. Logs written before the game (world edits only, players without after_seq,
sessions without a rule set) still read and replay: the columns added later are empty
(NULL) in their rows, an empty after_seq reads as 0.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from pathlib import Path

import msgspec
import sqlite_utils

from agora.server import __version__
from agora.server.protocol import Logged, tag_of
from agora.server.session.players import Player, PlayerId, Role
from agora.server.session.session import Joined, Order, Session

_command_decoder = msgspec.json.Decoder(Logged)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")


class EventLog:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One owner at a time (the session task), but not always the thread that opened it:
        # tests and `agora serve` open the log before the server's loop starts.
        self.db = sqlite_utils.Database(sqlite3.connect(self.path, check_same_thread=False))
        self.db.enable_wal()
        # WAL's default (NORMAL) may drop the last commits on power loss; an acknowledged
        # order must survive that too.
        self.db.execute("PRAGMA synchronous=FULL")
        self._create()

    def _create(self) -> None:
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

    def open_session(self, session: Session, world_hash: str) -> None:
        self.db.table("sessions").insert(
            {"id": session.id, "code": session.code, "world": session.world.meta.name,
             "world_hash": world_hash, "seed": session.seed, "created_at": _now(),
             "server_version": __version__, "rules": session.rules.name, "live_edits": int(session.live_edits)},
        )

    def add_player(self, session_id: str, player: Player, after_seq: int = 0) -> None:
        """`after_seq`: the session's last logged seq when the player joined."""
        self.db.table("players").insert(
            {"session": session_id, "id": int(player.id), "name": player.name,
             "role": str(player.role), "joined_at": _now(), "after_seq": after_seq},
        )

    def players(self, session_id: str) -> list[Joined]:
        rows = self.db.query(
            "select id, name, role, after_seq from players where session = ? order by id", [session_id])
        return [Joined(PlayerId(r["id"]), r["name"], Role(r["role"]), r["after_seq"] or 0) for r in rows]

    def append(self, session_id: str, order: Order) -> None:
        """Commit one accepted order; raises if it cannot be made durable."""
        self.db.table("events").insert(
            {"session": session_id, "seq": order.seq, "tick": order.tick,
             "player_id": int(order.player_id), "player": order.player_name,
             "command": tag_of(order.command),
             "payload": msgspec.json.encode(order.command).decode(),
             "logged_at": _now()},
        )

    def orders(self, session_id: str) -> list[Order]:
        rows = self.db.query(
            "select seq, tick, player_id, player, payload from events where session = ? order by seq",
            [session_id],
        )
        return [
            Order(r["seq"], r["tick"], PlayerId(r["player_id"]), r["player"], _command_decoder.decode(r["payload"]))
            for r in rows
        ]

    def sessions(self) -> list[dict[str, object]]:
        return list(self.db.query("select * from sessions order by created_at"))

    def close(self) -> None:
        self.db.close()
