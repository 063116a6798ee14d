"""Shortest paths on the road graph: forward star, Dijkstra trees, all-or-nothing loading, skims.

The graph is a set of directed links given as parallel arrays (`link_from`, `link_to`,
int32[L], 0-based node indices). Kernels take a forward star (CSR of outgoing links,
built once by `forward_star`) and per-link costs, so the game can rebuild costs every
tick without rebuilding the graph.

Centroids follow the TNTP convention (0-based here): nodes with index < `first_thru_node`
are zone centroids; a path may start or end at one but never pass through one, except
the origin itself. `first_thru_node=0` makes every node a through node.

    first_out, out_links = forward_star(n_nodes, link_from, link_to)
    dist, pred_link, settled = shortest_path_tree(
        first_out, out_links, link_to, cost_min, usable, origin, first_thru_node)
"""

from __future__ import annotations

import numpy as np
from numba import njit


def forward_star(
    n_nodes: int, link_from: np.ndarray, link_to: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Outgoing links of each node as CSR: links of node v are out_links[first_out[v]:first_out[v+1]].

    link_from, link_to: int32[L] node indices in [0, n_nodes).
    Returns first_out int64[n_nodes+1] and out_links int32[L], the link ids sorted by
    from-node, then by link id (so the scan order, and with it tie-breaking, is fixed).
    """
    link_from = np.asarray(link_from)
    link_to = np.asarray(link_to)
    if link_from.shape != link_to.shape or link_from.ndim != 1:
        raise ValueError(
            f"link_from and link_to must be 1-d arrays of one length, "
            f"found shapes {link_from.shape} and {link_to.shape}"
        )
    if link_from.size and (
        link_from.min() < 0 or link_from.max() >= n_nodes
        or link_to.min() < 0 or link_to.max() >= n_nodes
    ):
        raise ValueError(f"link end nodes must lie in [0, {n_nodes})")
    out_links = np.argsort(link_from, kind="stable").astype(np.int32)
    first_out = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(link_from, minlength=n_nodes), out=first_out[1:])
    return first_out, out_links


def backward_star(
    n_nodes: int, link_from: np.ndarray, link_to: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Incoming links of each node as CSR: links into node v are in_links[first_in[v]:first_in[v+1]].

    The mirror of `forward_star`: first_in int64[n_nodes+1], in_links int32[L] sorted by
    to-node, then by link id.
    """
    return forward_star(n_nodes, link_to, link_from)


@njit(cache=True, nogil=True)
def _heap_less(a: int, b: int, dist: np.ndarray) -> bool:
    # Ties on distance go to the lower node index so that the tree never depends on
    # the heap's internal history.
    return dist[a] < dist[b] or (dist[a] == dist[b] and a < b)


@njit(cache=True, nogil=True)
def _sift_up(heap: np.ndarray, pos: np.ndarray, i: int, dist: np.ndarray) -> None:
    node = heap[i]
    while i > 0:
        parent = (i - 1) >> 1
        if not _heap_less(node, heap[parent], dist):
            break
        heap[i] = heap[parent]
        pos[heap[i]] = i
        i = parent
    heap[i] = node
    pos[node] = i


@njit(cache=True, nogil=True)
def _sift_down(heap: np.ndarray, pos: np.ndarray, size: int, dist: np.ndarray) -> None:
    i = 0
    node = heap[0]
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and _heap_less(heap[child + 1], heap[child], dist):
            child += 1
        if not _heap_less(heap[child], node, dist):
            break
        heap[i] = heap[child]
        pos[heap[i]] = i
        i = child
    heap[i] = node
    pos[node] = i


@njit(cache=True, nogil=True)
def shortest_path_tree_into(
    first_out: np.ndarray,
    out_links: np.ndarray,
    link_to: np.ndarray,
    cost: np.ndarray,
    usable: np.ndarray,
    origin: int,
    first_thru_node: int,
    dist: np.ndarray,
    pred_link: np.ndarray,
    settled: np.ndarray,
) -> int:
    """Dijkstra (binary heap with decrease-key) from one origin, writing into given arrays.

    first_out int64[N+1], out_links int32[L]: forward star.
    link_to int32[L]; cost float64[L] >= 0 (any additive unit, e.g. minutes);
    usable bool[L]: links with False are never used.
    Outputs: dist float64[N] (inf where unreachable), pred_link int32[N] (-1 for the
    origin and unreachable nodes), settled int32[N] whose first n entries are the
    reached nodes in the order they were settled (non-decreasing dist).
    Returns n, the number of reached nodes.
    """
    n_nodes = dist.shape[0]
    heap = np.empty(n_nodes, dtype=np.int32)
    pos = np.empty(n_nodes, dtype=np.int32)
    return dijkstra(
        first_out, out_links, link_to, cost, usable, origin, first_thru_node,
        dist, pred_link, settled, heap, pos,
    )


@njit(cache=True, nogil=True)
def dijkstra(
    first_out: np.ndarray,
    out_links: np.ndarray,
    link_to: np.ndarray,
    cost: np.ndarray,
    usable: np.ndarray,
    origin: int,
    first_thru_node: int,
    dist: np.ndarray,
    pred_link: np.ndarray,
    settled: np.ndarray,
    heap: np.ndarray,
    pos: np.ndarray,
) -> int:
    """`shortest_path_tree_into` with its scratch passed in: heap, pos int32[N].

    Loops over origins allocate the scratch once; the result does not depend on what
    the scratch held before.
    """
    dist[:] = np.inf
    pred_link[:] = -1
    # pos: -1 never queued, -2 settled, otherwise index in heap.
    pos[:] = -1
    dist[origin] = 0.0
    heap[0] = origin
    pos[origin] = 0
    size = 1
    n_settled = 0
    while size > 0:
        u = heap[0]
        size -= 1
        pos[u] = -2
        if size > 0:
            heap[0] = heap[size]
            pos[heap[0]] = 0
            _sift_down(heap, pos, size, dist)
        settled[n_settled] = u
        n_settled += 1
        if u < first_thru_node and u != origin:
            continue
        du = dist[u]
        for k in range(first_out[u], first_out[u + 1]):
            link = out_links[k]
            if not usable[link]:
                continue
            v = link_to[link]
            if pos[v] == -2:
                continue
            nd = du + cost[link]
            if nd < dist[v]:
                dist[v] = nd
                pred_link[v] = link
                if pos[v] == -1:
                    heap[size] = v
                    pos[v] = size
                    size += 1
                _sift_up(heap, pos, pos[v], dist)
    return n_settled


@njit(cache=True, nogil=True)
def shortest_path_tree(
    first_out: np.ndarray,
    out_links: np.ndarray,
    link_to: np.ndarray,
    cost: np.ndarray,
    usable: np.ndarray,
    origin: int,
    first_thru_node: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shortest-path tree from one origin; see `shortest_path_tree_into` for the layout.

    Returns dist float64[N], pred_link int32[N] and settled int32[n] (reached nodes in
    settling order).
    """
    n_nodes = first_out.shape[0] - 1
    dist = np.empty(n_nodes, dtype=np.float64)
    pred_link = np.empty(n_nodes, dtype=np.int32)
    settled = np.empty(n_nodes, dtype=np.int32)
    n = shortest_path_tree_into(
        first_out, out_links, link_to, cost, usable, origin, first_thru_node,
        dist, pred_link, settled,
    )
    return dist, pred_link, settled[:n].copy()


@njit(cache=True, nogil=True)
def load_origin(
    link_from: np.ndarray,
    dist: np.ndarray,
    pred_link: np.ndarray,
    settled: np.ndarray,
    n_settled: int,
    zone_node: np.ndarray,
    origin_zone: int,
    demand_row: np.ndarray,
    link_flow: np.ndarray,
) -> float:
    """All-or-nothing loading of one origin's demand on its shortest-path tree.

    link_from int32[L]; dist, pred_link, settled, n_settled: the tree from
    zone_node[origin_zone] (see `shortest_path_tree_into`); zone_node int32[Z];
    demand_row float64[Z] trips (per hour) to each destination zone.
    Adds the trips to link_flow float64[L] (it is not cleared). Trips to the origin's
    own node are not loaded (zero-length path). Returns the trips that could not be
    loaded because their destination is unreachable.
    """
    node_flow = np.empty(dist.shape[0], dtype=np.float64)
    return load_tree(
        link_from, dist, pred_link, settled, n_settled, zone_node, origin_zone, demand_row,
        link_flow, node_flow,
    )


@njit(cache=True, nogil=True)
def load_tree(
    link_from: np.ndarray,
    dist: np.ndarray,
    pred_link: np.ndarray,
    settled: np.ndarray,
    n_settled: int,
    zone_node: np.ndarray,
    origin_zone: int,
    demand_row: np.ndarray,
    link_flow: np.ndarray,
    node_flow: np.ndarray,
) -> float:
    """`load_origin` with its scratch passed in: node_flow float64[N].

    Only the settled nodes of node_flow are read, so only they are cleared.
    """
    origin_node = zone_node[origin_zone]
    for i in range(n_settled):
        node_flow[settled[i]] = 0.0
    unloaded = 0.0
    for d in range(zone_node.shape[0]):
        trips = demand_row[d]
        node = zone_node[d]
        if d == origin_zone or trips == 0.0 or node == origin_node:
            continue
        if dist[node] == np.inf:
            unloaded += trips
        else:
            node_flow[node] += trips
    # Settling order puts every node after its predecessor, so walking it backwards
    # pushes each node's accumulated flow up the tree exactly once.
    for i in range(n_settled - 1, 0, -1):
        v = settled[i]
        f = node_flow[v]
        if f != 0.0:
            link = pred_link[v]
            link_flow[link] += f
            node_flow[link_from[link]] += f
    return unloaded


@njit(cache=True, nogil=True)
def all_or_nothing(
    first_out: np.ndarray,
    out_links: np.ndarray,
    link_from: np.ndarray,
    link_to: np.ndarray,
    cost: np.ndarray,
    usable: np.ndarray,
    zone_node: np.ndarray,
    demand: np.ndarray,
    first_thru_node: int,
    origin_flow: np.ndarray,
) -> float:
    """All-or-nothing assignment of every origin at fixed link costs.

    cost float64[L], usable bool[L], zone_node int32[Z], demand float64[Z, Z] trips per
    hour (diagonal ignored). Overwrites origin_flow float64[Z, L] with each origin's
    link flows. Returns the trips whose destination is unreachable (not loaded).
    """
    n_nodes = first_out.shape[0] - 1
    dist = np.empty(n_nodes, dtype=np.float64)
    pred_link = np.empty(n_nodes, dtype=np.int32)
    settled = np.empty(n_nodes, dtype=np.int32)
    heap = np.empty(n_nodes, dtype=np.int32)
    pos = np.empty(n_nodes, dtype=np.int32)
    node_flow = np.empty(n_nodes, dtype=np.float64)
    unloaded = 0.0
    for o in range(zone_node.shape[0]):
        row = origin_flow[o]
        row[:] = 0.0
        if not has_demand(demand[o], o):
            continue
        n = dijkstra(
            first_out, out_links, link_to, cost, usable, zone_node[o], first_thru_node,
            dist, pred_link, settled, heap, pos,
        )
        unloaded += load_tree(link_from, dist, pred_link, settled, n, zone_node, o, demand[o], row, node_flow)
    return unloaded


@njit(cache=True, nogil=True)
def has_demand(demand_row: np.ndarray, origin_zone: int) -> bool:
    """Whether an origin zone sends trips to any other zone (demand_row float64[Z])."""
    for d in range(demand_row.shape[0]):
        if d != origin_zone and demand_row[d] != 0.0:
            return True
    return False


@njit(cache=True, nogil=True)
def skim(
    first_out: np.ndarray,
    out_links: np.ndarray,
    link_to: np.ndarray,
    cost: np.ndarray,
    usable: np.ndarray,
    zone_node: np.ndarray,
    first_thru_node: int,
) -> np.ndarray:
    """Zone-to-zone shortest path costs.

    cost float64[L] (e.g. free-flow minutes), usable bool[L], zone_node int32[Z].
    Returns float64[Z, Z] in the unit of cost: 0 on the diagonal and between zones on
    one node, inf where no path exists.
    """
    n_nodes = first_out.shape[0] - 1
    n_zones = zone_node.shape[0]
    out = np.empty((n_zones, n_zones), dtype=np.float64)
    dist = np.empty(n_nodes, dtype=np.float64)
    pred_link = np.empty(n_nodes, dtype=np.int32)
    settled = np.empty(n_nodes, dtype=np.int32)
    heap = np.empty(n_nodes, dtype=np.int32)
    pos = np.empty(n_nodes, dtype=np.int32)
    for o in range(n_zones):
        dijkstra(
            first_out, out_links, link_to, cost, usable, zone_node[o], first_thru_node,
            dist, pred_link, settled, heap, pos,
        )
        for d in range(n_zones):
            out[o, d] = dist[zone_node[d]]
    return out
