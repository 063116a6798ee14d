"""Repairs of one origin's flow for today's network and demand (warm starts of Algorithm B).

    state = intact_state(x_row, o, demand_row, net, bushes, keep_bushes, s)
    status = repair_origin(x_row, o, demand_row, n_settled, net, s)

Each kernel takes one origin's flow x_row float64[L] (veh/h) and the arrays of
`assignment_arrays.Network`; the steps and the tolerance are described in `bush_warm`.
Scratch arrays come in one `Scratch` per thread (`new_scratch`).

Bar-Gera, H. (2010), "Traffic assignment by paired alternative segments",
Transportation Research Part B 44(8-9), 1022-1046, for the proportionality by which
the flow through a closed link is split and merged.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from agora.server.sim.assignment_arrays import Bushes, Network
from agora.server.sim.paths import load_tree

UNCHANGED, REPAIRED, RESET = 0, 1, 2
FAILED = -1
BROKEN, INTACT, INTACT_IN_BUSH = 0, 1, 2


@njit(cache=True, nogil=True)
def flow_order(
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
    in_start: np.ndarray  # int32[N+1]
    in_link: np.ndarray  # int32[L]


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
        np.empty(n_nodes, dtype=np.float64), np.empty(n_nodes + 1, dtype=np.int32),
        np.empty(n_links, dtype=np.int32),
    )


@njit(cache=True, nogil=True)
def needs(o: int, demand_row: np.ndarray, zone_node: np.ndarray, dist: np.ndarray, need: np.ndarray) -> float:
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
def intact_state(
    x_row: np.ndarray, o: int, demand_row: np.ndarray, net: Network, bushes: Bushes, keep_bushes: bool, s: Scratch
) -> int:
    # BROKEN if the flow needs a repair; else INTACT, or INTACT_IN_BUSH when keep_bushes
    # and origin o's bush holds only usable links and every link the flow uses. Intact:
    # finite, >= 0, none on an unusable link or out of another zone's centroid, and
    # every node receiving what it sends plus the trips that end there, within the
    # tolerance of `bush_warm` (only the zones' nodes are checked when keep_bushes).
    origin = net.zone_node[o]
    in_bush = keep_bushes and bushes.n_order[o] > 0
    mark = -(o + 2)  # never an origin index, the stamps bush_from_flow leaves
    if in_bush:
        links_in = bushes.in_link[o]
        for p in range(bushes.in_start[o, bushes.n_order[o]]):
            link = links_in[p]
            in_bush = in_bush and net.usable[link]
            s.link_stamp[link] = mark
    check_all = not keep_bushes
    balance = s.node_flow
    if check_all:
        balance[:] = 0.0
    for link in range(x_row.shape[0]):
        value = x_row[link]
        if value == 0.0:
            continue
        tail = net.link_from[link]
        if not (0.0 < value < np.inf) or not net.usable[link] or (tail < net.first_thru_node and tail != origin):
            return BROKEN
        in_bush = in_bush and s.link_stamp[link] == mark
        if check_all:
            balance[net.link_to[link]] += value
            balance[tail] -= value
    total = needs(o, demand_row, net.zone_node, s.dist[:0], s.need)
    tolerance = 1e-9 * max(total, 1.0)
    if check_all:
        for v in range(balance.shape[0]):
            if v != origin and abs(balance[v] - s.need[v]) > tolerance:
                return BROKEN
    else:
        # Flows that came with their bushes are this solver's, which keeps every node
        # balanced: only the destinations' arrivals can disagree with today's demand.
        for d in range(demand_row.shape[0]):
            v = net.zone_node[d]
            if v == origin:
                continue
            arrived = 0.0
            for q in range(net.first_in[v], net.first_in[v + 1]):
                arrived += x_row[net.in_links[q]]
            for q in range(net.first_out[v], net.first_out[v + 1]):
                arrived -= x_row[net.out_links[q]]
            if abs(arrived - s.need[v]) > tolerance:
                return BROKEN
    return INTACT_IN_BUSH if in_bush else INTACT


@njit(cache=True, nogil=True)
def cut_paths_through(
    x_row: np.ndarray,
    closed: int,
    origin: int,
    order: np.ndarray,
    n: int,
    position: np.ndarray,
    in_start: np.ndarray,
    in_link: np.ndarray,
    net: Network,
    tag: np.ndarray,
) -> None:
    # Remove the flow of the paths through link `closed`, split and merged in the
    # proportions of the flow at each node. order[:n]: a topological order of the links
    # with flow, position its inverse; the links into order[k] that may carry flow are
    # in_link[in_start[k]:in_start[k + 1]]. tag float64[N] scratch.
    first_out, out_links = net.first_out, net.out_links
    link_from, link_to = net.link_from, net.link_to
    amount = x_row[closed]
    x_row[closed] = 0.0
    for k in range(n):
        tag[order[k]] = 0.0
    b = link_to[closed]
    tag[b] = amount
    for i in range(position[b], n):
        v = order[i]
        g = tag[v]
        if g == 0.0:
            continue
        inflow = g
        for q in range(in_start[i], in_start[i + 1]):
            inflow += x_row[in_link[q]]
        share = min(g / inflow, 1.0)
        for q in range(first_out[v], first_out[v + 1]):
            link = out_links[q]
            cut = x_row[link] * share
            if cut > 0.0:
                x_row[link] = x_row[link] - cut if share < 1.0 else 0.0
                tag[link_to[link]] += cut
    for k in range(n):
        tag[order[k]] = 0.0
    a = link_from[closed]
    tag[a] = amount
    for i in range(position[a], -1, -1):
        v = order[i]
        h = tag[v]
        if h == 0.0 or v == origin:
            continue
        inflow = 0.0
        for q in range(in_start[i], in_start[i + 1]):
            inflow += x_row[in_link[q]]
        share = min(h / inflow, 1.0) if inflow > 0.0 else 0.0
        for q in range(in_start[i], in_start[i + 1]):
            link = in_link[q]
            cut = x_row[link] * share
            if cut > 0.0:
                x_row[link] = x_row[link] - cut if share < 1.0 else 0.0
                tag[link_from[link]] += cut


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
        if not flow_order(x_row, first_out, out_links, link_to, s.indegree, order):
            cancel_cycles(x_row, first_out, out_links, link_to, s.state, s.stack_node, s.stack_next,
                          s.stack_link, s.depth)
            flow_order(x_row, first_out, out_links, link_to, s.indegree, order)
            status = REPAIRED
        if any_closed:
            status = REPAIRED
            # The backward star, re-indexed by position in the flow's order.
            in_start, in_link = s.in_start, s.in_link
            count = 0
            for k in range(n_nodes):
                v = order[k]
                s.position[v] = k
                in_start[k] = count
                for q in range(first_in[v], first_in[v + 1]):
                    in_link[count] = in_links[q]
                    count += 1
            in_start[n_nodes] = count
            for k in range(n_nodes):
                for q in range(in_start[k], in_start[k + 1]):
                    link = in_link[q]
                    if x_row[link] > 0.0 and not net.usable[link]:
                        cut_paths_through(x_row, link, origin, order, n_nodes, s.position, in_start, in_link,
                                           net, s.tag)
        total = needs(o, demand_row, net.zone_node, dist, s.need)
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
            if not flow_order(x_row, first_out, out_links, link_to, s.indegree, order):
                cancel_cycles(x_row, first_out, out_links, link_to, s.state, s.stack_node, s.stack_next,
                              s.stack_link, s.depth)
                flow_order(x_row, first_out, out_links, link_to, s.indegree, order)
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
