"""The tool palette: one tool per intervention of the rule set's catalogue (Welcome.catalogue),
with the parameter values the player set, the words that say what to do, and the command a
placement on the map makes.

    box = ToolBox()
    box.take(welcome.catalogue)
    tool = box.pick(7)                      # key 7: the seventh entry ("Paint a bike lane")
    tool.instruction()                      # "Click a road to paint a bike lane; Shift+click for more"
    tool.command(links=[4, 5])              # AddBikeLane(links=[4, 5])
    tool.step("toll_eur", +1)               # the + button: one step up, within min and max
    box.pick(0)                             # back to plain road picking

The server prices and checks every draft (the preview's cost_eur); `estimate_eur` is only the
client's guess from the catalogue's unit cost, shown as such until the server's figure comes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import msgspec

from agora.client import captions
from agora.client.city import City
from agora.client.game_state import eur
from agora.server import protocol as p

Value = float | str | bool
_STEPS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0)
_PER = {"intervention": "each", "link": "/road", "m": "/m", "cell": "/cell", "m2": "/m\u00b2"}
# The command's field that says where an intervention goes, by placement.
PLACE_FIELDS = ("link", "links", "route", "line", "from_node", "to_node", "cells", "stops")


def step_size(spec: p.ParameterInfo) -> float:
    """What one + or - moves a number by: 1 for whole numbers, else a round step that
    crosses the range in at most 12 presses."""
    if spec.integer or spec.min is None or spec.max is None:
        return 1.0
    span = spec.max - spec.min
    return next((s for s in _STEPS if span / s <= 12.0), _STEPS[-1])


def value_text(spec: p.ParameterInfo, value: Value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    shown = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0")
    unit = spec.unit[:-1] if value == 1 and spec.unit.endswith("s") else spec.unit  # 1 lane, 2 lanes
    return f"{shown} {unit}".strip()


@dataclass
class Tool:
    info: p.InterventionInfo
    values: dict[str, Value] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for spec in self.info.parameters:
            if spec.name not in self.values:
                self.values[spec.name] = _initial(spec)

    @property
    def on(self) -> str:
        return self.info.placement.on

    @property
    def title(self) -> str:
        return self.info.title

    def spec(self, name: str) -> p.ParameterInfo:
        return next(s for s in self.info.parameters if s.name == name)

    # -- words -------------------------------------------------------------------------

    def unit_cost(self) -> str:
        """"€60/m", "€10k each", "€1,500/cell × trees per cell", "€1,600/m ÷ minutes between buses"."""
        cost = self.info.cost
        text = f"{eur(cost.eur)}{'' if cost.per == 'intervention' else _PER[cost.per]}"
        if cost.per == "intervention":
            text += "" if cost.times else " each"
        if cost.times:
            text += f" \u00d7 {self._param_title(cost.times).lower()}"
        if cost.divided_by:
            text += f" \u00f7 {self._param_title(cost.divided_by).lower()}"
        return text

    def _param_title(self, name: str) -> str:
        return next((s.title for s in self.info.parameters if s.name == name), name.replace("_", " "))

    def where(self) -> str:
        place = self.info.placement
        if place.road_classes:
            return f" (on {', '.join(place.road_classes)} roads)"
        if place.land_uses:
            return f" (on {', '.join(u.lower() for u in place.land_uses)})"
        return ""

    def instruction(self) -> str:
        """What to do on the map with this tool, in a sentence."""
        what = self.title[0].lower() + self.title[1:]
        match self.on:
            case "link":
                return f"Click a road to {what}{self.where()}; each click adds one"
            case "links":
                return f"Click roads to {what}{self.where()}; Shift+click for more"
            case "route":
                return f"Click the first road, then Shift+click each next road along the way{self.where()}"
            case "nodes":
                return "Click the junction where the new road starts, then the one where it ends"
            case "cells":
                return f"Drag over the map to {what}{self.where()}; Shift+drag adds more; right-drag pans"
        return f"Click a road the bus line runs on to {what}"

    def settings(self) -> str:
        """The parameter values as set: "Toll per passage 2 EUR"."""
        return ", ".join(f"{s.title} {value_text(s, self.values[s.name])}" for s in self.info.parameters)

    # -- parameters --------------------------------------------------------------------

    def step(self, name: str, direction: int) -> bool:
        """The + (direction 1) or - (-1) button of a parameter: one step, kept within the
        catalogue's min and max (a list of choices goes round). False if nothing moved."""
        spec = self.spec(name)
        old = self.values[name]
        if spec.choices:
            i = next((k for k, c in enumerate(spec.choices) if type(c) is type(old) and c == old), 0)
            new: Value = spec.choices[(i + direction) % len(spec.choices)]
        else:
            assert isinstance(old, int | float) and not isinstance(old, bool)
            low = spec.min if spec.min is not None else -math.inf
            high = spec.max if spec.max is not None else math.inf
            new = min(max(round(float(old) + direction * step_size(spec), 6), low), high)
            if spec.integer:
                new = float(int(round(new)))
        if new == old and type(new) is type(old):
            return False
        self.values[name] = new
        return True

    def parameters(self) -> dict[str, object]:
        out: dict[str, object] = {}
        for spec in self.info.parameters:
            value = self.values[spec.name]
            out[spec.name] = int(value) if spec.integer and isinstance(value, float) else value
        return out

    # -- commands ----------------------------------------------------------------------

    def command(self, **place: object) -> p.Command:
        """The catalogue's command for this placement (link=, links=, route=, line=,
        from_node= and to_node=, or cells=) with the parameters as set."""
        raw = {"type": self.info.edit, **place, **self.parameters()}
        command: p.Command = msgspec.convert(raw, type=p.Command)
        return command

    def makes(self, command: p.Command) -> bool:
        return p.tag_of(command) == self.info.edit

    def with_parameters(self, command: p.Command) -> p.Command:
        """The same placement with the parameters as now set (after a + or -)."""
        place = {f.name: getattr(command, f.name) for f in msgspec.structs.fields(command) if f.name in PLACE_FIELDS}
        return self.command(**{k: v for k, v in place.items() if v is not None})

    def estimate_eur(self, command: p.Command, city: City | None, line: list[int] | None = None) -> float | None:
        """The catalogue's unit cost times the quantity, as the server would count it (`line`:
        the roads of the bus line a SetHeadway is for); None when the client cannot tell."""
        cost = self.info.cost
        links = line if isinstance(command, p.SetHeadway) and line is not None else _links(command)
        cells = list(getattr(command, "cells", ()) or ())
        quantity = 1.0
        if cost.per == "link":
            quantity = float(len(links))
        elif cost.per == "cell":
            quantity = float(len(cells))
        elif cost.per == "m2":
            if city is None:
                return None
            quantity = len(cells) * city.cell_m ** 2
        elif cost.per == "m":
            if city is None:
                return None
            if isinstance(command, p.AddRoad):
                quantity = math.hypot(city.node_x_m[command.to_node] - city.node_x_m[command.from_node],
                                      city.node_y_m[command.to_node] - city.node_y_m[command.from_node])
            elif links and all(0 <= i < city.n_links for i in links):
                quantity = float(city.length_m[links].sum())
            else:
                return None
        amount = cost.eur * quantity
        for name, multiply in ((cost.times, True), (cost.divided_by, False)):
            if name is None:
                continue
            value = getattr(command, name, None)
            if not isinstance(value, int | float) or isinstance(value, bool) or (not multiply and value == 0):
                return None
            amount = amount * value if multiply else amount / value
        return amount


