"""Previews under X: pick roads, press P, read what the server answers (indicators before
and after, whom it helps and hurts, the change of a layer on the map), Esc to leave."""

from __future__ import annotations

import arcade
import numpy as np
import pytest
import towns
from frames import click, grab, pixel, press, pump, save

from agora.client import overlays, palette
from agora.client.indicators import Verdict
from agora.server.net.layers import LayerFeed
from agora.server import protocol as p

SHIFT = arcade.key.MOD_SHIFT


def close_to(rgb: tuple[int, int, int], want: tuple[int, ...], tol: int = 12) -> bool:
    return all(abs(a - b) <= tol for a, b in zip(rgb, want[:3]))


def blended(color: tuple[int, ...], land: str) -> tuple[int, ...]:
    base = np.array(palette.LAND_USE_COLORS[land][:3], dtype=float)
    return tuple(int(round(v)) for v in base * (1 - overlays.OPACITY) + np.array(color[:3]) * overlays.OPACITY)


@pytest.fixture
def world():  # type: ignore[no-untyped-def]
    return towns.small_world()


@pytest.fixture
def joined(play_window, fake_link, world):  # type: ignore[no-untyped-def]
    feed = LayerFeed()
    board = towns.noise_board(world, east_dba=60.0)
    board["grid_no2_ug_m3"] = np.full(world.grid.shape, 12.0, dtype=np.float32)
    feed.commit(feed.prepare(board))
    fake_link.messages.put(towns.welcome(world, towns.flows_at(world, 0.3), layers=feed.snapshot_layers(),
                                         game=towns.game(proposals=towns.three_proposals())))
    pump(play_window)
    return play_window


