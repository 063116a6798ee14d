"""Connectivity of habitat patches: the probability of connectivity (PC) and the
equivalent connected area (ECA).

    PC  = sum_i sum_j a_i a_j p*_ij / A_L^2          (Saura & Pascual-Hortal 2007)
    ECA = sqrt(sum_i sum_j a_i a_j p*_ij)             (Saura et al. 2011)

a_i the patches' areas (ha), A_L the area of the whole grid, p*_ii = 1, and p*_ij the
largest product of direct probabilities p = exp(-k d) along any chain of patches from i to
j. Since -log p = k d, that chain is the shortest path through the patches when each hop
costs its gap d: p*_ij = exp(-k d*_ij). Patches are the 4-connected sets of cells whose
habitat quality is at or above a threshold; d is the gap between patches EDGE TO EDGE (the
shortest distance between the squares of their nearest cells, 0 for patches that touch at a
corner); k = ln 2 / the median dispersal distance, so that p = 1/2 there. Parameters in
rules/habitat.toml [connectivity].

Recomputed only when the patch mask changes, and then the gaps between patches that no
changed cell touches are carried over (the same cells give the same gaps); the chains are
found afresh over the whole matrix, in the same order, so that a tick gives the same bits
as a fresh start would.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
from numba import njit

from agora.server.sim.habitat import mask_changes
from agora.server.sim.pipeline import Board


@njit(cache=True, nogil=True)
def patches(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                       np.ndarray]:
    """4-connected components of mask (bool[H, W]), by flood fill: labels int32[H, W] (-1
    outside any patch), the patches numbered in raster order of their first cell; then per
    patch its size in cells int64[n], its first cell (flat index) int64[n], its bounding box
    int64[n, 4] (row min, row max, col min, col max), and its edge cells, those with a
    4-neighbour outside the mask (only they can be nearest to another patch), as CSR:
    edge_first int64[n + 1], edge_row and edge_col int64[]."""
    h, w = mask.shape
    inside = mask.ravel()
    labels = np.full(h * w, -1, dtype=np.int32)
    stack = np.empty(h * w, dtype=np.int64)
    # Per patch: size, first cell, box (4), end of its edge cells; grown as patches are found
    # (allocating for the most patches a grid can hold costs more than the search).
    found = np.empty((64, 7), dtype=np.int64)
    edge_row, edge_col = np.empty(h * w, dtype=np.int64), np.empty(h * w, dtype=np.int64)
    n = edges = 0
    for start in range(h * w):
        if not inside[start] or labels[start] >= 0:
            continue
        labels[start] = n
        top = 0
        stack[0] = start
        size = 0
        r0, r1, c0, c1 = h, -1, w, -1
        while top >= 0:
            cell = stack[top]
            top -= 1
            size += 1
            r, c = cell // w, cell % w
            r0, r1, c0, c1 = min(r0, r), max(r1, r), min(c0, c), max(c1, c)
            edge = False
            for other, ok in ((cell - w, r > 0), (cell + w, r < h - 1), (cell - 1, c > 0), (cell + 1, c < w - 1)):
                if ok:
                    if not inside[other]:
                        edge = True
                    elif labels[other] < 0:
                        labels[other] = n
                        top += 1
                        stack[top] = other
            if edge:
                edge_row[edges], edge_col[edges] = r, c
                edges += 1
        if n == found.shape[0]:
            found = np.concatenate((found, np.empty_like(found)))
        found[n, 0], found[n, 1], found[n, 2], found[n, 3], found[n, 4], found[n, 5], found[n, 6] = \
            size, start, r0, r1, c0, c1, edges
        n += 1
    edge_first = np.zeros(n + 1, dtype=np.int64)
    edge_first[1:] = found[:n, 6]
    return (labels.reshape(h, w), found[:n, 0].copy(), found[:n, 1].copy(), found[:n, 2:6].copy(), edge_first,
            edge_row[:edges].copy(), edge_col[:edges].copy())


def label_patches(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """4-connected components of mask (bool[H, W]): labels int32[H, W] (-1 outside any
    patch), numbered in raster order of their first cell, and their count."""
    found = patches(mask)
    return found[0], int(found[1].size)


@njit(cache=True, nogil=True)
def touched_patches(labels: np.ndarray, kept: np.ndarray, changed: np.ndarray, n: int) -> np.ndarray:
    """bool[n]: the kept patches (kept int64[n_patches]: each patch's number among those
    kept, or -1) holding a changed cell (flat indices int64[]) or a 4-neighbour of one, by
    labels int32[H, W]. Every other patch has the same cells as before the change."""
    h, w = labels.shape
    out = np.zeros(n, dtype=np.bool_)
    for cell in changed:
        r, c = cell // w, cell % w
        for nr, nc in ((r, c), (r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)):
            if 0 <= nr < h and 0 <= nc < w and labels[nr, nc] >= 0 and kept[labels[nr, nc]] >= 0:
                out[kept[labels[nr, nc]]] = True
    return out


@njit(cache=True, nogil=True)
def carry_gaps(before: np.ndarray, same: np.ndarray, old: np.ndarray, gaps: np.ndarray) -> None:
    """gaps[i, j] = old[before[i], before[j]] for the patches i, j that are the same (bool[n])
    as patches before[i], before[j] (int64[n]) of the last mask (gaps float64[n, n], old
    float64[m, m])."""
    for i in range(same.shape[0]):
        if same[i]:
            for j in range(same.shape[0]):
                if same[j]:
                    gaps[i, j] = old[before[i], before[j]]


@njit(cache=True, nogil=True, inline="always")
def _to_box(r: int, c: int, box: np.ndarray) -> int:
    """Squared edge-to-edge gap, cells^2, from cell (r, c) to the box int64[4] (row min, row
    max, col min, col max): no more than to any cell inside it."""
    gr: int = max(box[0] - r, r - box[1], 1) - 1
    gc: int = max(box[2] - c, c - box[3], 1) - 1
    return gr * gr + gc * gc


@njit(cache=True, nogil=True, inline="always")
def _nearest(r: int, c: int, rows: np.ndarray, cols: np.ndarray) -> int:
    """Least squared edge-to-edge gap, cells^2, from cell (r, c) to the cells (rows, cols
    int64[m]); in integers, so that the loop spreads over the SIMD lanes."""
    best = 1 << 62
    for b in range(rows.shape[0]):
        gr = max(abs(r - rows[b]), 1) - 1
        gc = max(abs(c - cols[b]), 1) - 1
        best = min(best, gr * gr + gc * gc)
    return best


@njit(cache=True, nogil=True)
def gaps_of(boxes: np.ndarray, edge_first: np.ndarray, edge_row: np.ndarray, edge_col: np.ndarray,
            patch: np.ndarray, cutoff_cells: float, todo: np.ndarray, gaps: np.ndarray) -> None:
    """Edge-to-edge gaps in cells into gaps (float64[n, n], np.inf beyond cutoff_cells)
    between the patches patch (int64[n], numbers in the output of `patches`, whose boxes
    and edge cells are given) for the pairs of which one at least is todo (bool[n]); the
    other entries are left as they are. Pairs whose bounding boxes lie farther apart than
    the cutoff are not compared."""
    n = patch.shape[0]
    for i in range(n):
        gaps[i, i] = 0.0
        for j in range(i + 1, n):
            if not (todo[i] or todo[j]):
                continue
            gaps[i, j] = gaps[j, i] = np.inf
            a, b = patch[i], patch[j]
            dr = max(boxes[b, 0] - boxes[a, 1], boxes[a, 0] - boxes[b, 1], 1) - 1
            dc = max(boxes[b, 2] - boxes[a, 3], boxes[a, 2] - boxes[b, 3], 1) - 1
            if math.hypot(dr, dc) > cutoff_cells:
                continue
            # The outer loop runs over the larger patch's edge, from its cell nearest the
            # smaller one's bounding box (a first bound), skipping the cells that lie farther
            # from that box than the best pair found so far.
            big, small = (a, b) if edge_first[a + 1] - edge_first[a] >= edge_first[b + 1] - edge_first[b] else (b, a)
            lo, hi = edge_first[big], edge_first[big + 1]
            near, nearest = lo, _to_box(edge_row[lo], edge_col[lo], boxes[small])
            for e in range(lo + 1, hi):
                if _to_box(edge_row[e], edge_col[e], boxes[small]) < nearest:
                    near, nearest = e, _to_box(edge_row[e], edge_col[e], boxes[small])
            their_rows = edge_row[edge_first[small]:edge_first[small + 1]]
            their_cols = edge_col[edge_first[small]:edge_first[small + 1]]
            best = _nearest(edge_row[near], edge_col[near], their_rows, their_cols)
            for e in range(lo, hi):
                if best == 0:
                    break
                if _to_box(edge_row[e], edge_col[e], boxes[small]) < best:
                    best = min(best, _nearest(edge_row[e], edge_col[e], their_rows, their_cols))
            gap = math.sqrt(float(best))
            if gap <= cutoff_cells:
                gaps[i, j] = gaps[j, i] = gap


def patch_gaps(mask: np.ndarray, cutoff_cells: float) -> np.ndarray:
    """Edge-to-edge gaps in cells between all the patches of mask (bool[H, W]), numbered as
    by label_patches: float64[n, n], np.inf beyond cutoff_cells."""
    _labels, sizes, _starts, boxes, edge_first, edge_row, edge_col = patches(mask)
    n = sizes.size
    gaps = np.full((n, n), np.inf)
    gaps_of(boxes, edge_first, edge_row, edge_col, np.arange(n), cutoff_cells, np.ones(n, dtype=bool), gaps)
    return gaps


@njit(cache=True, nogil=True, inline="always")
def _relax(row: np.ndarray, via: np.ndarray, cost: float) -> None:
    """row = min(row, cost + via), element by element (float64[m] each). A loop of its own
    over two slices, so that the compiler spreads it over the SIMD lanes."""
    for j in range(row.shape[0]):
        row[j] = min(row[j], cost + via[j])


@njit(cache=True, nogil=True)
def shortest_chains(cost: np.ndarray) -> np.ndarray:
    """All-pairs shortest paths (Floyd-Warshall) over a symmetric cost matrix float64[n, n]
    with np.inf for no direct link. The matrices stay symmetric (a + b = b + a exactly), so
    only the upper triangle is relaxed, against a copy of row k (which round k leaves as it
    is), and mirrored at the end: the same sums as the full algorithm, half the work."""
    d = cost.copy()
    n = d.shape[0]
    via = np.empty(n)
    for k in range(n):
        for j in range(k):
            via[j] = d[j, k]
        via[k:] = d[k, k:]
        for i in range(n - 1):
            if via[i] != np.inf:
                _relax(d[i, i + 1:], via[i + 1:], via[i])
    for i in range(n):
        for j in range(i):
            d[i, j] = d[j, i]
    return d


@njit(cache=True, nogil=True)
def quadratic_form(area: np.ndarray, best: np.ndarray) -> float:
    """sum_i sum_j a_i a_j p*_ij over area float64[n] and best float64[n, n], in a fixed order."""
    total = 0.0
    for i in range(area.shape[0]):
        row = 0.0
        for j in range(area.shape[0]):
            row += best[i, j] * area[j]
        total += area[i] * row
    return total


def probability_of_connectivity(area_ha: np.ndarray, p_direct: np.ndarray, landscape_ha: float) -> tuple[float, float]:
    """(PC, ECA in ha) of patches with areas area_ha (float64[n]) and direct link
    probabilities p_direct (float64[n, n], symmetric, in [0, 1]) in a landscape of
    landscape_ha hectares."""
    with np.errstate(divide="ignore"):
        cost = -np.log(np.asarray(p_direct, dtype=np.float64))
    np.fill_diagonal(cost, 0.0)
    total = quadratic_form(np.asarray(area_ha, dtype=np.float64), np.exp(-shortest_chains(cost)))
    return total / (landscape_ha * landscape_ha), math.sqrt(total)


class Found(NamedTuple):
    """What a mask's patches gave: labels int32[H, W] as from `patches`, kept int64[n_all]
    (each patch's number among those kept, or -1), the gaps between the kept patches in cells
    and their best chains' probabilities (float64[n, n] each), on cells of cell_m metres."""

    labels: np.ndarray
    kept: np.ndarray
    gaps: np.ndarray
    best: np.ndarray
    cell_m: float


class Connectivity:
    """Pipeline module: indicator.connectivity_pc (0-d float64, in [0, 1]) and
    indicator.connectivity_eca_ha (0-d float64, hectares) of the habitat patches."""

    name = "connectivity"
    inputs = ("grid_habitat_quality", "grid_cell_m")
    outputs = ("indicator.connectivity_pc", "indicator.connectivity_eca_ha")

    # Gaps whose direct probability is below this are not compared (chains may still span them).
    P_MIN = 1e-6

    def __init__(self, p: dict[str, Any]) -> None:
        self.patch_quality_min = float(p["patch_quality_min"])
        self.min_patch_ha = float(p["min_patch_ha"])
        self.median_dispersal_m = float(p["median_dispersal_m"])
        if self.median_dispersal_m <= 0.0 or self.min_patch_ha < 0.0:
            raise ValueError("[connectivity] median_dispersal_m must be > 0 and min_patch_ha >= 0")
        # The last tick's patch mask and what was found from it (a function of it alone),
        # reused for the patches a change leaves alone.
        self._mask: np.ndarray | None = None
        self._cell_m = 0.0
        self._found: Found | None = None
        self._result = (np.array(0.0), np.array(0.0))

    def connectivity(self, mask: np.ndarray, cell_m: float) -> tuple[float, float]:
        """(PC, ECA in ha) of the patches of mask (bool[H, W]) on cells of cell_m metres."""
        pc, eca, _found = self._measure(mask, cell_m, None, None)
        return pc, eca

    def _measure(self, mask: np.ndarray, cell_m: float, changed: np.ndarray | None,
                 last: Found | None) -> tuple[float, float, Found]:
        """As connectivity(), and what was found; given the cells that changed (flat indices,
        int64[]) since the mask of `last`, the gaps between the patches away from them are
        taken from there."""
        cell_ha = cell_m * cell_m / 1e4
        landscape_ha = mask.size * cell_ha
        labels, sizes, starts, boxes, edge_first, edge_row, edge_col = patches(mask)
        keep = sizes * cell_ha >= self.min_patch_ha
        patch = np.flatnonzero(keep)  # the patches kept, by their number among all
        kept = np.where(keep, np.cumsum(keep) - 1, -1)  # and back
        n = patch.size
        gaps = np.full((n, n), np.inf)
        todo = np.ones(n, dtype=bool)
        if changed is not None and last is not None and last.labels.shape == labels.shape:
            before = last.labels.reshape(-1)[starts[patch]]  # the same first cell's patch before
            before = np.where(before >= 0, last.kept[np.maximum(before, 0)], -1)
            same = ~touched_patches(labels, kept, changed, n) & (before >= 0)
            carry_gaps(before, same, last.gaps, gaps)
            todo = ~same
        k_per_m = math.log(2.0) / self.median_dispersal_m
        gaps_of(boxes, edge_first, edge_row, edge_col, patch, -math.log(self.P_MIN) / k_per_m / cell_m, todo, gaps)
        if last is not None and cell_m == last.cell_m and gaps.shape == last.gaps.shape \
                and np.array_equal(gaps, last.gaps):
            best = last.best  # the same links, the same chains
        else:
            best = np.exp(-shortest_chains(k_per_m * (gaps * cell_m)))
        found = Found(labels, kept, gaps, best, cell_m)
        if n == 0:
            return 0.0, 0.0, found
        total = quadratic_form(sizes[patch] * cell_ha, best)
        return total / (landscape_ha * landscape_ha), math.sqrt(total), found

    def step(self, board: Board) -> None:
        quality = board["grid_habitat_quality"]
        cell_m = float(board["grid_cell_m"])
        if self._mask is None or self._cell_m != cell_m or self._mask.shape != quality.shape:
            self._mask = quality >= self.patch_quality_min
            self._cell_m = cell_m
            pc, eca, self._found = self._measure(self._mask, cell_m, None, None)
        else:
            changed = mask_changes(self._mask, quality, self.patch_quality_min)
            if changed.size == 0:
                board["indicator.connectivity_pc"], board["indicator.connectivity_eca_ha"] = self._result
                return
            pc, eca, self._found = self._measure(self._mask, cell_m, changed, self._found)
        self._result = (np.array(pc), np.array(eca))
        board["indicator.connectivity_pc"], board["indicator.connectivity_eca_ha"] = self._result
