"""Roads drawn onto the grid: which cells each link passes through, the links through each
cell, each street's two-way flow, and the cells of busy and quiet streets. Habitats and the
species population both need them."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from agora.server.sim.pipeline import Board
from agora.server.world.types import Mode


@njit(cache=True, nogil=True)
def link_cells(
    ax: np.ndarray, ay: np.ndarray, bx: np.ndarray, by: np.ndarray,
    origin_x_m: float, origin_y_m: float, cell_m: float, height: int, width: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The cells each straight segment (a -> b, metres, float64[L]) passes through, as CSR:
    first int64[L + 1], cell int32[] (row * width + col). Sampled every quarter cell, so a
    segment may miss a corner it only grazes."""
    n = ax.shape[0]
    first = np.zeros(n + 1, dtype=np.int64)
    buf = np.empty(1024, dtype=np.int32)
    used = 0
    for k in range(n):
        length = math.hypot(bx[k] - ax[k], by[k] - ay[k])
        steps = int(length / (0.25 * cell_m)) + 1
        last = -1
        for s in range(steps + 1):
            t = s / steps
            col = int(math.floor((ax[k] + t * (bx[k] - ax[k]) - origin_x_m) / cell_m))
            row = int(math.floor((ay[k] + t * (by[k] - ay[k]) - origin_y_m) / cell_m))
            if row < 0 or row >= height or col < 0 or col >= width:
                continue
            cell = row * width + col
            if cell == last:
                continue
            last = cell
            if used == buf.shape[0]:
                grown = np.empty(2 * used, dtype=np.int32)
                grown[:used] = buf
                buf = grown
            buf[used] = cell
            used += 1
        first[k + 1] = used
    return first, buf[:used].copy()


@njit(cache=True, nogil=True)
def count_links(first: np.ndarray, cells: np.ndarray, busy: np.ndarray, car: np.ndarray,
                counts: np.ndarray) -> None:
    """counts int32[2, n_cells]: busy and quiet car links through each cell; busy, car bool[L]."""
    counts[:] = 0
    for k in range(car.shape[0]):
        if car[k]:
            for cell in cells[first[k]:first[k + 1]]:
                counts[0 if busy[k] else 1, cell] += 1


@njit(cache=True, nogil=True)
def reclassify_links(first: np.ndarray, cells: np.ndarray, links: np.ndarray, to_busy: np.ndarray,
                     counts: np.ndarray, busy_mask: np.ndarray,
                     quiet_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Move the car links `links` (int64[]) to busy (to_busy True) or quiet; update counts
    (int32[2, n_cells]) and the flat masks (bool[n_cells]); the cells whose busy mask and
    whose quiet mask changed, int64[] each (a cell may be listed twice)."""
    size = 0
    for k in links:
        size += first[k + 1] - first[k]
    busy_changed, quiet_changed = np.empty(size, dtype=np.int64), np.empty(size, dtype=np.int64)
    nb = nq = 0
    for i in range(links.shape[0]):
        k, step = links[i], 1 if to_busy[i] else -1
        for cell in cells[first[k]:first[k + 1]]:
            counts[0, cell] += step
            counts[1, cell] -= step
            if busy_mask[cell] != (counts[0, cell] > 0):
                busy_mask[cell] = counts[0, cell] > 0
                busy_changed[nb] = cell
                nb += 1
            if quiet_mask[cell] != (counts[1, cell] > 0):
                quiet_mask[cell] = counts[1, cell] > 0
                quiet_changed[nq] = cell
                nq += 1
    return busy_changed[:nb], quiet_changed[:nq]


def reverse_links(link_from: np.ndarray, link_to: np.ndarray) -> np.ndarray:
    """int64[L]: the index of the link b -> a for each link a -> b, or -1."""
    n = int(max(link_from.max(initial=0), link_to.max(initial=0))) + 1
    key = link_from.astype(np.int64) * n + link_to
    order = np.argsort(key, kind="stable")
    wanted = link_to.astype(np.int64) * n + link_from
    pos = np.minimum(np.searchsorted(key[order], wanted), len(key) - 1)
    found = key[order][pos] == wanted if len(key) else np.zeros(0, dtype=bool)
    return np.where(found, order[pos], -1)


class RoadRaster:
    """The car links drawn onto the grid, redrawn only when the geometry changes (a cache
    of the board's network, not state: it is a function of the board's arrays)."""

    def __init__(self) -> None:
        self._key: tuple[np.ndarray, ...] | None = None
        self.first = np.zeros(1, dtype=np.int64)
        self.cells = np.zeros(0, dtype=np.int32)
        self.reverse = np.zeros(0, dtype=np.int64)
        self.car = np.zeros(0, dtype=bool)
        self._by_cell: tuple[np.ndarray, np.ndarray] | None = None

    def update(self, board: Board, height: int, width: int) -> bool:
        """Redraw if the network or the grid moved; True when it did."""
        key = (board["node_x_m"], board["node_y_m"], board["link_from"], board["link_to"], board["link_modes"],
               np.asarray(board["grid_origin_m"], dtype=np.float64), np.array([board["grid_cell_m"], height, width]))
        if self._key is not None and all(a.shape == b.shape and np.array_equal(a, b) for a, b in zip(key, self._key)):
            return False
        x, y, f, t, modes, origin, grid = key
        self.first, self.cells = link_cells(x[f], y[f], x[t], y[t], float(origin[0]), float(origin[1]),
                                            float(grid[0]), height, width)
        self.reverse = reverse_links(f, t)
        self.car = (modes & int(Mode.CAR)) != 0
        self._by_cell = None
        self._key = tuple(np.array(a, copy=True) for a in key)
        return True

    def links_by_cell(self, n_cells: int) -> tuple[np.ndarray, np.ndarray]:
        """The links through each cell, as CSR: first int64[n_cells + 1], link int64[]
        (made when first asked for after a redraw)."""
        if self._by_cell is None or self._by_cell[0].shape[0] != n_cells + 1:
            order = np.argsort(self.cells, kind="stable")
            link = np.repeat(np.arange(self.first.shape[0] - 1), np.diff(self.first))[order]
            first = np.zeros(n_cells + 1, dtype=np.int64)
            np.cumsum(np.bincount(self.cells, minlength=n_cells), out=first[1:])
            self._by_cell = (first, link.astype(np.int64))
        return self._by_cell

    def two_way_flow(self, flow_veh_h: np.ndarray) -> np.ndarray:
        """Both directions' flow on each link's street, veh/h (float64[L])."""
        back = np.where(self.reverse >= 0, flow_veh_h[np.maximum(self.reverse, 0)], 0.0)
        return np.asarray(flow_veh_h + back, dtype=np.float64)
