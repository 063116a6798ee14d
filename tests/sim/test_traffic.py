from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from agora.server.sim.paths import all_or_nothing, forward_star
from agora.server.sim.traffic import Assignment, assign, beckmann, bpr_time, total_travel_time
from agora.server.world.tntp import TntpNetwork, TntpTrips, read_flow, read_net, read_trips

SIOUX_FALLS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "tntp" / "SiouxFalls"
# Published in shared/data/README.md, recomputed from SiouxFalls_flow.tntp.
BEST_TOTAL_TRAVEL_TIME = 7_480_225.34
BEST_BECKMANN = 4_231_335.29


@pytest.fixture(scope="module")
def sioux_falls() -> tuple[TntpNetwork, TntpTrips]:
    return read_net(SIOUX_FALLS / "SiouxFalls_net.tntp"), read_trips(SIOUX_FALLS / "SiouxFalls_trips.tntp")


def _assign_sf(data: tuple[TntpNetwork, TntpTrips], **kwargs: Any) -> Assignment:
    net, trips = data
    usable = kwargs.pop("usable", None)
    demand = kwargs.pop("demand", trips.demand)
    return assign(
        net.n_nodes, net.init_node, net.term_node, net.free_flow_time, net.capacity, net.b,
        net.power, usable, np.arange(net.n_zones), demand, first_thru_node=net.first_thru_node,
        **{"max_iter": 5000, **kwargs},
    )


@pytest.fixture(scope="module")
def sf_converged(sioux_falls: tuple[TntpNetwork, TntpTrips]) -> Assignment:
    return _assign_sf(sioux_falls, target_gap=1e-6)


def _assert_feasible(result: Assignment, link_from: np.ndarray, link_to: np.ndarray,
                     zone_node: np.ndarray, demand: np.ndarray, n_nodes: int) -> None:
    """Every origin's flow is non-negative and sends exactly its trips to each destination."""
    flows = result.origin_flow_veh_h
    assert np.all(flows >= 0.0)
    for o in range(zone_node.shape[0]):
        balance = np.zeros(n_nodes)
        np.add.at(balance, link_from, flows[o])
        np.add.at(balance, link_to, -flows[o])
        expected = np.zeros(n_nodes)
        np.add.at(expected, zone_node, -demand[o])
        expected[zone_node[o]] += demand[o].sum()
        np.testing.assert_allclose(balance, expected, atol=1e-6 * max(demand[o].sum(), 1.0))
    np.testing.assert_array_equal(result.flow_veh_h, flows.sum(axis=0))


def test_bpr_time_and_beckmann_by_hand() -> None:
    free = np.array([10.0, 4.0])
    cap = np.array([100.0, 50.0])
    flow = np.array([200.0, 0.0])
    alpha = np.array([0.15, 0.15])
    beta = np.array([4.0, 4.0])
    np.testing.assert_allclose(bpr_time(free, cap, flow, alpha, beta), [10.0 * (1 + 0.15 * 16), 4.0])
    # Integral of 10 * (1 + 0.15 (x/100)^4) from 0 to 200 = 10 * (200 + 0.15 * 100 / 5 * 2^5).
    assert beckmann(free, cap, flow, alpha, beta) == pytest.approx(10.0 * (200.0 + 0.15 * 20.0 * 32.0))
    # The objective's derivative is the link time.
    step = 1e-3
    gradient = (beckmann(free, cap, flow + step, alpha, beta) - beckmann(free, cap, flow - step, alpha, beta)) / (2 * step)
    assert gradient == pytest.approx(bpr_time(free, cap, flow, alpha, beta).sum(), rel=1e-8)
    # Non-integer exponents take the general power.
    assert bpr_time(free[:1], cap[:1], flow[:1], alpha[:1], np.array([2.5]))[0] == pytest.approx(10.0 * (1 + 0.15 * 2.0**2.5))


def _two_links(alpha: float, beta: float, demand: float, **kwargs: Any) -> Assignment:
    return assign(
        2, np.array([0, 0]), np.array([1, 1]), np.array([10.0, 15.0]), np.array([100.0, 200.0]),
        alpha, beta, None, np.array([0, 1]), np.array([[0.0, demand], [0.0, 0.0]]), **kwargs,
    )


