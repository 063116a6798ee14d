"""Reading an OpenStreetMap extract with osmium: the streets, areas, places and bus routes a
world is built from, projected onto the world's frame and sorted by OSM id.

    extract = read_extract(Path("Helsinki.osm.pbf"))           # the whole extract
    extract = read_extract(path, bbox=(24.93, 60.16, 24.95, 60.18))
    extract.highways[0].tags["highway"], extract.highways[0].x_m

One pass over the file (osmium keeps the node locations and assembles multipolygons);
of the nodes only shops, amenities and health care reach Python, and of the tags only
those the import reads. Everything is sorted by OSM id afterwards, so the result does not
depend on the order of the file's blocks.

Frame: x east and y north in metres from the south-west corner of the bounding box, an
equirectangular projection scaled at the box's middle latitude with the WGS84 ellipsoid's
radii of curvature there. Over the few kilometres of a town the scale error stays below
0.1% per kilometre north or south of the middle; coordinates are rounded to the centimetre
so that the world's hash does not depend on the last bit of a platform's libm.
"""

from __future__ import annotations

import math
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import osmium

from agora.server.world.osm_rules import OsmImportError

# Keys of the areas the import uses (buildings, land cover, schools, hospitals...).
AREA_KEYS = ("building", "landuse", "leisure", "natural", "water", "waterway", "amenity", "shop",
             "healthcare", "place", "highway")
POINT_KEYS = ("shop", "amenity", "healthcare")
# The tags the import reads (a key is kept when it, or its part before ':', is listed): a
# city's worth of names in forty languages would otherwise fill the memory.
STREET_FAMILIES = frozenset({"highway", "lanes", "maxspeed", "oneway", "junction", "service", "motorroad", "access",
                             "vehicle", "motor_vehicle", "motorcar", "psv", "bus", "bicycle", "foot", "cycleway",
                             "busway", "area", "natural"})
AREA_TAGS = frozenset(AREA_KEYS) | {"building:levels", "height", "area", "office", "capacity", "name"}
POINT_TAGS = frozenset(POINT_KEYS) | {"capacity", "name"}
_WGS84_A = 6378137.0
_WGS84_E2 = 0.00669437999014

BBox = tuple[float, float, float, float]  # west, south, east, north in degrees
_NONE = np.zeros(0)


@dataclass(frozen=True)
class Projection:
    """lon/lat degrees to metres from (west, south), equirectangular at `lat0`."""

    west: float
    south: float
    lat0: float

    @property
    def metres_per_degree(self) -> tuple[float, float]:
        s = math.sin(math.radians(self.lat0))
        w = 1.0 - _WGS84_E2 * s * s
        meridian = _WGS84_A * (1.0 - _WGS84_E2) / w ** 1.5
        normal = _WGS84_A / math.sqrt(w)
        return (round(normal * math.cos(math.radians(self.lat0)) * math.pi / 180.0, 6),
                round(meridian * math.pi / 180.0, 6))

    def __call__(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        kx, ky = self.metres_per_degree
        x: np.ndarray = np.round((np.asarray(lon, np.float64) - self.west) * kx, 2)
        y: np.ndarray = np.round((np.asarray(lat, np.float64) - self.south) * ky, 2)
        return x, y


@dataclass
class Way:
    osm_id: int
    tags: dict[str, str]
    node_ids: np.ndarray  # int64[n]
    lon: np.ndarray  # float64[n]; nan where the extract lacks the node (emptied once projected)
    lat: np.ndarray
    x_m: np.ndarray = field(default_factory=lambda: np.zeros(0))  # set by project()
    y_m: np.ndarray = field(default_factory=lambda: np.zeros(0))


@dataclass
class Area:
    osm_id: int  # osmium's area id: way id x 2, relation id x 2 + 1
    tags: dict[str, str]
    rings: list[tuple[np.ndarray, np.ndarray]]  # (lon, lat) per ring, outer and inner: even-odd fill (emptied once projected)
    xy: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)  # set by project()


@dataclass
class Point:
    osm_id: int
    tags: dict[str, str]
    lon: float
    lat: float
    x_m: float = 0.0
    y_m: float = 0.0


@dataclass
class Route:
    osm_id: int
    tags: dict[str, str]
    ways: np.ndarray  # int64 way ids in the relation's order (its platform and stop ways left out)
    stops: list[tuple[int, str, float, float]]  # (node id, role, x_m, y_m) of the stop and platform nodes


@dataclass
class Extract:
    highways: list[Way]
    coastlines: list[Way]
    areas: list[Area]
    points: list[Point]
    routes: list[Route]
    country: str | None
    bbox: BBox
    projection: Projection
    objects_read: int
    cut_areas: Counter[str]  # closed ways cut by the extract's edge (no area made of them), by key


def _tags(obj: Any, keys: frozenset[str] | None = None, families: frozenset[str] = frozenset()) -> dict[str, str]:
    """The object's tags: all, or those whose key is in `keys` or starts with one of
    `families` and a ':' (lanes:forward, maxspeed:backward, oneway:bicycle...)."""
    if keys is None:
        return {t.k: t.v for t in obj.tags}
    return {t.k: t.v for t in obj.tags if t.k in keys or t.k.split(":", 1)[0] in families}


