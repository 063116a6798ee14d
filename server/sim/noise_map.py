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

Drawing is what a tick pays for when traffic moves: about a thousand cells a road. The
arctangent of the angle a road subtends and the logarithm of the levels are polynomials in
plain IEEE arithmetic instead of calls to libm, so that the loop over a row's cells runs in
SIMD lanes (six times faster) and gives the same bits on every machine; both are exact to
1e-12, and the map equals the one drawn with libm to the float32 it is kept in.
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
LANES = 8  # a row's cells are visited in multiples of this, so no SIMD lane is left to scalar code

# atan(a) = a + a^3 P(a^2) for |a| <= tan(pi/8): least-squares fit of (atan a - a)/a^3 at 2,000
# Chebyshev nodes, weighted to relative error; below 1e-12 relative (test_noise_map.py). Unlike
# libm's atan2 it is plain arithmetic, which the compiler can spread over the SIMD lanes.
TAN_PI_8 = math.sqrt(2.0) - 1.0
ATAN_P = (-0.33333333293483886, 0.19999994102111096, -0.14285415787295083, 0.11103874912122474,
          -0.08995751676346314, 0.06986657522297057, -0.03784916673678459)
P0, P1, P2, P3, P4, P5, P6 = ATAN_P


@njit(cache=True, nogil=True, inline="always", error_model="numpy")
def atan2_upper(y: float, x: float) -> float:
    """atan2(y, x) in radians, (0, pi), for y > 0 and any x, from IEEE arithmetic alone
    (same bits on every machine, and branch-free so that a loop of it vectorises)."""
    ax = abs(x)
    steep = y > ax
    num = ax if steep else y
    den = y if steep else ax
    # num / den lies in [0, 1]; above tan(pi/8) use atan q = pi/4 + atan((q - 1)/(q + 1)).
    shifted = num > TAN_PI_8 * den
    a = (num - den if shifted else num) / (num + den if shifted else den)
    z = a * a
    t = a + a * z * (P0 + z * (P1 + z * (P2 + z * (P3 + z * (P4 + z * (P5 + z * P6))))))
    t = t + 0.25 * math.pi if shifted else t
    t = 0.5 * math.pi - t if steep else t
    return math.pi - t if x < 0.0 else t


# Fewer segments than this are drawn on one thread: a tick's redraw (at most 1,000 roads,
# NoiseMap.max_links_per_tick) as well. A parallel region waits for its slowest thread, and on
# a machine shared with other work that cost more than it saved: 1,000 roads of the 512 x 512
# world took 7.2 ms on 2 threads and 4.3 ms on one, 2 cores at a load of 3.5. A whole world's
# first drawing (20,000 roads) is spread over the threads.
PARALLEL_LINKS = 2000


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
    """Add each segment's intensity, times its weight, to energy float64[H, W] (C order) in place.

    Segments from (ax, ay) to (bx, by) in metres, float64[K]; weight float64[K] the sound
    power per metre as energy, 10^(L'_W/10), or a difference of two such powers. A segment
    reaches the cells within cutoff_m of its line whose rows and columns lie within cutoff_m
    of its bounding box. Rows are split into bands, every band visiting the segments in the
    same order: the sums are the same whether the bands are drawn one after the other or,
    from PARALLEL_LINKS segments on, side by side on every thread.
    """
    bands = _draw_bands_in_parallel if ax.shape[0] >= PARALLEL_LINKS else _draw_bands
    bands(energy, origin_x_m, origin_y_m, cell_m, ax, ay, bx, by, weight, cutoff_m)