def test_two_parallel_links_linear_split_by_hand() -> None:
    # t1 = 10 + 0.1 x1 and t2 = 15 + 0.075 x2 with x1 + x2 = 100: x1 = 12.5 / 0.175 = 500 / 7.
    result = _two_links(1.0, 1.0, 100.0, target_gap=1e-12)
    np.testing.assert_allclose(result.flow_veh_h, [500.0 / 7.0, 200.0 / 7.0], rtol=1e-12)
    np.testing.assert_allclose(result.time_min, [120.0 / 7.0, 120.0 / 7.0], rtol=1e-12)
    assert result.relative_gap <= 1e-12
    assert result.unserved_trips == 0.0


def test_two_parallel_links_bpr_equal_times_and_extra_cost_shifts_the_split() -> None:
    result = _two_links(0.15, 4.0, 400.0, target_gap=1e-12)
    assert result.flow_veh_h.sum() == pytest.approx(400.0)
    assert result.time_min[0] == pytest.approx(result.time_min[1], rel=1e-10)
    extra = np.array([0.0, 2.0])
    shifted = _two_links(0.15, 4.0, 400.0, target_gap=1e-12, generalised_extra=extra)
    assert shifted.time_min[0] == pytest.approx(shifted.time_min[1] + 2.0, rel=1e-10)
    assert shifted.flow_veh_h[0] > result.flow_veh_h[0]


def test_all_traffic_uncongested_goes_the_short_way() -> None:
    result = _two_links(0.15, 4.0, 1e-3, target_gap=1e-9)
    assert result.flow_veh_h.tolist() == [1e-3, 0.0]


def test_sioux_falls_matches_the_best_known_solution(
    sioux_falls: tuple[TntpNetwork, TntpTrips], sf_converged: Assignment
) -> None:
    net, trips = sioux_falls
    result = sf_converged
    assert result.relative_gap <= 1e-6
    assert result.unserved_trips == 0.0
    tstt = total_travel_time(result.time_min, result.flow_veh_h)
    assert tstt == pytest.approx(BEST_TOTAL_TRAVEL_TIME, rel=1e-4)
    objective = beckmann(net.free_flow_time, net.capacity, result.flow_veh_h, net.b, net.power)
    assert objective == pytest.approx(BEST_BECKMANN, rel=1e-6)
    assert objective >= BEST_BECKMANN - 0.01  # nobody beats the optimum
    best = read_flow(SIOUX_FALLS / "SiouxFalls_flow.tntp")
    np.testing.assert_array_equal(best.init_node, net.init_node)
    np.testing.assert_array_equal(best.term_node, net.term_node)
    np.testing.assert_allclose(result.flow_veh_h, best.volume, rtol=0.005)
    np.testing.assert_allclose(result.time_min, best.cost, rtol=0.005)
    zones = np.arange(net.n_zones, dtype=np.int32)
    _assert_feasible(result, net.init_node, net.term_node, zones, trips.demand, net.n_nodes)


@pytest.mark.parametrize(("method", "gap"), [("bfw", 1e-5), ("fw", 1e-3)])
def test_sioux_falls_by_frank_wolfe(sioux_falls: tuple[TntpNetwork, TntpTrips], method: str, gap: float) -> None:
    result = _assign_sf(sioux_falls, target_gap=gap, method=method)
    net, _ = sioux_falls
    assert result.relative_gap <= gap and result.bushes is None
    # The objective is off its minimum by at most about gap * c.x (= 1.8 * objective here).
    objective = beckmann(net.free_flow_time, net.capacity, result.flow_veh_h, net.b, net.power)
    assert 0.0 <= objective - BEST_BECKMANN + 0.01 <= 2.0 * gap * BEST_BECKMANN


