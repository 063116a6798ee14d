"""Road traffic emissions per link: CO2, NOx and PM2.5 from flow and speed.

Cars: speed-dependent exhaust factors of the COPERT family for the fleet's petrol, diesel
and electric shares (NOx: COPERT 4 passenger car Euro 6, "Eq1"
(a + cV + eV^2 + f/V) / (1 + bV + dV^2), EMEP/EEA Guidebook 1.A.3.b.i; CO2: a curve
a + b/V + cV^2 through HBEFA 4's steady-speed values for petrol Euro 6), plus non-exhaust
PM2.5 from tyre, brake and road wear, which electric cars keep. Buses and heavy goods
vehicles (from the fleet module) at constant urban factors. All factors and their sources
are in rules/models.toml [emissions].
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from agora.server.sim.pipeline import Board

MIN_SPEED_KMH = 10.0  # COPERT's curves hold from 10 to 130 km/h; outside, the edge value
MAX_SPEED_KMH = 130.0


@njit(cache=True, nogil=True)
def copert_eq1(speed_kmh: np.ndarray, a: float, b: float, c: float, d: float, e: float, f: float) -> np.ndarray:
    """COPERT "Eq1" emission factor, g/km, for speeds float64[L] in km/h (clipped to 10-130)."""
    out = np.empty(speed_kmh.shape[0])
    for i in range(speed_kmh.shape[0]):
        v = min(max(speed_kmh[i], MIN_SPEED_KMH), MAX_SPEED_KMH)
        out[i] = (a + c * v + e * v * v + f / v) / (1.0 + b * v + d * v * v)
    return out


@njit(cache=True, nogil=True)
def co2_curve(speed_kmh: np.ndarray, a: float, b: float, c: float) -> np.ndarray:
    """CO2 g/km = a + b/V + c V^2 for speeds float64[L] in km/h (clipped to 10-130)."""
    out = np.empty(speed_kmh.shape[0])
    for i in range(speed_kmh.shape[0]):
        v = min(max(speed_kmh[i], MIN_SPEED_KMH), MAX_SPEED_KMH)
        out[i] = a + b / v + c * v * v
    return out


class Emissions:
    """Pipeline module: grams per hour of CO2, NOx and PM2.5 on every link, from its cars,
    lorries and buses.

    Writes link_co2_g_h, link_nox_g_h, link_pm25_g_h (float64[L]) and the indicators
    `indicator.co2_kg_h`, `indicator.nox_kg_h`, `indicator.pm25_kg_h` (0-d float64).
    """

    name = "emissions"
    inputs = ("link_flow_veh_h", "link_congested_speed_kmh", "link_length_m", "link_hgv_veh_h", "link_bus_veh_h")
    outputs = ("link_co2_g_h", "link_nox_g_h", "link_pm25_g_h",
               "indicator.co2_kg_h", "indicator.nox_kg_h", "indicator.pm25_kg_h")

    def __init__(self, p: dict[str, Any]) -> None:
        shares = np.array([p["share_petrol"], p["share_diesel"], p["share_electric"]], dtype=np.float64)
        if np.any(shares < 0.0) or abs(float(shares.sum()) - 1.0) > 1e-9:
            raise ValueError(f"the car fleet shares must be >= 0 and sum to 1, not {shares.tolist()}")
        self.p = p
        self.shares = shares

    def car_factors_g_km(self, speed_kmh: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Fleet-average CO2, NOx, PM2.5 per car-km (g/km) at the given speeds."""
        p = self.p
        petrol, diesel, electric = self.shares
        nox = (petrol * copert_eq1(speed_kmh, *p["nox_petrol_eq1"])
               + diesel * copert_eq1(speed_kmh, *p["nox_diesel_eq1"]))
        co2_petrol = co2_curve(speed_kmh, *p["co2_petrol_curve"])
        co2 = (petrol + diesel * p["co2_diesel_vs_petrol"]) * co2_petrol
        wear = p["pm25_tyre_g_km"] + p["pm25_brake_g_km"] + p["pm25_road_g_km"]
        pm25 = petrol * p["pm25_exhaust_petrol_g_km"] + diesel * p["pm25_exhaust_diesel_g_km"] + wear
        return co2, nox, np.full_like(speed_kmh, pm25)

    def step(self, board: Board) -> None:
        p = self.p
        length_km = board["link_length_m"] / 1000.0
        co2, nox, pm25 = self.car_factors_g_km(board["link_congested_speed_kmh"])
        car_km_h = board["link_flow_veh_h"] * length_km
        bus_km_h = board["link_bus_veh_h"] * length_km
        hgv_km_h = board["link_hgv_veh_h"] * length_km
        for name, car in (("co2", co2), ("nox", nox), ("pm25", pm25)):
            board[f"link_{name}_g_h"] = car_km_h * car + bus_km_h * p[f"bus_{name}_g_km"] + hgv_km_h * p[f"hgv_{name}_g_km"]
        for name in ("co2", "nox", "pm25"):
            board[f"indicator.{name}_kg_h"] = np.array(float(board[f"link_{name}_g_h"].sum()) / 1000.0)
