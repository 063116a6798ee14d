"""A real `agora serve` killed with SIGKILL again and again during a busy session, and
stopped with SIGTERM: it comes back every time on the same database at the tick it had
reached, with every command it acknowledged, the hash a clean replay gives, the same codes,
and its players rejoining with their tokens.

Bots on websockets (a facilitator and three players) send world edits and game commands
as fast as they are answered, with short pauses; the moments of the kills come from a
seeded random generator.
"""

from __future__ import annotations

import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import msgspec
import numpy as np
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from agora.server import protocol as p
from agora.server.session.session import Replay, Session
from agora.server.store.eventlog import EventLog
from agora.server.store.replays import Recorded
from agora.server.world.types import RoadClass
from agora.server.world.world import World, resolve_world

KILLS = 22
SEED = 20261121
TICK_S = 0.05
RESUMED = re.compile(r"Resumed session (\w+) at tick (\d+) \(order (\d+)\).*state hash ([0-9a-f]{64})")


@pytest.fixture
def started() -> Iterator[list[Server]]:
    """Every server a test starts; those a failing test leaves running are killed."""
    servers: list[Server] = []
    yield servers
    for server in servers:
        if server.process.poll() is None:
            server.kill()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`agora serve` in a process of its own, its output in a file; `started` keeps it for
    the test's teardown."""

    def __init__(self, db: Path, port: int, out: Path, started: list[Server]) -> None:
        self.port, self.out = port, out
        started.append(self)
        with out.open("w") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "agora.server.cli", "serve", "--db", str(db), "--port", str(port),
                 "--tick-seconds", str(TICK_S), "--preview-workers", "0", "--code", "KILLME",
                 "--admin-token", "admin", "--rules", "workshop"],
                stdout=sink, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )

    def output(self) -> str:
        return self.out.read_text()

    def wait_ready(self, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"agora serve exited:\n{self.output()}"
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=1.0).status_code == 200:
                    return self.output()
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"agora serve did not come up:\n{self.output()}")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


