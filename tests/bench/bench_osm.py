"""OpenStreetMap import: time and peak memory of `import_osm` on the Helsinki extract (target:
30 s or less) and on an extract 49 times larger (target: under 2 GiB), each in a fresh
process so that its peak resident memory is its own.

The larger extract is the Helsinki one tiled 7 x 7 (ids offset per tile, coordinates
shifted by the extract's width and height), written once with osmium into the system's
temporary folder and reused: 49 x the nodes, ways, areas and bus routes of a real centre.

    python tests/bench/bench_osm.py          # prints the table; run.py includes it
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HELSINKI = Path(__file__).resolve().parents[3] / "shared" / "data" / "osm" / "Helsinki.osm.pbf"
if not HELSINKI.is_file():
    HELSINKI = Path("/work/shared/data/osm/Helsinki.osm.pbf")
TILES = 7
RUNS = 3

_CHILD = """
import json, resource, sys, time
from pathlib import Path
from agora.server.world.osm_import import import_osm
path, cell, zone = Path(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
started = time.perf_counter()
imported = import_osm(path, "bench", cell_m=cell, zone_m=zone)
took = time.perf_counter() - started
w = imported.world
print(json.dumps({"seconds": took, "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
                  "cells": w.grid.shape, "links": w.network.n_links, "zones": w.n_zones,
                  "lines": w.lines.n_lines, "residents": float(w.grid.residents.sum())}))
"""


def tiled_extract(source: Path, tiles: int) -> Path:
    """source repeated tiles x tiles times side by side (cached)."""
    import osmium

    out = Path(tempfile.gettempdir()) / f"agora-bench-{source.stem.split('.')[0]}-{tiles}x{tiles}.osm.pbf"
    if out.is_file():
        return out
    box = osmium.io.Reader(str(source), osmium.osm.NOTHING).header().box()
    d_lon = box.top_right.lon - box.bottom_left.lon
    d_lat = box.top_right.lat - box.bottom_left.lat
    nodes, ways, relations = [], [], []
    for obj in osmium.FileProcessor(str(source)):
        if isinstance(obj, osmium.osm.Node):
            nodes.append((obj.id, obj.location.lon, obj.location.lat, dict(obj.tags)))
        elif isinstance(obj, osmium.osm.Way):
            ways.append((obj.id, [n.ref for n in obj.nodes], dict(obj.tags)))
        elif isinstance(obj, osmium.osm.Relation):
            relations.append((obj.id, [(m.type, m.ref, m.role) for m in obj.members], dict(obj.tags)))
    offsets = [(t + 1) << 36 for t in range(tiles * tiles)]
    shifts = [((t % tiles) * d_lon, (t // tiles) * d_lat) for t in range(tiles * tiles)]
    partial = out.with_suffix(".part.pbf")
    partial.unlink(missing_ok=True)
    writer = osmium.SimpleWriter(str(partial))
    try:
        for off, (dx, dy) in zip(offsets, shifts):
            for i, lon, lat, tags in nodes:
                writer.add_node(osmium.osm.mutable.Node(id=i + off, location=(lon + dx, lat + dy), tags=tags))
        for off in offsets:
            for i, refs, tags in ways:
                writer.add_way(osmium.osm.mutable.Way(id=i + off, nodes=[r + off for r in refs], tags=tags))
        for off in offsets:
            for i, members, tags in relations:
                writer.add_relation(osmium.osm.mutable.Relation(
                    id=i + off, members=[(k, r + off, role) for k, r, role in members], tags=tags))
    finally:
        writer.close()
    partial.rename(out)
    return out


def measure(path: Path, cell_m: float, zone_m: float) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", _CHILD, str(path), str(cell_m), str(zone_m)],
                          capture_output=True, text=True, check=True)
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    if not HELSINKI.is_file():
        return rows
    measure(HELSINKI, 10.0, 100.0)  # compile the kernels into numba's cache first
    for name, path, cell, zone, runs in (
        ("Helsinki centre (cell 10 m, zones 100 m)", HELSINKI, 10.0, 100.0, RUNS),
        (f"Helsinki tiled {TILES} x {TILES} (cell 25 m, zones 200 m)", tiled_extract(HELSINKI, TILES), 25.0, 200.0, 1),
    ):
        results = [measure(path, cell, zone) for _ in range(runs)]
        seconds = [float(r["seconds"]) for r in results]  # type: ignore[arg-type]
        last = results[-1]
        rows.append({
            "benchmark": "osm import",
            "case": name,
            "median_ms": statistics.median(seconds) * 1000.0,
            "runs": runs,
            "detail": (f"peak {max(float(r['peak_mib']) for r in results):.0f} MiB, "  # type: ignore[arg-type]
                       f"{path.stat().st_size / 1e6:.1f} MB file, cells {last['cells']}, links {last['links']}, "
                       f"zones {last['zones']}, lines {last['lines']}"),
        })
    return rows


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from run import table

    print(table(run()))
