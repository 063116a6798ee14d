"""Any city from OpenStreetMap: `agora world import-osm` turns an extract into a world folder.

    agora world import-osm Helsinki.osm.pbf --name helsinki-centre --cell 10 --zone 100

    imported = import_osm(Path("Helsinki.osm.pbf"), "helsinki-centre", cell_m=10.0)
    write_world(imported, worlds_root() / "helsinki-centre")   # world.toml, world.npz, import-report.md

The steps: read the file (osm_read), plan the bus routes so their stops stay nodes
(osm_lines), build the street network (osm_network, osm_roads), the land use, residents
and jobs (osm_land), shops, schools and doctors (osm_services), the bus lines, and the
zones of demand: square blocks of cells with people or jobs in them, each with the car node
nearest its centre of activity as its centroid. Every default the tags did not give, and
everything left out, is counted in the report. Bad input raises OsmImportError with a
sentence to act on; the folder is written in a temporary folder beside it and moved into
place only when complete.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec
import numpy as np

from agora.server.world.osm_rules import ImportLog, OsmImportError, OsmRules
from agora.server.world.types import LandUse, Mode, RoadClass
from agora.server.world.names import LinkNames
from agora.server.world.world import Geo, Grid, World, WorldMeta, worlds_root
from agora.server.world.zones import zone_nodes

if TYPE_CHECKING:  # the osm_* builders import osmium and numba: loaded only when an import runs
    from agora.server.world.osm_network import RoadNetwork

# The default world's modules, in order (worlds/default/world.toml).
MODULES = ["demand", "traffic", "fleet", "emissions", "noise", "noise_map", "air", "habitat", "species",
           "connectivity", "access", "indicators"]
MAX_CELLS = 1024 * 1024
ATTRIBUTION = ("© OpenStreetMap contributors. Data from OpenStreetMap, available under the Open Database "
               "License (ODbL 1.0): https://www.openstreetmap.org/copyright")
REPORT = "import-report.md"


class Progress:
    """One line per step on stderr, with its time; a running count while reading on a terminal."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self.started = time.perf_counter()
        self.step_started = self.started

    def step(self, text: str) -> None:
        self.step_started = time.perf_counter()
        if not self.quiet:
            print(f"  {text} ...", end="\n" if not self.tty else "", file=sys.stderr, flush=True)

    def count(self, n: int) -> None:
        if self.tty and not self.quiet:
            print(f"\r  reading ... {n:,} objects", end="", file=sys.stderr, flush=True)

    def done(self, detail: str = "") -> None:
        if not self.quiet:
            took = time.perf_counter() - self.step_started
            lead = "\r  " if self.tty else "    "
            print(f"{lead}{detail or 'done'} ({took:.1f} s)" + (" " * 20 if self.tty else ""),
                  file=sys.stderr, flush=True)


@dataclass
class Imported:
    world: World
    roads: RoadNetwork
    log: ImportLog
    source: str

    def report(self) -> str:
        m = self.world.meta
        head = [f"# Import of {self.source} as {m.name}", "", m.description, "", f"Attribution: {m.attribution}", ""]
        return "\n".join(head + self.log.lines()) + "\n"


def zone_side_cells(cell_m: float, zone_m: float, shape: tuple[int, int], max_zones: int) -> int:
    """Cells per side of a zone: about zone_m, grown until at most max_zones blocks cover the grid."""
    side = max(1, round(zone_m / cell_m))
    while math.ceil(shape[0] / side) * math.ceil(shape[1] / side) > max_zones:
        side += 1
    return side


