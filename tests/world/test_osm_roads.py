"""What a highway way's tags mean for each direction: lanes, speeds, one-way, who may use it."""

from __future__ import annotations

from typing import Any

import pytest

from agora.server.world.osm_roads import parse_lanes, parse_speed, road_spec
from agora.server.world.osm_rules import ImportLog, OsmRules
from agora.server.world.types import Mode, RoadClass

RULES = OsmRules.load()
CAR, BUS, BIKE, WALK = int(Mode.CAR), int(Mode.BUS), int(Mode.BIKE), int(Mode.WALK)


def spec(tags: dict[str, str], country: str | None = "FI") -> tuple[Any, ImportLog]:
    log = ImportLog()
    return road_spec(tags, RULES, country, log), log


@pytest.mark.parametrize("value, kmh", [
    ("30", 30.0), ("30 mph", 48.3), ("50 km/h", 50.0), ("FI:urban", 50.0), ("FI:rural", 80.0),
    ("DE:rural", 100.0), ("DE:zone30", 30.0), ("DE:zone:20", 20.0), ("zone30", 30.0), ("50;30", 50.0),
    ("walk", 20.0), ("fast", None), ("signals", None), ("999", None), ("", None), (None, None),
])
def test_speed_values(value: str | None, kmh: float | None) -> None:
    assert parse_speed(value, RULES.speeds, RULES.speed_table("FI")) == kmh


@pytest.mark.parametrize("value, lanes", [
    ("2", 2), ("3;2", 3), ("1.5", 2), ("many", None), ("0", None), ("-1", None), ("99", 8), (None, None),
])
def test_lane_values(value: str | None, lanes: int | None) -> None:
    assert parse_lanes(value, 8) == lanes


def test_a_two_way_street_splits_its_lanes_and_keeps_its_limit() -> None:
    s, log = spec({"highway": "secondary", "lanes": "3", "maxspeed": "40"})
    assert s.road_class == RoadClass.COLLECTOR
    assert (s.forward.lanes, s.backward.lanes) == (2, 1)
    assert s.forward.speed_kmh == s.backward.speed_kmh == 40.0
    assert s.forward.capacity_veh_h == 2 * 750.0
    assert s.forward.modes == s.backward.modes == CAR | BUS | BIKE | WALK
    assert not log.defaults


def test_nonsense_tags_take_the_rules_defaults_and_are_logged() -> None:
    s, log = spec({"highway": "residential", "lanes": "many", "maxspeed": "fast", "oneway": "sometimes"})
    assert (s.forward.lanes, s.forward.speed_kmh) == (1, 50.0)  # FI built-up limit
    assert s.backward is not None  # oneway=sometimes: two-way, logged
    assert any("lanes=many" in k for k in log.defaults)
    assert any("maxspeed=fast" in k for k in log.defaults)
    assert any("oneway=sometimes" in k for k in log.defaults)


def test_untagged_speed_depends_on_the_country() -> None:
    assert spec({"highway": "residential"}, "DE")[0].forward.speed_kmh == 50.0
    assert spec({"highway": "motorway"}, "DE")[0].forward.speed_kmh == 130.0
    assert spec({"highway": "motorway"}, "FI")[0].forward.speed_kmh == 100.0
    assert spec({"highway": "living_street"}, None)[0].forward.speed_kmh == 10.0


def test_one_way_streets() -> None:
    s = spec({"highway": "primary", "oneway": "yes", "lanes": "4"})[0]
    assert s.forward.lanes == 4 and s.backward is None
    s = spec({"highway": "primary", "oneway": "-1"})[0]
    assert s.forward is None and s.backward.modes & CAR
    s = spec({"highway": "primary", "junction": "roundabout"})[0]
    assert s.backward is None
    # Bikes may ride against the traffic: the way back is theirs alone.
    s = spec({"highway": "residential", "oneway": "yes", "oneway:bicycle": "no"})[0]
    assert s.forward.modes == CAR | BUS | BIKE | WALK and s.backward.modes == BIKE


def test_access_tags() -> None:
    s = spec({"highway": "service", "motorcar": "no", "psv": "yes"})[0]
    assert s.forward.modes == BUS | BIKE | WALK
    s = spec({"highway": "service", "motor_vehicle:forward": "no"})[0]
    assert not s.forward.modes & CAR and s.backward.modes & CAR
    s = spec({"highway": "footway", "bicycle": "yes", "motorcar": "yes"})[0]
    assert s.road_class == RoadClass.PATH and s.forward.modes == BIKE | WALK
    s = spec({"highway": "motorway"})[0]
    assert s.forward.modes == CAR | BUS
    s, log = spec({"highway": "residential", "access": "no"})
    assert s is None and any("closed to every mode" in k for k in log.dropped)
    s, log = spec({"highway": "platform"})
    assert s is None and any("not a way to travel on" in k for k in log.dropped)


def test_a_bus_lane_takes_a_lane_from_cars() -> None:
    s = spec({"highway": "primary", "oneway": "yes", "lanes": "3", "lanes:bus": "1"})[0]
    assert s.forward.bus_lane and s.forward.lanes == 2 and s.forward.capacity_veh_h == 2 * 850.0
    s = spec({"highway": "primary", "lanes": "4", "busway": "lane"})[0]
    assert s.forward.bus_lane and s.backward.bus_lane and s.forward.lanes == s.backward.lanes == 1
    s = spec({"highway": "primary", "lanes": "4", "busway:right": "lane"})[0]
    assert s.forward.bus_lane and not s.backward.bus_lane


def test_access_for_a_group_is_no_access_for_cars() -> None:
    assert not spec({"highway": "unclassified", "motor_vehicle": "agricultural"})[0].forward.modes & CAR
    assert not spec({"highway": "service", "motor_vehicle": "delivery"})[0].forward.modes & CAR
    assert spec({"highway": "service", "motor_vehicle": "destination"})[0].forward.modes & CAR


def test_paths_are_ridden_at_a_cyclists_speed() -> None:
    s = spec({"highway": "cycleway", "maxspeed": "50", "foot": "designated"})[0]
    assert s.forward.speed_kmh == 15.0 and s.forward.modes == BIKE | WALK
