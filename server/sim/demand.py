"""Travel demand: home-to-work car trips by a doubly constrained gravity model.

T_ij = A_i O_i B_j D_j f(c_ij), f(c) = exp(-beta c), with the balancing factors A, B found
by iterative proportional fitting (Furness 1965; Ortuzar & Willumsen, Modelling Transport,
4th ed. 2011, section 5.3). Productions O come from residents, attractions D from jobs
scaled to the same total. Parameter values and their sources are in rules/models.toml.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from agora.server.sim.paths import forward_star, skim


@njit(cache=True, nogil=True)
def furness(
    productions: np.ndarray,
    attractions: np.ndarray,
    deterrence: np.ndarray,
    max_iter: int,
    tolerance: float,
) -> tuple[np.ndarray, int, float]:
    """Balance a seed matrix to both margins.

    productions float64[Z] trips leaving each zone, attractions float64[Z] trips arriving
    (same total), deterrence float64[Z, Z] the seed f(c_ij) (zero where no trip may go).
    Returns (trips float64[Z, Z], iterations, largest relative margin error).
    """
    z = productions.shape[0]
    a = np.ones(z)
    b = np.ones(z)
    trips = np.zeros((z, z))
    error = np.inf
    iterations = 0
    for iterations in range(1, max_iter + 1):
        for i in range(z):
            s = 0.0
            for j in range(z):
                s += b[j] * attractions[j] * deterrence[i, j]
            a[i] = 1.0 / s if s > 0.0 else 0.0
        for j in range(z):
            s = 0.0
            for i in range(z):
                s += a[i] * productions[i] * deterrence[i, j]
            b[j] = 1.0 / s if s > 0.0 else 0.0
        # Columns now match exactly; the rows tell how far from balanced we still are.
        error = 0.0
        for i in range(z):
            s = 0.0
            for j in range(z):
                trips[i, j] = a[i] * productions[i] * b[j] * attractions[j] * deterrence[i, j]
                s += trips[i, j]
            if productions[i] > 0.0:
                rel = abs(s - productions[i]) / productions[i]
                if rel > error:
                    error = rel
        if error <= tolerance:
            break
    return trips, iterations, error


def gravity_trips(
    residents: np.ndarray,
    jobs: np.ndarray,
    cost_min: np.ndarray,
    trips_per_resident: float,
    beta_per_min: float,
    *,
    max_iter: int = 200,
    tolerance: float = 1e-9,
) -> np.ndarray:
    """Car trips per hour between zones (float64[Z, Z]) from residents and jobs per zone.

    cost_min float64[Z, Z] is the free-flow car time; pairs with an infinite or zero cost
    (no path, or the same zone or node) get no car trips.
    """
    productions = residents.astype(np.float64) * trips_per_resident
    # Intrazonal trips and trips between zones that load at the same node never touch the
    # network: they belong to walking and cycling, which this model does not yet assign.
    reachable = np.isfinite(cost_min) & (cost_min > 0.0)
    np.fill_diagonal(reachable, False)
    deterrence = np.where(reachable, np.exp(-beta_per_min * np.where(reachable, cost_min, 0.0)), 0.0)
    # A zone whose residents reach no jobs (or whose jobs no resident reaches) would make
    # the margins infeasible: it sends (or receives) no trips. Repeat until stable.
    jobs = jobs.astype(np.float64)
    while True:
        sends = (deterrence @ (jobs > 0.0)) > 0.0
        receives = ((productions > 0.0) @ deterrence) > 0.0
        if np.all(sends | (productions == 0.0)) and np.all(receives | (jobs == 0.0)):
            break
        productions = np.where(sends, productions, 0.0)
        jobs = np.where(receives, jobs, 0.0)
    if productions.sum() <= 0.0 or jobs.sum() <= 0.0:
        return np.zeros_like(deterrence)
    attractions = jobs * (productions.sum() / jobs.sum())
    trips, _, _ = furness(productions, attractions, deterrence, max_iter, tolerance)
    return trips


class Demand:
    """Pipeline module: peak-hour home-to-work car trips between zones.

    Computed once, on the network as it is when the session starts: in this model
    people re-route around a closure but do not yet change destination or mode.
    """

    name = "demand"
    inputs = ("node_x_m", "link_from", "link_to", "link_free_time_min", "link_car_usable",
              "zone_node", "zone_residents", "zone_jobs")
    outputs = ("od_car_trips_h",)

    def __init__(self, trips_per_resident: float, beta_per_min: float) -> None:
        self.trips_per_resident = trips_per_resident
        self.beta_per_min = beta_per_min

    def step(self, board: dict[str, np.ndarray]) -> None:
        if "od_car_trips_h" in board:
            return
        first_out, out_links = forward_star(board["node_x_m"].shape[0], board["link_from"], board["link_to"])
        free_time_min = skim(first_out, out_links, board["link_to"], board["link_free_time_min"],
                             board["link_car_usable"], board["zone_node"], 0)
        board["od_car_trips_h"] = gravity_trips(
            board["zone_residents"],
            board["zone_jobs"],
            free_time_min,
            self.trips_per_resident,
            self.beta_per_min,
        )