def _way(obj: Any) -> Way:
    refs = [(n.ref, n.location) for n in obj.nodes]
    ids = np.array([r for r, _ in refs], dtype=np.int64)
    lon = np.array([loc.lon if loc.valid() else math.nan for _, loc in refs], dtype=np.float64)
    lat = np.array([loc.lat if loc.valid() else math.nan for _, loc in refs], dtype=np.float64)
    return Way(int(obj.id), _tags(obj, frozenset({"name"}), STREET_FAMILIES), ids, lon, lat)


def _project_all(projection: Projection, lons: list[np.ndarray], lats: list[np.ndarray]
                 ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Project many arrays in one call; the pieces come back in order."""
    if not lons:
        return [], []
    cut = np.cumsum([a.size for a in lons])[:-1]
    x, y = projection(np.concatenate(lons), np.concatenate(lats))
    return np.split(x, cut), np.split(y, cut)


def _members(obj: Any) -> tuple[np.ndarray, list[tuple[int, str]]]:
    """A route's ways (int64, in order; platform and stop ways left out) and its stop nodes."""
    ways: list[int] = []
    stops: list[tuple[int, str]] = []
    for m in obj.members:
        role = m.role
        if m.type == "w" and not role.startswith(("platform", "stop")):
            ways.append(m.ref)
        elif m.type == "n" and (role.startswith(("stop", "platform")) or role == ""):
            stops.append((m.ref, sys.intern(role)))
    return np.array(ways, dtype=np.int64), stops


def _rings(obj: Any) -> list[tuple[np.ndarray, np.ndarray]]:
    rings = []
    for outer in obj.outer_rings():
        for ring in (outer, *obj.inner_rings(outer)):
            lon = np.array([n.lon for n in ring], dtype=np.float64)
            lat = np.array([n.lat for n in ring], dtype=np.float64)
            if lon.size >= 4:
                rings.append((lon, lat))
    return rings


def _ring_centroid(lon: np.ndarray, lat: np.ndarray) -> tuple[float, float]:
    cross = lon[:-1] * lat[1:] - lon[1:] * lat[:-1]
    a = cross.sum() / 2.0
    if abs(a) < 1e-18:
        return float(lon.mean()), float(lat.mean())
    return (float(((lon[:-1] + lon[1:]) * cross).sum() / (6.0 * a)),
            float(((lat[:-1] + lat[1:]) * cross).sum() / (6.0 * a)))


def parse_bbox(text: str) -> BBox:
    """'west,south,east,north' in degrees, checked."""
    try:
        w, s, e, n = (float(v) for v in text.split(","))
    except ValueError:
        raise OsmImportError(f"--bbox takes four numbers west,south,east,north in degrees, not {text!r}") from None
    if not (-180.0 <= w < e <= 180.0 and -90.0 <= s < n <= 90.0):
        raise OsmImportError(f"--bbox {text!r} is not a box: give west,south,east,north with west < east and south < north")
    return (w, s, e, n)


def read_extract(path: Path, bbox: BBox | None = None,
                 progress: Callable[[int], None] | None = None) -> Extract:
    """Read the file; `bbox` cuts it down (default: the file's own box cut to its data, else the
    extent of its streets and areas)."""
    if not path.is_file():
        raise OsmImportError(f"{path} does not exist or is not a file")
    place_nodes = osmium.filter.KeyFilter(*POINT_KEYS)
    place_nodes.enable_for(osmium.osm.NODE)
    street_ways = osmium.filter.KeyFilter(*AREA_KEYS)
    street_ways.enable_for(osmium.osm.WAY)
    route_relations = osmium.filter.TagFilter(("route", "bus"), ("boundary", "administrative"))
    route_relations.enable_for(osmium.osm.RELATION)
    processor = (
        osmium.FileProcessor(str(path)).with_locations()
        .with_areas(osmium.filter.KeyFilter(*AREA_KEYS))
        .with_filter(place_nodes).with_filter(street_ways).with_filter(route_relations)
    )
    highways: list[Way] = []
    coastlines: list[Way] = []
    areas: list[Area] = []
    points: list[Point] = []
    relations: list[tuple[int, dict[str, str], np.ndarray, list[tuple[int, str]]]] = []
    countries: list[tuple[int, str]] = []
    cut_areas: Counter[str] = Counter()
    seen = 0
    try:
        for obj in processor:
            seen += 1
            if progress is not None and seen % 20000 == 0:
                progress(seen)
            if isinstance(obj, osmium.osm.Node):
                points.append(Point(int(obj.id), _tags(obj, POINT_TAGS), obj.location.lon, obj.location.lat))
            elif isinstance(obj, osmium.osm.Way):
                if "highway" in obj.tags and obj.tags.get("area") != "yes":
                    highways.append(_way(obj))
                elif obj.tags.get("natural") == "coastline":
                    coastlines.append(_way(obj))
                elif obj.is_closed() and not all(n.location.valid() for n in obj.nodes):
                    # A closed way the extract's edge cuts: osmium can make no area of it.
                    cut_areas[next(k for k in AREA_KEYS if k in obj.tags)] += 1
            elif isinstance(obj, osmium.osm.Relation):
                tags = _tags(obj)
                if tags.get("route") == "bus":
                    relations.append((int(obj.id), tags, *_members(obj)))
                elif tags.get("admin_level") == "2" and "ISO3166-1" in tags:
                    countries.append((int(obj.id), tags["ISO3166-1"].upper()))
            elif isinstance(obj, osmium.osm.Area):
                rings = _rings(obj)
                if rings:
                    area = Area(int(obj.id), _tags(obj, AREA_TAGS), rings)
                    areas.append(area)
                    if any(k in area.tags for k in POINT_KEYS):
                        lon, lat = _ring_centroid(*rings[0])
                        points.append(Point(-int(obj.id), area.tags, lon, lat))
    except RuntimeError as exc:
        raise OsmImportError(f"{path} cannot be read as OpenStreetMap data ({exc}); give an .osm.pbf, "
                             f".osm or .o5m extract") from None
    if seen == 0:
        raise OsmImportError(f"{path} holds no OpenStreetMap objects: the extract is empty")

    box = _choose_bbox(bbox, processor.header.box(), highways, areas)
    projection = Projection(box[0], box[1], round((box[1] + box[3]) / 2.0, 7))
    locations = processor.node_location_storage
    assert locations is not None  # with_locations() above
    routes = []
    for osm_id, route_tags, way_ids, stop_nodes in sorted(relations, key=lambda r: r[0]):
        found: list[tuple[int, str, float, float]] = []
        for ref, role in stop_nodes:
            try:
                where = locations.get(ref)
            except KeyError:
                continue
            if where.valid():
                found.append((ref, role, where.lon, where.lat))
        x, y = projection(np.array([f[2] for f in found]), np.array([f[3] for f in found]))
        stops = [(ref, role, float(sx), float(sy)) for (ref, role, _, _), sx, sy in zip(found, x, y)]
        routes.append(Route(osm_id, route_tags, way_ids, stops))
    # Project, and let the degrees go: the rest of the import works in metres.
    lines = [*highways, *coastlines]
    xs, ys = _project_all(projection, [w.lon for w in lines], [w.lat for w in lines])
    for way, x, y in zip(lines, xs, ys):
        way.x_m, way.y_m = x, y
        way.lon = way.lat = _NONE
    rings = [ring for area in areas for ring in area.rings]
    xs, ys = _project_all(projection, [r[0] for r in rings], [r[1] for r in rings])
    at = 0
    for area in areas:
        area.xy = list(zip(xs[at:at + len(area.rings)], ys[at:at + len(area.rings)]))
        at += len(area.rings)
        area.rings = []
    x, y = projection(np.array([p.lon for p in points]), np.array([p.lat for p in points]))
    for point, px, py in zip(points, x.tolist(), y.tolist()):
        point.x_m, point.y_m = px, py
    return Extract(
        highways=sorted(highways, key=lambda w: w.osm_id),
        coastlines=sorted(coastlines, key=lambda w: w.osm_id),
        areas=sorted(areas, key=lambda a: a.osm_id),
        points=sorted(points, key=lambda p: p.osm_id),
        routes=routes,
        country=min(countries)[1] if countries else None,
        bbox=box,
        projection=projection,
        objects_read=seen,
        cut_areas=cut_areas,
    )


def _choose_bbox(given: BBox | None, header: Any, highways: list[Way], areas: list[Area]) -> BBox:
    """The box to import: the given one (checked against the data), else the file's, else the data's."""
    lons = [w.lon[np.isfinite(w.lon)] for w in highways] + [r[0] for a in areas for r in a.rings]
    lats = [w.lat[np.isfinite(w.lat)] for w in highways] + [r[1] for a in areas for r in a.rings]
    lon = np.concatenate(lons) if lons else np.zeros(0)
    lat = np.concatenate(lats) if lats else np.zeros(0)
    if lon.size == 0:
        raise OsmImportError("the extract holds no streets and no areas (buildings, land cover): nothing to "
                             "build a world from")
    data = (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()))
    if given is not None:
        inside = (lon >= given[0]) & (lon <= given[2]) & (lat >= given[1]) & (lat <= given[3])
        if not inside.any():
            raise OsmImportError(
                f"--bbox {','.join(f'{v:g}' for v in given)} lies outside the data, which covers "
                f"{data[0]:.5f},{data[1]:.5f},{data[2]:.5f},{data[3]:.5f} (west,south,east,north)")
        # Cut to the data: a box larger than the extract would only add empty cells.
        return (max(given[0], data[0]), max(given[1], data[1]), min(given[2], data[2]), min(given[3], data[3]))
    if header.valid():
        # The file's box, cut to its data (a header may declare a box far larger than the extract).
        box = (max(header.bottom_left.lon, data[0]), max(header.bottom_left.lat, data[1]),
               min(header.top_right.lon, data[2]), min(header.top_right.lat, data[3]))
        if box[0] < box[2] and box[1] < box[3]:
            return (float(box[0]), float(box[1]), float(box[2]), float(box[3]))
    return data
