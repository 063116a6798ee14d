"""Shops, schools and doctors on the grid, from the places an OpenStreetMap extract tags
(rules/osm.toml, [osm_amenities]).

    shops, schools, doctors = amenity_grids(extract.points, rules, cell_m, shape, log)

A place is a tagged node or the centre of a tagged area. A shop gives retail jobs, a cafe,
restaurant, bank or the like service jobs (both on the `shops` layer the demand and access
models read as retail and service jobs); a school its capacity tag or the rules' places;
a practice, clinic or hospital its doctors. A school mapped twice (as a node and an area
with the same name) counts once.
"""

from __future__ import annotations

import numpy as np

from agora.server.world.osm_read import Point
from agora.server.world.osm_rules import ImportLog, OsmRules


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value.split(";")[0].strip())
    except ValueError:
        return None
    return number if 0.0 < number < 1e5 else None


def amenity_grids(points: list[Point], rules: OsmRules, cell_m: float, shape: tuple[int, int],
                  log: ImportLog) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(retail and service jobs, school places, doctors), each float32[H, W] of whole numbers."""
    a = rules.amenities
    out = np.zeros((3, *shape))
    seen_schools: set[str] = set()
    counts = {"shops": 0, "services": 0, "schools": 0, "health": 0}
    outside = 0
    for point in points:
        tags = point.tags
        row, col = int(np.floor(point.y_m / cell_m)), int(np.floor(point.x_m / cell_m))
        if not (0 <= row < shape[0] and 0 <= col < shape[1]):
            outside += 1
            continue
        amenity = tags.get("amenity", "")
        shop = tags.get("shop")
        if shop is not None and shop not in ("no", "vacant"):
            out[0, row, col] += a["jobs_per_large_shop"] if shop in a["large_shops"] else a["jobs_per_shop"]
            counts["shops"] += 1
        elif amenity in a["services"]:
            out[0, row, col] += a["jobs_per_service"]
            counts["services"] += 1
        if amenity in a["schools"]:
            name = tags.get("name", "")
            if name and name in seen_schools:
                log.drop("schools", "mapped twice (a node and an area of the same name)")
            else:
                seen_schools.add(name)
                places = _number(tags.get("capacity"))
                if places is None:
                    log.default("school places", f"no capacity tag: {a['school_places_per_school']:g} per school")
                    places = a["school_places_per_school"]
                out[1, row, col] += places
                counts["schools"] += 1
        doctors = max((a["doctors"].get(tags.get(k, ""), 0.0) for k in ("amenity", "healthcare")), default=0.0)
        if doctors > 0.0:
            out[2, row, col] += doctors
            counts["health"] += 1
    log.drop("places", "outside the box", outside)
    for name, n in counts.items():
        log.counts[f"places: {name}"] = n
    rounded = np.round(out).astype(np.float32)
    return rounded[0], rounded[1], rounded[2]
