from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from agora.server.sim.demand import Demand, DemandParameters, distribute, furness
from agora.server.sim.generation import PURPOSES
from agora.server.sim.modes import BIKE, CAR, PT, WALK
from agora.server.sim.pipeline import Board
from agora.server.world.simulation import Simulation, model_parameters, world_board
from agora.server.world.world import World, resolve_world


@pytest.fixture(scope="module")
def params() -> DemandParameters:
    return DemandParameters.from_mapping(model_parameters()["demand"])


@pytest.fixture(scope="module")
def town() -> World:
    return World.load(resolve_world("default"))


def _run(world: World, params: DemandParameters, **board: np.ndarray) -> tuple[Demand, Board]:
    demand = Demand(params)
    b = world_board(world)
    b.update(board)
    demand.step(b)
    return demand, b


# -- distribution ------------------------------------------------------------------------


def test_furness_matches_both_margins_and_keeps_the_seed_odds_ratios() -> None:
    # A doubly constrained model only rescales rows and columns of the seed, so every
    # odds ratio T_ij T_kl / (T_il T_kj) equals the seed's (Ortuzar & Willumsen 2011, 5.3).
    productions = np.array([400.0, 460.0, 400.0, 702.0])
    attractions = np.array([260.0, 400.0, 500.0, 802.0])
    cost = np.array([[3.0, 11, 18, 22], [12, 3, 13, 19], [15.5, 13, 5, 7], [24, 18, 8, 5]])
    seed = np.exp(-0.1 * cost)
    trips, iterations, error = furness(productions, attractions, seed, 500, 1e-12)
    assert error <= 1e-12 and iterations < 500
    np.testing.assert_allclose(trips.sum(axis=1), productions, rtol=1e-10)
    np.testing.assert_allclose(trips.sum(axis=0), attractions, rtol=1e-10)
    odds = trips[0, 1] * trips[2, 3] / (trips[0, 3] * trips[2, 1])
    seed_odds = seed[0, 1] * seed[2, 3] / (seed[0, 3] * seed[2, 1])
    assert odds == pytest.approx(seed_odds, rel=1e-9)


def test_two_by_two_gravity_has_the_closed_form_solution() -> None:
    # With margins (a, b) x (c, d) the table is fixed by x = T_00 and the odds ratio
    # x (b - c + x) / ((a - x)(c - x)) = f00 f11 / (f01 f10): a quadratic in x.
    p, q = np.array([30.0, 70.0]), np.array([60.0, 40.0])
    f = np.array([[1.0, 0.25], [0.5, 1.0]])
    trips, _, _ = furness(p, q, f, 1000, 1e-14)
    r = f[0, 0] * f[1, 1] / (f[0, 1] * f[1, 0])
    a, c, b = p[0], q[0], p[1]
    # x (b - c + x) = r (a - x)(c - x)  ->  (1 - r) x^2 + (b - c + r(a + c)) x - r a c = 0
    coeffs = [1 - r, b - c + r * (a + c), -r * a * c]
    x = next(root.real for root in np.roots(coeffs) if 0 <= root.real <= min(a, c))
    assert trips[0, 0] == pytest.approx(x, rel=1e-9)


def test_zones_that_reach_nothing_send_and_receive_nothing() -> None:
    productions = np.array([100.0, 200.0, 50.0])
    attractions = np.array([300.0, 0.0, 100.0])
    # Zone 2 reaches only zone 1, which attracts nothing.
    seed = np.array([[1.0, 0.5, 0.0], [0.5, 1.0, 0.2], [0.0, 0.2, 0.0]])
    trips = distribute(productions, attractions, seed)
    assert trips[2].sum() == 0.0
    np.testing.assert_allclose(trips[:2].sum(axis=1), productions[:2])
    np.testing.assert_allclose(trips.sum(), 300.0)
    assert (trips[seed == 0.0] == 0.0).all()


def test_people_prefer_the_nearer_jobs() -> None:
    # Two housing zones each beside one of two job zones: most trips stay near home, in
    # the proportion exp(beta * cost difference) implied by the deterrence function.
    productions = np.array([1000.0, 1000.0, 0.0, 0.0])
    attractions = np.array([0.0, 0.0, 500.0, 500.0])
    cost = np.array([[0, 30, 5, 25], [30, 0, 25, 5], [5, 25, 0, 30], [25, 5, 30, 0]], dtype=float)
    trips = distribute(productions, attractions, np.exp(-0.1 * cost))
    assert trips[0, 2] / trips[0, 3] == pytest.approx(np.exp(0.1 * 20), rel=1e-9)
    assert trips[1, 3] / trips[1, 2] == pytest.approx(np.exp(0.1 * 20), rel=1e-9)


