"""Zone-to-zone level of service by car, bike and on foot.

    first_out, out_links = forward_star(n_nodes, link_from, link_to)
    time_min, km, toll_eur = car_skim(first_out, out_links, link_from, link_to,
                                      link_time_min, link_length_m, link_toll_eur, car_usable, zone_node)
    walk = active_network(link_from, link_to, link_modes, Mode.WALK, both_ways=True)
    walk_min = active_skim(n_nodes, walk, link_length_m / (walk_kmh / 0.06), zone_node)

Cars take the quickest path on the congested link times and pay for its length and tolls.
Bikes and walkers use every link whose `modes` mask lets them; walkers may also go
against a one-way street. A bike's perceived minutes on a link grow where it shares the
road with car traffic and has no bike lane (`bike_perceived_min`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from agora.server.sim.paths import forward_star, shortest_path_tree_into, skim
from agora.server.world.types import Mode, RoadClass


@njit(cache=True, nogil=True)
def car_skim(
    first_out: np.ndarray,
    out_links: np.ndarray,
    link_from: np.ndarray,
    link_to: np.ndarray,
    time_min: np.ndarray,
    length_m: np.ndarray,
    toll_eur: np.ndarray,
    usable: np.ndarray,
    zone_node: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Quickest car paths between zones, and their length and tolls.

    first_out int64[N+1], out_links int32[L]: forward star; link_from, link_to int32[L];
    time_min float64[L] (congested or free-flow minutes); length_m float64[L];
    toll_eur float64[L] per passage; usable bool[L]; zone_node int32[Z].
    Returns time_min, km and toll_eur, each float64[Z, Z]: 0 on the diagonal and between
    zones on one node, inf where no path exists.
    """
    n_nodes = first_out.shape[0] - 1
    n_zones = zone_node.shape[0]
    t_out = np.empty((n_zones, n_zones))
    km_out = np.empty((n_zones, n_zones))
    toll_out = np.empty((n_zones, n_zones))
    dist = np.empty(n_nodes)
    pred = np.empty(n_nodes, dtype=np.int32)
    settled = np.empty(n_nodes, dtype=np.int32)
    km = np.empty(n_nodes)
    toll = np.empty(n_nodes)
    for o in range(n_zones):
        n = shortest_path_tree_into(first_out, out_links, link_to, time_min, usable, zone_node[o], 0,
                                    dist, pred, settled)
        km[:] = np.inf
        toll[:] = np.inf
        km[zone_node[o]] = 0.0
        toll[zone_node[o]] = 0.0
        # Settling order puts every node after its predecessor on the tree.
        for i in range(1, n):
            v = settled[i]
            link = pred[v]
            u = link_from[link]
            km[v] = km[u] + length_m[link] / 1000.0
            toll[v] = toll[u] + toll_eur[link]
        for d in range(n_zones):
            node = zone_node[d]
            t_out[o, d] = dist[node]
            km_out[o, d] = km[node]
            toll_out[o, d] = toll[node]
    return t_out, km_out, toll_out


def active_network(
    link_from: np.ndarray, link_to: np.ndarray, link_modes: np.ndarray, mode: Mode, *, both_ways: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The links a bike or walker may use, as (from int32[K], to int32[K], link int64[K]).

    `link` names the world link each entry stands for (so per-link costs can be gathered).
    With both_ways, a link without an opposite link is added reversed as well: walkers are
    not bound by one-way streets.
    """
    allowed = np.nonzero((link_modes & int(mode)) != 0)[0]
    src, dst = link_from[allowed], link_to[allowed]
    if both_ways and allowed.size:
        n = int(max(link_from.max(), link_to.max())) + 1
        key = src.astype(np.int64) * n + dst
        reverse = dst.astype(np.int64) * n + src
        lonely = ~np.isin(reverse, key)
        src = np.concatenate([src, dst[lonely]])
        dst = np.concatenate([dst, link_from[allowed][lonely]])
        allowed = np.concatenate([allowed, allowed[lonely]])
    return src.astype(np.int32), dst.astype(np.int32), allowed.astype(np.int64)


def active_skim(
    n_nodes: int, network: tuple[np.ndarray, np.ndarray, np.ndarray], link_cost: np.ndarray, zone_node: np.ndarray
) -> np.ndarray:
    """Least-cost paths between zones over an `active_network` (float64[Z, Z], inf if none).

    link_cost float64[L] per world link (e.g. minutes on foot, perceived minutes by bike).
    """
    src, dst, link = network
    first_out, out_links = forward_star(n_nodes, src, dst)
    out: np.ndarray = skim(first_out, out_links, dst, link_cost[link], np.ones(src.shape[0], dtype=np.bool_),
                           zone_node, 0)
    return out


def bike_perceived_min(
    length_m: np.ndarray,
    road_class: np.ndarray,
    bike_lane: np.ndarray,
    car_usable: np.ndarray,
    speed_kmh: float,
    traffic_factor_arterial: float,
    traffic_factor_collector: float,
) -> np.ndarray:
    """Perceived cycling minutes per link (float64[L]).

    Riding time at `speed_kmh`, multiplied by a traffic factor on arterials and collectors
    that carry cars and have no bike lane. Local streets, paths, streets closed to cars and
    links with a bike lane count at their riding time.
    """
    minutes = length_m / (speed_kmh * 1000.0 / 60.0)
    factor = np.ones_like(minutes)
    mixed = car_usable & ~bike_lane
    factor[mixed & (road_class == RoadClass.ARTERIAL)] = traffic_factor_arterial
    factor[mixed & (road_class == RoadClass.COLLECTOR)] = traffic_factor_collector
    out: np.ndarray = minutes * factor
    return out
