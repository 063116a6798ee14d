"""A large world for the environment benchmarks: 512 x 512 cells of 25 m, about 20,000 links.

    world = large_world()                      # 12.8 km square, 5,041 nodes, 19,880 links
    board = environment_board(world)           # the world's arrays plus an hour of traffic

A jittered street grid (71 x 71 nodes about 183 m apart), every fifth line an arterial, a
river across the middle, land use in blocks (a dense centre, housing, industry, parks,
woodland), residents, jobs, shops, schools and doctors, and three bus lines. The traffic is
not assigned (that is the traffic benchmark's business): each link gets a flow drawn from
its class and its distance to the centre, and a congested speed below its limit, so the
environment modules see a city's worth of busy and quiet roads. One seed, one world.
"""

from __future__ import annotations

import numpy as np

from agora.server.sim.pipeline import Board
from agora.server.world.simulation import world_board
from agora.server.world.types import LandUse, Mode, RoadClass
from agora.server.world.world import Grid, Lines, Network, World, WorldMeta

SIZE = 512
CELL_M = 25.0
NODES_PER_SIDE = 71


def large_world(seed: int = 512) -> World:
    rng = np.random.default_rng(seed)
    extent = SIZE * CELL_M
    spacing = extent / NODES_PER_SIDE
    n = NODES_PER_SIDE
    ij = np.indices((n, n)).reshape(2, -1)
    node_x = (ij[1] + 0.5) * spacing + rng.uniform(-0.2, 0.2, ij.shape[1]) * spacing
    node_y = (ij[0] + 0.5) * spacing + rng.uniform(-0.2, 0.2, ij.shape[1]) * spacing
    ends: list[tuple[int, int, bool]] = []  # (from, to, arterial)
    for r in range(n):
        for c in range(n):
            here = r * n + c
            if c + 1 < n:
                ends.append((here, here + 1, r % 5 == 2))
            if r + 1 < n:
                ends.append((here, here + n, c % 5 == 2))
    a = np.array([e[0] for e in ends] + [e[1] for e in ends], dtype=np.int32)
    b = np.array([e[1] for e in ends] + [e[0] for e in ends], dtype=np.int32)
    arterial = np.array([e[2] for e in ends] * 2)
    m = len(ends)
    twin = np.r_[np.arange(m, 2 * m), np.arange(m)].astype(np.int32)
    length = np.hypot(node_x[b] - node_x[a], node_y[b] - node_y[a])
    road_class = np.where(arterial, RoadClass.ARTERIAL, RoadClass.LOCAL).astype(np.uint8)
    network = Network(
        node_x_m=node_x, node_y_m=node_y, link_from=a, link_to=b, length_m=length,
        lanes=np.where(arterial, 2, 1).astype(np.int8),
        capacity_veh_h=np.where(arterial, 1800.0, 600.0),
        speed_kmh=np.where(arterial, 50.0, 30.0),
        road_class=road_class, modes=np.full(2 * m, int(Mode.ALL), np.uint8), twin=twin,
        closed=np.zeros(2 * m, np.bool_),
    )
    grid = _grid(rng, extent)
    lines = _lines(n, a, b)
    meta = WorldMeta(name="large", title="Large benchmark world", description="A jittered street grid",
                     attribution="Synthetic, tests/bench/large_world.py", cell_m=CELL_M, seed=seed,
                     modules=["emissions", "noise", "noise_map"])
    world = World(meta=meta, grid=grid, network=network, zone_node=np.zeros(0, np.int32), lines=lines)
    world.validate()
    return world


def _grid(rng: np.random.Generator, extent: float) -> Grid:
    rows, cols = np.indices((SIZE, SIZE))
    x, y = (cols + 0.5) * CELL_M, (rows + 0.5) * CELL_M
    r = np.hypot(x - extent / 2, y - extent / 2)
    block = rng.random((SIZE // 16, SIZE // 16)).repeat(16, 0).repeat(16, 1)
    land = np.full((SIZE, SIZE), int(LandUse.HOUSING), np.uint8)
    land[block < 0.12] = LandUse.PARK
    land[(block >= 0.12) & (block < 0.22)] = LandUse.WOODLAND
    land[(block >= 0.22) & (block < 0.30)] = LandUse.GRASS
    land[(block >= 0.30) & (block < 0.38)] = LandUse.INDUSTRY
    land[r < 1500.0] = LandUse.CENTRE
    river = np.abs(y - extent * 0.45 - 300.0 * np.sin(x / 1500.0)) < 40.0
    land[river] = LandUse.WATER
    residents = np.where(land == LandUse.HOUSING, 12.0, 0.0) + np.where(land == LandUse.CENTRE, 20.0, 0.0)
    jobs = np.where(land == LandUse.CENTRE, 30.0, 0.0) + np.where(land == LandUse.INDUSTRY, 25.0, 0.0)
    shops = np.where((land == LandUse.CENTRE) | ((land == LandUse.HOUSING) & (block > 0.95)), 5.0, 0.0)
    schools = np.zeros((SIZE, SIZE))
    health = np.zeros((SIZE, SIZE))
    schools[32::64, 32::64] = 400.0
    health[48::96, 48::96] = 4.0
    return Grid(land_use=land, residents=residents.astype(np.float32), jobs=jobs.astype(np.float32),
                zone=np.full((SIZE, SIZE), -1, np.int32), school_places=schools.astype(np.float32),
                shops=shops.astype(np.float32), health=health.astype(np.float32))


def _lines(n: int, link_from: np.ndarray, link_to: np.ndarray) -> Lines:
    index = {(int(f), int(t)): k for k, (f, t) in enumerate(zip(link_from, link_to))}
    routes = []
    for row in (12, 35, 57):
        nodes = [row * n + c for c in range(n)]
        routes.append([index[(p, q)] for p, q in zip(nodes, nodes[1:])])
    first = np.cumsum([0] + [len(route) for route in routes]).astype(np.int64)
    link = np.concatenate(routes).astype(np.int32)
    stop = (np.arange(link.shape[0]) % 2 == 1)
    return Lines(first=first, link=link, stop=stop, headway_min=np.full(len(routes), 10.0))


def environment_board(world: World, seed: int = 1) -> Board:
    """The world's arrays with one hour of made-up traffic, at 08:00."""
    rng = np.random.default_rng(seed)
    board = world_board(world)
    n = world.network
    extent = SIZE * CELL_M
    mid_x = (n.node_x_m[n.link_from] + n.node_x_m[n.link_to]) / 2.0
    mid_y = (n.node_y_m[n.link_from] + n.node_y_m[n.link_to]) / 2.0
    central = np.exp(-np.hypot(mid_x - extent / 2, mid_y - extent / 2) / 4000.0)
    busy = np.where(n.road_class == RoadClass.ARTERIAL, 900.0, 120.0)
    flow = busy * central * rng.uniform(0.3, 1.3, n.n_links)
    board["link_flow_veh_h"] = flow
    board["link_congested_speed_kmh"] = n.speed_kmh * (1.0 - 0.4 * np.minimum(flow / n.capacity_veh_h, 1.0))
    board["clock_hour"] = np.array(8.0)
    # A morning-peaked day of car trips (any unit; only its shape matters).
    board["demand_car_trips_by_hour"] = np.array(
        [1, 1, 1, 1, 2, 5, 20, 60, 80, 50, 40, 40, 45, 45, 45, 60, 80, 90, 60, 40, 25, 15, 8, 3], float)
    return board
