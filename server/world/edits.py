"""Interventions as world edits: each command is checked, then applied, the same way live
and in replay.

    validate(world, SetToll(links=[4, 5], toll_eur=2.0))   # raises EditError if refused
    change = apply(world, SetToll(links=[4, 5], toll_eur=2.0))
    change.links, change.topology                          # what moved; did links appear

`validate` never mutates; `apply` assumes `validate` passed (it re-validates anyway, so a
bad log cannot corrupt a world).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agora.server import protocol as p
from agora.server.world.land_edits import apply_land, validate_land
from agora.server.world.types import Mode, RoadClass
from agora.server.world.world import Lines, World

MAX_LANES = 4
SPEED_KMH = (10.0, 130.0)
TOLL_EUR = (0.0, 50.0)
HEADWAY_MIN = (2.0, 120.0)
MAX_ROAD_M = 2000.0
# Capacity per lane of a new town street, as the default town's streets: HCM 2010 ch. 18
# base saturation flow 1,900 veh/h/lane times the green share at junctions (about 0.45 on
# arterials, 0.4 on collectors, 0.26 on local streets).
LANE_CAPACITY_VEH_H = {RoadClass.ARTERIAL: 850.0, RoadClass.COLLECTOR: 750.0, RoadClass.LOCAL: 500.0}


class EditError(ValueError):
    """A refused edit: a stable code and a sentence for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Change:
    links: list[int]  # the links the edit touched (new ones included)
    topology: bool = False  # links were added: the network's shape changed


def street(world: World, link: int) -> list[int]:
    """The link and its opposite twin, if the street is two-way."""
    twin = int(world.network.twin[link])
    return [link] if twin < 0 else sorted((link, twin))


# -- validation ----------------------------------------------------------------------------


def _link(world: World, link: int) -> None:
    n = world.network.n_links
    if not 0 <= link < n:
        raise EditError("no_such_link", f"There is no link {link}; this world's links are numbered 0 to {n - 1}.")


def _links(world: World, links: list[int], *, drivable: bool = True) -> None:
    if not links:
        raise EditError("no_links", "Pick at least one link for this intervention.")
    if len(set(links)) != len(links):
        raise EditError("repeated_link", "Each link may appear only once in an intervention.")
    for link in links:
        _link(world, link)
        if drivable and not world.network.modes[link] & Mode.CAR:
            raise EditError("not_drivable", f"Link {link} is a path for bikes and walkers; this intervention is for roads.")


def _in_range(what: str, value: float, bounds: tuple[float, float], unit: str) -> None:
    if not (bounds[0] <= value <= bounds[1]):
        raise EditError("out_of_range", f"The {what} must lie between {bounds[0]:g} and {bounds[1]:g} {unit}; {value:g} is outside.")


def validate(world: World, command: p.Command) -> None:
    n = world.network
    match command:
        case p.CloseLink(link=link) | p.ReopenLink(link=link):
            _links(world, [link])
            closing = isinstance(command, p.CloseLink)
            if closing and n.closed[link]:
                raise EditError("already_closed", f"Link {link} is already closed to cars.")
            if not closing and not n.closed[link]:
                raise EditError("not_closed", f"Link {link} is open; only a closed street can be reopened.")
        case p.SetLanes(links=links, lanes=lanes):
            _links(world, links)
            _in_range("number of lanes", lanes, (1, MAX_LANES), "lanes")
            if any(lanes == n.lanes[link] for link in links):
                raise EditError("no_change", f"Those links already have {lanes} lane(s).")
        case p.SetSpeedLimit(links=links, speed_kmh=speed):
            _links(world, links)
            _in_range("speed limit", speed, SPEED_KMH, "km/h")
        case p.MakeOneWay(link=link):
            _links(world, [link])
            twin = int(n.twin[link])
            if twin < 0 or not n.modes[twin] & Mode.CAR:
                raise EditError("already_one_way", f"Link {link} already carries cars one way only.")
        case p.AddBusLane(links=links):
            _links(world, links)
            for link in links:
                if n.bus_lane[link]:
                    raise EditError("already_bus_lane", f"Link {link} already has a bus lane.")
                if n.lanes[link] < 2:
                    raise EditError("too_few_lanes", f"Link {link} has one lane; a bus lane needs two, one left for cars.")
        case p.AddBikeLane(links=links):
            _links(world, links)
            if any(n.bike_lane[link] for link in links):
                raise EditError("already_bike_lane", "One of those links already has a bike lane.")
        case p.SetToll(links=links, toll_eur=toll):
            _links(world, links)
            _in_range("toll", toll, TOLL_EUR, "EUR")
        case p.AddBusLine(route=route, headway_min=headway, stops=stops):
            _links(world, route, drivable=False)
            _in_range("headway", headway, HEADWAY_MIN, "minutes")
            if stops is not None and len(stops) != len(route):
                raise EditError("bad_stops", f"Give one stop flag per route link: {len(route)}, not {len(stops)}.")
            for a, b in zip(route, route[1:]):
                if n.link_to[a] != n.link_from[b]:
                    raise EditError("broken_route", f"Links {a} and {b} do not meet: a bus route must be consecutive links.")
            for link in route:
                if not n.modes[link] & Mode.BUS or n.closed[link]:
                    raise EditError("not_for_buses", f"Buses cannot use link {link}.")
        case p.SetHeadway(line=line, headway_min=headway):
            if not 0 <= line < world.lines.n_lines:
                raise EditError("no_such_line", f"There is no bus line {line}; this world has {world.lines.n_lines}.")
            _in_range("headway", headway, HEADWAY_MIN, "minutes")
        case p.AddRoad(from_node=a, to_node=b, lanes=lanes, speed_kmh=speed):
            for node in (a, b):
                if not 0 <= node < n.n_nodes:
                    raise EditError("no_such_node", f"There is no node {node}; nodes are numbered 0 to {n.n_nodes - 1}.")
            if a == b:
                raise EditError("same_node", "A road needs two different ends.")
            if np.any((n.link_from == a) & (n.link_to == b)):
                raise EditError("road_exists", f"A link from node {a} to node {b} exists already.")
            _in_range("number of lanes", lanes, (1, MAX_LANES), "lanes")
            _in_range("speed limit", speed, SPEED_KMH, "km/h")
            length = float(np.hypot(n.node_x_m[b] - n.node_x_m[a], n.node_y_m[b] - n.node_y_m[a]))
            if length > MAX_ROAD_M:
                raise EditError("too_long", f"That road would be {length:.0f} m long; build roads of at most {MAX_ROAD_M:.0f} m.")
        case p.MakePark() | p.PlantTrees() | p.BuildHousing() | p.BuildOffices() | p.AddSchool() | p.AddGrocery():
            validate_land(world, command)
        case _:
            raise EditError("unknown_command", f"The world has no edit called {type(command).__name__}.")