@dataclass
class Bot:
    """A participant who sends a command, reads until it is answered, pauses, and again."""

    name: str
    seed: int
    street: int
    hello: p.Hello
    token: str = ""
    acks: list[tuple[int, str, bytes]] = field(default_factory=list)  # seq, command, payload
    last_tick: int = 0  # the latest tick the server told this bot about
    ended_by: p.Error | None = None  # what the server said as it stopped, if it did
    close_code: int | None = None
    ids: list[int] = field(default_factory=list)  # the player id of every Welcome
    failure: str = ""  # an assertion that failed in the bot's thread

    def run(self, url: str, stop: threading.Event) -> None:
        rng = random.Random(self.seed + len(self.acks))
        try:
            with connect(url, max_size=None, max_queue=None, ping_interval=None, open_timeout=10) as ws:
                self.send(ws, p.Hello(code="", name="", token=self.token) if self.token else self.hello)
                welcome = self.read(ws, lambda m: isinstance(m, (p.Welcome, p.Error)))
                assert isinstance(welcome, p.Welcome), welcome
                self.token = welcome.token
                self.ids.append(welcome.player_id)
                closed = bool(welcome.snapshot.closed.to_numpy()[self.street])
                n = 0
                while not stop.is_set():
                    command = self.choose(rng, n, closed)
                    try:
                        self.send(ws, command)
                    except ConnectionClosed:
                        self.drain(ws)  # what the server said before it closed
                        raise
                    answer = self.read(ws, lambda m: isinstance(m, (p.Accepted, p.Error)) and m.request == 0
                                       if isinstance(m, p.Error) else isinstance(m, p.Accepted))
                    if isinstance(answer, p.Accepted):
                        assert answer.command == p.tag_of(command)
                        self.acks.append((answer.seq, answer.command, msgspec.json.encode(command)))
                        if isinstance(command, (p.CloseLink, p.ReopenLink)):
                            closed = isinstance(command, p.CloseLink)
                    elif isinstance(answer, p.Error) and answer.code in ("already_closed", "not_closed"):
                        closed = not closed
                    n += 1
                    time.sleep(rng.uniform(0.02, 0.15))
        except (ConnectionClosed, OSError, TimeoutError) as exc:
            if isinstance(exc, ConnectionClosed) and exc.rcvd is not None:
                self.close_code = exc.rcvd.code
        except AssertionError as exc:
            self.failure = str(exc)

    def choose(self, rng: random.Random, n: int, closed: bool) -> p.ClientMessage:
        roll = rng.random()
        if self.name == "facilitator":
            if n == 0:
                return p.SetPhase(phase="propose")
            if roll < 0.3:
                return p.SetSpeed(speed=rng.choice([1.0, 2.0]))
            if roll < 0.5:
                return p.Announce(text=f"note {n}")
            if roll < 0.8:
                return p.SetToll(links=[self.street], toll_eur=round(rng.uniform(0.0, 3.0), 2))
            return p.SetLanes(links=[self.street], lanes=rng.choice([1, 2]))
        if roll < 0.35:
            return p.ReopenLink(link=self.street) if closed else p.CloseLink(link=self.street)
        if roll < 0.5:
            return p.SetSpeedLimit(links=[self.street], speed_kmh=rng.choice([20.0, 30.0, 50.0]))
        if roll < 0.75:
            return p.Chat(text=f"{self.name} {n}")
        if roll < 0.85:
            return p.Propose(title=f"{self.name}'s street {n}", interventions=[p.CloseLink(link=self.street)])
        return p.Comment(proposal=rng.randint(1, 3), text=f"{self.name} on it, {n}")

    def drain(self, ws: ClientConnection) -> None:
        """Read what is left; the connection's end raises ConnectionClosed."""
        self.read(ws, lambda m: False)

    @staticmethod
    def send(ws: ClientConnection, message: p.ClientMessage) -> None:
        ws.send(p.msgpack_encoder.encode(message))

    def read(self, ws: ClientConnection, want: object) -> p.ServerMessage:
        assert callable(want)
        while True:
            raw = ws.recv(timeout=20)
            message = p.server_msgpack_decoder.decode(raw) if isinstance(raw, bytes) else p.server_json_decoder.decode(raw)
            if isinstance(message, p.Delta):
                self.last_tick = message.tick
            elif isinstance(message, p.Error) and message.code == "server_stopping":
                self.ended_by = message
            if want(message):
                return message


def streets(world: World) -> list[int]:
    """Two-way streets, one link each: local ones for the players, an arterial for the facilitator."""
    n = world.network
    two_way = (n.twin > np.arange(n.n_links)) & n.car_usable()
    local = np.flatnonzero(two_way & (n.road_class == int(RoadClass.LOCAL)))
    arterial = np.flatnonzero(two_way & (n.road_class == int(RoadClass.ARTERIAL)))
    return [int(arterial[0]), int(local[3]), int(local[11]), int(local[23])]


JOIN_WAIT_S = 30.0  # how long the bots may take to rejoin a restarted server


def play(bots: list[Bot], url: str) -> tuple[threading.Event, list[threading.Thread]]:
    """Start the bots and return once each is back in (its Welcome read), so that the kill
    that follows lands during play, however slowly a loaded machine lets them join."""
    stop = threading.Event()
    joined = [len(bot.ids) for bot in bots]
    threads = [threading.Thread(target=bot.run, args=(url, stop), daemon=True) for bot in bots]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + JOIN_WAIT_S
    while time.monotonic() < deadline and any(
            len(bot.ids) == n and thread.is_alive() for bot, n, thread in zip(bots, joined, threads)):
        time.sleep(0.02)
    return stop, threads


