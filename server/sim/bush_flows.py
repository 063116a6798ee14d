"""Flow on bushes (Algorithm B): Newton shifts between the longest and shortest used paths.

Dial, R. B. (2006), "A path-based user-equilibrium traffic assignment algorithm that
obviates path storage and enumeration", Transportation Research Part B 40(10), 917-936.

Every kernel here works on one origin o's flow x[o] float64[Z, L] inside its bush
(layout in `bushes`) and keeps the total link flow, cost and slope float64[L] (flow,
cost, slope) matching every change it makes, so origins can run one after another, each
seeing the costs the previous ones left. Costs are generalised (BPR time plus a fixed
extra per link, time unit of the free-flow times); slope is d cost / d flow.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from agora.server.sim.bpr import link_slope, link_time



@njit(cache=True, nogil=True)
def _shift(
    link: int,
    amount: float,
    x_row: np.ndarray,
    flow: np.ndarray,
    cost: np.ndarray,
    slope: np.ndarray,
    free_time: np.ndarray,
    capacity: np.ndarray,
    alpha: np.ndarray,
    beta: np.ndarray,
    extra: np.ndarray,
) -> None:
    x_row[link] += amount
    total = flow[link] + amount
    # Rounding can leave the total a hair below the origin's own share.
    total = max(total, 0.0)
    flow[link] = total
    cost[link] = link_time(free_time[link], capacity[link], alpha[link], beta[link], total) + extra[link]
    slope[link] = link_slope(free_time[link], capacity[link], alpha[link], beta[link], total)


@njit(cache=True, nogil=True)
def clear_dust(
    o: int,
    x: np.ndarray,
    order: np.ndarray,
    n_order: np.ndarray,
    in_start: np.ndarray,
    in_link: np.ndarray,
    flow: np.ndarray,
    cost: np.ndarray,
    slope: np.ndarray,
    free_time: np.ndarray,
    capacity: np.ndarray,
    alpha: np.ndarray,
    beta: np.ndarray,
    extra: np.ndarray,
    link_from: np.ndarray,
    fed: np.ndarray,
) -> None:
    """Zero origin o's flow on links whose tail receives none of its flow.

    A flow shift that empties a link leaves the links downstream of it a few ulps of
    flow (the two subtractions round differently); no later shift can reach them, as
    no used path leads there. flow, cost, slope float64[L] are kept matching; fed
    bool[N] scratch.
    """
    n = n_order[o]
    order_row = order[o]
    start = in_start[o]
    links_in = in_link[o]
    x_row = x[o]
    fed[order_row[0]] = True
    for k in range(1, n):
        j = order_row[k]
        fed[j] = False
        for p in range(start[k], start[k + 1]):
            link = links_in[p]
            if x_row[link] > 0.0:
                if fed[link_from[link]]:
                    fed[j] = True
                else:
                    _shift(link, -x_row[link], x_row, flow, cost, slope, free_time, capacity, alpha, beta, extra)


@njit(cache=True, nogil=True)
def equilibrate_bush(
    o: int,
    x: np.ndarray,
    order: np.ndarray,
    n_order: np.ndarray,
    in_start: np.ndarray,
    in_link: np.ndarray,
    flow: np.ndarray,
    cost: np.ndarray,
    slope: np.ndarray,
    free_time: np.ndarray,
    capacity: np.ndarray,
    alpha: np.ndarray,
    beta: np.ndarray,
    extra: np.ndarray,
    link_from: np.ndarray,
    tolerance: float,
    short: np.ndarray,
    long: np.ndarray,
    short_link: np.ndarray,
    long_link: np.ndarray,
    position: np.ndarray,
) -> float:
    """One pass of Algorithm B's flow shifts over origin o's bush.

    In topological order, the shortest and the longest used path to every node are
    labelled (short, long float64[N]; short_link, long_link int32[N] their last links;
    position int32[N] each node's place in the order). Then, in reverse order, at each
    node whose longest used path is costlier than its shortest by more than
    tolerance * its cost, the two paths are traced back to where they diverge and a
    Newton step of flow moves from the longer segment to the shorter: (c_long -
    c_short) / (sum of slopes on both), capped by the least flow on the longer one.
    flow, cost, slope float64[L] (total link flow and its cost and slope) are kept up to
    date with every shift. Returns the flow shifted (veh/h, summed over shifts).
    """
    n = n_order[o]
    order_row = order[o]
    start = in_start[o]
    links_in = in_link[o]
    x_row = x[o]
    origin = order_row[0]
    short[origin] = 0.0
    long[origin] = 0.0
    position[origin] = 0
    for k in range(1, n):
        j = order_row[k]
        position[j] = k
        best = np.inf
        best_link = -1
        worst = -np.inf
        worst_link = -1
        for p in range(start[k], start[k + 1]):
            link = links_in[p]
            i = link_from[link]
            c = cost[link]
            value = short[i] + c
            if value < best:
                best = value
                best_link = link
            if x_row[link] > 0.0:
                value = long[i] + c
                if value > worst:
                    worst = value
                    worst_link = link
        short[j] = best
        short_link[j] = best_link
        long[j] = worst
        long_link[j] = worst_link

    moved = 0.0
    for k in range(n - 1, 0, -1):
        j = order_row[k]
        lp = long_link[j]
        sp = short_link[j]
        if lp < 0 or lp == sp or not long[j] - short[j] > tolerance * long[j]:
            continue
        # Trace both paths back to the node where they part (the last common node).
        a = link_from[lp]
        b = link_from[sp]
        cost_long = cost[lp]
        slope_sum = slope[lp] + slope[sp]
        cost_short = cost[sp]
        room = x_row[lp]
        while a != b:
            if position[a] > position[b]:
                link = long_link[a]
                cost_long += cost[link]
                slope_sum += slope[link]
                room = min(room, x_row[link])
                a = link_from[link]
            else:
                link = short_link[b]
                cost_short += cost[link]
                slope_sum += slope[link]
                b = link_from[link]
        excess = cost_long - cost_short
        if not excess > 0.0 or not room > 0.0:
            continue
        amount = excess / slope_sum if slope_sum > 0.0 else room
        amount = min(amount, room)
        diverge = a
        v = j
        while v != diverge:
            link = long_link[v]
            # Taking the whole room leaves exactly zero on the link that set it.
            _shift(link, -min(amount, x_row[link]), x_row, flow, cost, slope, free_time, capacity, alpha, beta, extra)
            v = link_from[link]
        v = j
        while v != diverge:
            link = short_link[v]
            _shift(link, amount, x_row, flow, cost, slope, free_time, capacity, alpha, beta, extra)
            v = link_from[link]
        moved += amount
    return moved