def test_every_purpose_keeps_its_margins_in_the_default_world(town: World, params: DemandParameters) -> None:
    demand, board = _run(town, params)
    daily = demand.daily
    assert daily is not None
    static = demand._static
    assert static is not None
    for p, name in enumerate(PURPOSES):
        trips = daily.trips[p]
        np.testing.assert_allclose(trips.sum(axis=1), static.productions[p], rtol=1e-7, err_msg=name)
        np.testing.assert_allclose(trips.sum(axis=0), static.attractions[p], rtol=1e-7, err_msg=name)
    # The day's trips are the sourced rates times the residents.
    residents = board["zone_residents"].sum()
    np.testing.assert_allclose(daily.trips.sum(axis=(1, 2)), params.rates * residents, rtol=1e-9)


# -- the module on the default world --------------------------------------------------------


def test_outputs_for_the_hour(town: World, params: DemandParameters) -> None:
    demand, board = _run(town, params)
    z = town.n_zones
    by_mode, car = board["od_trips_by_mode_h"], board["od_car_trips_h"]
    assert by_mode.shape == (4, z, z) and car.shape == (z, z)
    assert int(board["demand_hour"]) == 8  # no clock on the board: the morning peak
    np.testing.assert_allclose(board["trips_by_mode_h"], by_mode.sum(axis=(1, 2)))
    assert board["mode_share"].sum() == pytest.approx(1.0)
    # Car trips within a zone, or between zones on one node, never reach the network...
    same_node = town.zone_node[:, None] == town.zone_node[None, :]
    assert (car[same_node] == 0.0).all() and (np.diag(car) == 0.0).all()
    assert by_mode[CAR][same_node].sum() > 0.0  # ...though people make them
    # Elsewhere the car matrix is the car's person trips over the occupancy.
    np.testing.assert_allclose(car[~same_node], by_mode[CAR][~same_node] / params.car_occupancy)
    assert (by_mode[PT][same_node] == 0.0).all()
    # Every mode carries people; walking is what people do within a zone.
    assert (board["mode_share"] > 0.05).all()
    inside = np.einsum("mii->m", by_mode)
    assert int(np.argmax(inside)) == WALK


def test_the_day_reproduces_the_calibrated_national_split(town: World, params: DemandParameters) -> None:
    # The constants in rules/models.toml were calibrated on the free-flow day of Velmstadt to
    # MiD 2017: car 57%, public transport 10%, bike 11%, walking 22%.
    from agora.server.sim.demand import daily_totals

    demand, _ = _run(town, params)
    assert demand.daily is not None
    totals = daily_totals(demand.daily, params)
    np.testing.assert_allclose(totals / totals.sum(), [0.57, 0.10, 0.11, 0.22], atol=0.002)


def test_walking_fades_and_driving_grows_with_distance(town: World, params: DemandParameters) -> None:
    from agora.server.sim.demand import trips_in_hour

    demand, _ = _run(town, params)
    assert demand.daily is not None
    day = trips_in_hour(demand.daily, params.from_home.sum(axis=1), params.to_home.sum(axis=1))
    km = demand.daily.costs.walk_min * params.walk_kmh / 60.0
    bands = [(km < 0.5), (km >= 0.5) & (km < 1.0), (km >= 1.0) & (km < 2.0), (km >= 2.0) & (km < 3.0)]
    shares = np.array([day[:, band].sum(axis=1) / day[:, band].sum() for band in bands])
    assert (np.diff(shares[:, WALK]) < 0.0).all() and (np.diff(shares[:, CAR]) > 0.0).all()
    assert shares[0, WALK] > 0.35 and shares[3, WALK] < 0.06
    assert shares[0, CAR] < 0.5 and shares[3, CAR] > 0.7


def test_time_of_day_slices_differ(town: World, params: DemandParameters) -> None:
    jobs_per_resident = town.zone_totals(town.grid.jobs) / np.maximum(town.zone_totals(town.grid.residents), 1.0)
    work_zone = jobs_per_resident > 1.0

    def at(hour: float) -> Board:
        return _run(town, params, clock_hour=np.array(hour))[1]

    morning, midday, evening, night = at(8.0), at(12.5), at(17.0), at(3.0)
    assert int(midday["demand_hour"]) == 12
    totals = [float(b["od_car_trips_h"].sum()) for b in (morning, midday, evening, night)]
    assert len(set(totals)) == 4
    assert totals[3] < 0.05 * min(totals[:3])  # hardly anybody at 3 a.m.
    assert totals[2] > totals[0]  # the evening peak carries more than the hour after 8
    # In the morning people drive to the zones with the jobs; in the evening they drive home.
    for board, sign in ((morning, 1.0), (evening, -1.0)):
        car = board["od_car_trips_h"]
        into_work = car[~work_zone][:, work_zone].sum() - car[work_zone][:, ~work_zone].sum()
        assert sign * into_work > 0.0
    # Education trips make the morning's share of public transport and walking differ from midday.
    assert not np.allclose(morning["mode_share"], midday["mode_share"])


