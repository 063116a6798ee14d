"""Road noise on the grid: each link a line source, spread by geometric divergence.

A link of sound power L'_W (dB(A) per metre, from noise.py) is a row of incoherent point
sources; a point of power W at distance r gives W / (4 pi r^2) (the "20 lg r + 11" of
spherical spreading). Integrated along a straight segment seen from a receiver at
perpendicular distance d under the angles t1 < t2 from the perpendicular, the intensity is
W' (t2 - t1) / (4 pi d): the finite line-source form of the same law (an infinite road
gives L'_W - 10 lg(4 d)). Simple ground: over hard ground (paved, built, water) the
ground reflects and adds 3 dB; over soft ground (grass, park, woodland) it absorbs and adds
nothing. Levels are the hour's LAeq.

Lden and Lnight (Directive 2002/49/EC, Annex I: day 07-19 h, evening 19-23 h with +5 dB,
night 23-07 h with +10 dB) need a whole day, and a session simulates an hour or two. The
day comes from the demand's profile of car trips over the 24 hours: at a fixed speed a
road's sound energy is proportional to its flow, so hour h's level is the current hour's
plus 10 lg(q_h / q_now), and
    Lden = LAeq_now + 10 lg( sum_h w_h q_h / (24 q_now) ),  w_h = 1, 10^0.5 or 10^1,
the same correction for every cell. It ignores that night traffic runs faster (louder per
vehicle, by up to 2-3 dB at 30 vs 50 km/h) and that the profile of each road differs from
the town's: a screening estimate, in the spirit of the default diurnal distributions that
CNOSSOS-EU and the German RLS-19 let a modeller use when no hourly counts exist.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit, prange

from agora.server.sim.noise import NO_SOUND_DB
from agora.server.sim.pipeline import Board

MIN_DISTANCE_M = 5.0  # a receiver stands at least at the kerb, not on the centre line
CUTOFF_M = 400.0  # beyond this a street adds less than a hundredth of its level at 10 m
QUIET_DB = 0.0  # a cell no road reaches
# Directive 2002/49/EC, Annex I: the hours of day (07-19), evening (19-23) and night (23-07)
# and their penalties in Lden.
LDEN_PENALTY_DB = np.array([10.0] * 7 + [0.0] * 12 + [5.0] * 4 + [10.0])
NIGHT_HOURS = np.array([True] * 7 + [False] * 16 + [True])


def day_corrections_db(car_trips_by_hour: np.ndarray, hour: int) -> tuple[float, float]:
    """(Lden - LAeq_now, Lnight - LAeq_now), dB, from the day's traffic profile
    (float64[24], any unit) and the hour now (0..23). A silent hour makes every hour's level
    a multiple of nothing: then the hour is taken as an average one."""
    profile = np.asarray(car_trips_by_hour, dtype=np.float64)
    now = float(profile[hour])
    if now <= 0.0 or profile.sum() <= 0.0:
        now = float(profile.mean()) if profile.sum() > 0.0 else 1.0
        profile = profile if profile.sum() > 0.0 else np.ones(24)
    lden = 10.0 * math.log10(float((profile * 10.0 ** (LDEN_PENALTY_DB / 10.0)).sum()) / (24.0 * now))
    lnight = 10.0 * math.log10(max(float(profile[NIGHT_HOURS].mean()), 1e-300) / now)
    return lden, lnight


def lden_from_hours(laeq_by_hour_db: np.ndarray) -> np.ndarray:
    """Lden from 24 hourly LAeq values (float64[24, ...], dB): Directive 2002/49/EC, Annex I."""
    weighted = 10.0 ** ((laeq_by_hour_db + LDEN_PENALTY_DB.reshape((24,) + (1,) * (laeq_by_hour_db.ndim - 1))) / 10.0)
    out: np.ndarray = 10.0 * np.log10(weighted.mean(axis=0))
    return out


BAND_ROWS = 16  # rows per parallel band: each thread owns whole bands of the energy grid


@njit(cache=True, nogil=True, parallel=True)
def add_line_sources(
    energy: np.ndarray,
    origin_x_m: float,
    origin_y_m: float,
    cell_m: float,
    ax: np.ndarray,
    ay: np.ndarray,
    bx: np.ndarray,
    by: np.ndarray,
    weight: np.ndarray,
    cutoff_m: float,
) -> None:
    """Add each segment's intensity, times its weight, to energy float64[H, W] in place.

    Segments from (ax, ay) to (bx, by) in metres, float64[K]; weight float64[K] the sound
    power per metre as energy, 10^(L'_W/10), or a difference of two such powers. Rows are
    split into bands, one thread a band, every band visiting the segments in the same order:
    the sums do not depend on the number of threads.
    """
    height, width = energy.shape
    n_bands = (height + BAND_ROWS - 1) // BAND_ROWS
    for band in prange(n_bands):
        band_r0 = band * BAND_ROWS
        band_r1 = min(height, band_r0 + BAND_ROWS) - 1
        for k in range(ax.shape[0]):
            w = weight[k]
            if w == 0.0:
                continue
            dx, dy = bx[k] - ax[k], by[k] - ay[k]
            length = math.sqrt(dx * dx + dy * dy)
            if length <= 0.0:
                continue
            r0 = max(band_r0, int((min(ay[k], by[k]) - cutoff_m - origin_y_m) / cell_m))
            r1 = min(band_r1, int((max(ay[k], by[k]) + cutoff_m - origin_y_m) / cell_m))
            if r0 > r1:
                continue
            ux, uy = dx / length, dy / length
            y_low, y_high = min(ay[k], by[k]), max(ay[k], by[k])
            x_low, x_high = min(ax[k], bx[k]), max(ax[k], bx[k])
            for r in range(r0, r1 + 1):
                py = origin_y_m + (r + 0.5) * cell_m
                # Only the columns the cutoff circle around the segment can reach in this row.
                gap = max(0.0, y_low - py, py - y_high)
                if gap > cutoff_m:
                    continue
                half = math.sqrt(cutoff_m * cutoff_m - gap * gap)
                c0 = max(0, int((x_low - half - origin_x_m) / cell_m))
                c1 = min(width - 1, int((x_high + half - origin_x_m) / cell_m))
                for c in range(c0, c1 + 1):
                    px = origin_x_m + (c + 0.5) * cell_m
                    # Along-road coordinate of the receiver's foot point, and its distance.
                    s = (px - ax[k]) * ux + (py - ay[k]) * uy
                    d = abs((px - ax[k]) * uy - (py - ay[k]) * ux)
                    if d > cutoff_m:
                        continue
                    d = max(d, MIN_DISTANCE_M)
                    # The angle the segment subtends, atan((L - s)/d) + atan(s/d), in one atan2.
                    angle = math.atan2(length * d, d * d + s * s - s * length)
                    energy[r, c] += w * angle / (4.0 * math.pi * d)


@njit(cache=True, nogil=True)
def levels_db(energy: np.ndarray, reflecting: np.ndarray) -> np.ndarray:
    """LAeq, dB(A), float32[H, W] from energy float64[H, W]; +3 dB over hard ground, QUIET_DB
    where no road is heard (energy below 10^-3, i.e. -30 dB, is taken as rounding left over
    from roads that fell silent)."""
    height, width = energy.shape
    out = np.full((height, width), np.float32(QUIET_DB))
    for r in range(height):
        for c in range(width):
            if energy[r, c] > 1e-3:
                level = 10.0 * math.log10(energy[r, c])
                out[r, c] = level + (3.0 if reflecting[r, c] else 0.0)
    return out


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
    """LAeq at every cell centre, dB(A), float32[height, width], drawn from scratch.

    power_dba_m float64[L] (NO_SOUND_DB for silent links); reflecting bool[height, width].
    """
    energy = np.zeros((height, width))
    add_line_sources(energy, origin_x_m, origin_y_m, cell_m, ax, ay, bx, by, _energy(power_dba_m), cutoff_m)
    return levels_db(energy, reflecting)


def _energy(power_dba_m: np.ndarray) -> np.ndarray:
    out: np.ndarray = np.where(power_dba_m > NO_SOUND_DB, 10.0 ** (power_dba_m / 10.0), 0.0)
    return out


class NoiseMap:
    """Pipeline module: the noise maps and who lives in them.

    Writes `grid_noise_laeq_dba` (float32[H, W], the hour's LAeq), `grid_noise_lden_dba`
    and `grid_noise_lnight_dba` (float32[H, W], estimated for the day as the module
    docstring says; 0 where no road reaches), and the residents above the WHO guidelines
    for road traffic noise, `indicator.residents_above_who_lden` and
    `indicator.residents_above_who_lnight` (0-d float64).

    Only the links whose sound power moved by `redraw_db` or more since they were last drawn
    are drawn again, as their change of energy added to the sound energy map
    (`noise_map_energy`, float64[H, W]); the powers as drawn are kept too
    (`noise_map_power_dba_m`), both on the board so that replay and the state hash see the
    same decisions. Half a decibel is below what the map can show (it travels in 1 dB steps)
    and well inside CNOSSOS-EU's own uncertainty. At most `max_links_per_tick` links are
    drawn in one tick, the largest changes first: when every road moves at once (a new
    hour of demand on a large world) the map catches up over a few ticks instead of
    stalling one.
    """

    redraw_db = 0.5
    max_links_per_tick = 1000

    name = "noise_map"
    inputs = ("node_x_m", "node_y_m", "link_from", "link_to", "link_sound_power_dba_m", "grid_soft_ground",
              "grid_origin_m", "grid_cell_m", "grid_residents", "clock_hour", "demand_car_trips_by_hour")
    outputs = ("grid_noise_laeq_dba", "noise_map_power_dba_m", "noise_map_energy", "grid_noise_lden_dba", "grid_noise_lnight_dba",
               "indicator.residents_above_who_lden", "indicator.residents_above_who_lnight")

    def __init__(self, p: dict[str, Any]) -> None:
        self.who_lden_dba = float(p["who_lden_dba"])
        self.who_lnight_dba = float(p["who_lnight_dba"])

    def step(self, board: Board) -> None:
        self._draw(board)
        laeq = board["grid_noise_laeq_dba"]
        lden_db, lnight_db = day_corrections_db(board["demand_car_trips_by_hour"], int(float(board["clock_hour"])) % 24)
        heard = laeq > QUIET_DB
        lden = np.where(heard, laeq + np.float32(lden_db), np.float32(QUIET_DB)).astype(np.float32)
        lnight = np.where(heard, laeq + np.float32(lnight_db), np.float32(QUIET_DB)).astype(np.float32)
        residents = board["grid_residents"]
        board["grid_noise_lden_dba"] = lden
        board["grid_noise_lnight_dba"] = lnight
        board["indicator.residents_above_who_lden"] = np.array(float(residents[lden > self.who_lden_dba].sum()))
        board["indicator.residents_above_who_lnight"] = np.array(float(residents[lnight > self.who_lnight_dba].sum()))

    def _draw(self, board: Board) -> None:
        power = board["link_sound_power_dba_m"]
        drawn = board.get("noise_map_power_dba_m")
        energy = board.get("noise_map_energy")
        soft = board["grid_soft_ground"]
        if drawn is None or energy is None or drawn.shape != power.shape or energy.shape != soft.shape:
            energy = np.zeros(soft.shape)
            moved = np.arange(power.shape[0])
            weight = _energy(power)
            drawn = power.copy()
        else:
            change = np.abs(power - drawn)
            moved = np.flatnonzero(change >= self.redraw_db)
            if moved.size == 0:
                return
            if moved.size > self.max_links_per_tick:
                # The loudest changes first; the rest follow on the next ticks.
                order = np.argsort(-change[moved], kind="stable")
                moved = np.sort(moved[order[: self.max_links_per_tick]])
            energy = energy.copy()
            weight = _energy(power[moved]) - _energy(drawn[moved])
            drawn = drawn.copy()
            drawn[moved] = power[moved]
        origin = board["grid_origin_m"]
        f, t = board["link_from"], board["link_to"]
        x, y = board["node_x_m"], board["node_y_m"]
        add_line_sources(energy, float(origin[0]), float(origin[1]), float(board["grid_cell_m"]),
                         x[f[moved]], y[f[moved]], x[t[moved]], y[t[moved]], weight, CUTOFF_M)
        board["noise_map_energy"] = energy
        board["noise_map_power_dba_m"] = drawn
        board["grid_noise_laeq_dba"] = levels_db(energy, ~soft)
