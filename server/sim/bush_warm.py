"""Warm starts for Algorithm B: repair last time's per-origin flows for today's network and demand.

    unserved, status = start_warm(net, demand, warm, x, bushes)

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

Bar-Gera, H. (2010), "Traffic assignment by paired alternative segments",
Transportation Research Part B 44(8-9), 1022-1046, for proportionality.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from agora.server.sim.assignment_arrays import Bushes, Network, costs_into, shortest_cost, sum_origin_flows
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


class Scratch(NamedTuple):
    """Per-chunk work arrays of the warm-start kernels (N nodes, L links)."""

    dist: np.ndarray  # float64[N]
    pred: np.ndarray  # int32[N]
    settled: np.ndarray  # int32[N]
    heap: np.ndarray  # int32[N]
    pos: np.ndarray  # int32[N]
    need: np.ndarray  # float64[N]
    missing: np.ndarray  # float64[N]
    node_flow: np.ndarray  # float64[N]
    indegree: np.ndarray  # int32[N]
    order: np.ndarray  # int32[N]
    state: np.ndarray  # int8[N]
    stack_node: np.ndarray  # int32[N]
    stack_next: np.ndarray  # int64[N]
    stack_link: np.ndarray  # int32[N]
    depth: np.ndarray  # int32[N]
    link_stamp: np.ndarray  # int32[L]
    node_stamp: np.ndarray  # int32[N]
    potential: np.ndarray  # float64[N]
    members: np.ndarray  # int32[L]
    position: np.ndarray  # int32[N]
    tag: np.ndarray  # float64[N]


@njit(cache=True, nogil=True)
def new_scratch(n_nodes: int, n_links: int) -> Scratch:
    """Fresh work arrays; the stamps start at -1, never an origin's index."""
    return Scratch(
        np.empty(n_nodes, dtype=np.float64), np.empty(n_nodes, dtype=np.int32),
        np.empty(n_nodes, dtype=np.int32), np.empty(n_nodes, dtype=np.int32),
        np.empty(n_nodes, dtype=np.int32), np.empty(n_nodes, dtype=np.float64),
        np.empty(n_nodes, dtype=np.float64), np.empty(n_nodes, dtype=np.float64),
        np.empty(n_nodes, dtype=np.int32), np.empty(n_nodes, dtype=np.int32),
        np.empty(n_nodes, dtype=np.int8), np.empty(n_nodes, dtype=np.int32),
        np.empty(n_nodes, dtype=np.int64), np.empty(n_nodes, dtype=np.int32),
        np.empty(n_nodes, dtype=np.int32), np.full(n_links, -1, dtype=np.int32),
        np.full(n_nodes, -1, dtype=np.int32), np.empty(n_nodes, dtype=np.float64),
        np.empty(n_links, dtype=np.int32), np.empty(n_nodes, dtype=np.int32),
        np.empty(n_nodes, dtype=np.float64),
    )


@njit(cache=True, nogil=True)
def _needs(o: int, demand_row: np.ndarray, zone_node: np.ndarray, dist: np.ndarray, need: np.ndarray) -> float:
    # need[v]: trips from zone o that end at node v (none to o's own node, none where
    # dist is inf); returns their sum. dist of size 0 counts every node as reachable.
    need[:] = 0.0
    origin = zone_node[o]
    total = 0.0
    for d in range(demand_row.shape[0]):
        node = zone_node[d]
        if d != o and node != origin and (dist.shape[0] == 0 or dist[node] < np.inf):
            need[node] += demand_row[d]
            total += demand_row[d]
    return total


@njit(cache=True, nogil=True)
def _is_intact(x_row: np.ndarray, o: int, demand_row: np.ndarray, net: Network, s: Scratch) -> bool:
    # Whether the flow needs no repair: finite, >= 0, none on an unusable link or out of
    # another zone's centroid, and every node receiving what it sends plus the trips
    # that end there, within the tolerance of the module docstring.
    origin = net.zone_node[o]
    balance = s.node_flow
    balance[:] = 0.0
    for link in range(x_row.shape[0]):
        value = x_row[link]
        if value == 0.0:
            continue
        tail = net.link_from[link]
        if not (0.0 < value < np.inf) or not net.usable[link] or (tail < net.first_thru_node and tail != origin):
            return False
        balance[net.link_to[link]] += value
        balance[tail] -= value
    total = _needs(o, demand_row, net.zone_node, s.dist[:0], s.need)
    tolerance = 1e-9 * max(total, 1.0)
    for v in range(balance.shape[0]):
        if v != origin and abs(balance[v] - s.need[v]) > tolerance:
            return False
    return True


