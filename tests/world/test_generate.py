"""The synthetic town: deterministic, plausible, and what worlds/default holds."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest

from agora.server.world.generate import DEFAULT_SEED, add_parser, generate_town
from agora.server.world.shapes import land_components
from agora.server.world.types import LandUse, Mode, RoadClass
from agora.server.world.world import World, worlds_root


@pytest.fixture(scope="module")
def town() -> World:
    return generate_town()


def _cell(world: World, x_m: np.ndarray, y_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    cell = world.meta.cell_m
    return np.floor(y_m / cell).astype(int), np.floor(x_m / cell).astype(int)


def _streets(world: World) -> np.ndarray:
    """One link per street: the lower-numbered of a pair of twins, and every one-way link."""
    twin = world.network.twin
    return np.nonzero((twin < 0) | (np.arange(twin.size) < twin))[0]


def _reach(n_nodes: int, src: np.ndarray, dst: np.ndarray, start: int) -> np.ndarray:
    seen = np.zeros(n_nodes, dtype=bool)
    seen[start] = True
    stack = [start]
    while stack:
        u = stack.pop()
        for v in dst[src == u]:
            if not seen[v]:
                seen[v] = True
                stack.append(int(v))
    return seen


# -- determinism and the committed world ------------------------------------------------


def test_same_seed_gives_the_same_town(town: World) -> None:
    assert generate_town(DEFAULT_SEED).state_hash() == town.state_hash()


def test_another_seed_gives_another_town(town: World) -> None:
    assert generate_town(DEFAULT_SEED + 1).state_hash() != town.state_hash()


def test_worlds_default_is_the_generated_town(town: World) -> None:
    committed = World.load(worlds_root() / "default")
    assert committed.state_hash() == town.state_hash(), (
        "worlds/default differs from a fresh generate_town(). If the generator changed on "
        "purpose, regenerate it with `agora world generate`, check the figures in "
        "worlds/default/README.md, and commit the new world.toml and world.npz."
    )
    assert committed.meta == town.meta


def test_save_and_load_keep_the_hash(town: World, tmp_path: Path) -> None:
    town.save(tmp_path / "copy")
    assert World.load(tmp_path / "copy").state_hash() == town.state_hash()


def test_command_line_writes_a_world(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers())
    out = tmp_path / "small"
    args = parser.parse_args(["generate", "--seed", "3", "--size", "64", "--out", str(out)])
    assert args.func(args) == 0
    world = World.load(out)
    assert world.meta.name == "small" and world.grid.shape == (64, 64)
    assert world.state_hash() in capsys.readouterr().out


# -- the map ----------------------------------------------------------------------------


def test_frame_and_meta(town: World) -> None:
    assert town.grid.shape == (128, 128)
    assert town.meta.cell_m == 25.0 and town.meta.seed == DEFAULT_SEED
    assert town.meta.modules == ["demand", "traffic", "fleet", "emissions", "noise", "noise_map", "air", "habitat",
                                 "species", "connectivity", "access", "indicators"]
    assert "no real place" in town.meta.attribution
    n = town.network
    assert (n.node_x_m >= 0).all() and (n.node_x_m < 128 * 25.0).all()
    assert (n.node_y_m >= 0).all() and (n.node_y_m < 128 * 25.0).all()


def test_every_kind_of_land_is_there(town: World) -> None:
    present = set(np.unique(town.grid.land_use).tolist())
    assert present == {int(c) for c in LandUse}


def test_the_river_splits_the_map_from_west_to_east(town: World) -> None:
    pieces = land_components(town.grid.land_use == LandUse.WATER)
    assert pieces.max() == 1, "the river should leave exactly a north bank and a south bank"
    water = town.grid.land_use == LandUse.WATER
    assert water[:, 0].any() and water[:, -1].any()


def test_the_river_is_crossed_only_on_three_or_four_bridges(town: World) -> None:
    g, n = town.grid, town.network
    water = g.land_use == LandUse.WATER
    pieces = land_components(water)
    rows, cols = _cell(town, n.node_x_m, n.node_y_m)
    node_bank = pieces[rows, cols]
    assert (node_bank >= 0).all(), "no node may stand in the river"
    streets = _streets(town)
    bridges = streets[node_bank[n.link_from[streets]] != node_bank[n.link_to[streets]]]
    assert 3 <= bridges.size <= 4
    assert 2 <= int((n.road_class[bridges] != RoadClass.PATH).sum()) <= 4
    assert set(n.road_class[bridges].tolist()) <= {RoadClass.ARTERIAL, RoadClass.COLLECTOR, RoadClass.PATH}
    # Nothing else runs over water: sample every link every 5 m.
    for link in range(n.n_links):
        t = np.linspace(0.0, 1.0, int(n.length_m[link] / 5.0) + 2)
        a, b = n.link_from[link], n.link_to[link]
        r, c = _cell(town, n.node_x_m[a] + (n.node_x_m[b] - n.node_x_m[a]) * t,
                     n.node_y_m[a] + (n.node_y_m[b] - n.node_y_m[a]) * t)
        if water[r, c].any():
            assert node_bank[a] != node_bank[b], f"link {link} runs over water without crossing the river"


def test_streets_meet_only_at_nodes(town: World) -> None:
    n = town.network
    s = _streets(town)
    a, b = n.link_from[s], n.link_to[s]
    x0, y0, x1, y1 = n.node_x_m[a], n.node_y_m[a], n.node_x_m[b], n.node_y_m[b]

    def side(px: np.ndarray, py: np.ndarray, qx: np.ndarray, qy: np.ndarray,
             rx: np.ndarray, ry: np.ndarray) -> np.ndarray:
        out: np.ndarray = (qx - px) * (ry - py) - (qy - py) * (rx - px)
        return out

    i, j = np.triu_indices(s.size, k=1)
    apart = (a[i] != a[j]) & (a[i] != b[j]) & (b[i] != a[j]) & (b[i] != b[j])
    d1 = side(x0[j], y0[j], x1[j], y1[j], x0[i], y0[i])
    d2 = side(x0[j], y0[j], x1[j], y1[j], x1[i], y1[i])
    d3 = side(x0[i], y0[i], x1[i], y1[i], x0[j], y0[j])
    d4 = side(x0[i], y0[i], x1[i], y1[i], x1[j], y1[j])
    crossing = apart & (d1 * d2 < 0) & (d3 * d4 < 0)
    assert not crossing.any(), f"links {s[i[crossing]][:3]} cross links {s[j[crossing]][:3]}"


# -- the network ------------------------------------------------------------------------


def test_car_links_form_one_strongly_connected_component(town: World) -> None:
    n = town.network
    car = n.car_usable()
    src, dst = n.link_from[car], n.link_to[car]
    nodes = np.unique(np.concatenate([src, dst]))
    forward = _reach(n.n_nodes, src, dst, int(nodes[0]))
    backward = _reach(n.n_nodes, dst, src, int(nodes[0]))
    assert forward[nodes].all() and backward[nodes].all()


def test_two_way_streets_are_pairs_of_twins(town: World) -> None:
    n = town.network
    two_way = np.nonzero(n.twin >= 0)[0]
    assert (n.twin[n.twin[two_way]] == two_way).all()
    assert (n.link_from[n.twin[two_way]] == n.link_to[two_way]).all()
    assert (n.road_class[n.twin[two_way]] == n.road_class[two_way]).all()
    one_way = np.nonzero(n.twin < 0)[0]
    assert 2 <= one_way.size <= 4
    assert (n.road_class[one_way] == RoadClass.LOCAL).all()


def test_link_sizes_and_classes(town: World) -> None:
    n = town.network
    assert 400 <= n.n_links <= 900
    dx = n.node_x_m[n.link_to] - n.node_x_m[n.link_from]
    dy = n.node_y_m[n.link_to] - n.node_y_m[n.link_from]
    np.testing.assert_allclose(n.length_m, np.hypot(dx, dy), rtol=1e-12)
    assert not n.closed.any()
    per_lane = n.capacity_veh_h / n.lanes
    for road_class, lanes, speeds, capacity in (
        (RoadClass.ARTERIAL, {2}, (50.0, 70.0), (850.0, 1700.0)),
        (RoadClass.COLLECTOR, {1}, (40.0, 50.0), (650.0, 750.0)),
        (RoadClass.LOCAL, {1}, (30.0, 30.0), (500.0, 500.0)),
    ):
        mine = n.road_class == road_class
        assert mine.sum() >= 20
        assert set(n.lanes[mine].tolist()) == lanes
        assert speeds[0] <= n.speed_kmh[mine].min() and n.speed_kmh[mine].max() <= speeds[1]
        assert capacity[0] <= per_lane[mine].min() and per_lane[mine].max() <= capacity[1]
        assert (n.modes[mine] & Mode.CAR).all()
    paths = n.road_class == RoadClass.PATH
    assert paths.sum() >= 4
    assert (n.modes[paths] == Mode.BIKE | Mode.WALK).all()


# -- people and zones -------------------------------------------------------------------


def test_residents_and_jobs_are_plausible(town: World) -> None:
    g = town.grid
    assert 20_000 <= g.residents.sum() <= 35_000
    assert 12_000 <= g.jobs.sum() <= 25_000
    assert (g.residents == np.round(g.residents)).all() and (g.jobs == np.round(g.jobs)).all()
    for empty in (LandUse.WATER, LandUse.ROAD, LandUse.PARK, LandUse.WOODLAND, LandUse.GRASS):
        assert g.residents[g.land_use == empty].sum() == 0
    assert g.residents[g.land_use == LandUse.INDUSTRY].sum() == 0
    centre, industry = g.land_use == LandUse.CENTRE, g.land_use == LandUse.INDUSTRY
    housing = g.land_use == LandUse.HOUSING
    assert g.jobs[centre].mean() > g.residents[centre].mean() > 0
    assert g.jobs[industry].mean() > g.jobs[housing].mean()


def test_housing_thins_out_away_from_the_centre(town: World) -> None:
    g = town.grid
    rows, cols = np.nonzero(g.land_use == LandUse.CENTRE)
    cr, cc = rows.mean(), cols.mean()
    hr, hc = np.nonzero(g.land_use == LandUse.HOUSING)
    d = np.hypot(hr - cr, hc - cc)
    people = g.residents[hr, hc]
    assert people[d < 25].mean() > 1.5 * people[d > 40].mean()


def test_the_centre_is_by_the_river_and_the_park_near_the_centre(town: World) -> None:
    lu = town.grid.land_use
    water = np.argwhere(lu == LandUse.WATER)

    def gap(code: LandUse) -> float:
        cells = np.argwhere(lu == code)
        return float(np.sqrt(((cells[:, None, :] - water[None, :, :]) ** 2).sum(-1)).min())

    assert gap(LandUse.CENTRE) <= 2.0
    centre = np.argwhere(lu == LandUse.CENTRE).mean(axis=0)
    park = np.argwhere(lu == LandUse.PARK).mean(axis=0)
    assert np.hypot(*(park - centre)) < 25


def test_zones_cover_everyone_and_start_on_car_nodes(town: World) -> None:
    g, n = town.grid, town.network
    z = town.n_zones
    assert 50 <= z <= 256
    assert set(np.unique(g.zone[g.zone >= 0]).tolist()) == set(range(z))
    assert (g.zone[g.land_use == LandUse.WATER] == -1).all()
    active = (g.residents + g.jobs) > 0
    assert (g.zone[active] >= 0).all()
    assert (town.zone_totals(g.residents + g.jobs) > 0).all()
    car = n.car_usable()
    assert np.isin(town.zone_node, n.link_from[car]).all()
    assert np.isin(town.zone_node, n.link_to[car]).all()


# -- schools, shops and buses -----------------------------------------------------------


def test_schools_hold_about_one_pupil_in_nine_residents(town: World) -> None:
    g = town.grid
    sites = np.argwhere(g.school_places > 0)
    assert 3 <= len(sites) <= 5
    assert g.school_places.sum() == pytest.approx(0.11 * g.residents.sum(), rel=0.01)
    assert (g.school_places == np.round(g.school_places)).all()
    assert (g.land_use[g.school_places > 0] == LandUse.HOUSING).all()
    assert (g.zone[g.school_places > 0] >= 0).all()
    # One big secondary school, the primaries spread over the town.
    places = np.sort(g.school_places[g.school_places > 0])
    assert places[-1] > 2.0 * places[-2]
    spread = np.hypot(*(sites[:, None, :] - sites[None, :, :]).transpose(2, 0, 1))
    assert spread[np.triu_indices(len(sites), 1)].min() >= 8  # cells: 200 m apart at least


def test_shops_are_jobs_in_the_centre_and_on_the_high_street(town: World) -> None:
    g = town.grid
    assert (g.shops <= g.jobs).all() and (g.shops == np.round(g.shops)).all()
    assert 0.15 <= g.shops.sum() / g.jobs.sum() <= 0.3
    centre = g.land_use == LandUse.CENTRE
    assert g.shops[centre].sum() / g.jobs[centre].sum() >= 0.5
    assert g.shops[g.land_use == LandUse.INDUSTRY].sum() < 0.1 * g.jobs[g.land_use == LandUse.INDUSTRY].sum()


def test_three_bus_services_run_both_ways_through_the_town(town: World) -> None:
    n, lines = town.network, town.lines
    assert lines.n_lines == 6
    assert sorted(set(lines.headway_min.tolist())) == [10.0, 15.0, 20.0]
    rows, cols = np.nonzero(town.grid.land_use == LandUse.CENTRE)
    cx, cy = (cols.mean() + 0.5) * town.meta.cell_m, (rows.mean() + 0.5) * town.meta.cell_m
    for m in range(0, lines.n_lines, 2):
        out, back = lines.route(m), lines.route(m + 1)
        assert (n.twin[out[::-1]] == back).all(), "the way back retraces the way out"
        assert lines.headway_min[m] == lines.headway_min[m + 1]
        assert np.isin(n.road_class[out], (RoadClass.ARTERIAL, RoadClass.COLLECTOR)).all()
        assert (n.modes[out] & Mode.BUS).all()
        assert 2_000.0 <= n.length_m[out].sum() <= 6_000.0
        stops = lines.stop[lines.first[m]: lines.first[m + 1]]
        assert stops[-1] and 6 <= stops.sum() <= 16
        # Stops every 300-700 m along the route; the terminus may come sooner, not much.
        ends = np.cumsum(n.length_m[out])[stops]
        gaps = np.diff(np.concatenate([[0.0], ends]))
        assert gaps[:-1].min() >= 300.0 and gaps[-1] >= 150.0 and gaps.max() <= 700.0
        nodes = np.concatenate([n.link_from[out[:1]], n.link_to[out]])
        near = np.hypot(n.node_x_m[nodes] - cx, n.node_y_m[nodes] - cy).min()
        assert near < 600.0, f"line {m} keeps {near:.0f} m from the centre"
    # The two lines through town reach the edges of the built-up area; the third rings the centre.
    ring = lines.route(4)
    assert n.link_from[ring[0]] == n.link_to[ring[-1]]
    assert (n.road_class[ring] == RoadClass.ARTERIAL).all()
