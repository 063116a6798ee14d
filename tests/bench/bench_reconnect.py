"""Joining and rejoining a real `agora serve` (default town, workshop rules) on loopback: the
lobby's GET /join lookup, a join up to the Welcome (the town's snapshot), and a rejoin by
token after the server is killed with SIGKILL and started again on the same file and port
(from the kill to the client saying it is reconnecting, from the restarted server answering
to the Welcome, and the server's own restart).

    python tests/bench/run.py reconnect
"""

from __future__ import annotations

import os
import queue
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from agora.client.connection import Reconnecting
from agora.client.join_lookup import look_up
from agora.client.reconnect import SessionLink
from agora.server import protocol as p

LOOKUPS = 20
JOINS = 7
RESTARTS = 5


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(db: Path, port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "agora.server.cli", "serve", "--db", str(db), "--port", str(port),
         "--tick-seconds", "1.0", "--preview-workers", "0", "--code", "BENCH1", "--rules", "workshop"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONUNBUFFERED": "1"})


def wait_ready(process: subprocess.Popen[bytes], port: int, timeout: float = 120.0) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "agora serve exited"
        try:
            with opener.open(f"http://127.0.0.1:{port}/healthz", timeout=1.0):
                return
        except OSError:
            time.sleep(0.02)
    raise TimeoutError("agora serve did not come up")


def next_of(messages: queue.Queue[object], kind: type, timeout: float = 60.0) -> object:
    deadline = time.monotonic() + timeout
    while True:
        message = messages.get(timeout=max(deadline - time.monotonic(), 0.01))
        if isinstance(message, kind):
            return message


def row(case: str, seconds: list[float], detail: str) -> dict[str, object]:
    return {"benchmark": "reconnect", "case": case, "median_ms": statistics.median(seconds) * 1000.0,
            "runs": len(seconds), "detail": detail}


def run() -> list[dict[str, object]]:
    with tempfile.TemporaryDirectory() as tmp:
        db, port = Path(tmp) / "agora.db", free_port()
        url = f"ws://127.0.0.1:{port}"
        process = serve(db, port)
        try:
            wait_ready(process, port)
            look_up(url, "BENCH1")  # warm-up
            lookups = []
            for _ in range(LOOKUPS):
                began = time.perf_counter()
                assert look_up(url, "BENCH1").ok
                lookups.append(time.perf_counter() - began)
            joins = []
            for i in range(JOINS):
                link = SessionLink(url, code="BENCH1", name=f"p{i}")
                began = time.perf_counter()
                link.start()
                next_of(link.messages, p.Welcome)
                joins.append(time.perf_counter() - began)
                link.close()

            link = SessionLink(url, code="BENCH1", name="ada")
            link.start()
            next_of(link.messages, p.Welcome)
            noticed, rejoined, restarts = [], [], []
            for _ in range(RESTARTS):
                killed = time.perf_counter()
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=10)
                next_of(link.messages, Reconnecting)
                noticed.append(time.perf_counter() - killed)
                spawned = time.perf_counter()
                process = serve(db, port)
                wait_ready(process, port)
                ready = time.perf_counter()
                restarts.append(ready - spawned)
                next_of(link.messages, p.Welcome)
                rejoined.append(time.perf_counter() - ready)
            link.close()
        finally:
            process.kill()
            process.wait(timeout=10)
    return [
        row("GET /join lookup", lookups, "the lobby's question about a code"),
        row("join to Welcome", joins, "websocket, hello, snapshot of the default town"),
        row("kill -9 to 'reconnecting'", noticed, "the client tells the player"),
        row("server answers to Welcome", rejoined, "backoff wait + rejoin by token (0.5 s doubling to 5 s)"),
        row("agora serve restart", restarts, "spawn to /healthz: resume from the log, warm-up"),
    ]
