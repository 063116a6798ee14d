"""Players on real websockets against a real uvicorn server."""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path
from typing import Callable, Iterator

import httpx
import numpy as np
import pytest
from websockets.sync.client import ClientConnection, connect

from agora.server import protocol as p
from tests.conftest import LiveServer, make_tiny_world, serve_world


class Player:
    """A test player: sends msgpack, keeps the flows it has been told about."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.flow: np.ndarray | None = None
        self.closed: list[int] = []
        self.tick = -1
        self.layers: dict[str, np.ndarray] = {}  # quantised grid layers, as a client keeps them

    def send(self, message: p.ClientMessage) -> None:
        self.ws.send(p.msgpack_encoder.encode(message))

    def receive(self, timeout: float = 10.0) -> p.ServerMessage:
        raw = self.ws.recv(timeout=timeout)
        message = p.server_json_decoder.decode(raw) if isinstance(raw, str) else p.server_msgpack_decoder.decode(raw)
        match message:
            case p.Welcome(snapshot=snap) | p.Resync(snapshot=snap):
                self.flow = snap.flow_veh_h.to_numpy().copy()
                self.tick = snap.tick
                self.layers = {layer.name: layer.quantised() for layer in snap.layers}
            case p.Delta():
                assert self.flow is not None and message.tick == self.tick + 1, "deltas arrive in tick order"
                self.flow[message.link.to_numpy()] = message.flow_veh_h.to_numpy()
                self.closed = message.closed
                self.tick = message.tick
                for layer in message.layers:
                    self.layers[layer.name] = layer.quantised(self.layers.get(layer.name))
        return message

    def wait_for(self, want: Callable[[p.ServerMessage], bool], timeout: float = 20.0) -> p.ServerMessage:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = self.receive(timeout=max(0.01, deadline - time.monotonic()))
            if want(message):
                return message
        raise AssertionError("the expected message never came")

    def error(self) -> p.Error:
        message = self.wait_for(lambda m: isinstance(m, (p.Error, p.Accepted)))
        assert isinstance(message, p.Error), f"expected an error, got {message}"
        return message

    def ticks(self, n: int) -> None:
        target = self.tick + n
        self.wait_for(lambda m: isinstance(m, p.Delta) and m.tick >= target)


@pytest.fixture
def sockets() -> Iterator[Callable[[str], Player]]:
    """Open websockets as context managers (as websockets 17 asks) and close them all."""
    with contextlib.ExitStack() as stack:
        yield lambda url: Player(stack.enter_context(connect(url + "/ws")))


def join(open_socket: Callable[[str], Player], server: LiveServer, name: str) -> tuple[Player, p.Welcome]:
    player = open_socket(server.ws_url)
    player.send(p.Hello(code=server.code, name=name))
    welcome = player.receive()
    assert isinstance(welcome, p.Welcome), welcome
    return player, welcome


@pytest.fixture
def tiny_server(tmp_path: Path) -> Iterator[LiveServer]:
    with serve_world(make_tiny_world(), tmp_path / "agora.db", tick_seconds=0.02) as server:
        yield server


def test_closing_a_street_reroutes_traffic_for_every_player(live_server: LiveServer, sockets) -> None:  # type: ignore[no-untyped-def]
    ada, welcome = join(sockets, live_server, "ada")
    bob, _ = join(sockets, live_server, "bob")
    snap = welcome.snapshot
    assert welcome.name == "ada" and welcome.role == "player" and welcome.token
    assert snap.world == "default" and snap.grid.width == 128 and snap.grid.height == 128
    n_links = snap.network.link_from.to_numpy().shape[0]
    assert snap.flow_veh_h.to_numpy().shape == (n_links,) and snap.indicators.vehicle_hours > 0

    assert {"noise_lden_dba", "noise_lnight_dba"} <= {layer.name for layer in snap.layers}
    assert snap.indicators.impacts["residents_above_who_lden"] > 0

    ada.ticks(3)
    busiest = int(np.argmax(ada.flow))
    before = ada.flow.copy()
    loud_before = ada.layers["noise_lden_dba"].copy()
    ada.send(p.CloseLink(link=busiest))
    accepted = ada.wait_for(lambda m: isinstance(m, (p.Accepted, p.Error)))
    assert isinstance(accepted, p.Accepted) and accepted.command == "close_link" and accepted.seq == 1
    twin = int(snap.network.twin.to_numpy()[busiest])
    street = sorted({busiest, twin} - {-1})

    for player in (ada, bob):
        event = player.wait_for(lambda m: isinstance(m, p.Event))
        assert isinstance(event, p.Event)
        assert event.player == "ada" and event.links == street and event.tick == accepted.applies_at_tick
        player.ticks(3)
        assert player.flow is not None
        assert player.closed == street
        assert player.flow[street].sum() == 0.0, "a closed street carries no cars"
        moved = np.abs(player.flow - before)
        moved[street] = 0.0
        assert moved.max() > 10.0, "traffic found other routes"
    np.testing.assert_array_equal(ada.flow, bob.flow)
    for name in ada.layers:
        np.testing.assert_array_equal(ada.layers[name], bob.layers[name])
    # The street fell quiet on the noise map every player holds.
    nodes = snap.network
    a, b = nodes.link_from.to_numpy()[busiest], nodes.link_to.to_numpy()[busiest]
    x = (nodes.node_x_m.to_numpy()[a] + nodes.node_x_m.to_numpy()[b]) / 2.0
    y = (nodes.node_y_m.to_numpy()[a] + nodes.node_y_m.to_numpy()[b]) / 2.0
    cell = (int(y // snap.grid.cell_m), int(x // snap.grid.cell_m))
    assert int(ada.layers["noise_lden_dba"][cell]) < int(loud_before[cell])
    assert live_server.accepted_commands() == [("close_link", {"type": "close_link", "link": busiest})]


def test_bad_input_gets_an_error_and_the_connection_goes_on(tiny_server: LiveServer, sockets) -> None:  # type: ignore[no-untyped-def]
    player = sockets(tiny_server.ws_url)
    ws = player.ws
    player.send(p.CloseLink(link=0))
    assert player.error().code == "not_joined"
    ws.send(b"\xc1\xff not msgpack")
    assert player.error().code == "bad_frame"
    player.send(p.Hello(code=tiny_server.code, name="ada"))
    assert isinstance(player.receive(), p.Welcome)

    ws.send(b"\xc1\xff not msgpack")
    assert player.error().code == "bad_frame"
    ws.send(p.msgpack_encoder.encode({"type": "teleport", "link": 1}))
    assert player.error().code == "unknown_type"
    ws.send(p.msgpack_encoder.encode({"type": "close_link"}))
    error = player.error()
    assert error.code == "bad_message" and "link" in error.message
    ws.send(p.msgpack_encoder.encode({"type": "close_link", "link": 0, "colour": "red"}))
    assert player.error().code == "bad_message"
    player.send(p.CloseLink(link=10_000))
    assert player.error().code == "no_such_link"
    player.send(p.Hello(code=tiny_server.code, name="ada again"))
    assert player.error().code == "already_joined"
    player.send(p.CloseLink(link=2))
    assert isinstance(player.wait_for(lambda m: isinstance(m, (p.Accepted, p.Error))), p.Accepted)
    player.send(p.CloseLink(link=2))
    assert player.error().code == "already_closed"
    player.send(p.ReopenLink(link=4))
    assert player.error().code == "not_closed"
    player.send(p.ReopenLink(link=3))  # the twin of link 2: the same street
    reopened = player.wait_for(lambda m: isinstance(m, (p.Accepted, p.Error)))
    assert isinstance(reopened, p.Accepted) and reopened.seq == 2
    player.ticks(2)
    assert tiny_server.accepted_commands() == [
        ("close_link", {"type": "close_link", "link": 2}),
        ("reopen_link", {"type": "reopen_link", "link": 3}),
    ]


def test_an_edit_beyond_closures_sends_everyone_the_world_afresh(tiny_server: LiveServer, sockets) -> None:  # type: ignore[no-untyped-def]
    ada, _ = join(sockets, tiny_server, "ada")
    bob, _ = join(sockets, tiny_server, "bob")
    ada.send(p.SetSpeedLimit(links=[4, 5], speed_kmh=20.0))
    assert isinstance(ada.wait_for(lambda m: isinstance(m, (p.Accepted, p.Error))), p.Accepted)
    for player in (ada, bob):
        resync = player.wait_for(lambda m: isinstance(m, p.Resync))
        assert isinstance(resync, p.Resync)
        speeds = resync.snapshot.network.speed_kmh.to_numpy()
        assert speeds[4] == speeds[5] == 20.0
    ada.send(p.SetSpeedLimit(links=[4], speed_kmh=500.0))
    assert ada.error().code == "out_of_range"


def test_json_text_frames_are_answered_in_json(tiny_server: LiveServer) -> None:
    with connect(tiny_server.ws_url + "/ws") as ws:
        ws.send("{not json")
        assert json.loads(ws.recv(timeout=5))["code"] == "bad_frame"
        ws.send(json.dumps({"type": "hello", "code": tiny_server.code, "name": "bot"}))
        welcome = json.loads(ws.recv(timeout=5))
        assert welcome["type"] == "welcome" and welcome["snapshot"]["world"] == "tiny"
        ws.send(json.dumps({"type": "close_link", "link": "seven"}))
        while (reply := json.loads(ws.recv(timeout=5)))["type"] == "delta":
            pass  # ticks go on while the server answers
        assert reply["code"] == "bad_message"


def test_a_wrong_join_code_is_refused_and_closed(tiny_server: LiveServer, sockets) -> None:  # type: ignore[no-untyped-def]
    with connect(tiny_server.ws_url + "/ws") as ws:
        player = Player(ws)
        player.send(p.Hello(code="NOPE42", name="eve"))
        error = player.error()
        assert error.code == "bad_code" and "join code" in error.message
        with pytest.raises(Exception):  # the server closes the connection
            while True:
                ws.recv(timeout=5)
    # Others are unaffected.
    ada, _ = join(sockets, tiny_server, "ada")
    ada.ticks(1)


def test_a_player_can_reconnect_with_the_token(tiny_server: LiveServer, sockets) -> None:  # type: ignore[no-untyped-def]
    ada, welcome = join(sockets, tiny_server, "ada")
    ada.ws.close()
    again = sockets(tiny_server.ws_url)
    again.send(p.Hello(code="", name="", token=welcome.token))
    back = again.receive()
    assert isinstance(back, p.Welcome) and back.player_id == welcome.player_id and back.name == "ada"


def test_healthz_reports_version_and_ticks(tiny_server: LiveServer) -> None:
    first = httpx.get(tiny_server.http_url + "/healthz").json()
    time.sleep(0.2)
    second = httpx.get(tiny_server.http_url + "/healthz").json()
    assert first["status"] == "ok" and first["version"]
    assert [s["world"] for s in first["sessions"]] == ["tiny"]
    assert second["sessions"][0]["tick"] > first["sessions"][0]["tick"]
    schema = httpx.get(tiny_server.http_url + "/schema").json()
    assert "client_to_server" in schema and "Hello" in schema["$defs"]
