"""Central Helsinki from OpenStreetMap (../shared/data/osm/Helsinki.osm.pbf, ODbL): the import
gives the counts the data implies, keeps its one-way streets and lanes, is deterministic,
and the bundled world plays: traffic converges, every model draws its layers, and closing
Mannerheimintie sends its traffic to the parallel streets."""

from __future__ import annotations

from pathlib import Path

import msgspec
import numpy as np
import pytest

from agora.server.world.osm_import import Imported, import_osm
from agora.server.world.osm_network import components
from agora.server.world.osm_read import read_extract
from agora.server.world.simulation import Simulation
from agora.server.world.types import LandUse, Mode
from agora.server.world.world import World, resolve_world

EXTRACT = Path(__file__).resolve().parents[3] / "shared" / "data" / "osm" / "Helsinki.osm.pbf"
if not EXTRACT.is_file():
    EXTRACT = Path("/work/shared/data/osm/Helsinki.osm.pbf")
pytestmark = pytest.mark.skipif(not EXTRACT.is_file(), reason="the Helsinki extract is not on this machine")

# How worlds/helsinki-centre was made (its README gives the same command).
SETTINGS = {"cell_m": 10.0, "zone_m": 100.0, "title": "Helsinki centre"}


@pytest.fixture(scope="module")
def helsinki() -> Imported:
    return import_osm(EXTRACT, "helsinki-centre", **SETTINGS)  # type: ignore[arg-type]


def links_of_way(imported: Imported, way_id: int) -> list[tuple[int, bool]]:
    """(link, runs along the way) for each link the way's consecutive node pairs lie on."""
    way = next(w for w in read_extract(EXTRACT).highways if w.osm_id == way_id)
    ids = way.node_ids.tolist()
    found = []
    for k, chain in enumerate(imported.roads.link_osm_nodes):
        pairs = set(zip(chain[:-1].tolist(), chain[1:].tolist()))
        for a, b in zip(ids[:-1], ids[1:]):
            if (a, b) in pairs or (b, a) in pairs:
                found.append((k, (a, b) in pairs))
                break
    return found


def test_counts_are_in_the_ranges_the_data_implies(helsinki: Imported) -> None:
    world, counts = helsinki.world, helsinki.log.counts
    n, g = world.network, world.grid
    car = (n.modes & Mode.CAR) != 0
    # 2,596 highway ways, about half of them streets: a few hundred blocks' sides each way.
    assert 800 <= car.sum() <= 2000
    # 446 buildings assemble (way and multipolygon), 48 more are cut by the extract's edge.
    assert 420 <= sum(v for k, v in counts.items() if k.startswith("buildings: ")) <= 446  # type: ignore[misc]
    # Kaisaniemi park, the Esplanadi, the Old Church park, the railway yard's verges: some
    # 40-60 ha of the 170 ha.
    green = np.isin(g.land_use, (LandUse.PARK, LandUse.WOODLAND, LandUse.GRASS)).sum()
    assert 4000 <= green <= 6500
    assert 5000 <= g.residents.sum() <= 20000 and 40000 <= g.jobs.sum() <= 120000
    assert 500 <= g.shops.sum() <= 6000 and g.school_places.sum() > 0 and g.health.sum() > 0
    assert 100 <= world.n_zones <= 200 and world.lines.n_lines >= 20


def test_every_zone_reaches_every_other_by_car(helsinki: Imported) -> None:
    n = helsinki.world.network
    car = n.car_usable()
    label = components(n.n_nodes, n.link_from[car], n.link_to[car])
    assert np.unique(label[helsinki.world.zone_node]).size == 1


