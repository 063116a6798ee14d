"""Road traffic noise at the source: CNOSSOS-EU sound power per metre of each link.

Commission Directive (EU) 2015/996, Annex II section 2.2, as amended by Commission
Delegated Directive (EU) 2021/1226: per vehicle category m and octave band i (63 Hz to
8 kHz), rolling noise L_WR = A_R + B_R lg(v/70) and propulsion noise
L_WP = A_P + B_P (v - 70)/70, summed energetically; a flow Q (veh/h) at speed v (km/h)
spreads over the road as L'_W = L_W + 10 lg(Q / (1000 v)) dB per metre. Bands are
A-weighted (IEC 61672-1) and summed into dB(A). The coefficient tables are in
rules/models.toml [noise] (reference road surface, no temperature or gradient
corrections). Propagation to the grid and Lden are in noise_map.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from agora.server.sim.pipeline import Board

# A-weighting of the octave bands 63 Hz ... 8 kHz, dB (IEC 61672-1).
A_WEIGHTING_DB = np.array([-26.2, -16.1, -8.6, -3.2, 0.0, 1.2, 1.0, -1.1])
MIN_SPEED_KMH = 20.0  # CNOSSOS-EU's source model holds from 20 km/h (section 2.2.1)
NO_SOUND_DB = -99.0  # what a link without traffic reports: well below any threshold
MAX_TABLE_KMH = 150.0  # the speed table's end; faster links are taken at this speed
TABLE_STEP_KMH = 0.05  # linear interpolation between steps of 0.05 km/h errs by < 1e-5 dB


@njit(cache=True, nogil=True)
def sound_power_bands(speed_kmh: float, coefficients: np.ndarray) -> np.ndarray:
    """One vehicle's sound power per octave band, dB (float64[8]).

    coefficients float64[4, 8]: rows A_R, B_R, A_P, B_P of one vehicle category.
    """
    v = max(speed_kmh, MIN_SPEED_KMH)
    out = np.empty(8)
    for i in range(8):
        rolling = coefficients[0, i] + coefficients[1, i] * np.log10(v / 70.0)
        propulsion = coefficients[2, i] + coefficients[3, i] * (v - 70.0) / 70.0
        out[i] = 10.0 * np.log10(10.0 ** (rolling / 10.0) + 10.0 ** (propulsion / 10.0))
    return out


@njit(cache=True, nogil=True)
def a_weighted_sum(bands_db: np.ndarray, weighting_db: np.ndarray) -> float:
    """Energetic sum of A-weighted octave bands, dB(A)."""
    total = 0.0
    for i in range(bands_db.shape[0]):
        total += 10.0 ** ((bands_db[i] + weighting_db[i]) / 10.0)
    return float(10.0 * np.log10(total))


def energy_table(coefficients: np.ndarray, weighting_db: np.ndarray) -> np.ndarray:
    """One vehicle's A-weighted sound power as energy, 10^(L_WA/10), at the speeds
    MIN_SPEED_KMH + k * TABLE_STEP_KMH up to MAX_TABLE_KMH (float64[K]): the source model
    is smooth in speed, so links look it up instead of summing 16 band powers each."""
    speeds = np.arange(MIN_SPEED_KMH, MAX_TABLE_KMH + TABLE_STEP_KMH / 2, TABLE_STEP_KMH)
    return np.array([10.0 ** (a_weighted_sum(sound_power_bands(v, coefficients), weighting_db) / 10.0) for v in speeds])


@njit(cache=True, nogil=True)
def _lookup(table: np.ndarray, speed_kmh: float) -> float:
    x = (min(max(speed_kmh, MIN_SPEED_KMH), MAX_TABLE_KMH) - MIN_SPEED_KMH) / TABLE_STEP_KMH
    k = min(int(x), table.shape[0] - 2)
    f = x - k
    return float(table[k] * (1.0 - f) + table[k + 1] * f)


@njit(cache=True, nogil=True)
def link_sound_power_per_metre(
    light_veh_h: np.ndarray,
    heavy_veh_h: np.ndarray,
    speed_kmh: np.ndarray,
    light_table: np.ndarray,
    heavy_table: np.ndarray,
) -> np.ndarray:
    """A-weighted sound power per metre of road, dB(A)/m, of each link (float64[L]).

    light_veh_h (category 1, cars) and heavy_veh_h (category 3, lorries and buses) float64[L]
    in vehicles per hour; speed_kmh float64[L]; the tables from energy_table().
    """
    n = light_veh_h.shape[0]
    out = np.full(n, NO_SOUND_DB)
    for k in range(n):
        if light_veh_h[k] <= 0.0 and heavy_veh_h[k] <= 0.0:
            continue
        v = max(speed_kmh[k], MIN_SPEED_KMH)
        energy = max(light_veh_h[k], 0.0) * _lookup(light_table, v) + max(heavy_veh_h[k], 0.0) * _lookup(heavy_table, v)
        out[k] = 10.0 * np.log10(energy / (1000.0 * v))
    return out


def coefficient_table(rows: dict[str, Any]) -> np.ndarray:
    """The [4, 8] table (A_R, B_R, A_P, B_P by band) of one category from rules/models.toml."""
    names = ("a_r", "b_r", "a_p", "b_p")
    lengths = [len(rows[name]) for name in names]
    if lengths != [8, 8, 8, 8]:
        raise ValueError(f"a CNOSSOS-EU category needs its rows {', '.join(names)} of 8 octave bands each, not {lengths}")
    return np.array([rows[name] for name in names], dtype=np.float64)


class NoiseSource:
    """Pipeline module: `link_sound_power_dba_m` (float64[L]), dB(A) per metre of road, from
    the assigned cars (category 1) and the fleet's lorries and buses (category 3), all at
    the link's congested speed."""

    name = "noise"
    inputs = ("link_flow_veh_h", "link_hgv_veh_h", "link_bus_veh_h", "link_congested_speed_kmh")
    outputs = ("link_sound_power_dba_m",)

    def __init__(self, p: dict[str, Any]) -> None:
        self.cars = energy_table(coefficient_table(p["category_1"]), A_WEIGHTING_DB)
        self.heavy = energy_table(coefficient_table(p["category_3"]), A_WEIGHTING_DB)

    def step(self, board: Board) -> None:
        board["link_sound_power_dba_m"] = link_sound_power_per_metre(
            board["link_flow_veh_h"], board["link_hgv_veh_h"] + board["link_bus_veh_h"],
            board["link_congested_speed_kmh"], self.cars, self.heavy,
        )
