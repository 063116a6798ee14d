"""Grid overlays: how each layer the server sends is classed and coloured.

Classes follow how each quantity is usually mapped: noise in 5 dB bands as in the END's
strategic noise maps, NO2 and PM2.5 around the WHO 2021 guidelines and the EU 2030 limits,
qualities and shares in even steps. Palettes are ColorBrewer's sequential YlOrRd (more is
worse) and YlGnBu (more is better), both readable with red-green colour blindness.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agora.client.palette import RGBA

WORSE: tuple[RGBA, ...] = tuple((r, g, b, 255) for r, g, b in (
    (255, 255, 178), (254, 217, 118), (254, 178, 76), (253, 141, 60), (252, 78, 42), (227, 26, 28), (177, 0, 38)))
BETTER: tuple[RGBA, ...] = tuple((r, g, b, 255) for r, g, b in (
    (255, 255, 204), (199, 233, 180), (127, 205, 187), (65, 182, 196), (29, 145, 192), (34, 94, 168), (12, 44, 132)))
DIMENSIONLESS = ("0-1", "of 5")  # units the title says once, not every row
OPACITY = 0.8  # of the overlay over the land-use colours, which stay faintly visible


@dataclass(frozen=True)
class Scale:
    bounds: tuple[float, ...]  # six class edges: seven classes
    colors: tuple[RGBA, ...]
    fmt: str = "{:g}"

    def labels(self, unit: str) -> list[str]:
        b = [self.fmt.format(x) for x in self.bounds]
        u = "" if unit in DIMENSIONLESS else f" {unit}"
        return [f"under {b[0]}{u}"] + [f"{lo}-{hi}{u}" for lo, hi in zip(b, b[1:])] + [f"{b[-1]}{u} or more"]


SCALES: dict[str, Scale] = {
    "noise_lden_dba": Scale((45, 50, 55, 60, 65, 70), WORSE),
    "noise_lnight_dba": Scale((35, 40, 45, 50, 55, 60), WORSE),
    "no2_ug_m3": Scale((10, 15, 20, 25, 30, 40), WORSE),
    "pm25_ug_m3": Scale((5, 7.5, 10, 12.5, 15, 20), WORSE),
    "habitat_quality": Scale((0.1, 0.25, 0.4, 0.55, 0.7, 0.85), BETTER),
    "species_per_ha": Scale((0.5, 1, 2, 5, 10, 20), BETTER),
    "access_walk_needs": Scale((0.5, 1.5, 2.5, 3.5, 4.5, 5.5), BETTER, "{:.0f}"),
    "access_bike_needs": Scale((0.5, 1.5, 2.5, 3.5, 4.5, 5.5), BETTER, "{:.0f}"),
    "access_walk_min": Scale((5, 10, 15, 20, 30, 45), WORSE),
}
# Needs counts read better as "0 needs", "1", ...: their classes hold single values.
COUNT_LABELS = ["none", "1", "2", "3", "4", "all 5", ""]


def scale_of(name: str) -> Scale:
    return SCALES.get(name, Scale((1, 2, 5, 10, 20, 50), WORSE))


def legend_rows(name: str, unit: str) -> list[tuple[str, RGBA]]:
    scale = scale_of(name)
    labels = COUNT_LABELS if name.endswith("_needs") else scale.labels(unit)
    return [(label, color) for label, color in zip(labels, scale.colors) if label]


def overlay_rgba(values: np.ndarray, name: str, base: np.ndarray) -> np.ndarray:
    """uint8[H, W, 4]: the layer's classes blended over base (uint8[H, W, 4])."""
    scale = scale_of(name)
    klass = np.searchsorted(np.asarray(scale.bounds, dtype=np.float64), values, side="right")
    colors = np.asarray(scale.colors, dtype=np.float32)[klass]
    out = base.astype(np.float32) * (1.0 - OPACITY) + colors * OPACITY
    out[..., 3] = 255.0
    return np.asarray(np.rint(out), dtype=np.uint8)