@njit(cache=True, nogil=True)
def _cut_paths_through(x_row: np.ndarray, closed: int, origin: int, net: Network, s: Scratch) -> None:
    # Remove the flow of the paths through link `closed`, split and merged in the
    # proportions of the flow at each node. s.order holds a topological order of the
    # links with flow and s.position its inverse.
    first_out, out_links, first_in, in_links = net.first_out, net.out_links, net.first_in, net.in_links
    link_from, link_to = net.link_from, net.link_to
    order, position, tag = s.order, s.position, s.tag
    n_nodes = order.shape[0]
    amount = x_row[closed]
    x_row[closed] = 0.0
    tag[:] = 0.0
    b = link_to[closed]
    tag[b] = amount
    for i in range(position[b], n_nodes):
        v = order[i]
        g = tag[v]
        if g == 0.0:
            continue
        inflow = g
        for q in range(first_in[v], first_in[v + 1]):
            inflow += x_row[in_links[q]]
        share = min(g / inflow, 1.0)
        for q in range(first_out[v], first_out[v + 1]):
            link = out_links[q]
            cut = x_row[link] * share
            if cut > 0.0:
                x_row[link] = x_row[link] - cut if share < 1.0 else 0.0
                tag[link_to[link]] += cut
    tag[:] = 0.0
    a = link_from[closed]
    tag[a] = amount
    for i in range(position[a], -1, -1):
        v = order[i]
        h = tag[v]
        if h == 0.0 or v == origin:
            continue
        inflow = 0.0
        for q in range(first_in[v], first_in[v + 1]):
            inflow += x_row[in_links[q]]
        share = min(h / inflow, 1.0) if inflow > 0.0 else 0.0
        for q in range(first_in[v], first_in[v + 1]):
            link = in_links[q]
            cut = x_row[link] * share
            if cut > 0.0:
                x_row[link] = x_row[link] - cut if share < 1.0 else 0.0
                tag[link_from[link]] += cut


@njit(cache=True, nogil=True)
def _bush_fits(o: int, x_row: np.ndarray, bushes: Bushes, usable: np.ndarray, link_stamp: np.ndarray) -> bool:
    # Whether origin o's bush holds only usable links and every link its flow uses.
    n = bushes.n_order[o]
    if n == 0:
        return False
    links_in = bushes.in_link[o]
    for p in range(bushes.in_start[o, n]):
        link = links_in[p]
        if not usable[link]:
            return False
        link_stamp[link] = o
    for link in range(x_row.shape[0]):
        if x_row[link] > 0.0 and link_stamp[link] != o:
            return False
    return True


