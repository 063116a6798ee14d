"""A slow client: its state messages give way to a snapshot, its replies never do."""

from __future__ import annotations

import asyncio

import numpy as np

from agora.server import protocol as p
from agora.server.net.clients import OUTBOX_SIZE, Client


class StuckSocket:
    """A websocket whose peer reads nothing until released."""

    def __init__(self) -> None:
        self.sent: list[p.ServerMessage] = []
        self.released = asyncio.Event()

    async def send_bytes(self, data: bytes) -> None:
        await self.released.wait()
        self.sent.append(p.server_msgpack_decoder.decode(data))

    async def send_text(self, data: str) -> None:  # pragma: no cover - msgpack here
        raise AssertionError("this client speaks msgpack")

    async def close(self, code: int = 1000) -> None:
        pass


def delta(tick: int) -> p.Delta:
    empty = p.Array.of(np.zeros(0, np.int32))
    indicators = p.Indicators(vehicle_hours=0, vehicle_km=0, mean_trip_min=0, car_trips=0, unserved_trips=0,
                              relative_gap=0)
    return p.Delta(tick=tick, link=empty, flow_veh_h=p.Array.of(np.zeros(0, np.float32)), closed=[],
                   indicators=indicators)


def test_a_client_that_falls_behind_keeps_its_replies_in_order() -> None:
    async def scenario() -> list[p.ServerMessage]:
        socket = StuckSocket()
        client = Client(socket)  # type: ignore[arg-type]
        queued = []
        for tick in range(OUTBOX_SIZE + 10):
            queued.append(client.send(delta(tick)))
            if tick in (5, 40, 70):
                reply = p.Accepted(command="close_link", seq=tick, applies_at_tick=tick + 1)
                assert client.send(reply), "a reply is always queued, even behind a full outbox"
        assert queued == [True] * OUTBOX_SIZE + [False] * 10
        assert client.fell_behind
        client.replace_outbox(delta(999))  # the runner sends a fresh snapshot here
        assert not client.fell_behind and client.send(delta(1000))
        socket.released.set()
        for _ in range(200):
            if client.queued == 0:
                break
            await asyncio.sleep(0.01)
        await client.stop()
        return socket.sent

    sent = asyncio.run(scenario())
    kinds = [(type(m).__name__, m.tick if isinstance(m, p.Delta) else m.seq) for m in sent]  # type: ignore[union-attr]
    assert kinds == [("Delta", 999), ("Accepted", 5), ("Accepted", 40), ("Accepted", 70), ("Delta", 1000)]
