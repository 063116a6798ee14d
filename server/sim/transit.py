"""Public transport: a frequency-based skim over the world's bus lines.

    net = TransitNetwork.build(n_nodes, walk, line_first, line_link, line_stop, link_from, link_to)
    cost = net.edge_cost(walk_link_min, bus_link_min(congested, free, bus_lane), line_link,
                         headway_min, walk_weight, wait_weight, transfer_penalty_min, dwell_min)
    generalised_min = transit_skim(net.first_out, net.out_edges, net.edge_to, cost, zone_node, n_nodes)

A trip walks to a stop, waits half the headway, rides, perhaps changes line (another wait
and a transfer penalty), and walks from the last stop (Ortuzar & Willumsen, Modelling
Transport, 4th ed. 2011, on frequency-based public transport assignment). Each
component is weighted into generalised minutes as it is perceived: walking and waiting
count more than riding.

The search runs on an expanded graph with three kinds of nodes:

- street nodes before boarding, [0, N): the origin and walks from it;
- street nodes after a ride, [N, 2N): walks to the destination or to the next line;
- line stops, [2N, 2N + 2S): two nodes per stop of each line, in driving order: one to
  leave the stop on the bus, one to arrive at it. A route's first node is its terminus and
  always a stop; after that the bus stops at the end node of every route link flagged in
  `lines.stop`.

Boarding edges go from a street node to a stop's departure (wait; from the after-a-ride
layer also the transfer penalty), riding edges from a departure to the next stop's arrival
(the bus's minutes on the links between, plus a dwell at the stop), staying edges from an
arrival to the same stop's departure, alighting edges from an arrival to the after-a-ride
layer. A destination is reached only in that layer, so every path rides at least once.
The bus's minutes on a link are the congested car minutes, except on links with a bus
lane, where the bus keeps its free-flow minutes (see `bus_link_min`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from agora.server.sim.paths import forward_star, shortest_path_tree_into

WALK_EDGE, BOARD_EDGE, TRANSFER_EDGE, RIDE_EDGE, ALIGHT_EDGE, STAY_EDGE = range(6)


@dataclass(frozen=True)
class TransitNetwork:
    """The expanded graph (its topology); costs are filled in per recompute by `edge_cost`."""

    n_street: int  # N
    edge_from: np.ndarray  # int32[E]
    edge_to: np.ndarray  # int32[E]
    kind: np.ndarray  # int8[E], one of the *_EDGE codes
    ref: np.ndarray  # int64[E]: walk edges, the world link; board/transfer, the line
    ride_first: np.ndarray  # int64[E]: ride edges, the first route position (into lines.link)
    ride_last: np.ndarray  # int64[E]: ride edges, one past the last route position
    first_out: np.ndarray  # int64[2N + 2S + 1]
    out_edges: np.ndarray  # int32[E]

    @classmethod
    def build(
        cls,
        n_nodes: int,
        walk: tuple[np.ndarray, np.ndarray, np.ndarray],
        line_first: np.ndarray,
        line_link: np.ndarray,
        line_stop: np.ndarray,
        link_from: np.ndarray,
        link_to: np.ndarray,
    ) -> TransitNetwork:
        """walk: (from, to, world link) of the walkable links, as from `skims.active_network`."""
        w_from, w_to, w_link = walk
        n_walk = 2 * w_from.shape[0]
        walk_src = np.concatenate([w_from, w_from + n_nodes]).astype(np.int64)
        walk_dst = np.concatenate([w_to, w_to + n_nodes]).astype(np.int64)
        e_src: list[int] = []
        e_dst: list[int] = []
        e_kind: list[int] = []
        e_ref: list[int] = []
        e_first: list[int] = []
        e_last: list[int] = []

        def edge(a: int, b: int, kind: int, ref: int, first: int = 0, last: int = 0) -> None:
            e_src.append(a)
            e_dst.append(b)
            e_kind.append(kind)
            e_ref.append(ref)
            e_first.append(first)
            e_last.append(last)

        stop_node = 2 * n_nodes
        for m in range(line_first.shape[0] - 1):
            a, b = int(line_first[m]), int(line_first[m + 1])
            if b <= a:
                continue
            # (street node, route position after which the bus is there) of each stop.
            stops = [(int(link_from[line_link[a]]), a)]
            stops += [(int(link_to[line_link[k]]), k + 1) for k in range(a, b) if line_stop[k]]
            # Each stop has a departure vertex (boarded, about to ride) and an arrival vertex
            # (just ridden in), so that nobody boards and alights without riding.
            for s, (street, position) in enumerate(stops):
                departure, arrival = stop_node + 2 * s, stop_node + 2 * s + 1
                if s + 1 < len(stops):
                    edge(street, departure, BOARD_EDGE, m)
                    edge(street + n_nodes, departure, TRANSFER_EDGE, m)
                    edge(departure, arrival + 2, RIDE_EDGE, m, position, stops[s + 1][1])
                if s > 0:
                    edge(arrival, street + n_nodes, ALIGHT_EDGE, m)
                    if s + 1 < len(stops):
                        edge(arrival, departure, STAY_EDGE, m)
            stop_node += 2 * len(stops)
        edge_from = np.concatenate([walk_src, np.array(e_src, np.int64)]).astype(np.int32)
        edge_to = np.concatenate([walk_dst, np.array(e_dst, np.int64)]).astype(np.int32)
        first_out, out_edges = forward_star(stop_node, edge_from, edge_to)
        return cls(
            n_street=n_nodes,
            edge_from=edge_from,
            edge_to=edge_to,
            kind=np.concatenate([np.full(n_walk, WALK_EDGE, np.int8), np.array(e_kind, np.int8)]),
            ref=np.concatenate([w_link, w_link, np.array(e_ref, np.int64)]).astype(np.int64),
            ride_first=np.concatenate([np.zeros(n_walk, np.int64), np.array(e_first, np.int64)]),
            ride_last=np.concatenate([np.zeros(n_walk, np.int64), np.array(e_last, np.int64)]),
            first_out=first_out,
            out_edges=out_edges,
        )

    def edge_cost(
        self,
        walk_link_min: np.ndarray,
        bus_min: np.ndarray,
        line_link: np.ndarray,
        headway_min: np.ndarray,
        walk_weight: float,
        wait_weight: float,
        transfer_penalty_min: float,
        dwell_min: float,
    ) -> np.ndarray:
        """Generalised minutes per edge (float64[E]).

        walk_link_min float64[L]: minutes on foot per world link; bus_min float64[L]: the
        bus's minutes per world link (`bus_link_min`); headway_min float64[M] per line.
        """
        out: np.ndarray = _edge_cost(self.kind, self.ref, self.ride_first, self.ride_last, walk_link_min,
                                     bus_min, line_link, headway_min, walk_weight, wait_weight,
                                     transfer_penalty_min, dwell_min)
        return out


@njit(cache=True, nogil=True)
def _edge_cost(
    kind: np.ndarray,
    ref: np.ndarray,
    ride_first: np.ndarray,
    ride_last: np.ndarray,
    walk_link_min: np.ndarray,
    bus_min: np.ndarray,
    line_link: np.ndarray,
    headway_min: np.ndarray,
    walk_weight: float,
    wait_weight: float,
    transfer_penalty_min: float,
    dwell_min: float,
) -> np.ndarray:
    cost = np.empty(kind.shape[0])
    for e in range(kind.shape[0]):
        k = kind[e]
        if k == WALK_EDGE:
            cost[e] = walk_weight * walk_link_min[ref[e]]
        elif k == BOARD_EDGE:
            cost[e] = wait_weight * 0.5 * headway_min[ref[e]]
        elif k == TRANSFER_EDGE:
            cost[e] = wait_weight * 0.5 * headway_min[ref[e]] + transfer_penalty_min
        elif k == RIDE_EDGE:
            ride = dwell_min
            for position in range(ride_first[e], ride_last[e]):
                ride += bus_min[line_link[position]]
            cost[e] = ride
        else:
            cost[e] = 0.0
    return cost


def bus_link_min(congested_min: np.ndarray, free_min: np.ndarray, bus_lane: np.ndarray) -> np.ndarray:
    """The bus's minutes per link (float64[L]): the car's congested minutes, or the
    free-flow minutes where a bus lane keeps the bus out of the queue."""
    out: np.ndarray = np.where(bus_lane, free_min, np.maximum(congested_min, free_min))
    return out


@njit(cache=True, nogil=True)
def transit_skim(
    first_out: np.ndarray,
    out_edges: np.ndarray,
    edge_to: np.ndarray,
    edge_cost: np.ndarray,
    zone_node: np.ndarray,
    n_street: int,
) -> np.ndarray:
    """Generalised minutes by public transport between zones (float64[Z, Z]).

    first_out int64[V+1], out_edges int32[E], edge_to int32[E], edge_cost float64[E] >= 0:
    the expanded graph of `TransitNetwork`; zone_node int32[Z] street nodes; n_street = N.
    inf on the diagonal, between zones on one node, and where no line helps.
    """
    n_vertices = first_out.shape[0] - 1
    n_zones = zone_node.shape[0]
    out = np.full((n_zones, n_zones), np.inf)
    dist = np.empty(n_vertices)
    pred = np.empty(n_vertices, dtype=np.int32)
    settled = np.empty(n_vertices, dtype=np.int32)
    usable = np.ones(edge_to.shape[0], dtype=np.bool_)
    for o in range(n_zones):
        shortest_path_tree_into(first_out, out_edges, edge_to, edge_cost, usable, zone_node[o], 0,
                                dist, pred, settled)
        for d in range(n_zones):
            if zone_node[d] != zone_node[o]:
                out[o, d] = dist[zone_node[d] + n_street]
    return out
