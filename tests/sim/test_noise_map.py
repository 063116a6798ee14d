"""Road noise spread to the grid: the line-source law, ground, and the default town."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numba
import numpy as np
import pytest
from numba import njit

from agora.server.sim.noise import NO_SOUND_DB
from agora.server.sim.noise_map import (
    CUTOFF_M,
    MIN_DISTANCE_M,
    PARALLEL_LINKS,
    QUIET_DB,
    NoiseMap,
    add_line_sources,
    atan2_upper,
    day_corrections_db,
    lden_from_hours,
    noise_grid,
)
from agora.server.world.simulation import MODULES, Simulation, model_parameters
from agora.server.world.world import World

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from large_world import environment_board, large_world  # noqa: E402

POWER = 81.45  # dB(A)/m: 1,000 cars an hour at 50 km/h (CNOSSOS-EU)


def one_road(ax: float, ay: float, bx: float, by: float, reflecting: bool, size: int = 41) -> np.ndarray:
    levels: np.ndarray = noise_grid(0.0, 0.0, 10.0, size, size, np.array([ax]), np.array([ay]), np.array([bx]),
                                    np.array([by]), np.array([POWER]), np.full((size, size), reflecting), CUTOFF_M)
    return levels


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


@njit(nogil=True)
def exact_energy(height: int, width: int, origin_x_m: float, origin_y_m: float, cell_m: float, ax: np.ndarray,
                 ay: np.ndarray, bx: np.ndarray, by: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """The reference drawing: the same cells as add_line_sources, one libm atan2 a cell, no threads."""
    energy = np.zeros((height, width))
    for k in range(ax.shape[0]):
        dx, dy = bx[k] - ax[k], by[k] - ay[k]
        length = math.sqrt(dx * dx + dy * dy)
        if weight[k] == 0.0 or length <= 0.0:
            continue
        ux, uy = dx / length, dy / length
        y_low, y_high = min(ay[k], by[k]), max(ay[k], by[k])
        x_low, x_high = min(ax[k], bx[k]), max(ax[k], bx[k])
        for r in range(max(0, math.floor((y_low - CUTOFF_M - origin_y_m) / cell_m)),
                       min(height - 1, math.floor((y_high + CUTOFF_M - origin_y_m) / cell_m)) + 1):
            py = origin_y_m + (r + 0.5) * cell_m
            gap = max(0.0, y_low - py, py - y_high)
            if gap > CUTOFF_M:
                continue
            half = math.sqrt(CUTOFF_M * CUTOFF_M - gap * gap)
            for c in range(max(0, math.floor((x_low - half - origin_x_m) / cell_m)),
                           min(width - 1, math.floor((x_high + half - origin_x_m) / cell_m)) + 1):
                rx, ry = origin_x_m + (c + 0.5) * cell_m - ax[k], py - ay[k]
                s = rx * ux + ry * uy
                d = abs(rx * uy - ry * ux)
                if d > CUTOFF_M:
                    continue
                d = max(d, MIN_DISTANCE_M)
                energy[r, c] += weight[k] * math.atan2(length * d, d * d + s * s - s * length) / (4.0 * math.pi * d)
    return energy


def exact_levels(energy: np.ndarray, reflecting: np.ndarray) -> np.ndarray:
    heard = energy > 1e-3
    level = 10.0 * np.log10(np.where(heard, energy, 1.0)) + np.where(reflecting, 3.0, 0.0)
    out: np.ndarray = np.where(heard, level, QUIET_DB)
    return out


def power_energy(power_dba_m: np.ndarray) -> np.ndarray:
    out: np.ndarray = np.where(power_dba_m > NO_SOUND_DB, 10.0 ** (power_dba_m / 10.0), 0.0)
    return out


def test_the_vectorised_arctangent_is_libm_s_to_a_millionth_of_a_millionth() -> None:
    rng = np.random.default_rng(4)
    y = 10.0 ** rng.uniform(-3.0, 6.0, 200_000)
    x = rng.choice([-1.0, 1.0], y.size) * 10.0 ** rng.uniform(-9.0, 9.0, y.size)
    x[:4] = [0.0, -0.0, 1e300, -1e300]
    fast = np.array([atan2_upper(a, b) for a, b in zip(y, x)])
    np.testing.assert_allclose(fast, np.arctan2(y, x), rtol=1e-12, atol=0.0)
    assert atan2_upper(1.0, 1.0) == pytest.approx(math.pi / 4, rel=1e-15)


def test_roads_across_and_beyond_the_edges_of_an_odd_grid_draw_as_the_reference() -> None:
    # 37 x 45 cells (no whole number of SIMD lanes a row), roads short and long, inside,
    # across and outside the grid, some louder and some quieter (energy differences).
    rng = np.random.default_rng(9)
    k = 300
    ax, ay = rng.uniform(-600.0, 1000.0, k), rng.uniform(-600.0, 900.0, k)
    angle, length = rng.uniform(0.0, 2.0 * math.pi, k), 10.0 ** rng.uniform(-1.0, 3.3, k)
    bx, by = ax + length * np.cos(angle), ay + length * np.sin(angle)
    weight = rng.uniform(-1.0, 1.0, k) * 1e8
    weight[::7] = 0.0
    fast = np.zeros((37, 45))
    add_line_sources(fast, -13.0, 7.5, 10.0, ax, ay, bx, by, weight, CUTOFF_M)
    np.testing.assert_allclose(fast, exact_energy(37, 45, -13.0, 7.5, 10.0, ax, ay, bx, by, weight),
                               rtol=1e-9, atol=1e-9 * np.abs(weight).max() / 1e4)


def test_the_drawing_does_not_depend_on_the_number_of_threads() -> None:
    # 3,000 roads at once on one thread or all, or 200 at a time (each drawn on one
    # thread): every cell adds the same roads in the same order, to the same bits.
    assert 200 < PARALLEL_LINKS <= 3000
    world = large_world()
    n = world.network
    x, y = n.node_x_m, n.node_y_m
    weight = np.random.default_rng(2).uniform(1e6, 1e8, n.n_links)

    def draw(first: int, stop: int, energy: np.ndarray) -> np.ndarray:
        f, t = n.link_from[first:stop], n.link_to[first:stop]
        add_line_sources(energy, 0.0, 0.0, 25.0, x[f], y[f], x[t], y[t], weight[first:stop], CUTOFF_M)
        return energy

    drawn = []
    threads = numba.get_num_threads()
    try:
        for count in sorted({1, threads}):
            numba.set_num_threads(count)
            drawn.append(draw(0, 3000, np.zeros((512, 512))))
    finally:
        numba.set_num_threads(threads)
    in_pieces = np.zeros((512, 512))
    for first in range(0, 3000, 200):
        draw(first, first + 200, in_pieces)
    assert all(np.array_equal(drawn[0], other) for other in [*drawn, in_pieces])


def assert_heard_as_exact(levels: np.ndarray, exact: np.ndarray) -> float:
    """Every cell a road is heard in above 35 dB is within 0.5 dB of the exact drawing (in
    fact within a ten-thousandth: the float32 rounding of the map); returns the largest
    difference."""
    heard = exact > 35.0
    assert heard.sum() > 0.4 * heard.size
    assert np.array_equal(levels > QUIET_DB, exact > QUIET_DB)
    difference = np.abs(levels[heard] - exact[heard])
    assert difference.max() < 0.5
    assert difference.max() < 1e-4
    return float(difference.max())


def test_the_default_town_s_map_is_the_exact_drawing(default_world: World) -> None:
    sim = Simulation(default_world)
    sim.step()
    board, n = sim.board, default_world.network
    soft, x, y = board["grid_soft_ground"], n.node_x_m, n.node_y_m
    height, width = soft.shape
    energy = exact_energy(height, width, 0.0, 0.0, default_world.meta.cell_m, x[n.link_from], y[n.link_from],
                          x[n.link_to], y[n.link_to], power_energy(board["noise_map_power_dba_m"]))
    assert_heard_as_exact(board["grid_noise_laeq_dba"], exact_levels(energy, ~soft))


def test_the_large_world_s_map_is_the_exact_drawing() -> None:
    world = large_world()
    board = environment_board(world)
    params = model_parameters()
    for name in ("fleet", "emissions", "noise", "noise_map"):
        MODULES[name](dict(params.get(name, {}))).step(board)
    n, soft = world.network, board["grid_soft_ground"]
    x, y, (height, width) = n.node_x_m, n.node_y_m, soft.shape
    energy = exact_energy(height, width, 0.0, 0.0, world.meta.cell_m, x[n.link_from], y[n.link_from], x[n.link_to],
                          y[n.link_to], power_energy(board["noise_map_power_dba_m"]))
    assert_heard_as_exact(board["grid_noise_laeq_dba"], exact_levels(energy, ~soft))
