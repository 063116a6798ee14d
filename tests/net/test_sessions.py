"""Several sessions on one server, created over HTTP by whoever holds the admin token."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Callable, Iterator

import httpx
import pytest
from websockets.sync.client import connect

from agora.server import protocol as p
from agora.server.net.app import create_app
from agora.server.net.sessions import SessionRegistry
from agora.server.store.eventlog import EventLog
from tests.conftest import serve_app
from tests.net.test_websocket import Player

ADMIN = "s3cret-admin"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    registry = SessionRegistry(EventLog(tmp_path / "agora.db"), tick_seconds=0.05)
    with serve_app(create_app(registry, admin_token=ADMIN)) as address:
        yield address


@pytest.fixture
def sockets() -> Iterator[Callable[[str], Player]]:
    with contextlib.ExitStack() as stack:
        yield lambda address: Player(stack.enter_context(connect(f"ws://{address}/ws")))


def create(address: str, **body: object) -> httpx.Response:
    return httpx.post(f"http://{address}/sessions", json=body, headers={"Authorization": f"Bearer {ADMIN}"},
                      timeout=300.0)


def hello(player: Player, **fields: str) -> p.Welcome | p.Error:
    player.send(p.Hello(**fields))  # type: ignore[arg-type]
    message = player.wait_for(lambda m: isinstance(m, (p.Welcome, p.Error)))
    assert isinstance(message, (p.Welcome, p.Error))
    return message


def test_sessions_need_the_admin_token_and_a_known_world(server: str) -> None:
    refused = httpx.post(f"http://{server}/sessions", json={"world": "default"})
    assert refused.status_code == 401 and refused.json()["code"] == "not_authorised"
    wrong = httpx.post(f"http://{server}/sessions", json={}, headers={"Authorization": "Bearer guess"})
    assert wrong.status_code == 401
    unknown = create(server, world="atlantis")
    assert unknown.status_code == 400 and unknown.json()["code"] == "no_such_world"
    assert "atlantis" in unknown.json()["message"]
    bad = create(server, world="default", tick_seconds=-1)
    assert bad.status_code == 400 and bad.json()["code"] == "bad_request"
    assert httpx.get(f"http://{server}/protocol.json").json()["client_to_server"]


def test_two_sessions_side_by_side_with_players_observers_and_a_facilitator(server: str, sockets) -> None:  # type: ignore[no-untyped-def]
    one, two = create(server, world="default").json(), create(server, world="default").json()
    assert one["session"] != two["session"] and one["code"] != two["code"]
    listed = httpx.get(f"http://{server}/sessions", headers={"Authorization": f"Bearer {ADMIN}"}).json()
    assert {s["id"] for s in listed} == {one["session"], two["session"]}

    ada, eve, fay, bob = (sockets(server) for _ in range(4))
    ada_welcome = hello(ada, code=one["code"], name="ada")
    eve_welcome = hello(eve, code=one["observer_code"], name="eve")
    fay_welcome = hello(fay, code="", name="", token=one["facilitator_token"])
    bob_welcome = hello(bob, code=two["code"].lower(), name="bob")
    assert isinstance(ada_welcome, p.Welcome) and ada_welcome.role == "player"
    assert isinstance(eve_welcome, p.Welcome) and eve_welcome.role == "observer"
    assert isinstance(fay_welcome, p.Welcome) and fay_welcome.role == "facilitator"
    assert isinstance(bob_welcome, p.Welcome) and bob_welcome.snapshot.session == two["session"]

    eve.send(p.CloseLink(link=40))
    assert eve.error().code == "not_allowed"  # observers change nothing
    ada.send(p.CloseLink(link=40))
    event = ada.wait_for(lambda m: isinstance(m, p.Event))
    assert isinstance(event, p.Event) and 40 in event.links
    eve.wait_for(lambda m: isinstance(m, p.Event))  # everyone in session one hears of it
    bob.ticks(5)
    assert bob.closed == [], "session two's world is its own"
