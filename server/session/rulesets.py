"""Rule sets: what a workshop offers and how it runs, as data a facilitator edits.

    rules = bundled("workshop")                          # rules/rulesets/workshop.toml
    rules.phases[0].opens("preview")                     # which commands each phase opens
    rules.interventions["add_bike_lane"].cost_eur(420.0, {})    # 420 m of link, in EUR
    personas.score(rules.personas["cyclist"], baseline, variant)  # > 0: it helps cyclists

A rule set holds the intervention catalogue (each with its parameters and their ranges,
its cost and where it may be placed), the phases and the commands each opens, the voting
method, the personas with their objectives over the published indicators, the clock and
the budget. The file format and the scoring formula are in rules/rulesets/README.md.
Every problem in a file is a RuleSetError naming the file, the entry and what is wrong.
"""

from __future__ import annotations

import difflib
import os
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

import msgspec
from msgspec import Struct

from agora.server import protocol as p
from agora.server.world import edits, land_edits
from agora.server.world.types import LandUse, RoadClass


class RuleSetError(ValueError):
    """A rule set file that cannot be used, with the file, the entry and the reason in words."""


# -- what a rule set may name ----------------------------------------------------------


@dataclass(frozen=True)
class Indicator:
    """A published indicator, and the change that counts as "a lot" unless a persona says
    otherwise: `scale` in the indicator's unit, `scale_pct` in percent of the baseline; with
    both, the larger of the two (a relative scale with an absolute floor)."""

    unit: str
    scale: float | None = None
    scale_pct: float | None = None


_ACCESS = {f"access_{mode}_{need}": Indicator("share of residents, 0-1", scale=0.01)
           for mode in ("walk", "bike") for need in ("grocery", "school", "health", "park", "stop", "all")}
INDICATORS: dict[str, Indicator] = {
    "vehicle_hours": Indicator("veh h", scale=1.0, scale_pct=1.0),
    "vehicle_km": Indicator("veh km", scale=10.0, scale_pct=1.0),
    "mean_trip_min": Indicator("min", scale=0.5),
    "co2_kg_h": Indicator("kg/h", scale=1.0, scale_pct=1.0),
    "nox_kg_h": Indicator("kg/h", scale=0.01, scale_pct=1.0),
    "pm25_kg_h": Indicator("kg/h", scale=0.001, scale_pct=1.0),
    # Indicators.mode_share, the list (car, pt, bike, walk), one name per mode.
    **{f"mode_share_{mode}": Indicator("share of trips, 0-1", scale=0.01) for mode in ("car", "pt", "bike", "walk")},
    **{f"residents_above_{limit}": Indicator("residents", scale=10.0, scale_pct=1.0)
       for limit in ("who_lden", "who_lnight", "who_no2", "who_pm25", "eu2030_no2", "eu2030_pm25")},
    "no2_pop_weighted_ug_m3": Indicator("ug/m3", scale=0.1),
    "pm25_pop_weighted_ug_m3": Indicator("ug/m3", scale=0.05),
    "habitat_quality_mean": Indicator("0-1", scale=0.01),
    "species_population": Indicator("animals", scale=1.0, scale_pct=1.0),
    "connectivity_pc": Indicator("0-1", scale=1e-4, scale_pct=1.0),
    "connectivity_eca_ha": Indicator("ha", scale=0.1, scale_pct=1.0),
    **_ACCESS,
}

# Commands of the game itself; a phase opens some of these and some interventions.
SESSION_COMMANDS: dict[str, str] = {
    "preview": "run a what-if preview of one's draft against the baseline",
    "propose": "submit one's draft as a proposal",
    "withdraw": "withdraw one's own proposal",
    "comment": "comment on a proposal",
    "vote": "cast a ballot",
    "adopt": "(facilitator) apply the winning proposals to the shared world",
}
# In a phase's commands, this word stands for every intervention of the catalogue.
ALL_INTERVENTIONS = "interventions"
# A room of citizens, generous; a rule set or POST /sessions may set another up to the limit.
DEFAULT_MAX_PLAYERS = 60
MAX_PLAYERS_LIMIT = 1000

