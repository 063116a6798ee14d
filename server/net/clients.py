"""One connected websocket: its encoding, its bounded outbox and the task that drains it.

A slow client must never delay the tick or the other players: messages go into the
client's own bounded queue and a sender task per client writes them out. When the queue
is full the client has fallen behind; its queued deltas are dropped and replaced by one
fresh snapshot (see SessionRunner.resync).
"""

from __future__ import annotations

import asyncio
import logging
from starlette.websockets import WebSocket, WebSocketDisconnect

from agora.server import protocol as p
from agora.server.session.players import Player

log = logging.getLogger("agora.net")

OUTBOX_SIZE = 64
_CLOSE = object()


class Frames:
    """One server message, encoded lazily at most once per format for all clients."""

    def __init__(self, message: p.ServerMessage) -> None:
        self.message = message
        self._msgpack: bytes | None = None
        self._json: str | None = None

    def msgpack(self) -> bytes:
        if self._msgpack is None:
            self._msgpack = p.msgpack_encoder.encode(self.message)
        return self._msgpack

    def json(self) -> str:
        if self._json is None:
            self._json = p.json_encoder.encode(self.message).decode()
        return self._json


class Client:
    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket
        self.player: Player | None = None
        self.uses_json = False  # decided by the client's first frame: text means JSON
        self.fell_behind = False
        self.outbox: asyncio.Queue[object] = asyncio.Queue(OUTBOX_SIZE)
        self.sender = asyncio.create_task(self._send_loop())

    @property
    def name(self) -> str:
        return self.player.name if self.player else "(not joined)"

    def send(self, message: p.ServerMessage | Frames) -> bool:
        """Queue a message; False (and `fell_behind`) if the outbox is full."""
        frames = message if isinstance(message, Frames) else Frames(message)
        try:
            self.outbox.put_nowait(frames)
            return True
        except asyncio.QueueFull:
            self.fell_behind = True
            return False

    def replace_outbox(self, message: p.ServerMessage) -> None:
        """Drop everything queued and send this instead (a fresh snapshot)."""
        while not self.outbox.empty():
            self.outbox.get_nowait()
        self.fell_behind = False
        self.outbox.put_nowait(Frames(message))

    def close_after_flush(self, code: int = 1008) -> None:
        try:
            self.outbox.put_nowait((_CLOSE, code))
        except asyncio.QueueFull:
            self.sender.cancel()

    async def _send_loop(self) -> None:
        try:
            while True:
                item = await self.outbox.get()
                if isinstance(item, tuple) and item[0] is _CLOSE:
                    await self.websocket.close(code=item[1])
                    return
                assert isinstance(item, Frames)
                if self.uses_json:
                    await self.websocket.send_text(item.json())
                else:
                    await self.websocket.send_bytes(item.msgpack())
        except (WebSocketDisconnect, RuntimeError, OSError) as exc:
            # The peer went away; the receive loop notices and removes the client.
            log.debug("sender for %s stopped: %s", self.name, exc)

    async def stop(self) -> None:
        self.sender.cancel()
        try:
            await self.sender
        except asyncio.CancelledError:
            pass