def test_reported_gap_is_the_gap_of_the_returned_flows(
    sioux_falls: tuple[TntpNetwork, TntpTrips], sf_converged: Assignment
) -> None:
    net, trips = sioux_falls
    first_out, out_links = forward_star(net.n_nodes, net.init_node, net.term_node)
    cost = sf_converged.time_min
    aon = np.zeros_like(sf_converged.origin_flow_veh_h)
    all_or_nothing(first_out, out_links, net.init_node, net.term_node, cost,
                   np.ones(cost.shape[0], dtype=bool), np.arange(net.n_zones, dtype=np.int32),
                   trips.demand, 0, aon)
    current = cost @ sf_converged.flow_veh_h
    assert sf_converged.relative_gap == pytest.approx((current - cost @ aon.sum(axis=0)) / current, rel=1e-9)


def test_two_runs_are_bit_identical(sioux_falls: tuple[TntpNetwork, TntpTrips]) -> None:
    net, _ = sioux_falls
    first = _assign_sf(sioux_falls, target_gap=1e-6)
    star = forward_star(net.n_nodes, net.init_node, net.term_node)
    second = _assign_sf(sioux_falls, target_gap=1e-6, star=star)
    assert first.origin_flow_veh_h.tobytes() == second.origin_flow_veh_h.tobytes()
    assert first.flow_veh_h.tobytes() == second.flow_veh_h.tobytes()
    assert first.time_min.tobytes() == second.time_min.tobytes()
    assert (first.relative_gap, first.iterations) == (second.relative_gap, second.iterations)


def test_warm_start_from_an_equilibrium_stops_at_once(
    sioux_falls: tuple[TntpNetwork, TntpTrips], sf_converged: Assignment
) -> None:
    again = _assign_sf(sioux_falls, target_gap=1e-6, warm=sf_converged.origin_flow_veh_h)
    assert again.iterations == 1
    assert again.relative_gap == sf_converged.relative_gap
    assert again.origin_flow_veh_h.tobytes() == sf_converged.origin_flow_veh_h.tobytes()


def test_closing_each_link_with_warm_start(sioux_falls: tuple[TntpNetwork, TntpTrips]) -> None:
    net, trips = sioux_falls
    target = 1e-4
    base = _assign_sf(sioux_falls, target_gap=target)
    n_links = net.init_node.shape[0]
    cold_total = warm_total = 0
    for link in range(n_links):
        usable = np.ones(n_links, dtype=bool)
        usable[link] = False
        cold = _assign_sf(sioux_falls, target_gap=target, usable=usable)
        warm = _assign_sf(sioux_falls, target_gap=target, usable=usable, warm=base.origin_flow_veh_h)
        assert warm.flow_veh_h[link] == 0.0
        assert np.all(warm.origin_flow_veh_h[:, link] == 0.0)
        assert warm.relative_gap <= target and cold.relative_gap <= target
        assert warm.unserved_trips == 0.0
        cold_total += cold.iterations
        warm_total += warm.iterations
    # Bi-conjugate Frank-Wolfe spends most iterations in its tail, which a warm start
    # does not shorten much: it wins on most closures and in sum, not on every one.
    assert warm_total < cold_total
    zones = np.arange(net.n_zones, dtype=np.int32)
    _assert_feasible(warm, net.init_node, net.term_node, zones, trips.demand, net.n_nodes)


def test_closing_then_reopening_the_busiest_link(
    sioux_falls: tuple[TntpNetwork, TntpTrips], sf_converged: Assignment
) -> None:
    net, trips = sioux_falls
    busiest = int(np.argmax(sf_converged.flow_veh_h))
    usable = np.ones(net.init_node.shape[0], dtype=bool)
    usable[busiest] = False
    closed = _assign_sf(sioux_falls, target_gap=1e-5, usable=usable, warm=sf_converged.origin_flow_veh_h)
    assert closed.flow_veh_h[busiest] == 0.0 and closed.relative_gap <= 1e-5
    assert total_travel_time(closed.time_min, closed.flow_veh_h) > BEST_TOTAL_TRAVEL_TIME
    reopened = _assign_sf(sioux_falls, target_gap=1e-5, warm=closed.origin_flow_veh_h)
    assert reopened.relative_gap <= 1e-5
    best = read_flow(SIOUX_FALLS / "SiouxFalls_flow.tntp")
    np.testing.assert_allclose(reopened.flow_veh_h, best.volume, rtol=0.02)
    zones = np.arange(net.n_zones, dtype=np.int32)
    _assert_feasible(reopened, net.init_node, net.term_node, zones, trips.demand, net.n_nodes)


