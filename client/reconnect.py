"""The player's link to a session: a Connection that comes back by itself after a drop.

    link = SessionLink("ws://127.0.0.1:8000", code="K7QF2M", name="ada")
    link.start()
    link.messages.get()       # as a Connection's: ConnectionOpened, Welcome, Delta, ...
    link.send(CloseLink(link=17))
    link.close()

When a connection that had been welcomed drops (the server killed or restarted, the network
gone), the link says Reconnecting(attempt, reason, retry_in_s) on the queue and tries again
with the player's token (Welcome.token) after 0.5 s, 1 s, 2 s, 4 s, then every 5 s, until it
is welcomed again (Welcome, then Reconnected) or closed. A refusal of the token (the server no
longer knows it, the facilitator removed the player) ends the tries with a ConnectionLost that
says why. A first connection that fails or is refused (no server, a wrong code, a full
session) is not tried again: there is no token yet, and the person at the screen decides.
"""

from __future__ import annotations

import enum
import queue
import random
import threading
from dataclasses import dataclass

from agora.client.connection import (
    Connection,
    ConnectionLost,
    Incoming,
    Outgoing,
    Reconnected,
    Reconnecting,
    websocket_url,
)
from agora.server import protocol as p

# Refusals of a hello: trying the same again cannot succeed.
REFUSED = frozenset({"bad_code", "bad_token", "removed", "session_full", "bad_name"})


@dataclass(frozen=True)
class Backoff:
    """Seconds before try `attempt` (1, 2, ...): first_s doubling up to most_s, each spread by
    up to +-jitter so that a roomful of clients does not hit a restarted server at once."""

    first_s: float = 0.5
    factor: float = 2.0
    most_s: float = 5.0
    jitter: float = 0.1

    def delay(self, attempt: int, rng: random.Random) -> float:
        base = min(self.most_s, self.first_s * self.factor ** max(attempt - 1, 0))
        return base * (1.0 + rng.uniform(-self.jitter, self.jitter))


class LinkState(enum.Enum):
    NEW = "new"
    JOINING = "joining"  # the first connection, before its Welcome
    JOINED = "joined"
    RETRYING = "retrying"  # dropped after a Welcome; trying again with the token
    STOPPED = "stopped"  # closed, refused, or the first connection failed


class SessionLink:
    """What the window needs of a connection (url, messages, send), kept across drops."""

    def __init__(self, server: str, code: str, name: str, token: str | None = None,
                 backoff: Backoff | None = None, seed: int | None = None) -> None:
        self.server = server
        self.url = websocket_url(server)  # a malformed address fails here, before any thread
        self.code, self.name, self.token = code, name, token
        self.backoff = backoff or Backoff()
        self.messages: queue.Queue[Incoming] = queue.Queue()
        self.state = LinkState.NEW
        self.attempt = 0  # tries since the last drop
        self.refusal: p.Error | None = None  # the refusal that stopped the link, if one did
        self.lost: ConnectionLost | None = None  # why it stopped, once it has
        self._welcomed = False  # ever welcomed: there is a session to come back to
        self._rng = random.Random(seed)
        self._conn: Connection | None = None
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._run, name="agora-link", daemon=True)

    def start(self) -> None:
        if self.state is not LinkState.NEW:
            raise RuntimeError(f"a SessionLink starts once; this one is {self.state.value}")
        self.state = LinkState.JOINING
        self._thread.start()

    def send(self, command: Outgoing) -> bool:
        """Send on the connection of the moment; False (nothing sent) while there is none open."""
        conn = self._conn
        return conn.send(command) if conn is not None and self.state is LinkState.JOINED else False

    def close(self, timeout: float = 2.0) -> None:
        self._closing.set()
        conn = self._conn
        if conn is not None:
            conn.close(timeout)
        if self._thread.is_alive():
            self._thread.join(timeout)

    # -- the link's thread -------------------------------------------------------------

    def _run(self) -> None:
        lost = ConnectionLost("Disconnected.", was_open=False)
        while True:
            conn = Connection(self.server, code=self.code, name=self.name, token=self.token)
            # close() sets _closing, then closes _conn: whichever it saw, this one is not left open.
            self._conn = conn
            if self._closing.is_set():
                break
            conn.start()
            lost = self._relay(conn)
            if self._closing.is_set() or not self._welcomed:
                break  # quitting, or the first connection failed: nothing to come back to
            if self.refusal is not None:
                lost = ConnectionLost(_ended_by(self.refusal), was_open=True)
                break
            self.attempt += 1
            self.state = LinkState.RETRYING
            delay = self.backoff.delay(self.attempt, self._rng)
            self.messages.put(Reconnecting(self.attempt, lost.reason, delay))
            if self._closing.wait(delay):
                lost = ConnectionLost("Disconnected.", was_open=False)
                break
        self.lost = lost
        self.state = LinkState.STOPPED
        self._conn = None
        self.messages.put(lost)

    def _relay(self, conn: Connection) -> ConnectionLost:
        """Pass the connection's messages on, noting the token and refusals, until it ends."""
        while True:
            message = conn.messages.get()
            if isinstance(message, ConnectionLost):
                return message
            if isinstance(message, p.Welcome):
                self.token = message.token
                back, self.attempt = self.attempt, 0
                self._welcomed = True
                self.state = LinkState.JOINED
                self.messages.put(message)
                if back:
                    self.messages.put(Reconnected(back))
                continue
            if isinstance(message, p.Error) and message.code in REFUSED and self.state is not LinkState.JOINED:
                self.refusal = message
                if self._welcomed:
                    continue  # said in the ConnectionLost that ends the tries
            elif isinstance(message, p.Error) and message.code == "removed":
                self.refusal = message
            self.messages.put(message)


def _ended_by(refusal: p.Error) -> str:
    if refusal.code == "bad_token":
        return ("The server no longer knows this player, so the game cannot be rejoined by itself (the session "
                "may have ended or been reset). Join again with the join code.")
    return refusal.message