def test_mannerheimintie_keeps_its_four_lanes_one_way_at_30(helsinki: Imported) -> None:
    n = helsinki.world.network
    # Way 22906936: highway=primary, lanes=4, oneway=yes, maxspeed=30.
    found = links_of_way(helsinki, 22906936)
    assert found and all(along for _, along in found)
    for k, _ in found:
        assert (n.lanes[k], n.speed_kmh[k], n.modes[k] & Mode.CAR) == (4, 30.0, Mode.CAR)
        assert n.twin[k] < 0 or not n.modes[n.twin[k]] & Mode.CAR
    # Way 30259741 (Kaivokatu): lanes=3, oneway, maxspeed=30, bicycle=use_sidepath.
    for k, along in links_of_way(helsinki, 30259741):
        assert along and (n.lanes[k], n.speed_kmh[k]) == (3, 30.0) and not n.modes[k] & Mode.BIKE
    # Way 217644146 (Bulevardi): two-way, lanes=3: two one way and one the other.
    lanes = sorted(int(n.lanes[k]) for k, _ in links_of_way(helsinki, 217644146))
    twins = {int(n.twin[k]) for k, _ in links_of_way(helsinki, 217644146)}
    assert 2 in lanes and all(t >= 0 for t in twins)


def test_the_import_is_deterministic(helsinki: Imported) -> None:
    again = import_osm(EXTRACT, "helsinki-centre", **SETTINGS)  # type: ignore[arg-type]
    assert again.world.state_hash() == helsinki.world.state_hash()
    assert again.report() == helsinki.report()


def test_the_bundled_world_is_this_import(helsinki: Imported) -> None:
    """worlds/helsinki-centre is pinned: if the importer or its rules change, this fails until
    the world is imported again on purpose (README.md there gives the command)."""
    bundled = World.load(resolve_world("helsinki-centre"))
    assert bundled.state_hash() == helsinki.world.state_hash()
    assert msgspec.to_builtins(bundled.meta) == msgspec.to_builtins(helsinki.world.meta)
    assert "© OpenStreetMap contributors" in bundled.meta.attribution and "ODbL" in bundled.meta.attribution


def test_the_world_plays_and_a_closed_mannerheimintie_sends_traffic_elsewhere(helsinki: Imported) -> None:
    world = World.load(resolve_world("helsinki-centre"))
    n, names = world.network, helsinki.roads.link_name
    base, closed = Simulation(world.copy()), Simulation(world.copy())
    for _ in range(20):
        base.step()
        closed.step()
    assert float(base.board["traffic_relative_gap"]) < 1e-3
    for layer in ("grid_noise_lden_dba", "grid_no2_ug_m3", "grid_pm25_ug_m3", "grid_habitat_quality",
                  "grid_access_walk_min"):
        values = base.board[layer]
        assert values.shape == world.grid.shape and np.isfinite(values).all() and values.max() > values.min()
    mannerheimintie = [k for k in range(n.n_links) if names[k] == "Mannerheimintie" and n.modes[k] & Mode.CAR]
    before = base.link_flow_veh_h().copy()
    assert before[mannerheimintie].sum() > 500.0
    closed.set_closed(mannerheimintie, True)
    for _ in range(5):
        base.step()
        closed.step()
    after, flow = closed.link_flow_veh_h(), base.link_flow_veh_h()
    assert after[mannerheimintie].sum() == 0.0 and float(closed.board["unserved_trips"]) == 0.0
    assert float(closed.board["traffic_relative_gap"]) < 1e-3
    gained = {}
    for k in np.nonzero(after - flow > 1.0)[0]:
        gained[names[k]] = gained.get(names[k], 0.0) + float(after[k] - flow[k])
    # The streets beside it and across the centre take its traffic.
    assert {"Pohjoisesplanadi", "Unioninkatu"} <= set(sorted(gained, key=lambda s: -gained[s])[:6])
    assert closed.indicators()["vehicle_hours"] > 0.0


def test_the_import_keeps_the_streets_names(helsinki: Imported) -> None:
    names = helsinki.world.names
    assert names is not None
    # Way 22906936 is Mannerheimintie; every link cut from it carries the name.
    found = links_of_way(helsinki, 22906936)
    assert found and {names.name(k) for k, _ in found} == {"Mannerheimintie"}
    assert {"Kaivokatu", "Bulevardi", "Pohjoisesplanadi"} <= set(names.text)
    # The bundled world was imported with them (the state hash does not see names).
    bundled = World.load(resolve_world("helsinki-centre"))
    assert bundled.names is not None and bundled.names.text == names.text
    assert np.array_equal(bundled.names.link, names.link)
