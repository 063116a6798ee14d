"""Static user equilibrium by Algorithm B: bushes per origin, Newton flow shifts.

    gap, iterations, unserved, bushes = solve(net, demand, target_gap, max_iter, x, flow,
                                              warm, warm_bushes)

Dial, R. B. (2006), "A path-based user-equilibrium traffic assignment algorithm that
obviates path storage and enumeration", Transportation Research Part B 40(10), 917-936;
the bush kernels are in `bushes` and `bush_flows`, the warm-start repairs in
`bush_warm` and `flow_repairs`.

An iteration (a "round") finds the shortest paths from every origin at the current
costs (scanning nodes in bush order, `shortest_from_bush`), which measures the relative
gap (c.x - c.y) / c.x of the current flows exactly (y the all-or-nothing flow at costs
c, as AequilibraE reports it); when the target is not met yet, every bush is updated
and PASSES sweeps of flow shifts run over all bushes. `iterations` counts rounds, a cold
start's all-or-nothing included (max_iter=k gives k-2 sweeps of updates and shifts from
a cold start, k-1 from a warm one, whose repair is not a round).

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
    copy_bushes,
    costs_into,
    shortest_cost,
    sum_origin_flows,
)
from agora.server.sim.bush_warm import start_warm
from agora.server.sim.bush_flows import clear_dust, equilibrate_bush
from agora.server.sim.bushes import bush_from_tree, update_bush
from agora.server.sim.paths import dijkstra, has_demand, load_tree

# Flow-shift sweeps over all bushes between two rounds. A round (exact gap and bush
# updates) costs about as much as a sweep or two; on the Chicago-Sketch-sized benchmark
# network two sweeps a round reach every gap from 1e-4 to 1e-8 soonest (two to twelve
# tried). More sweeps save rounds, not time.
PASSES = 2
# When a warm start's first measurement misses the target: WARM_ROUNDS bush updates,
# each followed by WARM_PASSES sweeps, over the origins it repaired only, before the
# next full round. On the benchmark network, after the busiest street closes, 4 x 2
# takes 5 rounds to 1e-4 where 3 x 1 took 8 (1 to 6 passes, 1 to 4 rounds tried).
WARM_PASSES = 4
WARM_ROUNDS = 2


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
    n_zones = x.shape[0]
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


@njit(cache=True, nogil=True)
def shortest_from_bush(
    o: int,
    bushes: Bushes,
    net: Network,
    out_head: np.ndarray,
    out_cost: np.ndarray,
    dist: np.ndarray,
    queue: np.ndarray,
    scanned: np.ndarray,
) -> None:
    """Shortest path costs from origin o over the whole network, in the order of its bush.

    Label-correcting (Bellman-Ford-Moore with a FIFO queue): every node of the bush is
    scanned once in the bush's topological order, then again from the queue whenever a
    link from a node scanned later lowers its cost. Near equilibrium the bush holds a shortest
    path to nearly every node, so its order is nearly the order of the shortest paths
    and few nodes are scanned twice: exact, as Dijkstra's algorithm is, and several
    times faster here. out_head int32[L] and out_cost float64[L]: the head and the cost
    of the link in each slot of the forward star (inf when unusable). Writes dist
    float64[N] (inf where unreachable); queue int32[N], scanned bool[N] scratch.
    """
    order_row = bushes.order[o]
    n = bushes.n_order[o]
    first_out = net.first_out
    first_thru_node = net.first_thru_node
    n_nodes = dist.shape[0]
    origin = order_row[0]
    dist[:] = np.inf
    dist[origin] = 0.0
    # A node the bush lacks (one a reopened link made reachable) counts as scanned: the
    # queue, not the order, has it scanned once reached.
    if n == n_nodes:
        scanned[:] = False
    else:
        scanned[:] = True
        for k in range(n):
            scanned[order_row[k]] = False
    head = 0
    size = 0
    k = 0
    while k < n or size > 0:
        if k < n:
            u = order_row[k]
            k += 1
        else:
            u = queue[head]
            head = head + 1 if head + 1 < n_nodes else 0
            size -= 1
        scanned[u] = True
        if u < first_thru_node and u != origin:
            continue
        du = dist[u]
        for q in range(first_out[u], first_out[u + 1]):
            v = out_head[q]
            candidate = du + out_cost[q]
            old = dist[v]
            # Whether a link improves is not predictable: no branch but the rare one.
            improved = candidate < old
            dist[v] = min(candidate, old)
            if improved & scanned[v]:
                scanned[v] = False
                tail = head + size
                queue[tail if tail < n_nodes else tail - n_nodes] = v
                size += 1


@njit(cache=True, nogil=True, parallel=True)
def measure_round(net: Network, demand: np.ndarray, cost: np.ndarray, bushes: Bushes) -> float:
    """Shortest paths from every origin with a bush at `cost` (`shortest_from_bush`).

    Returns the sum over origins of trips * shortest cost (c.y of the gap).
    """
    n_zones = bushes.n_order.shape[0]
    n_nodes = net.first_out.shape[0] - 1
    out_head = np.empty(cost.shape[0], dtype=np.int32)
    out_cost = np.empty(cost.shape[0], dtype=np.float64)
    for q in range(cost.shape[0]):
        link = net.out_links[q]
        out_head[q] = net.link_to[link]
        out_cost[q] = cost[link] if net.usable[link] else np.inf
    shortest = np.zeros(n_zones, dtype=np.float64)
    n_order = bushes.n_order
    zone_node = net.zone_node
    for c in prange(CHUNKS):
        dist = np.empty(n_nodes, dtype=np.float64)
        queue = np.empty(n_nodes, dtype=np.int32)
        scanned = np.empty(n_nodes, dtype=np.bool_)
        lo, hi = chunk(c, CHUNKS, n_zones)
        for o in range(lo, hi):
            if n_order[o] == 0:
                continue
            shortest_from_bush(o, bushes, net, out_head, out_cost, dist, queue, scanned)
            total_o, _ = shortest_cost(dist, zone_node, o, demand[o])
            shortest[o] = total_o
    total = 0.0
    for o in range(n_zones):
        total += shortest[o]
    return total


@njit(cache=True, nogil=True, parallel=True)
def update_round(net: Network, cost: np.ndarray, x: np.ndarray, bushes: Bushes, active: np.ndarray) -> int:
    """Update the bushes of the origins with active (bool[Z]) True at `cost` (see
    `bushes.update_bush`); returns the links added.

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
            if n_order[o] == 0 or not active[o]:
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
    active: np.ndarray,
) -> float:
    """n_sweeps sweeps of Algorithm B's flow shifts over the bushes of the origins with
    active (bool[Z]) True, in origin order.

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
            if bushes.n_order[o] > 1 and active[o]:
                moved += equilibrate_bush(
                    o, x, bushes.order, bushes.n_order, bushes.in_start, bushes.in_link, flow, cost,
                    slope, net.free_time, net.capacity, net.alpha, net.beta, net.extra,
                    net.link_from, tolerance, short, long, short_link, long_link, position,
                )
    for o in range(x.shape[0]):
        if bushes.n_order[o] > 1 and active[o]:
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
    warm_bushes: Bushes | None = None,
) -> tuple[float, int, float, Bushes]:
    """Algorithm B until the relative gap is <= target_gap or max_iter rounds are spent.

    x float64[Z, L] receives the origin flows, flow float64[L] their sum. warm: previous
    origin flows float64[Z, L] to start from (repaired where the network or the demand
    changed, see `bush_warm`), or None for a cold start.
    Returns (relative gap of the returned flows, or inf if never measured; rounds;
    trips with no path).

    Rounds: a cold start's all-or-nothing is the first; a warm start's repair is not
    one (it finds shortest paths only for the origins it repairs), so max_iter=k
    measures k times after a warm start and shifts flow k-1 times.

    A warm start repairs only the origins a change touches (`bush_warm`) and measures
    at once; if that is not enough, the repaired origins' bushes are updated and swept
    (WARM_ROUNDS x WARM_PASSES) to let them settle among the others before the first
    full round.
    """
    n_zones, n_links = x.shape
    n_nodes = net.first_out.shape[0] - 1
    shapes = ((n_zones, n_nodes), (n_zones,), (n_zones, n_nodes + 1), (n_zones, max(n_links, 1)))
    keep_bushes = warm_bushes is not None and all(
        shape == theirs.shape for shape, theirs in zip(shapes, warm_bushes)
    )
    if warm_bushes is not None and keep_bushes:
        bushes = Bushes(*(np.empty(shape, dtype=np.int32) for shape in shapes))
        copy_bushes(Bushes(*(np.ascontiguousarray(array, dtype=np.int32) for array in warm_bushes)), bushes)
    else:
        bushes = Bushes.empty(n_zones, n_nodes, n_links)
    cost = np.empty(n_links, dtype=np.float64)
    slope = np.empty(n_links, dtype=np.float64)
    gap = np.inf
    everyone = np.ones(n_zones, dtype=np.bool_)
    if warm is None:
        unserved = start_cold(net, demand, x, bushes)
        iterations = 1
    else:
        unserved, status = start_warm(net, demand, warm, x, bushes, keep_bushes)
        iterations = 0
        repaired = status != 0
    summed = False  # whether flow is x's sum already
    while iterations < max_iter:
        sum_origin_flows(x, flow)
        summed = True
        current = costs_into(flow, net.free_time, net.capacity, net.alpha, net.beta, net.extra, cost, slope)
        shortest = measure_round(net, demand, cost, bushes)
        iterations += 1
        gap = _relative_gap(current, shortest)
        if gap <= target_gap or iterations >= max_iter:
            break
        tolerance = max(min(0.1 * target_gap, 1e-3 * gap), 1e-15)
        if warm is not None and iterations == 1 and np.any(repaired):
            # Most of the network is still in equilibrium: the repaired origins settle
            # among the others first.
            for _ in range(WARM_ROUNDS):
                update_round(net, cost, x, bushes, repaired)
                shift_sweeps(net, x, bushes, flow, cost, slope, WARM_PASSES, tolerance, repaired)
        # The dust this clears is a few ulps: the link flows are re-summed next round.
        update_round(net, cost, x, bushes, everyone)
        shift_sweeps(net, x, bushes, flow, cost, slope, PASSES, tolerance, everyone)
        summed = False
    if not summed:
        sum_origin_flows(x, flow)
    return gap, iterations, unserved, bushes


def _relative_gap(current: float, shortest: float) -> float:
    return abs(current - shortest) / current if current > 0.0 else 0.0
