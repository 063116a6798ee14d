"""End to end on the workshop's rules: the window against a real server with previews. The
player takes the bike lane tool, clicks two roads, previews the draft (the server's price
appears), and proposes it; the server's game holds the proposal with those interventions at
that price."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import arcade
import numpy as np
import pytest
from frames import click, grab, press, pump, save, type_text

from agora.client.connection import Connection
from agora.server import protocol as p
from agora.server.net.previews import PreviewService
from agora.server.session.rulesets import bundled
from agora.server.world.world import World, resolve_world
from tests.client.test_game_live import _on_map, phase_is, wait_for
from tests.conftest import LiveServer, serve_world

SHIFT = arcade.key.MOD_SHIFT


@pytest.fixture
def workshop(tmp_path: Path, previews: PreviewService) -> Iterator[LiveServer]:
    with serve_world(World.load(resolve_world("default")), tmp_path / "agora.db", tick_seconds=0.1,
                     previews=previews, rules=bundled("workshop"), live_edits=False) as live:
        yield live


def test_bike_lanes_drafted_with_the_palette_previewed_priced_and_proposed(workshop: LiveServer, x_display: str) -> None:
    from agora.client.window import PlayWindow

    fac = Connection(workshop.ws_url, code="", name="", token=workshop.facilitator_token)
    ada = Connection(workshop.ws_url, code=workshop.code, name="ada")
    window = PlayWindow(ada, name="ada", code=workshop.code, width=1280, height=800)
    fac.start()
    ada.start()
    try:
        wait_for(window, lambda: window.city is not None and window.game.game is not None, 30, "the welcome")
        assert [t.info.name for t in window.tool_box.tools] == list(bundled("workshop").interventions)
        for name in ("explore", "propose"):
            assert fac.send(p.AdvancePhase())
            wait_for(window, phase_is(window, name), 20, f"the {name} phase")
        pump(window, 2)

        press(window, arcade.key.KEY_7)
        assert window.tool_box.current is not None and window.tool_box.current.title == "Paint a bike lane"
        # Two collector roads whose middles are on the map and under no panel.
        city, view = window.city, window.map_view
        collector = city.road_class == city.road_class_names.index("collector")
        roads = [int(i) for i in np.flatnonzero(collector & city.car_link())
                 if _on_map(window, view.link_anchor_px(int(i), window.map_viewport))]
        a = roads[0]
        b = next(i for i in roads[1:] if i != int(city.twin[a]) and
                 np.hypot(*np.subtract(view.link_anchor_px(i, window.map_viewport),
                                       view.link_anchor_px(a, window.map_viewport))) > 30)
        click(window, *view.link_anchor_px(a, window.map_viewport))
        click(window, *view.link_anchor_px(b, window.map_viewport), SHIFT)
        assert window.draft.items == [p.AddBikeLane(links=[a, b])]
        press(window, arcade.key.P)
        wait_for(window, lambda: window.draft.showing, 180, "the preview")
        preview = window.draft.preview
        assert preview is not None
        metres = float(city.length_m[a] + city.length_m[b])
        assert preview.costs_eur == [round(60.0 * metres)] and preview.cost_eur == round(60.0 * metres)
        pump(window, 2)
        assert window.preview_panel.cost.startswith(f"Cost {_eur(preview.cost_eur)} of \u20ac25M left in the budget")
        save(grab(window), "client_tools_live_preview.png")

        press(window, arcade.key.ENTER)
        assert window.dialog.open
        type_text(window, "Bike lanes to the school")
        press(window, arcade.key.ENTER)
        wait_for(window, lambda: any(q.versions[-1].title == "Bike lanes to the school"
                                     for q in window.game.proposals()), 20, "the proposal on the board")
        assert window.draft.items == [], "the draft went to the board"
        book = workshop.runner.session.game.book
        (mine,) = book.candidates()
        assert mine.author_name == "ada" and mine.version.title == "Bike lanes to the school"
        assert mine.version.interventions == (p.AddBikeLane(links=[a, b]),)
        assert mine.version.cost_eur == preview.cost_eur and list(mine.version.costs_eur) == preview.costs_eur
        save(grab(window), "client_tools_live_proposed.png")
    finally:
        ada.close()
        fac.close()
        window.close()


def _eur(amount: int) -> str:
    from agora.client.game_state import eur
    return eur(amount)