def _initial(spec: p.ParameterInfo) -> Value:
    if spec.default is not None:
        return float(spec.default) if isinstance(spec.default, int | float) and not isinstance(spec.default, bool) \
            else spec.default
    if spec.choices:
        return spec.choices[0]
    return float(spec.min) if spec.min is not None else 0.0


def _links(command: p.Command) -> list[int]:
    for name in ("link", "links", "route"):
        value = getattr(command, name, None)
        if value is not None:
            return [value] if isinstance(value, int) else list(value)
    return []


def command_links(command: p.Command) -> list[int]:
    """The links a command is placed on (none for cells, nodes and lines)."""
    return _links(command)


def command_cells(command: p.Command) -> list[tuple[int, int]]:
    return [(int(r), int(c)) for r, c in (getattr(command, "cells", ()) or ())]


class ToolBox:
    """The palette: the catalogue's tools in its order, and the one in hand (None: plain
    road picking, as before any catalogue)."""

    def __init__(self) -> None:
        self.tools: list[Tool] = []
        self.active: int | None = None
        # A road's street name, "" if none: the window sets it from each snapshot.
        self.street_name: Callable[[int], str] = lambda link: ""

    def take(self, catalogue: list[p.InterventionInfo]) -> None:
        """A catalogue (on joining): the tools afresh, a tool in hand kept if it is still offered."""
        held = self.current.info.name if self.current is not None else None
        self.tools = [Tool(info) for info in catalogue]
        names = [t.info.name for t in self.tools]
        self.active = names.index(held) if held in names else None

    @property
    def current(self) -> Tool | None:
        return self.tools[self.active] if self.active is not None and self.active < len(self.tools) else None

    def pick(self, number: int) -> Tool | None:
        """Key `number`: 1 is the first tool; 0 (or a number past the last) puts the tool down."""
        self.active = number - 1 if 1 <= number <= len(self.tools) else None
        return self.current

    def for_command(self, command: p.Command) -> Tool | None:
        """The tool that makes such a command (the first, if entries share an edit)."""
        return next((t for t in self.tools if t.makes(command)), None)


