"""Small extracts written on the spot: a lattice town that imports and plays, and the bad
inputs that must give a clear error (never a crash, never a half-written world folder)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import numpy as np
import pytest

from agora.server.cli import main
from agora.server.world.osm_import import import_osm, write_world
from agora.server.world.osm_network import components
from agora.server.world.osm_rules import OsmImportError
from agora.server.world.simulation import Simulation
from agora.server.world.types import LandUse, Mode
from agora.server.world.world import World

LON0, LAT0, DLON, DLAT = 25.0, 60.0, 0.0018, 0.0009  # about 100 m each way at 60 N
Tags = dict[str, str]


def node_id(i: int, j: int) -> int:
    return 1 + j * 5 + i


def write_osm(path: Path, nodes: dict[int, tuple[float, float, Tags]], ways: dict[int, tuple[list[int], Tags]],
              relations: dict[int, tuple[list[tuple[str, int, str]], Tags]] | None = None) -> Path:
    def tags(t: Tags) -> str:
        return "".join(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in t.items())

    out = ["<?xml version='1.0' encoding='UTF-8'?>", '<osm version="0.6" generator="agora-tests">']
    for i, (lon, lat, t) in sorted(nodes.items()):
        out.append(f'<node id="{i}" version="1" lat="{lat:.7f}" lon="{lon:.7f}">{tags(t)}</node>')
    for i, (refs, t) in sorted(ways.items()):
        out.append(f'<way id="{i}" version="1">' + "".join(f'<nd ref="{r}"/>' for r in refs) + tags(t) + "</way>")
    for i, (members, t) in sorted((relations or {}).items()):
        out.append(f'<relation id="{i}" version="1">'
                   + "".join(f'<member type="{k}" ref="{r}" role="{role}"/>' for k, r, role in members)
                   + tags(t) + "</relation>")
    out.append("</osm>")
    path.write_text("\n".join(out), encoding="utf-8")
    return path


def square(nodes: dict[int, tuple[float, float, Tags]], first_id: int, lon: float, lat: float,
           size: float = 0.4) -> list[int]:
    """A closed ring of four new nodes, size x (100 m) wide, south-west corner at lon, lat."""
    corners = [(0, 0), (1, 0), (1, 1), (0, 1)]
    for k, (a, b) in enumerate(corners):
        nodes[first_id + k] = (lon + a * size * DLON, lat + b * size * DLAT, {})
    return [first_id, first_id + 1, first_id + 2, first_id + 3, first_id]


def lattice_town(streets: bool = True, **overrides: Tags) -> tuple[dict[int, Any], dict[int, Any], dict[int, Any]]:
    """5 x 5 street nodes 100 m apart: residential streets, a primary 'Main Street' east-west
    through the middle, a one-way 'One Way' south to north, buildings, a park, a shop, a
    school, a doctor and a bus along Main Street."""
    nodes: dict[int, tuple[float, float, Tags]] = {
        node_id(i, j): (LON0 + i * DLON, LAT0 + j * DLAT, {}) for i in range(5) for j in range(5)}
    ways: dict[int, tuple[list[int], Tags]] = {}
    if streets:
        for j in range(5):
            tags = {"highway": "residential", "name": f"Row {j}"}
            if j == 2:
                tags = {"highway": "primary", "name": "Main Street", "lanes": "4", "maxspeed": "40"}
            ways[100 + j] = ([node_id(i, j) for i in range(5)], tags)
        for i in range(5):
            tags = {"highway": "residential", "name": f"Column {i}"}
            if i == 2:
                tags = {"highway": "residential", "name": "One Way", "oneway": "yes"}
            ways[200 + i] = ([node_id(i, j) for j in range(5)], tags)
        ways[300] = ([node_id(0, 0), node_id(1, 1)], {"highway": "footway"})
    for k, (i, j) in enumerate(((0, 0), (1, 0), (0, 3), (3, 3))):
        ring = square(nodes, 1000 + 10 * k, LON0 + (i + 0.3) * DLON, LAT0 + (j + 0.3) * DLAT)
        ways[400 + k] = (ring, {"building": "apartments", "building:levels": "4"})
    ways[410] = (square(nodes, 1100, LON0 + 3.3 * DLON, LAT0 + 0.3 * DLAT), {"building": "office", "building:levels": "6"})
    ways[420] = (square(nodes, 1200, LON0 + 1.1 * DLON, LAT0 + 3.1 * DLAT, 0.8), {"leisure": "park"})
    nodes[2000] = (LON0 + 1.5 * DLON, LAT0 + 2.1 * DLAT, {"shop": "supermarket"})
    nodes[2001] = (LON0 + 3.5 * DLON, LAT0 + 1.5 * DLAT, {"amenity": "school", "capacity": "400"})
    nodes[2002] = (LON0 + 0.5 * DLON, LAT0 + 1.5 * DLAT, {"amenity": "doctors"})
    relations = {500: ([("way", 102, ""), ("node", node_id(1, 2), "stop"), ("node", node_id(3, 2), "stop"),
                        ("node", node_id(4, 2), "stop")], {"type": "route", "route": "bus", "interval": "10"})}
    for way_id, tags in overrides.items():
        ways[int(way_id.removeprefix("w"))][1].update(tags)
    return nodes, ways, relations


@pytest.fixture
def town(tmp_path: Path) -> Path:
    nodes, ways, relations = lattice_town(w104={"lanes": "many", "maxspeed": "fast"})
    return write_osm(tmp_path / "town.osm", nodes, ways, relations)


def test_a_lattice_town_becomes_a_world_that_plays(town: Path, tmp_path: Path) -> None:
    imported = import_osm(town, "town", cell_m=10.0, zone_m=100.0)
    world, roads, log = imported.world, imported.roads, imported.log
    n = world.network
    car = (n.modes & Mode.CAR) != 0
    # 5 rows + 4 two-way columns, each cut into 4 links per direction; One Way one direction.
    assert int(car.sum()) == 5 * 4 * 2 + 4 * 4 * 2 + 4
    main_street = [k for k in range(n.n_links) if roads.link_name[k] == "Main Street"]
    assert all(n.lanes[k] == 2 and n.speed_kmh[k] == 40.0 for k in main_street)
    one_way = [k for k in range(n.n_links) if roads.link_name[k] == "One Way"]
    assert len(one_way) == 4 and all(n.twin[k] < 0 for k in one_way)
    assert all(n.node_y_m[n.link_to[k]] > n.node_y_m[n.link_from[k]] for k in one_way)  # south to north
    assert any("lanes=many" in k for k in log.defaults) and any("maxspeed=fast" in k for k in log.defaults)
    row4 = [k for k in range(n.n_links) if roads.link_name[k] == "Row 4"]
    assert all(n.lanes[k] == 1 and n.speed_kmh[k] == 50.0 for k in row4)
    # 4 blocks of flats, 40 x 40 m and 4 storeys, at 50 m2 a resident: 4 x 6,400 / 50 = 512.
    assert float(world.grid.residents.sum()) == pytest.approx(512, rel=0.05)
    assert float(world.grid.jobs.sum()) >= 40 * 40 * 6 / 25.0 * 0.95
    # The 80 x 80 m park, and the bare ground around it that takes the land use beside it.
    assert 60 <= (world.grid.land_use == LandUse.PARK).sum() <= 120
    assert world.grid.shops.sum() == 25.0 and world.grid.school_places.sum() == 400.0
    assert world.grid.health.sum() == 2.0
    assert world.lines.n_lines == 1 and world.lines.headway_min[0] == 10.0
    assert [roads.link_name[k] for k in world.lines.route(0)] == ["Main Street"] * 4
    assert world.lines.stop.tolist() == [True, False, True, True]  # at columns 1, 3 and 4
    label = components(n.n_nodes, n.link_from[car], n.link_to[car])
    assert np.unique(label[world.zone_node]).size == 1
    write_world(imported, tmp_path / "worlds" / "town")
    sim = Simulation(World.load(tmp_path / "worlds" / "town"))
    for _ in range(3):
        sim.step()
    assert float(sim.board["traffic_relative_gap"]) < 1e-3
    assert sim.link_flow_veh_h()[car].sum() > 0.0


def test_a_box_cuts_the_town(town: Path) -> None:
    whole = import_osm(town, "town", cell_m=10.0)
    west = import_osm(town, "town", cell_m=10.0, bbox=(LON0 - 0.0001, LAT0 - 0.0001, LON0 + 2.5 * DLON, LAT0 + 4.1 * DLAT))
    assert west.world.grid.shape[1] < whole.world.grid.shape[1]
    assert 0 < west.world.network.n_links < whole.world.network.n_links


def test_the_same_file_gives_the_same_world(town: Path) -> None:
    a = import_osm(town, "town", cell_m=10.0)
    b = import_osm(town, "town", cell_m=10.0)
    assert a.world.state_hash() == b.world.state_hash()


# -- bad input ------------------------------------------------------------------------------


def refused(path: Path, match: str, **kwargs: Any) -> None:
    with pytest.raises(OsmImportError, match=match):
        import_osm(path, "bad", **kwargs)


def test_a_file_that_is_not_osm(tmp_path: Path) -> None:
    junk = tmp_path / "junk.osm.pbf"
    junk.write_bytes(os.urandom(2048))
    refused(junk, "cannot be read as OpenStreetMap data")
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    refused(text, "cannot be read as OpenStreetMap data")
    refused(tmp_path / "missing.osm.pbf", "does not exist")


def test_an_empty_extract(tmp_path: Path) -> None:
    refused(write_osm(tmp_path / "empty.osm", {}, {}), "the extract is empty")
    lonely = {1: (LON0, LAT0, {"amenity": "bench"})}
    refused(write_osm(tmp_path / "bench.osm", lonely, {}), "no streets and no areas")


def test_a_box_outside_the_data(town: Path) -> None:
    refused(town, "lies outside the data", bbox=(10.0, 50.0, 10.1, 50.1))


def test_no_drivable_roads(tmp_path: Path) -> None:
    nodes, ways, _ = lattice_town()
    for way_id in range(100, 105):
        ways[way_id][1].update({"highway": "footway"})
    for way_id in range(200, 205):
        ways[way_id][1].update({"highway": "cycleway"})
    refused(write_osm(tmp_path / "paths.osm", nodes, ways), "no drivable roads")
    nodes, ways, _ = lattice_town(streets=False)
    refused(write_osm(tmp_path / "houses.osm", nodes, ways), "no streets inside the box")
    nodes, ways, _ = lattice_town(streets=False)
    ways[100] = ([node_id(i, 0) for i in range(5)], {"highway": "primary", "oneway": "yes"})
    refused(write_osm(tmp_path / "one_way.osm", nodes, ways), "no network that cars can drive round")


def test_a_failed_import_leaves_no_folder(tmp_path: Path, town: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "worlds" / "town"
    assert main(["world", "import-osm", str(tmp_path / "missing.osm.pbf"), "--name", "town", "--out", str(out)]) == 2
    assert "does not exist" in capsys.readouterr().err
    imported = import_osm(town, "town", cell_m=10.0)

    def broken_save(self: World, folder: Path) -> None:
        (Path(folder) / "world.toml").write_text("half")
        raise OSError("disk full")

    monkeypatch.setattr(World, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        write_world(imported, out)
    assert not out.exists() and list(out.parent.iterdir()) == []
    monkeypatch.undo()
    write_world(imported, out)
    with pytest.raises(OsmImportError, match="exists already"):
        write_world(imported, out)
    assert main(["world", "import-osm", str(town), "--name", "town", "--out", str(out), "--cell", "10"]) == 2
    (out / "README.md").write_text("Our town")
    assert main(["world", "import-osm", str(town), "--name", "town", "--out", str(out), "--cell", "10", "--force"]) == 0
    assert sorted(p.name for p in out.parent.iterdir()) == ["town"]
    assert (out / "README.md").read_text() == "Our town"
    assert World.load(out).meta.attribution.startswith("© OpenStreetMap contributors")
