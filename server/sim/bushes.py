"""Bushes of Algorithm B: one acyclic subnetwork per origin, built and kept up to date.

Dial, R. B. (2006), "A path-based user-equilibrium traffic assignment algorithm that
obviates path storage and enumeration", Transportation Research Part B 40(10), 917-936.
The bush update keeps the shortest-path links and the used links and adds shortcuts as
in Nie, Y. (2010), "A class of bush-based algorithms for the traffic assignment
problem", Transportation Research Part B 44(1), 73-89.

This module builds and updates bushes; `bush_flows` moves flow on them.

Layout, for Z origins, N nodes, L links (every array is owned by the caller):

    x         float64[Z, L]   each origin's link flows (veh/h); zero outside its bush
    order     int32[Z, N]     the bush's nodes in topological order, origin first;
                              the first n_order[o] entries are used
    n_order   int32[Z]
    in_start  int32[Z, N+1]   bush links into the node at position k of order[o] are
    in_link   int32[Z, L]     in_link[o, in_start[o, k]:in_start[o, k+1]]

A bush holds every node its origin can reach (links out of a zone centroid other than
the origin are never in it) and is acyclic, which the update keeps true: a link (i, j)
joins only when i comes before j in a potential that every kept link respects
(the longest kept-path cost), so no cycle can close. Costs are generalised (BPR time
plus a fixed extra per link) in the time unit of the free-flow times; `slope` is
d cost / d flow.
"""

from __future__ import annotations

import numpy as np
from numba import njit



@njit(cache=True, nogil=True)
def _topological_order(
    origin: int,
    members: np.ndarray,
    n_members: int,
    link_stamp: np.ndarray,
    stamp: int,
    first_out: np.ndarray,
    out_links: np.ndarray,
    link_from: np.ndarray,
    link_to: np.ndarray,
    indegree: np.ndarray,
    order_row: np.ndarray,
) -> int:
    # Kahn's algorithm over the links marked link_stamp == stamp (listed in members),
    # from the origin; order_row doubles as the queue. Returns the number of nodes
    # ordered, or -1 when some member link was never reached (a cycle, or flow that does
    # not start at the origin).
    for m in range(n_members):
        indegree[link_to[members[m]]] = 0
    for m in range(n_members):
        indegree[link_to[members[m]]] += 1
    order_row[0] = origin
    count = 1
    head = 0
    consumed = 0
    while head < count:
        u = order_row[head]
        head += 1
        for k in range(first_out[u], first_out[u + 1]):
            link = out_links[k]
            if link_stamp[link] != stamp:
                continue
            consumed += 1
            v = link_to[link]
            indegree[v] -= 1
            if indegree[v] == 0:
                order_row[count] = v
                count += 1
    return count if consumed == n_members else -1


@njit(cache=True, nogil=True)
def _write_in_links(
    order_row: np.ndarray,
    n: int,
    link_stamp: np.ndarray,
    stamp: int,
    first_in: np.ndarray,
    in_links: np.ndarray,
    in_start_row: np.ndarray,
    in_link_row: np.ndarray,
) -> None:
    # Bush links into each ordered node, in the order of the backward star, as CSR.
    p = 0
    for k in range(n):
        in_start_row[k] = p
        v = order_row[k]
        for q in range(first_in[v], first_in[v + 1]):
            link = in_links[q]
            if link_stamp[link] == stamp:
                in_link_row[p] = link
                p += 1
    in_start_row[n] = p


@njit(cache=True, nogil=True)
def bush_shortest_paths(
    order_row: np.ndarray,
    n: int,
    start: np.ndarray,
    links_in: np.ndarray,
    link_from: np.ndarray,
    cost: np.ndarray,
    short: np.ndarray,
    short_link: np.ndarray,
) -> None:
    """Shortest paths inside a bush of n nodes (one pass in topological order): the
    cost to each node in short float64[N], the last link of the path in short_link
    int32[N] (not set at the origin)."""
    short[order_row[0]] = 0.0
    for k in range(1, n):
        best = np.inf
        best_link = -1
        for p in range(start[k], start[k + 1]):
            link = links_in[p]
            if short[link_from[link]] + cost[link] < best:
                best = short[link_from[link]] + cost[link]
                best_link = link
        short[order_row[k]] = best
        short_link[order_row[k]] = best_link


