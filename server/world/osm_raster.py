"""Drawing polygons and lines of metres onto a grid of cells (row 0 south, column 0 west).

    share = np.zeros((layers, height, width))
    fill_polygons(x, y, ring_first, polygon_first, layer, weight, cell_m, samples, share)
    hit = draw_lines(x0, y0, x1, y1, cell_m, (height, width))

Polygons are filled by sampling: each cell holds samples x samples points on a regular
lattice, and a polygon adds its weight times the share of those points inside it (even-odd
rule over its rings, so holes and multipolygons need no special case). Scanlines run
along the sample rows: per row, the crossings of the polygon's edges, sorted, bound the
spans inside.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def fill_polygons(
    x: np.ndarray,
    y: np.ndarray,
    ring_first: np.ndarray,
    polygon_first: np.ndarray,
    layer: np.ndarray,
    weight: np.ndarray,
    cell_m: float,
    samples: int,
    out: np.ndarray,
) -> None:
    """Add each polygon's weight x covered share to out[layer, row, col], in place.

    x, y float64[V] vertices in metres from the grid's south-west corner, rings closed (last
    vertex = first); ring_first int64[R+1] ring r is vertices ring_first[r]:ring_first[r+1];
    polygon_first int64[P+1] polygon p is rings polygon_first[p]:polygon_first[p+1]; layer
    int64[P]; weight float64[P]; out float64[K, H, W].
    """
    _, h, w = out.shape
    step = cell_m / samples
    per_sample = 1.0 / (samples * samples)
    rows, cols = h * samples, w * samples
    for p in range(polygon_first.shape[0] - 1):
        v0 = ring_first[polygon_first[p]]
        v1 = ring_first[polygon_first[p + 1]]
        if v1 - v0 < 4:
            continue
        y_min = y[v0:v1].min()
        y_max = y[v0:v1].max()
        j0 = max(0, int(math.ceil(y_min / step - 0.5)))
        j1 = min(rows - 1, int(math.floor(y_max / step - 0.5)))
        crossings = np.empty(v1 - v0, np.float64)
        k_layer = layer[p]
        add = weight[p] * per_sample
        for j in range(j0, j1 + 1):
            yc = (j + 0.5) * step
            n = 0
            for r in range(polygon_first[p], polygon_first[p + 1]):
                for v in range(ring_first[r], ring_first[r + 1] - 1):
                    ya = y[v]
                    yb = y[v + 1]
                    if (ya <= yc) != (yb <= yc):
                        crossings[n] = x[v] + (yc - ya) * (x[v + 1] - x[v]) / (yb - ya)
                        n += 1
            if n < 2:
                continue
            spans = np.sort(crossings[:n])
            row = j // samples
            for k in range(0, n - 1, 2):
                i0 = max(0, int(math.ceil(spans[k] / step - 0.5)))
                i1 = min(cols - 1, int(math.ceil(spans[k + 1] / step - 0.5)) - 1)
                for i in range(i0, i1 + 1):
                    out[k_layer, row, i // samples] += add


def polygons_to_arrays(polygons: list[list[tuple[np.ndarray, np.ndarray]]]) -> tuple[np.ndarray, ...]:
    """(x, y, ring_first, polygon_first) for fill_polygons from lists of (x, y) rings."""
    rings = [ring for polygon in polygons for ring in polygon]
    sizes = np.array([r[0].size for r in rings], dtype=np.int64)
    ring_first = np.zeros(len(rings) + 1, dtype=np.int64)
    ring_first[1:] = np.cumsum(sizes)
    polygon_first = np.zeros(len(polygons) + 1, dtype=np.int64)
    polygon_first[1:] = np.cumsum([len(p) for p in polygons])
    x = np.concatenate([r[0] for r in rings]) if rings else np.zeros(0)
    y = np.concatenate([r[1] for r in rings]) if rings else np.zeros(0)
    return x.astype(np.float64), y.astype(np.float64), ring_first, polygon_first


def draw_lines(x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray, cell_m: float,
               shape: tuple[int, int]) -> np.ndarray:
    """bool[H, W]: the cells that segments (x0, y0)-(x1, y1) in metres pass through, sampled
    every quarter cell (so a line leaves no diagonal gap a 4-connected fill could cross)."""
    hit = np.zeros(shape, dtype=np.bool_)
    if x0.size == 0:
        return hit
    length = np.hypot(x1 - x0, y1 - y0)
    n = np.ceil(length / (cell_m / 4.0)).astype(np.int64) + 1
    seg = np.repeat(np.arange(x0.size), n)
    start = np.repeat(np.cumsum(n) - n, n)
    t = (np.arange(seg.size) - start) / np.maximum(n[seg] - 1, 1)
    px = x0[seg] + (x1[seg] - x0[seg]) * t
    py = y0[seg] + (y1[seg] - y0[seg]) * t
    col = np.floor(px / cell_m).astype(np.int64)
    row = np.floor(py / cell_m).astype(np.int64)
    ok = (row >= 0) & (row < shape[0]) & (col >= 0) & (col < shape[1])
    hit[row[ok], col[ok]] = True
    # A step from one cell to a diagonal neighbour also marks the cell beside it.
    r2, c2 = row[1:], col[1:]
    r1, c1 = row[:-1], col[:-1]
    diag = (seg[1:] == seg[:-1]) & (r1 != r2) & (c1 != c2)
    rr, cc = r1[diag], c2[diag]
    ok = (rr >= 0) & (rr < shape[0]) & (cc >= 0) & (cc < shape[1])
    hit[rr[ok], cc[ok]] = True
    return hit


@njit(cache=True, nogil=True)
def label_regions(free: np.ndarray) -> np.ndarray:
    """4-connected regions of free cells (bool[H, W]) labelled 0, 1, ... in scan order; -1 elsewhere."""
    h, w = free.shape
    label = np.full((h, w), -1, np.int64)
    queue = np.empty(h * w, np.int64)
    count = 0
    for start in range(h * w):
        r0, c0 = start // w, start % w
        if not free[r0, c0] or label[r0, c0] >= 0:
            continue
        label[r0, c0] = count
        head, tail = 0, 1
        queue[0] = start
        while head < tail:
            cell = queue[head]
            head += 1
            r, c = cell // w, cell % w
            for dr, dc in ((1, 0), (-1, 0), (0, 1), (0, -1)):
                nr, nc = r + dr, c + dc
                if 0 <= nr < h and 0 <= nc < w and free[nr, nc] and label[nr, nc] < 0:
                    label[nr, nc] = count
                    queue[tail] = nr * w + nc
                    tail += 1
        count += 1
    return label
