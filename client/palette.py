"""Colours and widths of the map, and the legend that explains them.

Traffic uses four classes of volume/capacity whose colours stay apart for people with
red-green colour blindness: they run from a blue-green through yellow to a dark red, so
they differ along the blue-yellow axis and in lightness, not only in hue. Closed links
are drawn as charcoal-and-white dashes, like a barrier, so they never read as "busy".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agora.client.city import City

RGBA = tuple[int, int, int, int]


@dataclass(frozen=True)
class TrafficClass:
    label: str
    upper_vc: float  # the class holds v/c below this bound
    color: RGBA


TRAFFIC_CLASSES: tuple[TrafficClass, ...] = (
    TrafficClass("free flow, under 60% of capacity", 0.60, (26, 152, 140, 255)),
    TrafficClass("busy, 60-85%", 0.85, (240, 200, 40, 255)),
    TrafficClass("near capacity, 85-100%", 1.00, (240, 120, 30, 255)),
    TrafficClass("over capacity, slow", float("inf"), (165, 15, 35, 255)),
)
CLOSED_COLOR: RGBA = (45, 45, 50, 255)
CLOSED_DASH_COLOR: RGBA = (250, 250, 250, 255)
PATH_COLOR: RGBA = (250, 250, 245, 255)
CASING_COLOR: RGBA = (40, 40, 45, 255)
SELECTION_COLOR: RGBA = (255, 40, 200, 255)

LAND_USE_COLORS: dict[str, RGBA] = {
    "water": (120, 170, 225, 255),
    "grass": (214, 228, 190, 255),
    "park": (160, 205, 140, 255),
    "woodland": (110, 165, 105, 255),
    "housing": (232, 220, 200, 255),
    "centre": (222, 190, 175, 255),
    "industry": (200, 195, 215, 255),
    "road": (205, 205, 205, 255),
}
UNKNOWN_LAND_USE: RGBA = (190, 190, 190, 255)
# Outside the grid, behind the map.
BACKGROUND: RGBA = (52, 58, 66, 255)

# Width of one direction of a road, in screen pixels at the fitted zoom.
ROAD_WIDTH_PX: dict[str, float] = {"arterial": 4.5, "collector": 3.5, "local": 2.5, "path": 1.5}
DEFAULT_ROAD_WIDTH_PX = 2.5

# Panels and text.
BAR: RGBA = (25, 28, 34, 255)
PANEL: RGBA = (25, 28, 34, 230)
TEXT: RGBA = (240, 240, 240, 255)
TEXT_DIM: RGBA = (175, 180, 190, 255)
ERROR_PANEL: RGBA = (150, 25, 35, 235)
NOTE_PANEL: RGBA = (30, 70, 110, 235)
ROW_SELECTED: RGBA = (48, 56, 70, 255)
ACCENT: RGBA = (86, 160, 230, 255)
RULE: RGBA = (60, 66, 78, 255)
WARNING_TEXT: RGBA = (250, 200, 90, 255)
# Better and worse, in words and on the map: the two ends of ColorBrewer's RdBu, a
# diverging scheme that people with any common colour blindness tell apart (blue against
# red-orange differ on the blue-yellow axis and in lightness). Text on the dark panels
# uses the lighter steps.
BETTER_TEXT: RGBA = (103, 169, 207, 255)
WORSE_TEXT: RGBA = (239, 138, 98, 255)


def land_use_lut(city: City) -> np.ndarray:
    """uint8[256, 4]: the colour of each land-use code."""
    return np.array(
        [LAND_USE_COLORS.get(name, UNKNOWN_LAND_USE) for name in city.land_use_names]
        + [UNKNOWN_LAND_USE] * (256 - len(city.land_use_names)),
        dtype=np.uint8,
    )


def land_use_rgba(city: City) -> np.ndarray:
    """uint8[height, width, 4]: the land-use grid painted, row 0 at the south edge."""
    return np.asarray(land_use_lut(city)[city.land_use])


def traffic_class(vc: np.ndarray) -> np.ndarray:
    """int[L]: the index in TRAFFIC_CLASSES of each v/c ratio."""
    bounds = np.array([c.upper_vc for c in TRAFFIC_CLASSES[:-1]])
    return np.searchsorted(bounds, vc, side="right")


def link_rgba(city: City, links: np.ndarray | None = None) -> np.ndarray:
    """uint8[L, 4]: the fill colour of every link now (or uint8[K, 4], of the links given)."""
    ids = np.arange(city.n_links) if links is None else links
    table = np.array([c.color for c in TRAFFIC_CLASSES], dtype=np.uint8)
    rgba: np.ndarray = table[traffic_class(city.volume_capacity(ids))]
    rgba[~city.car_link()[ids]] = PATH_COLOR
    rgba[city.closed[ids]] = CLOSED_COLOR
    return rgba


def link_width_px(city: City) -> np.ndarray:
    """float32[L]: the drawn width of each link (one direction), in pixels."""
    by_code = np.array(
        [ROAD_WIDTH_PX.get(name, DEFAULT_ROAD_WIDTH_PX) for name in city.road_class_names] + [DEFAULT_ROAD_WIDTH_PX],
        dtype=np.float32,
    )
    codes = np.clip(city.road_class, 0, len(city.road_class_names))
    return np.asarray(by_code[codes])


# A preview's change of traffic on each road: less traffic blue (better), more red (worse),
# the ends of ColorBrewer's RdBu as on the grid's delta overlays; roads that hardly change
# stay a quiet grey so that the ones that do stand out.
FLOW_CHANGE_STEPS_VEH_H = (25.0, 100.0, 300.0)
FLOW_CHANGE_COLORS: tuple[RGBA, ...] = (
    (178, 24, 43, 255), (239, 138, 98, 255), (253, 219, 199, 255), (165, 165, 170, 255),
    (209, 229, 240, 255), (103, 169, 207, 255), (33, 102, 172, 255),
)


def flow_change_class(delta_veh_h: np.ndarray) -> np.ndarray:
    """int[...]: 0 much busier .. 3 little change .. 6 much quieter."""
    size = np.searchsorted(np.asarray(FLOW_CHANGE_STEPS_VEH_H), np.abs(delta_veh_h), side="right")
    classes: np.ndarray = np.where(delta_veh_h <= 0, 3 + size, 3 - size)
    return classes


def flow_change_rgba(city: City, links: np.ndarray, delta_veh_h: np.ndarray) -> np.ndarray:
    """uint8[L, 4]: every link coloured by its change of flow (links not listed: none)."""
    change = np.zeros(city.n_links, dtype=np.float64)
    change[links] = delta_veh_h
    rgba: np.ndarray = np.array(FLOW_CHANGE_COLORS, dtype=np.uint8)[flow_change_class(change)]
    rgba[~city.car_link()] = PATH_COLOR
    return rgba

