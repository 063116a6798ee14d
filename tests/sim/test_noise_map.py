"""Road noise spread to the grid: the line-source law, ground, and the default town."""

from __future__ import annotations

import math

import numpy as np
import pytest

from agora.server.sim.noise import NO_SOUND_DB
from agora.server.sim.noise_map import CUTOFF_M, QUIET_DB, NoiseMap, day_corrections_db, lden_from_hours, noise_grid
from agora.server.world.simulation import Simulation
from agora.server.world.world import World

POWER = 81.45  # dB(A)/m: 1,000 cars an hour at 50 km/h (CNOSSOS-EU)


def one_road(ax: float, ay: float, bx: float, by: float, reflecting: bool, size: int = 41) -> np.ndarray:
    return noise_grid(0.0, 0.0, 10.0, size, size, np.array([ax]), np.array([ay]), np.array([bx]), np.array([by]),
                      np.array([POWER]), np.full((size, size), reflecting), CUTOFF_M)


def test_a_long_straight_road_follows_the_infinite_line_source() -> None:
    # Road along y = 5 m; cell row r has its centre at y = 10 r + 5, so d = 10 r.
    soft = one_road(-20_000.0, 5.0, 20_000.0, 5.0, reflecting=False)
    for row in (2, 5, 20):
        d = 10.0 * row
        assert soft[row, 20] == pytest.approx(POWER - 10.0 * math.log10(4.0 * d), abs=0.03)
        # Exactly, the 40 km road subtends a little less than pi from column 20 (x = 205 m).
        angle = math.atan(20_205.0 / d) + math.atan(19_795.0 / d)
        assert soft[row, 20] == pytest.approx(POWER + 10.0 * math.log10(angle / (4.0 * math.pi * d)), abs=1e-9)
    hard = one_road(-20_000.0, 5.0, 20_000.0, 5.0, reflecting=True)
    assert hard[5, 20] - soft[5, 20] == pytest.approx(3.0)
    # Doubling the distance from a line source takes 3 dB off.
    assert soft[10, 20] - soft[20, 20] == pytest.approx(10.0 * math.log10(2.0), abs=0.05)


def test_a_short_piece_of_road_is_a_point_source() -> None:
    # One metre of road 100 m away: L = L'_W + 10 lg(1 m) - 20 lg(100) - 11 (spherical).
    level = one_road(205.0, 5.0, 206.0, 5.0, reflecting=False)
    assert level[10, 20] == pytest.approx(POWER - 40.0 - 10.0 * math.log10(4.0 * math.pi), abs=0.01)


def test_silent_roads_and_far_cells_stay_quiet() -> None:
    quiet = noise_grid(0.0, 0.0, 10.0, 5, 5, np.array([0.0]), np.array([5.0]), np.array([50.0]), np.array([5.0]),
                       np.array([NO_SOUND_DB]), np.zeros((5, 5), bool), CUTOFF_M)
    assert np.all(quiet == QUIET_DB)
    far = one_road(0.0, 5.0, 10.0, 5.0, reflecting=False, size=60)
    assert far[45, 0] == QUIET_DB  # 450 m away, past the cutoff


