"""An indicator species on the grid: logistic growth, diffusion, and roads that kill.

    dN/dt = D lap N + r N (1 - N/K),   K = habitat quality x K_max

N in individuals per hectare, K_max, r and D for the common toad in rules/habitat.toml
[species]. Roads: an animal crossing a street survives with probability
exp(-Q/q0), Q the street's two-way flow (a Poisson stream of vehicles: Hels & Buchwald
2001; van Langevelde & Jaarsma 2004). On the grid every cell gets a passage
sigma = sqrt(survival) of the busiest street through it (1 without a street), and a move
from cell j to a neighbour i succeeds with sigma_i sigma_j: crossing a one-cell street in
and out again multiplies to the survival; the animals that fail die. Moves go out of every
cell at the full rate D/h^2 per neighbour, so a busy road is a sink as well as a barrier.
Cells without habitat (K = 0) take no animals: whoever moves in is lost, the matrix of
reaction-diffusion models of habitat patches (Skellam 1951). The grid's edge reflects.

Time: a tick is one simulated minute of traffic, but the toads advance by days_per_tick
(a time-lapse: populations change over months). The tick's span is cut into explicit
sub-steps with D dt/h^2 <= 1/4, so every update is a non-negative mix of the old values
(stable, never negative). Each sub-step diffuses, then applies the exact solution of the
logistic equation over the sub-step, K N e^{r dt} / (K + N (e^{r dt} - 1)), so a cell
without neighbours follows the logistic curve exactly.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from agora.server.sim.habitat import RoadRaster
from agora.server.sim.pipeline import Board
from numba import njit

MAX_MIX = 0.25  # D dt / h^2 per sub-step: the explicit 5-point scheme's bound
DAYS_PER_YEAR = 365.25
# Keeps K = 0 cells at exactly 0 (0 / TINY) without a branch; against any real K it is nil.
TINY = np.float32(1e-30)


@njit(cache=True, nogil=True, inline="always")
def _rim(cur: np.ndarray, moving: np.ndarray, passage: np.ndarray, capacity: np.ndarray, r: int, c: int,
         a: np.float32, growth: np.float32) -> np.float32:
    """One cell's next density on the grid's rim, where some neighbours are missing."""
    h, w = cur.shape
    inflow = np.float32(0.0)
    neighbours = 0
    if r > 0:
        inflow += moving[r - 1, c]
        neighbours += 1
    if r < h - 1:
        inflow += moving[r + 1, c]
        neighbours += 1
    if c > 0:
        inflow += moving[r, c - 1]
        neighbours += 1
    if c < w - 1:
        inflow += moving[r, c + 1]
        neighbours += 1
    v = cur[r, c] * (np.float32(1.0) - np.float32(neighbours) * a) + a * passage[r, c] * inflow
    k = capacity[r, c]
    out: np.float32 = k * v * growth / (k + v * (growth - np.float32(1.0)) + TINY)
    return out


@njit(cache=True, nogil=True)
def advance(density: np.ndarray, capacity: np.ndarray, passage: np.ndarray, a: float, substeps: int,
            growth: float) -> np.ndarray:
    """Densities after `substeps` sub-steps: float32[H, W] per ha, in and out.

    capacity float32[H, W] per ha; passage float32[H, W] in [0, 1]; a = D dt / h^2 of one
    sub-step (<= 1/4); growth = exp(r dt) of one sub-step (>= 1).
    """
    h, w = density.shape
    cur = density.copy()
    nxt = np.empty_like(cur)
    moving = np.empty_like(cur)  # passage x density: what leaves a cell towards each neighbour
    a32, g32 = np.float32(a), np.float32(growth)
    stay, g1 = np.float32(1.0 - 4.0 * a), np.float32(growth - 1.0)
    for _ in range(substeps):
        for r in range(h):
            pr, cr, mr = passage[r], cur[r], moving[r]
            for c in range(w):
                mr[c] = pr[c] * cr[c]
        for r in range(h):
            if r == 0 or r == h - 1 or w < 3:
                for c in range(w):
                    nxt[r, c] = _rim(cur, moving, passage, capacity, r, c, a32, g32)
                continue
            up, down, mid = moving[r - 1], moving[r + 1], moving[r]
            cr, pr, kr, out = cur[r], passage[r], capacity[r], nxt[r]
            out[0] = _rim(cur, moving, passage, capacity, r, 0, a32, g32)
            for c in range(1, w - 1):
                v = cr[c] * stay + a32 * pr[c] * (up[c] + down[c] + mid[c - 1] + mid[c + 1])
                k = kr[c]
                out[c] = k * v * g32 / (k + v * g1 + TINY)
            out[w - 1] = _rim(cur, moving, passage, capacity, r, w - 1, a32, g32)
        cur, nxt = nxt, cur
    return cur


@njit(cache=True, nogil=True)
def road_passage(first: np.ndarray, cells: np.ndarray, flow_veh_h: np.ndarray, car: np.ndarray,
                 crossing_flow_veh_h: float, n_cells: int) -> np.ndarray:
    """float32[n_cells]: sqrt of the survival exp(-Q/q0) of crossing the busiest street
    through each cell (1 where no car link passes). flow_veh_h float64[L], two-way."""
    out = np.ones(n_cells, dtype=np.float32)
    for k in range(flow_veh_h.shape[0]):
        if not car[k] or flow_veh_h[k] <= 0.0:
            continue
        p = math.exp(-0.5 * flow_veh_h[k] / crossing_flow_veh_h)
        for i in range(first[k], first[k + 1]):
            out[cells[i]] = min(out[cells[i]], p)
    return out


class Species:
    """Pipeline module: the indicator species' density and head count.

    Writes grid_species_per_ha (float32[H, W], individuals per hectare; the population
    itself, carried from tick to tick) and indicator.species_population (0-d float64,
    individuals on the whole grid). Reads the habitat module's quality and the traffic.
    """

    name = "species"
    inputs = ("grid_habitat_quality", "grid_cell_m", "grid_origin_m", "node_x_m", "node_y_m", "link_from",
              "link_to", "link_modes", "link_flow_veh_h")
    outputs = ("grid_species_per_ha", "indicator.species_population")

    def __init__(self, p: dict[str, Any]) -> None:
        self.days_per_tick = float(p["days_per_tick"])
        self.capacity_per_ha = float(p["carrying_capacity_per_ha"])
        self.growth_rate_per_year = float(p["growth_rate_per_year"])
        self.diffusivity_m2_per_year = float(p["diffusivity_m2_per_year"])
        self.crossing_flow_veh_h = float(p["crossing_flow_veh_h"])
        self.spin_up_years = float(p["spin_up_years"])
        if min(self.days_per_tick, self.capacity_per_ha, self.crossing_flow_veh_h) <= 0.0:
            raise ValueError("[species] days_per_tick, carrying_capacity_per_ha and crossing_flow_veh_h must be > 0")
        if self.growth_rate_per_year < 0.0 or self.diffusivity_m2_per_year < 0.0 or self.spin_up_years < 0.0:
            raise ValueError("[species] growth_rate_per_year, diffusivity_m2_per_year and spin_up_years must be >= 0")
        self.roads = RoadRaster()
        self._quality: np.ndarray | None = None
        self._capacity: np.ndarray = np.zeros((0, 0), dtype=np.float32)
        self._flow: np.ndarray | None = None
        self._passage: np.ndarray = np.zeros((0, 0), dtype=np.float32)

    def schedule(self, years: float, cell_m: float) -> tuple[float, int, float]:
        """(a, sub-steps, growth per sub-step) to advance by `years` on cells of cell_m."""
        mix = self.diffusivity_m2_per_year * years / (cell_m * cell_m)
        substeps = max(1, math.ceil(mix / MAX_MIX))
        return mix / substeps, substeps, math.exp(self.growth_rate_per_year * years / substeps)

    def _inputs(self, board: Board) -> tuple[np.ndarray, np.ndarray]:
        quality = board["grid_habitat_quality"]
        shape = quality.shape
        redrawn = self.roads.update(board, shape[0], shape[1])
        if quality is not self._quality or self._capacity.shape != shape:
            self._capacity = (quality * np.float32(self.capacity_per_ha)).astype(np.float32)
            self._quality = quality
        flow = board["link_flow_veh_h"]
        if redrawn or self._flow is None or self._flow.shape != flow.shape or not np.array_equal(flow, self._flow) \
                or self._passage.shape != shape:
            self._passage = road_passage(self.roads.first, self.roads.cells, self.roads.two_way_flow(flow),
                                         self.roads.car, self.crossing_flow_veh_h, shape[0] * shape[1]).reshape(shape)
            self._flow = flow.copy()
        return self._capacity, self._passage

    def step(self, board: Board) -> None:
        capacity, passage = self._inputs(board)
        cell_m = float(board["grid_cell_m"])
        density = board.get("grid_species_per_ha")
        if density is None or density.shape != capacity.shape:
            density = capacity.copy()
            if self.spin_up_years > 0.0:
                density = advance(density, capacity, passage, *self.schedule(self.spin_up_years, cell_m))
        density = advance(density, capacity, passage, *self.schedule(self.days_per_tick / DAYS_PER_YEAR, cell_m))
        board["grid_species_per_ha"] = density
        board["indicator.species_population"] = np.array(float(density.sum(dtype=np.float64)) * cell_m * cell_m / 1e4)