@njit(cache=True, nogil=True)
def bush_from_tree(
    settled: np.ndarray,
    n_settled: int,
    pred_link: np.ndarray,
    order_row: np.ndarray,
    in_start_row: np.ndarray,
    in_link_row: np.ndarray,
) -> int:
    """The bush of a shortest-path tree: its nodes in settling order, one link into each.

    settled int32[N] (first n_settled used) and pred_link int32[N] as returned by the
    Dijkstra kernels of `paths`. Writes one origin's order, in_start and in_link rows;
    returns the number of nodes in the bush.
    """
    p = 0
    for k in range(n_settled):
        v = settled[k]
        order_row[k] = v
        in_start_row[k] = p
        if k > 0:
            in_link_row[p] = pred_link[v]
            p += 1
    in_start_row[n_settled] = p
    return n_settled


@njit(cache=True, nogil=True)
def bush_from_flow(
    x_row: np.ndarray,
    origin: int,
    settled: np.ndarray,
    n_settled: int,
    pred_link: np.ndarray,
    cost: np.ndarray,
    first_out: np.ndarray,
    out_links: np.ndarray,
    first_in: np.ndarray,
    in_links: np.ndarray,
    link_from: np.ndarray,
    link_to: np.ndarray,
    usable: np.ndarray,
    first_thru_node: int,
    stamp: int,
    link_stamp: np.ndarray,
    node_stamp: np.ndarray,
    potential: np.ndarray,
    indegree: np.ndarray,
    members: np.ndarray,
    order_row: np.ndarray,
    in_start_row: np.ndarray,
    in_link_row: np.ndarray,
) -> int:
    """The bush of a feasible acyclic flow, grown by the links of a shortest-path tree.

    x_row float64[L]: one origin's flow; the links with flow > 0 form the bush, then each
    tree link (settled, pred_link from the Dijkstra kernels, at costs `cost`; n_settled
    may be 0) joins when it reaches a node the flow does not, or leads uphill in the
    longest-path potential of the bush, which keeps the bush acyclic. Nodes still
    outside join breadth-first over usable links (none out of a centroid other than the
    origin), so the bush holds every node the origin can reach. stamp: an int unique to this call among
    those sharing the scratch arrays link_stamp int32[L], node_stamp int32[N]; potential
    float64[N], indegree int32[N], members int32[L] scratch.
    Returns the number of bush nodes, or -1 if the flow has a cycle or does not start
    at the origin.
    """
    n_members = 0
    for link in range(x_row.shape[0]):
        if x_row[link] > 0.0:
            link_stamp[link] = stamp
            members[n_members] = link
            n_members += 1
    n = _topological_order(origin, members, n_members, link_stamp, stamp, first_out, out_links,
                           link_from, link_to, indegree, order_row)
    if n < 0:
        return -1
    for k in range(n):
        node_stamp[order_row[k]] = stamp
    if n_settled > 0:
        potential[origin] = 0.0
        for k in range(1, n):
            v = order_row[k]
            best = -np.inf
            for q in range(first_in[v], first_in[v + 1]):
                link = in_links[q]
                if link_stamp[link] == stamp:
                    best = max(best, potential[link_from[link]] + cost[link])
            potential[v] = best
        for k in range(1, n_settled):
            v = settled[k]
            link = pred_link[v]
            if link_stamp[link] == stamp:
                continue
            u = link_from[link]
            if node_stamp[u] != stamp:
                continue
            if node_stamp[v] != stamp:
                node_stamp[v] = stamp
                potential[v] = potential[u] + cost[link]
            elif not potential[u] < potential[v]:
                continue
            link_stamp[link] = stamp
            members[n_members] = link
            n_members += 1
        n = _topological_order(origin, members, n_members, link_stamp, stamp, first_out, out_links,
                               link_from, link_to, indegree, order_row)
    # Nodes neither the flow nor the tree reaches (no tree given, or links the tree
    # did not need) join breadth-first, each by one link from a node before it.
    k = 0
    while k < n:
        u = order_row[k]
        k += 1
        if u < first_thru_node and u != origin:
            continue
        for q in range(first_out[u], first_out[u + 1]):
            link = out_links[q]
            v = link_to[link]
            if usable[link] and node_stamp[v] != stamp:
                node_stamp[v] = stamp
                link_stamp[link] = stamp
                order_row[n] = v
                n += 1
    _write_in_links(order_row, n, link_stamp, stamp, first_in, in_links, in_start_row, in_link_row)
    return n