def join_all(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.join(timeout=30)
        assert not thread.is_alive(), "a bot hung"


@dataclass(frozen=True)
class Recovery:
    tick: int  # as the restarted server printed it
    seq: int
    state_hash: str
    seen_tick: int  # the latest tick any bot had heard of before the kill
    acked_seq: int  # the latest seq any bot had been acknowledged before the kill


def test_kill_9_at_22_seeded_moments_loses_nothing_acknowledged(tmp_path: Path, started: list[Server]) -> None:
    db, port, rng = tmp_path / "agora.db", free_port(), random.Random(SEED)
    url = f"ws://127.0.0.1:{port}/ws"
    facilitator_street, *player_streets = streets(World.load(resolve_world("default")))

    server = Server(db, port, tmp_path / "serve-0.out", started)
    out = server.wait_ready()
    token = re.search(r"facilitator token: (\S+)", out)
    assert token is not None and "Join code: KILLME" in out
    bots = [Bot("facilitator", SEED, facilitator_street, p.Hello(code="", name="", token=token.group(1)))]
    bots += [Bot(name, SEED + i, street, p.Hello(code="KILLME", name=name))
             for i, (name, street) in enumerate(zip(("ada", "bob", "cy"), player_streets), start=1)]

    recoveries: list[Recovery] = []
    kills: list[str] = []
    began = spawned = time.monotonic()
    while_starting = False
    for k in range(KILLS):
        if while_starting:  # while it reads the log, replays, warms up
            time.sleep(rng.uniform(0.1, 1.2))
            kills.append(f"while starting, +{time.monotonic() - spawned:.2f} s")
            server.kill()
        else:
            stop, threads = play(bots, url)
            time.sleep(rng.uniform(0.3, 1.8))
            server.kill()
            stop.set()
            join_all(threads)
            kills.append(f"busy, {sum(len(b.acks) for b in bots)} acknowledged so far")
        seen = max(bot.last_tick for bot in bots)
        acked = max((seq for bot in bots for seq, _, _ in bot.acks), default=0)
        server = Server(db, port, tmp_path / f"serve-{k + 1}.out", started)
        spawned = time.monotonic()
        while_starting = k + 1 < KILLS and rng.random() < 0.15
        if while_starting:
            continue
        out = server.wait_ready()
        resumed = RESUMED.search(out)
        assert resumed is not None, out
        assert "Join code: KILLME" in out and f"facilitator token: {token.group(1)}" in out
        recoveries.append(Recovery(int(resumed.group(2)), int(resumed.group(3)), resumed.group(4), seen, acked))

    # The last one runs on, the bots rejoining with their tokens, and stops with SIGTERM.
    stop, threads = play(bots, url)
    time.sleep(1.0)
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=20) == 0, server.output()
    join_all(threads)
    live_s = time.monotonic() - began
    for bot in bots:
        assert not bot.failure, f"{bot.name}: {bot.failure}"
        assert bot.ended_by is not None and bot.close_code == 1012, (bot.name, bot.ended_by, bot.close_code)
        # Back in with the token after every restart, as the same player.
        assert len(bot.ids) == len(recoveries) + 1 and len(set(bot.ids)) == 1, (bot.name, bot.ids)

    log = EventLog(db)
    try:
        assert len(log.sessions()) == 1, "every restart resumed the session instead of opening one"
        recorded = Recorded.load(log, log.sessions()[0]["id"])
        # No acknowledged command lost: each is in the log under the seq it was acknowledged
        # with, as it was sent, and the next recovery had it.
        rows = {seq: (command, payload.encode()) for seq, command, payload in
                log.db.execute("select seq, command, payload from events where session = ?", [recorded.id])}
        acks = sorted(ack for bot in bots for ack in bot.acks)
        assert len(acks) > 200 and len({seq for seq, _, _ in acks}) == len(acks)
        for seq, command, payload in acks:
            assert rows.get(seq) == (command, payload), f"acknowledged order {seq} ({command}) is not in the log as sent"
        for r in recoveries:
            assert r.seq >= r.acked_seq and r.tick >= r.seen_tick, r
        assert recorded.reached_tick >= max(bot.last_tick for bot in bots), "the drain kept the last tick broadcast"
        # Every recovery had the state a clean replay of the log gives at its tick and seq, and
        # the replay meets every snapshot the server took, across all the restarts.
        snapshots = {s.tick: s.state_hash for s in log.snapshots(recorded.id)}
        met: list[int] = []

        def meet(session: Session) -> None:
            if session.tick in snapshots:
                assert session.state_hash() == snapshots[session.tick], f"the snapshot at tick {session.tick}"
                met.append(session.tick)

        replay_started = time.perf_counter()
        again = Replay(recorded.fresh(), recorded.orders, recorded.players, each_tick=meet)
        for r in recoveries:
            assert again.run_to(r.tick, r.seq).state_hash() == r.state_hash, f"the recovery at tick {r.tick}, order {r.seq}"
        again.run_to(recorded.reached_tick)
        replay_s = time.perf_counter() - replay_started
        assert met == sorted(snapshots) and len(met) >= 3
    finally:
        log.close()
    print(f"\n{KILLS} kills ({sum(k.startswith('while') for k in kills)} while starting), {len(recoveries)} "
          f"recoveries checked, {len(acks)} acknowledged orders, {recorded.reached_tick} ticks in {live_s:.0f} s live; "
          f"replayed in {replay_s:.1f} s ({recorded.reached_tick / replay_s:.0f} ticks/s)")


