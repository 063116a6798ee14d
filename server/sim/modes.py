"""Mode choice: a multinomial logit between car, public transport, bike and walking.

    costs = ModeCosts(car_min, car_km, car_toll_eur, pt_generalised_min, bike_min, walk_min)
    utility = mode_utilities(costs, coefficients)      # float64[4, Z, Z], -inf where unavailable
    probability, logsum = logit(utility)               # float64[4, Z, Z] and float64[Z, Z]

P_m = exp(V_m) / sum_k exp(V_k), logsum = ln sum_k exp(V_k) (McFadden 1974; Ortuzar &
Willumsen, Modelling Transport, 4th ed. 2011, ch. 7). Utilities are linear in time and
money:

    V_car  = asc_car  + b_time (car minutes + terminal minutes)
                      + b_cost (fuel per km x km + tolls + parking)
    V_pt   = asc_pt   + b_time (generalised minutes: weighted walk and wait, transfers, ride)
                      + b_cost fare
    V_bike = asc_bike + b_time (perceived minutes: slower where cycling in traffic)
    V_walk = asc_walk + b_time walk_weight (minutes on foot)

with b_cost = b_time x 60 / value of time. Parameter values and sources are in
rules/models.toml.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from numba import njit

MODES = ("car", "pt", "bike", "walk")
CAR, PT, BIKE, WALK = range(4)


@dataclass(frozen=True)
class ModeCosts:
    """Level of service between zones, each float64[Z, Z] (inf: no path by that mode)."""

    car_min: np.ndarray  # in-vehicle minutes on the network (0 within a zone)
    car_km: np.ndarray
    car_toll_eur: np.ndarray
    pt_generalised_min: np.ndarray  # walk, wait, transfers and ride, weighted
    bike_min: np.ndarray  # perceived minutes, including the trip's ends within the zones
    walk_min: np.ndarray  # minutes on foot, including the trip's ends within the zones


@dataclass(frozen=True)
class Coefficients:
    asc: np.ndarray  # float64[4], utils, car = 0 as the reference
    time_per_min: float  # utils per minute (negative)
    cost_per_eur: float  # utils per euro (negative)
    walk_weight: float  # minutes on foot count this many minutes of riding
    car_terminal_min: float  # parking and walking to and from the car, per trip
    car_eur_per_km: float
    parking_eur: float  # per car trip
    pt_fare_eur: float  # per trip


def mode_utilities(costs: ModeCosts, c: Coefficients) -> np.ndarray:
    """Systematic utilities float64[4, Z, Z]; -inf where a mode has no path."""
    out: np.ndarray = _utilities(
        costs.car_min, costs.car_km, costs.car_toll_eur, costs.pt_generalised_min, costs.bike_min,
        costs.walk_min, c.asc, c.time_per_min, c.cost_per_eur, c.walk_weight, c.car_terminal_min,
        c.car_eur_per_km, c.parking_eur, c.pt_fare_eur,
    )
    return out


@njit(cache=True, nogil=True)
def _utilities(
    car_min: np.ndarray,
    car_km: np.ndarray,
    car_toll_eur: np.ndarray,
    pt_min: np.ndarray,
    bike_min: np.ndarray,
    walk_min: np.ndarray,
    asc: np.ndarray,
    b_time: float,
    b_cost: float,
    walk_weight: float,
    terminal_min: float,
    eur_per_km: float,
    parking_eur: float,
    fare_eur: float,
) -> np.ndarray:
    z = car_min.shape[0]
    out = np.empty((4, z, z))
    for i in range(z):
        for j in range(z):
            t = car_min[i, j]
            if np.isfinite(t):
                money = eur_per_km * car_km[i, j] + car_toll_eur[i, j] + parking_eur
                out[0, i, j] = asc[0] + b_time * (t + terminal_min) + b_cost * money
            else:
                out[0, i, j] = -np.inf
            t = pt_min[i, j]
            out[1, i, j] = asc[1] + b_time * t + b_cost * fare_eur if np.isfinite(t) else -np.inf
            t = bike_min[i, j]
            out[2, i, j] = asc[2] + b_time * t if np.isfinite(t) else -np.inf
            t = walk_min[i, j]
            out[3, i, j] = asc[3] + b_time * walk_weight * t if np.isfinite(t) else -np.inf
    return out


@njit(cache=True, nogil=True)
def logit(utility: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logit over the first axis.

    utility float64[M, Z, Z] (-inf: alternative unavailable). Returns the probabilities
    float64[M, Z, Z] (each pair sums to one, or is all zero where nothing is available)
    and the logsum float64[Z, Z] (-inf where nothing is available).
    """
    n_modes, z = utility.shape[0], utility.shape[1]
    prob = np.zeros_like(utility)
    logsum = np.full((z, z), -np.inf)
    for i in range(z):
        for j in range(z):
            top = -np.inf
            for m in range(n_modes):
                if utility[m, i, j] > top:
                    top = utility[m, i, j]
            if top == -np.inf:
                continue
            s = 0.0
            for m in range(n_modes):
                e = np.exp(utility[m, i, j] - top)
                prob[m, i, j] = e
                s += e
            for m in range(n_modes):
                prob[m, i, j] /= s
            logsum[i, j] = top + np.log(s)
    return prob, logsum


def calibrate_constants(
    shares_for: Callable[[np.ndarray], np.ndarray],
    target_shares: np.ndarray,
    asc: np.ndarray,
    *,
    iterations: int = 50,
    tolerance: float = 1e-4,
) -> np.ndarray:
    """Alternative-specific constants that reproduce observed mode shares.

    shares_for(asc) -> float64[4] the model's shares with those constants. Each round adds
    ln(target / modelled) to every constant (the usual update, Ortuzar & Willumsen 2011) and
    keeps the car's at zero. Stops when no share is off by more than `tolerance`.
    """
    asc = np.asarray(asc, dtype=np.float64).copy()
    target = np.asarray(target_shares, dtype=np.float64)
    target = target / target.sum()
    for _ in range(iterations):
        shares = shares_for(asc)
        if np.abs(shares - target).max() <= tolerance:
            break
        asc += np.log(target / shares)
        asc -= asc[CAR]
    return asc
