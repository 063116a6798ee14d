"""One connected websocket: its encoding, its bounded outbox and the task that drains it.

A slow client must never delay the tick or the other players: messages go into the
client's own outbox and a sender task per client writes them out. The outbox holds at most
OUTBOX_SIZE messages about the state of the session (deltas, events, game views); when
they fill it the client has fallen behind, and they are dropped and replaced by one fresh
snapshot (see SessionRunner.resync). Replies to the client's own requests (accepted,
error, preview, vote result) are never dropped: they keep their place in the line, and a
client that lets MAX_REPLIES of them pile up unread is disconnected.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque

from starlette.websockets import WebSocket, WebSocketDisconnect

from agora.server import protocol as p
from agora.server.session.players import Player

log = logging.getLogger("agora.net")

OUTBOX_SIZE = 64
MAX_REPLIES = 256
_CLOSE = object()
# What a snapshot supersedes: messages about the shared state, not answers to one client.
_STATE = (p.Delta, p.Resync, p.Event, p.Game, p.Welcome)


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
        self._items: deque[object] = deque()
        self._state_count = 0
        self._ready = asyncio.Event()
        self.sender = asyncio.create_task(self._send_loop())

    @property
    def name(self) -> str:
        return self.player.name if self.player else "(not joined)"

    def send(self, message: p.ServerMessage | Frames) -> bool:
        """Queue a message; False (and `fell_behind`) if it is about the session's state and
        the outbox is full of such messages. Replies are always queued."""
        frames = message if isinstance(message, Frames) else Frames(message)
        if isinstance(frames.message, _STATE):
            if self._state_count >= OUTBOX_SIZE:
                self.fell_behind = True
                return False
            self._state_count += 1
        elif len(self._items) - self._state_count >= MAX_REPLIES:
            log.warning("%s left %d replies unread; disconnecting", self.name, MAX_REPLIES)
            self.sender.cancel()
            return False
        self._items.append(frames)
        self._ready.set()
        return True

    def replace_outbox(self, message: p.ServerMessage) -> None:
        """Drop the queued state messages and send this (a fresh snapshot) first; replies
        still queued follow it, in their order."""
        replies = [item for item in self._items if not (isinstance(item, Frames) and isinstance(item.message, _STATE))]
        self._items = deque([Frames(message), *replies])
        self._state_count = 1
        self.fell_behind = False
        self._ready.set()

    def close_after_flush(self, code: int = 1008) -> None:
        self._items.append((_CLOSE, code))
        self._ready.set()

    @property
    def queued(self) -> int:
        return len(self._items)

    async def _send_loop(self) -> None:
        try:
            while True:
                while not self._items:
                    self._ready.clear()
                    await self._ready.wait()
                item = self._items.popleft()
                if isinstance(item, Frames) and isinstance(item.message, _STATE):
                    self._state_count -= 1
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

