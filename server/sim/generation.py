"""Trip generation by purpose, and the time of day that slices a day's trips into hours.

    rates = {"work": 0.52, ...}                       # trips per resident per day
    ends = trip_ends(rates, residents, jobs, school_places, shops)
    ends.productions[WORK], ends.attractions[WORK]    # float64[Z] each, same total
    hour = hour_of_tick(tick, start_hour=6.0, minutes_per_tick=1.0)
    h = hour_slice(hour)                              # 0..23: the hourly factors to use

Home-based purposes (work, education, shopping and services, leisure) are produced at
home, in proportion to residents, and attracted by what the purpose needs: jobs, school
places, shops, or (for leisure) other people's homes and shops. Their daily trips
T_p[i, j] count both legs of the tour: leaving home for j and coming back. Non-home-based
trips are produced and attracted where people work and shop.

A day's trips are sliced into hours by directional factors: in hour h, purpose p sends
from_home[p, h] * T_p[i, j] trips from home zone i to j, and to_home[p, h] * T_p[i, j]
back from j to i. Each purpose's factors sum to one over the day (both directions).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

PURPOSES = ("work", "education", "shopping", "leisure", "nonhome")
WORK, EDUCATION, SHOPPING, LEISURE, NONHOME = range(5)
HOURS = 24


@dataclass(frozen=True)
class TripEnds:
    """Daily person trips produced and attracted per purpose and zone."""

    productions: np.ndarray  # float64[P, Z], trips per day
    attractions: np.ndarray  # float64[P, Z], trips per day, each row summing to its production row


def attraction_weights(
    residents: np.ndarray,
    jobs: np.ndarray,
    school_places: np.ndarray,
    shops: np.ndarray,
    leisure_shop_weight: float,
) -> np.ndarray:
    """What draws each purpose's trips (float64[P, Z], arbitrary units per row).

    A world without school places or shops (older files) falls back on jobs, so that every
    purpose still has somewhere to go.
    """
    jobs = jobs.astype(np.float64)

    def or_jobs(layer: np.ndarray) -> np.ndarray:
        layer = layer.astype(np.float64)
        return layer if layer.sum() > 0.0 else jobs

    shops = or_jobs(shops)
    return np.stack([
        jobs,
        or_jobs(school_places),
        shops,
        residents.astype(np.float64) + leisure_shop_weight * shops,
        jobs + shops,
    ])


def trip_ends(
    rates_per_resident: np.ndarray,
    residents: np.ndarray,
    jobs: np.ndarray,
    school_places: np.ndarray,
    shops: np.ndarray,
    leisure_shop_weight: float,
) -> TripEnds:
    """Productions and attractions of every purpose (float64[P, Z] each).

    rates_per_resident float64[P]: trips per resident per day, both legs counted. The
    non-home-based total is rate x all residents, spread over zones like its attractions.
    """
    residents = residents.astype(np.float64)
    weights = attraction_weights(residents, jobs, school_places, shops, leisure_shop_weight)
    productions = rates_per_resident[:, None] * residents[None, :]
    total = float(rates_per_resident[NONHOME] * residents.sum())
    nonhome = weights[NONHOME]
    productions[NONHOME] = nonhome * (total / nonhome.sum()) if nonhome.sum() > 0.0 else 0.0
    attractions = np.zeros_like(productions)
    for p in range(len(PURPOSES)):
        if weights[p].sum() > 0.0:
            attractions[p] = weights[p] * (productions[p].sum() / weights[p].sum())
    return TripEnds(productions, attractions)


# -- time of day -----------------------------------------------------------------------------


def hour_of_tick(tick: int, start_hour: float, minutes_per_tick: float) -> float:
    """The simulated clock at the start of tick `tick`, in hours after midnight [0, 24).

    Tick 0 starts at `start_hour`; each tick advances the clock by `minutes_per_tick`.
    Put the result on the board as `clock_hour` (a 0-d float64 array) before the step.
    """
    if minutes_per_tick < 0.0:
        raise ValueError(f"minutes_per_tick must be zero or positive, got {minutes_per_tick}")
    return (start_hour + tick * minutes_per_tick / 60.0) % 24.0


def hour_slice(clock_hour: float) -> int:
    """The hour whose factors apply at `clock_hour`: 8.0 to 8.99 all select slice 8."""
    if not math.isfinite(clock_hour):
        raise ValueError(f"clock_hour must be a finite number of hours, got {clock_hour}")
    return int(math.floor(clock_hour)) % HOURS


def directional_factors(from_home: np.ndarray, to_home: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rescale each purpose's factors so that its two rows sum to one over the day.

    from_home, to_home float64[P, 24] as published (in percent or shares, rounded).
    """
    from_home = np.asarray(from_home, dtype=np.float64)
    to_home = np.asarray(to_home, dtype=np.float64)
    if from_home.shape != (len(PURPOSES), HOURS) or to_home.shape != from_home.shape:
        raise ValueError(
            f"hourly factors need {len(PURPOSES)} purposes x {HOURS} hours, "
            f"found {from_home.shape} and {to_home.shape}"
        )
    if (from_home < 0.0).any() or (to_home < 0.0).any():
        raise ValueError("hourly factors cannot be negative")
    total = from_home.sum(axis=1) + to_home.sum(axis=1)
    if (total <= 0.0).any():
        raise ValueError(f"purpose {PURPOSES[int(np.argmin(total))]} has no trips in any hour")
    return from_home / total[:, None], to_home / total[:, None]
