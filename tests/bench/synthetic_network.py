"""A generated network of Chicago-Sketch's size, for assignment benchmarks and tests.

    net = generate()                 # 933 nodes, 2,950 links, 387 zones, 1.1 million trips
    small = generate(rows=8, cols=9, n_zones=60, total_trips=60_000, n_links=None)
    result = assign(*net.assign_args(), first_thru_node=net.first_thru_node)

Chicago-Sketch (Eash, Chon, Lee and Boyce 1983; TransportationNetworks) has 387 zone
centroids, 546 other nodes, 2,950 links and 1.26 million trips. This network copies
those sizes, not the city: a jittered grid of streets with a few freeway rows and
columns and arterials every other line, some blocks merged (links dropped), zone
centroids (nodes 0..Z-1, not passed through) tied to the grid by one or two connector
pairs, some of zero free-flow time, and gravity demand (population times jobs times
exp(-0.08 * free-flow minutes)), both denser in the centre.

Capacities are set so that congestion is realistic: each class has a capacity per lane
(1 to 3 lanes), all scaled by one factor that puts the all-or-nothing free-flow load of
the busiest tenth of the streets at AON_LOAD times capacity, and no street is left with a
load above AON_CAP times its capacity. At equilibrium the busiest quarter of the street
links then runs at v/c of about 0.3 to 1.5, median 0.8 (print(describe(net, flow)));
bi-conjugate Frank-Wolfe needs about the 22 iterations to a gap of 1e-4 it needs on
Chicago-Sketch itself. Everything is drawn from one seeded generator, so a seed always
gives the same network.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agora.server.sim.paths import all_or_nothing, forward_star, skim

FREEWAY, ARTERIAL, STREET, CONNECTOR = 0, 1, 2, 3
SPEED_KMH = np.array([90.0, 55.0, 35.0, 25.0])
CAPACITY_VEH_H = np.array([1800.0, 1200.0, 600.0, 50_000.0])  # per lane, before scaling
AON_LOAD = 0.9
AON_CAP = 1.3


@dataclass(frozen=True, eq=False)
class SyntheticNetwork:
    n_nodes: int
    first_thru_node: int  # nodes 0..Z-1 are zone centroids
    link_from: np.ndarray  # int32[L]
    link_to: np.ndarray  # int32[L]
    free_time_min: np.ndarray  # float64[L]
    capacity_veh_h: np.ndarray  # float64[L]
    length_km: np.ndarray  # float64[L]
    link_class: np.ndarray  # int8[L]: FREEWAY, ARTERIAL, STREET or CONNECTOR
    zone_node: np.ndarray  # int32[Z], zone z loads at node z
    demand: np.ndarray  # float64[Z, Z] trips per hour

    def assign_args(self, usable: np.ndarray | None = None) -> tuple[object, ...]:
        """The positional arguments of traffic.assign, BPR 0.15 and 4 on every link."""
        return (self.n_nodes, self.link_from, self.link_to, self.free_time_min, self.capacity_veh_h,
                0.15, 4.0, usable, self.zone_node, self.demand)


def generate(
    seed: int = 2006,
    rows: int = 21,
    cols: int = 26,
    n_zones: int = 387,
    total_trips: float = 1.1e6,
    n_links: int | None = 2950,
) -> SyntheticNetwork:
    """A deterministic network of rows x cols grid nodes and n_zones centroids.

    n_links: the link count to reach by dropping or adding street blocks (None keeps
    the grid as generated, less 4% of its blocks).
    """
    if n_zones > rows * cols:
        raise ValueError(f"at most one zone per grid node: {n_zones} zones for {rows * cols} nodes")
    rng = np.random.default_rng(seed)
    spacing_km = 2.0
    n_grid = rows * cols
    grid_x = np.tile(np.arange(cols) * spacing_km, rows) + rng.uniform(-0.5, 0.5, n_grid)
    grid_y = np.repeat(np.arange(rows) * spacing_km, cols) + rng.uniform(-0.5, 0.5, n_grid)
    centre = np.array([(cols - 1) * spacing_km / 2, (rows - 1) * spacing_km / 2])
    radius = np.hypot(grid_x - centre[0], grid_y - centre[1]) / (spacing_km * max(rows, cols) / 2)

    def grid(r: int, c: int) -> int:
        return r * cols + c

    def road_class(r0: int, c0: int, r1: int, c1: int) -> int:
        freeway_rows = {rows // 4, rows // 2, 3 * rows // 4}
        freeway_cols = {cols // 4, cols // 2, 3 * cols // 4}
        if (r0 == r1 and r0 in freeway_rows) or (c0 == c1 and c0 in freeway_cols):
            return FREEWAY
        if (r0 == r1 and r0 % 2 == 0) or (c0 == c1 and c0 % 2 == 0):
            return ARTERIAL
        return STREET

    blocks: list[tuple[int, int, int]] = []
    for r in range(rows):
        for c in range(cols):
            if c + 1 < cols:
                blocks.append((grid(r, c), grid(r, c + 1), road_class(r, c, r, c + 1)))
            if r + 1 < rows:
                blocks.append((grid(r, c), grid(r + 1, c), road_class(r, c, r + 1, c)))

    # Zones on distinct grid nodes, more of them near the centre; a fifth get a second
    # connector pair to a neighbouring node.
    weight = np.exp(-2.0 * radius**2)
    zone_at = rng.choice(n_grid, size=n_zones, replace=False, p=weight / weight.sum())
    second = rng.random(n_zones) < 0.2
    n_connectors = 2 * (n_zones + int(second.sum()))

    street_blocks = [i for i, b in enumerate(blocks) if b[2] == STREET]
    n_drop = len(blocks) // 25
    if n_links is not None:
        n_drop = len(blocks) - (n_links - n_connectors) // 2
    extra_blocks: list[tuple[int, int, int]] = []
    if n_drop < 0:  # more links wanted than the grid has: add diagonal streets
        for _ in range(-n_drop):
            r, c = int(rng.integers(0, rows - 1)), int(rng.integers(0, cols - 1))
            extra_blocks.append((grid(r, c), grid(r + 1, c + 1), STREET))
        n_drop = 0
    dropped = set(rng.choice(street_blocks, size=n_drop, replace=False).tolist()) if n_drop else set()
    kept = [b for i, b in enumerate(blocks) if i not in dropped] + extra_blocks
    if not _connected(n_grid, kept):
        raise ValueError(f"seed {seed} drops blocks that cut the grid apart; choose another seed")

    link_from: list[int] = []
    link_to: list[int] = []
    length: list[float] = []
    link_class: list[int] = []
    for a, b, kind in kept:
        d = float(np.hypot(grid_x[a] - grid_x[b], grid_y[a] - grid_y[b]))
        for u, v in ((a, b), (b, a)):
            link_from.append(n_zones + u)
            link_to.append(n_zones + v)
            length.append(d)
            link_class.append(kind)
    for z in range(n_zones):
        node = int(zone_at[z])
        targets = [node]
        if second[z]:
            r, c = divmod(node, cols)
            neighbours = [grid(r + dr, c + dc) for dr, dc in ((0, 1), (1, 0), (0, -1), (-1, 0))
                          if 0 <= r + dr < rows and 0 <= c + dc < cols]
            targets.append(int(neighbours[int(rng.integers(0, len(neighbours)))]))
        # One zone in ten sits on its node: a connector of zero length and time.
        offset = 0.0 if rng.random() < 0.1 else float(rng.uniform(0.2, 0.8))
        for t in targets:
            d = offset if t == node else offset + float(np.hypot(grid_x[t] - grid_x[node], grid_y[t] - grid_y[node]))
            for u, v in ((z, n_zones + t), (n_zones + t, z)):
                link_from.append(u)
                link_to.append(v)
                length.append(d)
                link_class.append(CONNECTOR)

    lf = np.array(link_from, dtype=np.int32)
    lt = np.array(link_to, dtype=np.int32)
    length_km = np.array(length)
    kinds = np.array(link_class, dtype=np.int8)
    free_time = length_km / SPEED_KMH[kinds] * 60.0
    n_nodes = n_zones + n_grid
    zone_node = np.arange(n_zones, dtype=np.int32)

    zone_radius = radius[zone_at]
    population = rng.lognormal(0.0, 0.5, n_zones) * np.exp(-1.0 * zone_radius**2)
    jobs = rng.lognormal(0.0, 0.8, n_zones) * np.exp(-3.0 * zone_radius**2)
    first_out, out_links = forward_star(n_nodes, lf, lt)
    usable = np.ones(lf.shape[0], dtype=bool)
    minutes = skim(first_out, out_links, lt, free_time, usable, zone_node, n_zones)
    demand = population[:, None] * jobs[None, :] * np.exp(-0.08 * minutes)
    np.fill_diagonal(demand, 0.0)
    demand *= total_trips / demand.sum()

    # Capacities by class, times 1 to 3 lanes, times one factor for the whole network:
    # the one that puts the all-or-nothing free-flow load of the busiest tenth of the
    # streets at AON_LOAD times capacity.
    lanes = rng.integers(1, 4, lf.shape[0])
    capacity = CAPACITY_VEH_H[kinds] * np.where(kinds == CONNECTOR, 1, lanes)
    aon = np.empty((n_zones, lf.shape[0]))
    all_or_nothing(first_out, out_links, lf, lt, free_time, usable, zone_node, demand, n_zones, aon)
    roads = kinds != CONNECTOR
    load = aon.sum(axis=0)
    factor = np.quantile(load[roads] / capacity[roads], 0.9) / AON_LOAD
    # No street is left with an all-or-nothing load above AON_CAP times its capacity:
    # real networks have few such bottlenecks, and they would make every method crawl.
    capacity = np.where(roads, np.round(np.maximum(capacity * factor, load / AON_CAP), -1), capacity)
    return SyntheticNetwork(
        n_nodes=n_nodes, first_thru_node=n_zones, link_from=lf, link_to=lt, free_time_min=free_time,
        capacity_veh_h=capacity, length_km=length_km, link_class=kinds, zone_node=zone_node, demand=demand,
    )


def _connected(n: int, edges: list[tuple[int, int, int]]) -> bool:
    parent = list(range(n))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a, b, _ in edges:
        parent[find(a)] = find(b)
    return len({find(a) for a in range(n)}) == 1


def describe(net: SyntheticNetwork, flow: np.ndarray | None = None) -> str:
    """Sizes, and with equilibrium flows the spread of v/c on the busiest street links."""
    text = (f"{net.n_nodes} nodes, {net.link_from.shape[0]} links, {net.zone_node.shape[0]} zones, "
            f"{net.demand.sum():,.0f} trips")
    if flow is not None:
        streets = net.link_class != CONNECTOR
        ratio = flow[streets] / net.capacity_veh_h[streets]
        busy = np.sort(ratio)[-len(ratio) // 4:]
        text += (f"; v/c of the busiest quarter of street links: min {busy.min():.2f}, median "
                 f"{np.median(busy):.2f}, max {busy.max():.2f}")
    return text
