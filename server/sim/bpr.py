"""BPR link performance functions: time, slope, the Beckmann objective, total travel time.

    time = bpr_time(free_time, capacity, flow, alpha, beta)  # float64[L]

Bureau of Public Roads (1964), Traffic Assignment Manual: t = t0 * (1 + alpha * (x/c)^beta).
Every array is float64[L], one entry per link: free_time t0 (any time unit, minutes in
the game), capacity c and flow x (veh/h), alpha and beta (dimensionless). Sums run in
link order, so two calls add the same numbers in the same order.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def power(base: float, exponent: float) -> float:
    """base ** exponent, by repeated squaring for small integer exponents.

    BPR exponents are nearly always small integers (4 in most tables), and pow() is the
    bulk of the time in line searches and flow shifts; squaring is several times faster.
    """
    if 0.0 <= exponent <= 16.0 and exponent == np.floor(exponent):
        n = int(exponent)
        result = 1.0
        factor = base
        while n > 0:
            if n & 1:
                result *= factor
            factor *= factor
            n >>= 1
        return result
    return float(base**exponent)


@njit(cache=True, nogil=True)
def link_time(free_time: float, capacity: float, alpha: float, beta: float, flow: float) -> float:
    """BPR time of one link at `flow` (time unit)."""
    return free_time * (1.0 + alpha * power(flow / capacity, beta))


@njit(cache=True, nogil=True)
def link_slope(free_time: float, capacity: float, alpha: float, beta: float, flow: float) -> float:
    """d time / d flow of one link at `flow` (time unit per veh/h).

    For beta < 1 the slope at zero flow is infinite; 0 is returned there, which callers
    only use to weight Newton steps and conjugate directions, where it stays finite.
    """
    if flow > 0.0:
        return free_time * alpha * beta / capacity * power(flow / capacity, beta - 1.0)
    if beta == 1.0:
        return free_time * alpha / capacity
    return 0.0


@njit(cache=True, nogil=True)
def bpr_time_into(
    free_time: np.ndarray,
    capacity: np.ndarray,
    flow: np.ndarray,
    alpha: np.ndarray,
    beta: np.ndarray,
    out: np.ndarray,
) -> None:
    """BPR link time t = t0 * (1 + alpha * (x / c) ** beta), written into out float64[L]."""
    for i in range(flow.shape[0]):
        out[i] = free_time[i] * (1.0 + alpha[i] * power(flow[i] / capacity[i], beta[i]))


@njit(cache=True, nogil=True)
def bpr_time(
    free_time: np.ndarray,
    capacity: np.ndarray,
    flow: np.ndarray,
    alpha: np.ndarray,
    beta: np.ndarray,
) -> np.ndarray:
    """BPR link times float64[L]; layout as in `bpr_time_into`."""
    out = np.empty(flow.shape[0], dtype=np.float64)
    bpr_time_into(free_time, capacity, flow, alpha, beta, out)
    return out


@njit(cache=True, nogil=True)
def bpr_slope_into(
    free_time: np.ndarray,
    capacity: np.ndarray,
    flow: np.ndarray,
    alpha: np.ndarray,
    beta: np.ndarray,
    out: np.ndarray,
) -> None:
    """dt/dx of the BPR time (time unit per veh/h), float64[L], written into out."""
    for i in range(flow.shape[0]):
        out[i] = link_slope(free_time[i], capacity[i], alpha[i], beta[i], flow[i])


@njit(cache=True, nogil=True)
def beckmann(
    free_time: np.ndarray,
    capacity: np.ndarray,
    flow: np.ndarray,
    alpha: np.ndarray,
    beta: np.ndarray,
) -> float:
    """Beckmann objective: sum over links of the integral of the BPR time from 0 to flow.

    Layout as in `bpr_time_into`; unit: time unit * veh/h. Summed in link order.
    """
    total = 0.0
    for i in range(flow.shape[0]):
        x = flow[i]
        ratio = power(x / capacity[i], beta[i])
        total += free_time[i] * x * (1.0 + alpha[i] / (beta[i] + 1.0) * ratio)
    return total


@njit(cache=True, nogil=True)
def total_travel_time(time: np.ndarray, flow: np.ndarray) -> float:
    """Sum of time * flow over links (float64[L] each), in link order."""
    total = 0.0
    for i in range(flow.shape[0]):
        total += time[i] * flow[i]
    return total