@njit(cache=True, nogil=True)
def repair_origin(
    x_row: np.ndarray,
    o: int,
    demand_row: np.ndarray,
    n_settled: int,
    net: Network,
    s: Scratch,
) -> int:
    """Make origin o's flow x_row float64[L] feasible for demand_row and today's links.

    s.dist, s.pred, s.settled (first n_settled): today's shortest-path tree from the
    origin (paths kernels). Steps as in the module docstring. Returns UNCHANGED,
    REPAIRED or RESET (x_row then holds the all-or-nothing flow on the tree).
    """
    origin = net.zone_node[o]
    link_from, link_to = net.link_from, net.link_to
    first_out, out_links, first_in, in_links = net.first_out, net.out_links, net.first_in, net.in_links
    dist, order = s.dist, s.order
    n_nodes = dist.shape[0]
    status = UNCHANGED
    ok = True
    any_closed = False
    for link in range(x_row.shape[0]):
        value = x_row[link]
        if not value >= 0.0 or value == np.inf:
            ok = False
        elif value > 0.0:
            tail = link_from[link]
            if tail < net.first_thru_node and tail != origin:
                ok = False
            any_closed = any_closed or not net.usable[link]
    if ok:
        if not _flow_order(x_row, first_out, out_links, link_to, s.indegree, order):
            cancel_cycles(x_row, first_out, out_links, link_to, s.state, s.stack_node, s.stack_next,
                          s.stack_link, s.depth)
            _flow_order(x_row, first_out, out_links, link_to, s.indegree, order)
            status = REPAIRED
        if any_closed:
            status = REPAIRED
            for k in range(n_nodes):
                s.position[order[k]] = k
            for k in range(n_nodes):
                v = order[k]
                for q in range(first_in[v], first_in[v + 1]):
                    link = in_links[q]
                    if x_row[link] > 0.0 and not net.usable[link]:
                        _cut_paths_through(x_row, link, origin, net, s)
        total = _needs(o, demand_row, net.zone_node, dist, s.need)
        tolerance = 1e-9 * max(total, 1.0)
        missing = s.missing
        missing[:] = 0.0
        any_missing = False
        for k in range(n_nodes - 1, -1, -1):
            v = order[k]
            if v == origin:
                continue
            inflow = 0.0
            for q in range(first_in[v], first_in[v + 1]):
                inflow += x_row[in_links[q]]
            required = s.need[v]
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
            node_flow = s.node_flow
            for i in range(n_settled):
                node_flow[s.settled[i]] = missing[s.settled[i]]
            for i in range(n_settled - 1, 0, -1):
                v = s.settled[i]
                f = node_flow[v]
                if f != 0.0:
                    link = s.pred[v]
                    x_row[link] += f
                    node_flow[link_from[link]] += f
            if not _flow_order(x_row, first_out, out_links, link_to, s.indegree, order):
                cancel_cycles(x_row, first_out, out_links, link_to, s.state, s.stack_node, s.stack_next,
                              s.stack_link, s.depth)
                _flow_order(x_row, first_out, out_links, link_to, s.indegree, order)
    if ok:
        # Flow left within the tolerance on links that no flow from the origin reaches
        # (rounding dust, as `bushes.clear_dust` clears it) would keep the bush from
        # being built from the origin.
        fed = s.node_flow
        for k in range(n_nodes):
            v = order[k]
            is_fed = v == origin
            for q in range(first_in[v], first_in[v + 1]):
                if x_row[in_links[q]] > 0.0 and fed[link_from[in_links[q]]] > 0.0:
                    is_fed = True
                    break
            fed[v] = 1.0 if is_fed else 0.0
            if not is_fed:
                for q in range(first_out[v], first_out[v + 1]):
                    if x_row[out_links[q]] > 0.0:
                        x_row[out_links[q]] = 0.0
                        status = max(status, REPAIRED)
        return status
    x_row[:] = 0.0
    load_tree(link_from, dist, s.pred, s.settled, n_settled, net.zone_node, o, demand_row, x_row, s.node_flow)
    return RESET


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
    # start_warm's work for origins lo..hi-1, with their own scratch.
    n_zones, n_links = x.shape
    s = new_scratch(net.first_out.shape[0] - 1, n_links)
    order, n_order, in_start, in_link = bushes
    for o in range(lo, hi):
        row = x[o]
        row[:] = warm[o]
        if not has_demand(demand[o], o):
            n_order[o] = 0
            for link in range(n_links):
                if row[link] != 0.0:
                    status[o] = REPAIRED
                    row[link] = 0.0
            continue
        if _is_intact(row, o, demand[o], net, s):
            if keep_bushes and _bush_fits(o, row, bushes, net.usable, s.link_stamp):
                continue
            size = bush_from_flow(row, net.zone_node[o], s.settled, 0, s.pred, cost, net.first_out,
                                  net.out_links, net.first_in, net.in_links, net.link_from, net.link_to,
                                  net.usable, net.first_thru_node, o, s.link_stamp, s.node_stamp,
                                  s.potential, s.indegree, s.members, order[o], in_start[o], in_link[o])
            if size >= 0:
                n_order[o] = size
                continue
        status[o], lost[o] = _repair_and_build(o, row, demand[o], cost, net, bushes, s)


@njit(cache=True, nogil=True)
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
    n_nodes = net.first_out.shape[0] - 1
    warm_flow = np.empty(n_links, dtype=np.float64)
    sum_origin_flows(warm, warm_flow)
    cost = np.empty(n_links, dtype=np.float64)
    slope = np.empty(n_links, dtype=np.float64)
    costs_into(warm_flow, net.free_time, net.capacity, net.alpha, net.beta, net.extra, cost, slope)
    lost = np.zeros(n_zones, dtype=np.float64)
    status = np.zeros(n_zones, dtype=np.int64)
    # One thread: most origins only pass a quick check, and a parallel loop here would
    # cost more compile time (numba, every fresh machine) than it saves.
    _warm_origins(0, n_zones, net, demand, warm, x, bushes, keep_bushes, cost, status, lost)
    unserved = 0.0
    for o in range(n_zones):
        unserved += lost[o]
    return unserved, status
