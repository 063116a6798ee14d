"""What a highway=* way means for each direction of travel: who may use it, its lanes, speed
limit, capacity, bus and bike lanes, from its tags and the rules (rules/osm.toml).

    spec = road_spec({"highway": "primary", "lanes": "4", "maxspeed": "40"}, rules, "FI", log)
    spec.forward.lanes, spec.forward.speed_kmh        # 2, 40.0

A tag that makes no sense (lanes=many, maxspeed=fast) gives the rule's default, logged;
an untagged lane count or speed limit likewise. Walking is two-way on every link that
has the WALK bit (the models walk both ways along a one-way street), so the way back of a
one-way street exists only when bikes or buses may ride against the traffic.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from agora.server.world.osm_rules import ImportLog, OsmRules
from agora.server.world.types import Mode, RoadClass

# Access values: open to the mode, or kept to a group that is not general traffic (a value
# in neither set, such as "unknown", changes nothing).
_YES = {"yes", "designated", "permissive", "destination", "official", "customers"}
_NO = {"no", "private", "use_sidepath", "dismount", "agricultural", "forestry", "delivery", "military",
       "emergency", "permit", "discouraged"}
_MPH = 1.609344
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$")
_ZONE = re.compile(r"^zone:?(\d+)$")
# Which modes an access key speaks for (OSM's access hierarchy, simplified).
_ACCESS_KEYS: tuple[tuple[str, int], ...] = (
    ("access", int(Mode.ALL)),
    ("vehicle", int(Mode.CAR | Mode.BUS | Mode.BIKE)),
    ("motor_vehicle", int(Mode.CAR | Mode.BUS)),
    ("motorcar", int(Mode.CAR)),
    ("psv", int(Mode.BUS)),
    ("bus", int(Mode.BUS)),
    ("bicycle", int(Mode.BIKE)),
    ("foot", int(Mode.WALK)),
)
_OWN_KEYS = {"motorcar", "psv", "bus", "bicycle", "foot"}
# Keys that make a two-way way one-way for some modes only.
_ONEWAY_FOR = (("oneway:bicycle", int(Mode.BIKE)), ("oneway:motor_vehicle", int(Mode.CAR | Mode.BUS)),
               ("oneway:vehicle", int(Mode.CAR | Mode.BUS | Mode.BIKE)))


@dataclass(frozen=True)
class Direction:
    """One direction of travel along a way."""

    modes: int  # Mode bits
    lanes: int  # general lanes (a bus lane not counted)
    speed_kmh: float
    capacity_veh_h: float
    bus_lane: bool
    bike_lane: bool


@dataclass(frozen=True)
class RoadSpec:
    road_class: RoadClass
    forward: Direction | None  # along the way's node order
    backward: Direction | None

    def reversed(self) -> RoadSpec:
        return RoadSpec(self.road_class, self.backward, self.forward)


def _first(value: str) -> str:
    return value.split(";")[0].strip()


def parse_lanes(value: str | None, max_lanes: int) -> int | None:
    """Whole lanes from a tag value; None for no tag or nonsense (logged by the caller)."""
    if value is None:
        return None
    try:
        lanes = float(_first(value))
    except ValueError:
        return None
    if not math.isfinite(lanes) or lanes < 1.0:
        return None
    return min(max_lanes, math.floor(lanes + 0.5))


def parse_speed(value: str | None, speeds: dict[str, dict[str, float]], table: dict[str, float]) -> float | None:
    """km/h from a maxspeed value ("50", "30 mph", "FI:urban", "DE:zone30", "walk"); None if not a speed."""
    if value is None:
        return None
    text = _first(value)
    match = _NUMBER.match(text)
    if match:
        kmh = float(match.group(1)) * (_MPH if match.group(2) == "mph" else 1.0)
        return round(kmh, 1) if 5.0 <= kmh <= 150.0 else None
    country, _, key = text.partition(":") if ":" in text and not text.startswith("zone") else ("", "", text)
    chosen = speeds.get(country.upper(), table) if country else table
    key = key.lower()
    zone = _ZONE.match(key)
    if zone:
        return float(zone.group(1))
    if key in ("walk", "living_street"):
        return chosen["living_street"]
    if key == "none":
        return chosen["motorway"]
    return chosen.get(key)


def _access(tags: dict[str, str], default: int, suffix: str = "") -> int:
    """Modes after the access tags (key + suffix): a general key (access, vehicle,
    motor_vehicle) re-opens only what the highway type allows; a mode's own key opens it."""
    modes = default
    for key, bits in _ACCESS_KEYS:
        value = tags.get(key + suffix)
        if value is None:
            continue
        value = _first(value)
        if value in _NO:
            modes &= ~bits
        elif value in _YES:
            modes |= bits if key in _OWN_KEYS else default & bits
    return modes


