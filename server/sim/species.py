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
without neighbours follows the logistic curve exactly. The streets of each tick act as if
that hour's traffic held for the whole span. The first tick starts at K and runs a spin-up
under the first hour's traffic, so that a session opens near equilibrium.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit

from agora.server.sim.road_raster import RoadRaster
from agora.server.sim.pipeline import Board

MAX_MIX = 0.25  # D dt / h^2 per sub-step: the explicit 5-point scheme's bound
DAYS_PER_YEAR = 365.25
# Keeps K = 0 cells at exactly 0 (0 / TINY) without a branch; against any real K it is nil.
TINY = np.float32(1e-30)


# error_model="numpy": no Python division-by-zero check, which would keep the loops from
# being vectorised (the denominators are > 0 anyway); the divisions are the same IEEE ones.
@njit(cache=True, nogil=True, error_model="numpy")
def _moving_row(passage: np.ndarray, cur: np.ndarray, r: int, out: np.ndarray) -> None:
    """passage x density of row r into out (zeros for a row outside the grid): what leaves
    each cell of the row towards each neighbour."""
    if r < 0 or r >= cur.shape[0]:
        out[:] = 0.0
        return
    pr, cr = passage[r], cur[r]
    for c in range(cur.shape[1]):
        out[c] = pr[c] * cr[c]


@njit(cache=True, nogil=True, error_model="numpy")
def advance(density: np.ndarray, capacity: np.ndarray, passage: np.ndarray, a: float, substeps: int,
            growth: float) -> np.ndarray:
    """Densities after `substeps` sub-steps: float32[H, W] per ha, in and out.

    capacity float32[H, W] per ha; passage float32[H, W] in [0, 1]; a = D dt / h^2 of one
    sub-step (<= 1/4); growth = exp(r dt) of one sub-step (>= 1).
    """
    h, w = density.shape
    cur = density.copy()
    nxt = np.empty_like(cur)
    # Rows r - 1, r, r + 1 of passage x density, zero beyond the grid's edge.
    up, mid, down = np.empty(w, np.float32), np.empty(w, np.float32), np.empty(w, np.float32)
    a32, g32, g1 = np.float32(a), np.float32(growth), np.float32(growth - 1.0)
    for _ in range(substeps):
        _moving_row(passage, cur, -1, up)
        _moving_row(passage, cur, 0, mid)
        for r in range(h):
            _moving_row(passage, cur, r + 1, down)
            vertical = (r > 0) + (r < h - 1)
            cr, pr, kr, out = cur[r], passage[r], capacity[r], nxt[r]
            stay = np.float32(1.0) - np.float32(vertical + 2) * a32
            for c in range(1, w - 1):
                v = cr[c] * stay + a32 * pr[c] * (up[c] + down[c] + mid[c - 1] + mid[c + 1])
                k = kr[c]
                out[c] = k * v * g32 / (k + v * g1 + TINY)
            for c in (0, w - 1):  # the first and last column: fewer neighbours
                inflow = up[c] + down[c]
                neighbours = vertical
                if c > 0:
                    inflow += mid[c - 1]
                    neighbours += 1
                if c < w - 1:
                    inflow += mid[c + 1]
                    neighbours += 1
                v = cr[c] * (np.float32(1.0) - np.float32(neighbours) * a32) + a32 * pr[c] * inflow
                k = kr[c]
                out[c] = k * v * g32 / (k + v * g1 + TINY)
            up, mid, down = mid, down, up
        cur, nxt = nxt, cur
    return cur


@njit(cache=True, nogil=True)
def link_passage(flow_veh_h: np.ndarray, car: np.ndarray, crossing_flow_veh_h: float, links: np.ndarray,
                 out: np.ndarray) -> None:
    """out[k] (float32[L]) for the links k in `links` (int64[]): sqrt of the survival
    exp(-Q/q0) of crossing link k's street, 1 for no car or no traffic. flow_veh_h
    float64[L], two-way."""
    for k in links:
        out[k] = 1.0
        if car[k] and flow_veh_h[k] > 0.0:
            out[k] = math.exp(-0.5 * flow_veh_h[k] / crossing_flow_veh_h)


@njit(cache=True, nogil=True)
def road_passage(first: np.ndarray, cells: np.ndarray, link_p: np.ndarray, n_cells: int) -> np.ndarray:
    """float32[n_cells]: the passage of the busiest street through each cell, the least of
    its links' (link_p float32[L], from link_passage), 1 where no link passes."""
    out = np.ones(n_cells, dtype=np.float32)
    for k in range(link_p.shape[0]):
        for i in range(first[k], first[k + 1]):
            out[cells[i]] = min(out[cells[i]], link_p[k])
    return out


@njit(cache=True, nogil=True)
def repair_passage(first: np.ndarray, cells: np.ndarray, cell_first: np.ndarray, cell_link: np.ndarray,
                   link_p: np.ndarray, links: np.ndarray, passage: np.ndarray) -> None:
    """road_passage again on the cells of the links `links` (int64[]), whose passage moved:
    passage (float32[n_cells]) there from every link through them (cell_first int64[n_cells
    + 1], cell_link int64[]: the links of each cell). The same minimum, so the same values."""
    for k in links:
        for cell in cells[first[k]:first[k + 1]]:
            p = np.float32(1.0)
            for i in range(cell_first[cell], cell_first[cell + 1]):
                p = min(p, link_p[cell_link[i]])
            passage[cell] = p


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
        self._link_p = np.zeros(0, dtype=np.float32)  # passage of each link's street

    def schedule(self, years: float, cell_m: float) -> tuple[float, int, float]:
        """(a, sub-steps, growth per sub-step) to advance by `years` on cells of cell_m."""
        mix = self.diffusivity_m2_per_year * years / (cell_m * cell_m)
        substeps = max(1, math.ceil(mix / MAX_MIX))
        return mix / substeps, substeps, math.exp(self.growth_rate_per_year * years / substeps)

    def _inputs(self, board: Board) -> tuple[np.ndarray, np.ndarray]:
        quality = board["grid_habitat_quality"]
        shape = quality.shape
        n_cells = shape[0] * shape[1]
        redrawn = self.roads.update(board, shape[0], shape[1])
        if quality is not self._quality or self._capacity.shape != shape:
            self._capacity = np.multiply(quality, np.float32(self.capacity_per_ha), dtype=np.float32)
            self._quality = quality
        flow = self.roads.two_way_flow(board["link_flow_veh_h"])
        if redrawn or self._flow is None or self._flow.shape != flow.shape or self._passage.shape != shape:
            self._link_p = np.empty(flow.shape, dtype=np.float32)
            link_passage(flow, self.roads.car, self.crossing_flow_veh_h, np.arange(flow.size), self._link_p)
            self._passage = road_passage(self.roads.first, self.roads.cells, self._link_p, n_cells).reshape(shape)
        else:
            moved = np.flatnonzero(flow != self._flow)
            link_passage(flow, self.roads.car, self.crossing_flow_veh_h, moved, self._link_p)
            if moved.size > flow.size // 32:  # then one pass over all links costs less
                self._passage = road_passage(self.roads.first, self.roads.cells, self._link_p, n_cells).reshape(shape)
            elif moved.size:
                cell_first, cell_link = self.roads.links_by_cell(n_cells)
                repair_passage(self.roads.first, self.roads.cells, cell_first, cell_link, self._link_p, moved,
                               self._passage.reshape(-1))
        self._flow = flow
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