# Land-use edits the world does not have yet, with their parameters; each moves to
# protocol.py (and out of this table) when server/world/edits.py learns it.
PLANNED_EDITS: dict[str, tuple[str, ...]] = {}  # edits a catalogue may name before edits.py has them
# Fields of a world edit that say where it goes; the others are its parameters.
_PLACEMENT_FIELDS = {"link": "link", "links": "links", "route": "route", "stops": "route",
                     "line": "line", "from_node": "nodes", "to_node": "nodes", "cells": "cells"}
# The ranges server/world/edits.py accepts, by parameter name.
_EDIT_LIMITS = {"lanes": (1.0, float(edits.MAX_LANES)), "speed_kmh": edits.SPEED_KMH,
                "toll_eur": edits.TOLL_EUR, "headway_min": edits.HEADWAY_MIN,
                **{name: (float(low), float(high)) for name, (low, high) in land_edits.LIMITS.items()}}
_COMMANDS: dict[str, type[Struct]] = {str(c.__struct_config__.tag): c for c in typing.get_args(p.Command)}
_COST_UNITS = {"intervention": ("link", "links", "route", "line", "nodes", "cells"),
               "link": ("link", "links", "route"), "m": ("link", "links", "route", "line", "nodes"),
               "cell": ("cells",), "m2": ("cells",)}


# -- the schema ------------------------------------------------------------------------


