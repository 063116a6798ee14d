"""Shared fixtures: reference data paths, the default world, a live server on loopback."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import msgspec
import pytest
import uvicorn

from agora.server.net.app import create_app
from agora.server.net.runner import SessionRunner
from agora.server.session.session import Session
from agora.server.store.eventlog import EventLog
from agora.server.world.world import World, resolve_world

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
ARTIFACTS = REPO / "artifacts"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    assert SHARED_DATA.is_dir(), f"reference data missing: expected {SHARED_DATA} (shared/ beside the repo)"
    return SHARED_DATA


@pytest.fixture
def default_world() -> World:
    return World.load(resolve_world("default"))


@dataclass
class LiveServer:
    ws_url: str
    http_url: str
    code: str
    runner: SessionRunner
    eventlog_path: Path

    def accepted_commands(self) -> list[tuple[str, dict[str, object]]]:
        """(command type, payload) of every order in the session's log, read from the file."""
        log = EventLog(self.eventlog_path)
        try:
            rows = log.db.query("select command, payload from events where session = ? order by seq",
                                [self.runner.session.id])
            return [(r["command"], msgspec.json.decode(r["payload"])) for r in rows]
        finally:
            log.close()


class _ServerThread(threading.Thread):
    def __init__(self, app: object, sock: socket.socket) -> None:
        super().__init__(daemon=True)
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", ws="websockets", lifespan="on"))
        self.sock = sock

    def run(self) -> None:
        asyncio.run(self.server.serve(sockets=[self.sock]))


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A real uvicorn server on a free loopback port, one session on the default world,
    ticking every 50 ms, its log in a fresh SQLite file."""
    world = World.load(resolve_world("default"))
    session = Session("test", world, code="TESTME")
    db = tmp_path / "agora.db"
    eventlog = EventLog(db)
    eventlog.open_session(session, world.state_hash())
    session.advance()  # compile and settle before players arrive, as `agora serve` does
    runner = SessionRunner(session, eventlog, tick_seconds=0.05)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    thread = _ServerThread(create_app([runner]), sock)
    thread.start()
    deadline = time.monotonic() + 30
    while not thread.server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield LiveServer(f"ws://127.0.0.1:{port}", f"http://127.0.0.1:{port}", session.code, runner, db)
    finally:
        thread.server.should_exit = True
        thread.join(timeout=10)
        sock.close()
