"""The proposal board against a real server (demo rule set, previews on): a second player's
proposal is opened and previewed on the map, commented on and a comment of its author's
replied to; then the window's player amends her own proposal (its preview answered from the
server's cache) and withdraws it with a reason. The Game messages and the session's log
show each."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import arcade
import numpy as np
import pyglet
import pytest
from frames import click, grab, press, pump, save, send_events, type_text, wait_for

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


def on_map(window, xy: tuple[float, float]) -> bool:  # type: ignore[no-untyped-def]
    area = window.hud.map_area(*window.get_size())
    x, y = xy
    inside = area.left + 20 < x < area.left + area.width - 20 and area.bottom + 60 < y < area.bottom + area.height - 60
    return inside and not window.hud.covers(x, y)


def two_streets(window) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """The two busiest two-way local or collector streets (the demo closes only those) whose
    middles are on the map, under no panel."""
    city, view = window.city, window.map_view
    quiet = np.isin(city.road_class, [city.road_class_names.index(n) for n in ("collector", "local")])
    flow = np.where(quiet & (city.twin >= 0) & ~city.closed, city.flow_veh_h, -1.0)
    found: list[int] = []
    for i in (int(i) for i in np.argsort(-flow)):
        if flow[i] > 0 and on_map(window, view.link_anchor_px(i, window.map_viewport)) and \
                all(i != j and int(city.twin[j]) != i for j in found):
            found.append(i)
        if len(found) == 2:
            return found[0], found[1]
    pytest.fail("no two open streets on the map")


def comment_in_view(window, cid: int):  # type: ignore[no-untyped-def]
    """Turn the wheel over the open proposal until the comment is wholly in view; its box."""
    view = window.board.open
    for _ in range(60):
        pump(window, 1)
        box = next((b for b in view.comments if b.key == cid), None)
        top = view.view.bottom + view.view.height if view.view else 0
        if box is not None and view.view is not None and box.bottom >= view.view.bottom and box.bottom + box.height <= top:
            return box
        if view.view is not None:
            send_events(window, ("on_mouse_scroll", int(view.view.left + 20), int(view.view.bottom + 20), 0.0, -1.0))
    pytest.fail(f"comment {cid} never came into view")


def test_a_proposal_is_previewed_discussed_amended_and_withdrawn_on_a_real_server(demo_server: LiveServer,
                                                                                  x_display: str) -> None:
    from agora.client.window import PlayWindow

    fac = Connection(demo_server.ws_url, code="", name="", token=demo_server.facilitator_token)
    bob = Connection(demo_server.ws_url, code=demo_server.code, name="bob")
    ada = Connection(demo_server.ws_url, code=demo_server.code, name="ada")
    window = PlayWindow(ada, name="ada", code=demo_server.code, width=1280, height=800)
    for conn in (fac, bob, ada):
        conn.start()
    try:
        wait_for(window, lambda: window.city is not None and window.game.game is not None, 30, "the welcome")
        for name in ("explore", "propose"):
            assert fac.send(p.AdvancePhase())
            wait_for(window, lambda: window.game.game.phase.name == name, 20, f"the {name} phase")
        pump(window, 2)
        street, other = two_streets(window)

        # Bob proposes; ada opens his proposal and previews it.
        assert bob.send(p.Propose(title="Quiet street by the school", interventions=[p.CloseLink(link=street)]))
        wait_for(window, lambda: any(q.author == "bob" for q in window.game.proposals()), 20, "bob's proposal")
        theirs = next(q for q in window.game.proposals() if q.author == "bob")
        pump(window, 2)
        row = next(r for r in window.board.rows if r.proposal == theirs.id)
        click(window, row.left + row.width / 2, row.bottom + row.height / 2)
        assert window.game.selected == theirs.id
        pump(window, 1)
        assert any(t.text == "not previewed yet  \u00b7  O to preview" for t in window.board.small.used)
        press(window, arcade.key.O)
        pump(window, 1)
        assert "Preview of proposal #%d" % theirs.id in window.preview_panel.texts()
        fresh_s = wait_for(window, lambda: window.draft.showing, 240, "the proposal's preview")
        assert window.draft.preview is not None and not window.draft.preview.cached
        assert window.draft.previewed == [p.CloseLink(link=street)]
        assert window.preview_panel.rows and window.preview_panel.bars
        save(grab(window), "client_live_board_preview.png")
        press(window, arcade.key.ESCAPE)
        pump(window, 2)
        headline = window.board.previews.headline(window.game.proposal(theirs.id))
        assert headline is not None and len(headline.figures) == 3
        for figure, words in zip(headline.figures, ("in cars", "CO2", "people >53 dB")):
            assert figure.text.endswith(words), figure
        shown = [t.text for t in window.board.small.used]
        assert headline.figures[0].text in shown, shown

        # A comment; bob answers it; ada replies to bob's answer.
        press(window, arcade.key.K)
        type_text(window, "Where do the buses go?")
        press(window, arcade.key.ENTER)
        wait_for(window, lambda: len(window.game.proposal(theirs.id).comments) == 1, 20, "ada's comment")
        asked = window.game.proposal(theirs.id).comments[0]
        assert (asked.author, asked.text, asked.parent) == ("ada", "Where do the buses go?", None)
        assert bob.send(p.Comment(proposal=theirs.id, text="They keep their route.", parent=asked.id))
        wait_for(window, lambda: len(window.game.proposal(theirs.id).comments) == 2, 20, "bob's answer")
        answer = window.game.proposal(theirs.id).comments[1]
        box = comment_in_view(window, answer.id)
        click(window, box.left + 60, box.bottom + box.height / 2)
        assert window.game.picked_comment() == answer
        press(window, arcade.key.R)
        type_text(window, "Good, thank you.")
        press(window, arcade.key.ENTER)
        wait_for(window, lambda: len(window.game.proposal(theirs.id).comments) == 3, 20, "ada's reply")
        reply = window.game.proposal(theirs.id).comments[2]
        assert (reply.author, reply.text, reply.parent, reply.depth) == ("ada", "Good, thank you.", answer.id, 2)
        save(grab(window), "client_live_board_thread.png")

        # Ada's own proposal closes the other street; she amends it to close bob's street
        # instead (the server answers that preview from its cache), then withdraws it.
        assert ada.send(p.Propose(title="Calm the other street", interventions=[p.CloseLink(link=other)]))
        wait_for(window, lambda: any(q.author == "ada" for q in window.game.proposals()), 20, "ada's proposal")
        own = next(q for q in window.game.proposals() if q.author == "ada")
        assert window.game.selected == own.id
        press(window, arcade.key.A)
        assert window.draft.links == [other]
        pump(window, 2)
        click(window, *window.map_view.link_anchor_px(street, window.map_viewport))
        assert window.draft.links == [street]
        press(window, arcade.key.P)
        cached_s = wait_for(window, lambda: window.draft.showing, 60, "the amendment's preview")
        assert window.draft.preview is not None and window.draft.preview.cached
        press(window, arcade.key.ENTER)
        assert window.board_actions.dialog.texts() == ["Calm the other street", ""]
        for _ in range(len("other street")):
            send_events(window, ("on_text_motion", pyglet.window.key.MOTION_BACKSPACE))
        type_text(window, "school street")
        press(window, arcade.key.ENTER)
        wait_for(window, lambda: len(window.game.proposal(own.id).versions) == 2, 20, "the new version")
        current = window.game.proposal(own.id).versions[-1]
        assert (current.title, current.interventions) == ("Calm the school street", [p.CloseLink(link=street)])
        wait_for(window, lambda: not window.draft.showing, 10, "the amending to end")

        press(window, arcade.key.W)
        type_text(window, "Bob's does the same.")
        press(window, arcade.key.ENTER)
        wait_for(window, lambda: window.game.proposal(own.id).status == "withdrawn", 20, "the withdrawal")
        history = window.game.proposal(own.id).history
        assert [(h.status, h.by, h.reason) for h in history] == [
            ("draft", "ada", ""), ("submitted", "ada", ""), ("withdrawn", "ada", "Bob's does the same.")]
        pump(window, 2)
        texts = [t.text for pool in window.board._pools for t in pool.used]
        assert any("withdrawn by ada: \u201cBob's does the same.\u201d" in t for t in texts), texts
        save(grab(window), "client_live_board_withdrawn.png")

        logged = [(kind, payload) for kind, payload in demo_server.accepted_commands()
                  if kind in ("comment", "amend", "withdraw")]
        assert logged == [
            ("comment", {"type": "comment", "proposal": theirs.id, "text": "Where do the buses go?", "parent": None}),
            ("comment", {"type": "comment", "proposal": theirs.id, "text": "They keep their route.", "parent": asked.id}),
            ("comment", {"type": "comment", "proposal": theirs.id, "text": "Good, thank you.", "parent": answer.id}),
            ("amend", {"type": "amend", "proposal": own.id, "title": "Calm the school street",
                       "interventions": [{"type": "close_link", "link": street}], "rationale": ""}),
            ("withdraw", {"type": "withdraw", "proposal": own.id, "reason": "Bob's does the same."}),
        ]
        print(f"\nproposal preview: {fresh_s:.1f} s fresh, {cached_s:.2f} s from the server's cache")
    finally:
        for conn in (ada, bob, fac):
            conn.close()
        window.close()
