from __future__ import annotations

from typing import Any

import numba
import numpy as np
import pytest

from agora.server.sim.flow_repairs import cancel_cycles
from agora.server.sim.paths import forward_star
from agora.server.sim.traffic import Assignment, assign, beckmann, bpr_time
from tests.bench.synthetic_network import CONNECTOR, SyntheticNetwork, generate


@pytest.fixture(scope="module")
def town() -> SyntheticNetwork:
    # The benchmark's generator at a size the test budget affords: 112 nodes, 338 links.
    return generate(rows=8, cols=9, n_zones=40, total_trips=40_000, n_links=None)


def _solve(net: SyntheticNetwork, usable: np.ndarray | None = None, **kwargs: Any) -> Assignment:
    return assign(*net.assign_args(usable), first_thru_node=net.first_thru_node,  # type: ignore[arg-type]
                  **{"max_iter": 500, **kwargs})


def _assert_feasible(result: Assignment, net: SyntheticNetwork, demand: np.ndarray) -> None:
    flows = result.origin_flow_veh_h
    assert np.all(flows >= 0.0)
    for o in range(net.zone_node.shape[0]):
        balance = np.zeros(net.n_nodes)
        np.add.at(balance, net.link_from, flows[o])
        np.add.at(balance, net.link_to, -flows[o])
        expected = np.zeros(net.n_nodes)
        np.add.at(expected, net.zone_node, -demand[o])
        expected[net.zone_node[o]] += demand[o].sum()
        np.testing.assert_allclose(balance, expected, atol=1e-7 * max(demand[o].sum(), 1.0))
    np.testing.assert_array_equal(result.flow_veh_h, flows.sum(axis=0))


def _two_routes(demand: float, **kwargs: Any) -> Assignment:
    # Route A: 0 -> 1 -> 3, route B: 0 -> 2 -> 3, linear costs t = t0 + t0 * x / c.
    link_from = np.array([0, 1, 0, 2])
    link_to = np.array([1, 3, 2, 3])
    free = np.array([4.0, 6.0, 3.0, 9.0])
    capacity = np.array([400.0, 300.0, 100.0, 600.0])
    trips = np.zeros((4, 4))
    trips[0, 3] = demand
    return assign(4, link_from, link_to, free, capacity, 1.0, 1.0, None, np.arange(4), trips, **kwargs)


def test_two_routes_reach_the_analytic_equilibrium_exactly() -> None:
    # Route slopes: A 4/400 + 6/300 = 0.03, B 3/100 + 9/600 = 0.045; free costs 10 and 12.
    # Equal costs 10 + 0.03 xA = 12 + 0.045 (Q - xA) give xA = (2 + 0.045 Q) / 0.075.
    demand = 600.0
    result = _two_routes(demand, target_gap=1e-14)
    route_a = (2.0 + 0.045 * demand) / 0.075
    np.testing.assert_allclose(result.flow_veh_h, [route_a, route_a, demand - route_a, demand - route_a], rtol=1e-12)
    cost = result.time_min
    assert cost[0] + cost[1] == pytest.approx(cost[2] + cost[3], rel=1e-13)
    assert result.relative_gap <= 1e-14
    # Below 2 / 0.03 trips route B is never worth it.
    light = _two_routes(50.0, target_gap=1e-14)
    assert light.flow_veh_h.tolist() == [50.0, 50.0, 0.0, 0.0]


@pytest.mark.parametrize("method", ["algorithm_b", "bfw", "fw"])
def test_every_method_agrees_on_the_town(town: SyntheticNetwork, method: str) -> None:
    target = {"algorithm_b": 1e-9, "bfw": 1e-5, "fw": 1e-3}[method]
    result = _solve(town, target_gap=target, method=method, max_iter=3000)
    assert result.relative_gap <= target
    reference = _solve(town, target_gap=1e-10)
    # The Beckmann objective is off its minimum by at most about gap * c.x.
    def objective(flow: np.ndarray) -> float:
        return float(beckmann(town.free_time_min, town.capacity_veh_h, flow, np.full(flow.shape[0], 0.15),
                              np.full(flow.shape[0], 4.0)))
    assert 0.0 <= objective(result.flow_veh_h) - objective(reference.flow_veh_h) <= target * objective(reference.flow_veh_h)
    if method == "algorithm_b":
        busy = reference.flow_veh_h > 0.05 * reference.flow_veh_h.max()
        np.testing.assert_allclose(result.flow_veh_h[busy], reference.flow_veh_h[busy], rtol=1e-4)
    _assert_feasible(result, town, town.demand)
    assert (result.bushes is not None) == (method == "algorithm_b")