@njit(cache=True, nogil=True)
def update_bush(
    o: int,
    x: np.ndarray,
    order: np.ndarray,
    n_order: np.ndarray,
    in_start: np.ndarray,
    in_link: np.ndarray,
    cost: np.ndarray,
    usable: np.ndarray,
    first_thru_node: int,
    first_out: np.ndarray,
    out_links: np.ndarray,
    first_in: np.ndarray,
    in_links: np.ndarray,
    link_from: np.ndarray,
    link_to: np.ndarray,
    stamp: int,
    link_stamp: np.ndarray,
    node_stamp: np.ndarray,
    label: np.ndarray,
    potential: np.ndarray,
    indegree: np.ndarray,
    members: np.ndarray,
    flowing: np.ndarray,
) -> int:
    """Drop origin o's unused links and add its shortcuts, at fixed costs; flows unchanged.

    A link stays if it carries flow or is the shortest in-bush link into its head (so
    every node stays reachable). A link (i, j) out of the bush joins if it shortens the
    in-bush shortest path to j (label_i + c_ij < label_j, or j is not yet in the bush)
    and i lies below j in the potential (the longest path over the kept links), which
    keeps the bush acyclic. Then the topological order and the in-link lists are rebuilt.
    Flow on a link whose tail receives none (rounding dust) is set to zero, so the
    caller must re-sum link flows afterwards. Scratch as in `bush_from_flow`, label
    float64[N] and flowing bool[N] too. Returns the number of links added.
    """
    n = n_order[o]
    order_row = order[o]
    start = in_start[o]
    links_in = in_link[o]
    x_row = x[o]
    origin = order_row[0]
    label[origin] = 0.0
    potential[origin] = 0.0
    node_stamp[origin] = stamp
    flowing[origin] = True
    n_members = 0
    for k in range(1, n):
        j = order_row[k]
        node_stamp[j] = stamp
        best = np.inf
        best_link = -1
        flowing[j] = False
        for p in range(start[k], start[k + 1]):
            link = links_in[p]
            i = link_from[link]
            value = label[i] + cost[link]
            if value < best:
                best = value
                best_link = link
            if x_row[link] > 0.0:
                if flowing[i]:
                    flowing[j] = True
                else:
                    # Rounding dust (a few ulps) left by flow shifts on a link whose tail
                    # no flow reaches; no shift can take it off, and as "used" it would
                    # raise the potential and keep shortcuts out.
                    x_row[link] = 0.0
        label[j] = best
        highest = -np.inf
        for p in range(start[k], start[k + 1]):
            link = links_in[p]
            if x_row[link] > 0.0 or link == best_link:
                link_stamp[link] = stamp
                members[n_members] = link
                n_members += 1
                highest = max(highest, potential[link_from[link]] + cost[link])
        potential[j] = highest
    added = 0
    for k in range(n):
        i = order_row[k]
        if i < first_thru_node and i != origin:
            continue
        label_i = label[i]
        potential_i = potential[i]
        for q in range(first_out[i], first_out[i + 1]):
            link = out_links[q]
            if link_stamp[link] == stamp or not usable[link]:
                continue
            j = link_to[link]
            if node_stamp[j] == stamp and not (
                label_i + cost[link] < label[j] and potential_i < potential[j]
            ):
                continue
            link_stamp[link] = stamp
            members[n_members] = link
            n_members += 1
            added += 1
    n = _topological_order(origin, members, n_members, link_stamp, stamp, first_out, out_links,
                           link_from, link_to, indegree, order_row)
    if n < 0:
        raise RuntimeError("bush update made a cycle")  # unreachable: the potential forbids it
    _write_in_links(order_row, n, link_stamp, stamp, first_in, in_links, start, links_in)
    n_order[o] = n
    return added
