"""Link-based equilibrium: Frank-Wolfe and bi-conjugate Frank-Wolfe with per-origin flows.

    unserved, resets = initial_flows(*network, warm, use_warm, origin_flow, aon_flow)
    gap, iterations, unserved = equilibrate(*network, target_gap, max_iter, origin_flow,
                                            aon_flow, resets == 0, 1, unserved, flow, conjugate)

Frank, M. and Wolfe, P. (1956), "An algorithm for quadratic programming", Naval Research
Logistics Quarterly 3, 95-110; Mitradjieva, M. and Lindberg, P. O. (2013), "The Stiff Is
Moving - Conjugate Direction Frank-Wolfe Methods with Applications to Traffic
Assignment", Transportation Science 47(2), 280-293.

Flows are kept per origin zone (float64[Z, L]) so that a warm start can be repaired
origin by origin: an origin whose previous flow is no longer feasible (it uses a link
that is now unusable, or its demand changed) restarts from its all-or-nothing flow, the
others keep theirs. Link flow is always the sum over origins in origin order and no
sum runs in parallel, so two runs add the same numbers in the same order.

`iterations` counts all-or-nothing rounds (one shortest-path tree per origin), the
start included. The gap reported is that of the flows returned, so a round is spent
measuring it: max_iter=k gives k-2 line-search steps from a cold start (or a warm start
that had to reset an origin) and k-1 from a warm start that did not.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from agora.server.sim.bpr import bpr_slope_into, bpr_time_into, power, total_travel_time
from agora.server.sim.paths import all_or_nothing


@njit(cache=True, nogil=True)
def _sum_rows(rows: np.ndarray, out: np.ndarray) -> None:
    out[:] = 0.0
    for o in range(rows.shape[0]):
        for i in range(rows.shape[1]):
            out[i] += rows[o, i]


@njit(cache=True, nogil=True)
def _node_balance(flow: np.ndarray, link_from: np.ndarray, link_to: np.ndarray, out: np.ndarray) -> None:
    out[:] = 0.0
    for i in range(flow.shape[0]):
        out[link_from[i]] += flow[i]
        out[link_to[i]] -= flow[i]


@njit(cache=True, nogil=True)
def _warm_flow_is_feasible(
    warm: np.ndarray,
    aon: np.ndarray,
    usable: np.ndarray,
    link_from: np.ndarray,
    link_to: np.ndarray,
    balance_warm: np.ndarray,
    balance_aon: np.ndarray,
) -> bool:
    # The all-or-nothing flow is feasible for today's demand and network, so the warm
    # flow is too when it avoids unusable links and leaves every node with the same
    # balance (trips sent minus trips received) as the all-or-nothing flow.
    scale = 0.0
    for i in range(warm.shape[0]):
        x = warm[i]
        if not x >= 0.0 or (x > 0.0 and not usable[i]):
            return False
    _node_balance(warm, link_from, link_to, balance_warm)
    _node_balance(aon, link_from, link_to, balance_aon)
    for v in range(balance_aon.shape[0]):
        if balance_aon[v] > 0.0:
            scale += balance_aon[v]
    # A share of the origin's trips far above the rounding of many iterations and far
    # below any real change of demand.
    tolerance = 1e-8 * max(scale, 1.0)
    for v in range(balance_aon.shape[0]):
        if abs(balance_warm[v] - balance_aon[v]) > tolerance:
            return False
    return True


@njit(cache=True, nogil=True)
def _direction_derivative(
    flow: np.ndarray,
    direction: np.ndarray,
    step: float,
    free_time: np.ndarray,
    capacity: np.ndarray,
    alpha: np.ndarray,
    beta: np.ndarray,
    extra: np.ndarray,
) -> tuple[float, float]:
    # d/dstep and d2/dstep2 of the (generalised) Beckmann objective at flow + step * direction.
    g = 0.0
    h = 0.0
    for i in range(flow.shape[0]):
        d = direction[i]
        if d == 0.0:
            continue
        x = flow[i] + step * d
        if x < 0.0:
            x = 0.0
        c = capacity[i]
        b = beta[i]
        ratio = power(x / c, b)
        g += (free_time[i] * (1.0 + alpha[i] * ratio) + extra[i]) * d
        if x > 0.0:
            h += free_time[i] * alpha[i] * b * ratio / x * d * d
    return g, h


@njit(cache=True, nogil=True)
def _line_search(
    flow: np.ndarray,
    direction: np.ndarray,
    free_time: np.ndarray,
    capacity: np.ndarray,
    alpha: np.ndarray,
    beta: np.ndarray,
    extra: np.ndarray,
) -> float:
    """Exact step in [0, 1] minimising the objective along flow + step * direction.

    The objective is convex along the segment, so its derivative g is non-decreasing:
    the step is 0 when g(0) >= 0 (not a descent direction), 1 when g(1) <= 0, else the
    root of g, found by Newton's method kept inside a bisection bracket.
    """
    g0, _ = _direction_derivative(flow, direction, 0.0, free_time, capacity, alpha, beta, extra)
    if g0 >= 0.0:
        return 0.0
    g1, _ = _direction_derivative(flow, direction, 1.0, free_time, capacity, alpha, beta, extra)
    if g1 <= 0.0:
        return 1.0
    lo = 0.0
    hi = 1.0
    step = g0 / (g0 - g1)
    for _ in range(100):
        g, h = _direction_derivative(flow, direction, step, free_time, capacity, alpha, beta, extra)
        if g == 0.0:
            return step
        if g < 0.0:
            lo = step
        else:
            hi = step
        if hi - lo <= 1e-15 * hi:
            break
        newton = step - g / h if h > 0.0 else -1.0
        if lo < newton < hi:
            if abs(newton - step) <= 1e-14 * step:
                return newton
            step = newton
        else:
            step = 0.5 * (lo + hi)
    return 0.5 * (lo + hi)


@njit(cache=True, nogil=True)
def _weighted_dot(weight: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    total = 0.0
    for i in range(weight.shape[0]):
        total += weight[i] * a[i] * b[i]
    return total


@njit(cache=True, nogil=True)
def _combine(
    out: np.ndarray,
    out_total: np.ndarray,
    w0: float,
    a: np.ndarray,
    w1: float,
    b: np.ndarray,
    w2: float,
    c: np.ndarray,
) -> None:
    # out = w0 * a + w1 * b + w2 * c per origin (out may alias c), then its origin sum.
    for o in range(out.shape[0]):
        for i in range(out.shape[1]):
            out[o, i] = w0 * a[o, i] + w1 * b[o, i] + w2 * c[o, i]
    _sum_rows(out, out_total)


@njit(cache=True, nogil=True)
def initial_flows(
    first_out: np.ndarray,
    out_links: np.ndarray,
    link_from: np.ndarray,
    link_to: np.ndarray,
    free_time: np.ndarray,
    capacity: np.ndarray,
    alpha: np.ndarray,
    beta: np.ndarray,
    extra: np.ndarray,
    usable: np.ndarray,
    zone_node: np.ndarray,
    demand: np.ndarray,
    first_thru_node: int,
    warm: np.ndarray,
    use_warm: bool,
    origin_flow: np.ndarray,
    aon_flow: np.ndarray,
) -> tuple[float, int]:
    """A feasible start: all-or-nothing at free flow, or the warm flow repaired per origin.

    An origin whose warm flow is infeasible (it uses a link that is now unusable, or
    it does not match the current demand) restarts from its all-or-nothing flow at the
    warm flows' times; the others keep their warm flow.

    warm, origin_flow, aon_flow: float64[Z, L]. Writes origin_flow. When warm flows are
    used, aon_flow holds the all-or-nothing flow at the warm flows' times, which is the
    next all-or-nothing flow as well when no origin had to be reset.
    Returns (unserved trips, number of origins reset to all-or-nothing; -1 if cold).
    """
    n_links = link_from.shape[0]
    cost = np.empty(n_links, dtype=np.float64)
    if not use_warm:
        for i in range(n_links):
            cost[i] = free_time[i] + extra[i]
        unserved = all_or_nothing(
            first_out, out_links, link_from, link_to, cost, usable, zone_node, demand,
            first_thru_node, origin_flow,
        )
        return unserved, -1
    total = np.empty(n_links, dtype=np.float64)
    _sum_rows(warm, total)
    bpr_time_into(free_time, capacity, total, alpha, beta, cost)
    for i in range(n_links):
        cost[i] += extra[i]
    unserved = all_or_nothing(
        first_out, out_links, link_from, link_to, cost, usable, zone_node, demand,
        first_thru_node, aon_flow,
    )
    n_nodes = first_out.shape[0] - 1
    balance_warm = np.empty(n_nodes, dtype=np.float64)
    balance_aon = np.empty(n_nodes, dtype=np.float64)
    resets = 0
    for o in range(zone_node.shape[0]):
        if _warm_flow_is_feasible(warm[o], aon_flow[o], usable, link_from, link_to, balance_warm, balance_aon):
            origin_flow[o, :] = warm[o]
        else:
            origin_flow[o, :] = aon_flow[o]
            resets += 1
    return unserved, resets


@njit(cache=True, nogil=True)
def equilibrate(
    first_out: np.ndarray,
    out_links: np.ndarray,
    link_from: np.ndarray,
    link_to: np.ndarray,
    free_time: np.ndarray,
    capacity: np.ndarray,
    alpha: np.ndarray,
    beta: np.ndarray,
    extra: np.ndarray,
    usable: np.ndarray,
    zone_node: np.ndarray,
    demand: np.ndarray,
    first_thru_node: int,
    target_gap: float,
    max_iter: int,
    origin_flow: np.ndarray,
    aon_flow: np.ndarray,
    have_aon: bool,
    iterations: int,
    unserved: float,
    flow: np.ndarray,
    conjugate: bool,
) -> tuple[float, int, float]:
    """Bi-conjugate (conjugate=True) or plain Frank-Wolfe from a feasible start.

    Runs until the gap target or max_iter.

    Mitradjieva, M. and Lindberg, P. O. (2013), "The Stiff Is Moving - Conjugate
    Direction Frank-Wolfe Methods with Applications to Traffic Assignment",
    Transportation Science 47(2), 280-293; the step sequence (one Frank-Wolfe step,
    one conjugate step, then bi-conjugate steps, restarting after a full step or a
    direction that does not descend) follows AequilibraE's implementation.

    origin_flow float64[Z, L]: a feasible start, updated in place; aon_flow float64[Z, L]
    scratch, holding on entry the all-or-nothing flow at the start's times if have_aon;
    iterations: all-or-nothing rounds already spent; flow float64[L] receives the
    link flow. Route choice uses the generalised cost time + extra (float64[L]).
    conjugate=False takes plain Frank-Wolfe steps (towards the all-or-nothing flow).
    Returns (relative gap of the returned flow or inf if never measured, iterations,
    unserved trips).
    """
    n_zones, n_links = origin_flow.shape
    cost = np.empty(n_links, dtype=np.float64)
    slope = np.empty(n_links, dtype=np.float64)
    aon_total = np.empty(n_links, dtype=np.float64)
    direction = np.empty(n_links, dtype=np.float64)
    # Two remembered search points s1 (last) and s2 (the one before), per origin and summed.
    s1 = np.zeros((n_zones, n_links), dtype=np.float64)
    s2 = np.zeros((n_zones, n_links), dtype=np.float64)
    s1_total = np.zeros(n_links, dtype=np.float64)
    s2_total = np.zeros(n_links, dtype=np.float64)
    tmp = np.empty(n_links, dtype=np.float64)
    older = np.empty(n_links, dtype=np.float64)
    n_remembered = 0
    last_step = 0.0
    gap = np.inf
    _sum_rows(origin_flow, flow)
    while True:
        bpr_time_into(free_time, capacity, flow, alpha, beta, cost)
        for i in range(n_links):
            cost[i] += extra[i]
        if have_aon:
            have_aon = False
        else:
            if iterations >= max_iter:
                break
            unserved = all_or_nothing(
                first_out, out_links, link_from, link_to, cost, usable, zone_node, demand,
                first_thru_node, aon_flow,
            )
            iterations += 1
        _sum_rows(aon_flow, aon_total)
        current = total_travel_time(cost, flow)
        shortest = total_travel_time(cost, aon_total)
        gap = abs(current - shortest) / current if current > 0.0 else 0.0
        if gap <= target_gap or iterations >= max_iter:
            break

        bpr_slope_into(free_time, capacity, flow, alpha, beta, slope)
        if n_remembered == 1:
            # Conjugate Frank-Wolfe: s = w * s1 + (1 - w) * y, with s - x conjugate to s1 - x.
            for i in range(n_links):
                direction[i] = s1_total[i] - flow[i]
                tmp[i] = aon_total[i] - flow[i]
            numerator = _weighted_dot(slope, direction, tmp)
            for i in range(n_links):
                tmp[i] = aon_total[i] - s1_total[i]
            denominator = _weighted_dot(slope, direction, tmp)
            w = numerator / denominator if denominator != 0.0 else 0.0
            # A weight of 1 would repeat the previous point and stall.
            w = min(max(w, 0.0), 0.99999)
            _combine(s2, s2_total, 1.0 - w, aon_flow, w, s1, 0.0, s2)
        elif n_remembered == 2:
            # Bi-conjugate: s = b0 * y + b1 * s1 + b2 * s2, with s - x conjugate to the two
            # previous directions, written as in the paper's closed form.
            tau = last_step
            for i in range(n_links):
                older[i] = tau * s1_total[i] + (1.0 - tau) * s2_total[i] - flow[i]
                tmp[i] = aon_total[i] - flow[i]
                direction[i] = s2_total[i] - s1_total[i]
            mu_den = _weighted_dot(slope, older, direction)
            mu = max(0.0, -_weighted_dot(slope, older, tmp) / mu_den) if mu_den != 0.0 else 0.0
            for i in range(n_links):
                direction[i] = s1_total[i] - flow[i]
            nu_den = _weighted_dot(slope, direction, direction)
            if nu_den != 0.0:
                nu = -_weighted_dot(slope, direction, tmp) / nu_den + mu * tau / (1.0 - tau)
                nu = max(0.0, nu)
            else:
                nu = 0.0
            b0 = 1.0 / (1.0 + mu + nu)
            _combine(s2, s2_total, b0, aon_flow, nu * b0, s1, mu * b0, s2)
        else:
            _combine(s2, s2_total, 1.0, aon_flow, 0.0, aon_flow, 0.0, s2)

        for i in range(n_links):
            direction[i] = s2_total[i] - flow[i]
        step = _line_search(flow, direction, free_time, capacity, alpha, beta, extra)
        if step == 0.0 and n_remembered > 0:
            # The conjugate point does not descend: take a plain Frank-Wolfe step instead.
            n_remembered = 0
            _combine(s2, s2_total, 1.0, aon_flow, 0.0, aon_flow, 0.0, s2)
            for i in range(n_links):
                direction[i] = s2_total[i] - flow[i]
            step = _line_search(flow, direction, free_time, capacity, alpha, beta, extra)

        for o in range(n_zones):
            for i in range(n_links):
                origin_flow[o, i] = (1.0 - step) * origin_flow[o, i] + step * s2[o, i]
        _sum_rows(origin_flow, flow)

        s1, s2 = s2, s1
        s1_total, s2_total = s2_total, s1_total
        last_step = step
        # After a full step the current point is s1 itself, and conjugacy to it is void.
        n_remembered = 0 if step >= 1.0 or not conjugate else min(n_remembered + 1, 2)
    return gap, iterations, unserved
