"""Static user equilibrium by Algorithm B: bushes per origin, Newton flow shifts.

    gap, iterations, unserved = solve(network, demand, target_gap, max_iter, warm, x, flow)

Dial, R. B. (2006), "A path-based user-equilibrium traffic assignment algorithm that
obviates path storage and enumeration", Transportation Research Part B 40(10), 917-936;
the bush kernels are in `bushes`, the warm-start repairs in `bush_warm`.

An iteration (a "round") is one shortest-path tree per origin at the current costs,
which measures the relative gap (c.x - c.y) / c.x of the current flows exactly (y the
all-or-nothing flow at costs c, as AequilibraE reports it) and, when the target is not
met yet, updates every bush; then PASSES sweeps of flow shifts run over all bushes.
`iterations` counts rounds, the start included (the all-or-nothing start, or the warm
start's repair), so max_iter=k gives k-2 sweeps of bush updates and shifts from a cold
start.

Threads: the rounds run origins in parallel, each origin writing only its own rows and
its own entry of per-origin sums, which are added in origin order afterwards; link
flows are summed over origins in origin order by blocks of links. The flow shifts run
origins one after another (each sees the costs the previous ones left), as Algorithm B
does. So the result is the same bits whatever the number of numba threads.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from agora.server.sim.assignment_arrays import (
    CHUNKS,
    Bushes,
    Network,
    chunk,
    costs_into,
    shortest_cost,
    sum_origin_flows,
)
from agora.server.sim.bush_warm import start_warm
from agora.server.sim.bushes import bush_from_tree, clear_dust, equilibrate_bush, update_bush
from agora.server.sim.paths import dijkstra, has_demand, load_tree

# Flow-shift sweeps over all bushes between two rounds: a round costs about as much as
# two sweeps, and on a Chicago-Sketch-sized network three sweeps a round reach every gap
# from 1e-4 to 1e-8 soonest (two to twelve tried).
PASSES = 3


@njit(cache=True, nogil=True, parallel=True)
def start_cold(
    net: Network,
    demand: np.ndarray,
    x: np.ndarray,
    bushes: Bushes,
) -> float:
    """All-or-nothing at free-flow costs, each origin's tree as its first bush.

    demand float64[Z, Z] trips per hour; overwrites x float64[Z, L] and the bushes.
    Returns the trips with no path (not loaded).
    """
    n_zones, n_links = x.shape
    n_nodes = net.first_out.shape[0] - 1
    cost = net.free_time + net.extra
    lost = np.zeros(n_zones, dtype=np.float64)
    # Arrays are taken out of the tuples first: numba (0.68) drops writes made through
    # a tuple attribute inside prange.
    order, n_order, in_start, in_link = bushes
    first_out, out_links, link_to, link_from = net.first_out, net.out_links, net.link_to, net.link_from
    usable, zone_node, first_thru_node = net.usable, net.zone_node, net.first_thru_node
    for c in prange(CHUNKS):
        dist = np.empty(n_nodes, dtype=np.float64)
        pred = np.empty(n_nodes, dtype=np.int32)
        settled = np.empty(n_nodes, dtype=np.int32)
        heap = np.empty(n_nodes, dtype=np.int32)
        pos = np.empty(n_nodes, dtype=np.int32)
        node_flow = np.empty(n_nodes, dtype=np.float64)
        lo, hi = chunk(c, CHUNKS, n_zones)
        for o in range(lo, hi):
            x[o, :] = 0.0
            n_order[o] = 0
            if not has_demand(demand[o], o):
                continue
            n = dijkstra(first_out, out_links, link_to, cost, usable, zone_node[o], first_thru_node,
                         dist, pred, settled, heap, pos)
            lost[o] = load_tree(link_from, dist, pred, settled, n, zone_node, o, demand[o], x[o], node_flow)
            n_order[o] = bush_from_tree(settled, n, pred, order[o], in_start[o], in_link[o])
    total = 0.0
    for o in range(n_zones):
        total += lost[o]
    return total


@njit(cache=True, nogil=True, parallel=True)
def measure_round(net: Network, demand: np.ndarray, cost: np.ndarray, n_order: np.ndarray) -> float:
    """Shortest paths from every origin with a bush (n_order > 0) at `cost`.

    Returns the sum over origins of trips * shortest cost (c.y of the gap).
    """
    n_zones = n_order.shape[0]
    n_nodes = net.first_out.shape[0] - 1
    shortest = np.zeros(n_zones, dtype=np.float64)
    first_out, out_links, link_to, usable = net.first_out, net.out_links, net.link_to, net.usable
    zone_node, first_thru_node = net.zone_node, net.first_thru_node
    for c in prange(CHUNKS):
        dist = np.empty(n_nodes, dtype=np.float64)
        pred = np.empty(n_nodes, dtype=np.int32)
        settled = np.empty(n_nodes, dtype=np.int32)
        heap = np.empty(n_nodes, dtype=np.int32)
        pos = np.empty(n_nodes, dtype=np.int32)
        lo, hi = chunk(c, CHUNKS, n_zones)
        for o in range(lo, hi):
            if n_order[o] == 0:
                continue
            dijkstra(first_out, out_links, link_to, cost, usable, zone_node[o], first_thru_node,
                     dist, pred, settled, heap, pos)
            total_o, _ = shortest_cost(dist, zone_node, o, demand[o])
            shortest[o] = total_o
    total = 0.0
    for o in range(n_zones):
        total += shortest[o]
    return total


@njit(cache=True, nogil=True, parallel=True)
def update_round(net: Network, cost: np.ndarray, x: np.ndarray, bushes: Bushes) -> int:
    """Update every bush at `cost` (see `bushes.update_bush`); returns the links added.

    Rounding dust is cleared from x, so link flows must be re-summed afterwards.
    """
    n_zones, n_links = x.shape
    n_nodes = net.first_out.shape[0] - 1
    added = np.zeros(n_zones, dtype=np.int64)
    order, n_order, in_start, in_link = bushes
    first_out, out_links, first_in, in_links = net.first_out, net.out_links, net.first_in, net.in_links
    link_from, link_to, usable = net.link_from, net.link_to, net.usable
    first_thru_node = net.first_thru_node
    for c in prange(CHUNKS):
        link_stamp = np.full(n_links, -1, dtype=np.int32)
        node_stamp = np.full(n_nodes, -1, dtype=np.int32)
        label = np.empty(n_nodes, dtype=np.float64)
        potential = np.empty(n_nodes, dtype=np.float64)
        indegree = np.empty(n_nodes, dtype=np.int32)
        members = np.empty(n_links, dtype=np.int32)
        flowing = np.empty(n_nodes, dtype=np.bool_)
        lo, hi = chunk(c, CHUNKS, n_zones)
        for o in range(lo, hi):
            if n_order[o] == 0:
                continue
            added[o] = update_bush(
                o, x, order, n_order, in_start, in_link, cost, usable, first_thru_node,
                first_out, out_links, first_in, in_links, link_from, link_to, o, link_stamp,
                node_stamp, label, potential, indegree, members, flowing,
            )
    n_added = 0
    for o in range(n_zones):
        n_added += added[o]
    return n_added


@njit(cache=True, nogil=True)
def shift_sweeps(
    net: Network,
    x: np.ndarray,
    bushes: Bushes,
    flow: np.ndarray,
    cost: np.ndarray,
    slope: np.ndarray,
    n_sweeps: int,
    tolerance: float,
) -> float:
    """n_sweeps sweeps of Algorithm B's flow shifts over every bush, origins in order.

    Then each bush's rounding dust is cleared (`bushes.clear_dust`).
    flow, cost, slope float64[L] must match x on entry and are kept matching.
    Returns the flow shifted in the last sweep (veh/h).
    """
    n_nodes = net.first_out.shape[0] - 1
    short = np.empty(n_nodes, dtype=np.float64)
    long = np.empty(n_nodes, dtype=np.float64)
    short_link = np.empty(n_nodes, dtype=np.int32)
    long_link = np.empty(n_nodes, dtype=np.int32)
    position = np.empty(n_nodes, dtype=np.int32)
    fed = np.empty(n_nodes, dtype=np.bool_)
    moved = 0.0
    for _ in range(n_sweeps):
        moved = 0.0
        for o in range(x.shape[0]):
            if bushes.n_order[o] > 1:
                moved += equilibrate_bush(
                    o, x, bushes.order, bushes.n_order, bushes.in_start, bushes.in_link, flow, cost,
                    slope, net.free_time, net.capacity, net.alpha, net.beta, net.extra,
                    net.link_from, tolerance, short, long, short_link, long_link, position,
                )
    for o in range(x.shape[0]):
        if bushes.n_order[o] > 1:
            clear_dust(o, x, bushes.order, bushes.n_order, bushes.in_start, bushes.in_link, flow, cost,
                       slope, net.free_time, net.capacity, net.alpha, net.beta, net.extra,
                       net.link_from, fed)
    return moved


def solve(
    net: Network,
    demand: np.ndarray,
    target_gap: float,
    max_iter: int,
    x: np.ndarray,
    flow: np.ndarray,
    warm: np.ndarray | None = None,
) -> tuple[float, int, float]:
    """Algorithm B until the relative gap is <= target_gap or max_iter rounds are spent.

    x float64[Z, L] receives the origin flows, flow float64[L] their sum. warm: previous
    origin flows float64[Z, L] to start from (repaired where the network or the demand
    changed), or None for a cold start.
    Returns (relative gap of the returned flows, or inf if never measured; rounds;
    trips with no path).
    """
    n_zones, n_links = x.shape
    n_nodes = net.first_out.shape[0] - 1
    bushes = Bushes.empty(n_zones, n_nodes, n_links)
    cost = np.empty(n_links, dtype=np.float64)
    slope = np.empty(n_links, dtype=np.float64)
    gap = np.inf
    if warm is None:
        unserved = start_cold(net, demand, x, bushes)
        have_gap = False
    else:
        unserved, changed, shortest = start_warm(net, demand, warm, x, bushes)
        have_gap = not changed
        if have_gap:
            sum_origin_flows(x, flow)
            current = costs_into(flow, net.free_time, net.capacity, net.alpha, net.beta, net.extra, cost, slope)
            gap = _relative_gap(current, shortest)
    iterations = 1
    while True:
        if not have_gap:
            if iterations >= max_iter:
                break
            sum_origin_flows(x, flow)
            current = costs_into(flow, net.free_time, net.capacity, net.alpha, net.beta, net.extra, cost, slope)
            shortest = measure_round(net, demand, cost, bushes.n_order)
            iterations += 1
            gap = _relative_gap(current, shortest)
        have_gap = False
        if gap <= target_gap or iterations >= max_iter:
            break
        # The dust this clears is a few ulps: the link flows are re-summed next round.
        update_round(net, cost, x, bushes)
        tolerance = max(min(0.1 * target_gap, 1e-3 * gap), 1e-15)
        shift_sweeps(net, x, bushes, flow, cost, slope, PASSES, tolerance)
    sum_origin_flows(x, flow)
    return gap, iterations, unserved


def _relative_gap(current: float, shortest: float) -> float:
    return abs(current - shortest) / current if current > 0.0 else 0.0
