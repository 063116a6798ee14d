"""Static user-equilibrium car assignment with BPR link times.

    result = assign(n_nodes, link_from, link_to, free_time, capacity, alpha, beta, usable,
                    zone_node, demand, target_gap=1e-4)
    # a street closes: warm-start from the last equilibrium
    usable[closed] = False
    result = assign(..., usable, ..., warm=result.origin_flow_veh_h, star=star)

Three methods, one interface. "algorithm_b" (the default) is Dial's bush-based Algorithm
B (`algorithm_b`, `bushes`, `bush_warm`): it reaches relative gaps of 1e-8 and below,
and after a small change it repairs only the origins the change touches. "bfw" is
bi-conjugate Frank-Wolfe and "fw" plain Frank-Wolfe (`frank_wolfe`), kept for comparison.

Flows are kept per origin zone (float64[Z, L]), which is all a warm start needs: the
previous `origin_flow_veh_h` comes back as `warm` (zero-padded by the caller to new
links). Flow on links that became unusable is rerouted, origins whose demand changed
are rescaled along their own paths (Algorithm B) or restarted (Frank-Wolfe), and the
rest keep their flows.

`iterations` counts rounds of shortest paths from every origin, the start included;
the relative gap reported, (c.x - c.y) / c.x with c the link costs at flow x and y the
all-or-nothing flow at c (as AequilibraE reports it), is that of the flows returned.

Time units are those of `free_time` (minutes in the game; TNTP files use their own).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from agora.server.sim import algorithm_b
from agora.server.sim.assignment_arrays import Bushes, Network
from agora.server.sim.bpr import beckmann, bpr_slope_into, bpr_time, bpr_time_into, total_travel_time
from agora.server.sim.frank_wolfe import equilibrate, initial_flows
from agora.server.sim.paths import backward_star, forward_star

__all__ = [
    "METHODS", "Assignment", "assign", "beckmann", "bpr_slope_into", "bpr_time", "bpr_time_into",
    "total_travel_time",
]

METHODS = ("algorithm_b", "bfw", "fw")


class Assignment(NamedTuple):
    origin_flow_veh_h: np.ndarray  # float64[Z, L]
    flow_veh_h: np.ndarray  # float64[L]
    time_min: np.ndarray  # float64[L], BPR time at flow (same time unit as free_time)
    relative_gap: float  # of the returned flows; inf if never measured (max_iter=1)
    iterations: int  # rounds of shortest paths from every origin, start included
    unserved_trips: float  # demand with no path (not assigned)
    # Algorithm B's bushes (int32 arrays, layout in `bushes`): pass them back as
    # warm_bushes with origin_flow_veh_h to skip rebuilding them; None for Frank-Wolfe.
    bushes: Bushes | None = None


def _array(value: object, dtype: type) -> np.ndarray:
    # C-contiguous and writable: numba compiles kernels once per array layout and
    # read-only flag, and compiling Algorithm B's kernels takes seconds.
    array: np.ndarray = np.ascontiguousarray(value, dtype=dtype)
    return array if array.flags.writeable else array.copy()


def _links(name: str, value: np.ndarray | float, n_links: int, dtype: type) -> np.ndarray:
    array = _array(np.broadcast_to(np.asarray(value, dtype=dtype), (n_links,)), dtype)
    if array.dtype == np.float64 and not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite on every link")
    return array


def assign(
    n_nodes: int,
    link_from: np.ndarray,
    link_to: np.ndarray,
    free_time: np.ndarray,
    capacity: np.ndarray,
    alpha: np.ndarray | float,
    beta: np.ndarray | float,
    usable: np.ndarray | None,
    zone_node: np.ndarray,
    demand: np.ndarray,
    *,
    first_thru_node: int = 0,
    target_gap: float = 1e-4,
    max_iter: int = 100,
    warm: np.ndarray | None = None,
    generalised_extra: np.ndarray | None = None,
    star: tuple[np.ndarray, np.ndarray] | None = None,
    method: str = "algorithm_b",
    warm_bushes: Bushes | None = None,
) -> Assignment:
    """Static user equilibrium of `demand` on the network, with BPR link times.

    Links (length L): link_from, link_to node indices; free_time (time unit, >= 0);
    capacity (veh/h, > 0); alpha, beta (BPR, arrays or scalars); usable (bool, None for
    all). Zones (Z): zone_node, the node each zone loads at; demand float64[Z, Z]
    trips per hour, diagonal ignored. Nodes below first_thru_node are centroids that
    paths may not pass through. The relative gap is (c.x - c.y) / c.x with c the link
    costs at flow x and y the all-or-nothing flow at c (as in AequilibraE), measured for
    the flows returned. warm: a previous origin_flow_veh_h (float64[Z, L]) to start
    from. generalised_extra: a fixed cost per link (time unit, >= 0) added to the BPR
    time for route choice and the gap, not to time_min. star: the network's
    `forward_star`, to skip rebuilding it. method: one of METHODS. warm_bushes: the
    `bushes` of the Assignment that gave warm (Algorithm B only; ignored if the
    network's size changed), so that the bushes of the origins a change does not touch
    are reused instead of rebuilt from their flows.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, found {method!r}")
    link_from = _array(link_from, np.int32)
    link_to = _array(link_to, np.int32)
    n_links = link_from.shape[0]
    if star is None:
        first_out, out_links = forward_star(n_nodes, link_from, link_to)
    else:
        first_out = _array(star[0], np.int64)
        out_links = _array(star[1], np.int32)
        if first_out.shape != (n_nodes + 1,) or out_links.shape != (n_links,):
            raise ValueError(
                f"star must be (int64[{n_nodes + 1}], int32[{n_links}]), "
                f"found shapes {first_out.shape} and {out_links.shape}"
            )
    free = _links("free_time", free_time, n_links, np.float64)
    cap = _links("capacity", capacity, n_links, np.float64)
    alpha_ = _links("alpha", alpha, n_links, np.float64)
    beta_ = _links("beta", beta, n_links, np.float64)
    extra = _links("generalised_extra", 0.0 if generalised_extra is None else generalised_extra, n_links, np.float64)
    usable_ = _links("usable", True if usable is None else usable, n_links, np.bool_)
    if np.any(free < 0.0) or np.any(extra < 0.0):
        raise ValueError("free_time and generalised_extra must be >= 0 (Dijkstra needs costs >= 0)")
    if np.any(cap <= 0.0) or np.any(alpha_ < 0.0) or np.any(beta_ < 0.0):
        raise ValueError("capacity must be > 0, alpha and beta >= 0")

    zones = _array(zone_node, np.int32)
    n_zones = zones.shape[0]
    if zones.ndim != 1 or (n_zones and (zones.min() < 0 or zones.max() >= n_nodes)):
        raise ValueError(f"zone_node must be a 1-d array of node indices in [0, {n_nodes})")
    trips = _array(demand, np.float64)
    if trips.shape != (n_zones, n_zones):
        raise ValueError(f"demand must have shape ({n_zones}, {n_zones}), found {trips.shape}")
    if not np.all(np.isfinite(trips)) or np.any(trips < 0.0):
        raise ValueError("demand must be finite and >= 0")
    if not 0 <= first_thru_node <= n_nodes:
        raise ValueError(f"first_thru_node must lie in [0, {n_nodes}], found {first_thru_node}")
    if max_iter < 1 or not target_gap >= 0.0:
        raise ValueError("max_iter must be >= 1 and target_gap >= 0")

    warm_: np.ndarray | None = None
    if warm is not None:
        warm_ = _array(warm, np.float64)
        if warm_.shape != (n_zones, n_links):
            raise ValueError(f"warm must have shape ({n_zones}, {n_links}), found {warm_.shape}")
    origin_flow = np.empty((n_zones, n_links), dtype=np.float64)
    flow = np.empty(n_links, dtype=np.float64)
    if method == "algorithm_b":
        first_in, in_links = backward_star(n_nodes, link_from, link_to)
        net = Network(
            first_out, out_links, first_in, in_links, link_from, link_to, free, cap, alpha_, beta_,
            extra, usable_, zones, int(first_thru_node),
        )
        gap, iterations, unserved, bushes = algorithm_b.solve(
            net, trips, float(target_gap), int(max_iter), origin_flow, flow, warm_,
            None if warm_ is None else warm_bushes,
        )
    else:
        bushes = None
        aon_flow = np.zeros((n_zones, n_links), dtype=np.float64)
        args = (first_out, out_links, link_from, link_to, free, cap, alpha_, beta_, extra,
                usable_, zones, trips, int(first_thru_node))
        no_warm = np.empty((0, 0), dtype=np.float64)
        unserved, resets = initial_flows(*args, no_warm if warm_ is None else warm_, warm_ is not None,
                                         origin_flow, aon_flow)
        gap, iterations, unserved = equilibrate(
            *args, float(target_gap), int(max_iter), origin_flow, aon_flow, resets == 0, 1,
            unserved, flow, method == "bfw",
        )
    time = bpr_time(free, cap, flow, alpha_, beta_)
    return Assignment(
        origin_flow_veh_h=origin_flow,
        flow_veh_h=flow,
        time_min=time,
        relative_gap=float(gap) if math.isfinite(gap) else math.inf,
        iterations=int(iterations),
        unserved_trips=float(unserved),
        bushes=bushes,
    )
