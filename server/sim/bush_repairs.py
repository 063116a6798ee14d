"""Warm-start repairs of one origin inside the bush that came with its flow (Algorithm B).

    state, n_closed, n_unmet, tolerance = bush_state(x_row, o, demand_row, net, bushes, b)
    status = repair_in_bush(x_row, o, n_closed, n_unmet, tolerance, cost, net, bushes, b)

The steps are those of `flow_repairs.repair_origin` (see `bush_warm`), taken inside the
bush: its order is a topological order of the flow and its in-link lists give each
node's inflow, so no shortest-path tree is needed. After a closure the flow through
the closed links is cut (Bar-Gera's proportionality), the bush loses the closed links
and nodes they alone fed are fed again from the rest of the bush, and the nodes left
unbalanced are rescaled. Every step visits only the nodes the repair reaches, from
heaps of their positions in the bush's order: a street closure touches a few dozen of
an origin's nodes, not all of them.

Bar-Gera, H. (2010), "Traffic assignment by paired alternative segments",
Transportation Research Part B 44(8-9), 1022-1046.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from agora.server.sim.assignment_arrays import Bushes, Network
from agora.server.sim.flow_repairs import BROKEN, FAILED, INTACT_IN_BUSH, REPAIRED, UNCHANGED, needs

BROKEN_IN_BUSH = 3  # a state beside flow_repairs' BROKEN, INTACT, INTACT_IN_BUSH


class BushScratch(NamedTuple):
    """Per-chunk work arrays of the in-bush repair (N nodes, L links, Z zones). The
    carries and flags start cleared, and every repair leaves them cleared."""

    need: np.ndarray  # float64[N], the origin's trips ending at each node
    closed: np.ndarray  # int32[L], the bush's unusable links, in bush order
    unmet: np.ndarray  # int32[Z], nodes whose arrivals disagree with today's demand
    in_bush: np.ndarray  # int32[N], the origin whose bush holds the node; -1
    position: np.ndarray  # int32[N], the node's place in that bush's order
    carry: np.ndarray  # float64[N], flow being cut, by node; zeros
    queued: np.ndarray  # bool[N], in the heap; False
    touched: np.ndarray  # int32[N], the nodes a repair has touched so far
    is_touched: np.ndarray  # bool[N]; False
    fed: np.ndarray  # bool[N]
    fed_known: np.ndarray  # bool[N]; False
    heap: np.ndarray  # int64[N], positions in the bush's order
    orphan: np.ndarray  # bool[N], fed by the closed links alone; False
    orphans: np.ndarray  # int32[N]
    labelled: np.ndarray  # int64[N], the epoch of the node's label; -1
    epoch: np.ndarray  # int64[1], moved on whenever a bush's labels go stale
    short: np.ndarray  # float64[N], in-bush shortest path cost
    short_link: np.ndarray  # int32[N], its last link
    stack: np.ndarray  # int32[L + 1]
    entry_cost: np.ndarray  # float64[N + L], heap of the orphans' shortest paths
    entry_node: np.ndarray  # int32[N + L]


@njit(cache=True, nogil=True)
def new_bush_scratch(n_nodes: int, n_links: int, n_zones: int) -> BushScratch:
    return BushScratch(
        np.empty(n_nodes, dtype=np.float64), np.empty(n_links, dtype=np.int32),
        np.empty(n_zones, dtype=np.int32), np.full(n_nodes, -1, dtype=np.int32),
        np.empty(n_nodes, dtype=np.int32),
        np.zeros(n_nodes, dtype=np.float64), np.zeros(n_nodes, dtype=np.bool_),
        np.empty(n_nodes, dtype=np.int32), np.zeros(n_nodes, dtype=np.bool_),
        np.empty(n_nodes, dtype=np.bool_), np.zeros(n_nodes, dtype=np.bool_),
        np.empty(n_nodes, dtype=np.int64), np.zeros(n_nodes, dtype=np.bool_),
        np.empty(n_nodes, dtype=np.int32), np.full(n_nodes, -1, dtype=np.int64),
        np.zeros(1, dtype=np.int64), np.empty(n_nodes, dtype=np.float64),
        np.empty(n_nodes, dtype=np.int32), np.empty(n_links + 1, dtype=np.int32),
        np.empty(n_nodes + n_links, dtype=np.float64), np.empty(n_nodes + n_links, dtype=np.int32),
    )


@njit(cache=True, nogil=True)
def _push(heap: np.ndarray, size: int, key: int) -> int:
    # Binary min-heap of ints in heap[:size]; returns the new size.
    i = size
    while i > 0:
        parent = (i - 1) >> 1
        if heap[parent] <= key:
            break
        heap[i] = heap[parent]
        i = parent
    heap[i] = key
    return size + 1


@njit(cache=True, nogil=True)
def _pop(heap: np.ndarray, size: int) -> int:
    # The least key of heap[:size], taken out: heap[:size - 1] is the heap after.
    top = heap[0]
    size -= 1
    last = heap[size]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and heap[child + 1] < heap[child]:
            child += 1
        if heap[child] >= last:
            break
        heap[i] = heap[child]
        i = child
    heap[i] = last
    return int(top)


@njit(cache=True, nogil=True)
def _touch(v: int, b: BushScratch, n_touched: int) -> int:
    if b.is_touched[v]:
        return n_touched
    b.is_touched[v] = True
    b.touched[n_touched] = v
    return n_touched + 1


@njit(cache=True, nogil=True)
def _forget(b: BushScratch, n_touched: int) -> None:
    for j in range(n_touched):
        b.is_touched[b.touched[j]] = False
        b.fed_known[b.touched[j]] = False


@njit(cache=True, nogil=True)
def bush_state(
    x_row: np.ndarray, o: int, demand_row: np.ndarray, net: Network, bushes: Bushes, b: BushScratch
) -> tuple[int, int, int, float]:
    """How origin o's flow x_row float64[L] stands in the bush that came with it.

    Returns (state, n_closed, n_unmet, tolerance): INTACT_IN_BUSH; BROKEN_IN_BUSH, all
    the flow valid and in the bush but b.closed[:n_closed] the bush's unusable links
    or b.unmet[:n_unmet] destinations whose arrivals disagree with today's demand
    (b.need holds it); or BROKEN (no bush, flow outside it or not finite and >= 0).
    Flows that came with their bushes are this solver's, which keeps every node
    balanced: only the destinations' arrivals are checked.
    """
    n = bushes.n_order[o]
    if n == 0:
        return BROKEN, 0, 0, 0.0
    origin = net.zone_node[o]
    link_from, usable = net.link_from, net.usable
    links_in = bushes.in_link[o]
    n_closed = 0
    in_bush = 0
    for p in range(bushes.in_start[o, n]):
        link = links_in[p]
        if not usable[link]:
            b.closed[n_closed] = link
            n_closed += 1
        in_bush += x_row[link] > 0.0
    # Bush links are distinct, so the flow is all in the bush when it uses as many.
    # Counted without branches: which links carry flow is not predictable.
    used = 0
    valid = True
    first_thru_node = net.first_thru_node
    for link in range(x_row.shape[0]):
        value = x_row[link]
        tail = link_from[link]
        used += value != 0.0
        valid &= (value >= 0.0) & (value < np.inf) & ((value == 0.0) | (tail >= first_thru_node) | (tail == origin))
    if not valid or used != in_bush:
        return BROKEN, 0, 0, 0.0
    total = needs(o, demand_row, net.zone_node, b.need[:0], b.need)
    tolerance = 1e-9 * max(total, 1.0)
    n_unmet = 0
    for d in range(demand_row.shape[0]):
        v = net.zone_node[d]
        if v == origin:
            continue
        arrived = 0.0
        for q in range(net.first_in[v], net.first_in[v + 1]):
            arrived += x_row[net.in_links[q]]
        if v >= first_thru_node:  # no flow leaves another zone's centroid (checked above)
            for q in range(net.first_out[v], net.first_out[v + 1]):
                arrived -= x_row[net.out_links[q]]
        if abs(arrived - b.need[v]) > tolerance:
            b.unmet[n_unmet] = v
            n_unmet += 1
    if n_closed == 0 and n_unmet == 0:
        return INTACT_IN_BUSH, 0, 0, tolerance
    return BROKEN_IN_BUSH, n_closed, n_unmet, tolerance


@njit(cache=True, nogil=True)
def _cut_through(
    x_row: np.ndarray,
    closed: int,
    origin: int,
    order_row: np.ndarray,
    start: np.ndarray,
    links_in: np.ndarray,
    net: Network,
    b: BushScratch,
    n_touched: int,
) -> int:
    # flow_repairs.cut_paths_through inside a bush, visiting only the nodes the flow
    # through `closed` passes: downstream in the bush's order, then upstream against
    # it, each from a heap of positions. Returns the count of touched nodes.
    first_out, out_links, link_from, link_to = net.first_out, net.out_links, net.link_from, net.link_to
    carry, queued, heap, position = b.carry, b.queued, b.heap, b.position
    amount = x_row[closed]
    x_row[closed] = 0.0
    head = link_to[closed]
    carry[head] = amount
    queued[head] = True
    size = _push(heap, 0, position[head])
    while size > 0:
        i = _pop(heap, size)
        size -= 1
        v = order_row[i]
        queued[v] = False
        n_touched = _touch(v, b, n_touched)
        g = carry[v]
        carry[v] = 0.0
        inflow = g
        for p in range(start[i], start[i + 1]):
            inflow += x_row[links_in[p]]
        share = min(g / inflow, 1.0)
        for q in range(first_out[v], first_out[v + 1]):
            link = out_links[q]
            cut = x_row[link] * share
            if cut > 0.0:
                x_row[link] = x_row[link] - cut if share < 1.0 else 0.0
                w = link_to[link]
                carry[w] += cut
                if not queued[w]:
                    queued[w] = True
                    size = _push(heap, size, position[w])
    tail = link_from[closed]
    carry[tail] = amount
    queued[tail] = True
    size = _push(heap, 0, -position[tail])
    while size > 0:
        i = -_pop(heap, size)
        size -= 1
        v = order_row[i]
        queued[v] = False
        n_touched = _touch(v, b, n_touched)
        h = carry[v]
        carry[v] = 0.0
        if v == origin:
            continue
        inflow = 0.0
        for p in range(start[i], start[i + 1]):
            inflow += x_row[links_in[p]]
        share = min(h / inflow, 1.0) if inflow > 0.0 else 0.0
        for p in range(start[i], start[i + 1]):
            link = links_in[p]
            cut = x_row[link] * share
            if cut > 0.0:
                x_row[link] = x_row[link] - cut if share < 1.0 else 0.0
                u = link_from[link]
                carry[u] += cut
                if not queued[u]:
                    queued[u] = True
                    size = _push(heap, size, -position[u])
    return n_touched


@njit(cache=True, nogil=True)
def _find_orphans(
    o: int,
    n_closed: int,
    order_row: np.ndarray,
    start: np.ndarray,
    links_in: np.ndarray,
    net: Network,
    b: BushScratch,
) -> tuple[int, int]:
    # The bush nodes that only the closed links fed, directly or through one another
    # (b.orphan, listed in b.orphans), found from the closed links' heads in bush order.
    # Returns (how many, the least position of an orphan or of a closed link's head).
    link_from, link_to, usable = net.link_from, net.link_to, net.usable
    position, queued, heap = b.position, b.queued, b.heap
    first = order_row.shape[0]
    size = 0
    for c in range(n_closed):
        v = link_to[b.closed[c]]
        first = min(first, position[v])
        if not queued[v]:
            queued[v] = True
            size = _push(heap, size, position[v])
    n_orphans = 0
    while size > 0:
        i = _pop(heap, size)
        size -= 1
        u = order_row[i]
        queued[u] = False
        fed = False
        for p in range(start[i], start[i + 1]):
            link = links_in[p]
            if usable[link] and not b.orphan[link_from[link]]:
                fed = True
                break
        if fed:
            continue
        b.orphan[u] = True
        b.orphans[n_orphans] = u
        n_orphans += 1
        if u < net.first_thru_node:  # another zone's centroid passes nothing on
            continue
        for q in range(net.first_out[u], net.first_out[u + 1]):
            w = link_to[net.out_links[q]]
            if b.in_bush[w] == o and position[w] > i and not queued[w]:
                queued[w] = True
                size = _push(heap, size, position[w])
    return n_orphans, first


@njit(cache=True, nogil=True)
def _less(cost_a: float, node_a: int, cost_b: float, node_b: int) -> bool:
    return cost_a < cost_b or (cost_a == cost_b and node_a < node_b)


@njit(cache=True, nogil=True)
def _push_entry(b: BushScratch, size: int, cost: float, node: int) -> int:
    # Binary heap of (cost, node) in b.entry_cost, b.entry_node; returns the new size.
    i = size
    while i > 0:
        parent = (i - 1) >> 1
        if not _less(cost, node, b.entry_cost[parent], b.entry_node[parent]):
            break
        b.entry_cost[i] = b.entry_cost[parent]
        b.entry_node[i] = b.entry_node[parent]
        i = parent
    b.entry_cost[i] = cost
    b.entry_node[i] = node
    return size + 1


@njit(cache=True, nogil=True)
def _pop_entry(b: BushScratch, size: int) -> tuple[float, int]:
    # The least (cost, node), taken out: the heap then holds size - 1.
    top_cost, top_node = b.entry_cost[0], b.entry_node[0]
    size -= 1
    cost, node = b.entry_cost[size], b.entry_node[size]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and _less(b.entry_cost[child + 1], b.entry_node[child + 1],
                                      b.entry_cost[child], b.entry_node[child]):
            child += 1
        if not _less(b.entry_cost[child], b.entry_node[child], cost, node):
            break
        b.entry_cost[i] = b.entry_cost[child]
        b.entry_node[i] = b.entry_node[child]
        i = child
    b.entry_cost[i] = cost
    b.entry_node[i] = node
    return top_cost, top_node


@njit(cache=True, nogil=True)
def _drop_closed_links(
    x_row: np.ndarray,
    o: int,
    n_closed: int,
    order_row: np.ndarray,
    n: int,
    start: np.ndarray,
    links_in: np.ndarray,
    cost: np.ndarray,
    net: Network,
    b: BushScratch,
    n_touched: int,
) -> tuple[bool, int]:
    # The bush without its unusable links. A closed link's head that it alone fed takes
    # the first usable link into it from a node before it, as flow_repairs' bushes do,
    # keeping its subtree as it is. Failing that, the nodes the closed links alone fed
    # (the orphans) are fed again by their shortest paths at `cost` from the rest of
    # the bush, one link into each, and move to the end of the order in the order
    # those paths reach them; the links out of them into the rest, which carry no
    # flow once the closed links' flow is cut, leave the bush. b.short then holds
    # the labels of the new bush for every node labelled. Returns (False if some
    # orphan cannot be fed, the count of touched nodes).
    b.epoch[0] += 1
    if n_closed == 0:
        return True, n_touched
    origin = order_row[0]
    link_from, link_to, usable = net.link_from, net.link_to, net.usable
    position = b.position
    for c in range(n_closed):
        n_touched = _touch(link_to[b.closed[c]], b, n_touched)
    # A head that a closed link alone fed takes, if it has one, the first usable link
    # into it from a node before it, which keeps the order: its subtree stays as it is.
    remaining = n_closed
    for c in range(n_closed):
        v = link_to[b.closed[c]]
        k = position[v]
        if start[k + 1] - start[k] != 1 or links_in[start[k]] != b.closed[c]:
            continue
        for q in range(net.first_in[v], net.first_in[v + 1]):
            candidate = net.in_links[q]
            tail = link_from[candidate]
            if (usable[candidate] and b.in_bush[tail] == o and position[tail] < k
                    and (tail >= net.first_thru_node or tail == origin)):
                links_in[start[k]] = candidate
                remaining -= 1
                break
    if remaining == 0:
        return True, n_touched
    n_orphans, first = _find_orphans(o, n_closed, order_row, start, links_in, net, b)
    # Compact the order and the in-links from `first` on, without the orphans, the
    # closed links and the links out of orphans; the orphans' slots stay empty.
    j = first
    kept = start[first]
    flow_lost = False
    for k in range(first, n):
        u = order_row[k]
        if b.orphan[u]:
            continue
        begin, end = start[k], start[k + 1]
        start[j] = kept
        for p in range(begin, end):
            link = links_in[p]
            if usable[link] and not b.orphan[link_from[link]]:
                links_in[kept] = link
                kept += 1
            else:
                flow_lost = flow_lost or x_row[link] > 0.0  # not expected: a guard
        order_row[j] = u
        position[u] = j
        j += 1
    for k in range(j, n + 1):
        start[k] = kept
    b.epoch[0] += 1
    epoch = b.epoch[0]
    # Shortest paths into the orphans (Dijkstra's algorithm over them), entering from
    # bush nodes that are not orphans, never through another zone's centroid.
    short, short_link = b.short, b.short_link
    for m in range(n_orphans):
        short[b.orphans[m]] = np.inf
    size = 0
    for m in range(n_orphans):
        u = b.orphans[m]
        for q in range(net.first_in[u], net.first_in[u + 1]):
            link = net.in_links[q]
            tail = link_from[link]
            if (not usable[link] or b.in_bush[tail] != o or b.orphan[tail]
                    or (tail < net.first_thru_node and tail != origin)):
                continue
            _bush_label(tail, origin, start, links_in, link_from, cost, b)
            if short[tail] + cost[link] < short[u]:
                short[u] = short[tail] + cost[link]
                short_link[u] = link
        if short[u] < np.inf:
            size = _push_entry(b, size, short[u], u)
    settled = 0
    while size > 0:
        d, u = _pop_entry(b, size)
        size -= 1
        if b.labelled[u] == epoch or d > short[u]:
            continue
        b.labelled[u] = epoch
        order_row[j + settled] = u
        position[u] = j + settled
        start[j + settled] = kept + settled
        links_in[kept + settled] = short_link[u]
        settled += 1
        n_touched = _touch(u, b, n_touched)
        if u < net.first_thru_node:
            continue
        for q in range(net.first_out[u], net.first_out[u + 1]):
            link = net.out_links[q]
            w = link_to[link]
            if b.orphan[w] and usable[link] and b.labelled[w] != epoch and d + cost[link] < short[w]:
                short[w] = d + cost[link]
                short_link[w] = link
                size = _push_entry(b, size, short[w], w)
    start[j + settled] = kept + settled
    for m in range(n_orphans):
        b.orphan[b.orphans[m]] = False
    return settled == n_orphans and not flow_lost, n_touched


@njit(cache=True, nogil=True)
def _bush_label(
    v: int,
    origin: int,
    start: np.ndarray,
    links_in: np.ndarray,
    link_from: np.ndarray,
    cost: np.ndarray,
    b: BushScratch,
) -> None:
    # bushes.bush_shortest_paths for v and the nodes before it only (b.short,
    # b.short_link), depth-first over the in-links; a label stands while b.epoch does.
    # The bush is acyclic, so each node waits on its tails once and the stack holds at
    # most the bush's links + 1.
    short, short_link, labelled, stack, position = b.short, b.short_link, b.labelled, b.stack, b.position
    epoch = b.epoch[0]
    if labelled[v] == epoch:
        return
    stack[0] = v
    top = 1
    while top > 0:
        u = stack[top - 1]
        if labelled[u] == epoch:
            top -= 1
            continue
        if u == origin:
            short[u] = 0.0
            labelled[u] = epoch
            top -= 1
            continue
        k = position[u]
        ready = True
        for p in range(start[k], start[k + 1]):
            tail = link_from[links_in[p]]
            if labelled[tail] != epoch:
                stack[top] = tail
                top += 1
                ready = False
        if ready:
            best = np.inf
            best_link = -1
            for p in range(start[k], start[k + 1]):
                link = links_in[p]
                value = short[link_from[link]] + cost[link]
                if value < best:
                    best = value
                    best_link = link
            short[u] = best
            short_link[u] = best_link
            labelled[u] = epoch
            top -= 1


@njit(cache=True, nogil=True)
def repair_in_bush(
    x_row: np.ndarray,
    o: int,
    n_closed: int,
    n_unmet: int,
    tolerance: float,
    cost: np.ndarray,
    net: Network,
    bushes: Bushes,
    b: BushScratch,
) -> int:
    """`flow_repairs.repair_origin`'s steps 2 to 4 inside origin o's bush, visiting only
    the nodes the repair reaches.

    After `bush_state` said BROKEN_IN_BUSH (its n_closed, n_unmet and tolerance): the
    flow through the bush's unusable links is cut, the bush loses them (the nodes
    they alone fed are fed again from the rest of the bush, `_drop_closed_links`),
    and the nodes left unbalanced are rescaled in reverse bush order, each passing the
    change on to the tails of its in-links; a node left with no inflow gets it along
    the bush's shortest path at `cost`. Last, flow out of nodes that no flow reaches
    any more (rounding dust) is cleared. Returns UNCHANGED, REPAIRED, or FAILED when
    the bush cannot hold the repair (a destination it lacks, a node it cannot feed);
    x_row and the bush are then spoilt and must be rebuilt.
    """
    n = bushes.n_order[o]
    order_row = bushes.order[o]
    start = bushes.in_start[o]
    links_in = bushes.in_link[o]
    first_out, out_links, link_from, link_to = net.first_out, net.out_links, net.link_from, net.link_to
    position, need = b.position, b.need
    queued, heap = b.queued, b.heap
    origin = order_row[0]
    for k in range(n):
        b.in_bush[order_row[k]] = o
        position[order_row[k]] = k
    for j in range(n_unmet):
        if need[b.unmet[j]] > 0.0 and b.in_bush[b.unmet[j]] != o:
            return FAILED
    status = UNCHANGED
    n_touched = 0
    for c in range(n_closed):
        if x_row[b.closed[c]] > 0.0:
            status = REPAIRED
            n_touched = _cut_through(x_row, b.closed[c], origin, order_row, start, links_in, net, b, n_touched)
    ok, n_touched = _drop_closed_links(x_row, o, n_closed, order_row, n, start, links_in, cost, net, b, n_touched)
    if not ok:
        _forget(b, n_touched)
        return FAILED
    for j in range(n_unmet):
        n_touched = _touch(b.unmet[j], b, n_touched)
    # Rescale, in reverse bush order.
    size = 0
    for j in range(n_touched):
        queued[b.touched[j]] = True
        size = _push(heap, size, -position[b.touched[j]])
    while size > 0:
        i = -_pop(heap, size)
        size -= 1
        v = order_row[i]
        queued[v] = False
        if v == origin:
            continue
        inflow = 0.0
        for p in range(start[i], start[i + 1]):
            inflow += x_row[links_in[p]]
        required = need[v]
        for q in range(first_out[v], first_out[v + 1]):
            required += x_row[out_links[q]]
        if abs(required - inflow) <= tolerance:
            continue
        status = REPAIRED
        if inflow > 0.0:
            ratio = required / inflow
            for p in range(start[i], start[i + 1]):
                link = links_in[p]
                if x_row[link] != 0.0:
                    x_row[link] *= ratio
                    u = link_from[link]
                    n_touched = _touch(u, b, n_touched)
                    if not queued[u]:
                        queued[u] = True
                        size = _push(heap, size, -position[u])
        else:
            # Nodes before v on the path balance out: each gains as much as it passes on.
            _bush_label(v, origin, start, links_in, link_from, cost, b)
            u = v
            while u != origin:
                x_row[b.short_link[u]] += required
                u = link_from[b.short_link[u]]
    # Dust, as in repair_origin: a node no flow reaches passes none on. Only touched
    # nodes can have lost their feeds; the others are fed, as the solver leaves them.
    for j in range(n_touched):
        queued[b.touched[j]] = True
        size = _push(heap, size, position[b.touched[j]])
    while size > 0:
        i = _pop(heap, size)
        size -= 1
        v = order_row[i]
        queued[v] = False
        is_fed = v == origin
        p = start[i]
        while not is_fed and p < start[i + 1]:
            link = links_in[p]
            is_fed = x_row[link] > 0.0 and (b.fed[link_from[link]] or not b.fed_known[link_from[link]])
            p += 1
        b.fed[v] = is_fed
        b.fed_known[v] = True
        if not is_fed:
            for q in range(first_out[v], first_out[v + 1]):
                link = out_links[q]
                if x_row[link] > 0.0:
                    x_row[link] = 0.0
                    status = REPAIRED
                    w = link_to[link]
                    n_touched = _touch(w, b, n_touched)
                    if not queued[w]:
                        queued[w] = True
                        size = _push(heap, size, position[w])
    _forget(b, n_touched)
    return status
