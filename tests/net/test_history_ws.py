"""The trend's history on the wire: a player who joins after some ticks gets the last ticks'
headline indicators in the Welcome, one point per tick up to the snapshot's; a Resync (an
edit that redraws the city) carries it too; the ring keeps only the last HISTORY_TICKS."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Iterator

import pytest
from websockets.sync.client import connect

from agora.server import protocol as p
from agora.server.net.history import IndicatorHistory
from agora.server.world.world import World, resolve_world
from tests.conftest import LiveServer, serve_world


@pytest.fixture
def default_server(tmp_path: Path) -> Iterator[LiveServer]:
    with serve_world(World.load(resolve_world("default")), tmp_path / "agora.db", tick_seconds=0.05) as live:
        yield live


def receive(ws, timeout: float = 20.0) -> p.ServerMessage:  # type: ignore[no-untyped-def]
    return p.server_msgpack_decoder.decode(ws.recv(timeout=timeout))


def test_a_late_joiner_gets_every_tick_since_the_start_and_a_resync_carries_it(default_server: LiveServer) -> None:
    runner = default_server.runner
    deadline = time.monotonic() + 60
    while runner.session.tick < 12:
        assert time.monotonic() < deadline, "the server did not tick"
        time.sleep(0.05)
    with connect(default_server.ws_url + "/ws") as ws:
        ws.send(p.msgpack_encoder.encode(p.Hello(code=default_server.code, name="late")))
        welcome = receive(ws)
        assert isinstance(welcome, p.Welcome)
        assert welcome.history is not None
        history = welcome.history.readings()
        ticks = [tick for tick, _, _ in history]
        # From the tick the runner started at (1: serve_world settles one tick first) to now.
        assert ticks == list(range(1, welcome.snapshot.tick + 1)), ticks
        _, hour, last = history[-1]
        ind = welcome.snapshot.indicators
        # float32 on the wire: 7 significant digits.
        assert last["vehicle_hours"] == pytest.approx(ind.vehicle_hours, rel=1e-6)
        assert last["mean_trip_min"] == pytest.approx(ind.mean_trip_min, rel=1e-6)
        assert last["mode_share_car"] == pytest.approx(ind.mode_share[0], rel=1e-6)
        assert hour == pytest.approx(ind.clock_hour, rel=1e-6)
        # The default world publishes every headline indicator.
        assert set(last) == set(p.HEADLINE), set(p.HEADLINE) - set(last)
        assert last["residents_above_who_lden"] == pytest.approx(ind.impacts["residents_above_who_lden"], rel=1e-6)
        # Compact: a column of float32 per indicator.
        assert len(p.msgpack_encoder.encode(welcome.history)) < 40 * len(history) + 400

        # A road diet redraws the city: that tick reaches everyone as a Resync, history and all.
        link = next(i for i in range(len(runner.session.world.network.lanes))
                    if runner.session.world.network.lanes[i] >= 2)
        ws.send(p.msgpack_encoder.encode(p.SetLanes(links=[link], lanes=1)))
        deadline = time.monotonic() + 30
        while True:
            message = receive(ws)
            if isinstance(message, p.Error):
                pytest.fail(f"the road diet was refused: {message.message}")
            if isinstance(message, p.Resync):
                break
            assert time.monotonic() < deadline, "no Resync after the road diet"
        assert message.history is not None
        assert [tick for tick, _, _ in message.history.readings()] == list(range(1, message.snapshot.tick + 1))


def test_the_ring_keeps_the_last_ticks_once_each() -> None:
    ring = IndicatorHistory(size=5)
    for tick in range(1, 9):
        ring.add(tick, p.Indicators(vehicle_hours=float(tick), vehicle_km=1.0, mean_trip_min=2.0, car_trips=3.0,
                                    unserved_trips=0.0, relative_gap=0.0, mode_share=[0.5, 0.2, 0.2, 0.1]))
    assert [tick for tick, _, _ in ring.readings()] == [4, 5, 6, 7, 8]
    # A resumed session tells a tick again: the later word stands, and what came after goes.
    ring.add(6, p.Indicators(vehicle_hours=60.0, vehicle_km=1.0, mean_trip_min=float("nan"), car_trips=3.0,
                             unserved_trips=0.0, relative_gap=0.0))
    readings = ring.readings()
    assert [tick for tick, _, _ in readings] == [4, 5, 6]
    # No CO2 or car share published, and a number not yet computed: left out, not sent as 0.
    assert readings[-1][2] == {"vehicle_hours": 60.0}
    assert readings[0][2] == {"vehicle_hours": 4.0, "mode_share_car": 0.5, "mean_trip_min": 2.0}
    # On the wire and back: a gap where a tick lacks a value, not a zero.
    assert ring.message().readings() == readings
