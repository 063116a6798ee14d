"""Air quality on the grid: road NOx and PM2.5 carried by the hour's wind, NO2 from NOx.

    air = Air(model_parameters()["air"])
    air.step(board)   # after emissions: grid_no2_ug_m3, grid_pm25_ug_m3 and six indicators

Road emissions first mix into a shallow surface layer over the town, the urban roughness
sublayer, whose depth h_s is a few times the mean building height (2-5 times: Rotach 1999,
Grimmond & Oke 1999, Britter & Hanna 2003); it exchanges with the mixed layer above, up to
the hour's mixing height, through its top. The mixed layer holds the regional background.
The local increment C over that background, taken as uniform over the surface layer's depth,
gains E (g/m2/s of road emissions, spread along each link's cells) and loses w_e C, the
flux through the layer's top at an exchange velocity w_e. Per unit area of ground:

    d(h_s C)/dt + h_s u . grad C = h_s K lap C - h_s lambda_c C - w_e C + E

and divided by h_s, the issue's equation, solved by dispersion.py:

    dC/dt + u . grad C = K lap C - lambda C + E / H,   H = h_s,  lambda = lambda_c + w_e / h_s

with the wind u of the world's weather for the hour, an urban eddy diffusivity K and the
loss rate lambda_c: chemical loss of NOx, dry deposition v_d / h_s of PM2.5. The exchange
velocity scales with the friction velocity, w_e = c_e u*, and u* = c_u U with U the hour's
10 m wind, so the layer vents at w_e / h_s = c_e c_u U / h_s (about 1e-3 /s at 3 m/s): air
vents over a few kilometres, u h_s / w_e = h_s / (c_e c_u). Over a wide uniform source the
increment is E / (w_e + lambda_c h_s); downwind of a long road across the wind, emitting q
g/m/s, it is q / (h_s sqrt(u^2 + 4 K lambda)), about q / (u h_s), thinning as
exp(-x lambda / u). The hour's mixing height caps h_s (it never does in a day of fair
weather). The town's own contribution to the mixed layer, about E L
/ (u H) for a town L long, a few hundredths of ug/m3, is left out: above the surface
layer the air is the background.

The state is the local increment, kept on a solver grid of `solver_cell_m` cells (a whole
multiple of the world's cells, 50 m by default: a quarter of the cells of a 25 m world,
which keeps a tick within the speed budget while resolving a street block), and
interpolated bilinearly back to the world's cells for the map: a value is the mean over a
block and the surface layer's depth, not a kerbside value (a street canyon's own air, at a
few metres from the traffic, carries several times more). One tick advances
`seconds_per_tick`; the first tick spins up from clean air for `spin_up_relaxation_times`
over the slowest species' loss rate lambda (venting included), at most `spin_up_s`, so the
first map already shows the town's plume.

NO2 = background NO2 + r NOx_local, with van den Hout's road-side ratio
r = f + O3 (1 - f) / ((1 - f) NOx_local + K_r), at most 1: the directly emitted share f
plus the share ozone converts, which saturates as NOx outgrows the ozone available.

Indicators compare the hour's concentrations with the WHO 2021 annual guidelines (which the
background alone exceeds, as in most European cities) and with the EU's annual limit
values to be met by 2030 (Directive (EU) 2024/2881, Annex I); taking one hour as if it were
a year's mean is a screening simplification (an hour of a busy afternoon overstates the
year, a night understates it).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit

from agora.server.sim.dispersion import advance, rasterise, substeps
from agora.server.sim.pipeline import Board

UG_PER_G = 1e6
S_PER_H = 3600.0


@njit(cache=True, nogil=True)
def world_fields(nox_ug_m3: np.ndarray, pm25_ug_m3: np.ndarray, factor: int, residents: np.ndarray,
                 no2_background: float, pm25_background: float, o3_background: float, primary_no2: float,
                 conversion_k: float, limits_ug_m3: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Total NO2 and PM2.5 (ug/m3, float32[H, W]) at the world's cells, and the exposure sums.

    nox_ug_m3, pm25_ug_m3: local increments on the solver grid, float64[sy, sx], cells
    `factor` times the world's; residents float32[H, W]; limits_ug_m3 float64[L, 2], one
    (NO2, PM2.5) pair of thresholds a row. The sums, float64[3 + 2 L]: residents,
    resident-weighted NO2 and PM2.5, then for each row of limits the residents above its
    NO2 and its PM2.5 threshold (strictly), added cell by cell in row order.
    """
    height, width = residents.shape
    no2 = np.empty((height, width), np.float32)
    pm25 = np.empty((height, width), np.float32)
    n_limits = limits_ug_m3.shape[0]
    sums = np.zeros(3 + 2 * n_limits)
    j0, j1, wx = interpolation_weights(width, factor, nox_ug_m3.shape[1])
    i0, i1, wy = interpolation_weights(height, factor, nox_ug_m3.shape[0])
    row_no2, row_pm25 = np.empty(width), np.empty(width)
    for r in range(height):
        a, b, w = i0[r], i1[r], wy[r]
        for c in range(width):
            south = nox_ug_m3[a, j0[c]] + wx[c] * (nox_ug_m3[a, j1[c]] - nox_ug_m3[a, j0[c]])
            north = nox_ug_m3[b, j0[c]] + wx[c] * (nox_ug_m3[b, j1[c]] - nox_ug_m3[b, j0[c]])
            nox = max(south + w * (north - south), 0.0)
            ratio = min(1.0, primary_no2 + o3_background * (1.0 - primary_no2)
                        / ((1.0 - primary_no2) * nox + conversion_k))
            row_no2[c] = no2_background + ratio * nox
            south = pm25_ug_m3[a, j0[c]] + wx[c] * (pm25_ug_m3[a, j1[c]] - pm25_ug_m3[a, j0[c]])
            north = pm25_ug_m3[b, j0[c]] + wx[c] * (pm25_ug_m3[b, j1[c]] - pm25_ug_m3[b, j0[c]])
            row_pm25[c] = pm25_background + max(south + w * (north - south), 0.0)
        for c in range(width):
            no2[r, c] = row_no2[c]
            pm25[r, c] = row_pm25[c]
            people = float(residents[r, c])
            sums[0] += people
            sums[1] += people * row_no2[c]
            sums[2] += people * row_pm25[c]
            for k in range(n_limits):
                sums[3 + 2 * k] += people if row_no2[c] > limits_ug_m3[k, 0] else 0.0
                sums[4 + 2 * k] += people if row_pm25[c] > limits_ug_m3[k, 1] else 0.0
    return no2, pm25, sums


