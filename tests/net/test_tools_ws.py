"""The catalogue and the price of a draft over real websockets, on the workshop's rules:
Welcome carries every intervention the rule set offers; a preview comes back priced as a
proposal of the same draft is; a draft the rules refuse is refused with the rule's sentence,
before anything is simulated."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import pytest
from websockets.sync.client import connect

from agora.server import protocol as p
from agora.server.net.previews import PreviewService
from agora.server.session.rulesets import bundled
from agora.server.world.world import World, resolve_world
from tests.conftest import LiveServer, serve_world
from tests.net.test_websocket import Player
from tests.net.test_workshop_ws import accepted, game, phase

RULES = bundled("workshop")


@pytest.fixture
def sockets() -> Iterator[Callable[[str], Player]]:
    with contextlib.ExitStack() as stack:
        yield lambda url: Player(stack.enter_context(connect(url + "/ws", max_size=None, max_queue=None, ping_interval=None)))


def answer(player: Player, request: int) -> p.Preview | p.Error:
    message = player.wait_for(lambda m: isinstance(m, (p.Preview, p.Error)) and m.request == request, timeout=120.0)
    assert isinstance(message, (p.Preview, p.Error))
    return message


def enter_workshop(sockets: Callable[[str], Player], server: LiveServer, **hello: str) -> tuple[Player, p.Welcome]:
    player = sockets(server.ws_url)
    player.send(p.Hello(**{"code": "", "name": "", **hello}))  # type: ignore[arg-type]
    welcome = player.receive()
    assert isinstance(welcome, p.Welcome), welcome
    return player, welcome


def test_the_catalogue_arrives_and_previews_are_priced_by_the_rules(tmp_path: Path, previews: PreviewService,
                                                                   sockets) -> None:  # type: ignore[no-untyped-def]
    with serve_world(World.load(resolve_world("default")), tmp_path / "agora.db", tick_seconds=0.1,
                     previews=previews, rules=RULES, live_edits=False) as server:
        fac, _ = enter_workshop(sockets, server, token=server.facilitator_token)
        ada, welcome = enter_workshop(sockets, server, code=server.code, name="ada")

        # Every entry of workshop.toml, in the file's order, with its placement, parameters and cost.
        shown = {entry.name: entry for entry in welcome.catalogue}
        assert list(shown) == list(RULES.interventions)
        bike = shown["add_bike_lane"]
        assert (bike.title, bike.edit, bike.placement.on) == ("Paint a bike lane", "add_bike_lane", "links")
        assert bike.placement.road_classes == ["arterial", "collector", "local"] and bike.placement.max_count == 40
        assert (bike.cost.eur, bike.cost.per) == (60.0, "m") and "Berlin" in bike.cost.source
        toll = shown["set_toll"].parameters[0]
        assert (toll.name, toll.title, toll.unit, toll.min, toll.max, toll.default) == (
            "toll_eur", "Toll per passage", "EUR", 0.0, 5.0, 2)
        assert shown["add_road"].parameters[0].choices == ["collector", "local"]
        assert shown["make_park"].placement.land_uses == ["GRASS", "INDUSTRY"]
        assert shown["add_bus_line"].cost.divided_by == "headway_min"

        net = welcome.snapshot.network
        names = net.road_class_names
        road_class = net.road_class.to_numpy()
        length = net.length_m.to_numpy()
        collectors = [int(i) for i in np.flatnonzero(road_class == names.index("collector"))[:2]]
        local = int(np.flatnonzero(road_class == names.index("local"))[0])
        accepted(fac, p.AdvancePhase())
        game(ada, phase("explore"))

        # Refused by the rules, at once and by number: the rule's own sentence.
        ada.send(p.PreviewDraft(request=1, interventions=[p.SetLanes(links=[local], lanes=2)]))
        wrong = answer(ada, 1)
        assert isinstance(wrong, p.Error) and wrong.code == "wrong_road_class"
        assert f"link {local} is a local road; this goes on arterial or collector roads" in wrong.message
        ada.send(p.PreviewDraft(request=2, interventions=[p.SetToll(links=collectors, toll_eur=9.0)]))
        steep = answer(ada, 2)
        assert isinstance(steep, p.Error) and steep.code == "out_of_range"
        assert "Toll per passage must lie between 0 and 5 EUR; 9 is outside" in steep.message
        ada.send(p.PreviewDraft(request=3, interventions=[p.AddBusLane(links=collectors * 11)]))
        many = answer(ada, 3)
        assert isinstance(many, p.Error) and many.code == "too_many_places" and "at most 20 links, not 22" in many.message

        # Priced as a proposal: EUR 60 a metre of bike lane, EUR 10,000 a modal filter.
        draft: list[p.Command] = [p.AddBikeLane(links=collectors), p.CloseLink(link=local)]
        ada.send(p.PreviewDraft(request=4, interventions=draft))
        priced = answer(ada, 4)
        assert isinstance(priced, p.Preview), priced
        bike_eur = round(60.0 * float(length[collectors].sum()))
        assert priced.costs_eur == [bike_eur, 10_000] and priced.cost_eur == bike_eur + 10_000
        accepted(fac, p.AdvancePhase())
        game(ada, phase("propose"))
        accepted(ada, p.Propose(title="Bikes and a quiet street", interventions=draft))
        board = game(ada, lambda g: len(g.proposals) == 1)
        assert board.proposals[0].versions[-1].costs_eur == priced.costs_eur
        assert board.proposals[0].versions[-1].cost_eur == priced.cost_eur
        assert not ada.closed and not fac.closed


def test_a_sandbox_sends_the_default_rules_catalogue(live_server: LiveServer,
                                                        sockets) -> None:  # type: ignore[no-untyped-def]
    # live_server runs no previews: the catalogue is the workshop's, the session's default rules.
    ada, welcome = enter_workshop(sockets, live_server, code=live_server.code, name="ada")
    assert [entry.name for entry in welcome.catalogue] == list(RULES.interventions)