# -- a draft in words ------------------------------------------------------------------


def roads_text(links: list[int], street_name: Callable[[int], str] = lambda link: "") -> str:
    """Roads in a few words, by street name where the world has one: "Bridge Road",
    "Mill Lane (2 roads)", "road 17", "3 roads"."""
    names = {street_name(link) for link in links}
    if len(names) == 1 and (name := names.pop()):
        return name if len(links) == 1 else f"{name} ({len(links)} roads)"
    return f"road {links[0]}" if len(links) == 1 else f"{len(links)} roads"


def placed_text(command: p.Command, street_name: Callable[[int], str] = lambda link: "") -> str:
    """Where an intervention is placed, in a few words: "2 roads", "Mill Lane", "12 cells"."""
    cells = command_cells(command)
    if cells:
        return f"{len(cells)} cell{'s' if len(cells) != 1 else ''}"
    if isinstance(command, p.AddRoad):
        return f"junction {command.from_node} to {command.to_node}"
    if isinstance(command, p.SetHeadway):
        return f"bus line {command.line}"
    return roads_text(command_links(command), street_name)


def describe(interventions: list[p.Command], box: ToolBox | None) -> str:
    """The draft in words: closures as before, the tools' interventions by their titles."""
    if box is None:
        return captions.describe_draft(interventions)
    closures = [c.link for c in interventions if isinstance(c, p.CloseLink)]
    if len(closures) == len(interventions):
        named = roads_text(closures, box.street_name) if closures else ""
        return f"Close {named} to cars" if named and not named[0].isdigit() and not named.startswith("road ") \
            else captions.describe_draft(interventions)
    parts = []
    for command in interventions:
        tool = box.for_command(command)
        parts.append(f"{tool.title if tool else p.tag_of(command).replace('_', ' ')} "
                     f"({placed_text(command, box.street_name)})")
    return "; ".join(parts)


def default_title(interventions: list[p.Command], box: ToolBox | None) -> str:
    """A proposal's title when the player types none: the first tool's title, and how many more."""
    if box is None or not interventions:
        return captions.default_title(interventions)
    closures = [c.link for c in interventions if isinstance(c, p.CloseLink)]
    if len(closures) == len(interventions):
        named = roads_text(closures, box.street_name)
        return f"Close {named} to cars" if not named[0].isdigit() and not named.startswith("road ") \
            else captions.default_title(interventions)
    tool = box.for_command(interventions[0])
    first = tool.title if tool else p.tag_of(interventions[0]).replace("_", " ").capitalize()
    more = len(interventions) - 1
    return first if not more else f"{first} and {more} more"
