from __future__ import annotations

import sqlite3
from pathlib import Path

from agora.server.protocol import CloseLink, ReopenLink
from agora.server.session.session import Session
from agora.server.store.eventlog import EventLog
from agora.server.world.world import World


def test_orders_are_committed_and_read_back_in_order(tmp_path: Path, tiny_world: World) -> None:
    session = Session("s1", tiny_world, code="ABCDEF")
    ada = session.join("ABCDEF", "ada")
    log = EventLog(tmp_path / "agora.db")
    log.open_session(session, tiny_world.state_hash())
    log.add_player(session.id, ada)
    first = session.check(ada, CloseLink(link=2))
    log.append(session.id, first)
    session.schedule(first)
    session.advance()
    second = session.check(ada, ReopenLink(link=3))
    log.append(session.id, second)

    # Another connection (another process, after a crash) sees both: they are committed.
    other = sqlite3.connect(tmp_path / "agora.db")
    rows = other.execute("select seq, tick, player, command from events order by seq").fetchall()
    assert rows == [(1, 1, "ada", "close_link"), (2, 2, "ada", "reopen_link")]
    assert other.execute("pragma journal_mode").fetchone() == ("wal",)
    other.close()

    assert log.orders(session.id) == [first, second]
    assert log.orders("another-session") == []
    assert [s["id"] for s in log.sessions()] == ["s1"]
    log.close()