# -- application ---------------------------------------------------------------------------


def apply(world: World, command: p.Command) -> Change:
    validate(world, command)
    n = world.network
    match command:
        case p.CloseLink(link=link) | p.ReopenLink(link=link):
            links = street(world, link)
            n.closed[links] = isinstance(command, p.CloseLink)
            return Change(links)
        case p.SetLanes(links=links, lanes=lanes):
            n.capacity_veh_h[links] *= lanes / n.lanes[links]
            n.lanes[links] = lanes
            return Change(list(links))
        case p.SetSpeedLimit(links=links, speed_kmh=speed):
            n.speed_kmh[links] = speed
            return Change(list(links))
        case p.MakeOneWay(link=link):
            twin = int(n.twin[link])
            n.modes[twin] &= ~np.uint8(Mode.CAR | Mode.BUS)
            return Change([link, twin])
        case p.AddBusLane(links=links):
            n.capacity_veh_h[links] *= (n.lanes[links] - 1) / n.lanes[links]
            n.lanes[links] -= 1
            n.bus_lane[links] = True
            return Change(list(links))
        case p.AddBikeLane(links=links):
            n.bike_lane[links] = True
            n.modes[links] |= np.uint8(Mode.BIKE)
            return Change(list(links))
        case p.SetToll(links=links, toll_eur=toll):
            n.toll_eur[links] = toll
            return Change(list(links))
        case p.AddBusLine(route=route, headway_min=headway, stops=stops):
            lines = world.lines
            world.lines = Lines(
                first=np.append(lines.first, lines.first[-1] + len(route)),
                link=np.concatenate([lines.link, np.asarray(route, np.int32)]),
                stop=np.concatenate([lines.stop, np.asarray(stops if stops is not None else [True] * len(route), np.bool_)]),
                headway_min=np.append(lines.headway_min, headway),
            )
            return Change(list(route))
        case p.SetHeadway(line=line, headway_min=headway):
            world.lines.headway_min[line] = headway
            return Change([int(x) for x in world.lines.route(line)])
        case p.AddRoad():
            return Change(_add_road(world, command), topology=True)
        case p.MakePark() | p.PlantTrees() | p.BuildHousing() | p.BuildOffices() | p.AddSchool() | p.AddGrocery():
            apply_land(world, command)
            return Change([])
    raise AssertionError(f"validate() let {command!r} through")  # pragma: no cover


def _add_road(world: World, road: p.AddRoad) -> list[int]:
    n = world.network
    a, b = road.from_node, road.to_node
    road_class = RoadClass[road.road_class.upper()]
    length = float(np.hypot(n.node_x_m[b] - n.node_x_m[a], n.node_y_m[b] - n.node_y_m[a]))
    first = n.n_links
    ends = [(a, b), (b, a)] if road.two_way else [(a, b)]
    new = list(range(first, first + len(ends)))
    twins = [new[1], new[0]] if road.two_way else [-1]
    grow = {
        "link_from": [e[0] for e in ends],
        "link_to": [e[1] for e in ends],
        "length_m": [length] * len(ends),
        "lanes": [road.lanes] * len(ends),
        "capacity_veh_h": [road.lanes * LANE_CAPACITY_VEH_H[road_class]] * len(ends),
        "speed_kmh": [road.speed_kmh] * len(ends),
        "road_class": [int(road_class)] * len(ends),
        "modes": [int(Mode.ALL)] * len(ends),
        "twin": twins,
        "closed": [False] * len(ends),
        "bus_lane": [False] * len(ends),
        "bike_lane": [False] * len(ends),
        "toll_eur": [0.0] * len(ends),
    }
    for name, values in grow.items():
        old = getattr(n, name)
        setattr(n, name, np.concatenate([old, np.asarray(values, dtype=old.dtype)]))
    if world.names is not None:  # a new road has no name yet
        world.names.link = np.concatenate([world.names.link, np.full(len(ends), -1, np.int32)])
    return new
