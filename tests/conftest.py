"""Shared fixtures: reference data paths, the default world, a live server on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import msgspec
import numpy as np
import pytest
import uvicorn

from agora.server.net.app import create_app
from agora.server.net.previews import PreviewService
from agora.server.net.runner import SessionRunner
from agora.server.session.rulesets import RuleSet
from agora.server.session.session import Session
from agora.server.store.eventlog import EventLog
from agora.server.store.snapshots import SNAPSHOT_EVERY_TICKS
from agora.server.world.simulation import warm_up
from agora.server.world.world import World, resolve_world

# As `agora` does (server/cli.py): OpenMP's idle threads wait without spinning, so that the
# parallel kernels do not crawl on cores shared with other work. Read when the first
# parallel kernel loads the runtime, after this.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

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
    facilitator_token: str = ""
    observer_code: str = ""

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
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", ws="websockets-sansio", lifespan="on"))
        self.sock = sock

    def run(self) -> None:
        asyncio.run(self.server.serve(sockets=[self.sock]))


@contextlib.contextmanager
def serve_app(app: object) -> Iterator[str]:
    """A real uvicorn server for `app` on a free loopback port, started and stopped in a
    thread; yields its "127.0.0.1:PORT"."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    thread = _ServerThread(app, sock)
    thread.start()
    deadline = time.monotonic() + 30
    while not thread.server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield f"127.0.0.1:{sock.getsockname()[1]}"
    finally:
        thread.server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextlib.contextmanager
def serve_world(world: World, db: Path, tick_seconds: float = 0.05,
                previews: PreviewService | None = None, rules: RuleSet | None = None,
                live_edits: bool = True, snapshot_every: int = SNAPSHOT_EVERY_TICKS) -> Iterator[LiveServer]:
    """A real uvicorn server on a free loopback port with one session on `world` (the
    workshop's rules unless given), a facilitator, and its log in the SQLite file `db`
    (a snapshot every `snapshot_every` ticks)."""
    warm_up(world)  # compile every kernel path first, as `agora serve` does: a cold numba
    # cache (always, in CI) would otherwise compile during the first ticks, holding the GIL
    session = Session("test", world, code="TESTME", rules=rules, live_edits=live_edits)
    eventlog = EventLog(db)
    eventlog.open_session(session, world.state_hash(), tick_seconds)
    facilitator = session.add_facilitator()
    eventlog.add_player(session.id, facilitator, session.last_seq)
    session.advance()  # compile and settle before players arrive, as `agora serve` does
    eventlog.save_progress(session)
    runner = SessionRunner(session, eventlog, tick_seconds=tick_seconds, previews=previews,
                           snapshot_every=snapshot_every)
    try:
        with serve_app(create_app([runner])) as address:
            yield LiveServer(f"ws://{address}", f"http://{address}", session.code, runner, db,
                             facilitator.token, session.observer_code)
    finally:
        eventlog.close()


@pytest.fixture(scope="module")
def previews() -> Iterator[PreviewService]:
    """A preview service with one worker process, shared by a test module's servers."""
    service = PreviewService(workers=1)
    yield service
    service.close()


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """`serve_world` on the bundled default world, ticking every 50 ms."""
    with serve_world(World.load(resolve_world("default")), tmp_path / "agora.db") as server:
        yield server


def make_tiny_world() -> World:
    """A 3x3 street grid (200 m blocks) on 24x24 cells, four zones at the corners, and
    one footpath: small enough to reason about by hand."""
    from agora.server.world.types import LandUse, Mode, RoadClass
    from agora.server.world.world import Grid, Network, WorldMeta

    xs, ys = np.meshgrid(np.arange(3) * 200.0, np.arange(3) * 200.0)
    node_x, node_y = xs.ravel(), ys.ravel()
    pairs = [(r * 3 + c, r * 3 + c + 1) for r in range(3) for c in range(2)]
    pairs += [(r * 3 + c, (r + 1) * 3 + c) for r in range(2) for c in range(3)]
    link_from, link_to, twin = [], [], []
    for a, b in pairs:
        i = len(link_from)
        link_from += [a, b]
        link_to += [b, a]
        twin += [i + 1, i]
    # A footpath across the middle block: bikes and walkers only.
    link_from += [0]
    link_to += [4]
    twin += [-1]
    n = len(link_from)
    lf, lt = np.array(link_from), np.array(link_to)
    length = np.hypot(node_x[lt] - node_x[lf], node_y[lt] - node_y[lf])
    modes = np.full(n, int(Mode.ALL), dtype=np.uint8)
    modes[-1] = int(Mode.BIKE | Mode.WALK)
    road_class = np.full(n, int(RoadClass.LOCAL), dtype=np.uint8)
    road_class[-1] = int(RoadClass.PATH)
    land = np.full((24, 24), int(LandUse.HOUSING), dtype=np.uint8)
    land[:, 12:] = int(LandUse.CENTRE)
    residents = np.where(land == int(LandUse.HOUSING), 40.0, 5.0).astype(np.float32)
    jobs = np.where(land == int(LandUse.CENTRE), 30.0, 2.0).astype(np.float32)
    zone = (np.arange(24)[:, None] // 12) * 2 + (np.arange(24)[None, :] // 12)
    meta = WorldMeta(name="tiny", title="Tiny test town", description="3x3 grid", attribution="test",
                     cell_m=25.0, seed=1)
    return World(
        meta=meta,
        grid=Grid(land_use=land, residents=residents, jobs=jobs, zone=zone.astype(np.int32)),
        network=Network(
            node_x_m=node_x, node_y_m=node_y, link_from=lf.astype(np.int32), link_to=lt.astype(np.int32),
            length_m=length, lanes=np.ones(n, dtype=np.int8), capacity_veh_h=np.full(n, 600.0),
            speed_kmh=np.full(n, 30.0), road_class=road_class, modes=modes,
            twin=np.array(twin, dtype=np.int32), closed=np.zeros(n, dtype=bool),
        ),
        zone_node=np.array([0, 2, 6, 8], dtype=np.int32),
    )


@pytest.fixture
def tiny_world() -> World:
    world = make_tiny_world()
    world.validate()
    return world