def _oneway(tags: dict[str, str], highway: str, log: ImportLog) -> int:
    """+1 one-way along the way, -1 against it, 0 two-way."""
    value = tags.get("oneway")
    if value is None:
        implied = highway in ("motorway", "motorway_link") or tags.get("junction") in ("roundabout", "circular")
        return 1 if implied else 0
    value = _first(value)
    if value in ("yes", "true", "1"):
        return 1
    if value in ("-1", "reverse"):
        return -1
    if value not in ("no", "false", "0"):
        log.default("oneway", f"oneway={value} is not yes, no or -1: taken as two-way")
    return 0


def _bus_lane(tags: dict[str, str], side: str, oneway: int) -> bool:
    """A lane for buses in this direction: busway=lane (both ways on a two-way street),
    busway:right/left, or lanes:bus / lanes:psv (with :forward / :backward)."""
    def lanes_of(key: str) -> int:
        return parse_lanes(tags.get(key), 8) or 0

    both_sides = "lane" in (tags.get("busway"), tags.get("busway:both"))
    right = tags.get("busway:right") == "lane"
    left = tags.get("busway:left") == "lane"
    own = max(lanes_of(f"lanes:bus:{side}"), lanes_of(f"lanes:psv:{side}"))
    total = max(lanes_of("lanes:bus"), lanes_of("lanes:psv"))
    if oneway:
        return both_sides or right or left or own > 0 or total > 0
    if side == "forward":
        return both_sides or right or own > 0 or total > 0
    return both_sides or left or own > 0 or total >= 2


def _bike_lane(tags: dict[str, str], side: str, oneway: int) -> bool:
    lane = ("lane", "track", "share_busway")
    opposite = ("opposite_lane", "opposite_track")
    both = (tags.get("cycleway"), tags.get("cycleway:both"))
    if any(v in lane for v in both) or (side == "backward" and any(v in opposite for v in both)):
        return True
    own = tags.get("cycleway:right" if side == "forward" else "cycleway:left")
    if own in lane or own in opposite:
        return True
    # On a one-way street a lane on the left runs with the traffic.
    with_traffic = "forward" if oneway > 0 else "backward"
    return bool(oneway) and side == with_traffic and tags.get("cycleway:left") in lane


