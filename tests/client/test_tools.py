"""The tool palette under X, fed the workshop's catalogue in a fake Welcome: the palette lists
it with unit costs, keys and clicks pick a tool, clicks and drags on the map build the
catalogue's commands, + and - set parameters within their range, Ctrl+Z and Ctrl+Y undo and
redo, P previews the whole draft and the server's price replaces the estimate."""

from __future__ import annotations

import arcade
import msgspec
import numpy as np
import pytest
import towns
from frames import click, grab, pixel, press, pump, save, send_events

from agora.client import tool_placing
from agora.server import protocol as p
from agora.server.net.catalogue import catalogue
from agora.server.session.rulesets import bundled
from agora.server.world.types import LandUse

SHIFT = arcade.key.MOD_SHIFT
CTRL = arcade.key.MOD_CTRL
CATALOGUE = catalogue(bundled("workshop"))
NUMBER = {entry.name: i for i, entry in enumerate(CATALOGUE, 1)}
GRASS_ROWS, GRASS_COLS = slice(15, 25), slice(16, 26)  # the block between x, y = 300 and 600 m


@pytest.fixture
def world():  # type: ignore[no-untyped-def]
    town = towns.small_world()
    town.grid.land_use[GRASS_ROWS, GRASS_COLS] = LandUse.GRASS
    return town


@pytest.fixture
def joined(play_window, fake_link, world):  # type: ignore[no-untyped-def]
    welcome = towns.welcome(world, towns.flows_at(world, 0.3), game=towns.game(towns.phase("propose")))
    fake_link.messages.put(msgspec.structs.replace(welcome, catalogue=CATALOGUE))
    pump(play_window)
    return play_window


