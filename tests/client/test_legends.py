"""The map's legends at 1280x800 and 1920x1080: slim bars with ticks in real units that
leave the map in sight, folded by a click on their title."""

from __future__ import annotations

import dataclasses

import arcade
import numpy as np
import pytest
import towns
from frames import click, grab, press, pump, save

from agora.client import legends
from agora.server.net.layers import LayerFeed

# The most of the map area (between the bars, left of the side panel) the legends may cover.
MAX_SHARE = 0.10
SHIFT = arcade.key.MOD_SHIFT


@pytest.fixture
def world():  # type: ignore[no-untyped-def]
    return towns.small_world()


@pytest.fixture
def joined(play_window, fake_link, world):  # type: ignore[no-untyped-def]
    feed = LayerFeed()
    feed.commit(feed.prepare(towns.noise_board(world, east_dba=60.0)))
    fake_link.messages.put(towns.welcome(world, towns.flows_at(world, 0.3), layers=feed.snapshot_layers(),
                                         game=towns.game()))
    pump(play_window)
    return play_window


def covered_share(window) -> float:  # type: ignore[no-untyped-def]
    """The share of the map area whose pixels change when the legends are drawn."""
    shown = np.asarray(grab(window), dtype=np.int16)
    screen = window.hud_screen
    window.hud_screen = lambda: dataclasses.replace(screen(), show_legend=False)
    try:
        hidden = np.asarray(grab(window), dtype=np.int16)
    finally:
        del window.hud_screen
    pump(window)  # the panels as shown again, for the clicks that follow
    area = window.hud.map_area(*window.get_size())
    h = shown.shape[0]
    rows = slice(int(h - area.bottom - area.height), int(h - area.bottom))
    cols = slice(int(area.left), int(area.left + area.width))
    differ = np.abs(shown[rows, cols] - hidden[rows, cols]).max(axis=2) > 8
    return float(differ.mean())


def preview(window, fake_link, world) -> None:  # type: ignore[no-untyped-def]
    a, b = towns.link_between(world, 1, 5), towns.link_between(world, 2, 6)
    click(window, *window.map_view.link_anchor_px(a, window.map_viewport))
    click(window, *window.map_view.link_anchor_px(b, window.map_viewport), SHIFT)
    press(window, arcade.key.P)
    request = window.draft.pending
    fake_link.messages.put(towns.preview(world, request, (a, b), {towns.link_between(world, 4, 5): 350.0}))
    pump(window)
    assert window.draft.showing


def test_both_legends_leave_the_map_in_sight_at_1280x800(joined, fake_link, world) -> None:  # type: ignore[no-untyped-def]
    press(joined, arcade.key.L)
    assert joined.overlay == "noise_lden_dba"
    share = covered_share(joined)
    save(grab(joined), "client_legends_layer.png")
    print(f"legends cover {share:.1%} of the map area")
    assert 0.02 < share <= MAX_SHARE, share
    preview(joined, fake_link, world)
    share = covered_share(joined)
    save(grab(joined), "client_legends_preview.png")
    print(f"legends cover {share:.1%} of the map area")
    assert 0.02 < share <= MAX_SHARE, share
    assert [t.text for t in joined.hud.roads_legend.ticks[:6]] == ["+300", "+100", "+25", "\u221225", "\u2212100",
                                                                   "\u2212300"]
    assert [t.text for t in joined.hud.roads_legend.ends] == ["busier", "quieter"]


def test_a_click_on_a_title_folds_the_legend_and_another_unfolds_it(joined) -> None:  # type: ignore[no-untyped-def]
    press(joined, arcade.key.L)
    pump(joined)
    before = covered_share(joined)
    for drawer in (joined.hud.grid_legend, joined.hud.roads_legend):
        left, bottom, w, h = drawer.rect
        click(joined, left + 20, bottom + h - 10)
        pump(joined)
        assert drawer.folded
        assert drawer.rect[3] < h / 2
    folded = covered_share(joined)
    assert folded < before / 3, (folded, before)
    assert joined.selected is None  # the click went to the legend, not to a road under it
    left, bottom, w, h = joined.hud.roads_legend.rect
    click(joined, left + 20, bottom + h - 10)
    pump(joined)
    assert not joined.hud.roads_legend.folded


def test_at_1920x1080_the_bars_keep_their_labels_inside_the_window(joined) -> None:  # type: ignore[no-untyped-def]
    joined.set_size(1920, 1080)
    pump(joined, 3)
    press(joined, arcade.key.L)
    image = grab(joined)
    save(image, "client_legends_1920.png")
    assert image.size == (1920, 1080)
    for drawer in (joined.hud.grid_legend, joined.hud.roads_legend):
        left, bottom, w, h = drawer.rect
        assert 0 <= left and left + w <= 1920 - joined.hud.side_area(1920, 1080).width and bottom >= 0
        for tick in drawer.ticks:
            if tick.text:
                assert left <= tick.left and tick.right <= left + w, tick.text


def test_bars_mark_their_classes_in_real_units() -> None:
    noise = legends.layer_bar("noise_lden_dba", "Road noise, Lden", "dB(A)")
    assert noise.title == "Road noise, Lden (dB(A))" and noise.ticks == ("45", "50", "55", "60", "65", "70")
    assert len(noise.colors) == len(noise.ticks) + 1
    needs = legends.layer_bar("access_walk_needs", "Daily needs within 15 min on foot", "of 5")
    assert needs.centred and needs.ticks == ("none", "1", "2", "3", "4", "all 5") and len(needs.colors) == 6
    habitat = legends.delta_bar("habitat_quality_delta", "Change in habitat quality", "0-1")
    # More habitat is better: the worse end is a loss.
    assert habitat.ticks == ("\u22120.15", "\u22120.05", "\u22120.01", "+0.01", "+0.05", "+0.15")
    traffic = legends.traffic_bar()
    assert traffic.ticks == ("60%", "85%", "100%") and len(traffic.extras) == 2
