"""End to end on the demo rule set: the window against a real server with previews, a
facilitator running the phases over another connection. The player picks a street, previews
closing it, proposes it with a typed title, approves it in the vote and sees the count; the
server's log shows each."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Iterator

import arcade
import numpy as np
import pytest
from frames import click, grab, press, pump, save, type_text, wait_for

from agora.client.connection import Connection
from agora.server import protocol as p
from agora.server.net.previews import PreviewService
from agora.server.session.rulesets import bundled
from agora.server.world.world import World, resolve_world
from tests.conftest import LiveServer, serve_world


@pytest.fixture
def demo_server(tmp_path: Path, previews: PreviewService) -> Iterator[LiveServer]:
    with serve_world(World.load(resolve_world("default")), tmp_path / "agora.db", tick_seconds=0.1,
                     previews=previews, rules=bundled("demo"), live_edits=False) as live:
        yield live


def phase_is(window, name: str):  # type: ignore[no-untyped-def]
    return lambda: window.game.game is not None and window.game.game.phase.name == name


def test_preview_propose_and_vote_against_a_real_server(demo_server: LiveServer, x_display: str) -> None:
    from agora.client.window import PlayWindow

    fac = Connection(demo_server.ws_url, code="", name="", token=demo_server.facilitator_token)
    ada = Connection(demo_server.ws_url, code=demo_server.code, name="ada")
    window = PlayWindow(ada, name="ada", code=demo_server.code, width=1280, height=800)
    fac.start()
    ada.start()
    try:
        wait_for(window, lambda: window.city is not None and window.game.game is not None, 30, "the welcome")
        assert window.game.clock(time.monotonic()).title == "Not started yet"
        for name in ("explore", "propose"):
            assert fac.send(p.AdvancePhase())
            wait_for(window, phase_is(window, name), 20, f"the {name} phase")
        pump(window, 2)

        # The busiest two-way local or collector street (the demo closes only those) whose
        # middle is on the map and under no panel.
        city, view = window.city, window.map_view
        quiet = np.isin(city.road_class, [city.road_class_names.index(n) for n in ("collector", "local")])
        flow = np.where(quiet & (city.twin >= 0) & ~city.closed, city.flow_veh_h, -1.0)
        street = next(int(i) for i in np.argsort(-flow) if flow[i] > 0 and _on_map(window, view.link_anchor_px(int(i), window.map_viewport)))
        click(window, *view.link_anchor_px(street, window.map_viewport))
        assert window.draft.links == [street]
        press(window, arcade.key.P)
        wait_for(window, lambda: window.draft.showing, 180, "the preview")
        image = grab(window)
        save(image, "client_live_preview.png")
        preview = window.draft.preview
        assert preview is not None and preview.request == 1
        assert window.preview_panel.rows, "the preview moves no indicator"
        # The demo's personas, each scored by the server.
        assert {name for name, _, _ in window.preview_panel.bars} == set(preview.persona_scores) != set()
        assert window.layers.delta is not None

        press(window, arcade.key.ENTER)
        assert window.dialog.open
        type_text(window, "Quiet street for the school")
        press(window, arcade.key.ENTER)
        wait_for(window, lambda: any(q.versions[-1].title == "Quiet street for the school"
                                     for q in window.game.proposals()), 20, "the proposal on the board")
        mine = next(q for q in window.game.proposals() if q.versions[-1].title == "Quiet street for the school")
        assert window.game.selected == mine.id and mine.author == "ada" and mine.status == "submitted"
        assert not window.draft.showing
        logged = demo_server.accepted_commands()
        assert ("propose", {"type": "propose", "title": "Quiet street for the school",
                            "interventions": [{"type": "close_link", "link": street}], "rationale": "",
                            "draft": False}) in logged, logged
        save(grab(window), "client_live_proposed.png")

        assert fac.send(p.AdvancePhase())
        wait_for(window, phase_is(window, "vote"), 20, "the vote phase")
        pump(window, 2)
        row = next(r for r in window.board.rows if r.proposal == mine.id)
        assert row.box is not None
        click(window, row.box[0] + 8, row.box[1] + 8)
        assert window.game.approvals == {mine.id}
        press(window, arcade.key.V)
        wait_for(window, lambda: window.game.voted, 20, "the ballot")
        assert ("vote", {"type": "vote", "approve": [mine.id], "choices": None}) in demo_server.accepted_commands()

        assert fac.send(p.CountVotes())
        wait_for(window, lambda: window.game.result is not None, 20, "the count")
        assert window.game.result is not None and window.game.result.winners == [mine.id]
        pump(window, 2)
        texts = [t.text for pool in window.board._pools for t in pool.used]
        assert "RESULT OF THE VOTE" in texts
        save(grab(window), "client_live_counted.png")
    finally:
        ada.close()
        fac.close()
        window.close()


def _on_map(window, xy: tuple[float, float]) -> bool:  # type: ignore[no-untyped-def]
    area = window.hud.map_area(*window.get_size())
    x, y = xy
    inside = area.left + 20 < x < area.left + area.width - 20 and area.bottom + 20 < y < area.bottom + area.height - 20
    return inside and not window.hud.covers(x, y)
