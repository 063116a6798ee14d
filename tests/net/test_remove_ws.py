"""The facilitator removes a player: the player is told, disconnected, and cannot come back."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator

import pytest
from websockets.exceptions import ConnectionClosed

from agora.server import protocol as p
from agora.server.session.rulesets import bundled
from agora.server.world.world import World, resolve_world
from tests.conftest import LiveServer, serve_world
from tests.net.test_websocket import Player
from tests.net.test_workshop_ws import accepted, enter, sockets  # noqa: F401 (fixture)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    with serve_world(World.load(resolve_world("default")), tmp_path / "agora.db", tick_seconds=0.1,
                     rules=bundled("demo")) as live:
        yield live


def test_a_removed_player_is_shown_out_and_stays_out(server: LiveServer, sockets: Callable[[str], Player]) -> None:  # noqa: F811
    fac, _ = enter(sockets, server, token=server.facilitator_token)
    troll, welcome = enter(sockets, server, code=server.code, name="troll")
    accepted(fac, p.Remove(player=welcome.player_id))
    told = troll.wait_for(lambda m: isinstance(m, p.Error))
    assert isinstance(told, p.Error) and told.code == "removed"
    with pytest.raises(ConnectionClosed):
        troll.receive(timeout=5.0)
    again = sockets(server.ws_url)
    again.send(p.Hello(code="", name="", token=welcome.token))
    refused = again.wait_for(lambda m: isinstance(m, p.Error))
    assert isinstance(refused, p.Error) and refused.code == "removed"
    fac.ticks(2)  # the session goes on
