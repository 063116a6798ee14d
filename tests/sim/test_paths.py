from __future__ import annotations

import numpy as np
import pytest

from agora.server.sim.paths import (
    all_or_nothing,
    forward_star,
    load_origin,
    shortest_path_tree,
    skim,
)


def _graph(links: list[tuple[int, int, float]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    link_from = np.array([a for a, _, _ in links], dtype=np.int32)
    link_to = np.array([b for _, b, _ in links], dtype=np.int32)
    cost = np.array([c for _, _, c in links], dtype=np.float64)
    return link_from, link_to, cost


def _bellman_ford(n: int, link_from: np.ndarray, link_to: np.ndarray, cost: np.ndarray,
                  usable: np.ndarray, origin: int) -> np.ndarray:
    dist = np.full(n, np.inf)
    dist[origin] = 0.0
    for _ in range(n):
        for i in range(link_from.shape[0]):
            if usable[i] and dist[link_from[i]] + cost[i] < dist[link_to[i]]:
                dist[link_to[i]] = dist[link_from[i]] + cost[i]
    return dist


def test_forward_star_orders_links_by_node_then_id() -> None:
    link_from = np.array([2, 0, 2, 1, 0], dtype=np.int32)
    link_to = np.array([0, 1, 1, 2, 2], dtype=np.int32)
    first_out, out_links = forward_star(4, link_from, link_to)
    assert first_out.tolist() == [0, 2, 3, 5, 5]
    assert out_links.tolist() == [1, 4, 3, 0, 2]
    assert first_out.dtype == np.int64 and out_links.dtype == np.int32


def test_forward_star_rejects_nodes_out_of_range() -> None:
    with pytest.raises(ValueError, match="link end nodes"):
        forward_star(2, np.array([0], dtype=np.int32), np.array([2], dtype=np.int32))


def test_tree_matches_bellman_ford_on_random_graphs() -> None:
    rng = np.random.default_rng(7)
    for _ in range(20):
        n = int(rng.integers(2, 30))
        n_links = int(rng.integers(1, 4 * n))
        link_from = rng.integers(0, n, n_links).astype(np.int32)
        link_to = rng.integers(0, n, n_links).astype(np.int32)
        # Integer costs, zeros included, make ties common.
        cost = rng.integers(0, 5, n_links).astype(np.float64)
        usable = rng.random(n_links) > 0.2
        first_out, out_links = forward_star(n, link_from, link_to)
        origin = int(rng.integers(0, n))
        dist, pred, settled = shortest_path_tree(first_out, out_links, link_to, cost, usable, origin, 0)
        np.testing.assert_array_equal(dist, _bellman_ford(n, link_from, link_to, cost, usable, origin))
        assert settled[0] == origin and pred[origin] == -1
        assert set(settled.tolist()) == set(np.flatnonzero(np.isfinite(dist)).tolist())
        assert np.all(np.diff(dist[settled]) >= 0.0)
        seen = np.zeros(n, dtype=bool)
        for v in settled:
            if v != origin:
                link = pred[v]
                assert usable[link] and link_to[link] == v
                assert dist[v] == dist[link_from[link]] + cost[link]
                assert seen[link_from[link]], "a node is settled after its predecessor"
            seen[v] = True
        assert np.all(pred[~np.isfinite(dist)] == -1)


def test_ties_go_to_the_lower_node_first() -> None:
    # Two equal paths 0-1-3 and 0-2-3: node 1 settles first, so 3 keeps link 2.
    link_from, link_to, cost = _graph([(0, 2, 1.0), (0, 1, 1.0), (1, 3, 1.0), (2, 3, 1.0)])
    first_out, out_links = forward_star(4, link_from, link_to)
    usable = np.ones(4, dtype=bool)
    dist, pred, settled = shortest_path_tree(first_out, out_links, link_to, cost, usable, 0, 0)
    assert settled.tolist() == [0, 1, 2, 3]
    assert pred.tolist() == [-1, 1, 0, 2]


def test_unusable_links_are_skipped() -> None:
    link_from, link_to, cost = _graph([(0, 1, 1.0), (1, 2, 1.0), (0, 2, 5.0)])
    first_out, out_links = forward_star(3, link_from, link_to)
    usable = np.array([True, False, True])
    dist, pred, _ = shortest_path_tree(first_out, out_links, link_to, cost, usable, 0, 0)
    assert dist.tolist() == [0.0, 1.0, 5.0]
    assert pred[2] == 2


def test_centroids_are_not_passed_through() -> None:
    # Nodes 0, 1, 2 are centroids; the short way from 0 to 2 runs through centroid 1.
    link_from, link_to, cost = _graph([(0, 1, 1.0), (1, 2, 1.0), (0, 3, 5.0), (3, 2, 5.0), (1, 3, 1.0)])
    first_out, out_links = forward_star(4, link_from, link_to)
    usable = np.ones(5, dtype=bool)
    dist, pred, _ = shortest_path_tree(first_out, out_links, link_to, cost, usable, 0, 3)
    assert dist.tolist() == [0.0, 1.0, 10.0, 5.0]
    assert pred[2] == 3
    dist, pred, _ = shortest_path_tree(first_out, out_links, link_to, cost, usable, 0, 0)
    assert dist[2] == 2.0 and pred[2] == 1
    # The origin itself is a centroid and still leaves.
    dist, _, _ = shortest_path_tree(first_out, out_links, link_to, cost, usable, 1, 3)
    assert dist.tolist() == [np.inf, 0.0, 1.0, 1.0]


def test_load_origin_pushes_trips_up_the_tree_and_reports_unreachable() -> None:
    #   0 -> 1 -> 2, 1 -> 3; node 4 is unreachable.
    link_from, link_to, cost = _graph([(0, 1, 1.0), (1, 2, 1.0), (1, 3, 2.0), (4, 0, 1.0)])
    first_out, out_links = forward_star(5, link_from, link_to)
    usable = np.ones(4, dtype=bool)
    dist, pred, settled = shortest_path_tree(first_out, out_links, link_to, cost, usable, 0, 0)
    zone_node = np.array([0, 2, 3, 4], dtype=np.int32)
    flow = np.zeros(4)
    unloaded = load_origin(link_from, dist, pred, settled, settled.shape[0], zone_node, 0,
                           np.array([9.0, 10.0, 20.0, 7.0]), flow)
    assert flow.tolist() == [30.0, 10.0, 20.0, 0.0]
    assert unloaded == 7.0


def test_all_or_nothing_cost_equals_demand_times_skim() -> None:
    rng = np.random.default_rng(3)
    n, n_links, n_zones = 40, 160, 8
    link_from = rng.integers(0, n, n_links).astype(np.int32)
    link_to = rng.integers(0, n, n_links).astype(np.int32)
    cost = rng.random(n_links) + 0.1
    usable = np.ones(n_links, dtype=bool)
    zone_node = rng.choice(n, n_zones, replace=False).astype(np.int32)
    demand = rng.random((n_zones, n_zones)) * 100.0
    first_out, out_links = forward_star(n, link_from, link_to)
    origin_flow = np.full((n_zones, n_links), 99.0)
    unloaded = all_or_nothing(first_out, out_links, link_from, link_to, cost, usable, zone_node,
                              demand, 0, origin_flow)
    times = skim(first_out, out_links, link_to, cost, usable, zone_node, 0)
    reachable = np.isfinite(times)
    np.fill_diagonal(reachable, False)
    expected = (demand * np.where(reachable, times, 0.0)).sum(axis=1)
    np.testing.assert_allclose(origin_flow @ cost, expected)
    off_diagonal = ~np.eye(n_zones, dtype=bool)
    assert unloaded == pytest.approx(demand[off_diagonal & ~np.isfinite(times)].sum())


def test_skim_diagonal_and_unreachable() -> None:
    link_from, link_to, cost = _graph([(0, 1, 2.5), (1, 0, 3.0), (1, 2, 1.0)])
    first_out, out_links = forward_star(4, link_from, link_to)
    times = skim(first_out, out_links, link_to, cost, np.ones(3, dtype=bool),
                 np.array([0, 1, 2, 3], dtype=np.int32), 0)
    assert times.tolist() == [
        [0.0, 2.5, 3.5, np.inf],
        [3.0, 0.0, 1.0, np.inf],
        [np.inf, np.inf, 0.0, np.inf],
        [np.inf, np.inf, np.inf, 0.0],
    ]
