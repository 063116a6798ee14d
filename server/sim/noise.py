"""Road traffic noise at the source: CNOSSOS-EU sound power per metre of each link.

Commission Directive (EU) 2015/996, Annex II section 2.2, as amended by Commission
Delegated Directive (EU) 2021/1226: per vehicle category m and octave band i (63 Hz to
8 kHz), rolling noise L_WR = A_R + B_R lg(v/70) and propulsion noise
L_WP = A_P + B_P (v - 70)/70, summed energetically; a flow Q (veh/h) at speed v (km/h)
spreads over the road as L'_W = L_W + 10 lg(Q / (1000 v)) dB per metre. Bands are
A-weighted (IEC 61672-1) and summed into dB(A). The coefficient tables are in
rules/models.toml [noise] (reference road surface, no temperature or gradient
corrections). Propagation to the grid and Lden come with the rest of the environment issue.
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


@njit(cache=True, nogil=True)
def link_sound_power_per_metre(
    flow_veh_h: np.ndarray,
    speed_kmh: np.ndarray,
    heavy_share: float,
    cars: np.ndarray,
    heavy: np.ndarray,
    weighting_db: np.ndarray,
) -> np.ndarray:
    """A-weighted sound power per metre of road, dB(A)/m, of each link (float64[L]).

    flow_veh_h, speed_kmh float64[L]; heavy_share the fraction of the flow in category 3;
    cars, heavy float64[4, 8] coefficient tables of categories 1 and 3.
    """
    n = flow_veh_h.shape[0]
    out = np.full(n, NO_SOUND_DB)
    per_band = np.empty(8)
    for k in range(n):
        if flow_veh_h[k] <= 0.0:
            continue
        v = max(speed_kmh[k], MIN_SPEED_KMH)
        car = sound_power_bands(v, cars)
        hgv = sound_power_bands(v, heavy)
        q_car = flow_veh_h[k] * (1.0 - heavy_share)
        q_hgv = flow_veh_h[k] * heavy_share
        for i in range(8):
            energy = 0.0
            if q_car > 0.0:
                energy += 10.0 ** ((car[i] + 10.0 * np.log10(q_car / (1000.0 * v))) / 10.0)
            if q_hgv > 0.0:
                energy += 10.0 ** ((hgv[i] + 10.0 * np.log10(q_hgv / (1000.0 * v))) / 10.0)
            per_band[i] = 10.0 * np.log10(energy)
        out[k] = a_weighted_sum(per_band, weighting_db)
    return out


def coefficient_table(rows: dict[str, Any]) -> np.ndarray:
    """The [4, 8] table (A_R, B_R, A_P, B_P by band) of one category from rules/models.toml."""
    names = ("a_r", "b_r", "a_p", "b_p")
    lengths = [len(rows[name]) for name in names]
    if lengths != [8, 8, 8, 8]:
        raise ValueError(f"a CNOSSOS-EU category needs its rows {', '.join(names)} of 8 octave bands each, not {lengths}")
    return np.array([rows[name] for name in names], dtype=np.float64)


class NoiseSource:
    """Pipeline module: `link_sound_power_dba_m` (float64[L]), dB(A) per metre of road."""

    name = "noise"
    inputs = ("link_flow_veh_h", "link_congested_speed_kmh")
    outputs = ("link_sound_power_dba_m",)

    def __init__(self, p: dict[str, Any]) -> None:
        self.cars = coefficient_table(p["category_1"])
        self.heavy = coefficient_table(p["category_3"])
        self.heavy_share = float(p["heavy_share"])

    def step(self, board: Board) -> None:
        board["link_sound_power_dba_m"] = link_sound_power_per_metre(
            board["link_flow_veh_h"], board["link_congested_speed_kmh"], self.heavy_share, self.cars, self.heavy,
            A_WEIGHTING_DB,
        )