def anchor(window, link: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    return window.map_view.link_anchor_px(link, window.map_viewport)


def panel(window):  # type: ignore[no-untyped-def]
    return window.tabs.current().panel


def notices(window) -> list[str]:  # type: ignore[no-untyped-def]
    import time
    return [n.text for n in window.notices.active(time.monotonic())]


def tool_row(window, name: str) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    button = next(b for b in panel(window).buttons if b.kind == "tool" and b.tool == NUMBER[name])
    left, bottom, width, height = button.box
    return left + width / 2, bottom + height / 2


def drag(window, start: tuple[float, float], end: tuple[float, float], button: int = arcade.MOUSE_BUTTON_LEFT,  # type: ignore[no-untyped-def]
         modifiers: int = 0) -> None:
    (x0, y0), (x1, y1) = [(int(round(x)), int(round(y))) for x, y in (start, end)]
    steps = 5
    events: list[tuple[object, ...]] = [("on_mouse_press", x0, y0, button, modifiers)]
    for i in range(1, steps + 1):
        x = x0 + (x1 - x0) * i // steps
        y = y0 + (y1 - y0) * i // steps
        px = x0 + (x1 - x0) * (i - 1) // steps
        py = y0 + (y1 - y0) * (i - 1) // steps
        events.append(("on_mouse_drag", x, y, x - px, y - py, button, modifiers))
    events.append(("on_mouse_release", x1, y1, button, modifiers))
    send_events(window, *events)


def test_the_palette_lists_the_catalogue_and_keys_pick_a_tool(joined, world) -> None:  # type: ignore[no-untyped-def]
    window = joined
    assert [t.info.name for t in window.tool_box.tools] == list(bundled("workshop").interventions)
    click(window, *window.tabs.header_at("tools"))
    pump(window)
    texts = panel(window).texts()
    # Every entry with its key (the first nine) and unit cost.
    assert "1  Close a street to cars" in texts and "\u20ac10k each" in texts
    assert "7  Paint a bike lane" in texts and "\u20ac60/m" in texts
    assert "Make a park" in [t.strip() for t in texts] and "\u20ac150/m\u00b2" in texts
    costs = {t.info.name: t.unit_cost() for t in window.tool_box.tools}
    assert costs["plant_trees"] == "\u20ac1,500/cell \u00d7 trees per cell"
    assert costs["add_bus_line"] == "\u20ac1,600/m \u00f7 minutes between buses"
    assert costs["add_school"] == "\u20ac35k \u00d7 places"
    assert any(t.startswith("\u20ac1,600/m \u00f7 minutes") for t in texts), "cut short, if at all, at its end"
    assert "Nothing placed yet: pick a tool (1\u20139 or click it), then use it on the map." in texts
    # All seventeen fit at 1280 x 800.
    assert sorted(b.tool for b in panel(window).buttons if b.kind == "tool") == list(range(1, len(CATALOGUE) + 1))
    save(grab(window), "client_tools_palette.png")

    press(window, arcade.key.KEY_7)
    assert window.tool_box.current is not None and window.tool_box.current.info.name == "add_bike_lane"
    help_line = window.hud_screen().help
    assert "7  Paint a bike lane, \u20ac60/m" in help_line
    assert "Click roads to paint a bike lane (on arterial, collector, local roads); Shift+click for more" in help_line
    press(window, arcade.key.KEY_0)
    assert window.tool_box.current is None and window.hud_screen().help.startswith("Click a road")
    # Past the ninth, a click on the palette's row.
    press(window, arcade.key.KEY_7)
    pump(window)
    click(window, *tool_row(window, "make_park"))
    assert window.tool_box.current is not None and window.tool_box.current.info.name == "make_park"


def test_clicking_roads_builds_the_catalogue_commands_with_their_estimates_then_the_servers_price(
        joined, fake_link, world) -> None:  # type: ignore[no-untyped-def]
    window = joined
    a, b = towns.link_between(world, 1, 5), towns.link_between(world, 2, 6)  # collectors
    artery = towns.link_between(world, 5, 6)
    press(window, arcade.key.KEY_7)
    click(window, *anchor(window, a))
    click(window, *anchor(window, b), SHIFT)
    assert window.draft.items == [p.AddBikeLane(links=[a, b])]
    click(window, *anchor(window, artery))
    assert window.draft.items == [p.AddBikeLane(links=[a, b]), p.AddBikeLane(links=[artery])]
    # Both picked roads wear the halo.
    assert set(window.map_view.picked) == {a, b, artery}

    # A toll: + and - within 0 to 5 EUR, in steps of 0.5; the draft's toll follows.
    press(window, arcade.key.KEY_8)
    click(window, *anchor(window, artery))
    assert window.draft.items[-1] == p.SetToll(links=[artery], toll_eur=2.0)
    pump(window)
    plus = next(b for b in panel(window).buttons if b.kind == "step" and b.step == 1)
    click(window, plus.box[0] + 5, plus.box[1] + 5)
    assert window.draft.items[-1] == p.SetToll(links=[artery], toll_eur=2.5)
    for _ in range(8):
        press(window, arcade.key.MINUS)
    assert window.draft.items[-1] == p.SetToll(links=[artery], toll_eur=0.0), "never below the catalogue's min"
    assert "Toll per passage goes from 0 to 5 EUR." in notices(window)
    # A road class the catalogue does not allow for lane changes.
    press(window, arcade.key.KEY_3)
    local = towns.link_between(world, 0, 1)
    click(window, *anchor(window, local))
    assert len(window.draft.items) == 3
    assert f"Road {local} is a local road; \u201cChange the number of car lanes\u201d goes on arterial or collector roads." \
        in notices(window)

    # The panel: each intervention with the catalogue's estimate, the total against the budget left.
    pump(window)
    tools = panel(window)
    assert tools.rows == [("Paint a bike lane: 2 roads", "about \u20ac36k"), ("Paint a bike lane: road %d" % artery,
                                                                            "about \u20ac18k"),
                          ("Charge a toll: road %d" % artery, "about \u20ac50k")]
    assert tools.total == "Total about \u20ac104k of \u20ac3M left in the budget"
    save(grab(window), "client_tools_draft.png")

    press(window, arcade.key.P)
    sent = fake_link.sent[-1]
    assert isinstance(sent, p.PreviewDraft) and sent.interventions == window.draft.items
    answer = towns.preview(world, sent.request, (), {artery: -100.0})
    fake_link.messages.put(msgspec.structs.replace(answer, cost_eur=104_000, costs_eur=[36_000, 18_000, 50_000]))
    pump(window)
    assert window.preview_panel.cost == "Cost \u20ac104k of \u20ac3M left in the budget"
    texts = window.preview_panel.texts()
    assert f"Paint a bike lane (2 roads); Paint a bike lane (road {artery}); Charge a toll (road {artery})" in texts
    save(grab(window), "client_tools_preview.png")
    press(window, arcade.key.ESCAPE)  # back to the map; the preview stays the draft's price
    pump(window)
    assert panel(window).rows[0] == ("Paint a bike lane: 2 roads", "\u20ac36k")
    assert "SERVER'S PRICE" in [t.upper() for t in panel(window).texts()]


def test_a_cell_tool_paints_a_rectangle_highlighted_and_a_right_drag_pans(joined, world) -> None:  # type: ignore[no-untyped-def]
    window = joined
    view = window.map_viewport
    click(window, *window.tabs.header_at("tools"))
    pump(window)
    click(window, *tool_row(window, "make_park"))
    start, end = view.to_screen(360.0, 360.0), view.to_screen(440.0, 410.0)
    inside = view.to_screen(412.5, 387.5)  # the middle of cell (17, 19)
    before = grab(window)
    drag(window, start, end)
    cells = [(r, c) for r in range(16, 19) for c in range(17, 21)]
    assert window.draft.items == [p.MakePark(cells=cells)]
    image = grab(window)
    save(image, "client_tools_park.png")
    alpha = tool_placing.CELL_FILL[3] / 255
    want = [round(b * (1 - alpha) + f * alpha) for b, f in zip(pixel(before, *inside), tool_placing.CELL_FILL)]
    assert all(abs(g - w) <= 6 for g, w in zip(pixel(image, *inside), want)), (pixel(image, *inside), want)
    outside = view.to_screen(512.5, 387.5)  # cell (17, 23): grass, not painted
    assert pixel(image, *outside) == pixel(before, *outside)

    # Shift+drag adds to the same park; cells of a land use the park does not take are left out.
    drag(window, view.to_screen(560.0, 360.0), view.to_screen(640.0, 360.0), modifiers=SHIFT)
    added = [(16, c) for c in range(25, 26)]
    assert window.draft.items == [p.MakePark(cells=cells + added)]
    assert any(n.startswith("Left out housing: \u201cMake a park\u201d goes on grass or industry.") for n in notices(window))
    # The right button pans, and places nothing.
    centre = view.center_m
    drag(window, view.to_screen(200.0, 200.0), view.to_screen(260.0, 200.0), button=arcade.MOUSE_BUTTON_RIGHT)
    assert view.center_m != centre and window.draft.items == [p.MakePark(cells=cells + added)]


def test_undo_and_redo_within_the_draft_and_0_for_plain_roads(joined, fake_link, world) -> None:  # type: ignore[no-untyped-def]
    window = joined
    a, b = towns.link_between(world, 1, 5), towns.link_between(world, 2, 6)
    press(window, arcade.key.KEY_1)
    click(window, *anchor(window, a))
    press(window, arcade.key.KEY_7)
    click(window, *anchor(window, b))
    full = [p.CloseLink(link=a), p.AddBikeLane(links=[b])]
    assert window.draft.items == full
    press(window, arcade.key.Z, CTRL)
    assert window.draft.items == full[:1]
    press(window, arcade.key.Z, CTRL)
    assert window.draft.items == []
    press(window, arcade.key.Z, CTRL)
    assert "Nothing to undo in the draft." in notices(window)
    press(window, arcade.key.Y, CTRL)
    assert window.draft.items == full[:1]
    press(window, arcade.key.Z, CTRL | SHIFT)
    assert window.draft.items == full
    press(window, arcade.key.Z, CTRL)
    click(window, *anchor(window, a), SHIFT)  # a new change: nothing left to redo
    press(window, arcade.key.Y, CTRL)
    assert window.draft.items == [p.CloseLink(link=a), p.AddBikeLane(links=[a])]
    assert "Nothing to redo." in notices(window)

    # 0: plain road picking again; clicks pick roads, the draft stays.
    press(window, arcade.key.KEY_0)
    click(window, *anchor(window, b))
    assert window.draft.links == [b] and len(window.draft.items) == 2
    press(window, arcade.key.P)
    assert fake_link.sent[-1] == p.PreviewDraft(request=1, interventions=window.draft.items)


def test_a_new_road_takes_two_junctions(joined, world) -> None:  # type: ignore[no-untyped-def]
    window = joined
    view = window.map_viewport
    window.placing.choose(NUMBER["add_road"])
    click(window, *view.to_screen(0.0, 600.0))  # node 0
    assert window.placing.start_node == 0 and window.draft.items == []
    image = grab(window)
    save(image, "client_tools_road_start.png")
    x, y = view.to_screen(0.0, 600.0)
    assert any(pixel(image, x + dx, y) == tool_placing.CELL_EDGE[:3] for dx in range(-11, 12))
    click(window, *view.to_screen(300.0, 300.0))  # node 5, 424 m away
    assert window.draft.items == [p.AddRoad(from_node=0, to_node=5, road_class="local", lanes=1, speed_kmh=30.0,
                                            two_way=True)]
    click(window, *view.to_screen(0.0, 600.0))
    click(window, *view.to_screen(900.0, 600.0))  # node 3, 900 m away: longer than 800 m
    assert len(window.draft.items) == 1
    assert "That road would be 900 m long; this session builds roads of at most 800 m." in notices(window)
    assert np.isfinite(view.px_per_m)


def test_a_bus_line_takes_consecutive_roads(joined, world) -> None:  # type: ignore[no-untyped-def]
    window = joined
    first, second, third = (towns.link_between(world, a, b) for a, b in ((0, 1), (1, 2), (2, 3)))
    back = towns.link_between(world, 3, 2)
    press(window, arcade.key.KEY_9)
    click(window, *anchor(window, first))
    click(window, *anchor(window, second), SHIFT)
    assert window.draft.items == [p.AddBusLine(route=[first, second], headway_min=10.0)]
    click(window, *anchor(window, back), SHIFT)
    assert f"Road {back} does not go on from road {second}, where the route ends: click a road that starts there." \
        in notices(window)
    click(window, *anchor(window, third), SHIFT)
    press(window, arcade.key.EQUAL)  # +: five minutes more between buses
    assert window.draft.items == [p.AddBusLine(route=[first, second, third], headway_min=15.0)]
    assert len(window.draft._undo) == 4, "each click and each + is one step to undo"


def test_the_palette_fits_a_full_hd_screen(x_display, world) -> None:  # type: ignore[no-untyped-def]
    from conftest import FakeLink

    from agora.client.window import PlayWindow

    link = FakeLink()
    window = PlayWindow(link, name="ada", code="TESTME", width=1920, height=1080)  # type: ignore[arg-type]
    try:
        welcome = towns.welcome(world, towns.flows_at(world, 0.3), game=towns.game(towns.phase("propose")))
        link.messages.put(msgspec.structs.replace(welcome, catalogue=CATALOGUE))
        pump(window)
        press(window, arcade.key.KEY_4)
        click(window, *anchor(window, towns.link_between(world, 4, 5)))
        pump(window)
        tools = panel(window)
        assert sorted(b.tool for b in tools.buttons if b.kind == "tool") == list(range(1, len(CATALOGUE) + 1))
        assert tools.rows == [("Change the speed limit: road %d" % towns.link_between(world, 4, 5), "about \u20ac1,000")]
        save(grab(window), "client_tools_1920.png")
    finally:
        window.close()


def test_a_bus_line_is_picked_by_a_road_it_runs_on_and_esc_puts_the_tool_down(play_window, fake_link, world) -> None:  # type: ignore[no-untyped-def]
    window = play_window
    west, middle = towns.link_between(world, 4, 5), towns.link_between(world, 5, 6)
    welcome = towns.welcome(world, towns.flows_at(world, 0.3), game=towns.game(towns.phase("propose")))
    # Two bus lines along the arterial: line 0 over both stretches, line 1 over the middle one.
    network = msgspec.structs.replace(
        welcome.snapshot.network, line_first=p.Array.of(np.array([0, 2, 3], dtype=np.int64)),
        line_link=p.Array.of(np.array([west, middle, middle], dtype=np.int32)),
        line_stop=p.Array.of(np.ones(3, dtype=bool)), line_headway_min=p.Array.of(np.array([10.0, 20.0])))
    snapshot = msgspec.structs.replace(welcome.snapshot, network=network)
    fake_link.messages.put(msgspec.structs.replace(welcome, snapshot=snapshot, catalogue=CATALOGUE))
    pump(window)
    click(window, *window.tabs.header_at("tools"))
    pump(window)
    click(window, *tool_row(window, "set_headway"))
    click(window, *anchor(window, west))
    assert window.draft.items == [p.SetHeadway(line=0, headway_min=10.0)]
    click(window, *anchor(window, middle))  # lines 0 and 1 run here: the next of them
    assert window.draft.items == [p.SetHeadway(line=1, headway_min=10.0)]
    assert "2 bus lines run on road %d: line 1 chosen; click again for the next." % middle in notices(window)
    click(window, *anchor(window, towns.link_between(world, 1, 5)))
    assert "No bus line runs on road %d: click a road a bus line runs on." % towns.link_between(world, 1, 5) \
        in notices(window)
    assert window.draft.items == [p.SetHeadway(line=1, headway_min=10.0)]
    pump(window)
    # A year of line 1 (300 m) at its new headway: EUR 1,600 a metre / 10 minutes.
    assert panel(window).rows == [("Run a bus line more or less often: bus line 1", "about \u20ac48k")]

    # Esc puts the tool down (the window stays open); the draft stays.
    press(window, arcade.key.ESCAPE)
    assert window.tool_box.current is None and not window.closed
    assert window.draft.items == [p.SetHeadway(line=1, headway_min=10.0)]


def test_a_draft_changed_after_its_preview_is_previewed_again_before_it_is_proposed(joined, fake_link, world) -> None:  # type: ignore[no-untyped-def]
    window = joined
    a, b = towns.link_between(world, 1, 5), towns.link_between(world, 2, 6)
    press(window, arcade.key.KEY_7)
    click(window, *anchor(window, a))
    press(window, arcade.key.P)
    fake_link.messages.put(msgspec.structs.replace(towns.preview(world, 1, (), {a: -50.0}), cost_eur=18_000,
                                                   costs_eur=[18_000]))
    pump(window)
    click(window, *anchor(window, b), SHIFT)  # the map still takes clicks during the preview
    assert window.draft.items == [p.AddBikeLane(links=[a, b])] and window.draft.stale()
    pump(window)
    assert any("P  preview the changed draft" in t for t in window.preview_panel.texts())
    press(window, arcade.key.ENTER)
    assert not window.dialog.open
    assert "The draft changed since its preview: press P to preview it again, then Enter to propose it." in notices(window)
    press(window, arcade.key.Z, CTRL)  # undone: the draft is the one previewed again
    press(window, arcade.key.ENTER)
    assert window.dialog.open and "Leave the title empty for \u201cPaint a bike lane\u201d." in window.dialog.hint.text
    press(window, arcade.key.ENTER)  # no title typed: the default one
    assert fake_link.sent[-1] == p.Propose(title="Paint a bike lane", interventions=[p.AddBikeLane(links=[a])])
