"""What a client learns about a session besides its town and its game: the rule set's
intervention catalogue (in the Welcome) and, before joining, what GET /join/{code} says.

Part of the wire: `agora.server.protocol` re-exports every name here, and clients import
them from there.
"""

from __future__ import annotations

from typing import Literal

from msgspec import Struct


# -- the rule set's catalogue, as Welcome carries it -----------------------------------


class ParameterInfo(Struct, frozen=True, forbid_unknown_fields=True):
    """A parameter of an intervention: a number in [min, max] (whole if `integer`) or one
    of `choices`; `name` is the command's field it sets."""

    name: str
    title: str
    unit: str = ""
    min: float | None = None
    max: float | None = None
    integer: bool = False
    choices: list[str | bool] = []
    default: float | str | bool | None = None


class PlacementInfo(Struct, frozen=True, forbid_unknown_fields=True):
    """Where an intervention goes: on one link, several links, a route of consecutive
    links, a bus line, two nodes (a new road) or cells; which road classes (lower case) or
    land uses (upper case) it accepts (empty: any) and how many links or cells at most."""

    on: Literal["link", "links", "route", "line", "nodes", "cells"]
    road_classes: list[str] = []
    land_uses: list[str] = []
    max_count: int | None = None
    max_length_m: float | None = None


class CostInfo(Struct, frozen=True, forbid_unknown_fields=True):
    """EUR `eur` per unit of `per` (intervention, link, m, cell, m2), times the parameter
    `times`, divided by the parameter `divided_by`; `source` says where the figure is from."""

    eur: float
    per: Literal["intervention", "link", "m", "cell", "m2"]
    times: str | None = None
    divided_by: str | None = None
    source: str = ""


class InterventionInfo(Struct, frozen=True, forbid_unknown_fields=True):
    """One entry of the rule set's catalogue; `edit` is the tag of the command it makes."""

    name: str
    title: str
    edit: str
    placement: PlacementInfo
    cost: CostInfo
    parameters: list[ParameterInfo] = []
    description: str = ""
    sets_land_use: str | None = None


# -- HTTP: before joining --------------------------------------------------------------


class PersonaInfo(Struct, frozen=True, forbid_unknown_fields=True):
    """A persona of the session's rule set: a point of view a player may take."""

    name: str
    title: str
    description: str = ""


class JoinInfo(Struct, frozen=True, forbid_unknown_fields=True):
    """GET /join/{code}: what a lobby shows before joining (404 {"code": "bad_code", ...}
    for a code no session has)."""

    session: str
    world: str  # the world's name
    title: str  # the world's title, e.g. "Velmstadt"
    rules: str  # the rule set's name
    rules_title: str
    role: Literal["player", "observer"]  # what the code joins as
    personas: list[PersonaInfo]
    players: int  # player seats taken
    max_players: int
    full: bool  # true: the players' code is refused with "session_full"
    phase: str = ""  # the phase's title, "" before the first