def road_spec(tags: dict[str, str], rules: OsmRules, country: str | None, log: ImportLog) -> RoadSpec | None:
    """The way's two directions, or None (logged) when it is not a way to travel on."""
    highway = tags.get("highway", "")
    rule = rules.highways.get(highway)
    if rule is None:
        reason = "not a way to travel on" if highway in rules.roads["ignored"] else "an unknown highway value"
        log.drop("ways", f"highway={highway}: {reason}")
        return None
    table = rules.speed_table(country)
    max_lanes = int(rules.roads["max_lanes"])
    base = rule.modes
    if rule.road_class != RoadClass.PATH and tags.get("motorroad") == "yes":
        base &= ~int(Mode.BIKE | Mode.WALK)
    base = _access(tags, base)
    if highway == "service" and tags.get("service") in rules.roads["service_no_cars"]:
        base &= ~int(Mode.CAR | Mode.BUS)
    if rule.road_class == RoadClass.PATH:
        base &= ~int(Mode.CAR | Mode.BUS)  # a path tagged motor_vehicle=yes is still not a street
    oneway = _oneway(tags, highway, log)
    fwd_modes, bwd_modes = _access(tags, base, ":forward"), _access(tags, base, ":backward")
    if oneway:
        contra = 0
        if tags.get("oneway:bicycle") == "no" or any(
                tags.get(k, "").startswith("opposite") for k in ("cycleway", "cycleway:left", "cycleway:right",
                                                                 "cycleway:both")):
            contra |= int(Mode.BIKE)
        if "no" in (tags.get("oneway:bus"), tags.get("oneway:psv")) or tags.get("busway") == "opposite_lane":
            contra |= int(Mode.BUS)
        if oneway > 0:
            bwd_modes &= contra
        else:
            fwd_modes &= contra
    else:
        for key, bits in _ONEWAY_FOR:
            value = tags.get(key)
            if value in ("yes", "true", "1"):
                bwd_modes &= ~bits
            elif value == "-1":
                fwd_modes &= ~bits
    # Walkers use either link both ways: a direction only they may use adds nothing.
    if bwd_modes == int(Mode.WALK) and fwd_modes & int(Mode.WALK):
        bwd_modes = 0
    if fwd_modes == int(Mode.WALK) and bwd_modes & int(Mode.WALK):
        fwd_modes = 0
    if not (fwd_modes | bwd_modes):
        log.drop("ways", f"highway={highway}: closed to every mode by its access tags")
        return None

    # Lanes per direction.
    total = parse_lanes(tags.get("lanes"), 2 * max_lanes)
    if tags.get("lanes") is not None and total is None:
        log.default("lanes", f"lanes={tags['lanes']} is not a number: {rule.lanes} per direction for highway={highway}")
    elif total is None and rule.road_class != RoadClass.PATH and (fwd_modes | bwd_modes) & int(Mode.CAR):
        log.default("lanes", f"untagged: {rule.lanes} per direction for highway={highway}")
    lanes: dict[str, int] = {}
    for side, sign in (("forward", 1), ("backward", -1)):
        own = parse_lanes(tags.get(f"lanes:{side}"), max_lanes)
        if own is not None:
            lanes[side] = own
        elif total is not None and oneway:
            lanes[side] = min(max_lanes, total) if oneway == sign else 1
        elif total is not None:
            half = (total + 1) // 2 if side == "forward" else total // 2
            lanes[side] = min(max_lanes, max(1, half))
        else:
            lanes[side] = rule.lanes

    # Speed limits: paths are ridden at a cyclist's speed whatever their sign says.
    default_speed = table[rule.speed_key]
    general = default_speed
    if rule.road_class != RoadClass.PATH:
        raw = tags.get("maxspeed")
        parsed = parse_speed(raw, rules.speeds, table)
        if parsed is None:
            why = "untagged" if raw is None else f"maxspeed={raw} is not a speed"
            log.default("maxspeed", f"{why}: {default_speed:g} km/h ({rule.speed_key}) for highway={highway}")
        general = default_speed if parsed is None else parsed
    speed: dict[str, float] = {}
    for side in ("forward", "backward"):
        own_speed = parse_speed(tags.get(f"maxspeed:{side}"), rules.speeds, table)
        speed[side] = own_speed if own_speed is not None and rule.road_class != RoadClass.PATH else general

    def direction(side: str, modes: int) -> Direction | None:
        if not modes:
            return None
        bus_lane = bool(modes & int(Mode.BUS)) and _bus_lane(tags, side, oneway)
        n = lanes[side] - 1 if bus_lane and lanes[side] > 1 else lanes[side]
        return Direction(modes, n, speed[side], n * rule.lane_capacity_veh_h, bus_lane,
                         _bike_lane(tags, side, oneway) and bool(modes & int(Mode.BIKE)))

    return RoadSpec(rule.road_class, direction("forward", fwd_modes), direction("backward", bwd_modes))