def anchor(window, link: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    return window.map_view.link_anchor_px(link, window.map_viewport)


def streets(world) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    """Two collectors north of the arterial, and the first stretch of the arterial."""
    return towns.link_between(world, 1, 5), towns.link_between(world, 2, 6), towns.link_between(world, 4, 5)


def ask_preview(window, fake_link, world) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    a, b, busier = streets(world)
    click(window, *anchor(window, a))
    click(window, *anchor(window, b), SHIFT)
    press(window, arcade.key.P)
    return a, b, busier


def answer(world, request: int = 1):  # type: ignore[no-untyped-def]
    a, b, busier = streets(world)
    return towns.preview(world, request, (a, b), {a: -600.0, b: -700.0, busier: 450.0})


def test_shift_click_picks_several_roads_and_p_asks_for_their_preview(joined, fake_link, world) -> None:  # type: ignore[no-untyped-def]
    a, b, _ = streets(world)
    click(joined, *anchor(joined, a))
    click(joined, *anchor(joined, b), SHIFT)
    click(joined, *anchor(joined, towns.link_between(world, 5, 1)), SHIFT)  # a's other direction
    assert joined.draft.links == [a, b, towns.link_between(world, 5, 1)]
    image = grab(joined)
    save(image, "client_picked.png")
    # Every road picked wears the halo.
    for link in (a, b):
        x, y = anchor(joined, link)
        halo = [pixel(image, x + dx, y) for dx in range(-9, 10)]
        assert any(close_to(c, palette.SELECTION_COLOR, 30) for c in halo), (link, halo)
    click(joined, *anchor(joined, towns.link_between(world, 5, 1)), SHIFT)  # out again
    press(joined, arcade.key.P)
    # One closure per street (closing a link closes its other direction too).
    assert fake_link.sent == [p.PreviewDraft(request=1, interventions=[p.CloseLink(link=a), p.CloseLink(link=b)])]
    image = grab(joined)
    save(image, "client_preview_waiting.png")
    assert any("Simulating the town" in t for t in joined.preview_panel.texts())


def test_the_preview_shows_indicators_personas_and_the_change_on_the_map(joined, fake_link, world) -> None:  # type: ignore[no-untyped-def]
    a, b, busier = ask_preview(joined, fake_link, world)
    fake_link.messages.put(answer(world))
    image = grab(joined)
    save(image, "client_preview.png")
    panel = joined.preview_panel
    rows = {label: (values, verdict) for label, values, verdict in panel.rows}
    assert rows["Mean car trip"] == ("12.3 \u2192 12.9 min", Verdict.WORSE)
    assert rows["People over 53 dB Lden"] == ("2,300 \u2192 2,100", Verdict.BETTER)
    assert rows["Trips by car"] == ("58.0 \u2192 55.0%", Verdict.BETTER)
    texts = panel.texts()
    assert "WORSE (3)" in texts and "BETTER (6)" in texts
    assert "Close 2 streets to cars: roads %d, %d" % (a, b) in texts
    assert any(t.startswith("No change: Car trips") for t in texts)
    assert "helps a lot (+0.80)" in texts and "hurts a lot (-0.60)" in texts and "hardly affected" in texts
    # Worse in red-orange, better in blue, in the text and the personas' bars alike.
    values = {t.text: t for t in panel.value.used}
    assert tuple(values["12.3 \u2192 12.9 min"].color[:3]) == palette.WORSE_TEXT[:3]
    assert tuple(values["58.0 \u2192 55.0%"].color[:3]) == palette.BETTER_TEXT[:3]
    bars = {name: box for name, _, box in panel.bars}
    for name, colour in (("resident", palette.BETTER_TEXT), ("commuter", palette.WORSE_TEXT)):
        l, bottom, w, h = bars[name]
        assert close_to(pixel(image, l + w / 2, bottom + h / 2), colour), name

    # The map: the noise change east of x = 450 m (4 dB quieter: better) and none west of it.
    view = joined.map_viewport
    assert joined.layers.delta == "noise_lden_dba_delta"
    assert close_to(pixel(image, *view.to_screen(750.0, 450.0)), blended(overlays.DIVERGING[5], "housing"))
    assert close_to(pixel(image, *view.to_screen(150.0, 450.0)), blended(overlays.DIVERGING[3], "housing"))
    # Roads: the closed ones dashed, the arterial that takes the traffic busier (red).
    assert close_to(pixel(image, *anchor(joined, busier)), palette.FLOW_CHANGE_COLORS[0], 20)
    legend = joined.hud
    assert legend.roads_legend.title.text.endswith("Traffic in the preview: change (veh/h)")
    assert legend.grid_legend.title.text.endswith("Change in road noise, Lden (dB(A))")
    # Louder by 5 dB or more at the worse end, quieter by 5 or more at the better end.
    assert [t.text for t in legend.grid_legend.ticks[:6]] == ["+5", "+3", "+1", "\u22121", "\u22123", "\u22125"]
    assert [t.text for t in legend.grid_legend.ends] == ["worse", "better"]


def test_l_shows_the_next_layers_change_and_esc_leaves_the_preview(joined, fake_link, world) -> None:  # type: ignore[no-untyped-def]
    a, b, busier = ask_preview(joined, fake_link, world)
    fake_link.messages.put(answer(world))
    pump(joined)
    press(joined, arcade.key.L)
    assert joined.layers.delta == "no2_ug_m3_delta"
    image = grab(joined)
    save(image, "client_preview_no2.png")
    # 1.5 ug/m3 more NO2 east: worse, the second class (1 to 3).
    assert close_to(pixel(image, *joined.map_viewport.to_screen(750.0, 450.0)), blended(overlays.DIVERGING[1], "housing"))
    assert joined.hud.grid_legend.title.text.endswith("Change in NO2, this hour (µg/m³)")
    # A tick's delta meanwhile moves the city behind the preview, not the preview's roads.
    flows = joined.city.flow_veh_h.copy()
    joined.link.messages.put(towns.delta(world, flows, flows * 3, tick=8))
    image = grab(joined)
    assert close_to(pixel(image, *anchor(joined, busier)), palette.FLOW_CHANGE_COLORS[0], 20)

    press(joined, arcade.key.ESCAPE)
    assert not joined.closed and not joined.draft.showing
    image = grab(joined)
    save(image, "client_preview_left.png")
    # Back to traffic colours (flows tripled: 0.9 of capacity, near capacity) and land use.
    assert close_to(pixel(image, *anchor(joined, busier)), palette.TRAFFIC_CLASSES[2].color, 30)
    assert close_to(pixel(image, *joined.map_viewport.to_screen(750.0, 450.0)), palette.LAND_USE_COLORS["housing"])
    assert any(t.startswith("PROPOSALS") for t in (x.text for x in joined.board.header.used))
    press(joined, arcade.key.ESCAPE)  # then lets go of the roads picked
    assert joined.draft.links == [] and not joined.closed


def test_a_refused_preview_is_a_notice_and_old_answers_are_dropped(joined, fake_link, world) -> None:  # type: ignore[no-untyped-def]
    ask_preview(joined, fake_link, world)
    fake_link.messages.put(p.Error("wrong_phase", "Previews open in the explore and propose phases.", request=1))
    image = grab(joined)
    save(image, "client_preview_refused.png")
    assert joined.notices.active(0.0)[0].text == "No preview: Previews open in the explore and propose phases."
    assert joined.draft.pending is None and not joined.draft.showing
    press(joined, arcade.key.P)
    press(joined, arcade.key.P)
    assert [m.request for m in fake_link.sent] == [1, 2, 3]
    fake_link.messages.put(answer(world, request=2))  # overtaken by request 3
    pump(joined)
    assert not joined.draft.showing and joined.draft.pending == 3
    fake_link.messages.put(answer(world, request=3))
    pump(joined)
    assert joined.draft.showing


def test_p_without_roads_says_what_to_do(joined, fake_link) -> None:  # type: ignore[no-untyped-def]
    press(joined, arcade.key.P)
    assert fake_link.sent == []
    assert "Pick roads on the map first" in joined.notices.active(0.0)[0].text


def test_the_preview_reads_at_1920_by_1080(play_window, fake_link, world) -> None:  # type: ignore[no-untyped-def]
    play_window.set_size(1920, 1080)
    pump(play_window, 3)
    fake_link.messages.put(towns.welcome(world, towns.flows_at(world, 0.3), game=towns.game()))
    pump(play_window)
    ask_preview(play_window, fake_link, world)
    fake_link.messages.put(answer(world))
    image = grab(play_window)
    save(image, "client_preview_1920.png")
    assert image.size == (1920, 1080)
    labels = [t.text for t in play_window.preview_panel.body.used]
    assert "People over 53 dB Lden" in labels and not [t for t in labels if t.endswith("\u2026")]
