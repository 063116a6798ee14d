"""The link to the server: a websocket on its own thread, messages handed over by a queue.

    conn = Connection("ws://127.0.0.1:8000", code="K7QF2M", name="ada")
    conn.start()
    conn.messages.get()          # ConnectionOpened, then Welcome, Delta, Delta, ...
    conn.send(CloseLink(link=17))
    conn.close()

The window never touches the socket: it drains `messages` once a frame. Anything that
goes wrong on the network (no server, refused handshake, a dropped connection) arrives
as a ConnectionLost on the same queue, worded for the person at the screen. One Connection
is one attempt; client/reconnect.py makes a new one for each try after a drop.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import queue
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import msgspec
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.sync.client import ClientConnection, connect

from agora.server import protocol as p

log = logging.getLogger(__name__)

OPEN_TIMEOUT_S = 5.0
# Keepalive pings find a connection that died without a word (a laptop's Wi-Fi dropping)
# within PING_INTERVAL_S + PING_TIMEOUT_S; the timeout leaves room for a big snapshot ahead
# of the pong on a slow network.
PING_INTERVAL_S = 10.0
PING_TIMEOUT_S = 15.0
# A snapshot of a 512x512 city is several megabytes: websockets' 1 MiB default is too small.
MAX_MESSAGE_BYTES = 256 * 2**20


@dataclass(frozen=True)
class ConnectionOpened:
    url: str


@dataclass(frozen=True)
class ConnectionLost:
    """The connection could not be made, or ended; `reason` is a sentence for people."""

    reason: str
    was_open: bool


@dataclass(frozen=True)
class Reconnecting:
    """The open connection dropped; attempt `attempt` to rejoin with the token comes in
    `retry_in_s` seconds (client/reconnect.py). `reason` is why the last try ended."""

    attempt: int
    reason: str
    retry_in_s: float

    @property
    def title(self) -> str:
        return f"Connection lost - reconnecting (attempt {self.attempt})..."

    @property
    def detail(self) -> str:
        return (f"{self.reason}\nTrying again in {self.retry_in_s:.0f} s. The map shows the last state received "
                "and comes back by itself. Press Esc to quit.")


@dataclass(frozen=True)
class Reconnected:
    """Back in the session after `attempts` tries; the Welcome before it brought the state afresh."""

    attempts: int

    @property
    def text(self) -> str:
        return "Reconnected: the map and the game are live again."


@dataclass(frozen=True)
class Unreadable:
    """A frame the client could not decode (a newer server, most likely); it was skipped."""

    reason: str


Incoming = (
    p.Welcome | p.Delta | p.Resync | p.Accepted | p.Event | p.Error | p.Preview | p.Game | p.VoteResult
    | p.Timeline | p.Branched
    | ConnectionOpened | ConnectionLost | Reconnecting | Reconnected | Unreadable
)
# What the client sends once joined: world edits, preview requests and game commands.
Outgoing = p.Command | p.PreviewDraft | p.GameCommand | p.Seek | p.Branch


class State(enum.Enum):
    NEW = "new"
    CONNECTING = "connecting"
    OPEN = "open"
    CLOSED = "closed"


def websocket_url(server: str) -> str:
    """The websocket endpoint of a server address: ws://host:port becomes ws://host:port/ws.

    http(s) addresses are accepted too, and a bare host:port is taken as ws://.
    """
    text = server.strip()
    if "://" not in text:
        text = "ws://" + text
    parts = urlsplit(text)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    if scheme not in ("ws", "wss"):
        raise ValueError(f"cannot connect to {server!r}: expected an address like ws://127.0.0.1:8000")
    path = parts.path if parts.path not in ("", "/") else "/ws"
    return urlunsplit((scheme, parts.netloc, path, parts.query, ""))


class Connection:
    """One player's websocket, read on a background thread."""

    def __init__(self, server: str, code: str, name: str, token: str | None = None) -> None:
        self.url = websocket_url(server)
        self.hello = p.Hello(code=code, name=name, token=token)
        self.messages: queue.Queue[Incoming] = queue.Queue()
        self.state = State.NEW
        self._ws: ClientConnection | None = None
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._run, name="agora-connection", daemon=True)

    def start(self) -> None:
        if self.state is not State.NEW:
            raise RuntimeError(f"a Connection starts once; this one is {self.state.value}")
        self.state = State.CONNECTING
        self._thread.start()

    def send(self, command: Outgoing) -> bool:
        """Send a command from any thread; False (and nothing sent) if not connected."""
        with self._lock:
            ws = self._ws if self.state is State.OPEN else None
        if ws is None:
            return False
        try:
            ws.send(p.msgpack_encoder.encode(command))
        except ConnectionClosed:
            return False
        return True

    def close(self, timeout: float = 2.0) -> None:
        """Close the socket and wait a little for the thread to finish."""
        self._closing.set()
        with self._lock:
            ws = self._ws
        if ws is not None:
            ws.close()
        if self._thread.is_alive():
            self._thread.join(timeout)

    # -- the network thread ------------------------------------------------------------

    def _run(self) -> None:
        # websockets 17.1 and later want the connection used as a context manager, and
        # a future default may connect only on entering it: both fail inside this try.
        with contextlib.ExitStack() as stack:
            try:
                ws = stack.enter_context(
                    connect(
                        self.url,
                        open_timeout=OPEN_TIMEOUT_S,
                        max_size=MAX_MESSAGE_BYTES,
                        ping_interval=PING_INTERVAL_S,
                        ping_timeout=PING_TIMEOUT_S,
                        # A proxy from the environment would only get in the way of a local server.
                        proxy=None if is_loopback(self.url) else True,
                    )
                )
            except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as exc:
                self._lost(f"No answer from {self.url}: {_reason(exc)}", was_open=False)
                return
            with self._lock:
                self._ws = ws
                self.state = State.OPEN
            if self._closing.is_set():
                ws.close()
            self.messages.put(ConnectionOpened(self.url))
            self._lost(self._receive(ws), was_open=True)

    def _receive(self, ws: ClientConnection) -> str:
        """Say hello, then queue every message until the connection ends; return why it did."""
        try:
            ws.send(p.msgpack_encoder.encode(self.hello))
            for frame in ws:
                self.messages.put(_decode(frame))
        except ConnectionClosed as exc:
            if not self._closing.is_set():
                return f"The server closed the connection ({_close_reason(exc)})."
        except OSError as exc:
            return f"The connection to {self.url} broke: {_reason(exc)}"
        return "Disconnected." if self._closing.is_set() else "The server closed the connection."

    def _lost(self, reason: str, was_open: bool) -> None:
        with self._lock:
            self.state = State.CLOSED
            self._ws = None
        self.messages.put(ConnectionLost(reason, was_open))


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host == "localhost" or host.startswith("127.") or host == "::1"


def _decode(frame: str | bytes) -> Incoming:
    message: Incoming
    try:
        if isinstance(frame, bytes):
            message = p.server_msgpack_decoder.decode(frame)
        else:
            message = p.server_json_decoder.decode(frame)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        log.warning("skipped a message the client cannot read: %s", exc)
        return Unreadable(str(exc))
    return message


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "nothing is listening there (is `agora serve` running?)"
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    return str(exc) or type(exc).__name__


def _close_reason(exc: ConnectionClosed) -> str:
    rcvd = exc.rcvd
    if rcvd is None:
        return "no close frame"
    return f"code {rcvd.code}" + (f": {rcvd.reason}" if rcvd.reason else "")