@njit(cache=True, nogil=True)
def interpolation_weights(n_world: int, factor: int, n_solver: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each world cell along one axis: the two solver cells whose centres bracket its
    centre (clamped at the edges, int64[n_world]) and the weight of the second (float64)."""
    lo = np.empty(n_world, np.int64)
    hi = np.empty(n_world, np.int64)
    weight = np.empty(n_world)
    for k in range(n_world):
        at = (k + 0.5) / factor - 0.5  # in solver cell-centre units
        lo[k] = min(max(math.floor(at), 0), n_solver - 1)
        hi[k] = min(lo[k] + 1, n_solver - 1)
        weight[k] = min(max(at - lo[k], 0.0), 1.0)
    return lo, hi, weight


def wind_components(speed_m_s: float, from_deg: float) -> tuple[float, float]:
    """(towards east, towards north) in m/s of a wind blowing FROM `from_deg` (clockwise
    from north, the meteorological convention): from 270 deg it blows towards +x."""
    towards = math.radians(from_deg)
    return -speed_m_s * math.sin(towards), -speed_m_s * math.cos(towards)


class Air:
    """Pipeline module: NO2 and PM2.5 on the grid, and who breathes them.

    Writes `grid_no2_ug_m3`, `grid_pm25_ug_m3` (float32[H, W], background + local, ug/m3),
    its state `air_nox_ug_m3`, `air_pm25_ug_m3` (float64[sy, sx], local increments on the
    solver grid, ug/m3) and the indicators (0-d float64): `indicator.no2_pop_weighted_ug_m3`,
    `indicator.pm25_pop_weighted_ug_m3` (0 where nobody lives), `indicator.residents_above_who_no2`,
    `indicator.residents_above_who_pm25`, `indicator.residents_above_eu2030_no2`,
    `indicator.residents_above_eu2030_pm25`. Parameters and their sources: rules/air.toml [air].
    """

    name = "air"
    inputs = ("node_x_m", "node_y_m", "link_from", "link_to", "link_nox_g_h", "link_pm25_g_h", "grid_residents",
              "grid_origin_m", "grid_cell_m", "clock_hour", "weather_wind_speed_m_s", "weather_wind_from_deg",
              "weather_mixing_height_m")
    outputs = ("air_nox_ug_m3", "air_pm25_ug_m3", "grid_no2_ug_m3", "grid_pm25_ug_m3",
               "indicator.no2_pop_weighted_ug_m3", "indicator.pm25_pop_weighted_ug_m3",
               "indicator.residents_above_who_no2", "indicator.residents_above_who_pm25",
               "indicator.residents_above_eu2030_no2", "indicator.residents_above_eu2030_pm25")

    def __init__(self, params: dict[str, Any]) -> None:
        p = {key: float(value) for key, value in params.items()}
        for key in ("eddy_diffusivity_m2_s", "solver_cell_m", "seconds_per_tick", "spin_up_s",
                    "spin_up_relaxation_times", "mean_building_height_m", "surface_layer_per_building_height",
                    "friction_velocity_per_wind", "exchange_velocity_per_friction_velocity"):
            if not p[key] > 0.0:
                raise ValueError(f"[air] {key} must be positive, not {p[key]}")
        if not 0.0 <= p["no2_primary_fraction"] <= 1.0:
            raise ValueError(f"[air] no2_primary_fraction must lie in [0, 1], not {p['no2_primary_fraction']}")
        self.p = p
        self.limits_ug_m3 = np.array([[p["who_no2_ug_m3"], p["who_pm25_ug_m3"]],
                                      [p["eu2030_no2_ug_m3"], p["eu2030_pm25_ug_m3"]]])

    def solver_grid(self, cell_m: float, height: int, width: int) -> tuple[int, int, int]:
        """(factor, rows, columns): solver cells are `factor` world cells on a side."""
        factor = max(1, round(self.p["solver_cell_m"] / cell_m))
        return factor, -(-height // factor), -(-width // factor)

    def surface_layer(self, wind_m_s: float, mixing_height_m: float) -> tuple[float, float]:
        """(depth h_s in m, exchange velocity w_e in m/s) of the surface layer for the hour."""
        p = self.p
        depth_m = min(p["surface_layer_per_building_height"] * p["mean_building_height_m"], mixing_height_m)
        return depth_m, p["exchange_velocity_per_friction_velocity"] * p["friction_velocity_per_wind"] * wind_m_s

    def step(self, board: Board) -> None:
        p = self.p
        residents = board["grid_residents"]
        cell_m = float(board["grid_cell_m"])
        factor, sy, sx = self.solver_grid(cell_m, *residents.shape)
        dx = factor * cell_m
        hour = int(float(board["clock_hour"])) % 24
        wind_m_s = float(board["weather_wind_speed_m_s"][hour])
        ux, uy = wind_components(wind_m_s, float(board["weather_wind_from_deg"][hour]))
        depth_m, exchange_m_s = self.surface_layer(wind_m_s, float(board["weather_mixing_height_m"][hour]))

        f, t = board["link_from"], board["link_to"]
        x, y = board["node_x_m"], board["node_y_m"]
        grams_h = np.stack([board["link_nox_g_h"], board["link_pm25_g_h"]]).astype(np.float64)
        origin = board["grid_origin_m"]
        per_cell = rasterise(x[f], y[f], x[t], y[t], grams_h, float(origin[0]), float(origin[1]), dx, sy, sx)
        source = per_cell * (UG_PER_G / S_PER_H / (dx * dx * depth_m))  # ug/m3 per second
        venting_per_s = exchange_m_s / depth_m
        loss = np.array([p["nox_loss_per_s"] + venting_per_s,
                         p["pm25_deposition_velocity_m_s"] / depth_m + venting_per_s])

        nox, pm25 = board.get("air_nox_ug_m3"), board.get("air_pm25_ug_m3")
        if nox is None or pm25 is None or nox.shape != (sy, sx) or pm25.shape != (sy, sx):
            # From clean air to within exp(-n) of the steady state, where the slowest
            # species' loss and venting set the pace; the cap covers a calm.
            slowest_per_s = float(loss.min())
            duration_s = (min(p["spin_up_s"], p["spin_up_relaxation_times"] / slowest_per_s)
                          if slowest_per_s > 0.0 else p["spin_up_s"])
            conc = np.zeros((2, sy, sx))
        else:
            conc, duration_s = np.stack([nox, pm25]), p["seconds_per_tick"]
        n, dt = substeps(duration_s, ux, uy, p["eddy_diffusivity_m2_s"], float(loss.max()), dx)
        conc = advance(conc, source, loss, ux, uy, p["eddy_diffusivity_m2_s"], dx, dt, n, False)
        board["air_nox_ug_m3"], board["air_pm25_ug_m3"] = conc[0].copy(), conc[1].copy()

        no2, pm, sums = world_fields(
            conc[0], conc[1], factor, residents, p["background_no2_ug_m3"], p["background_pm25_ug_m3"],
            p["background_o3_ug_m3"], p["no2_primary_fraction"], p["no2_conversion_k_ug_m3"], self.limits_ug_m3,
        )
        board["grid_no2_ug_m3"], board["grid_pm25_ug_m3"] = no2, pm
        people = sums[0]
        board["indicator.no2_pop_weighted_ug_m3"] = np.array(sums[1] / people if people > 0.0 else 0.0)
        board["indicator.pm25_pop_weighted_ug_m3"] = np.array(sums[2] / people if people > 0.0 else 0.0)
        board["indicator.residents_above_who_no2"] = np.array(sums[3])
        board["indicator.residents_above_who_pm25"] = np.array(sums[4])
        board["indicator.residents_above_eu2030_no2"] = np.array(sums[5])
        board["indicator.residents_above_eu2030_pm25"] = np.array(sums[6])
