"""Habitat quality as in InVEST's Habitat Quality model, under the town's threats.

What InVEST (3.13 and later, natcap/invest src/natcap/invest/habitat_quality.py) computes:
for each threat r a raster whose nonzero cells are the threat's sources; the Euclidean
distance d from every cell to the NEAREST source cell (pygeoprocessing's exact distance
transform, in pixels; max_dist, given in km, is turned into pixels by the pixel size); an
impact i_r = 1 - d/dmax (linear) or exp(-2.99 d/dmax) (exponential), set to 0 where
d > dmax; then per cell of land use j

    D = access * sum_r (w_r / sum_r' w_r') * S_jr * i_r
    Q = H_j * (1 - D^z / (D^z + k^z)),  z = 2.5

with H_j the habitat suitability, S_jr the sensitivity, w_r the threat weights normalised
by their sum over ALL threats of the table, access in [0, 1] (1 where no polygon). The
threat rasters' values only say where the threat is: 0.5 and 1 give the same result (its
regression test passes with both), and the user guide's r_y intensity and sum over source
cells are gone since 3.13 (ADR-0003: the convolution of 3.3-3.12 was reverted). The same
sums as InVEST's regression case are reproduced in tests/sim/test_habitat.py.

Here, the same formulas with: distances in metres (cells times the cell size, what
InVEST's pixel units amount to); no access layer (access = 1: no protected areas yet);
five threats, each a mask: busy and quiet roads (car links drawn onto the cells they cross,
split by two-way flow as the guide's example splits paved from dirt roads), built land, and
noise and NO2 above thresholds. Parameters and sources: rules/habitat.toml [habitat].

A threat reaches a few hundred metres, so a cell's impact only needs the sources within
that reach: exact squared distances by a column pass and a search along the row, and the
impact looked up by squared distance. A tick recomputes impacts only around the cells whose
mask changed (grouped into clusters of tiles, each cluster's box grown by the reach), and D
and Q only there; a tick where nothing changed reuses the last quality. Every cell gets the
same value as a recomputation of the whole grid would give it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit

from agora.server.sim.pipeline import Board
from agora.server.sim.road_raster import RoadRaster, count_links, reclassify_links
from agora.server.world.types import LandUse

Z = 2.5  # InVEST's hard-coded scaling exponent (user guide eq. 4)
EXP_DECAY = 2.99  # exponential decay to 5% at the maximum distance (user guide eq. 2)
THREATS = ("busy_roads", "quiet_roads", "built", "noise", "no2")
BUSY, QUIET, BUILT, NOISE, NO2 = range(len(THREATS))
DECAYS = ("linear", "exponential")
N_LAND_USES = len(LandUse)
TILE = 8  # changed cells are grouped by 8 x 8 tiles into clusters, each one window


@njit(cache=True, nogil=True)
def squared_distance_within(mask: np.ndarray, r0: int, r1: int, c0: int, c1: int, reach: int) -> np.ndarray:
    """Exact squared Euclidean distance, in cells^2, from each cell of the window rows r0:r1,
    columns c0:c1 to the nearest True cell of mask (bool[H, W], anywhere in the grid), capped
    at reach^2 (no source nearer than reach cells): int32[r1 - r0, c1 - c0]. The nearest
    source of each column within reach (two sweeps), then a search along the row."""
    h, w = mask.shape
    s0, s1 = max(c0 - reach, 0), min(c1 + reach, w)
    n, m = s1 - s0, c1 - c0
    far = np.int32(reach * reach)
    out = np.empty((r1 - r0, m), dtype=np.int32)
    above = np.empty((r1 - r0, n), dtype=np.int32)  # rows up to the nearest source at or above
    g2 = np.empty(n, dtype=np.int32)
    last = np.full(n, -reach - 1, dtype=np.int32)
    for r in range(max(r0 - reach, 0), r1):
        mr = mask[r, s0:s1]
        for j in range(n):  # branch-free, so that it vectorises
            last[j] = r if mr[j] else last[j]
        if r >= r0:
            ar = above[r - r0]
            for j in range(n):
                ar[j] = min(r - last[j], reach)
    below = np.full(n, h + reach, dtype=np.int32)
    for r in range(min(r1 + reach, h) - 1, r0 - 1, -1):
        mr = mask[r, s0:s1]
        for j in range(n):
            below[j] = r if mr[j] else below[j]
        if r < r1:
            ar = above[r - r0]
            for j in range(n):
                g = min(ar[j], below[j] - r)
                g2[j] = g * g if g < reach else far
            best = out[r - r0]
            best[:] = far
            for dc in range(1 - reach, reach):
                off = c0 - s0 + dc
                lo, hi = max(0, -off), min(m, n - off)
                src, dst, dd = g2[lo + off:hi + off], best[lo:hi], np.int32(dc * dc)
                for k in range(hi - lo):
                    dst[k] = min(dst[k], src[k] + dd)
    return out


def impact_table(max_distance_m: float, cell_m: float, exponential: bool) -> tuple[int, np.ndarray]:
    """(reach in cells, float32[reach^2 + 1]): i_r by squared distance in cells^2, 0 at
    reach^2 and beyond (reach = the first whole number of cells past dmax)."""
    reach = int(max_distance_m / cell_m) + 1
    d_m = np.sqrt(np.arange(reach * reach + 1, dtype=np.float64)) * cell_m
    if exponential:
        impact = np.exp(-EXP_DECAY * d_m / max_distance_m)
    else:
        impact = (max_distance_m - d_m) / max_distance_m
    return reach, np.where(d_m > max_distance_m, 0.0, impact).astype(np.float32)


@njit(cache=True, nogil=True)
def impact_window(mask: np.ndarray, window: np.ndarray, reach: int, table: np.ndarray, out: np.ndarray) -> None:
    """InVEST's i_r into out (float32[H, W]) on the window int64[4] (r0, r1, c0, c1), from
    the sources in mask (bool[H, W]) and the table of impact_table."""
    r0, r1, c0, c1 = window[0], window[1], window[2], window[3]
    d2 = squared_distance_within(mask, r0, r1, c0, c1, reach)
    for r in range(r1 - r0):
        row, dr = out[r0 + r], d2[r]
        for c in range(c1 - c0):
            row[c0 + c] = table[dr[c]]


def threat_impact(mask: np.ndarray, max_distance_m: float, cell_m: float, exponential: bool) -> np.ndarray:
    """InVEST's i_r on every cell: float32[H, W] in [0, 1] from the sources in mask (bool[H, W]);
    linear 1 - d/dmax or exponential exp(-2.99 d/dmax), 0 beyond dmax (metres)."""
    reach, table = impact_table(max_distance_m, cell_m, exponential)
    out = np.empty(mask.shape, dtype=np.float32)
    impact_window(np.ascontiguousarray(mask, dtype=np.bool_), np.array([0, mask.shape[0], 0, mask.shape[1]]),
                  reach, table, out)
    return out


@njit(cache=True, nogil=True, error_model="numpy")
def combine_window(impacts: np.ndarray, weighted: np.ndarray, suitability: np.ndarray, land_use: np.ndarray,
                   access: np.ndarray, half_saturation: float, window: np.ndarray, degradation: np.ndarray,
                   quality: np.ndarray) -> None:
    """D and Q into degradation and quality (float32[H, W]) on the window int64[4] (r0, r1,
    c0, c1), from impacts float32[R, H, W], weighted float64[R, n_land_uses] (normalised
    weight times sensitivity), suitability float64[n_land_uses], land_use uint8[H, W] and
    access float32[H, W]. Row by row, the look-ups by land use in loops of their own, so
    that the arithmetic spreads over the SIMD lanes."""
    kz = half_saturation ** Z
    c0, c1 = window[2], window[3]
    d, looked_up = np.empty(c1 - c0), np.empty(c1 - c0)
    for r in range(window[0], window[1]):
        lu = land_use[r, c0:c1]
        d[:] = 0.0
        for t in range(impacts.shape[0]):
            table, impact = weighted[t], impacts[t, r, c0:c1]
            for k in range(lu.shape[0]):
                looked_up[k] = table[lu[k]]
            for k in range(lu.shape[0]):
                d[k] += looked_up[k] * impact[k]
        for k in range(lu.shape[0]):
            looked_up[k] = suitability[lu[k]]
        ar, dr, qr = access[r, c0:c1], degradation[r, c0:c1], quality[r, c0:c1]
        for k in range(lu.shape[0]):
            dk = d[k] * ar[k]
            dz = dk * dk * math.sqrt(dk)  # D^Z, Z = 2.5: pow costs five times as much
            dr[k] = dk
            qr[k] = looked_up[k] * (1.0 - dz / (dz + kz))


def degradation_and_quality(
    impacts: np.ndarray, weights: np.ndarray, sensitivity: np.ndarray, suitability: np.ndarray,
    land_use: np.ndarray, access: np.ndarray, half_saturation: float,
) -> tuple[np.ndarray, np.ndarray]:
    """D and Q (float32[H, W] each) from impacts float32[R, H, W], weights float64[R]
    (normalised: sum 1), sensitivity float64[R, n_land_uses], suitability float64[n_land_uses],
    land_use uint8[H, W] and access float32[H, W]."""
    shape = land_use.shape
    degradation, quality = np.empty(shape, dtype=np.float32), np.empty(shape, dtype=np.float32)
    combine_window(impacts, weights[:, None] * sensitivity, suitability, land_use, access, half_saturation,
                   np.array([0, shape[0], 0, shape[1]]), degradation, quality)
    return degradation, quality


@njit(cache=True, nogil=True)
def mask_changes(mask: np.ndarray, values: np.ndarray, threshold: float) -> np.ndarray:
    """Set mask (bool[H, W]) to values >= threshold (values any real [H, W]); the flat
    indices of the cells that changed, int64[]."""
    h, w = mask.shape
    changed = np.empty(16, dtype=np.int64)
    n = 0
    for r in range(h):
        mr, vr = mask[r], values[r]
        differs = False
        for c in range(w):
            differs |= mr[c] != (vr[c] >= threshold)
        if not differs:
            continue
        for c in range(w):
            now = vr[c] >= threshold
            if mr[c] != now:
                mr[c] = now
                if n == changed.shape[0]:
                    changed = np.concatenate((changed, np.empty(n, dtype=np.int64)))
                changed[n] = r * w + c
                n += 1
    return changed[:n]


@njit(cache=True, nogil=True)
def clusters(changed: np.ndarray, h: int, w: int, tile: int) -> np.ndarray:
    """Boxes int64[n, 4] (r0, r1, c0, c1) around the changed cells (flat indices, int64[]),
    one per 8-connected cluster of tile x tile tiles holding any."""
    th, tw = (h + tile - 1) // tile, (w + tile - 1) // tile
    box = np.empty((th * tw, 4), dtype=np.int64)
    hot = np.zeros(th * tw, dtype=np.bool_)
    for cell in changed:
        r, c = cell // w, cell % w
        t = (r // tile) * tw + c // tile
        if not hot[t]:
            hot[t] = True
            box[t, 0], box[t, 1], box[t, 2], box[t, 3] = r, r + 1, c, c + 1
        box[t, 0], box[t, 1] = min(box[t, 0], r), max(box[t, 1], r + 1)
        box[t, 2], box[t, 3] = min(box[t, 2], c), max(box[t, 3], c + 1)
    out = np.empty((th * tw, 4), dtype=np.int64)
    stack = np.empty(th * tw, dtype=np.int64)
    n = 0
    for start in range(th * tw):
        if not hot[start]:
            continue
        hot[start] = False
        out[n] = box[start]
        top = 0
        stack[0] = start
        while top >= 0:
            t = stack[top]
            top -= 1
            tr, tc = t // tw, t % tw
            out[n, 0], out[n, 1] = min(out[n, 0], box[t, 0]), max(out[n, 1], box[t, 1])
            out[n, 2], out[n, 3] = min(out[n, 2], box[t, 2]), max(out[n, 3], box[t, 3])
            for nr in range(max(tr - 1, 0), min(tr + 2, th)):
                for nc in range(max(tc - 1, 0), min(tc + 2, tw)):
                    if hot[nr * tw + nc]:
                        hot[nr * tw + nc] = False
                        top += 1
                        stack[top] = nr * tw + nc
        n += 1
    return out[:n].copy()


LANES = 8  # partial sums per row: independent, so that the sum spreads over the SIMD lanes


@njit(cache=True, nogil=True)
def row_sums(quality: np.ndarray, r0: int, r1: int, out: np.ndarray) -> None:
    """out[r] (float64[H]) = the sum of row r of quality (float32[H, W]) for r0 <= r < r1, in
    a fixed order: LANES partial sums of every LANES-th cell, then added up in turn."""
    w = quality.shape[1]
    partial = np.empty(LANES)
    for r in range(r0, r1):
        row = quality[r]
        partial[:] = 0.0
        for c in range(0, w - w % LANES, LANES):
            for lane in range(LANES):
                partial[lane] += row[c + lane]
        total = 0.0
        for lane in range(LANES):
            total += partial[lane]
        for c in range(w - w % LANES, w):
            total += row[c]
        out[r] = total


def _table(p: dict[str, Any], key: str) -> np.ndarray:
    values = np.asarray(p[key], dtype=np.float64)
    if values.shape != (N_LAND_USES,) or np.any(values < 0.0) or np.any(values > 1.0):
        raise ValueError(f"[habitat] {key} needs {N_LAND_USES} values in [0, 1], one per land use "
                         f"({', '.join(u.name for u in LandUse)}), not {p[key]!r}")
    return values


class Habitat:
    """Pipeline module: InVEST habitat quality under roads, built land, noise and NO2.

    Writes grid_habitat_quality and grid_habitat_degradation (float32[H, W], quality in
    [0, 1]; new arrays when they change, the same ones otherwise),
    indicator.habitat_quality_mean (0-d float64, mean quality over cells whose land use is
    habitat at all), and habitat_busy_link (bool[L], the busy/quiet split kept from tick to
    tick so that a street near the threshold does not flip every minute).
    """

    name = "habitat"
    inputs = ("grid_land_use", "grid_cell_m", "grid_origin_m", "grid_noise_laeq_dba", "grid_no2_ug_m3",
              "node_x_m", "node_y_m", "link_from", "link_to", "link_modes", "link_flow_veh_h")
    outputs = ("grid_habitat_quality", "grid_habitat_degradation", "indicator.habitat_quality_mean",
               "habitat_busy_link")

    def __init__(self, p: dict[str, Any]) -> None:
        weights, distances, exponential = [], [], []
        for threat in THREATS:
            decay = p[f"{threat}_decay"]
            if decay not in DECAYS:
                raise ValueError(f"[habitat] {threat}_decay must be one of {DECAYS}, not {decay!r}")
            if p[f"{threat}_max_distance_m"] <= 0.0 or p[f"{threat}_weight"] < 0.0:
                raise ValueError(f"[habitat] {threat} needs a max distance > 0 and a weight >= 0")
            weights.append(float(p[f"{threat}_weight"]))
            distances.append(float(p[f"{threat}_max_distance_m"]))
            exponential.append(decay == "exponential")
        total = sum(weights)
        if total <= 0.0:
            raise ValueError("[habitat] the threat weights sum to zero")
        self.weights = np.array(weights) / total
        self.max_distance_m = distances
        self.exponential = exponential
        self.suitability = _table(p, "habitat_suitability")
        self.sensitivity = np.stack([_table(p, f"sensitivity_{threat}") for threat in THREATS])
        self.weighted = self.weights[:, None] * self.sensitivity
        self.half_saturation = float(p["half_saturation_k"])
        self.busy_flow_veh_h = float(p["busy_road_flow_veh_h"])
        self.hysteresis = float(p["busy_road_hysteresis"])
        self.noise_threshold_dba = float(p["noise_threshold_dba"])
        self.no2_threshold_ug_m3 = float(p["no2_threshold_ug_m3"])
        self.built = np.zeros(N_LAND_USES, dtype=np.uint8)
        self.built[np.asarray(p["built_land_uses"], dtype=np.int64)] = 1
        self.roads = RoadRaster()
        # What the last tick left, all of it a function of the board's arrays (the grids'
        # last values and the split published as habitat_busy_link), kept to work out what
        # changed since.
        self._cell_m = 0.0
        self._tables: list[tuple[int, np.ndarray]] = []
        self._busy = np.zeros(0, dtype=bool)
        self._counts = np.zeros((2, 0), dtype=np.int32)  # busy and quiet car links on each cell
        self._masks = np.zeros((len(THREATS), 0, 0), dtype=bool)
        self._impacts = np.zeros((len(THREATS), 0, 0), dtype=np.float32)
        self._land_use = np.zeros((0, 0), dtype=np.uint8)
        self._access = np.zeros((0, 0), dtype=np.float32)
        self._row_sums = np.zeros(0)
        self._habitat_cells = 0
        self._result: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def busy_links(self, board: Board) -> np.ndarray:
        """Car links whose two-way flow is at the busy threshold (with the hysteresis band
        around the last tick's split)."""
        two_way = self.roads.two_way_flow(board["link_flow_veh_h"])
        busy = two_way >= self.busy_flow_veh_h * (1.0 + self.hysteresis)
        before = board.get("habitat_busy_link")
        if before is not None and before.shape == busy.shape:
            busy |= before & (two_way >= self.busy_flow_veh_h * (1.0 - self.hysteresis))
        else:
            busy = two_way >= self.busy_flow_veh_h
        return np.asarray(busy & self.roads.car)

    def step(self, board: Board) -> None:
        land_use = board["grid_land_use"]
        shape = (int(land_use.shape[0]), int(land_use.shape[1]))
        cell_m = float(board["grid_cell_m"])
        redrawn = self.roads.update(board, *shape)
        busy = self.busy_links(board)
        if redrawn or self._result is None or self._masks.shape[1:] != shape or self._cell_m != cell_m:
            self._start(board, land_use, busy, cell_m)
        else:
            self._follow(board, land_use, busy)
        assert self._result is not None
        board["grid_habitat_quality"], board["grid_habitat_degradation"], board["indicator.habitat_quality_mean"] = \
            self._result
        board["habitat_busy_link"] = busy

    def _start(self, board: Board, land_use: np.ndarray, busy: np.ndarray, cell_m: float) -> None:
        """Every threat's impact, D and Q on the whole grid."""
        h, w = land_use.shape
        self._cell_m = cell_m
        self._tables = [impact_table(d, cell_m, e) for d, e in zip(self.max_distance_m, self.exponential)]
        self._land_use = np.ascontiguousarray(land_use, dtype=np.uint8).copy()
        self._busy = busy.copy()
        self._counts = np.empty((2, h * w), dtype=np.int32)
        count_links(self.roads.first, self.roads.cells, busy, self.roads.car, self._counts)
        self._masks = np.empty((len(THREATS), h, w), dtype=bool)
        self._masks[BUSY] = (self._counts[0] > 0).reshape(h, w)
        self._masks[QUIET] = (self._counts[1] > 0).reshape(h, w)
        self._masks[BUILT] = self.built[land_use] > 0
        self._masks[NOISE] = board["grid_noise_laeq_dba"] >= self.noise_threshold_dba
        self._masks[NO2] = board["grid_no2_ug_m3"] >= self.no2_threshold_ug_m3
        self._impacts = np.empty((len(THREATS), h, w), dtype=np.float32)
        everything = np.array([0, h, 0, w])
        for i, (reach, table) in enumerate(self._tables):
            impact_window(self._masks[i], everything, reach, table, self._impacts[i])
        self._access = np.ones((h, w), dtype=np.float32)
        self._row_sums = np.zeros(h)
        self._habitat_cells = int(np.count_nonzero(self.suitability[land_use] > 0.0))
        self._combine(np.empty((h, w), dtype=np.float32), np.empty((h, w), dtype=np.float32), [everything])

    def _follow(self, board: Board, land_use: np.ndarray, busy: np.ndarray) -> None:
        """Impacts, D and Q only around the cells whose threats or land use changed."""
        h, w = land_use.shape
        changed: list[tuple[int, np.ndarray]] = []
        windows: list[np.ndarray] = []
        flipped = np.flatnonzero(busy != self._busy)
        if flipped.size:
            changed += zip((BUSY, QUIET), reclassify_links(
                self.roads.first, self.roads.cells, flipped, busy[flipped], self._counts,
                self._masks[BUSY].reshape(-1), self._masks[QUIET].reshape(-1)))
            self._busy = busy.copy()
        if not np.array_equal(land_use, self._land_use):
            moved = np.flatnonzero(land_use != self._land_use)
            windows += list(clusters(moved, h, w, TILE))  # suitability and sensitivity moved there
            self._land_use = np.ascontiguousarray(land_use, dtype=np.uint8).copy()
            self._habitat_cells = int(np.count_nonzero(self.suitability[land_use] > 0.0))
            changed.append((BUILT, mask_changes(self._masks[BUILT], self.built[land_use], 1.0)))
        noise, no2 = board["grid_noise_laeq_dba"], board["grid_no2_ug_m3"]
        changed.append((NOISE, mask_changes(self._masks[NOISE], noise, self.noise_threshold_dba)))
        changed.append((NO2, mask_changes(self._masks[NO2], no2, self.no2_threshold_ug_m3)))
        for i, cells in changed:
            if cells.size:
                windows += self._update_impact(i, cells)
        if windows:
            assert self._result is not None
            self._combine(self._result[0].copy(), self._result[1].copy(), windows)

    def _update_impact(self, i: int, cells: np.ndarray) -> list[np.ndarray]:
        """Threat i's impact around the cells (flat indices) whose mask changed: each
        cluster's box grown by the threat's reach, the windows returned."""
        h, w = self._land_use.shape
        reach, table = self._tables[i]
        boxes = clusters(cells, h, w, TILE) + np.array([-reach, reach, -reach, reach])
        boxes = np.clip(boxes, 0, np.array([h, h, w, w]))
        if int(((boxes[:, 1] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 2])).sum()) > h * w // 2:
            boxes = np.array([[0, h, 0, w]])
        for box in boxes:
            impact_window(self._masks[i], box, reach, table, self._impacts[i])
        return list(boxes)

    def _combine(self, quality: np.ndarray, degradation: np.ndarray, windows: list[np.ndarray]) -> None:
        """D and Q into the given arrays on the windows (overlaps are computed twice, to the
        same values), the mean quality from the sums of the rows."""
        h, w = quality.shape
        if sum(int((b[1] - b[0]) * (b[3] - b[2])) for b in windows) > h * w // 2:
            windows = [np.array([0, h, 0, w])]
        for box in windows:
            combine_window(self._impacts, self.weighted, self.suitability, self._land_use, self._access,
                           self.half_saturation, box, degradation, quality)
        row_sums(quality, min(b[0] for b in windows), max(b[1] for b in windows), self._row_sums)
        mean = float(self._row_sums.sum()) / self._habitat_cells if self._habitat_cells else 0.0
        self._result = (quality, degradation, np.array(mean))
