"""Typed ids and the code tables shared by every world."""

from __future__ import annotations

from enum import IntEnum, IntFlag
from typing import NewType

NodeId = NewType("NodeId", int)
LinkId = NewType("LinkId", int)
ZoneId = NewType("ZoneId", int)


class LandUse(IntEnum):
    """Codes of the `land_use` grid layer."""

    WATER = 0
    GRASS = 1
    PARK = 2
    WOODLAND = 3
    HOUSING = 4
    CENTRE = 5
    INDUSTRY = 6
    ROAD = 7


class RoadClass(IntEnum):
    ARTERIAL = 0
    COLLECTOR = 1
    LOCAL = 2
    PATH = 3


class Mode(IntFlag):
    """Bits of a link's `modes` mask: who may use it."""

    CAR = 1
    BUS = 2
    BIKE = 4
    WALK = 8
    ALL = CAR | BUS | BIKE | WALK
