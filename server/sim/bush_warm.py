"""Warm starts for Algorithm B: repair last time's per-origin flows for today's network and demand.

    unserved, status = start_warm(net, demand, warm, x, bushes, keep_bushes)

After a closure or a demand change, most of an equilibrium is still right. Each origin's
previous flow float64[L] (a row of `warm`) is checked, and repaired only if it needs to
be, in place of being thrown away:

1. cycles (which Frank-Wolfe flows may hold) are cancelled, keeping every balance;
2. the paths through a link that is now unusable lose the flow they carry through it,
   upstream and downstream of it, in the proportions the flow splits and merges there
   (each node's flow is taken as mixed: Bar-Gera's proportionality);
3. in reverse topological order of the flow, each node's inflow is rescaled, in the
   proportions it already has, to what the node now needs (the trips that end there
   plus what leaves it): so the trips cut in 2 reach their destinations by the
   approaches that are left, and a changed demand travels the origin's own paths;
4. a node that now needs flow but receives none (all its approaches were cut, or a new
   destination) gets it along today's shortest path, and any cycle this closes with the
   old flow is cancelled.

An origin whose flow cannot be repaired this way (negative or non-finite entries, flow
out of a centroid, a node that needs flow it cannot reach) restarts from its
all-or-nothing flow. Only the origins a change touches differ from `warm`; then each
origin's bush is its flow's links grown by today's shortest-path tree (`bushes`).

Tolerance: a node whose balance is off by no more than 1e-9 of the origin's trips is
left alone, so the rounding of a previous solve does not count as a change.

The repairs themselves are in `flow_repairs`. With the bushes returned beside the warm
flows (`warm_bushes`), an origin's repair stays inside its own bush and visits only the
nodes the change reaches (`bush_repairs`); nodes that the closed links alone fed are fed
again by shortest paths from the rest of the bush. Only flow that does not fit its bush
is repaired from scratch, with today's shortest-path tree.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from agora.server.sim.assignment_arrays import (
    CHUNKS,
    Bushes,
    Network,
    chunk,
    copy_origin_flows,
    costs_into,
    shortest_cost,
)
from agora.server.sim.bush_repairs import BROKEN_IN_BUSH, bush_state, new_bush_scratch, repair_in_bush
from agora.server.sim.bushes import bush_from_flow, bush_from_tree
from agora.server.sim.flow_repairs import (
    FAILED,
    INTACT,
    INTACT_IN_BUSH,
    REPAIRED,
    RESET,
    Scratch,
    intact_state,
    new_scratch,
    repair_origin,
)
from agora.server.sim.paths import dijkstra, has_demand, load_tree

@njit(cache=True, nogil=True)
def _repair_and_build(
    o: int,
    row: np.ndarray,
    demand_row: np.ndarray,
    cost: np.ndarray,
    net: Network,
    bushes: Bushes,
    s: Scratch,
) -> tuple[int, float]:
    # Today's tree from the origin, the repair, then the bush (flow grown by the tree).
    # Returns (status, trips with no path).
    origin = net.zone_node[o]
    n = dijkstra(net.first_out, net.out_links, net.link_to, cost, net.usable, origin, net.first_thru_node,
                 s.dist, s.pred, s.settled, s.heap, s.pos)
    _, lost = shortest_cost(s.dist, net.zone_node, o, demand_row)
    status = repair_origin(row, o, demand_row, n, net, s)
    size = bush_from_flow(row, origin, s.settled, n, s.pred, cost, net.first_out, net.out_links,
                          net.first_in, net.in_links, net.link_from, net.link_to, net.usable,
                          net.first_thru_node, o, s.link_stamp,
                          s.node_stamp, s.potential, s.indegree, s.members, bushes.order[o],
                          bushes.in_start[o], bushes.in_link[o])
    if size < 0:  # not expected after a repair; a guard for foreign warm flows
        status = RESET
        row[:] = 0.0
        load_tree(net.link_from, s.dist, s.pred, s.settled, n, net.zone_node, o, demand_row, row, s.node_flow)
        size = bush_from_tree(s.settled, n, s.pred, bushes.order[o], bushes.in_start[o], bushes.in_link[o])
    bushes.n_order[o] = size
    return status, lost


@njit(cache=True, nogil=True)
def _warm_origins(
    lo: int,
    hi: int,
    net: Network,
    demand: np.ndarray,
    warm: np.ndarray,
    x: np.ndarray,
    bushes: Bushes,
    keep_bushes: bool,
    cost: np.ndarray,
    status: np.ndarray,
    lost: np.ndarray,
) -> None:
    # start_warm's work for origins lo..hi-1, with their own scratch. A function of its
    # own so that the parallel loop's body stays small.
    n_zones, n_links = x.shape
    n_nodes = net.first_out.shape[0] - 1
    s = new_scratch(n_nodes, n_links)
    b = new_bush_scratch(n_nodes, n_links, n_zones)
    order, n_order, in_start, in_link = bushes
    for o in range(lo, hi):
        row = x[o]  # a copy of warm[o] on entry
        if not has_demand(demand[o], o):
            n_order[o] = 0
            for link in range(n_links):
                if row[link] != 0.0:
                    status[o] = REPAIRED
                    row[link] = 0.0
            continue
        if keep_bushes:
            state, n_closed, n_unmet, tolerance = bush_state(row, o, demand[o], net, bushes, b)
            if state == INTACT_IN_BUSH:
                continue
            if state == BROKEN_IN_BUSH:
                fast = repair_in_bush(row, o, n_closed, n_unmet, tolerance, cost, net, bushes, b)
                if fast != FAILED:
                    status[o] = fast
                    continue
                row[:] = warm[o]
                status[o], lost[o] = _repair_and_build(o, row, demand[o], cost, net, bushes, s)
                continue
        state = intact_state(row, o, demand[o], net, bushes, keep_bushes, s)
        if state == INTACT_IN_BUSH:
            continue
        if state == INTACT:
            size = bush_from_flow(row, net.zone_node[o], s.settled, 0, s.pred, cost, net.first_out,
                                  net.out_links, net.first_in, net.in_links, net.link_from, net.link_to,
                                  net.usable, net.first_thru_node, o, s.link_stamp, s.node_stamp,
                                  s.potential, s.indegree, s.members, order[o], in_start[o], in_link[o])
            if size >= 0:
                n_order[o] = size
                continue
        status[o], lost[o] = _repair_and_build(o, row, demand[o], cost, net, bushes, s)


@njit(cache=True, nogil=True, parallel=True)
def start_warm(
    net: Network,
    demand: np.ndarray,
    warm: np.ndarray,
    x: np.ndarray,
    bushes: Bushes,
    keep_bushes: bool,
) -> tuple[float, np.ndarray]:
    """x = warm, repaired where needed (see the module), and a bush for each origin.

    warm, x float64[Z, L]; demand float64[Z, Z]. An intact origin keeps its flow, and
    as its bush either the one `bushes` holds on entry (keep_bushes: the bushes that
    came with warm, if the bush still holds only usable links and all the origin's
    flow) or its flow's links grown breadth-first; the others are repaired at the warm
    flows' costs. Returns (trips with no path today, int64[Z] each origin's UNCHANGED,
    REPAIRED or RESET).
    """
    n_zones, n_links = x.shape
    warm_flow = np.empty(n_links, dtype=np.float64)
    copy_origin_flows(warm, x, warm_flow)
    cost = np.empty(n_links, dtype=np.float64)
    slope = np.empty(n_links, dtype=np.float64)
    costs_into(warm_flow, net.free_time, net.capacity, net.alpha, net.beta, net.extra, cost, slope)
    lost = np.zeros(n_zones, dtype=np.float64)
    status = np.zeros(n_zones, dtype=np.int64)
    for c in prange(CHUNKS):
        lo, hi = chunk(c, CHUNKS, n_zones)
        _warm_origins(lo, hi, net, demand, warm, x, bushes, keep_bushes, cost, status, lost)
    unserved = 0.0
    for o in range(n_zones):
        unserved += lost[o]
    return unserved, status
