"""15-minute access: the cumulative-opportunities reference on a street grid, closures that
never help, plausible shares in the default town, no recomputation of an unchanged world."""

from __future__ import annotations

import numpy as np
import pytest

from agora.server.sim.access import (
    DIGEST,
    NEEDS,
    Access,
    large_areas,
    mode_graph,
    nearest_nodes,
    nearest_opportunity_m,
)
from agora.server.sim.pipeline import Board
from agora.server.world.simulation import model_parameters, world_board
from agora.server.world.types import LandUse, Mode, RoadClass
from agora.server.world.world import World, resolve_world

PARAMS = model_parameters()["access"]


def street_grid(n: int, spacing_m: float = 100.0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """n x n nodes `spacing_m` apart (node r * n + c at x = c * spacing, y = r * spacing),
    every block a pair of opposite links: node_x_m, node_y_m, link_from, link_to, length_m."""
    xs, ys = np.meshgrid(np.arange(n) * spacing_m, np.arange(n) * spacing_m)
    pairs = [(r * n + c, r * n + c + 1) for r in range(n) for c in range(n - 1)]
    pairs += [(r * n + c, (r + 1) * n + c) for r in range(n - 1) for c in range(n)]
    lf = np.array([p for a, b in pairs for p in (a, b)], dtype=np.int32)
    lt = np.array([p for a, b in pairs for p in (b, a)], dtype=np.int32)
    return xs.ravel(), ys.ravel(), lf, lt, np.full(lf.shape[0], spacing_m)


def reach(mode: str, n: int) -> int:
    """Opportunities within the threshold of the centre node of an n x n grid, one per node:
    the cumulative-opportunities measure (by symmetry, the nodes the centre reaches)."""
    x, _, lf, lt, length = street_grid(n)
    usable = np.ones(lf.shape[0], dtype=np.bool_)
    graph = mode_graph(x.shape[0], lf, lt, length, usable, usable)
    seed = np.full(x.shape[0], np.inf)
    seed[(n // 2) * n + n // 2] = 0.0
    minutes = nearest_opportunity_m(graph, seed) / (PARAMS[f"{mode}_speed_kmh"] * 1000.0 / 60.0)
    opportunities = np.ones(x.shape[0])
    return int(opportunities[minutes <= PARAMS["threshold_min"] + 1e-9].sum())


def test_181_nodes_of_a_100_m_grid_lie_within_15_minutes_walk() -> None:
    # 900 m at 3.6 km/h: the nodes with |dx| + |dy| <= 9 blocks, 2 * 9 * 10 + 1 of them.
    assert reach("walk", 21) == 181
    # 3 km at 12 km/h: |dx| + |dy| <= 30 blocks, 2 * 30 * 31 + 1.
    assert reach("bike", 61) == 1861


def grid_board(n: int = 21) -> Board:
    """The 100 m street grid as a world: 25 m cells with the nodes at cell centres, one
    resident in each node's cell, no amenities, no bus lines, all grass."""
    x, y, lf, lt, length = street_grid(n)
    cells = 4 * (n - 1) + 1
    land = np.full((cells, cells), int(LandUse.GRASS), dtype=np.uint8)
    residents = np.zeros((cells, cells), dtype=np.float32)
    residents[::4, ::4] = 1.0
    empty = np.zeros((cells, cells), dtype=np.float32)
    return {
        "node_x_m": x, "node_y_m": y, "link_from": lf, "link_to": lt, "link_length_m": length,
        "link_modes": np.full(lf.shape[0], int(Mode.ALL), dtype=np.uint8),
        "link_road_class": np.full(lf.shape[0], int(RoadClass.LOCAL), dtype=np.uint8),
        "line_link": np.zeros(0, dtype=np.int32), "line_stop": np.zeros(0, dtype=np.bool_),
        "grid_origin_m": np.array([-12.5, -12.5]), "grid_cell_m": np.array(25.0), "grid_land_use": land,
        "grid_residents": residents, "grid_shops": empty, "grid_school_places": empty.copy(),
        "grid_health": empty.copy(),
    }


def test_a_school_at_the_centre_of_the_grid_serves_the_181_nodes_within_900_m() -> None:
    board = grid_board(21)
    board["grid_school_places"][40, 40] = 300.0  # the centre node's cell
    Access(PARAMS).step(board)
    assert float(board["indicator.access_walk_school"]) == pytest.approx(181 / 441, abs=1e-12)
    assert float(board["indicator.access_bike_school"]) == 1.0
    assert float(board["indicator.access_walk_health"]) == 0.0
    # No need besides the school anywhere: the time to reach all five is the cap.
    assert np.all(board["grid_access_walk_min"] == PARAMS["time_cap_min"])
    assert board["grid_access_walk_needs"][40, 40] == 1 and board["grid_access_walk_needs"][0, 0] == 0


def test_pedestrians_walk_against_a_one_way_street_cyclists_do_not() -> None:
    board = grid_board(3)
    one_way = (board["link_from"] == 0) & (board["link_to"] == 1)
    keep = ~((board["link_from"] == 1) & (board["link_to"] == 0))
    for name in ("link_from", "link_to", "link_length_m", "link_modes", "link_road_class"):
        board[name] = board[name][keep]
    board["link_modes"][:] = int(Mode.WALK | Mode.BIKE)
    # Node 1 (x 100 m) is the only way to the doctor at node 0 from node 2 along the bottom
    # street; every other way round is cut for bikes by taking the BIKE bit off.
    board["link_modes"][~np.isin(board["link_from"], (0, 1, 2)) | ~np.isin(board["link_to"], (0, 1, 2))] = int(Mode.WALK)
    assert one_way[keep].sum() == 1
    board["grid_health"][0, 0] = 1.0
    board["grid_residents"][:] = 0.0
    board["grid_residents"][0, 4] = 1.0  # at node 1, which the one-way street 0 -> 1 leaves behind
    Access(PARAMS).step(board)
    assert float(board["indicator.access_walk_health"]) == 1.0
    assert float(board["indicator.access_bike_health"]) == 0.0


def default_board() -> Board:
    return world_board(World.load(resolve_world("default")))


def shares(board: Board) -> np.ndarray:
    return np.array([float(board[name]) for name in Access.outputs if name.startswith("indicator.")])


def test_the_default_town_has_plausible_shares() -> None:
    board = default_board()
    Access(PARAMS).step(board)
    walk = {need: float(board[f"indicator.access_walk_{need}"]) for need in (*NEEDS, "all")}
    bike = {need: float(board[f"indicator.access_bike_{need}"]) for need in (*NEEDS, "all")}
    assert walk["stop"] > 0.9  # stops every 300-400 m along the main roads
    assert walk["school"] < bike["school"]
    assert all(0.0 < walk[need] <= bike[need] <= 1.0 for need in walk)
    assert walk["all"] <= min(walk[need] for need in NEEDS)
    assert 0.3 < walk["all"] < 0.9  # a town 3 km across: its edges are more than 900 m from the centre
    needs = board["grid_access_walk_needs"]
    assert needs.dtype == np.uint8 and needs.max() == 5 and needs.min() == 0
    assert board["grid_access_walk_min"].dtype == np.float32
    # Whoever reaches all five needs on foot does so within the threshold.
    assert np.all(board["grid_access_walk_min"][needs == 5] <= PARAMS["threshold_min"] + 1e-6)


def test_no_closure_ever_increases_access() -> None:
    world = World.load(resolve_world("default"))
    base = default_board()
    access = Access(PARAMS)
    access.step(base)
    before = shares(base)
    twin = world.network.twin
    board = default_board()
    lowered = 0
    for link in range(world.network.n_links):
        if 0 <= twin[link] < link:
            continue
        street = [link] if twin[link] < 0 else [link, int(twin[link])]
        modes = base["link_modes"].copy()
        modes[street] &= np.uint8(~Mode.WALK & 0xFF)
        board["link_modes"] = modes
        access.step(board)
        after = shares(board)
        assert np.all(after <= before), f"closing link {link} to walkers raised access"
        lowered += bool(np.any(after < before))
    assert lowered > 0
    # Closures piling up, on foot and by bike: access only ever falls.
    board = default_board()
    access.step(board)
    previous = shares(board)
    order = np.random.default_rng(7).permutation(world.network.n_links)[:80]
    for link in order:
        board["link_modes"][link] &= np.uint8(~(Mode.WALK | Mode.BIKE) & 0xFF)
        access.step(board)
        now = shares(board)
        assert np.all(now <= previous)
        previous = now
    assert previous[0] < before[0] or previous.sum() < before.sum()


def test_a_closure_to_cars_changes_nothing_and_is_not_recomputed() -> None:
    world = World.load(resolve_world("default"))
    board = world_board(world)
    access = Access(PARAMS)
    access.step(board)
    walk_needs = board["grid_access_walk_needs"]
    world.network.closed[: world.network.n_links // 2] = True
    board.update(world_board(world))
    access.step(board)
    assert board["grid_access_walk_needs"] is walk_needs


def test_an_unchanged_world_is_not_recomputed_and_a_change_is() -> None:
    board = default_board()
    access = Access(PARAMS)
    access.step(board)
    outputs = {name: board[name] for name in Access.outputs}
    access.step(board)
    assert all(board[name] is outputs[name] for name in Access.outputs)
    # The same edit made in place, as the world's edits do: a school closes.
    school = np.argwhere(board["grid_school_places"] > 0)[0]
    board["grid_school_places"][tuple(school)] = 0.0
    access.step(board)
    assert board["grid_access_walk_needs"] is not outputs["grid_access_walk_needs"]
    assert not np.array_equal(board[DIGEST], outputs[DIGEST])
    assert float(board["indicator.access_walk_school"]) < float(outputs["indicator.access_walk_school"])
    # Other parameters on the same board: a slower walker reaches less.
    Access({**PARAMS, "walk_speed_kmh": 3.0}).step(board)
    assert float(board["indicator.access_walk_all"]) < float(outputs["indicator.access_walk_all"])


def test_results_are_deterministic() -> None:
    first, second = default_board(), default_board()
    Access(PARAMS).step(first)
    Access(PARAMS).step(second)
    for name in Access.outputs:
        assert first[name].dtype == second[name].dtype
        assert first[name].tobytes() == second[name].tobytes(), name


@pytest.mark.parametrize("spread_m", [1600.0, 150.0])
def test_nearest_nodes_agree_with_brute_force(spread_m: float) -> None:
    # Nodes over the whole grid and beyond it, or packed in one corner far from most cells.
    rng = np.random.default_rng(3)
    x = rng.uniform(-300.0, -300.0 + spread_m, 60)
    y = rng.uniform(-300.0, -300.0 + spread_m, 60)
    x[5], y[5] = x[6], y[6]  # a tie: the lower index wins
    candidate = rng.random(60) < 0.7
    nearest, distance_m = nearest_nodes(x, y, candidate, 0.0, 0.0, 25.0, 40, 40, 3)
    cx, cy = np.meshgrid((np.arange(40) + 0.5) * 25.0, (np.arange(40) + 0.5) * 25.0)
    d = np.hypot(x[None, None, :] - cx[..., None], y[None, None, :] - cy[..., None])
    d[..., ~candidate] = np.inf
    assert np.array_equal(nearest, np.argmin(d, axis=2))
    assert np.allclose(distance_m, d.min(axis=2), rtol=1e-12)


def test_a_park_is_half_a_hectare_of_green() -> None:
    green = np.zeros((10, 10), dtype=np.bool_)
    green[0:2, 0:4] = True  # 8 cells of 25 m: 0.5 ha
    green[5:7, 5:8] = True  # 6 cells: a pocket of green, not a park
    green[9, 0] = green[8, 1] = True  # touching at a corner only: two single cells
    parks = large_areas(green, 8)
    assert parks.sum() == 8 and parks[0:2, 0:4].all()


def test_parameters_are_checked() -> None:
    with pytest.raises(ValueError, match="detour_factor"):
        Access({**PARAMS, "detour_factor": 0.9})
    with pytest.raises(ValueError, match="walk_speed_kmh"):
        Access({**PARAMS, "walk_speed_kmh": 0.0})
