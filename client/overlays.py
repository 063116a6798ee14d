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


def overlay_rgba(values: np.ndarray, name: str, base: np.ndarray) -> np.ndarray:
    """uint8[H, W, 4]: the layer's classes blended over base (uint8[H, W, 4])."""
    scale = scale_of(name)
    klass = np.searchsorted(np.asarray(scale.bounds, dtype=np.float64), values, side="right")
    colors = np.asarray(scale.colors, dtype=np.float32)[klass]
    out = base.astype(np.float32) * (1.0 - OPACITY) + colors * OPACITY
    out[..., 3] = 255.0
    return np.asarray(np.rint(out), dtype=np.uint8)


def overlay_lut(step_values: np.ndarray, name: str, land_lut: np.ndarray) -> np.ndarray:
    """uint32[256 * 256]: overlay_rgba's colour, as packed RGBA, of every (land-use code, q)
    at index code * 256 + q, given the layer's value at each q (float32[256]) and the
    land-use colours (uint8[256, 4]). A tick's layer is then painted by one lookup a cell."""
    values = np.broadcast_to(step_values.astype(np.float32)[None, :], (256, 256))
    base = np.broadcast_to(land_lut[:, None, :], (256, 256, 4))
    rgba = np.ascontiguousarray(overlay_rgba(values, name, base))
    return rgba.view(np.uint32).reshape(256 * 256)


# -- a preview's change of a layer ------------------------------------------------------
#
# Better and worse, not more and less: a quieter street and a richer habitat are both
# blue. ColorBrewer's RdBu (7 classes), red for worse and blue for better, is diverging and
# safe for the common colour blindnesses; the middle class is "no notable change".
DIVERGING: tuple[RGBA, ...] = tuple((r, g, b, 255) for r, g, b in (
    (178, 24, 43), (239, 138, 98), (253, 219, 199), (247, 247, 247), (209, 229, 240), (103, 169, 207), (33, 102, 172)))


@dataclass(frozen=True)
class DeltaScale:
    steps: tuple[float, float, float]  # |change| at which a change is slight, clear, large
    lower_is_better: bool
    fmt: str = "{:g}"


# Noise: 1 dB is about the smallest change a listener notices, 3 dB a doubling of the sound
# energy, 5 dB clearly audible (the bands of strategic noise maps). Air: steps of the WHO
# 2021 guidelines' scale (NO2 10, PM2.5 5 ug/m3). Shares and qualities: 1, 5 and 15 points.
DELTA_SCALES: dict[str, DeltaScale] = {
    "noise_lden_dba": DeltaScale((1.0, 3.0, 5.0), True),
    "noise_lnight_dba": DeltaScale((1.0, 3.0, 5.0), True),
    "no2_ug_m3": DeltaScale((0.25, 1.0, 3.0), True),
    "pm25_ug_m3": DeltaScale((0.1, 0.5, 1.5), True),
    "habitat_quality": DeltaScale((0.01, 0.05, 0.15), False),
    "species_per_ha": DeltaScale((0.1, 0.5, 2.0), False),
    "access_walk_needs": DeltaScale((0.5, 1.5, 2.5), False, "{:.0f}"),
    "access_bike_needs": DeltaScale((0.5, 1.5, 2.5), False, "{:.0f}"),
    "access_walk_min": DeltaScale((1.0, 3.0, 5.0), True),
}
# The delta layers, in the order a preview shows them first.
DELTA_ORDER = ("noise_lden_dba", "no2_ug_m3", "pm25_ug_m3", "habitat_quality", "species_per_ha",
               "access_walk_needs", "access_bike_needs", "access_walk_min", "noise_lnight_dba")
DELTA_SUFFIX = "_delta"


def delta_scale_of(name: str) -> DeltaScale:
    """The scale of a delta layer ("noise_lden_dba_delta") or of its layer's name."""
    base = name.removesuffix(DELTA_SUFFIX)
    return DELTA_SCALES.get(base, DeltaScale((1.0, 2.0, 5.0), True))


def delta_classes(change: np.ndarray, name: str) -> np.ndarray:
    """int64[...]: each cell's class in DIVERGING, 0 much worse .. 3 no notable change .. 6
    much better. A change exactly at a step counts into the class it opens."""
    scale = delta_scale_of(name)
    gain = -change if scale.lower_is_better else change
    size = np.searchsorted(np.asarray(scale.steps, dtype=np.float64), np.abs(gain), side="right")  # 0..3
    classes: np.ndarray = np.where(gain >= 0, 3 + size, 3 - size).astype(np.int64)
    return classes


def delta_rgba(change: np.ndarray, name: str, base: np.ndarray) -> np.ndarray:
    """uint8[H, W, 4]: a layer's change coloured better/worse, blended over base (uint8[H, W, 4])."""
    colors = np.asarray(DIVERGING, dtype=np.float32)[delta_classes(change, name)]
    out = base.astype(np.float32) * (1.0 - OPACITY) + colors * OPACITY
    out[..., 3] = 255.0
    return np.asarray(np.rint(out), dtype=np.uint8)

