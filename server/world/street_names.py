"""Street names for the synthetic town: links that continue one another in a nearly straight
line, with the same class, make one street, and each street gets a name of its own.

    names = street_names(world.network, seed=20261121)
    names.name(17)                       # "Linden Lane"

The names come from a generator of their own seeded from the town's seed, so naming draws
nothing from the town's generator and the world's arrays (and state hash) do not change.
"""

from __future__ import annotations

import math

import numpy as np

from agora.server.world.names import LinkNames
from agora.server.world.types import RoadClass
from agora.server.world.world import Network

# Two links continue one street at a node when they turn by less than this.
STRAIGHT_DEG = 35.0
_STEMS = (
    "Mill", "Church", "Station", "Market", "Bridge", "Linden", "Oak", "Elm", "Castle", "School", "Meadow",
    "Brewery", "Harbour", "Garden", "Weaver", "Baker", "Tanner", "Cooper", "Chapel", "Orchard", "Willow",
    "Birch", "Ash", "Hazel", "Rose", "Cherry", "Maple", "Beech", "Alder", "Poplar", "Hawthorn", "Juniper",
    "Salt", "Corn", "Wool", "Rope", "Forge", "Smith", "Potter", "Fisher", "Miller", "Carter", "Abbey",
    "Tower", "Gate", "Well", "Spring", "Brook", "Pond", "Hill", "Ridge", "Vale", "Field", "Heath",
    "Moor", "Arle", "Velm", "Kings", "Queens", "Priory", "Granary", "Foundry", "Lantern", "Bell",
    "Clock", "Fountain", "Crown", "Anchor", "Swan", "Falcon", "Heron", "Otter", "Badger", "Fox",
)
_KINDS = {
    RoadClass.ARTERIAL: ("Road", "Avenue"),
    RoadClass.COLLECTOR: ("Street", "Road"),
    RoadClass.LOCAL: ("Lane", "Street", "Way", "Row", "Close"),
    RoadClass.PATH: ("Walk", "Path"),
}
_QUALIFIERS = ("Upper", "Lower", "Old", "New", "Little", "Great")


def street_names(network: Network, seed: int) -> LinkNames:
    """A name for every link (both directions of a street share it)."""
    group = _streets(network)
    rng = np.random.default_rng([seed, 0x57EE7])
    pools: dict[int, list[str]] = {}
    named: dict[int, str] = {}
    per_link = []
    for link in range(network.n_links):
        g = int(group[link])
        if g not in named:
            cls = int(network.road_class[link])
            pool = pools.get(cls)
            if not pool:
                pool = pools[cls] = _pool(rng, cls, len(pools), set(named.values()))
            named[g] = pool.pop()
        per_link.append(named[g])
    return LinkNames.of(per_link)


def _pool(rng: np.random.Generator, cls: int, round_: int, taken: set[str]) -> list[str]:
    """Fresh names of a class, shuffled; later rounds add a qualifier ("Upper Mill Lane")."""
    kinds = _KINDS.get(RoadClass(cls), ("Street",)) if cls in set(RoadClass) else ("Street",)
    plain = [f"{stem} {kind}" for stem in _STEMS for kind in kinds]
    qualified = [f"{q} {n}" for q in _QUALIFIERS for n in plain]
    pool: list[str] = []
    # Popped from the end: the plain names first, the qualified ones once those run out.
    for names in (qualified, plain):
        fresh = [n for n in names if n not in taken]
        pool += [fresh[i] for i in rng.permutation(len(fresh))]
    return pool


def _streets(network: Network) -> np.ndarray:
    """int64[L]: a street id per link; a link and its twin always share one."""
    n = network
    parent = np.arange(n.n_links)

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = int(parent[a])
        return a

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for link in range(n.n_links):
        if n.twin[link] >= 0:
            union(link, int(n.twin[link]))
    # At each node, pair the incoming links with the outgoing ones that carry on most
    # straight, each link taking at most one partner at its end.
    cos_limit = math.cos(math.radians(STRAIGHT_DEG))
    dx = n.node_x_m[n.link_to] - n.node_x_m[n.link_from]
    dy = n.node_y_m[n.link_to] - n.node_y_m[n.link_from]
    length = np.maximum(np.hypot(dx, dy), 1e-9)
    ux, uy = dx / length, dy / length
    order = np.argsort(n.link_to, kind="stable")
    ends = np.searchsorted(n.link_to[order], np.arange(n.n_nodes + 1))
    starts_order = np.argsort(n.link_from, kind="stable")
    starts = np.searchsorted(n.link_from[starts_order], np.arange(n.n_nodes + 1))
    for node in range(n.n_nodes):
        into = order[ends[node]:ends[node + 1]]
        out = starts_order[starts[node]:starts[node + 1]]
        pairs = []
        for a in into:
            for b in out:
                if int(n.twin[a]) == int(b) or n.road_class[a] != n.road_class[b]:
                    continue
                c = float(ux[a] * ux[b] + uy[a] * uy[b])
                if c >= cos_limit:
                    pairs.append((-c, int(a), int(b)))
        used_in: set[int] = set()
        used_out: set[int] = set()
        for _, a, b in sorted(pairs):
            if a not in used_in and b not in used_out:
                used_in.add(a)
                used_out.add(b)
                union(a, b)
    return np.array([find(i) for i in range(n.n_links)], dtype=np.int64)