def test_raising_the_car_cost_lowers_the_car_share_in_the_town(town: World, params: DemandParameters) -> None:
    base = _run(town, params)[1]["mode_share"]
    dearer = _run(town, dataclasses.replace(params, parking_eur=4.0))[1]["mode_share"]
    assert dearer[CAR] < base[CAR] - 0.02
    assert (dearer[1:] > base[1:]).all()


def test_congestion_feeds_back_into_mode_and_destination(town: World, params: DemandParameters) -> None:
    demand, board = _run(town, params)
    before = {k: board[k].copy() for k in ("mode_share", "od_trips_by_mode_h")}
    free = board["link_free_time_min"]
    # The same times again: nothing to recompute.
    board["link_time_min"] = free.copy()
    demand.step(board)
    assert demand.recomputes == 1
    # Jammed streets: the demand moves half-way towards the new times, and people leave the car.
    board["link_time_min"] = free * 3.0
    demand.step(board)
    assert demand.recomputes == 2
    np.testing.assert_allclose(board["demand_link_time_min"], free * 2.0)
    assert board["mode_share"][CAR] < before["mode_share"][CAR] - 0.01
    # Shorter car trips: people also pick nearer destinations.
    car_km = demand.daily.costs.car_km if demand.daily is not None else None
    assert car_km is not None
    reachable = np.isfinite(car_km)
    by_mode = board["od_trips_by_mode_h"].sum(axis=0)
    old = before["od_trips_by_mode_h"].sum(axis=0)
    assert (by_mode[reachable] * car_km[reachable]).sum() < (old[reachable] * car_km[reachable]).sum()


def test_buses_in_bus_lanes_keep_their_times_in_a_jam(town: World, params: DemandParameters) -> None:
    lanes = np.zeros(town.network.n_links, dtype=np.bool_)
    lanes[town.lines.link] = True
    for bus_lane, unaffected in ((lanes, True), (np.zeros_like(lanes), False)):
        demand, board = _run(town, params, link_bus_lane=bus_lane)
        assert demand.daily is not None
        free = demand.daily.costs.pt_generalised_min.copy()
        board["link_time_min"] = board["link_free_time_min"] * 3.0
        demand.step(board)
        assert demand.recomputes == 2 and demand.daily is not None
        jammed = demand.daily.costs.pt_generalised_min
        reachable = np.isfinite(free)
        assert np.array_equal(jammed[reachable], free[reachable]) == unaffected
        assert (jammed[reachable] >= free[reachable]).all()


def test_better_buses_and_bike_lanes_win_riders(town: World, params: DemandParameters) -> None:
    base = _run(town, params)[1]["mode_share"]
    frequent = _run(town, params, line_headway_min=town.lines.headway_min / 2.0)[1]["mode_share"]
    assert frequent[PT] > base[PT] + 0.01 and frequent[CAR] < base[CAR]
    main_roads = np.isin(town.network.road_class, (0, 1))  # arterials and collectors
    lanes = _run(town, params, link_bike_lane=main_roads)[1]["mode_share"]
    assert lanes[BIKE] > base[BIKE] + 0.001 and lanes[CAR] < base[CAR]


def test_a_closure_moves_people_to_bikes_and_buses(town: World) -> None:
    sim = Simulation(town.copy())
    for _ in range(5):
        sim.step()
    before = sim.board["trips_by_mode_h"].copy()
    busiest = int(sim.link_flow_veh_h().argmax())
    twin = int(sim.world.network.twin[busiest])
    sim.set_closed([busiest] + ([twin] if twin >= 0 else []), True)
    for _ in range(5):
        sim.step()
    after = sim.board["trips_by_mode_h"]
    assert after[CAR] < before[CAR]
    assert after[PT] + after[BIKE] > before[PT] + before[BIKE]
    assert after.sum() == pytest.approx(before.sum(), rel=1e-9)  # the same people, other modes


def test_deterministic_and_resumable_from_the_board(town: World, params: DemandParameters) -> None:
    a, board_a = _run(town, params)
    b, board_b = _run(town, params)
    for name in Demand.outputs:
        assert board_a[name].tobytes() == board_b[name].tobytes(), name
    # Congestion arrives, the module recomputes; a new module given the same board agrees bit for bit.
    for board in (board_a, board_b):
        board["link_time_min"] = board["link_free_time_min"] * 1.7
    a.step(board_a)
    resumed = Demand(params)
    copy = {k: v.copy() for k, v in board_a.items()}
    copy["link_time_min"] = copy["demand_link_time_min"].copy()  # nothing new since
    resumed.step(copy)
    for name in Demand.outputs:
        assert copy[name].tobytes() == board_a[name].tobytes(), name


def test_missing_parameters_are_named() -> None:
    p = dict(model_parameters()["demand"])
    del p["asc_pt"], p["to_home_work"]
    with pytest.raises(KeyError, match="asc_pt, to_home_work"):
        DemandParameters.from_mapping(p)