def test_sigterm_finishes_the_tick_tells_the_clients_and_exits_0(tmp_path: Path, started: list[Server]) -> None:
    db, port = tmp_path / "agora.db", free_port()
    url = f"ws://127.0.0.1:{port}/ws"
    server = Server(db, port, tmp_path / "serve-0.out", started)
    out = server.wait_ready()
    token = re.search(r"facilitator token: (\S+)", out)
    assert token is not None
    with connect(url, max_size=None, ping_interval=None) as ws:
        fac = Bot("facilitator", SEED, 0, p.Hello(code="", name="", token=token.group(1)))
        fac.send(ws, fac.hello)
        assert isinstance(fac.read(ws, lambda m: isinstance(m, p.Welcome)), p.Welcome)
        fac.send(ws, p.SetPhase(phase="explore"))
        fac.read(ws, lambda m: isinstance(m, p.Accepted))
        street = streets(World.load(resolve_world("default")))[1]
        fac.send(ws, p.CloseLink(link=street))
        closing = fac.read(ws, lambda m: isinstance(m, p.Accepted))
        assert isinstance(closing, p.Accepted)
        fac.read(ws, lambda m: isinstance(m, p.Delta) and m.tick >= closing.applies_at_tick + 20)
        time.sleep(0.5)  # the explore phase's timer runs a little longer
        server.process.send_signal(signal.SIGTERM)
        stopping = fac.read(ws, lambda m: isinstance(m, p.Error))
        assert isinstance(stopping, p.Error) and stopping.code == "server_stopping" and "token" in stopping.message
        with pytest.raises(ConnectionClosed) as closed:
            fac.drain(ws)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1012
    assert server.process.wait(timeout=20) == 0, server.output()
    assert "sessions drained" in server.output()
    wal = db.with_name(db.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0, "the write-ahead log was folded into the database"
    log = EventLog(db)
    reached = Recorded.load(log, log.sessions()[0]["id"]).reached_tick
    log.close()
    assert reached == fac.last_tick, "the tick reached is the last tick the clients heard of"

    again = Server(db, port, tmp_path / "serve-1.out", started)
    assert f"at tick {reached} (order 2)" in again.wait_ready()
    with connect(url, max_size=None, ping_interval=None) as ws:
        fac.send(ws, p.Hello(code="", name="", token=token.group(1)))
        welcome = fac.read(ws, lambda m: isinstance(m, p.Welcome))
        assert isinstance(welcome, p.Welcome) and welcome.role == "facilitator" and welcome.game is not None
        assert welcome.snapshot.tick >= reached and welcome.snapshot.closed.to_numpy()[street]
        phase = welcome.game.phase
        assert phase.name == "explore" and phase.remaining_s <= phase.minutes * 60 - 0.5, "the timer went on where it stood"
    again.process.send_signal(signal.SIGTERM)
    assert again.process.wait(timeout=20) == 0
    verify = subprocess.run([sys.executable, "-m", "agora.server.cli", "replay", str(db), "--verify"],
                            capture_output=True, text=True, timeout=120, check=False)
    assert verify.returncode == 0 and "Final state hash" in verify.stdout, verify.stdout + verify.stderr
