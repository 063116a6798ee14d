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
rules/habitat.toml [connectivity]. Recomputed only when the patch mask changes.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit

from agora.server.sim.pipeline import Board


@njit(cache=True, nogil=True)
def label_patches(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """4-connected components of mask (bool[H, W]): labels int32[H, W] (-1 outside any
    patch), numbered in raster order of their first cell, and their count."""
    h, w = mask.shape
    labels = np.full((h, w), -1, dtype=np.int32)
    stack = np.empty(h * w, dtype=np.int64)
    n = 0
    for start in range(h * w):
        if not mask.flat[start] or labels.flat[start] >= 0:
            continue
        labels.flat[start] = n
        top = 0
        stack[0] = start
        while top >= 0:
            cell = stack[top]
            top -= 1
            r, c = cell // w, cell % w
            for nr, nc in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)):
                if 0 <= nr < h and 0 <= nc < w and mask[nr, nc] and labels[nr, nc] < 0:
                    labels[nr, nc] = n
                    top += 1
                    stack[top] = nr * w + nc
        n += 1
    return labels, n


@njit(cache=True, nogil=True)
def patch_gaps(labels: np.ndarray, n: int, cutoff_cells: float) -> np.ndarray:
    """Edge-to-edge gaps between patches in cells, float64[n, n] (np.inf beyond
    cutoff_cells). Only cells with a 4-neighbour outside their patch can be nearest to
    another patch, so only those are compared, patch pairs whose bounding boxes lie farther
    apart than the cutoff not at all."""
    h, w = labels.shape
    count = np.zeros(n + 1, dtype=np.int64)
    box = np.empty((n, 4), dtype=np.int64)  # row min, row max, col min, col max
    box[:, 0] = h
    box[:, 1] = -1
    box[:, 2] = w
    box[:, 3] = -1
    edge = np.zeros((h, w), dtype=np.bool_)
    for r in range(h):
        for c in range(w):
            i = labels[r, c]
            if i < 0:
                continue
            box[i, 0], box[i, 1] = min(box[i, 0], r), max(box[i, 1], r)
            box[i, 2], box[i, 3] = min(box[i, 2], c), max(box[i, 3], c)
            if ((r > 0 and labels[r - 1, c] != i) or (r < h - 1 and labels[r + 1, c] != i)
                    or (c > 0 and labels[r, c - 1] != i) or (c < w - 1 and labels[r, c + 1] != i)):
                edge[r, c] = True
                count[i + 1] += 1
    first = np.cumsum(count)
    rows = np.empty(first[n], dtype=np.int64)
    cols = np.empty(first[n], dtype=np.int64)
    fill = first[:n].copy()
    for r in range(h):
        for c in range(w):
            if edge[r, c]:
                i = labels[r, c]
                rows[fill[i]], cols[fill[i]] = r, c
                fill[i] += 1
    gaps = np.full((n, n), np.inf)
    for i in range(n):
        gaps[i, i] = 0.0
        for j in range(i + 1, n):
            dr = max(box[j, 0] - box[i, 1], box[i, 0] - box[j, 1], 1) - 1
            dc = max(box[j, 2] - box[i, 3], box[i, 2] - box[j, 3], 1) - 1
            if math.hypot(dr, dc) > cutoff_cells:
                continue
            # The outer loop runs over the larger patch, skipping its cells that lie farther
            # from the smaller one's bounding box than the best pair found so far.
            big, small = (i, j) if first[i + 1] - first[i] >= first[j + 1] - first[j] else (j, i)
            best = np.inf
            for a in range(first[big], first[big + 1]):
                br = max(box[small, 0] - rows[a], rows[a] - box[small, 1], 1) - 1
                bc = max(box[small, 2] - cols[a], cols[a] - box[small, 3], 1) - 1
                if br * br + bc * bc >= best:
                    continue
                for b in range(first[small], first[small + 1]):
                    gr = max(abs(rows[a] - rows[b]), 1) - 1
                    gc = max(abs(cols[a] - cols[b]), 1) - 1
                    d2 = float(gr * gr + gc * gc)
                    best = min(best, d2)
                if best == 0.0:
                    break
            gap = math.sqrt(best)
            if gap <= cutoff_cells:
                gaps[i, j] = gaps[j, i] = gap
    return gaps


@njit(cache=True, nogil=True)
def shortest_chains(cost: np.ndarray) -> np.ndarray:
    """All-pairs shortest paths (Floyd-Warshall) over a symmetric cost matrix float64[n, n]
    with np.inf for no direct link."""
    d = cost.copy()
    n = d.shape[0]
    for k in range(n):
        for i in range(n):
            dik = d[i, k]
            if dik == np.inf:
                continue
            for j in range(n):
                via = dik + d[k, j]
                d[i, j] = min(d[i, j], via)
    return d


def probability_of_connectivity(area_ha: np.ndarray, p_direct: np.ndarray, landscape_ha: float) -> tuple[float, float]:
    """(PC, ECA in ha) of patches with areas area_ha (float64[n]) and direct link
    probabilities p_direct (float64[n, n], symmetric, in [0, 1]) in a landscape of
    landscape_ha hectares."""
    with np.errstate(divide="ignore"):
        cost = -np.log(np.asarray(p_direct, dtype=np.float64))
    np.fill_diagonal(cost, 0.0)
    best = np.exp(-shortest_chains(cost))
    total = float(area_ha @ best @ area_ha)
    return total / (landscape_ha * landscape_ha), math.sqrt(total)


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
        self._mask: np.ndarray | None = None
        self._cell_m = 0.0
        self._result = (np.array(0.0), np.array(0.0))

    def connectivity(self, mask: np.ndarray, cell_m: float) -> tuple[float, float]:
        """(PC, ECA in ha) of the patches of mask (bool[H, W]) on cells of cell_m metres."""
        cell_ha = cell_m * cell_m / 1e4
        landscape_ha = mask.size * cell_ha
        labels, n = label_patches(mask)
        if n == 0:
            return 0.0, 0.0
        area_ha = np.bincount(labels[labels >= 0], minlength=n) * cell_ha
        keep = area_ha >= self.min_patch_ha
        renumber = np.where(keep, np.cumsum(keep) - 1, -1)
        labels = np.where(labels >= 0, renumber[np.maximum(labels, 0)], -1).astype(np.int32)
        area_ha = area_ha[keep]
        k_per_m = math.log(2.0) / self.median_dispersal_m
        cutoff_cells = -math.log(self.P_MIN) / k_per_m / cell_m
        gaps_m = patch_gaps(labels, len(area_ha), cutoff_cells) * cell_m
        return probability_of_connectivity(area_ha, np.exp(-k_per_m * gaps_m), landscape_ha)

    def step(self, board: Board) -> None:
        mask = board["grid_habitat_quality"] >= self.patch_quality_min
        cell_m = float(board["grid_cell_m"])
        if self._mask is None or self._cell_m != cell_m or self._mask.shape != mask.shape \
                or not np.array_equal(mask, self._mask):
            pc, eca = self.connectivity(mask, cell_m)
            self._mask, self._cell_m = mask, cell_m
            self._result = (np.array(pc), np.array(eca))
        board["indicator.connectivity_pc"], board["indicator.connectivity_eca_ha"] = self._result