@njit(cache=True, nogil=True, error_model="numpy")
def draw_band(
    energy: np.ndarray,
    band: int,
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
    """add_line_sources on the rows of one band, band * BAND_ROWS onwards."""
    height, width = energy.shape
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
        r0 = max(band_r0, math.floor((min(ay[k], by[k]) - cutoff_m - origin_y_m) / cell_m))
        r1 = min(band_r1, math.floor((max(ay[k], by[k]) + cutoff_m - origin_y_m) / cell_m))
        if r0 > r1:
            continue
        ux, uy = dx / length, dy / length
        y_low, y_high = min(ay[k], by[k]), max(ay[k], by[k])
        x_low, x_high = min(ax[k], bx[k]), max(ax[k], bx[k])
        w_4pi = w / (4.0 * math.pi)
        for r in range(r0, r1 + 1):
            py = origin_y_m + (r + 0.5) * cell_m
            # Only the columns the cutoff circle around the segment can reach in this row.
            gap = max(0.0, y_low - py, py - y_high)
            if gap > cutoff_m:
                continue
            half = math.sqrt(cutoff_m * cutoff_m - gap * gap)
            c0 = max(0, math.floor((x_low - half - origin_x_m) / cell_m))
            c1 = min(width - 1, math.floor((x_high + half - origin_x_m) / cell_m))
            if c0 > c1:
                continue
            # A whole number of LANES columns (cells outside [c0, c1] get + 0), counted
            # from 0 so that the compiler sees no negative index to wrap around.
            n = min(width, (c1 - c0 + LANES) // LANES * LANES)
            first = min(c0, width - n)
            cells = energy[r, first:first + n]
            ry = py - ay[k]
            for j in range(n):
                c = first + j
                rx = origin_x_m + (c + 0.5) * cell_m - ax[k]
                # Along-road coordinate of the receiver's foot point, and its distance.
                s = rx * ux + ry * uy
                d = abs(rx * uy - ry * ux)
                reached = (d <= cutoff_m) & (c >= c0) & (c <= c1)
                d = max(d, MIN_DISTANCE_M)
                # The angle the segment subtends, atan((L - s)/d) + atan(s/d), in one atan2.
                angle = atan2_upper(length * d, d * d + s * s - s * length)
                cells[j] += w_4pi * angle / d if reached else 0.0


@njit(cache=True, nogil=True, parallel=True)
def _draw_bands_in_parallel(
    energy: np.ndarray, origin_x_m: float, origin_y_m: float, cell_m: float, ax: np.ndarray, ay: np.ndarray,
    bx: np.ndarray, by: np.ndarray, weight: np.ndarray, cutoff_m: float,
) -> None:
    for band in prange((energy.shape[0] + BAND_ROWS - 1) // BAND_ROWS):
        draw_band(energy, band, origin_x_m, origin_y_m, cell_m, ax, ay, bx, by, weight, cutoff_m)


@njit(cache=True, nogil=True)
def _draw_bands(
    energy: np.ndarray, origin_x_m: float, origin_y_m: float, cell_m: float, ax: np.ndarray, ay: np.ndarray,
    bx: np.ndarray, by: np.ndarray, weight: np.ndarray, cutoff_m: float,
) -> None:
    for band in range((energy.shape[0] + BAND_ROWS - 1) // BAND_ROWS):
        draw_band(energy, band, origin_x_m, origin_y_m, cell_m, ax, ay, bx, by, weight, cutoff_m)


# log10 x = e lg 2 + ln(m) lg e for x = m 2^e, m in [sqrt(1/2), sqrt(2)), where
# ln m = 2 atanh t = 2 t (1 + t^2/3 + t^4/5 + ...), t = (m - 1)/(m + 1), |t| <= 0.172:
# nine terms leave a relative error below 1e-14.
MANTISSA_BITS = (1 << 52) - 1
EXPONENT_ONE = 1023 << 52  # the bits of 1.0
SQRT_2, LOG10_2, LOG10_E = math.sqrt(2.0), math.log10(2.0), math.log10(math.e)


@njit(cache=True, nogil=True, error_model="numpy")
def levels_db(energy: np.ndarray, reflecting: np.ndarray) -> np.ndarray:
    """LAeq, dB(A), float32[H, W] from energy float64[H, W] (C order); +3 dB over hard
    ground, QUIET_DB where no road is heard (energy below 10^-3, i.e. -30 dB, is taken as
    rounding left over from roads that fell silent). The logarithm is a series in IEEE
    arithmetic over the number's own exponent and mantissa, as vectorisable as the drawing
    and the same on every machine."""
    height, width = energy.shape
    out = np.empty((height, width), np.float32)
    bits = energy.view(np.int64)
    mantissa = np.empty(width)
    mantissa_bits = mantissa.view(np.int64)
    exponent = np.empty(width, np.int64)
    for r in range(height):
        row_bits = bits[r]
        for c in range(width):
            exponent[c] = ((row_bits[c] >> 52) & 0x7FF) - 1023
            mantissa_bits[c] = (row_bits[c] & MANTISSA_BITS) | EXPONENT_ONE
        row, hard, levels = energy[r], reflecting[r], out[r]
        for c in range(width):
            big = mantissa[c] > SQRT_2
            m = 0.5 * mantissa[c] if big else mantissa[c]
            t = (m - 1.0) / (m + 1.0)
            z = t * t
            series = 1.0 + z * (1.0 / 3.0 + z * (1.0 / 5.0 + z * (1.0 / 7.0 + z * (1.0 / 9.0 + z * (
                1.0 / 11.0 + z * (1.0 / 13.0 + z * (1.0 / 15.0 + z * (1.0 / 17.0))))))))
            lg = (exponent[c] + (1 if big else 0)) * LOG10_2 + 2.0 * t * series * LOG10_E
            level = 10.0 * lg + (3.0 if hard[c] else 0.0)
            levels[c] = np.float32(level) if row[c] > 1e-3 else np.float32(QUIET_DB)
    return out


@njit(cache=True, nogil=True)
def day_levels(
    laeq: np.ndarray,
    residents: np.ndarray,
    corrections_db: np.ndarray,
    guidelines_db: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lden and Lnight, float32[H, W], from LAeq float32[H, W] plus corrections_db float32[2]
    (QUIET_DB where no road is heard), and the residents (float32[H, W]) above guidelines_db
    float32[2] in each, float64[2]."""
    height, width = laeq.shape
    lden = np.empty((height, width), np.float32)
    lnight = np.empty((height, width), np.float32)
    quiet = np.float32(QUIET_DB)
    counted = np.empty((2, width))
    # LANES running sums side by side, added up at the end: an order the compiler can vectorise.
    lanes = np.zeros((2, LANES))
    full = width // LANES * LANES
    for r in range(height):
        for c in range(width):
            heard = laeq[r, c] > quiet
            den = laeq[r, c] + corrections_db[0] if heard else quiet
            night = laeq[r, c] + corrections_db[1] if heard else quiet
            lden[r, c], lnight[r, c] = den, night
            counted[0, c] = residents[r, c] if den > guidelines_db[0] else 0.0
            counted[1, c] = residents[r, c] if night > guidelines_db[1] else 0.0
        for c0 in range(0, full, LANES):
            for i in range(2):
                for lane in range(LANES):
                    lanes[i, lane] += counted[i, c0 + lane]
        for c in range(full, width):
            lanes[:, c - full] += counted[:, c]
    total = np.zeros(2)
    for i in range(2):
        for lane in range(LANES):
            total[i] += lanes[i, lane]
    return lden, lnight, total


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
        corrections = day_corrections_db(board["demand_car_trips_by_hour"], int(float(board["clock_hour"])) % 24)
        lden, lnight, above = day_levels(board["grid_noise_laeq_dba"], board["grid_residents"],
                                         np.array(corrections, np.float32),
                                         np.array([self.who_lden_dba, self.who_lnight_dba], np.float32))
        board["grid_noise_lden_dba"] = lden
        board["grid_noise_lnight_dba"] = lnight
        board["indicator.residents_above_who_lden"] = np.array(float(above[0]))
        board["indicator.residents_above_who_lnight"] = np.array(float(above[1]))

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
