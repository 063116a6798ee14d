"""The grid of an imported world: land use from land cover, buildings, roads and the sea;
residents and jobs from the buildings' floor area and use (rules/osm.toml).

    land = build_land(extract, roads, rules, cell_m, (height, width), log)
    land.land_use, land.residents, land.jobs

A cell is, in this order: water if water covers half of it (a lake, a river's area, the
sea behind a coastline); built land if buildings cover `built_min_share` of it (housing,
centre or industry by the use of most of its footprint); road if a carriageway at least
half a cell wide crosses it; else the land cover of highest priority that covers half of it,
or the one that covers most; else what the covered cells around it are (courtyards,
squares, verges), or grass.

The sea: OpenStreetMap draws coastlines with the land on the left. Cells a coastline
crosses form a wall; each region the wall encloses is sea when more of the points just
right of the coastline than just left of it fall in it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from agora.server.world.osm_raster import draw_lines, fill_polygons, label_regions, polygons_to_arrays
from agora.server.world.osm_read import Area, Extract
from agora.server.world.osm_rules import ImportLog, OsmRules
from agora.server.world.types import LandUse, RoadClass
from agora.server.world.world import Network

USES = ("residential", "office", "retail", "industrial", "public", "mixed", "none")
_USE_LAND = (LandUse.HOUSING, LandUse.CENTRE, LandUse.CENTRE, LandUse.INDUSTRY, LandUse.CENTRE,
             LandUse.CENTRE, LandUse.CENTRE)
_UNKNOWN = 255
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m)?\s*$")


@dataclass
class Land:
    land_use: np.ndarray  # uint8[H, W]
    residents: np.ndarray  # float32[H, W], whole people
    jobs: np.ndarray  # float32[H, W], whole jobs
    floor_m2: np.ndarray  # float64[len(USES), H, W], gross floor area by use


def samples_per_cell(cell_m: float) -> int:
    """Sample points per cell side: about one every 2.5 m, at least 2."""
    return max(2, math.ceil(cell_m / 2.5))


def _matches(tags: dict[str, str], patterns: list[str]) -> bool:
    for pattern in patterns:
        key, _, value = pattern.partition("=")
        if key in tags and (value == "*" or tags[key] == value):
            return True
    return False


def land_cover(areas: list[Area], rules: OsmRules, cell_m: float, shape: tuple[int, int]) -> tuple[list[str], np.ndarray]:
    """The cover classes in priority order and their shares of each cell, float64[K, H, W] in 0..1."""
    names = list(rules.land_cover)
    polygons, layers = [], []
    for area in areas:
        if "building" in area.tags or ("highway" in area.tags and area.tags.get("area") != "yes"):
            continue  # buildings are drawn apart; a closed street is a loop, not an area
        for k, name in enumerate(names):
            if _matches(area.tags, rules.land_cover[name]):
                polygons.append(area.xy)
                layers.append(k)
                break
    share = np.zeros((len(names), *shape))
    x, y, ring_first, polygon_first = polygons_to_arrays(polygons)
    fill_polygons(x, y, ring_first, polygon_first, np.array(layers, dtype=np.int64),
                  np.ones(len(layers)), cell_m, samples_per_cell(cell_m), share)
    return names, np.minimum(share, 1.0)


def sea(extract: Extract, cell_m: float, shape: tuple[int, int], log: ImportLog) -> np.ndarray:
    """float64[H, W]: 1 in cells of sea, 0.5 on the coastline next to the sea, 0 elsewhere."""
    out = np.zeros(shape)
    segments = []
    for way in extract.coastlines:
        ok = np.isfinite(way.x_m[:-1]) & np.isfinite(way.x_m[1:])
        segments.append(np.stack([way.x_m[:-1][ok], way.y_m[:-1][ok], way.x_m[1:][ok], way.y_m[1:][ok]]))
    if not segments:
        return out
    x0, y0, x1, y1 = np.concatenate(segments, axis=1)
    wall = draw_lines(x0, y0, x1, y1, cell_m, shape)
    regions = label_regions(~wall)
    n = int(regions.max()) + 1
    if n == 0:
        return out
    length = np.maximum(np.hypot(x1 - x0, y1 - y0), 1e-9)
    # The unit normal to the right of the direction of travel, three quarters of a cell out.
    nx, ny = (y1 - y0) / length, -(x1 - x0) / length
    mx, my = (x0 + x1) / 2.0, (y0 + y1) / 2.0
    votes = np.zeros(n)
    for sign in (1.0, -1.0):
        px, py = mx + sign * 0.75 * cell_m * nx, my + sign * 0.75 * cell_m * ny
        r, c = np.floor(py / cell_m).astype(np.int64), np.floor(px / cell_m).astype(np.int64)
        ok = (r >= 0) & (r < shape[0]) & (c >= 0) & (c < shape[1])
        hit = regions[r[ok], c[ok]]
        hit = hit[hit >= 0]
        np.add.at(votes, hit, sign)
    is_sea = votes > 0
    out[(regions >= 0) & is_sea[np.maximum(regions, 0)]] = 1.0
    padded = np.pad(out >= 1.0, 1)
    beside = padded[:-2, 1:-1].astype(int) + padded[2:, 1:-1] + padded[1:-1, :-2] + padded[1:-1, 2:]
    out[wall & (beside >= 2)] = 0.5
    log.counts["sea cells (behind the coastline)"] = int((out >= 1.0).sum())
    return out


def _levels(tags: dict[str, str], rules: OsmRules, log: ImportLog) -> float | None:
    b = rules.buildings
    max_levels = float(b["max_levels"])
    storey_m = float(b["storey_height_m"])
    raw = tags.get("building:levels")
    if raw is not None:
        try:
            value = float(raw.split(";")[0])
            if 0.0 < value <= max_levels:
                return max(1.0, value)
        except ValueError:
            pass
        log.default("building levels", f"building:levels={raw} is not a number of storeys: the extract's default")
        return None
    height = tags.get("height")
    if height is not None:
        match = _NUMBER.match(height)
        if match and 0.0 < float(match.group(1)) <= max_levels * storey_m:
            return max(1.0, round(float(match.group(1)) / storey_m, 1))
        log.default("building levels", f"height={height} is not a height in metres: the extract's default")
    return None


def _use(tags: dict[str, str], around: int, rules: OsmRules) -> str:
    value = tags.get("building", "yes")
    for use in ("residential", "office", "retail", "industrial", "public", "none"):
        if value in rules.buildings[use]:
            return use
    if "shop" in tags:
        return "retail"
    if "office" in tags:
        return "office"
    if "amenity" in tags:
        return "public"
    if around == LandUse.HOUSING:
        return "residential"
    if around == LandUse.INDUSTRY:
        return "industrial"
    if around == LandUse.CENTRE:
        return "office"
    return "mixed"


def buildings(extract: Extract, cover_use: np.ndarray, rules: OsmRules, cell_m: float,
              shape: tuple[int, int], log: ImportLog) -> tuple[np.ndarray, np.ndarray]:
    """(footprint share by use float64[U, H, W], gross floor area m2 by use float64[U, H, W])."""
    b = rules.buildings
    found = [a for a in extract.areas if "building" in a.tags and a.tags["building"] not in ("no",)]
    levels = [_levels(a.tags, rules, log) for a in found]
    footprint = np.array([_area_m2(a) for a in found])
    tagged = np.array([lv is not None for lv in levels])
    default = float(b["default_levels"])
    if tagged.sum() >= b["levels_min_tagged"]:
        values = np.array([lv for lv in levels if lv is not None])
        weights = footprint[tagged]
        order = np.argsort(values, kind="stable")
        cum = np.cumsum(weights[order])
        default = float(values[order][np.searchsorted(cum, cum[-1] / 2.0)])
        log.note(f"buildings without levels take {default:g}, the footprint-weighted median of the "
                 f"{int(tagged.sum())} buildings of the extract that are tagged")
    else:
        log.note(f"buildings without levels take {default:g} (rules/osm.toml: too few are tagged to "
                 f"learn it from the extract)")
    log.default("building levels", f"untagged: {default:g}", int((~tagged).sum()))
    h, w = shape
    uses = []
    for area in found:
        x, y = area.xy[0][0], area.xy[0][1]
        r = min(h - 1, max(0, int(np.mean(y) // cell_m)))
        c = min(w - 1, max(0, int(np.mean(x) // cell_m)))
        uses.append(USES.index(_use(area.tags, int(cover_use[r, c]), rules)))
    for use, n in zip(USES, np.bincount(np.array(uses, dtype=np.int64), minlength=len(USES))):
        log.counts[f"buildings: {use}"] = int(n)
    share = np.zeros((len(USES), *shape))
    floor = np.zeros((len(USES), *shape))
    x_all, y_all, ring_first, polygon_first = polygons_to_arrays([a.xy for a in found])
    layer = np.array(uses, dtype=np.int64)
    samples = samples_per_cell(cell_m)
    fill_polygons(x_all, y_all, ring_first, polygon_first, layer, np.ones(len(found)), cell_m, samples, share)
    storeys = np.array([default if lv is None else lv for lv in levels], dtype=np.float64)
    fill_polygons(x_all, y_all, ring_first, polygon_first, layer, storeys * cell_m * cell_m, cell_m, samples, floor)
    floor[USES.index("none")] = 0.0
    return share, floor


def _area_m2(area: Area) -> float:
    total = 0.0
    for x, y in area.xy:
        total += abs(float((x[:-1] * y[1:] - x[1:] * y[:-1]).sum())) / 2.0
    return total


def people(floor: np.ndarray, rules: OsmRules) -> tuple[np.ndarray, np.ndarray]:
    """Residents and jobs per cell (float32, whole people) from floor area by use."""
    b = rules.buildings
    f = {use: floor[k] for k, use in enumerate(USES)}
    mixed_home = b["mixed_residential_share"]
    residents = (f["residential"] + mixed_home * f["mixed"]) / b["floor_m2_per_resident"]
    jobs = (f["office"] / b["floor_m2_per_office_job"] + (1.0 - mixed_home) * f["mixed"] / b["floor_m2_per_office_job"]
            + f["retail"] / b["floor_m2_per_retail_job"] + f["industrial"] / b["floor_m2_per_industrial_job"]
            + f["public"] / b["floor_m2_per_public_job"])
    return np.round(residents).astype(np.float32), np.round(jobs).astype(np.float32)


def road_cells(network: Network, rules: OsmRules, cell_m: float, shape: tuple[int, int]) -> np.ndarray:
    """bool[H, W]: cells crossed by a car road whose carriageway is at least half a cell wide."""
    n = network
    car = (n.modes & 1) != 0
    twin_lanes = np.where(n.twin >= 0, n.lanes[np.maximum(n.twin, 0)], 0)
    width = (n.lanes.astype(np.float64) + twin_lanes) * float(rules.roads["lane_width_m"])
    draw = car & (width >= cell_m / 2.0) & (n.road_class != RoadClass.PATH)
    f, t = n.link_from[draw], n.link_to[draw]
    return draw_lines(n.node_x_m[f], n.node_y_m[f], n.node_x_m[t], n.node_y_m[t], cell_m, shape)


def decide_land_use(cover_names: list[str], cover: np.ndarray, sea_share: np.ndarray, share: np.ndarray,
                    road: np.ndarray, rules: OsmRules, cell_m: float) -> np.ndarray:
    """LandUse codes (uint8[H, W]) by the order in the module's docstring."""
    codes = np.array([int(LandUse[name.upper()]) for name in cover_names], dtype=np.uint8)
    water = cover[cover_names.index("water")] + sea_share
    out = np.full(water.shape, _UNKNOWN, dtype=np.uint8)
    # Land cover: the first class (by priority) covering half a cell, else the largest.
    best = np.argmax(cover, axis=0)
    out = np.where(cover.max(axis=0) > 0.0, codes[best], out)
    half = cover >= 0.5
    first_half = np.argmax(half, axis=0)
    out = np.where(half.any(axis=0), codes[first_half], out)
    built_share = share.sum(axis=0)
    built_code = np.array(_USE_LAND, dtype=np.uint8)[np.argmax(share, axis=0)]
    out = np.where((out == _UNKNOWN) & (built_share > 0.0), built_code, out)
    out = np.where(road, np.uint8(LandUse.ROAD), out)
    out = np.where(built_share >= rules.buildings["built_min_share"], built_code, out)
    out = np.where(water >= 0.5, np.uint8(LandUse.WATER), out)
    return _fill(out, math.ceil(rules.fill_reach_m / cell_m))


