"""A server for replays alone, on loopback, in a thread of this process: what
`agora replay DB --view` opens the client's replay window on.

    with ReplayServer(Path("agora.db")) as server:
        server.ws_url, server.admin_token     # ws://127.0.0.1:PORT/ws, a fresh random token

It runs no session: its websocket answers replay hellos (replay_connections.py) for the
database's sessions, to whoever has the admin token it was started with.
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import threading
import time
from pathlib import Path
from types import TracebackType

import uvicorn

from agora.server.net.app import create_app
from agora.server.net.sessions import SessionRegistry
from agora.server.store.eventlog import EventLog

START_TIMEOUT_S = 30.0


class ReplayServer:
    def __init__(self, db: Path, admin_token: str | None = None) -> None:
        self.db = db
        self.admin_token = admin_token or secrets.token_urlsafe(18)
        self.eventlog = EventLog(db)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self.port = int(self._sock.getsockname()[1])
        app = create_app(SessionRegistry(self.eventlog), admin_token=self.admin_token)
        self._server = uvicorn.Server(uvicorn.Config(app, log_level="warning", ws="websockets-sansio", lifespan="on"))
        self._thread = threading.Thread(target=self._run, name="agora-replay-server", daemon=True)

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def _run(self) -> None:
        asyncio.run(self._server.serve(sockets=[self._sock]))

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                self.stop()
                raise RuntimeError("the replay server did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self._sock.close()
        self.eventlog.close()

    def __enter__(self) -> ReplayServer:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()
