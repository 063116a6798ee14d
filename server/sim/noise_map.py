"""Road noise on the grid: each link a line source, spread by geometric divergence.

A link of sound power L'_W (dB(A) per metre, from noise.py) is a row of incoherent point
sources; a point of power W at distance r gives W / (4 pi r^2) (the "20 lg r + 11" of
spherical spreading). Integrated along a straight segment seen from a receiver at
perpendicular distance d under the angles t1 < t2 from the perpendicular, the intensity is
W' (t2 - t1) / (4 pi d): the finite line-source form of the same law (an infinite road
gives L'_W - 10 lg(4 d)). Simple ground: over hard ground (paved, built, water) the
ground reflects and adds 3 dB; over soft ground (grass, park, woodland) it absorbs and adds
nothing. Levels are the hour's LAeq; Lden from a simulated day of them comes next.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from agora.server.sim.noise import NO_SOUND_DB
from agora.server.sim.pipeline import Board

MIN_DISTANCE_M = 5.0  # a receiver stands at least at the kerb, not on the centre line
CUTOFF_M = 400.0  # beyond this a street adds less than a hundredth of its level at 10 m
QUIET_DB = 0.0  # a cell no road reaches


@njit(cache=True, nogil=True)
def noise_grid(
    origin_x_m: float,
    origin_y_m: float,
    cell_m: float,
    height: int,
    width: int,
    ax: np.ndarray,
    ay: np.ndarray,
    bx: np.ndarray,
    by: np.ndarray,
    power_dba_m: np.ndarray,
    reflecting: np.ndarray,
    cutoff_m: float,
) -> np.ndarray:
    """LAeq at every cell centre, dB(A), float64[height, width].

    Segments from (ax, ay) to (bx, by) in metres, float64[L]; power_dba_m float64[L]
    (NO_SOUND_DB for silent links); reflecting bool[height, width], hard ground.
    """
    energy = np.zeros((height, width))
    for k in range(ax.shape[0]):
        if power_dba_m[k] <= NO_SOUND_DB:
            continue
        w = 10.0 ** (power_dba_m[k] / 10.0)
        dx, dy = bx[k] - ax[k], by[k] - ay[k]
        length = math.sqrt(dx * dx + dy * dy)
        if length <= 0.0:
            continue
        ux, uy = dx / length, dy / length
        c0 = max(0, int((min(ax[k], bx[k]) - cutoff_m - origin_x_m) / cell_m))
        c1 = min(width - 1, int((max(ax[k], bx[k]) + cutoff_m - origin_x_m) / cell_m))
        r0 = max(0, int((min(ay[k], by[k]) - cutoff_m - origin_y_m) / cell_m))
        r1 = min(height - 1, int((max(ay[k], by[k]) + cutoff_m - origin_y_m) / cell_m))
        for r in range(r0, r1 + 1):
            py = origin_y_m + (r + 0.5) * cell_m
            for c in range(c0, c1 + 1):
                px = origin_x_m + (c + 0.5) * cell_m
                # Along-road coordinates of the segment ends from the receiver's foot point.
                s = (px - ax[k]) * ux + (py - ay[k]) * uy
                d = abs((px - ax[k]) * uy - (py - ay[k]) * ux)
                if d > cutoff_m:
                    continue
                d = max(d, MIN_DISTANCE_M)
                angle = math.atan((length - s) / d) - math.atan(-s / d)
                energy[r, c] += w * angle / (4.0 * math.pi * d)
    out = np.full((height, width), QUIET_DB)
    for r in range(height):
        for c in range(width):
            if energy[r, c] > 0.0:
                level = 10.0 * math.log10(energy[r, c])
                out[r, c] = level + (3.0 if reflecting[r, c] else 0.0)
    return out


class NoiseMap:
    """Pipeline module: `grid_noise_laeq_dba` (float32[H, W]), the hour's LAeq per cell.

    The map is redrawn only when some link's sound power moved by `redraw_db` or more
    since the last drawing (kept on the board as `noise_map_power_dba_m`, so replay and
    the state hash see the same decision): once traffic settles, noise costs nothing.
    """

    redraw_db = 0.1

    name = "noise_map"
    inputs = ("node_x_m", "node_y_m", "link_from", "link_to", "link_sound_power_dba_m", "grid_soft_ground",
              "grid_origin_m", "grid_cell_m")
    outputs = ("grid_noise_laeq_dba", "noise_map_power_dba_m")

    def step(self, board: Board) -> None:
        power = board["link_sound_power_dba_m"]
        drawn = board.get("noise_map_power_dba_m")
        if drawn is not None and drawn.shape == power.shape and np.max(np.abs(power - drawn), initial=0.0) < self.redraw_db:
            return
        soft = board["grid_soft_ground"]
        origin = board["grid_origin_m"]
        f, t = board["link_from"], board["link_to"]
        x, y = board["node_x_m"], board["node_y_m"]
        board["grid_noise_laeq_dba"] = noise_grid(
            float(origin[0]), float(origin[1]), float(board["grid_cell_m"]), soft.shape[0], soft.shape[1],
            x[f], y[f], x[t], y[t], power, ~soft, CUTOFF_M,
        ).astype(np.float32)
        board["noise_map_power_dba_m"] = power.copy()
