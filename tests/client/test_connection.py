"""The connection thread against a tiny websockets server that speaks Agora's protocol."""

from __future__ import annotations

import queue
import random
import socket
import threading
import time
from typing import Iterator

import pytest
import towns
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

from agora.client.connection import (
    Connection,
    ConnectionLost,
    ConnectionOpened,
    Incoming,
    Reconnected,
    Reconnecting,
    State,
    websocket_url,
)
from agora.client.reconnect import Backoff, LinkState, SessionLink
from agora.server import protocol as p

CODE = "TESTME"


class TinyServer:
    """Welcomes players with the right code, answers close/reopen like the real server."""

    def __init__(self) -> None:
        self.world = towns.small_world()
        self.flow = towns.flows_at(self.world, 0.5)
        self.received: list[object] = []
        self.paths: list[str] = []
        self.server: Server = serve(self.handle, "127.0.0.1", 0)
        self.url = "ws://127.0.0.1:%d" % self.server.socket.getsockname()[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def handle(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        self.paths.append(ws.request.path)
        hello = p.client_msgpack_decoder.decode(ws.recv())
        self.received.append(hello)
        if not isinstance(hello, p.Hello) or hello.code != CODE:
            ws.send(p.msgpack_encoder.encode(p.Error(code="bad_code", message=f"No session has the join code {hello.code}.")))  # type: ignore[union-attr]
            ws.close(1008, "bad code")
            return
        ws.send(p.msgpack_encoder.encode(towns.welcome(self.world, self.flow, name=hello.name)))
        seq, tick, closed = 0, 7, []
        try:
            for frame in ws:
                command = p.client_msgpack_decoder.decode(frame)  # type: ignore[arg-type]
                self.received.append(command)
                if isinstance(command, p.CloseLink | p.ReopenLink):
                    seq, tick = seq + 1, tick + 1
                    twin = int(self.world.network.twin[command.link])
                    links = [command.link] + ([twin] if twin >= 0 else [])
                    tag = "close_link" if isinstance(command, p.CloseLink) else "reopen_link"
                    closed = sorted(set(closed) | set(links)) if tag == "close_link" else sorted(set(closed) - set(links))
                    ws.send(p.msgpack_encoder.encode(p.Accepted(command=tag, seq=seq, applies_at_tick=tick)))
                    ws.send(p.msgpack_encoder.encode(p.Event(tick=tick, player=hello.name, command=tag, links=links)))
                    ws.send(p.msgpack_encoder.encode(towns.delta(self.world, self.flow, self.flow, tick, tuple(closed))))
        except ConnectionClosed:
            pass


@pytest.fixture
def tiny_server() -> Iterator[TinyServer]:
    server = TinyServer()
    server.thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.thread.join(timeout=5)


def next_of(q: queue.Queue[Incoming], kind: type, timeout: float = 10.0) -> Incoming:
    """The next message of a type, skipping others; fails the test after timeout."""
    while True:
        try:
            message = q.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"no {kind.__name__} arrived within {timeout} s")
        if isinstance(message, kind):
            return message


@pytest.mark.parametrize(
    ("server", "url"),
    [
        ("ws://127.0.0.1:8000", "ws://127.0.0.1:8000/ws"),
        ("ws://127.0.0.1:8000/", "ws://127.0.0.1:8000/ws"),
        ("ws://example.org/agora/ws", "ws://example.org/agora/ws"),
        ("http://127.0.0.1:8000", "ws://127.0.0.1:8000/ws"),
        ("https://agora.example.org", "wss://agora.example.org/ws"),
        ("127.0.0.1:8000", "ws://127.0.0.1:8000/ws"),
    ],
)
def test_websocket_url(server: str, url: str) -> None:
    assert websocket_url(server) == url


def test_websocket_url_refuses_other_schemes() -> None:
    with pytest.raises(ValueError, match="ws://"):
        websocket_url("ftp://example.org")


def test_join_receive_and_send_a_command(tiny_server: TinyServer) -> None:
    conn = Connection(tiny_server.url, code=CODE, name="ada")
    conn.start()
    try:
        assert isinstance(conn.messages.get(timeout=10), ConnectionOpened)
        welcome = next_of(conn.messages, p.Welcome)
        assert isinstance(welcome, p.Welcome) and welcome.name == "ada"
        assert welcome.snapshot.network.link_from.to_numpy().shape == (tiny_server.world.network.n_links,)
        assert conn.state is State.OPEN
        assert conn.send(p.CloseLink(link=8))
        assert next_of(conn.messages, p.Accepted) == p.Accepted(command="close_link", seq=1, applies_at_tick=8)
        event = next_of(conn.messages, p.Event)
        assert isinstance(event, p.Event) and event.links == [8, 9]
        delta = next_of(conn.messages, p.Delta)
        assert isinstance(delta, p.Delta) and delta.closed == [8, 9]
    finally:
        conn.close()
    assert tiny_server.paths == ["/ws"]
    assert tiny_server.received[:2] == [p.Hello(code=CODE, name="ada"), p.CloseLink(link=8)]
    assert isinstance(next_of(conn.messages, ConnectionLost), ConnectionLost)
    assert conn.state is State.CLOSED
    assert not conn.send(p.CloseLink(link=8))


def test_a_wrong_code_gives_the_error_then_a_lost_connection(tiny_server: TinyServer) -> None:
    conn = Connection(tiny_server.url, code="NOPE", name="ada")
    conn.start()
    try:
        error = next_of(conn.messages, p.Error)
        assert error == p.Error(code="bad_code", message="No session has the join code NOPE.")
        lost = next_of(conn.messages, ConnectionLost)
        assert isinstance(lost, ConnectionLost) and lost.was_open
        assert "1008" in lost.reason
    finally:
        conn.close()


def test_an_unreachable_server_becomes_a_message() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    conn = Connection(f"ws://127.0.0.1:{port}", code=CODE, name="ada")
    conn.start()
    lost = next_of(conn.messages, ConnectionLost)
    assert isinstance(lost, ConnectionLost) and not lost.was_open
    assert lost.reason.startswith(f"No answer from ws://127.0.0.1:{port}/ws: nothing is listening there")
    assert not conn.send(p.CloseLink(link=1))
    conn.close()


def test_the_window_and_the_connection_together(tiny_server: TinyServer, x_display: str) -> None:
    """A click on a road and C reach the server; its answer closes the road on screen."""
    import time

    import arcade
    from frames import click, grab, press, pump, save

    from agora.client.window import PlayWindow

    conn = Connection(tiny_server.url, code=CODE, name="ada")
    window = PlayWindow(conn, name="ada", code=CODE, width=1024, height=700)
    conn.start()
    try:
        deadline = time.monotonic() + 10
        while window.city is None and time.monotonic() < deadline:
            pump(window, 1)
        assert window.city is not None, window.status
        link = towns.link_between(tiny_server.world, 5, 6)
        click(window, *window.map_view.link_anchor_px(link, window.map_viewport))
        press(window, arcade.key.C)
        while not window.city.closed[link] and time.monotonic() < deadline:
            pump(window, 1)
        assert window.city.closed[link]
        assert p.CloseLink(link=link) in tiny_server.received
        save(grab(window), "client_tiny_server.png")
    finally:
        conn.close()
        window.close()


# -- SessionLink: rejoining with the token after a drop --------------------------------


class RestartableServer:
    """Welcomes the code with token "t0k", and the token itself while `knows_token`;
    stop() drops every connection, start() listens again on the same port."""

    def __init__(self) -> None:
        self.world = towns.small_world()
        self.flow = towns.flows_at(self.world, 0.5)
        self.hellos: list[p.Hello] = []
        self.knows_token = True
        self.port = 0
        self.server: Server | None = None
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.server = serve(self.handle, "127.0.0.1", self.port)
        self.port = self.server.socket.getsockname()[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        assert self.server is not None and self.thread is not None
        self.server.shutdown()  # closes the open connections too (1001)
        self.thread.join(timeout=5)

    def handle(self, ws: ServerConnection) -> None:
        hello = p.client_msgpack_decoder.decode(ws.recv())
        assert isinstance(hello, p.Hello)
        self.hellos.append(hello)
        if hello.token and not self.knows_token:
            ws.send(p.msgpack_encoder.encode(p.Error("bad_token", "That reconnect token belongs to no player.")))
            ws.close()
            return
        if not hello.token and hello.code != CODE:
            ws.send(p.msgpack_encoder.encode(p.Error("session_full", "This session is full.")))
            ws.close()
            return
        ws.send(p.msgpack_encoder.encode(towns.welcome(self.world, self.flow, name="ada")))
        try:
            for frame in ws:
                # A chat line: the facilitator has removed the player meanwhile.
                if isinstance(p.client_msgpack_decoder.decode(frame), p.Chat):  # type: ignore[arg-type]
                    ws.send(p.msgpack_encoder.encode(p.Error("removed", "The facilitator has removed you from this session.")))
                    ws.close()
        except ConnectionClosed:
            pass


@pytest.fixture
def restartable() -> Iterator[RestartableServer]:
    server = RestartableServer()
    server.start()
    yield server
    if server.thread is not None and server.thread.is_alive():
        server.stop()


FAST = Backoff(first_s=0.05, factor=2.0, most_s=0.2, jitter=0.0)


def test_the_backoff_doubles_from_half_a_second_to_five() -> None:
    rng = random.Random(1)
    assert [Backoff(jitter=0.0).delay(n, rng) for n in range(1, 8)] == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0, 5.0]
    spread = [Backoff().delay(9, rng) for _ in range(200)]
    assert 4.5 <= min(spread) < 4.8 and 5.2 < max(spread) <= 5.5


def test_a_dropped_link_rejoins_with_its_token_by_itself(restartable: RestartableServer) -> None:
    link = SessionLink(restartable.url, code=CODE, name="ada", backoff=FAST)
    link.start()
    try:
        assert next_of(link.messages, p.Welcome).token == "t0k"  # type: ignore[union-attr]
        assert link.state is LinkState.JOINED and link.send(p.CloseLink(link=1))
        restartable.stop()
        first = next_of(link.messages, Reconnecting)
        assert isinstance(first, Reconnecting) and first.attempt == 1
        assert first.title == "Connection lost - reconnecting (attempt 1)..."
        assert first.reason == "The server closed the connection."
        second = next_of(link.messages, Reconnecting)
        assert isinstance(second, Reconnecting) and second.attempt == 2
        assert "nothing is listening there" in second.reason
        assert not link.send(p.CloseLink(link=1))  # nothing to send on while away
        restartable.start()
        assert isinstance(next_of(link.messages, p.Welcome), p.Welcome)
        back = next_of(link.messages, Reconnected)
        assert isinstance(back, Reconnected) and back.attempts >= 2
        assert link.state is LinkState.JOINED and link.attempt == 0
        assert restartable.hellos[0] == p.Hello(code=CODE, name="ada")
        assert restartable.hellos[-1] == p.Hello(code=CODE, name="ada", token="t0k")
    finally:
        link.close()
    assert link.state is LinkState.STOPPED
    assert isinstance(next_of(link.messages, ConnectionLost), ConnectionLost)


def test_a_refused_token_stops_the_tries_and_says_why(restartable: RestartableServer) -> None:
    link = SessionLink(restartable.url, code=CODE, name="ada", backoff=FAST)
    link.start()
    try:
        next_of(link.messages, p.Welcome)
        restartable.knows_token = False
        restartable.stop()
        restartable.start()
        lost = next_of(link.messages, ConnectionLost)
        assert isinstance(lost, ConnectionLost) and lost.was_open
        assert lost.reason.startswith("The server no longer knows this player")
        assert link.state is LinkState.STOPPED and link.refusal is not None and link.refusal.code == "bad_token"
        tries = len(restartable.hellos)
        time.sleep(0.5)
        assert len(restartable.hellos) == tries, "no tries after the refusal"
    finally:
        link.close()


def test_a_removed_player_is_told_and_not_brought_back(restartable: RestartableServer) -> None:
    link = SessionLink(restartable.url, code=CODE, name="ada", backoff=FAST)
    link.start()
    try:
        next_of(link.messages, p.Welcome)
        assert link.send(p.Chat(text="hello"))
        error = next_of(link.messages, p.Error)
        assert isinstance(error, p.Error) and error.code == "removed"  # shown as it comes
        lost = next_of(link.messages, ConnectionLost)
        assert isinstance(lost, ConnectionLost) and lost.reason == "The facilitator has removed you from this session."
        time.sleep(0.3)
        assert len(restartable.hellos) == 1 and link.state is LinkState.STOPPED
    finally:
        link.close()


def test_a_first_connection_that_fails_is_not_tried_again(restartable: RestartableServer) -> None:
    link = SessionLink(restartable.url, code="WRONG1", name="ada", backoff=FAST)
    link.start()
    try:
        error = next_of(link.messages, p.Error)
        assert isinstance(error, p.Error) and error.code == "session_full"
        assert isinstance(next_of(link.messages, ConnectionLost), ConnectionLost)
        time.sleep(0.3)
        assert len(restartable.hellos) == 1 and link.state is LinkState.STOPPED
        assert not any(isinstance(m, Reconnecting) for m in list(link.messages.queue))
    finally:
        link.close()
    with pytest.raises(ValueError, match="ws://"):
        SessionLink("ftp://example.org", code=CODE, name="ada")