def zones(land_use: np.ndarray, activity: np.ndarray, side: int) -> np.ndarray:
    """Zone per cell (int32[H, W]): blocks of side x side cells with activity on land, numbered
    south to north, west to east; -1 for water and empty blocks."""
    h, w = land_use.shape
    per_row = -(-w // side)
    rows, cols = np.mgrid[0:h, 0:w]
    block = (rows // side) * per_row + cols // side
    on_land = land_use != LandUse.WATER
    busy = np.bincount(block[on_land], weights=activity[on_land], minlength=-(-h // side) * per_row) > 0
    number = np.full(busy.shape, -1, dtype=np.int32)
    number[busy] = np.arange(int(busy.sum()), dtype=np.int32)
    zone: np.ndarray = np.where(on_land, number[block], -1).astype(np.int32)
    return zone


def import_osm(path: Path, name: str, *, bbox: tuple[float, float, float, float] | None = None,
               cell_m: float = 25.0, zone_m: float | None = None, country: str | None = None,
               title: str | None = None, rules: OsmRules | None = None,
               progress: Progress | None = None) -> Imported:
    """Build the world of an extract (nothing is written)."""
    from agora.server.world.osm_land import build_land
    from agora.server.world.osm_lines import bus_lines, plan_routes, protected_nodes
    from agora.server.world.osm_network import build_network
    from agora.server.world.osm_read import read_extract
    from agora.server.world.osm_services import amenity_grids

    if not (1.0 <= cell_m <= 500.0):
        raise OsmImportError(f"--cell {cell_m:g} is not a sensible cell size: give 1 to 500 metres")
    rules = rules or OsmRules.load()
    progress = progress or Progress(quiet=True)
    log = ImportLog()
    progress.step(f"reading {path.name}")
    extract = read_extract(path, bbox, progress.count)
    progress.done(f"read {extract.objects_read:,} objects: {len(extract.highways):,} streets and paths, "
                  f"{len(extract.areas):,} areas, {len(extract.points):,} places, {len(extract.routes):,} bus routes")
    if bbox is not None and extract.bbox != bbox:
        log.note("the box was cut to the extent of the data: "
                 + ",".join(f"{v:.7f}" for v in extract.bbox) + " (west,south,east,north)")
    for key, n in sorted(extract.cut_areas.items()):
        log.drop(f"areas ({key}=*)", "cut open by the extract's edge (osmium extract --strategy smart keeps "
                 "them whole)", n)
    country = (country or extract.country or "").upper() or None
    if country is None:
        log.note("no country given or found in the extract: the default speed limits of rules/osm.toml")
    elif country not in rules.speeds:
        log.note(f"country {country} has no speed table in rules/osm.toml: the default one")
    else:
        log.note(f"country {country}: speed limits of [osm_speed_kmh.{country}] where untagged")
    # The box's north-east corner, projected and rounded as every node is.
    corner = extract.projection(np.array([extract.bbox[2]]), np.array([extract.bbox[3]]))
    w_m, h_m = float(corner[0][0]), float(corner[1][0])
    shape = (max(1, math.ceil(h_m / cell_m)), max(1, math.ceil(w_m / cell_m)))
    if shape[0] * shape[1] > MAX_CELLS:
        raise OsmImportError(f"{w_m / 1000:.1f} x {h_m / 1000:.1f} km at {cell_m:g} m makes {shape[1]} x {shape[0]} "
                             f"cells, more than {MAX_CELLS:,}: give a larger --cell or a smaller --bbox")

    progress.step("building the street network")
    plans = plan_routes(extract, rules, log)
    roads = build_network(extract.highways, rules, country, (w_m, h_m), protected_nodes(plans), log)
    network = roads.network
    progress.done(f"{network.n_nodes:,} nodes, {network.n_links:,} links")

    progress.step("drawing land use, buildings, residents and jobs")
    land = build_land(extract, network, rules, cell_m, shape, log)
    shops, schools, doctors = amenity_grids(extract.points, rules, cell_m, shape, log)
    jobs = np.maximum(land.jobs, shops + doctors).astype(np.float32)
    progress.done(f"{int(land.residents.sum()):,} residents, {int(jobs.sum()):,} jobs")

    progress.step("bus lines and zones")
    lines = bus_lines(plans, roads, rules, log)
    activity = land.residents + jobs + schools + shops
    if activity.sum() <= 0:
        raise OsmImportError("the extract has no buildings or places with people or jobs inside the box: "
                             "a world needs somewhere for trips to start and end")
    side = zone_side_cells(cell_m, zone_m or rules.zones["side_m"], shape, int(rules.zones["max_zones"]))
    zone = zones(land.land_use, activity, side)
    if zone.max() < 0:
        raise OsmImportError("every building or place with people or jobs lies on water: no zone for demand")
    zone_node = zone_nodes(network, zone, activity, cell_m)
    progress.done(f"{lines.n_lines} bus lines, {int(zone.max()) + 1} zones of {side} x {side} cells")

    centre_lon = (extract.bbox[0] + extract.bbox[2]) / 2.0
    centre_lat = (extract.bbox[1] + extract.bbox[3]) / 2.0
    grid = Grid(land_use=land.land_use, residents=land.residents, jobs=jobs, zone=zone,
                school_places=schools, shops=shops, health=doctors)
    meta = WorldMeta(
        name=name,
        title=title or name,
        description=(
            f"{title or name}, imported from OpenStreetMap ({path.name}): {w_m / 1000:.2f} x {h_m / 1000:.2f} km "
            f"around {centre_lat:.4f} N {centre_lon:.4f} E, with about {round(float(land.residents.sum()), -2):,.0f} "
            f"residents and {round(float(jobs.sum()), -2):,.0f} jobs estimated from the floor area of its "
            f"buildings. Frame: metres east and north of {extract.bbox[0]:.7f} E {extract.bbox[1]:.7f} N "
            f"(equirectangular at {extract.projection.lat0:.4f} N)."
        ),
        attribution=f"{ATTRIBUTION}. Imported with `agora world import-osm` from {path.name}.",
        cell_m=cell_m,
        modules=list(MODULES),
        parameters={"demand": {"intrazonal_m": round(rules.zones["intrazonal_per_side"] * side * cell_m, 1)}},
        geo=Geo(extract.projection.west, extract.projection.south, extract.projection.lat0,
                *extract.projection.metres_per_degree),
    )
    world = World(meta=meta, grid=grid, network=network, zone_node=zone_node, lines=lines,
                  names=LinkNames.of(roads.link_name))
    world.validate()
    _count(world, log, side)
    return Imported(world, roads, log, path.name)


def _count(world: World, log: ImportLog, side: int) -> None:
    g, n = world.grid, world.network
    h, w = g.shape
    car = (n.modes & Mode.CAR) != 0
    counts: dict[str, int | float | str] = {
        "cells": f"{w} x {h} of {world.meta.cell_m:g} m",
        "nodes": n.n_nodes,
        "links": n.n_links,
        "drivable links": int(car.sum()),
        **{f"links: {c.name.lower()}": int((n.road_class == c).sum()) for c in RoadClass},
        "one-way car links": int((car & ((n.twin < 0) | ((n.modes[np.maximum(n.twin, 0)] & Mode.CAR) == 0))).sum()),
        "links with a bus lane": int(n.bus_lane.sum()),
        "links with a bike lane": int(n.bike_lane.sum()),
        **{f"cells: {c.name.lower()}": int((g.land_use == c).sum()) for c in LandUse},
        "residents": int(g.residents.sum()),
        "jobs": int(g.jobs.sum()),
        "retail and service jobs": int(g.shops.sum()),
        "school places": int(g.school_places.sum()),
        "doctors": int(g.health.sum()),
        "bus lines": world.lines.n_lines,
        "bus stops": int(world.lines.stop.sum()) + world.lines.n_lines,
        "zones": f"{world.n_zones} (blocks of {side} x {side} cells)",
        "state hash": world.state_hash(),
    }
    log.counts.update(counts)


def write_world(imported: Imported, out: Path, force: bool = False) -> None:
    """Save into a temporary folder beside `out`, then move it into place (replacing a world
    keeps the files the import does not write, such as its README)."""
    out = Path(out)
    if out.exists() and not force:
        raise OsmImportError(f"{out} exists already: give --force to replace it, or another --name or --out")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    tmp.chmod(0o755)  # mkdtemp's 0700 would hide a bundled world from other users
    try:
        imported.world.save(tmp)
        (tmp / REPORT).write_text(imported.report(), encoding="utf-8")
        if out.exists():
            # What the import does not write (a README, notes) stays with the world.
            for entry in sorted(out.iterdir()):
                if not (tmp / entry.name).exists():
                    if entry.is_dir():
                        shutil.copytree(entry, tmp / entry.name)
                    else:
                        shutil.copy2(entry, tmp / entry.name)
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
            os.replace(out, old / out.name)
            os.replace(tmp, out)
            shutil.rmtree(old)
        else:
            os.replace(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


# -- command line ---------------------------------------------------------------------------


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "import-osm",
        help="import an OpenStreetMap extract as a world folder",
        description="Turn an OpenStreetMap extract (.osm.pbf) into a playable world: streets, buildings, "
                    "residents and jobs, land cover, shops, schools, doctors, bus lines and zones.",
    )
    parser.add_argument("file", type=Path, help="the extract, e.g. city.osm.pbf")
    parser.add_argument("--name", required=True, help="the world's name (its folder under worlds/)")
    parser.add_argument("--bbox", default=None, help="west,south,east,north in degrees (default: the whole extract)")
    parser.add_argument("--cell", type=float, default=25.0, help="cell size in metres (default 25)")
    parser.add_argument("--zone", type=float, default=None, help="zone side in metres (default rules/osm.toml)")
    parser.add_argument("--country", default=None, help="ISO code for default speed limits (default: found in the extract)")
    parser.add_argument("--title", default=None, help="the title players see (default: the name)")
    parser.add_argument("--out", type=Path, default=None, help="world folder to write (default: worlds/NAME)")
    parser.add_argument("--force", action="store_true", help="replace the folder if it exists")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from agora.server.world.osm_read import parse_bbox

    out = Path(args.out) if args.out is not None else worlds_root() / args.name
    progress = Progress()
    try:
        if not args.name or "/" in args.name or args.name.startswith("."):
            raise OsmImportError(f"--name {args.name!r} must be a plain folder name")
        if out.exists() and not args.force:
            raise OsmImportError(f"{out} exists already: give --force to replace it, or another --name or --out")
        bbox = parse_bbox(args.bbox) if args.bbox else None
        imported = import_osm(args.file, args.name, bbox=bbox, cell_m=args.cell, zone_m=args.zone,
                              country=args.country, title=args.title, progress=progress)
        imported.world.meta = msgspec.structs.replace(imported.world.meta, name=out.name)
        write_world(imported, out, force=args.force)
    except OsmImportError as exc:
        print(f"agora world import-osm: error: {exc}", file=sys.stderr)
        return 2
    print("\n".join(imported.log.lines()))
    print(f"\nsaved to {out} in {time.perf_counter() - progress.started:.1f} s")
    return 0