def _fill(land_use: np.ndarray, steps: int) -> np.ndarray:
    """Unknown cells take the most common land use of their known neighbours (8 around), up to
    `steps` cells from known land; the rest are grass. Ties go to the lower code."""
    out = land_use.copy()
    for _ in range(steps):
        unknown = out == _UNKNOWN
        if not unknown.any():
            break
        padded = np.pad(out, 1, constant_values=_UNKNOWN)
        counts = np.zeros((8, *out.shape), dtype=np.int64)
        for dr in (0, 1, 2):
            for dc in (0, 1, 2):
                if dr == 1 and dc == 1:
                    continue
                near = padded[dr:dr + out.shape[0], dc:dc + out.shape[1]]
                for code in range(8):
                    counts[code] += near == code
        has = counts.max(axis=0) > 0
        out = np.where(unknown & has, np.argmax(counts, axis=0).astype(np.uint8), out)
    out[out == _UNKNOWN] = LandUse.GRASS
    return out


def build_land(extract: Extract, network: Network, rules: OsmRules, cell_m: float, shape: tuple[int, int],
               log: ImportLog) -> Land:
    names, cover = land_cover(extract.areas, rules, cell_m, shape)
    codes = np.array([int(LandUse[name.upper()]) for name in names], dtype=np.uint8)
    # The land use polygon around a building tells the use of a plain building=yes.
    around = np.where(cover.max(axis=0) > 0.0, codes[np.argmax(cover, axis=0)], _UNKNOWN).astype(np.int64)
    sea_share = sea(extract, cell_m, shape, log)
    share, floor = buildings(extract, around, rules, cell_m, shape, log)
    road = road_cells(network, rules, cell_m, shape)
    land_use = decide_land_use(names, cover, sea_share, share, road, rules, cell_m)
    residents, jobs = people(floor, rules)
    return Land(land_use, residents, jobs, floor)