def test_warm_start_after_demand_changes_stays_feasible(
    sioux_falls: tuple[TntpNetwork, TntpTrips], sf_converged: Assignment
) -> None:
    net, trips = sioux_falls
    demand = trips.demand.copy()
    demand[3, 10] *= 2.0
    demand[7] *= 0.5
    result = _assign_sf(sioux_falls, target_gap=1e-5, demand=demand, warm=sf_converged.origin_flow_veh_h)
    assert result.relative_gap <= 1e-5
    zones = np.arange(net.n_zones, dtype=np.int32)
    _assert_feasible(result, net.init_node, net.term_node, zones, demand, net.n_nodes)


def test_unreachable_pairs_are_reported_and_not_loaded() -> None:
    # Zones on nodes 0, 1, 2; node 2 has no links at all.
    demand = np.array([[0.0, 10.0, 5.0], [4.0, 0.0, 0.0], [3.0, 0.0, 0.0]])
    result = assign(3, np.array([0, 1]), np.array([1, 0]), np.array([1.0, 1.0]), np.array([50.0, 50.0]),
                    0.15, 4.0, None, np.array([0, 1, 2]), demand, target_gap=1e-9)
    assert result.unserved_trips == 8.0
    assert result.flow_veh_h.tolist() == [10.0, 4.0]
    assert result.relative_gap == 0.0


def test_closing_the_only_link_leaves_its_trips_unserved() -> None:
    demand = np.array([[0.0, 10.0], [0.0, 0.0]])
    args = (2, np.array([0]), np.array([1]), np.array([1.0]), np.array([50.0]), 0.15, 4.0)
    open_ = assign(*args, None, np.array([0, 1]), demand)
    closed = assign(*args, np.array([False]), np.array([0, 1]), demand, warm=open_.origin_flow_veh_h)
    assert closed.unserved_trips == 10.0
    assert closed.flow_veh_h.tolist() == [0.0]


def test_paths_do_not_pass_through_centroids() -> None:
    # Nodes 0, 1, 2 are zone centroids; the short way from zone 0 to zone 2 runs through 1.
    link_from = np.array([0, 1, 0, 3])
    link_to = np.array([1, 2, 3, 2])
    free = np.array([1.0, 1.0, 5.0, 5.0])
    demand = np.zeros((3, 3))
    demand[0, 2] = 100.0
    args = (4, link_from, link_to, free, np.full(4, 1000.0), 0.15, 4.0, None, np.array([0, 1, 2]), demand)
    through = assign(*args, first_thru_node=0)
    assert through.flow_veh_h.tolist() == [100.0, 100.0, 0.0, 0.0]
    around = assign(*args, first_thru_node=3)
    assert around.flow_veh_h.tolist() == [0.0, 0.0, 100.0, 100.0]


def test_max_iter_one_returns_all_or_nothing_without_a_gap() -> None:
    result = _two_links(0.15, 4.0, 400.0, max_iter=1)
    assert result.iterations == 1
    assert math.isinf(result.relative_gap)
    assert result.flow_veh_h.tolist() == [400.0, 0.0]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"demand": np.array([[0.0, -1.0], [0.0, 0.0]])}, "demand"),
        ({"capacity": np.array([0.0, 1.0])}, "capacity"),
        ({"warm": np.zeros((3, 2))}, "warm"),
        ({"zone_node": np.array([0, 5])}, "zone_node"),
        ({"star": (np.zeros(2, dtype=np.int64), np.zeros(2, dtype=np.int32))}, "star"),
    ],
)
def test_bad_inputs_are_refused(change: dict[str, Any], message: str) -> None:
    inputs: dict[str, Any] = {
        "n_nodes": 2, "link_from": np.array([0, 0]), "link_to": np.array([1, 1]),
        "free_time": np.array([1.0, 2.0]), "capacity": np.array([10.0, 10.0]), "alpha": 0.15,
        "beta": 4.0, "usable": None, "zone_node": np.array([0, 1]),
        "demand": np.array([[0.0, 1.0], [0.0, 0.0]]),
    }
    inputs.update(change)
    with pytest.raises(ValueError, match=message):
        assign(**inputs)
