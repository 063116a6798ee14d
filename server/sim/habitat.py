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
Distances are recomputed only inside the window of cells a changed mask can reach (exact:
sources beyond a threat's reach do not count); a tick where no mask and no land use
changed reuses the last quality.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit

from agora.server.sim.pipeline import Board
from agora.server.sim.road_raster import RoadRaster, mark_cells
from agora.server.world.types import LandUse

Z = 2.5  # InVEST's hard-coded scaling exponent (user guide eq. 4)
EXP_DECAY = 2.99  # exponential decay to 5% at the maximum distance (user guide eq. 2)
THREATS = ("busy_roads", "quiet_roads", "built", "noise", "no2")
DECAYS = ("linear", "exponential")
N_LAND_USES = len(LandUse)


@njit(cache=True, nogil=True)
def _lower_envelope(f: np.ndarray, out: np.ndarray, v: np.ndarray, z: np.ndarray) -> None:
    """1-D squared distance transform of f (float64[n], np.inf where no source) into out:
    out[q] = min_p (q - p)^2 + f[p]. v int64[n], z float64[n + 1] are scratch."""
    n = f.shape[0]
    k = -1
    for q in range(n):
        if f[q] == np.inf:
            continue
        fq = f[q] + q * q
        while True:
            if k < 0:
                k = 0
                v[0] = q
                z[0] = -np.inf
                break
            p = v[k]
            s = (fq - (f[p] + p * p)) / (2.0 * (q - p))
            if s <= z[k]:
                k -= 1
                continue
            k += 1
            v[k] = q
            z[k] = s
            break
    if k < 0:
        out[:] = np.inf
        return
    z[k + 1] = np.inf
    j = 0
    for q in range(n):
        while z[j + 1] < q:
            j += 1
        p = v[j]
        out[q] = (q - p) * (q - p) + f[p]


@njit(cache=True, nogil=True)
def _column_distance(mask: np.ndarray) -> np.ndarray:
    """Cells to the nearest True cell of the same column (np.inf if none), float64[H, W]."""
    h, w = mask.shape
    col = np.empty((h, w))
    for c in range(w):
        col[0, c] = 0.0 if mask[0, c] else np.inf
    for r in range(1, h):
        for c in range(w):
            col[r, c] = 0.0 if mask[r, c] else col[r - 1, c] + 1.0
    for r in range(h - 2, -1, -1):
        for c in range(w):
            col[r, c] = min(col[r, c], col[r + 1, c] + 1.0)
    return col


@njit(cache=True, nogil=True)
def squared_distance_cells(mask: np.ndarray) -> np.ndarray:
    """Exact squared Euclidean distance, in cells^2, from every cell to the nearest True
    cell of mask (bool[H, W]); float64[H, W], np.inf everywhere if mask has no True cell.
    Columns by two sweeps, rows by the lower envelope of parabolas (Felzenszwalb &
    Huttenlocher, "Distance transforms of sampled functions", Theory of Computing 8, 2012)."""
    col = _column_distance(mask)
    h, w = mask.shape
    out = np.empty((h, w))
    v = np.empty(w, dtype=np.int64)
    z = np.empty(w + 1)
    f = np.empty(w)
    for r in range(h):
        for c in range(w):
            f[c] = col[r, c] * col[r, c]
        _lower_envelope(f, out[r], v, z)
    return out


@njit(cache=True, nogil=True)
def squared_distance_within(mask: np.ndarray, reach: int) -> np.ndarray:
    """As squared_distance_cells, but exact only up to `reach` cells (np.inf beyond): each
    cell looks along its row at most `reach` cells each way, cheaper for a short reach."""
    col = _column_distance(mask)
    h, w = mask.shape
    out = np.full((h, w), np.inf)
    for r in range(h):
        for c in range(w):
            g = col[r, c]
            if g <= reach:
                for cc in range(max(c - reach, 0), min(c + reach + 1, w)):
                    out[r, cc] = min(out[r, cc], (cc - c) * (cc - c) + g * g)
    return out


SHORT_REACH_CELLS = 5  # up to here the windowed search beats the lower envelope


@njit(cache=True, nogil=True)
def threat_impact(mask: np.ndarray, max_distance_m: float, cell_m: float, exponential: bool) -> np.ndarray:
    """InVEST's i_r on every cell: float32[H, W] in [0, 1] from the sources in mask (bool[H, W]);
    linear 1 - d/dmax or exponential exp(-2.99 d/dmax), 0 beyond dmax (metres)."""
    reach = int(max_distance_m / cell_m) + 1
    if reach <= SHORT_REACH_CELLS:
        d2 = squared_distance_within(mask, reach)
    else:
        d2 = squared_distance_cells(mask)
    h, w = mask.shape
    out = np.zeros((h, w), dtype=np.float32)
    for r in range(h):
        for c in range(w):
            if d2[r, c] == np.inf:
                continue
            d = math.sqrt(d2[r, c]) * cell_m
            if d > max_distance_m:
                continue
            if exponential:
                out[r, c] = math.exp(-EXP_DECAY * d / max_distance_m)
            else:
                out[r, c] = (max_distance_m - d) / max_distance_m
    return out


@njit(cache=True, nogil=True)
def degradation_and_quality(
    impacts: np.ndarray, weights: np.ndarray, sensitivity: np.ndarray, suitability: np.ndarray,
    land_use: np.ndarray, access: np.ndarray, half_saturation: float,
) -> tuple[np.ndarray, np.ndarray]:
    """D and Q (float32[H, W] each) from impacts float32[R, H, W], weights float64[R]
    (normalised: sum 1), sensitivity float64[R, n_land_uses], suitability float64[n_land_uses],
    land_use uint8[H, W] and access float32[H, W]."""
    n_threats, h, w = impacts.shape
    degradation = np.empty((h, w), dtype=np.float32)
    quality = np.empty((h, w), dtype=np.float32)
    kz = half_saturation ** Z
    for r in range(h):
        for c in range(w):
            j = land_use[r, c]
            d = 0.0
            for t in range(n_threats):
                d += weights[t] * sensitivity[t, j] * impacts[t, r, c]
            d *= access[r, c]
            dz = d ** Z
            degradation[r, c] = d
            quality[r, c] = suitability[j] * (1.0 - dz / (dz + kz))
    return degradation, quality


def _box(changed: np.ndarray) -> tuple[int, int, int, int] | None:
    """Rows r0:r1 and columns c0:c1 around the True cells, or None."""
    rows, cols = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
    return None if rows.size == 0 else (int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1)


def _table(p: dict[str, Any], key: str) -> np.ndarray:
    values = np.asarray(p[key], dtype=np.float64)
    if values.shape != (N_LAND_USES,) or np.any(values < 0.0) or np.any(values > 1.0):
        raise ValueError(f"[habitat] {key} needs {N_LAND_USES} values in [0, 1], one per land use "
                         f"({', '.join(u.name for u in LandUse)}), not {p[key]!r}")
    return values


class Habitat:
    """Pipeline module: InVEST habitat quality under roads, built land, noise and NO2.

    Writes grid_habitat_quality and grid_habitat_degradation (float32[H, W], quality in
    [0, 1]), indicator.habitat_quality_mean (0-d float64, mean quality over cells whose land
    use is habitat at all), and habitat_busy_link (bool[L], the busy/quiet split kept from
    tick to tick so that a street near the threshold does not flip every minute).
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
        self.half_saturation = float(p["half_saturation_k"])
        self.busy_flow_veh_h = float(p["busy_road_flow_veh_h"])
        self.hysteresis = float(p["busy_road_hysteresis"])
        self.noise_threshold_dba = float(p["noise_threshold_dba"])
        self.no2_threshold_ug_m3 = float(p["no2_threshold_ug_m3"])
        self.built = np.zeros(N_LAND_USES, dtype=bool)
        self.built[np.asarray(p["built_land_uses"], dtype=np.int64)] = True
        self.roads = RoadRaster()
        self._masks: dict[str, np.ndarray] = {}
        self._impacts: dict[str, np.ndarray] = {}
        self._land_use: np.ndarray | None = None
        self._built = np.zeros((0, 0), dtype=bool)
        self._habitat = np.zeros((0, 0), dtype=bool)
        self._cell_m = 0.0
        self._busy: np.ndarray | None = None
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

    def _road_masks(self, busy: np.ndarray, redrawn: bool, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        if not redrawn and self._busy is not None and np.array_equal(busy, self._busy):
            return self._masks["busy_roads"], self._masks["quiet_roads"]
        n = shape[0] * shape[1]
        on_busy = mark_cells(self.roads.first, self.roads.cells, busy, n).reshape(shape)
        on_quiet = mark_cells(self.roads.first, self.roads.cells, self.roads.car & ~busy, n).reshape(shape)
        self._busy = busy.copy()
        return on_busy, on_quiet

    def _update_impact(self, i: int, threat: str, mask: np.ndarray, cell_m: float,
                       full: bool) -> tuple[slice, slice] | None:
        """Recompute threat i's impact where its mask changed; the window of cells whose
        impact may have moved (the changed cells' bounding box grown by the threat's reach),
        or None. Sources farther than the reach cannot matter, so a window grown by twice
        the reach gives the exact impacts inside the first."""
        old = self._masks.get(threat)
        if old is mask and not full:
            return None
        h, w = mask.shape
        everything = (slice(0, h), slice(0, w))
        if full or old is None or old.shape != mask.shape:
            self._impacts[threat] = threat_impact(mask, self.max_distance_m[i], cell_m, self.exponential[i])
            self._masks[threat] = mask.copy()
            return everything
        box = _box(old != mask)
        if box is None:
            return None
        reach = math.ceil(self.max_distance_m[i] / cell_m) + 1
        r0, r1, c0, c1 = box
        source = (slice(max(r0 - 2 * reach, 0), min(r1 + 2 * reach, h)),
                  slice(max(c0 - 2 * reach, 0), min(c1 + 2 * reach, w)))
        window = (slice(max(r0 - reach, 0), min(r1 + reach, h)), slice(max(c0 - reach, 0), min(c1 + reach, w)))
        self._masks[threat] = mask.copy()
        if (source[0].stop - source[0].start) * (source[1].stop - source[1].start) > h * w // 2:
            self._impacts[threat] = threat_impact(mask, self.max_distance_m[i], cell_m, self.exponential[i])
            return everything
        sub = threat_impact(np.ascontiguousarray(mask[source]), self.max_distance_m[i], cell_m, self.exponential[i])
        impact = self._impacts[threat].copy()
        dr, dc = window[0].start - source[0].start, window[1].start - source[1].start
        impact[window] = sub[dr:dr + window[0].stop - window[0].start, dc:dc + window[1].stop - window[1].start]
        self._impacts[threat] = impact
        return window

    def step(self, board: Board) -> None:
        land_use = board["grid_land_use"]
        shape = (int(land_use.shape[0]), int(land_use.shape[1]))
        cell_m = float(board["grid_cell_m"])
        redrawn = self.roads.update(board, *shape)
        busy = self.busy_links(board)
        busy_mask, quiet_mask = self._road_masks(busy, redrawn, shape)
        old_land = self._land_use
        new_land = old_land is None or old_land.shape != land_use.shape or not np.array_equal(land_use, old_land)
        if new_land:
            self._land_use = land_use.copy()
            self._built = self.built[land_use]
            self._habitat = self.suitability[land_use] > 0.0
        masks = {
            "busy_roads": busy_mask,
            "quiet_roads": quiet_mask,
            "built": self._built,
            "noise": board["grid_noise_laeq_dba"] >= self.noise_threshold_dba,
            "no2": board["grid_no2_ug_m3"] >= self.no2_threshold_ug_m3,
        }
        full = redrawn or old_land is None or old_land.shape != land_use.shape or self._result is None \
            or self._cell_m != cell_m
        self._cell_m = cell_m
        windows = [self._update_impact(i, t, masks[t], cell_m, full) for i, t in enumerate(THREATS)]
        windows_moved = [w for w in windows if w is not None]
        if new_land and not full and old_land is not None:  # suitability and sensitivity moved there
            r0, r1, c0, c1 = _box(old_land != land_use) or (0, 0, 0, 0)
            windows_moved.append((slice(r0, r1), slice(c0, c1)))
        if full or windows_moved:
            self._combine(land_use, shape, windows_moved, full)
        assert self._result is not None
        quality, degradation, mean_quality = self._result
        board["grid_habitat_quality"] = quality
        board["grid_habitat_degradation"] = degradation
        board["indicator.habitat_quality_mean"] = mean_quality
        board["habitat_busy_link"] = busy

    def _combine(self, land_use: np.ndarray, shape: tuple[int, int], windows: list[tuple[slice, slice]],
                 full: bool) -> None:
        """D and Q over the union of the moved windows (everything when the grid is new)."""
        if full or self._result is None:
            window = (slice(0, shape[0]), slice(0, shape[1]))
            quality, degradation = np.empty(shape, np.float32), np.empty(shape, np.float32)
        else:
            window = (slice(min(w[0].start for w in windows), max(w[0].stop for w in windows)),
                      slice(min(w[1].start for w in windows), max(w[1].stop for w in windows)))
            quality, degradation = self._result[0].copy(), self._result[1].copy()
        impacts = np.stack([self._impacts[t][window] for t in THREATS])
        lu = np.ascontiguousarray(land_use[window])
        access = np.ones(lu.shape, dtype=np.float32)
        degradation[window], quality[window] = degradation_and_quality(
            impacts, self.weights, self.sensitivity, self.suitability, lu, access, self.half_saturation)
        mean = float(quality[self._habitat].mean(dtype=np.float64)) if self._habitat.any() else 0.0
        self._result = (quality, degradation, np.array(mean))
