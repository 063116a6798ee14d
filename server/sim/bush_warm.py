"""Warm starts for Algorithm B: repair last time's per-origin flows for today's network and demand.

    unserved, changed, shortest = start_warm(net, demand, warm, x, bushes)

After a closure or a demand change, most of an equilibrium is still right. Each origin's
previous flow float64[L] (a row of `warm`) is repaired in place of being thrown away:

1. flow on links that are now unusable is dropped;
2. in reverse topological order of the flow, each node's inflow is rescaled, in the
   proportions it already has, to what the node now needs (the trips that end there
   plus what leaves it): so the trips that crossed a closed link reach its head along
   the node's other approaches, and a changed demand travels the origin's own paths;
3. a node that now needs flow but receives none (the head of a closed link that was
   its only approach, or a new destination) gets it along today's shortest path;
4. cycles that step 3 may close are cancelled, which keeps every node's balance.

An origin whose flow cannot be repaired this way (negative or non-finite entries, flow
out of a centroid, a node that needs flow it cannot reach) restarts from its
all-or-nothing flow. Only the origins a change touches differ from `warm`; then each
origin's bush is its flow's links grown by today's shortest-path tree (`bushes`).
Warm flows from Frank-Wolfe, which may hold cycles, are accepted the same way.

Tolerance: a node whose balance is off by no more than 1e-9 of the origin's trips is
left alone, so the rounding of a previous solve does not count as a change.
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
from agora.server.sim.bushes import bush_from_flow, bush_from_tree
from agora.server.sim.paths import dijkstra, has_demand, load_tree

UNCHANGED, REPAIRED, RESET = 0, 1, 2


@njit(cache=True, nogil=True)
def _flow_order(
    x_row: np.ndarray,
    first_out: np.ndarray,
    out_links: np.ndarray,
    link_to: np.ndarray,
    indegree: np.ndarray,
    order: np.ndarray,
) -> bool:
    # Every node in a topological order of the links with flow (Kahn's algorithm from
    # all nodes without an inflowing link, by index). False if the flow has a cycle.
    n_nodes = indegree.shape[0]
    indegree[:] = 0
    for link in range(x_row.shape[0]):
        if x_row[link] > 0.0:
            indegree[link_to[link]] += 1
    count = 0
    for v in range(n_nodes):
        if indegree[v] == 0:
            order[count] = v
            count += 1
    head = 0
    while head < count:
        u = order[head]
        head += 1
        for k in range(first_out[u], first_out[u + 1]):
            link = out_links[k]
            if x_row[link] > 0.0:
                v = link_to[link]
                indegree[v] -= 1
                if indegree[v] == 0:
                    order[count] = v
                    count += 1
    return bool(count == n_nodes)


@njit(cache=True, nogil=True)
def cancel_cycles(
    x_row: np.ndarray,
    first_out: np.ndarray,
    out_links: np.ndarray,
    link_to: np.ndarray,
    state: np.ndarray,
    stack_node: np.ndarray,
    stack_next: np.ndarray,
    stack_link: np.ndarray,
    depth: np.ndarray,
) -> int:
    """Remove every cycle from one origin's flow x_row float64[L]; returns how many.

    Depth-first search over the links with flow; each cycle found loses its least flow
    on all its links (that link drops to exactly zero), which keeps every node's
    balance, and the search restarts. Scratch: state int8[N], stack_node, stack_next
    (int64), stack_link, depth int32[N]-sized.
    """
    n_nodes = state.shape[0]
    cancelled = 0
    found = True
    while found:
        found = False
        state[:] = 0
        for root in range(n_nodes):
            if state[root] != 0 or found:
                continue
            top = 0
            stack_node[0] = root
            stack_next[0] = first_out[root]
            stack_link[0] = -1
            depth[root] = 0
            state[root] = 1
            top = 1
            while top > 0 and not found:
                u = stack_node[top - 1]
                k = stack_next[top - 1]
                pushed = False
                while k < first_out[u + 1]:
                    link = out_links[k]
                    k += 1
                    if not x_row[link] > 0.0:
                        continue
                    v = link_to[link]
                    if state[v] == 0:
                        stack_next[top - 1] = k
                        stack_node[top] = v
                        stack_next[top] = first_out[v]
                        stack_link[top] = link
                        depth[v] = top
                        state[v] = 1
                        top += 1
                        pushed = True
                        break
                    if state[v] == 1:
                        # The cycle: the stack's links from v up to u, then `link`.
                        least = x_row[link]
                        for i in range(depth[v] + 1, top):
                            least = min(least, x_row[stack_link[i]])
                        x_row[link] = x_row[link] - least if x_row[link] != least else 0.0
                        for i in range(depth[v] + 1, top):
                            cycle_link = stack_link[i]
                            x_row[cycle_link] = x_row[cycle_link] - least if x_row[cycle_link] != least else 0.0
                        cancelled += 1
                        found = True
                        break
                if not pushed and not found:
                    state[u] = 2
                    top -= 1
    return cancelled


@njit(cache=True, nogil=True)
def repair_origin(
    x_row: np.ndarray,
    o: int,
    demand_row: np.ndarray,
    dist: np.ndarray,
    pred: np.ndarray,
    settled: np.ndarray,
    n_settled: int,
    net: Network,
    need: np.ndarray,
    missing: np.ndarray,
    node_flow: np.ndarray,
    indegree: np.ndarray,
    order: np.ndarray,
    state: np.ndarray,
    stack_node: np.ndarray,
    stack_next: np.ndarray,
    stack_link: np.ndarray,
    depth: np.ndarray,
) -> int:
    """Make origin o's flow x_row float64[L] feasible for demand_row and today's links.

    dist, pred, settled, n_settled: today's shortest-path tree from the origin (paths
    kernels). Scratch: need, missing, node_flow float64[N]; indegree, order int32[N] and the
    `cancel_cycles` arrays. Returns UNCHANGED, REPAIRED or RESET (x_row then holds
    the all-or-nothing flow on the tree).
    """
    origin = net.zone_node[o]
    link_from, link_to = net.link_from, net.link_to
    first_out, out_links, first_in, in_links = net.first_out, net.out_links, net.first_in, net.in_links
    n_nodes = dist.shape[0]
    status = UNCHANGED
    ok = True
    for link in range(x_row.shape[0]):
        value = x_row[link]
        if not value >= 0.0 or value == np.inf:
            ok = False
        elif value > 0.0:
            tail = link_from[link]
            if tail < net.first_thru_node and tail != origin:
                ok = False
            elif not net.usable[link]:
                x_row[link] = 0.0
                status = REPAIRED
    if ok:
        if not _flow_order(x_row, first_out, out_links, link_to, indegree, order):
            cancel_cycles(x_row, first_out, out_links, link_to, state, stack_node, stack_next, stack_link, depth)
            _flow_order(x_row, first_out, out_links, link_to, indegree, order)
            status = REPAIRED
        need[:] = 0.0
        total = 0.0
        for d in range(demand_row.shape[0]):
            node = net.zone_node[d]
            if d != o and node != origin and dist[node] < np.inf:
                need[node] += demand_row[d]
                total += demand_row[d]
        tolerance = 1e-9 * max(total, 1.0)
        missing[:] = 0.0
        any_missing = False
        for k in range(n_nodes - 1, -1, -1):
            v = order[k]
            if v == origin:
                continue
            inflow = 0.0
            for q in range(first_in[v], first_in[v + 1]):
                inflow += x_row[in_links[q]]
            required = need[v]
            for q in range(first_out[v], first_out[v + 1]):
                required += x_row[out_links[q]]
            if abs(required - inflow) <= tolerance:
                continue
            status = REPAIRED
            if inflow > 0.0:
                ratio = required / inflow
                for q in range(first_in[v], first_in[v + 1]):
                    x_row[in_links[q]] *= ratio
            elif dist[v] < np.inf:
                missing[v] = required
                any_missing = True
            else:
                ok = False
                break
        if ok and any_missing:
            # Today's tree carries what no approach brings; it may close cycles with
            # the old flow, which cancelling removes without touching any balance.
            for i in range(n_settled):
                node_flow[settled[i]] = missing[settled[i]]
            for i in range(n_settled - 1, 0, -1):
                v = settled[i]
                f = node_flow[v]
                if f != 0.0:
                    link = pred[v]
                    x_row[link] += f
                    node_flow[link_from[link]] += f
            if not _flow_order(x_row, first_out, out_links, link_to, indegree, order):
                cancel_cycles(x_row, first_out, out_links, link_to, state, stack_node, stack_next, stack_link, depth)
                _flow_order(x_row, first_out, out_links, link_to, indegree, order)
    if ok:
        # Flow left within the tolerance on links that no flow from the origin reaches
        # (rounding dust, as `bushes.clear_dust` clears it) would keep the bush from
        # being built from the origin.
        for k in range(n_nodes):
            v = order[k]
            fed = v == origin
            for q in range(first_in[v], first_in[v + 1]):
                if x_row[in_links[q]] > 0.0 and node_flow[link_from[in_links[q]]] > 0.0:
                    fed = True
                    break
            node_flow[v] = 1.0 if fed else 0.0
            if not fed:
                for q in range(first_out[v], first_out[v + 1]):
                    if x_row[out_links[q]] > 0.0:
                        x_row[out_links[q]] = 0.0
                        status = max(status, REPAIRED)
        return status
    x_row[:] = 0.0
    load_tree(link_from, dist, pred, settled, n_settled, net.zone_node, o, demand_row, x_row, node_flow)
    return RESET


@njit(cache=True, nogil=True, parallel=True)
def start_warm(
    net: Network,
    demand: np.ndarray,
    warm: np.ndarray,
    x: np.ndarray,
    bushes: Bushes,
) -> tuple[float, bool, float]:
    """x = warm repaired origin by origin (see the module), and a bush for each origin.

    warm, x float64[Z, L]; demand float64[Z, Z]. Costs are those of the warm flows.
    Returns (trips with no path today, whether any origin's flow changed, sum over
    origins of trips * shortest cost at the warm flows' costs). When nothing changed
    the last is the c.y of the gap of x.
    """
    n_zones, n_links = x.shape
    n_nodes = net.first_out.shape[0] - 1
    warm_flow = np.empty(n_links, dtype=np.float64)
    sum_origin_flows(warm, warm_flow)
    cost = np.empty(n_links, dtype=np.float64)
    slope = np.empty(n_links, dtype=np.float64)
    costs_into(warm_flow, net.free_time, net.capacity, net.alpha, net.beta, net.extra, cost, slope)
    lost = np.zeros(n_zones, dtype=np.float64)
    shortest = np.zeros(n_zones, dtype=np.float64)
    status = np.zeros(n_zones, dtype=np.int64)
    order, n_order, in_start, in_link = bushes
    first_out, out_links, first_in, in_links = net.first_out, net.out_links, net.first_in, net.in_links
    link_from, link_to, usable, zone_node = net.link_from, net.link_to, net.usable, net.zone_node
    first_thru_node = net.first_thru_node
    for c in prange(CHUNKS):
        dist = np.empty(n_nodes, dtype=np.float64)
        pred = np.empty(n_nodes, dtype=np.int32)
        settled = np.empty(n_nodes, dtype=np.int32)
        heap = np.empty(n_nodes, dtype=np.int32)
        pos = np.empty(n_nodes, dtype=np.int32)
        need = np.empty(n_nodes, dtype=np.float64)
        missing = np.empty(n_nodes, dtype=np.float64)
        node_flow = np.empty(n_nodes, dtype=np.float64)
        indegree = np.empty(n_nodes, dtype=np.int32)
        topo = np.empty(n_nodes, dtype=np.int32)
        state = np.empty(n_nodes, dtype=np.int8)
        stack_node = np.empty(n_nodes, dtype=np.int32)
        stack_next = np.empty(n_nodes, dtype=np.int64)
        stack_link = np.empty(n_nodes, dtype=np.int32)
        depth = np.empty(n_nodes, dtype=np.int32)
        link_stamp = np.full(n_links, -1, dtype=np.int32)
        node_stamp = np.full(n_nodes, -1, dtype=np.int32)
        potential = np.empty(n_nodes, dtype=np.float64)
        members = np.empty(n_links, dtype=np.int32)
        lo, hi = chunk(c, CHUNKS, n_zones)
        for o in range(lo, hi):
            row = x[o]
            row[:] = warm[o]
            n_order[o] = 0
            if not has_demand(demand[o], o):
                for link in range(n_links):
                    if row[link] != 0.0:
                        status[o] = REPAIRED
                        row[link] = 0.0
                continue
            origin = zone_node[o]
            n = dijkstra(first_out, out_links, link_to, cost, usable, origin, first_thru_node,
                         dist, pred, settled, heap, pos)
            total_o, lost_o = shortest_cost(dist, zone_node, o, demand[o])
            shortest[o] = total_o
            lost[o] = lost_o
            status[o] = repair_origin(row, o, demand[o], dist, pred, settled, n, net, need, missing,
                                      node_flow, indegree, topo, state, stack_node, stack_next,
                                      stack_link, depth)
            size = bush_from_flow(row, origin, settled, n, pred, cost, first_out, out_links, first_in,
                                  in_links, link_from, link_to, o, link_stamp, node_stamp, potential,
                                  indegree, members, order[o], in_start[o], in_link[o])
            if size < 0:  # unreachable after a repair; kept as a guard for foreign warm flows
                status[o] = RESET
                row[:] = 0.0
                load_tree(link_from, dist, pred, settled, n, zone_node, o, demand[o], row, node_flow)
                size = bush_from_tree(settled, n, pred, order[o], in_start[o], in_link[o])
            n_order[o] = size
    unserved = 0.0
    total = 0.0
    changed = False
    for o in range(n_zones):
        unserved += lost[o]
        total += shortest[o]
        changed = changed or status[o] != UNCHANGED
    return unserved, changed, total
