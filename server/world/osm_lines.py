"""Bus lines from the route=bus relations of an OpenStreetMap extract.

    plans = plan_routes(extract, rules, log)       # before the network: its stops stay nodes
    lines = bus_lines(plans, roads, rules, log)    # after: Lines over the world's links

A relation's ways, in its order, are chained end to end into runs of OSM nodes (a member
missing from the extract, or one that does not join the last, starts a new run). Its
stops are its stop positions on the route, or else the route node nearest each platform;
those nodes are kept as network nodes, so that a bus stops exactly there. Each run is
matched to consecutive links that buses may use; the longest match of a relation is its
line (an extract cuts most lines that cross it); a relation that names no stop inside the
extract gets one every `fallback_stop_spacing_m`. Relations that give the same links are
one line, with their frequencies added. Headways come from the tags interval, headway or
headway:morning_peak (minutes, or HH:MM), else the rules.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agora.server.world.osm_network import RoadNetwork
from agora.server.world.osm_read import Extract, Way
from agora.server.world.osm_rules import ImportLog, OsmRules
from agora.server.world.shapes import stops_by_spacing
from agora.server.world.types import Mode
from agora.server.world.world import Lines

_HEADWAY_TAGS = ("interval", "headway", "headway:morning_peak", "headway:peak")


@dataclass
class RoutePlan:
    osm_id: int
    runs: list[list[int]]  # OSM node ids, in driving order
    stops: set[int]  # OSM node ids where the bus stops
    headway_min: float


def parse_minutes(value: str | None) -> float | None:
    """Minutes from '10', '00:10' or '01:00:00'; None if not a duration."""
    if value is None:
        return None
    parts = value.split(";")[0].strip().split(":")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        return None
    if len(numbers) == 1:
        minutes = numbers[0]
    elif len(numbers) in (2, 3):
        minutes = numbers[0] * 60.0 + numbers[1] + (numbers[2] / 60.0 if len(numbers) == 3 else 0.0)
    else:
        return None
    return minutes if minutes > 0.0 else None


def _chain(members: list[Way]) -> list[list[int]]:
    runs: list[list[int]] = []
    run: list[int] = []
    for k, way in enumerate(members):
        nodes = way.node_ids.tolist()
        if not run:
            following = members[k + 1].node_ids if k + 1 < len(members) else None
            if following is not None and nodes[0] in (following[0], following[-1]) \
                    and nodes[-1] not in (following[0], following[-1]):
                nodes = nodes[::-1]
            run = list(nodes)
            continue
        if run[-1] == nodes[0]:
            run += nodes[1:]
        elif run[-1] == nodes[-1]:
            run += nodes[::-1][1:]
        else:
            runs.append(run)
            run = list(nodes)
    if run:
        runs.append(run)
    return [r for r in runs if len(r) >= 2]


def plan_routes(extract: Extract, rules: OsmRules, log: ImportLog) -> list[RoutePlan]:
    ways = {w.osm_id: w for w in extract.highways}
    xy: dict[int, tuple[float, float]] = {}
    for way in extract.highways:
        for i, x, y in zip(way.node_ids.tolist(), way.x_m.tolist(), way.y_m.tolist()):
            if np.isfinite(x):
                xy.setdefault(i, (x, y))
    reach = rules.buses["platform_reach_m"]
    plans = []
    for route in extract.routes:
        members = [ways[w] for w in route.ways.tolist() if w in ways]
        runs: list[list[int]] = []
        if members:
            runs = _chain(members)
        if not runs:
            log.drop("bus routes", "none of their streets in the extract")
            continue
        on_route = {n for r in runs for n in r if n in xy}
        # Stop positions on the route first; then each platform (or stop off the route) is the
        # route node nearest it, unless a stop already lies within reach of it.
        stops = {n for n, _, _, _ in route.stops if n in on_route}
        nodes = np.array(sorted(on_route), dtype=np.int64)
        pts = np.array([xy[int(n)] for n in nodes], dtype=np.float64).reshape(-1, 2)
        for n, _, x, y in route.stops:
            if n in on_route or nodes.size == 0:
                continue
            d = np.hypot(pts[:, 0] - x, pts[:, 1] - y)
            near = d <= reach
            if not near.any() or any(int(m) in stops for m in nodes[near]):
                continue
            stops.add(int(nodes[int(np.argmin(d))]))
        headway = None
        for key in _HEADWAY_TAGS:
            headway = parse_minutes(route.tags.get(key))
            if headway is not None:
                break
        if headway is None:
            log.default("bus headway", f"no interval or headway tag: {rules.buses['default_headway_min']:g} min")
            headway = rules.buses["default_headway_min"]
        headway = min(max(headway, rules.buses["min_headway_min"]), rules.buses["max_headway_min"])
        plans.append(RoutePlan(route.osm_id, runs, stops, headway))
    return plans


@dataclass
class _Line:
    buses_per_min: float
    stops: np.ndarray  # bool, per route link


def protected_nodes(plans: list[RoutePlan]) -> set[int]:
    return {n for plan in plans for n in plan.stops}


def _match(run: list[int], roads: RoadNetwork, by_start: dict[tuple[int, int], int]) -> list[list[int]]:
    """The stretches of consecutive bus links a run of OSM nodes follows."""
    n = roads.network
    found: list[list[int]] = []
    current: list[int] = []
    i = 0
    while i < len(run) - 1:
        k = by_start.get((run[i], run[i + 1]), -1)
        chain = roads.link_osm_nodes[k].tolist() if k >= 0 else []
        if k < 0 or run[i:i + len(chain)] != chain or (current and n.link_to[current[-1]] != n.link_from[k]):
            if current:
                found.append(current)
            current = []
            i += 1
            continue
        current.append(k)
        i += len(chain) - 1
    if current:
        found.append(current)
    return found


def bus_lines(plans: list[RoutePlan], roads: RoadNetwork, rules: OsmRules, log: ImportLog) -> Lines:
    n = roads.network
    bus = (n.modes & Mode.BUS) != 0
    by_start = {(int(ids[0]), int(ids[1])): k for k, ids in enumerate(roads.link_osm_nodes) if bus[k]}
    end_osm = roads.node_osm[n.link_to]
    lines: dict[tuple[int, ...], _Line] = {}
    merged = 0
    for plan in plans:
        matches = [m for run in plan.runs for m in _match(run, roads, by_start)]
        if not matches:
            log.drop("bus routes", "no stretch of their route on streets buses may use in the world")
            continue
        best = max(matches, key=lambda m: (float(n.length_m[m].sum()), -m[0]))
        if plan.stops:
            stops = np.array([int(end_osm[k]) in plan.stops for k in best], dtype=np.bool_)
        else:
            log.default("bus stops", f"the relation names no stop in the extract: one every "
                        f"{rules.buses['fallback_stop_spacing_m']:g} m")
            stops = np.array(stops_by_spacing(n.length_m, best, rules.buses["fallback_stop_spacing_m"]), dtype=np.bool_)
        if len(best) < 2 or not stops.any():
            log.drop("bus routes", "shorter than two links or without a stop inside the world")
            continue
        key = tuple(best)
        if key in lines:
            lines[key].buses_per_min += 1.0 / plan.headway_min
            lines[key].stops |= stops
            merged += 1
        else:
            lines[key] = _Line(1.0 / plan.headway_min, stops)
    log.counts["bus routes merged into a line with the same links"] = merged
    if not lines:
        return Lines.empty()
    first = np.zeros(len(lines) + 1, dtype=np.int64)
    first[1:] = np.cumsum([len(k) for k in lines])
    return Lines(
        first=first,
        link=np.array([k for key in lines for k in key], dtype=np.int32),
        stop=np.concatenate([line.stops for line in lines.values()]),
        headway_min=np.array([max(rules.buses["min_headway_min"], round(1.0 / line.buses_per_min, 2))
                              for line in lines.values()], dtype=np.float64),
    )
