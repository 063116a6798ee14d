"""Air quality: the transport against its analytic solution, mass, linearity, the wind's
direction, the surface layer's venting, NO2 from NOx, and the default town."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pytest

from agora.server.sim.air import Air, wind_components, world_fields
from agora.server.sim.dispersion import advance, rasterise, substeps
from agora.server.world.simulation import Simulation, model_parameters
from agora.server.world.types import LandUse
from agora.server.world.world import World, resolve_world

PARAMS: dict[str, Any] = model_parameters()["air"]


def k0(z: float) -> float:
    """The modified Bessel function K0(z) = integral of exp(-z cosh t) over t >= 0."""
    t = np.linspace(0.0, 12.0, 200_001)
    f = np.exp(-z * np.cosh(t))
    return float(np.sum((f[1:] + f[:-1]) * 0.5 * (t[1] - t[0])))


def steady_point_source(x_m: float, y_m: float, q_over_h: float, k: float, u: float, lam: float) -> float:
    """C = Q/(2 pi K H) exp(u x / 2K) K0(kappa r), kappa = sqrt(u^2/4K^2 + lambda/K)."""
    kappa = math.sqrt(u * u / (4.0 * k * k) + lam / k)
    return q_over_h / (2.0 * math.pi * k) * math.exp(u * x_m / (2.0 * k)) * k0(kappa * math.hypot(x_m, y_m))


def test_the_reference_values_are_the_analytic_solution() -> None:
    assert steady_point_source(100.0, 0.0, 1.0, 10.0, 2.0, 1e-4) == pytest.approx(6.2004e-3, rel=1e-4)
    assert steady_point_source(500.0, 0.0, 1.0, 10.0, 2.0, 1e-4) == pytest.approx(2.7438e-3, rel=1e-4)


@pytest.mark.parametrize("dx", [10.0, 5.0])
def test_a_point_source_settles_to_the_analytic_steady_plume(dx: float) -> None:
    # Q/H = 1 in one cell at x = 0; K = 10 m2/s, u = 2 m/s towards +x, lambda = 1e-4 /s.
    k, u, lam = 10.0, 2.0, 1e-4
    x0_m, x1_m, half_width_m = -150.0, 800.0, 300.0
    nx, ny = round((x1_m - x0_m) / dx), 2 * round(half_width_m / dx) + 1
    row, col = ny // 2, round(-x0_m / dx)
    source = np.zeros((1, ny, nx))
    source[0, row, col] = 1.0 / (dx * dx)
    n, dt = substeps(1500.0, u, 0.0, k, lam, dx)  # 1500 s: the wind has carried it 3 km
    c = advance(np.zeros((1, ny, nx)), source, np.array([lam]), u, 0.0, k, dx, dt, n, False)[0]
    assert c[row, col + round(100.0 / dx)] == pytest.approx(6.2004e-3, rel=0.01)
    assert c[row, col + round(500.0 / dx)] == pytest.approx(2.7438e-3, rel=0.01)
    # Off the axis too, and never below the background.
    assert c[row + round(50.0 / dx), col + round(300.0 / dx)] == pytest.approx(
        steady_point_source(300.0, 50.0, 1.0, k, u, lam), rel=0.02)
    assert c.min() >= 0.0


def test_the_sub_steps_respect_both_stability_limits() -> None:
    for ux, uy, k, dx in ((4.0, -3.0, 25.0, 50.0), (0.5, 0.0, 100.0, 25.0), (0.0, 0.0, 1.0, 5.0)):
        n, dt = substeps(60.0, ux, uy, k, 1e-4, dx)
        assert n * dt == pytest.approx(60.0)
        assert math.hypot(ux, uy) * dt / dx <= 1.0
        assert k * dt / dx**2 <= 0.25


def test_a_closed_box_keeps_its_mass_to_round_off() -> None:
    rng = np.random.default_rng(7)
    conc = rng.random((2, 40, 56)) * np.array([30.0, 5.0])[:, None, None]
    source = np.zeros_like(conc)
    source[:, 10:14, 20:23] = 0.01
    ux, uy = wind_components(3.5, 235.0)
    k, dx = 25.0, 50.0
    n, dt = substeps(3600.0, ux, uy, k, 0.0, dx)
    out = advance(conc, source, np.zeros(2), ux, uy, k, dx, dt, n, True)
    expected = conc.sum(axis=(1, 2)) + n * dt * source.sum(axis=(1, 2))
    np.testing.assert_allclose(out.sum(axis=(1, 2)), expected, rtol=1e-13)
    assert out.min() >= 0.0


def test_an_open_box_keeps_its_mass_while_the_plume_is_inside() -> None:
    source = np.zeros((1, 60, 60))
    source[0, 30, 20] = 1.0
    n, dt = substeps(300.0, 2.0, 0.5, 10.0, 0.0, 25.0)  # reaches about 600 m of the 1 km east
    out = advance(np.zeros((1, 60, 60)), source, np.zeros(1), 2.0, 0.5, 10.0, 25.0, dt, n, False)
    assert out.sum() == pytest.approx(n * dt, rel=1e-12)


def test_rasterising_splits_a_link_by_its_length_in_each_cell_and_keeps_the_total() -> None:
    # 10 m cells; the first link runs from x = 5 to 35 m along y = 5 m: 5, 10, 10, 5 m in
    # columns 0-3. The second starts outside the grid: its outside part goes to the edge.
    ax, ay = np.array([5.0, -50.0]), np.array([5.0, 15.0])
    bx, by = np.array([35.0, 12.0]), np.array([5.0, 33.0])
    mass = np.array([[30.0, 7.0], [3.0, 0.7]])
    cells = rasterise(ax, ay, bx, by, mass, 0.0, 0.0, 10.0, 4, 4)
    np.testing.assert_allclose(cells.sum(axis=(1, 2)), mass.sum(axis=1), rtol=1e-14)
    alone = rasterise(ax[:1], ay[:1], bx[:1], by[:1], mass[:, :1], 0.0, 0.0, 10.0, 4, 4)
    np.testing.assert_allclose(alone[0, 0], [5.0, 10.0, 10.0, 5.0], rtol=1e-12)
    assert alone[0, 1:].sum() == 0.0


def test_wind_directions_are_meteorological() -> None:
    east, north = wind_components(3.0, 270.0)  # from the west: towards the east
    assert east == pytest.approx(3.0) and north == pytest.approx(0.0, abs=1e-12)
    east, north = wind_components(3.0, 0.0)  # from the north: towards the south
    assert east == pytest.approx(0.0, abs=1e-12) and north == pytest.approx(-3.0)


def one_road_board(wind_from_deg: float, nox_g_h: float = 50.0, size: int = 64) -> dict[str, np.ndarray]:
    """A square world of 25 m cells with one 100 m road across its centre, north-south."""
    middle = size * 25.0 / 2.0
    return {
        "node_x_m": np.array([middle, middle]), "node_y_m": np.array([middle - 50.0, middle + 50.0]),
        "link_from": np.array([0], dtype=np.int32), "link_to": np.array([1], dtype=np.int32),
        "link_nox_g_h": np.array([nox_g_h]), "link_pm25_g_h": np.array([nox_g_h / 20.0]),
        "grid_residents": np.ones((size, size), dtype=np.float32),
        "grid_origin_m": np.zeros(2), "grid_cell_m": np.array(25.0), "clock_hour": np.array(8.5),
        "weather_wind_speed_m_s": np.full(24, 3.0), "weather_wind_from_deg": np.full(24, wind_from_deg),
        "weather_mixing_height_m": np.full(24, 400.0),
    }


@pytest.mark.parametrize(("from_deg", "downwind"), [(270.0, (0, 1)), (90.0, (0, -1)), (0.0, (-1, 0)),
                                                    (180.0, (1, 0))])
def test_the_plume_goes_downwind(from_deg: float, downwind: tuple[int, int]) -> None:
    board = one_road_board(from_deg)
    Air(PARAMS).step(board)
    no2 = board["grid_no2_ug_m3"]
    centre = no2.shape[0] // 2
    dr, dc = downwind
    ahead = no2[centre + 12 * dr, centre + 12 * dc]  # 300 m downwind
    behind = no2[centre - 12 * dr, centre - 12 * dc]
    assert ahead > PARAMS["background_no2_ug_m3"] + 0.01
    assert behind == pytest.approx(PARAMS["background_no2_ug_m3"], abs=1e-4)


def test_doubling_the_emissions_doubles_the_local_increment() -> None:
    once, twice = one_road_board(250.0, 50.0), one_road_board(250.0, 100.0)
    for board in (once, twice):
        air = Air(PARAMS)
        air.step(board)
        air.step(board)
    for name in ("air_nox_ug_m3", "air_pm25_ug_m3"):
        assert once[name].max() > 0.0
        np.testing.assert_allclose(twice[name], 2.0 * once[name], rtol=1e-12, atol=1e-300)
    # NO2 is not linear in NOx: ozone runs short as NOx grows.
    local_once = once["grid_no2_ug_m3"].astype(np.float64) - PARAMS["background_no2_ug_m3"]
    local_twice = twice["grid_no2_ug_m3"].astype(np.float64) - PARAMS["background_no2_ug_m3"]
    peak = np.unravel_index(np.argmax(local_once), local_once.shape)
    assert local_once[peak] < local_twice[peak] <= 2.0 * local_once[peak]


def test_no2_from_nox_follows_van_den_hout() -> None:
    nox = np.array([[0.0, 100.0]])
    residents = np.array([[10.0, 30.0]], dtype=np.float32)
    limits = np.array([[30.0, 5.0], [60.0, 9.5]])
    no2, pm25, sums = world_fields(nox, np.array([[0.0, 1.0]]), 1, residents, 16.0, 9.0, 45.0, 0.15, 100.0, limits)
    roadside = 16.0 + 100.0 * (0.15 + 45.0 * 0.85 / (0.85 * 100.0 + 100.0))  # 51.68
    np.testing.assert_allclose(no2[0], [16.0, roadside], rtol=1e-6)
    np.testing.assert_array_equal(pm25, [[9.0, 10.0]])
    assert sums[0] == 40.0
    assert sums[1] / sums[0] == pytest.approx((10.0 * 16.0 + 30.0 * roadside) / 40.0)
    assert sums[3] == 30.0 and sums[4] == 40.0  # above 30 ug/m3 NO2 only by the road; PM2.5 everywhere
    assert sums[5] == 0.0 and sums[6] == 30.0  # nobody above 60 NO2; above 9.5 PM2.5 by the road


def test_the_surface_layer_is_a_few_building_heights_and_vents_with_the_wind() -> None:
    air = Air(PARAMS)
    depth_m, exchange_m_s = air.surface_layer(3.0, 800.0)
    assert depth_m == pytest.approx(PARAMS["surface_layer_per_building_height"] * PARAMS["mean_building_height_m"])
    assert 20.0 <= depth_m <= 60.0  # 2-5 heights of 10-20 m buildings: a few tens of metres
    assert exchange_m_s == pytest.approx(3.0 * PARAMS["friction_velocity_per_wind"]
                                         * PARAMS["exchange_velocity_per_friction_velocity"])
    assert air.surface_layer(6.0, 800.0)[1] == pytest.approx(2.0 * exchange_m_s)
    assert air.surface_layer(3.0, 20.0)[0] == 20.0  # a shallow mixed layer caps it


def road_across_the_wind(size: int, road_x_m: float, nox_g_h: float) -> dict[str, np.ndarray]:
    """A world of 25 m cells with one north-south road along its whole height, wind from the west."""
    board = one_road_board(270.0, nox_g_h, size)
    board["node_x_m"] = np.array([road_x_m, road_x_m])
    board["node_y_m"] = np.array([0.0, size * 25.0])
    return board


def test_downwind_of_a_road_the_layer_vents_as_the_one_dimensional_solution() -> None:
    # A road across the whole world makes the problem one-dimensional: a line source of q
    # g/m/s in a layer h_s deep, u C' = K C'' - lambda C (+ q / h_s at the road). Downwind
    # C = q / (h_s sqrt(u^2 + 4 K lambda)) exp(-m x), m = (sqrt(u^2 + 4 K lambda) - u) / 2K:
    # the venting w_e / h_s in lambda thins the plume over about u h_s / w_e, 3 km at 3 m/s.
    size, road_x_m, nox_g_h = 192, 825.0, 400.0  # 4.8 km; the road at a solver cell's centre
    board = road_across_the_wind(size, road_x_m, nox_g_h)
    air = Air(PARAMS)
    air.step(board)
    depth_m, exchange_m_s = air.surface_layer(3.0, 400.0)
    lam, k, u = PARAMS["nox_loss_per_s"] + exchange_m_s / depth_m, PARAMS["eddy_diffusivity_m2_s"], 3.0
    root = math.sqrt(u * u + 4.0 * k * lam)
    q_ug_m_s = nox_g_h * 1e6 / 3600.0 / (size * 25.0)
    row = board["air_nox_ug_m3"][size // 4]  # solver cells of 50 m, centres at 25 + 50 j
    for x_m in (500.0, 1500.0, 3000.0):
        expected = q_ug_m_s / (depth_m * root) * math.exp(-(root - u) / (2.0 * k) * x_m)
        assert row[round((road_x_m + x_m - 25.0) / 50.0)] == pytest.approx(expected, rel=0.01)
    # Without venting (NOx's chemical loss alone) it would keep 94% from 500 m to 3 km; with it, 41%.
    assert row[round((road_x_m + 3000.0 - 25.0) / 50.0)] < 0.45 * row[round((road_x_m + 500.0 - 25.0) / 50.0)]


def test_the_first_map_is_already_near_steady(default_world: World) -> None:
    sim = Simulation(default_world)
    sim.step()
    air = Air(PARAMS)
    air.step(sim.board)
    first = sim.board["air_nox_ug_m3"].copy()
    assert first.max() > 0.0
    air.step(sim.board)
    assert np.abs(sim.board["air_nox_ug_m3"] - first).max() < 0.01 * first.max()


def test_the_default_town_breathes_plausible_air(default_world: World) -> None:
    sim = Simulation(default_world)
    sim.step()
    Air(PARAMS).step(sim.board)
    board = sim.board
    no2, pm25 = board["grid_no2_ug_m3"], board["grid_pm25_ug_m3"]
    assert no2.shape == pm25.shape == default_world.grid.shape
    assert no2.dtype == pm25.dtype == np.float32
    assert 3.0 < no2.min() and no2.max() < 60.0
    assert PARAMS["background_pm25_ug_m3"] <= pm25.min() and pm25.max() < 40.0
    # By the busiest road NO2 is higher than in the park.
    n = default_world.network
    busiest = int(np.argmax(board["link_nox_g_h"]))
    mid_x = (n.node_x_m[n.link_from[busiest]] + n.node_x_m[n.link_to[busiest]]) / 2.0
    mid_y = (n.node_y_m[n.link_from[busiest]] + n.node_y_m[n.link_to[busiest]]) / 2.0
    by_road = no2[int(mid_y // default_world.meta.cell_m), int(mid_x // default_world.meta.cell_m)]
    park = no2[default_world.grid.land_use == int(LandUse.PARK)]
    assert by_road > park.mean()
    residents = float(default_world.grid.residents.sum())
    weighted = float(board["indicator.no2_pop_weighted_ug_m3"])
    assert no2.min() <= weighted <= no2.max()
    for name in ("residents_above_who_no2", "residents_above_who_pm25"):
        assert 0.0 <= float(board[f"indicator.{name}"]) <= residents
        assert board[f"indicator.{name}"].shape == () and board[f"indicator.{name}"].dtype == np.float64


def test_the_eu_2030_indicators_count_the_residents_a_busier_street_puts_over_the_limits() -> None:
    counts = []
    for nox_g_h in (0.0, 2_000.0, 8_000.0, 16_000.0):  # 1.6 km of street: 0 to 10 kg/km/h of NOx
        board = road_across_the_wind(64, 825.0, nox_g_h)
        board["link_pm25_g_h"] = np.array([nox_g_h / 2.0])  # enough PM2.5 to cross 10 ug/m3 too
        Air(PARAMS).step(board)
        counts.append((float(board["indicator.residents_above_eu2030_no2"]),
                       float(board["indicator.residents_above_eu2030_pm25"])))
    assert counts[0] == (0.0, 0.0)
    assert all(a <= b for a, b in itertools.pairwise(counts))
    assert counts[-1][0] > 0.0 and counts[-1][1] > 0.0


def cells_along(world: World, link: int) -> np.ndarray:
    """The world's cells (row, column) a link's segment passes through, int64[n, 2]."""
    n, cell_m = world.network, world.meta.cell_m
    t = np.linspace(0.0, 1.0, 200)
    x = n.node_x_m[n.link_from[link]] + t * (n.node_x_m[n.link_to[link]] - n.node_x_m[n.link_from[link]])
    y = n.node_y_m[n.link_from[link]] + t * (n.node_y_m[n.link_to[link]] - n.node_y_m[n.link_from[link]])
    return np.unique(np.c_[(y // cell_m).astype(np.int64), (x // cell_m).astype(np.int64)], axis=0)


def test_the_busiest_street_shows_on_the_map_and_closing_it_clears_its_air() -> None:
    sim = Simulation(World.load(resolve_world("default")))
    for _ in range(3):
        sim.step()
    world, board = sim.world, sim.board
    flow = board["link_flow_veh_h"]
    link = int(np.argmax(flow + flow[world.network.twin]))
    twin = int(world.network.twin[link])
    cells = cells_along(world, link)
    park = world.grid.land_use == int(LandUse.PARK)

    def increments() -> tuple[float, float]:
        local = board["grid_no2_ug_m3"].astype(np.float64) - PARAMS["background_no2_ug_m3"]
        return float(local[cells[:, 0], cells[:, 1]].mean()), float(local[park].mean())

    by_road, in_park = increments()
    sim.set_closed([link, twin], True)
    for _ in range(3):
        sim.step()
    closed, park_after = increments()
    print(f"\nbusiest street {link}/{twin}: {flow[link]:.0f} + {flow[twin]:.0f} veh/h; NO2 over the background: "
          f"beside it {by_road:.3f}, parks {in_park:.3f}, beside it closed {closed:.3f}, parks {park_after:.3f} ug/m3")
    # Beside the street the block's air carries its traffic: tenths of a ug/m3 for some 600
    # vehicles an hour (instant mixing over the mixing height gave hundredths); parks keep
    # near the background; closing the street takes its own share away within minutes.
    assert 0.2 < by_road < 5.0
    assert in_park < 0.3 * by_road
    assert closed < 0.85 * by_road
    residents = float(world.grid.residents.sum())
    for name in ("residents_above_eu2030_no2", "residents_above_eu2030_pm25"):
        assert 0.0 <= float(board[f"indicator.{name}"]) <= residents


def test_the_same_inputs_give_the_same_bytes(default_world: World) -> None:
    sim = Simulation(default_world)
    sim.step()
    runs = []
    for _ in range(2):
        board = dict(sim.board)
        air = Air(PARAMS)
        air.step(board)
        board["clock_hour"] = np.array(13.0)  # another hour: another wind and mixing height
        air.step(board)
        runs.append({name: board[name].tobytes() for name in air.outputs})
    assert runs[0] == runs[1]


def test_the_parameters_are_checked() -> None:
    with pytest.raises(ValueError, match="eddy_diffusivity_m2_s"):
        Air({**PARAMS, "eddy_diffusivity_m2_s": 0.0})
    with pytest.raises(ValueError, match="mean_building_height_m"):
        Air({**PARAMS, "mean_building_height_m": -12.0})
