"""The Trends tab under X, fed a crafted history: a late joiner's Welcome history draws as
lines (pixels of the line's colour where the values put them, the plot's colour elsewhere),
each chart names its indicator with the current value and unit, its lowest and highest; a
Delta extends the line; adoptions and rollbacks mark the charts; the lines are rebuilt only
when something changes."""

from __future__ import annotations

import msgspec
import numpy as np
import pytest
import towns
from frames import grab, pixel, pump, save

from agora.client import palette
from agora.client.trends_panel import LINE_COLOR, MARK_COLORS, PLOT_COLOR
from agora.server import protocol as p

TICKS = 60
FIRST_TICK = 100


def close_to(rgb: tuple[int, int, int], want: tuple[int, ...], tol: int = 16) -> bool:
    return all(abs(a - b) <= tol for a, b in zip(rgb, want[:3]))


def near(image, x: float, y: float, want: tuple[int, ...]) -> bool:  # type: ignore[no-untyped-def]
    """The colour within a pixel of (x, y): a 2-pixel line rounds either way."""
    return any(close_to(pixel(image, x + dx, y + dy), want) for dx in (-1, 0, 1) for dy in (-1, 0, 1))


def history() -> p.History:
    """An hour from 07:00: time in cars climbs steadily from 1,000 to 1,590 veh·h, the car
    share falls from 60% to 54%, CO2 holds at 600 kg/h."""
    return p.History.of([(FIRST_TICK + i, 7.0 + i / 60.0,
                          {"vehicle_hours": 1000.0 + 10.0 * i, "co2_kg_h": 600.0, "mode_share_car": 0.60 - 0.001 * i,
                           "mean_trip_min": 12.0, "residents_above_who_lden": 2300.0 - i})
                         for i in range(TICKS)])


def adopted_at(tick: int) -> p.ProposalInfo:
    q = towns.proposal(4, "Quiet Mill Lane", 10_000, status="adopted")
    return msgspec.structs.replace(q, history=[p.StatusInfo(10, "submitted", "bob"), p.StatusInfo(tick, "adopted", "facilitator")])


@pytest.fixture
def late_joiner(play_window, fake_link):  # type: ignore[no-untyped-def]
    world = towns.small_world()
    welcome = towns.welcome(world, towns.flows_at(world, 0.3), tick=FIRST_TICK + TICKS - 1,
                            game=towns.game(proposals=[adopted_at(FIRST_TICK + 20)]))
    fake_link.messages.put(msgspec.structs.replace(welcome, history=history()))
    pump(play_window)
    assert play_window.tabs.show("trends")
    pump(play_window)
    return play_window


def chart(window, name: str):  # type: ignore[no-untyped-def]
    return next(c for c in window.tabs.current().panel.charts if c.name == name)


def texts(window) -> list[str]:  # type: ignore[no-untyped-def]
    return [t.text for pool in window.tabs.current().panel._pools for t in pool.used]


def test_a_late_joiners_history_draws_as_lines_with_values_units_and_extremes(late_joiner) -> None:  # type: ignore[no-untyped-def]
    window = late_joiner
    panel = window.tabs.current().panel
    # Those the history holds, in reading order: no NO2 or access in it, so no chart for them.
    assert [c.name for c in panel.charts] == ["vehicle_hours", "co2_kg_h", "mode_share_car", "mean_trip_min",
                                              "residents_above_who_lden"]
    image = grab(window)
    save(image, "client_trends.png")
    shown = texts(window)
    for want in ("Time in cars", "1,590 veh\u00b7h", "lowest 1,000  \u00b7  highest 1,590 veh\u00b7h",
                 "Trips by car", "54.1%", "CO2 from traffic", "600 kg/h", "Simulated time 07:00 to 07:59",
                 "Propose  \u00b7  phase 2 of 5"):
        assert any(want in t for t in shown), f"{want!r} is not on the panel: {shown}"

    hours = chart(window, "vehicle_hours")
    # Along the rising line: the line's colour at a third, half and the end of the hour.
    for i in (20, 30, 58):
        x, y = hours.to_px(np.array([FIRST_TICK + i]), np.array([1000.0 + 10.0 * i]))
        assert near(image, x[0], y[0], LINE_COLOR), (i, pixel(image, x[0], y[0]))
    # Above the line at the start and below it at the end: the plot's background.
    plot = hours.plot
    assert close_to(pixel(image, plot.left + 8, plot.bottom + plot.height - 6), PLOT_COLOR)
    assert close_to(pixel(image, plot.left + plot.width - 12, plot.bottom + 6), PLOT_COLOR)
    # The flat CO2 line runs through the middle of its plot.
    co2 = chart(window, "co2_kg_h")
    middle = co2.plot.bottom + co2.plot.height / 2
    assert near(image, co2.plot.left + co2.plot.width / 2 + 30, middle, LINE_COLOR)
    # The adoption at tick 120 (a third of the way) marks every chart from bottom to top.
    x, _ = co2.to_px(np.array([FIRST_TICK + 20]), np.array([600.0]))
    assert close_to(pixel(image, x[0], co2.plot.bottom + 6), MARK_COLORS["adopted"])
    assert close_to(pixel(image, x[0], co2.plot.bottom + co2.plot.height - 6), MARK_COLORS["adopted"])


