"""15-minute access: a recomputation after a street closes to walkers, and a step on an
unchanged world, on the default town and on a synthetic world of the large size (512 x 512
cells of 25 m, 20,000 links; target: a recomputation in 1 s or less)."""

from __future__ import annotations

import statistics
import time

import numpy as np

from agora.server.sim.access import Access
from agora.server.sim.pipeline import Board
from agora.server.world.simulation import model_parameters, world_board
from agora.server.world.types import LandUse, Mode, RoadClass
from agora.server.world.world import World, resolve_world

RUNS = 7


def large_world(seed: int = 512, cells: int = 512, cell_m: float = 25.0, n_links: int = 20_000) -> Board:
    """A jittered street grid over cells x cells cells, two-way streets (diagonals added to
    reach n_links), land use in blocks of housing, centre, industry, park, woodland and
    grass, shops, schools and doctors scattered over the built cells, and a bus line along
    every fourth street row and column, stopping at every other node."""
    rng = np.random.default_rng(seed)
    side_m = cells * cell_m
    n = int((1.0 + np.sqrt(1.0 + 2.0 * n_links)) / 2.0)  # n x n nodes: 2 n (n - 1) streets, 2 links each
    while 4 * n * (n - 1) > n_links:
        n -= 1
    spacing = side_m / n
    xs, ys = np.meshgrid((np.arange(n) + 0.5) * spacing, (np.arange(n) + 0.5) * spacing)
    x = xs.ravel() + rng.uniform(-0.2, 0.2, n * n) * spacing
    y = ys.ravel() + rng.uniform(-0.2, 0.2, n * n) * spacing
    pairs = [(r * n + c, r * n + c + 1) for r in range(n) for c in range(n - 1)]
    pairs += [(r * n + c, (r + 1) * n + c) for r in range(n - 1) for c in range(n)]
    while 2 * len(pairs) < n_links:
        r, c = int(rng.integers(0, n - 1)), int(rng.integers(0, n - 1))
        pairs.append((r * n + c, (r + 1) * n + c + 1))
    lf = np.array([p for a, b in pairs for p in (a, b)], dtype=np.int32)
    lt = np.array([p for a, b in pairs for p in (b, a)], dtype=np.int32)
    length = np.hypot(x[lt] - x[lf], y[lt] - y[lf])
    road_class = np.full(lf.shape[0], int(RoadClass.LOCAL), dtype=np.uint8)
    road_class[rng.random(lf.shape[0]) < 0.02] = int(RoadClass.PATH)
    modes = np.where(road_class == RoadClass.PATH, int(Mode.WALK | Mode.BIKE), int(Mode.ALL)).astype(np.uint8)

    # Land use in blocks of 16 x 16 cells (400 m).
    kinds = np.array([LandUse.HOUSING, LandUse.CENTRE, LandUse.INDUSTRY, LandUse.PARK, LandUse.WOODLAND,
                      LandUse.GRASS], dtype=np.uint8)
    block = rng.choice(kinds, size=(cells // 16, cells // 16), p=[0.5, 0.05, 0.1, 0.05, 0.1, 0.2])
    land = np.kron(block, np.ones((16, 16), dtype=np.uint8))
    built = np.isin(land, (LandUse.HOUSING, LandUse.CENTRE))
    residents = np.where(land == LandUse.HOUSING, rng.integers(2, 18, land.shape), 0).astype(np.float32)
    shops = np.where(built & (rng.random(land.shape) < 0.02), rng.integers(1, 20, land.shape), 0).astype(np.float32)
    schools = np.where(built & (rng.random(land.shape) < 6e-4), 400.0, 0.0).astype(np.float32)
    health = np.where(built & (rng.random(land.shape) < 6e-4), 2.0, 0.0).astype(np.float32)

    link_of = {(int(a), int(b)): k for k, (a, b) in enumerate(zip(lf, lt))}
    route: list[int] = []
    stop: list[bool] = []
    for k in range(0, n, 4):
        for nodes in (k * n + np.arange(n), np.arange(n) * n + k):  # a street row, a street column
            for i in range(n - 1):
                route.append(link_of[(int(nodes[i]), int(nodes[i + 1]))])
                stop.append(i % 2 == 1)
    return {
        "node_x_m": x, "node_y_m": y, "link_from": lf, "link_to": lt, "link_length_m": length,
        "link_modes": modes, "link_road_class": road_class,
        "line_link": np.array(route, dtype=np.int32), "line_stop": np.array(stop, dtype=np.bool_),
        "grid_origin_m": np.zeros(2), "grid_cell_m": np.array(cell_m), "grid_land_use": land,
        "grid_residents": residents, "grid_shops": shops, "grid_school_places": schools, "grid_health": health,
    }


def _measure(board: Board) -> tuple[list[float], list[float]]:
    """Milliseconds of a recomputation (a street toggled closed to walkers and back) and of
    a step on an unchanged world."""
    access = Access(model_parameters()["access"])
    access.step(board)  # compile
    street = int(np.argmax(board["link_length_m"]))
    recompute, unchanged = [], []
    for _ in range(RUNS):
        board["link_modes"][street] ^= np.uint8(Mode.WALK)
        start = time.perf_counter()
        access.step(board)
        recompute.append((time.perf_counter() - start) * 1000.0)
        start = time.perf_counter()
        access.step(board)
        unchanged.append((time.perf_counter() - start) * 1000.0)
    return recompute, unchanged


def run() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    default = world_board(World.load(resolve_world("default")))
    large = large_world()
    for case, board in (("default world", default), ("synthetic large world", large)):
        h, w = board["grid_land_use"].shape
        detail = f"{w}x{h} cells, {board['link_from'].shape[0]} links"
        recompute, unchanged = _measure(board)
        walk_all = float(board["indicator.access_walk_all"])
        rows.append({"benchmark": "access/recompute", "case": f"{case}, a street closed to walkers",
                     "median_ms": statistics.median(recompute), "runs": len(recompute),
                     "detail": f"{detail}; share reaching all five on foot {walk_all:.2f}"})
        rows.append({"benchmark": "access/unchanged", "case": f"{case}, nothing changed",
                     "median_ms": statistics.median(unchanged), "runs": len(unchanged), "detail": detail})
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
