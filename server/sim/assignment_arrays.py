"""The arrays Algorithm B's kernels share: the network, the bushes, and sums over origins.

    net = Network(first_out, out_links, first_in, in_links, link_from, link_to, free_time,
                  capacity, alpha, beta, extra, usable, zone_node, first_thru_node)
    bushes = Bushes.empty(n_zones, n_nodes, n_links)

Parallel kernels cut origins into CHUNKS fixed chunks (`chunk`), each with its own
scratch; whatever they sum over origins they first store per origin and then add in
origin order, so the result does not depend on the number of threads.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit, prange

from agora.server.sim.bpr import link_slope, link_time

# Origins are cut into this many fixed chunks for the parallel kernels.
CHUNKS = 16


class Network(NamedTuple):
    """The arrays every kernel here reads; all per-link arrays have length L."""

    first_out: np.ndarray  # int64[N+1], forward star
    out_links: np.ndarray  # int32[L]
    first_in: np.ndarray  # int64[N+1], backward star
    in_links: np.ndarray  # int32[L]
    link_from: np.ndarray  # int32[L]
    link_to: np.ndarray  # int32[L]
    free_time: np.ndarray  # float64[L], time unit
    capacity: np.ndarray  # float64[L], veh/h
    alpha: np.ndarray  # float64[L]
    beta: np.ndarray  # float64[L]
    extra: np.ndarray  # float64[L], fixed generalised cost, time unit
    usable: np.ndarray  # bool[L]
    zone_node: np.ndarray  # int32[Z]
    first_thru_node: int


class Bushes(NamedTuple):
    """Per-origin bush state; layout in `bushes`."""

    order: np.ndarray  # int32[Z, N]
    n_order: np.ndarray  # int32[Z], 0 for an origin without trips
    in_start: np.ndarray  # int32[Z, N+1]
    in_link: np.ndarray  # int32[Z, L]

    @staticmethod
    def empty(n_zones: int, n_nodes: int, n_links: int) -> Bushes:
        return Bushes(
            np.zeros((n_zones, n_nodes), dtype=np.int32),
            np.zeros(n_zones, dtype=np.int32),
            np.zeros((n_zones, n_nodes + 1), dtype=np.int32),
            np.zeros((n_zones, max(n_links, 1)), dtype=np.int32),
        )


@njit(cache=True, nogil=True, parallel=True)
def copy_bushes(source: Bushes, target: Bushes) -> None:
    """target = source where it is read (each origin's order[:n], in_start[:n + 1],
    in_link[:in_start[n]]), zeros elsewhere: what `Bushes.empty` and a copy give, with
    less to read, since a bush holds about a third of the links."""
    order, n_order, in_start, in_link = target
    for o in prange(n_order.shape[0]):
        # Clamped so that bushes from elsewhere cannot index out of the arrays.
        n = min(max(source.n_order[o], 0), order.shape[1])
        n_order[o] = source.n_order[o]
        order[o, :n] = source.order[o, :n]
        order[o, n:] = 0
        in_start[o, :n + 1] = source.in_start[o, :n + 1]
        in_start[o, n + 1:] = 0
        used = min(max(source.in_start[o, n], 0), in_link.shape[1])
        in_link[o, :used] = source.in_link[o, :used]
        in_link[o, used:] = 0


@njit(cache=True, nogil=True)
def chunk(c: int, n_chunks: int, n: int) -> tuple[int, int]:
    """Bounds [lo, hi) of chunk c of n items cut into n_chunks nearly equal chunks."""
    return c * n // n_chunks, (c + 1) * n // n_chunks


@njit(cache=True, nogil=True, parallel=True)
def sum_origin_flows(x: np.ndarray, flow: np.ndarray) -> None:
    """flow[l] = sum over origins o, in origin order, of x[o, l]; x float64[Z, L]."""
    n_zones, n_links = x.shape
    n_blocks = (n_links + 255) // 256
    for block in prange(n_blocks):
        lo = block * 256
        hi = min(lo + 256, n_links)
        for link in range(lo, hi):
            flow[link] = 0.0
        for o in range(n_zones):
            for link in range(lo, hi):
                flow[link] += x[o, link]


@njit(cache=True, nogil=True, parallel=True)
def copy_origin_flows(source: np.ndarray, x: np.ndarray, flow: np.ndarray) -> None:
    """x = source and flow = its sum over origins, in one read of source float64[Z, L];
    flow has the bits `sum_origin_flows` gives."""
    n_zones, n_links = source.shape
    n_blocks = (n_links + 255) // 256
    for block in prange(n_blocks):
        lo = block * 256
        hi = min(lo + 256, n_links)
        for link in range(lo, hi):
            flow[link] = 0.0
        for o in range(n_zones):
            for link in range(lo, hi):
                value = source[o, link]
                x[o, link] = value
                flow[link] += value


@njit(cache=True, nogil=True)
def costs_into(
    flow: np.ndarray,
    free_time: np.ndarray,
    capacity: np.ndarray,
    alpha: np.ndarray,
    beta: np.ndarray,
    extra: np.ndarray,
    cost: np.ndarray,
    slope: np.ndarray,
) -> float:
    """Generalised cost and slope of every link at `flow`; returns sum cost * flow."""
    total = 0.0
    for link in range(flow.shape[0]):
        cost[link] = link_time(free_time[link], capacity[link], alpha[link], beta[link], flow[link]) + extra[link]
        slope[link] = link_slope(free_time[link], capacity[link], alpha[link], beta[link], flow[link])
        total += cost[link] * flow[link]
    return total


@njit(cache=True, nogil=True)
def shortest_cost(dist: np.ndarray, zone_node: np.ndarray, o: int, demand_row: np.ndarray) -> tuple[float, float]:
    """(sum of trips * shortest cost, unreachable trips) for origin zone o.

    dist float64[N] from the Dijkstra kernels; trips to o itself and to zones on o's node
    are not counted, as they are not loaded.
    """
    origin_node = zone_node[o]
    total = 0.0
    lost = 0.0
    for d in range(zone_node.shape[0]):
        trips = demand_row[d]
        node = zone_node[d]
        if d == o or trips == 0.0 or node == origin_node:
            continue
        if dist[node] == np.inf:
            lost += trips
        else:
            total += trips * dist[node]
    return total, lost
