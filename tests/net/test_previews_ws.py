"""Previews over real websockets: computed in worker processes while the session ticks on."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import pytest
from websockets.sync.client import connect

from agora.server import protocol as p
from agora.server.net.previews import PreviewService
from agora.server.world.world import World, resolve_world
from tests.conftest import LiveServer, serve_world
from tests.net.test_websocket import Player, join


@pytest.fixture
def server(tmp_path: Path, previews: PreviewService) -> Iterator[LiveServer]:
    with serve_world(World.load(resolve_world("default")), tmp_path / "agora.db", previews=previews) as live:
        yield live


@pytest.fixture
def sockets() -> Iterator[Callable[[str], Player]]:
    with contextlib.ExitStack() as stack:
        yield lambda url: Player(stack.enter_context(connect(url + "/ws")))


def answer(player: Player, request: int) -> p.Preview | p.Error:
    message = player.wait_for(lambda m: isinstance(m, (p.Preview, p.Error)) and m.request == request, timeout=120.0)
    assert isinstance(message, (p.Preview, p.Error))
    return message


def test_a_preview_shows_a_closure_before_anyone_decides(server: LiveServer, sockets) -> None:  # type: ignore[no-untyped-def]
    ada, welcome = join(sockets, server, "ada")
    ada.ticks(2)
    busiest = int(np.argmax(ada.flow))
    tick_asked = ada.tick
    ada.send(p.PreviewDraft(request=7, interventions=[p.CloseLink(link=busiest)]))
    result = answer(ada, 7)
    assert isinstance(result, p.Preview), result
    assert not result.cached and result.world_version == 0 and result.hour == 8.0
    assert result.indicators_after["vehicle_hours"] > result.indicators_before["vehicle_hours"]
    links = result.link.to_numpy()
    change = dict(zip(links.tolist(), result.flow_delta_veh_h.to_numpy().tolist()))
    assert change[busiest] < -50.0 and max(change.values()) > 50.0
    layers = {layer.name: layer for layer in result.layers}
    noise = layers["noise_lden_dba_delta"]
    lden_change = noise.values(noise.quantised())
    snap = welcome.snapshot
    net = snap.network
    a, b = net.link_from.to_numpy()[busiest], net.link_to.to_numpy()[busiest]
    x = (net.node_x_m.to_numpy()[a] + net.node_x_m.to_numpy()[b]) / 2
    y = (net.node_y_m.to_numpy()[a] + net.node_y_m.to_numpy()[b]) / 2
    assert lden_change[int(y // snap.grid.cell_m), int(x // snap.grid.cell_m)] < -2.0
    assert abs(float(np.median(lden_change))) < 0.5  # far from the street, little changes
    # Whom it helps and whom it hurts: the workshop's personas, scored on the preview.
    scores = result.persona_scores
    assert {"resident", "commuter", "cyclist", "ecologist"} <= set(scores)
    assert scores["commuter"] < 0.0, "detours: longer car trips hurt the commuter"
    # A sandbox previews what its players may do directly; the workshop's catalogue (the
    # default rules) prices it when it offers it: a modal filter on a collector or local street.
    names = snap.network.road_class_names
    filtered = names[int(snap.network.road_class.to_numpy()[busiest])] in ("collector", "local")
    assert (result.cost_eur, result.costs_eur) == ((10_000, [10_000]) if filtered else (0, []))
    # The session ticked on while the preview was computed, and nothing was changed.
    assert ada.tick > tick_asked
    assert server.accepted_commands() == []
    assert not ada.closed

    # The same draft again: from the cache.
    ada.send(p.PreviewDraft(request=8, interventions=[p.CloseLink(link=busiest)]))
    again = answer(ada, 8)
    assert isinstance(again, p.Preview) and again.cached
    assert again.indicators_after == result.indicators_after


def test_a_draft_that_cannot_apply_is_refused_by_number(server: LiveServer, sockets) -> None:  # type: ignore[no-untyped-def]
    bob, _ = join(sockets, server, "bob")
    bob.send(p.PreviewDraft(request=3, interventions=[p.SetToll(links=[40], toll_eur=2.0), p.CloseLink(link=99999)]))
    refused = answer(bob, 3)
    assert isinstance(refused, p.Error) and refused.code == "no_such_link"
    assert refused.message.startswith("Intervention 2 of the draft:")
    bob.send(p.PreviewDraft(request=4, interventions=[]))
    empty = answer(bob, 4)
    assert isinstance(empty, p.Error) and empty.code == "bad_draft"
    bob.ticks(2)  # the session goes on