def test_the_default_town_is_loud_by_its_busy_roads_and_quiet_in_the_woods(default_world: World) -> None:
    sim = Simulation(default_world)
    sim.step()
    laeq = sim.board["grid_noise_laeq_dba"]
    assert laeq.shape == default_world.grid.shape and laeq.dtype == np.float32
    busiest = int(np.argmax(sim.board["link_flow_veh_h"]))
    n = default_world.network
    mid_x = (n.node_x_m[n.link_from[busiest]] + n.node_x_m[n.link_to[busiest]]) / 2.0
    mid_y = (n.node_y_m[n.link_from[busiest]] + n.node_y_m[n.link_to[busiest]]) / 2.0
    beside = laeq[int(mid_y // default_world.meta.cell_m), int(mid_x // default_world.meta.cell_m)]
    assert 55.0 < beside < 85.0
    assert beside > np.percentile(laeq, 90)


def test_the_map_is_redrawn_only_when_a_road_gets_louder_or_quieter(default_world: World) -> None:
    sim = Simulation(default_world)
    for _ in range(4):
        sim.step()
    before = sim.board["grid_noise_laeq_dba"]
    sim.step()
    assert sim.board["grid_noise_laeq_dba"] is before  # traffic settled: nothing to redraw
    busiest = int(np.argmax(sim.board["link_flow_veh_h"]))
    sim.set_closed([busiest], True)
    for _ in range(2):
        sim.step()
    after = sim.board["grid_noise_laeq_dba"]
    assert after is not before and not np.array_equal(after, before)



def test_lden_weighs_evening_and_night_as_the_directive_says() -> None:
    # Directive 2002/49/EC: 12 day hours, 4 evening (+5 dB), 8 night (+10 dB). A level
    # steady all day is 6.4 dB quieter than its Lden.
    steady = np.full((24, 1), 60.0)
    assert lden_from_hours(steady)[0] == pytest.approx(60.0 + 10.0 * math.log10((12 + 4 * 10**0.5 + 8 * 10) / 24), abs=1e-9)
    assert lden_from_hours(steady)[0] == pytest.approx(66.40, abs=0.01)
    # Loud only in the evening hours 19-23 at 70 dB: 10 lg(4 * 10^7.5 / 24).
    evening = np.full(24, -50.0)
    evening[19:23] = 70.0
    assert float(lden_from_hours(evening)) == pytest.approx(10.0 * math.log10(4 * 10**7.5 / 24), abs=1e-6)


def test_the_day_correction_reproduces_the_hourly_lden_for_a_traffic_profile() -> None:
    # Sound energy proportional to flow: levels hour by hour from a profile, then Lden the
    # long way, must equal the level now plus the correction.
    profile = np.array([1, 1, 1, 1, 2, 5, 20, 60, 80, 50, 40, 40, 45, 45, 45, 60, 80, 90, 60, 40, 25, 15, 8, 3], float)
    for hour in (7, 8, 17, 23):
        now_db = 62.0
        by_hour = now_db + 10.0 * np.log10(profile / profile[hour])
        lden, lnight = day_corrections_db(profile, hour)
        assert now_db + lden == pytest.approx(float(lden_from_hours(by_hour)), abs=1e-9)
        night = np.r_[by_hour[:7], by_hour[23:]]
        assert now_db + lnight == pytest.approx(10.0 * math.log10(np.mean(10.0 ** (night / 10.0))), abs=1e-9)


def test_the_town_counts_residents_in_noise_above_the_who_guidelines(default_world: World) -> None:
    sim = Simulation(default_world)
    sim.step()
    laeq, lden = sim.board["grid_noise_laeq_dba"], sim.board["grid_noise_lden_dba"]
    heard = laeq > QUIET_DB
    # At 07:00, a morning hour busier than the day's average, Lden sits a little above LAeq.
    assert np.all(np.abs(lden[heard] - laeq[heard] - (lden[heard][0] - laeq[heard][0])) < 1e-3)
    residents = default_world.grid.residents
    above = float(sim.board["indicator.residents_above_who_lden"])
    assert above == pytest.approx(float(residents[lden > 53.0].sum()))
    assert 0.0 < above < residents.sum()
    # Night traffic is a tenth of the morning's (10 dB less) while the night guideline is
    # only 8 dB stricter: fewer people are above it at night.
    assert 0.0 < float(sim.board["indicator.residents_above_who_lnight"]) < above


def test_drawing_only_the_roads_that_changed_gives_the_map_drawn_afresh(default_world: World) -> None:
    sim = Simulation(default_world)
    for _ in range(3):
        sim.step()
    busiest = int(np.argmax(sim.board["link_flow_veh_h"]))
    sim.set_closed([busiest], True)
    sim.step()
    drawn = sim.board["noise_map_power_dba_m"]  # links that moved by less than redraw_db keep their old power
    n, soft = default_world.network, sim.board["grid_soft_ground"]
    x, y = n.node_x_m, n.node_y_m
    afresh = noise_grid(0.0, 0.0, default_world.meta.cell_m, *soft.shape, x[n.link_from], y[n.link_from],
                        x[n.link_to], y[n.link_to], drawn, ~soft, CUTOFF_M)
    np.testing.assert_allclose(sim.board["grid_noise_laeq_dba"], afresh, atol=1e-3)


def test_when_every_road_moves_the_map_catches_up_over_a_few_ticks(default_world: World) -> None:
    sim = Simulation(default_world)
    sim.step()
    noise_map = next(m for m in sim.pipeline.modules if isinstance(m, NoiseMap))
    noise_map.max_links_per_tick = 100
    board = sim.board
    board["link_sound_power_dba_m"] = np.where(board["link_sound_power_dba_m"] > NO_SOUND_DB,
                                               board["link_sound_power_dba_m"] - 3.0, NO_SOUND_DB)
    moved = int((board["link_sound_power_dba_m"] != board["noise_map_power_dba_m"]).sum())
    assert moved > 300
    for tick in range((moved + 99) // 100):
        noise_map.step(board)
        left = int((board["link_sound_power_dba_m"] != board["noise_map_power_dba_m"]).sum())
        assert left == max(0, moved - 100 * (tick + 1))  # the budget, and no more, each tick
    n, soft = default_world.network, board["grid_soft_ground"]
    x, y = n.node_x_m, n.node_y_m
    afresh = noise_grid(0.0, 0.0, default_world.meta.cell_m, *soft.shape, x[n.link_from], y[n.link_from],
                        x[n.link_to], y[n.link_to], board["link_sound_power_dba_m"], ~soft, CUTOFF_M)
    np.testing.assert_allclose(board["grid_noise_laeq_dba"], afresh, atol=1e-3)