def test_the_same_bits_with_one_thread_and_with_two(town: SyntheticNetwork) -> None:
    busiest = int(np.argmax(np.where(town.link_class != CONNECTOR, _solve(town, target_gap=1e-6).flow_veh_h, 0.0)))
    usable = np.ones(town.link_from.shape[0], dtype=bool)
    usable[busiest] = False
    before = numba.get_num_threads()
    runs = []
    try:
        for threads in (1, 2):
            numba.set_num_threads(threads)
            cold = _solve(town, target_gap=1e-9)
            warm = _solve(town, usable, target_gap=1e-9, warm=cold.origin_flow_veh_h, warm_bushes=cold.bushes)
            runs.append((cold, warm))
    finally:
        numba.set_num_threads(before)
    for one, two in zip(*runs):
        assert one.origin_flow_veh_h.tobytes() == two.origin_flow_veh_h.tobytes()
        assert one.flow_veh_h.tobytes() == two.flow_veh_h.tobytes()
        assert (one.relative_gap, one.iterations) == (two.relative_gap, two.iterations)


def test_a_closed_link_carries_exactly_nothing(town: SyntheticNetwork) -> None:
    base = _solve(town, target_gap=1e-8)
    streets = np.flatnonzero(town.link_class != CONNECTOR)
    for link in streets[np.argsort(-base.flow_veh_h[streets])[:6]]:
        usable = np.ones(town.link_from.shape[0], dtype=bool)
        usable[link] = False
        for kwargs in ({}, {"warm": base.origin_flow_veh_h}, {"warm": base.origin_flow_veh_h, "max_iter": 1},
                       {"warm": base.origin_flow_veh_h, "warm_bushes": base.bushes}):
            result = _solve(town, usable, target_gap=1e-8, **kwargs)
            assert np.all(result.origin_flow_veh_h[:, link] == 0.0)
            assert result.unserved_trips == 0.0
            _assert_feasible(result, town, town.demand)
            if kwargs.get("max_iter") != 1:
                assert result.relative_gap <= 1e-8


def test_warm_start_after_a_closure_needs_fewer_rounds_than_cold(town: SyntheticNetwork) -> None:
    # Rounds (shortest paths from every origin) are the solver's unit of work; a warm
    # start's repair is not one, and it repairs only the origins the closure touches.
    base = _solve(town, target_gap=1e-4)
    streets = np.flatnonzero(town.link_class != CONNECTOR)
    ranked = streets[np.argsort(-base.flow_veh_h[streets])]
    cold_rounds = warm_rounds = 0
    for link in ranked[10:80:5]:
        usable = np.ones(town.link_from.shape[0], dtype=bool)
        usable[link] = False
        cold = _solve(town, usable, target_gap=1e-4)
        warm = _solve(town, usable, target_gap=1e-4, warm=base.origin_flow_veh_h, warm_bushes=base.bushes)
        assert warm.relative_gap <= 1e-4 and warm.iterations <= cold.iterations
        cold_rounds += cold.iterations
        warm_rounds += warm.iterations
    assert warm_rounds <= 0.6 * cold_rounds