class Clock(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    start_hour: float = 7.0  # simulated time of day at tick 0
    minutes_per_tick: float = 1.0  # simulated minutes each tick advances
    real_seconds_per_tick: float = 1.0  # wall-clock seconds between ticks while playing


class Budget(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    total_eur: float  # what the adopted proposals may cost together


# The methods and their settings follow server/session/voting.py, which counts the ballots.
class Majority(Struct, tag="majority", tag_field="method", frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Yes, no or abstain on each proposal: it passes with more yes than no, if at least
    `quorum` of the players hand in a ballot."""

    quorum: float = 0.5


class Approval(Struct, tag="approval", tag_field="method", frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Each player approves any number of competing proposals; the `seats` most approved win."""

    seats: int = 1


class GreedyBudget(Struct, tag="pb_greedy", tag_field="method", frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Participatory budgeting: approval ballots, proposals funded in order of approvals
    while they fit in the budget."""


class EqualShares(Struct, tag="pb_equal_shares", tag_field="method", frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Participatory budgeting by the Method of Equal Shares (Peters & Skowron 2020,
    "Proportionality and the limits of welfarism"; Peters, Pierczyński & Skowron 2021,
    "Proportional participatory budgeting with additive utilities"): the budget is split
    equally among the voters, and a proposal is funded when its supporters can pay for it
    from their shares. `completion` spends what that leaves: "add1" raises every share by
    `completion_step_eur` while the outcome stays within the budget, "add1_utilitarian"
    then funds the most approved proposals that still fit, "none" leaves it. `satisfaction`
    ranks proposals by what a supporter gains: "cost" (equalshares.net) or "cardinality"."""

    completion: Literal["none", "add1", "add1_utilitarian"] = "add1_utilitarian"
    satisfaction: Literal["cost", "cardinality"] = "cost"
    completion_step_eur: float = 1000.0


Voting = Majority | Approval | GreedyBudget | EqualShares
VOTING_METHODS: dict[str, type[Voting]] = {str(c.__struct_config__.tag): c for c in typing.get_args(Voting)}


class Phase(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: str
    title: str
    minutes: float  # default duration; the facilitator may end it early or extend it
    commands: tuple[str, ...] = ()  # session commands and interventions this phase opens
    description: str = ""

    def opens(self, command: str) -> bool:
        return command in self.commands


class Parameter(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A number in [min, max] (whole if `integer`) or one of `choices`."""

    title: str = ""
    unit: str = ""
    min: float | None = None
    max: float | None = None
    integer: bool = False
    choices: tuple[str | bool, ...] = ()
    default: float | str | bool | None = None


class Placement(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Where an intervention goes: on what, which road classes or land uses, how many."""

    on: Literal["link", "links", "route", "line", "nodes", "cells"]
    road_classes: tuple[str, ...] = ()  # RoadClass names, lower case; empty: any
    land_uses: tuple[str, ...] = ()  # LandUse names, upper case; empty: any
    max_count: int | None = None  # at most this many links or cells in one intervention
    max_length_m: float | None = None  # for new roads


class Cost(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """eur per unit of `per`, times the parameter `times`, divided by `divided_by`."""

    eur: float
    per: Literal["intervention", "link", "m", "cell", "m2"]
    times: str | None = None
    divided_by: str | None = None
    source: str = ""  # where the unit cost comes from, shown beside it


class Intervention(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: str
    title: str
    edit: str  # the world edit it makes (a protocol command, or one of PLANNED_EDITS)
    placement: Placement
    cost: Cost
    parameters: dict[str, Parameter] = {}
    sets_land_use: str | None = None  # LandUse name the cells become
    description: str = ""

    def cost_eur(self, quantity: float, parameters: Mapping[str, float]) -> float:
        """The cost of `quantity` units of cost.per (1 for "intervention"; links; metres of
        link, route or road; cells; m2 of cells) with these parameter values (the defaults
        fill in the missing)."""
        cost = self.cost.eur * quantity
        for name, multiply in ((self.cost.times, True), (self.cost.divided_by, False)):
            if name is None:
                continue
            value = parameters.get(name, self.parameters[name].default)
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise KeyError(f"the cost of {self.name} needs {name}, which has no default")
            cost = cost * value if multiply else cost / value
        return cost


class Objective(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    indicator: str
    better: Literal["lower", "higher"]
    weight: float = 1.0
    scale: float | None = None  # "a lot", in the indicator's unit
    scale_pct: float | None = None  # "a lot", in percent of the baseline


class Persona(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: str
    title: str
    objectives: tuple[Objective, ...]
    description: str = ""


class RuleSet(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: str  # the file's stem
    title: str
    duration_min: float
    clock: Clock
    budget: Budget
    voting: Voting
    phases: tuple[Phase, ...]
    interventions: dict[str, Intervention]
    personas: dict[str, Persona]
    description: str = ""
    # Seats for players (observers and the facilitator take none): a player keeps their seat
    # to rejoin with their token, so the limit counts everyone who ever joined with the code.
    max_players: int = DEFAULT_MAX_PLAYERS

    def phase(self, name: str) -> Phase:
        for phase in self.phases:
            if phase.name == name:
                return phase
        raise KeyError(f"rule set {self.name!r} has no phase {name!r}")


class _Top(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    title: str
    duration_min: float
    clock: Clock
    budget: Budget
    voting: dict[str, Any]
    phases: list[dict[str, Any]]
    interventions: dict[str, dict[str, Any]]
    personas: dict[str, dict[str, Any]]
    description: str = ""
    max_players: int = DEFAULT_MAX_PLAYERS


# -- loading ---------------------------------------------------------------------------


def rulesets_root() -> Path:
    """The bundled rules/rulesets/ folder (inside the installed package or the source tree)."""
    return Path(str(files("agora.rules"))) / "rulesets"


def bundled(name: str) -> RuleSet:
    path = rulesets_root() / f"{name}.toml"
    if not path.is_file():
        available = sorted(p.stem for p in rulesets_root().glob("*.toml"))
        raise RuleSetError(f"no bundled rule set called {name!r}: the rule sets are {', '.join(available) or 'none'}")
    return load_ruleset(path)


def load_ruleset(path: str | os.PathLike[str]) -> RuleSet:
    path = Path(path)
    try:
        raw = msgspec.toml.decode(path.read_bytes())
    except OSError as exc:
        raise RuleSetError(f"{path}: the rule set cannot be read ({exc.strerror})") from None
    except msgspec.DecodeError as exc:
        raise RuleSetError(f"{path} is not valid TOML: {exc}") from None
    return _Loader(path).rule_set(raw)


def _reason(exc: msgspec.ValidationError) -> str:
    message, _, at = str(exc).partition(" - at `$")
    message = message[0].lower() + message[1:]
    at = at.rstrip("`").lstrip(".")
    return f"{at}: {message}" if at else message


def _one_of(names: Iterable[str]) -> str:
    return ", ".join(sorted(names))


def _did_you_mean(name: str, names: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(names), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


T = typing.TypeVar("T")


class _Loader:
    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, entry: str, what: str) -> RuleSetError:
        return RuleSetError(f"{self.path}: {entry}: {what}")

    def convert(self, raw: object, kind: type[T], entry: str) -> T:
        try:
            return msgspec.convert(raw, type=kind)
        except msgspec.ValidationError as exc:
            raise self.fail(entry, _reason(exc)) from None

    def named(self, table: dict[str, Any], name: str, entry: str) -> dict[str, Any]:
        if "name" in table and table["name"] != name:
            raise self.fail(entry, f"the table's key is its name; remove `name = {table['name']!r}`")
        return {**table, "name": name}

    def rule_set(self, raw: dict[str, Any]) -> RuleSet:
        top = self.convert(raw, _Top, "the top level")
        if top.budget.total_eur < 0:
            raise self.fail("[budget]", f"total_eur is {top.budget.total_eur:g}; a budget cannot be negative")
        self.check_clock(top.clock)
        interventions = {name: self.intervention(name, table) for name, table in top.interventions.items()}
        phases = tuple(self.phase(i, table, interventions) for i, table in enumerate(top.phases))
        total = sum(phase.minutes for phase in phases)
        if abs(total - top.duration_min) > 1e-9:
            parts = " + ".join(f"{phase.name} {phase.minutes:g}" for phase in phases)
            raise self.fail("[[phases]]", f"the phases last {total:g} minutes ({parts}), "
                            f"but duration_min says {top.duration_min:g}")
        names = [phase.name for phase in phases]
        if len(set(names)) != len(names):
            raise self.fail("[[phases]]", f"two phases share a name: {', '.join(names)}")
        return RuleSet(
            name=self.path.stem, title=top.title, description=top.description, duration_min=top.duration_min,
            clock=top.clock, budget=top.budget, voting=self.voting(top.voting, top.budget),
            phases=phases, interventions=interventions,
            personas={name: self.persona(name, table) for name, table in top.personas.items()},
            max_players=self.max_players(top.max_players),
        )

    def max_players(self, count: int) -> int:
        if not 1 <= count <= MAX_PLAYERS_LIMIT:
            raise self.fail("max_players", f"max_players is {count}; give 1 to {MAX_PLAYERS_LIMIT} players")
        return count

    def check_clock(self, clock: Clock) -> None:
        if not 0.0 <= clock.start_hour < 24.0:
            raise self.fail("[clock]", f"start_hour is {clock.start_hour:g}; give an hour of the day, 0 to 24")
        if clock.minutes_per_tick <= 0.0 or clock.real_seconds_per_tick <= 0.0:
            raise self.fail("[clock]", "minutes_per_tick and real_seconds_per_tick must be positive")

    def voting(self, raw: dict[str, Any], budget: Budget) -> Voting:
        method = raw.get("method")
        if method not in VOTING_METHODS:
            raise self.fail("[voting]", f"method {method!r} is not a voting method; use one of {_one_of(VOTING_METHODS)}")
        voting: Voting = self.convert(raw, VOTING_METHODS[method], f"[voting] ({method})")
        if isinstance(voting, Majority) and not 0.0 <= voting.quorum <= 1.0:
            raise self.fail("[voting]", f"quorum is {voting.quorum:g}; it is a share of the players, 0 to 1")
        if isinstance(voting, Approval) and voting.seats < 1:
            raise self.fail("[voting]", f"seats is {voting.seats}; at least one proposal must be able to win")
        if isinstance(voting, EqualShares) and voting.completion_step_eur <= 0:
            raise self.fail("[voting]", f"completion_step_eur is {voting.completion_step_eur:g}; it must be positive")
        if isinstance(voting, GreedyBudget | EqualShares) and budget.total_eur <= 0:
            raise self.fail("[voting]", f"{method} shares out a budget, but [budget] total_eur is {budget.total_eur:g}")
        return voting

    def phase(self, i: int, table: dict[str, Any], interventions: dict[str, Intervention]) -> Phase:
        entry = f"[[phases]] number {i + 1}" + (f" ({table['name']})" if isinstance(table.get("name"), str) else "")
        phase = self.convert(table, Phase, entry)
        if phase.minutes <= 0:
            raise self.fail(entry, f"minutes is {phase.minutes:g}; a phase must last some time")
        known = {*SESSION_COMMANDS, *interventions}
        commands: list[str] = []
        for command in phase.commands:
            if command == ALL_INTERVENTIONS:
                commands.extend(interventions)
            elif command not in known:
                raise self.fail(entry, f"opens {command!r}, which is neither a session command ({_one_of(SESSION_COMMANDS)}) "
                                f"nor an intervention of this rule set's catalogue{_did_you_mean(command, known)}")
            else:
                commands.append(command)
        return msgspec.structs.replace(phase, commands=tuple(dict.fromkeys(commands)))

    def intervention(self, name: str, table: dict[str, Any]) -> Intervention:
        entry = f"[interventions.{name}]"
        table = self.named(table, name, entry)
        intervention = self.convert({"edit": name, **table}, Intervention, entry)
        edit, place = intervention.edit, intervention.placement
        expected_params, placed_on, command = self.edit_shape(entry, edit)
        if place.on != placed_on:
            raise self.fail(entry, f"placement.on is {place.on!r}, but the edit {edit} is placed on {placed_on!r}")
        self.check_placement(entry, intervention)
        given, required = set(intervention.parameters), {n for n, needed in expected_params.items() if needed}
        if given - set(expected_params) or required - given:
            raise self.fail(entry, f"the edit {edit} takes the parameters {_one_of(expected_params) or 'none'} "
                            f"({_one_of(required) or 'none'} required); the catalogue gives {_one_of(given) or 'none'}")
        for pname, parameter in intervention.parameters.items():
            self.check_parameter(f"{entry} parameters.{pname}", pname, parameter, command)
        self.check_cost(entry, intervention)
        return intervention

    def persona(self, name: str, table: dict[str, Any]) -> Persona:
        entry = f"[personas.{name}]"
        persona = self.convert(self.named(table, name, entry), Persona, entry)
        if not persona.objectives:
            raise self.fail(entry, "a persona needs at least one objective")
        for i, objective in enumerate(persona.objectives):
            where = f"{entry} objective {i + 1} ({objective.indicator})"
            if objective.indicator not in INDICATORS:
                raise self.fail(where, f"{objective.indicator!r} is not a published indicator"
                                f"{_did_you_mean(objective.indicator, INDICATORS)}; the indicators are "
                                "listed in rules/rulesets/README.md")
            for key in ("weight", "scale", "scale_pct"):
                value = getattr(objective, key)
                if value is not None and value <= 0:
                    raise self.fail(where, f"{key} is {value:g}; it must be positive")
        return persona

    def edit_shape(self, entry: str, edit: str) -> tuple[dict[str, bool], str, type[Struct] | None]:
        """The edit's parameters (name: required), what it is placed on, its command class."""
        if edit in PLANNED_EDITS:
            return dict.fromkeys(PLANNED_EDITS[edit], True), "cells", None
        command = _COMMANDS.get(edit)
        if command is None:
            raise self.fail(entry, f"edit {edit!r} is not a world edit; the edits are "
                            f"{_one_of([*_COMMANDS, *PLANNED_EDITS])}{_did_you_mean(edit, [*_COMMANDS, *PLANNED_EDITS])}")
        fields = msgspec.structs.fields(command)
        placed = {_PLACEMENT_FIELDS[f.name] for f in fields if f.name in _PLACEMENT_FIELDS}
        if len(placed) != 1:
            raise self.fail(entry, f"the edit {edit} has no single place to go; it cannot be an intervention")
        return {f.name: f.required for f in fields if f.name not in _PLACEMENT_FIELDS}, placed.pop(), command

    def check_placement(self, entry: str, intervention: Intervention) -> None:
        place = intervention.placement
        on_links = place.on in ("link", "links", "route")
        for road_class in place.road_classes:
            if road_class.upper() not in RoadClass.__members__ or road_class != road_class.lower():
                raise self.fail(entry, f"placement.road_classes names {road_class!r}; the road classes are "
                                f"{_one_of(c.lower() for c in RoadClass.__members__)}")
        for land_use in (*place.land_uses, *([intervention.sets_land_use] if intervention.sets_land_use else [])):
            if land_use not in LandUse.__members__:
                raise self.fail(entry, f"{land_use!r} is not a land use; the land uses are {_one_of(LandUse.__members__)}")
        if place.road_classes and not on_links:
            raise self.fail(entry, f"placement.road_classes only applies to links, not to {place.on}")
        if (place.land_uses or intervention.sets_land_use) and place.on != "cells":
            raise self.fail(entry, f"land uses only apply to cells, not to {place.on}")
        if place.max_count is not None and place.max_count < 1:
            raise self.fail(entry, f"placement.max_count is {place.max_count}; allow at least 1")
        if place.max_length_m is not None and (place.on != "nodes" or not 0 < place.max_length_m <= edits.MAX_ROAD_M):
            raise self.fail(entry, f"placement.max_length_m is for new roads (placed on nodes), "
                            f"above 0 and at most {edits.MAX_ROAD_M:g} m")

    def check_parameter(self, entry: str, name: str, parameter: Parameter, command: type[Struct] | None) -> None:
        low, high, default = parameter.min, parameter.max, parameter.default
        field_type = next((f.type for f in msgspec.structs.fields(command) if f.name == name), None) if command else None
        if parameter.choices:
            if low is not None or high is not None:
                raise self.fail(entry, "give either choices or a range (min, max), not both")
            allowed = typing.get_args(field_type) if typing.get_origin(field_type) is Literal else (
                (True, False) if field_type is bool else None)
            for choice in parameter.choices:
                if allowed is not None and choice not in allowed:
                    raise self.fail(entry, f"choice {choice!r} is not one the edit accepts: {', '.join(map(repr, allowed))}")
            if default is not None and default not in parameter.choices:
                raise self.fail(entry, f"the default {default!r} is not one of the choices")
            return
        if low is None or high is None:
            raise self.fail(entry, "give the allowed range with min and max (or a list of choices)")
        if low > high:
            raise self.fail(entry, f"the range has min {low:g} > max {high:g}")
        if parameter.integer and not (float(low).is_integer() and float(high).is_integer()):
            raise self.fail(entry, f"an integer parameter needs whole bounds, not {low:g} to {high:g}")
        if field_type is int and not parameter.integer:
            raise self.fail(entry, "the edit takes a whole number here: write integer = true")
        if default is not None and (isinstance(default, str | bool) or not low <= default <= high):
            shown = f"{default:g}" if isinstance(default, float) else repr(default)
            raise self.fail(entry, f"the default {shown} lies outside the range {low:g} to {high:g}")
        if parameter.integer and isinstance(default, float) and not default.is_integer():
            raise self.fail(entry, f"the default {default:g} is not a whole number")
        limits = _EDIT_LIMITS.get(name) if command else None
        if limits is not None and (low < limits[0] or high > limits[1]):
            raise self.fail(entry, f"the range {low:g} to {high:g} reaches outside what the world's edit "
                            f"accepts, {limits[0]:g} to {limits[1]:g}")

    def check_cost(self, entry: str, intervention: Intervention) -> None:
        cost, on = intervention.cost, intervention.placement.on
        if cost.eur < 0:
            raise self.fail(entry, f"cost.eur is {cost.eur:g}; a cost cannot be negative")
        if on not in _COST_UNITS[cost.per]:
            raise self.fail(entry, f"cost per {cost.per} cannot apply to an intervention placed on {on}")
        for key, pname in (("times", cost.times), ("divided_by", cost.divided_by)):
            if pname is None:
                continue
            parameter = intervention.parameters.get(pname)
            if parameter is None or parameter.choices:
                raise self.fail(entry, f"cost.{key} names {pname!r}, which is not a numeric parameter of this intervention")
            if key == "divided_by" and (parameter.min or 0.0) <= 0:
                raise self.fail(entry, f"cost.divided_by names {pname!r}, whose range reaches zero")