def test_a_delta_extends_the_line_and_the_lines_are_rebuilt_only_when_something_changes(late_joiner, fake_link) -> None:  # type: ignore[no-untyped-def]
    window = late_joiner
    panel = window.tabs.current().panel
    pump(window, 3)
    built = panel.rebuilds
    pump(window, 5)
    assert panel.rebuilds == built, "the chart lines were rebuilt with nothing new"

    world = towns.small_world()
    flows = towns.flows_at(world, 0.3)
    fake_link.messages.put(towns.delta(world, flows, flows, FIRST_TICK + TICKS, vehicle_hours=2200.0))
    image = grab(window)
    assert panel.rebuilds == built + 1
    assert window.trends.readings[-1][0] == FIRST_TICK + TICKS and len(window.trends.readings) == TICKS + 1
    assert any("2,200 veh\u00b7h" in t for t in texts(window))
    hours = chart(window, "vehicle_hours")
    # The jump to 2,200 is now the top of the plot, at its right edge.
    x, y = hours.to_px(np.array([FIRST_TICK + TICKS]), np.array([2200.0]))
    assert near(image, x[0] - 2, y[0] - 1, LINE_COLOR)
    save(image, "client_trends_delta.png")


def test_a_rollback_marks_the_charts_in_its_own_colour(late_joiner, fake_link) -> None:  # type: ignore[no-untyped-def]
    window = late_joiner
    q = adopted_at(FIRST_TICK + 20)
    rolled = msgspec.structs.replace(q, status="rolled_back",
                                     history=[*q.history, p.StatusInfo(FIRST_TICK + 45, "rolled_back", "facilitator")])
    fake_link.messages.put(towns.game(proposals=[rolled]))
    image = grab(window)
    hours = chart(window, "vehicle_hours")
    x, _ = hours.to_px(np.array([FIRST_TICK + 45]), np.array([0.0]))
    assert close_to(pixel(image, x[0], hours.plot.bottom + hours.plot.height - 5), MARK_COLORS["rolled_back"])


def test_the_charts_fit_a_full_hd_screen(late_joiner) -> None:  # type: ignore[no-untyped-def]
    window = late_joiner
    window.set_size(1920, 1080)
    window.on_resize(1920, 1080)
    pump(window, 2)
    image = grab(window)
    save(image, "client_trends_1920.png")
    panel = window.tabs.current().panel
    assert len(panel.charts) == 5
    side = window.hud.side_area(1920, 1080)
    for c in panel.charts:
        assert side.left < c.plot.left and c.plot.left + c.plot.width < side.left + side.width
        assert c.plot.bottom > side.bottom and c.plot.height >= 30


def test_before_any_tick_the_tab_says_the_charts_will_fill_in(play_window, fake_link) -> None:  # type: ignore[no-untyped-def]
    world = towns.small_world()
    fake_link.messages.put(towns.welcome(world, towns.flows_at(world, 0.3), game=towns.game()))
    pump(play_window)
    # A Welcome without history (an older server) starts the trend at the snapshot's tick.
    assert [tick for tick, _, _ in play_window.trends.readings] == [7]
    play_window.trends.take(None)
    play_window.tabs.show("trends")
    pump(play_window, 2)
    assert any("fill in as the simulation runs" in t for t in texts(play_window))
    assert palette.ACCENT == LINE_COLOR