def test_closing_a_quiet_street_costs_one_round_warm(town: SyntheticNetwork) -> None:
    # The street of median flow: the repair alone (no round) leaves the gap under the
    # target, so the only round is the measurement that proves it; cold needs several.
    base = _solve(town, target_gap=1e-4)
    streets = np.flatnonzero(town.link_class != CONNECTOR)
    link = streets[np.argsort(-base.flow_veh_h[streets])][streets.shape[0] // 2]
    usable = np.ones(town.link_from.shape[0], dtype=bool)
    usable[link] = False
    cold = _solve(town, usable, target_gap=1e-4)
    warm = _solve(town, usable, target_gap=1e-4, warm=base.origin_flow_veh_h, warm_bushes=base.bushes)
    assert warm.relative_gap <= 1e-4 and np.all(warm.origin_flow_veh_h[:, link] == 0.0)
    assert warm.iterations == 1 and cold.iterations >= 4


def test_warm_start_from_an_equilibrium_changes_nothing(town: SyntheticNetwork) -> None:
    base = _solve(town, target_gap=1e-7)
    for bushes in (None, base.bushes):
        again = _solve(town, target_gap=1e-7, warm=base.origin_flow_veh_h, warm_bushes=bushes)
        assert again.iterations == 1
        assert again.origin_flow_veh_h.tobytes() == base.origin_flow_veh_h.tobytes()
        assert again.relative_gap == pytest.approx(base.relative_gap, rel=1e-9)


def test_warm_start_after_demand_changes_and_a_new_road(town: SyntheticNetwork) -> None:
    base = _solve(town, target_gap=1e-7)
    demand = town.demand.copy()
    demand[3] *= 1.5
    demand[7, 12] = 0.0
    demand[9, :] = 0.0
    demand[0, 5] += 250.0
    # A new two-way road between two far-apart grid nodes, as the game appends links.
    a, b = town.first_thru_node, town.n_nodes - 1
    grown = SyntheticNetwork(
        n_nodes=town.n_nodes, first_thru_node=town.first_thru_node,
        link_from=np.append(town.link_from, [a, b]).astype(np.int32),
        link_to=np.append(town.link_to, [b, a]).astype(np.int32),
        free_time_min=np.append(town.free_time_min, [2.0, 2.0]),
        capacity_veh_h=np.append(town.capacity_veh_h, [4000.0, 4000.0]),
        length_km=np.append(town.length_km, [3.0, 3.0]),
        link_class=np.append(town.link_class, [0, 0]).astype(np.int8),
        zone_node=town.zone_node, demand=demand,
    )
    warm = np.pad(base.origin_flow_veh_h, ((0, 0), (0, 2)))
    result = _solve(grown, target_gap=1e-7, warm=warm, warm_bushes=base.bushes)
    assert result.relative_gap <= 1e-7
    assert result.flow_veh_h[-2:].sum() > 0.0
    _assert_feasible(result, grown, demand)
    cold = _solve(grown, target_gap=1e-9)
    np.testing.assert_allclose(result.flow_veh_h, cold.flow_veh_h, rtol=1e-2, atol=1.0)


def test_warm_start_from_frank_wolfe_flows(town: SyntheticNetwork) -> None:
    rough = _solve(town, target_gap=1e-2, method="fw")
    result = _solve(town, target_gap=1e-8, warm=rough.origin_flow_veh_h)
    assert result.relative_gap <= 1e-8
    _assert_feasible(result, town, town.demand)


def test_zero_time_connectors_and_centroids_are_not_passed_through() -> None:
    # Zones 0, 1, 2 on centroids 0, 1, 2; street nodes 3 and 4 joined by a 10-minute
    # road; zero-time connectors; and a zero-time way from 3 to 4 through centroid 2,
    # which trips between the other zones must not use.
    link_from = np.array([0, 3, 4, 1, 3, 4, 3, 2])
    link_to = np.array([3, 0, 1, 4, 4, 3, 2, 4])
    free = np.array([0.0, 0.0, 0.0, 0.0, 10.0, 10.0, 0.0, 0.0])
    trips = np.zeros((3, 3))
    trips[0, 1] = 500.0
    result = assign(5, link_from, link_to, free, np.full(8, 200.0), 0.15, 4.0, None, np.arange(3), trips,
                    first_thru_node=3, target_gap=1e-10)
    assert result.flow_veh_h.tolist() == [500.0, 0.0, 500.0, 0.0, 500.0, 0.0, 0.0, 0.0]
    assert result.relative_gap <= 1e-10


def test_cycles_are_cancelled_without_changing_any_balance() -> None:
    # 0 -> 1 -> 2 -> 3 with a loop 1 -> 2 -> 1 on top, as a Frank-Wolfe flow may hold.
    link_from = np.array([0, 1, 2, 2], dtype=np.int32)
    link_to = np.array([1, 2, 3, 1], dtype=np.int32)
    flow = np.array([5.0, 8.0, 5.0, 3.0])
    first_out, out_links = forward_star(4, link_from, link_to)
    scratch = [np.empty(4, dtype=np.int8), np.empty(4, dtype=np.int32), np.empty(4, dtype=np.int64),
               np.empty(4, dtype=np.int32), np.empty(4, dtype=np.int32)]
    assert cancel_cycles(flow, first_out, out_links, link_to, *scratch) == 1
    assert flow.tolist() == [5.0, 5.0, 5.0, 0.0]


def test_bad_method_is_refused() -> None:
    with pytest.raises(ValueError, match="method"):
        _two_routes(10.0, method="tapas")


def test_time_is_bpr_time_without_the_extra_cost() -> None:
    extra = np.array([0.0, 0.0, 5.0, 0.0])
    result = _two_routes(600.0, target_gap=1e-12, generalised_extra=extra)
    free = np.array([4.0, 6.0, 3.0, 9.0])
    np.testing.assert_array_equal(result.time_min, bpr_time(free, np.array([400.0, 300.0, 100.0, 600.0]),
                                                            result.flow_veh_h, np.ones(4), np.ones(4)))
    assert result.time_min[2] + result.time_min[3] + 5.0 == pytest.approx(result.time_min[0] + result.time_min[1])


def test_a_reopened_link_is_found_by_the_first_measurement() -> None:
    # Zones 0 and 1 on centroids 0 and 1; street nodes 2, 3, 4. While link 3 (2 -> 4)
    # is closed, node 4 is unreachable and no bush holds it; reopened, it is the short
    # way (2 -> 4 -> 3, 2 minutes) beside the long one (2 -> 3, 10 minutes).
    link_from = np.array([0, 2, 3, 2, 4])
    link_to = np.array([2, 3, 1, 4, 3])
    free = np.array([0.0, 10.0, 0.0, 1.0, 1.0])
    capacity = np.full(5, 1000.0)
    trips = np.zeros((2, 2))
    trips[0, 1] = 500.0
    usable = np.array([True, True, True, False, True])

    def solve(usable: np.ndarray | None, **kwargs: Any) -> Assignment:
        return assign(5, link_from, link_to, free, capacity, 0.15, 4.0, usable, np.arange(2), trips,
                      first_thru_node=2, target_gap=1e-10, **kwargs)

    closed = solve(usable)
    assert closed.flow_veh_h.tolist() == [500.0, 500.0, 500.0, 0.0, 0.0]
    first = solve(None, warm=closed.origin_flow_veh_h, warm_bushes=closed.bushes, max_iter=1)
    cost = bpr_time(free, capacity, first.flow_veh_h, np.full(5, 0.15), np.full(5, 4.0))
    shortest = 500.0 * (cost[0] + min(cost[1], cost[3] + cost[4]) + cost[2])
    current = float(cost @ first.flow_veh_h)
    assert first.relative_gap == pytest.approx((current - shortest) / current, rel=1e-12)
    assert first.relative_gap > 0.5
    settled = solve(None, warm=closed.origin_flow_veh_h, warm_bushes=closed.bushes)
    np.testing.assert_allclose(settled.flow_veh_h, [500.0, 0.0, 500.0, 500.0, 500.0])


def test_a_closure_that_orphans_a_subtree_re_feeds_it_from_the_rest_of_the_bush() -> None:
    # Zone 0 loads at node 3 (a) and 6 (d); zones 1 and 2 sit behind streets b (4) and
    # c (5). Every trip goes a -> b (1 minute), and on to c (1 minute) for zone 2, as
    # d -> c takes 5. With a -> b closed, b's only other approach is from c, which the
    # bush reaches through b: the repair must feed c from d and b from c.
    link_from = np.array([0, 3, 4, 5, 0, 6, 4, 5])
    link_to = np.array([3, 4, 5, 4, 6, 5, 1, 2])
    free = np.array([0.0, 1.0, 1.0, 1.0, 0.0, 5.0, 0.0, 0.0])
    capacity = np.full(8, 1e4)
    trips = np.zeros((3, 3))
    trips[0, 1] = trips[0, 2] = 100.0
    usable = np.ones(8, dtype=bool)

    def solve(usable: np.ndarray, **kwargs: Any) -> Assignment:
        return assign(7, link_from, link_to, free, capacity, 0.15, 4.0, usable, np.arange(3), trips,
                      first_thru_node=3, target_gap=1e-12, **kwargs)

    base = solve(usable)
    assert base.flow_veh_h.tolist() == [200.0, 200.0, 100.0, 0.0, 0.0, 0.0, 100.0, 100.0]
    usable[1] = False
    warm = solve(usable, warm=base.origin_flow_veh_h, warm_bushes=base.bushes)
    assert warm.iterations == 1 and warm.relative_gap <= 1e-12
    assert warm.flow_veh_h.tolist() == [0.0, 0.0, 0.0, 100.0, 200.0, 200.0, 100.0, 100.0]
    assert warm.origin_flow_veh_h.tobytes() == solve(usable).origin_flow_veh_h.tobytes()
