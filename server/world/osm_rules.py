"""The rules of an OpenStreetMap import (rules/osm.toml), typed, and the import's log.

    rules = OsmRules.load()
    rules.highways["primary"].lane_capacity_veh_h    # 850.0
    log = ImportLog()
    log.default("maxspeed", "not a speed ('fast'): the urban limit")
"""

from __future__ import annotations

import tomllib
from collections import Counter
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any

from agora.server.world.types import Mode, RoadClass

_MODE_LETTERS = {"c": Mode.CAR, "b": Mode.BUS, "k": Mode.BIKE, "w": Mode.WALK}


class OsmImportError(ValueError):
    """An extract that cannot become a world, with the reason in words a facilitator can act on."""


@dataclass(frozen=True)
class HighwayRule:
    road_class: RoadClass
    lanes: int  # per direction, when untagged
    lane_capacity_veh_h: float
    speed_key: str  # a key of the country's speed table
    modes: int  # Mode bits of the default users


@dataclass(frozen=True)
class OsmRules:
    highways: dict[str, HighwayRule]
    roads: dict[str, Any]
    speeds: dict[str, dict[str, float]]  # country code (or "default") -> speed key -> km/h
    buildings: dict[str, Any]
    amenities: dict[str, Any]
    land_cover: dict[str, list[str]]  # LandUse name (lower case) -> ["key=value", ...], in priority order
    fill_reach_m: float
    buses: dict[str, float]
    zones: dict[str, float]

    @classmethod
    def load(cls, text: str | None = None) -> OsmRules:
        """rules/osm.toml, or the given TOML text (for tests)."""
        if text is None:
            text = (files("agora.rules") / "osm.toml").read_text(encoding="utf-8")
        raw = tomllib.loads(text)
        highways = {}
        for value, (road_class, lanes, capacity, speed_key, letters) in raw["osm_highways"].items():
            modes = 0
            for letter in letters:
                modes |= int(_MODE_LETTERS[letter])
            highways[value] = HighwayRule(RoadClass[road_class.upper()], int(lanes), float(capacity),
                                          str(speed_key), modes)
        cover = dict(raw["osm_land_cover"])
        fill = float(cover.pop("fill_reach_m"))
        return cls(
            highways=highways,
            roads=raw["osm_roads"],
            speeds={k: {kk: float(vv) for kk, vv in v.items()} for k, v in raw["osm_speed_kmh"].items()},
            buildings=raw["osm_buildings"],
            amenities=raw["osm_amenities"],
            land_cover={k: list(v) for k, v in cover.items()},
            fill_reach_m=fill,
            buses={k: float(v) for k, v in raw["osm_buses"].items()},
            zones={k: float(v) for k, v in raw["osm_zones"].items()},
        )

    def speed_table(self, country: str | None) -> dict[str, float]:
        return self.speeds.get((country or "").upper(), self.speeds["default"])


@dataclass
class ImportLog:
    """What an import counted, defaulted and dropped, for the report."""

    counts: dict[str, int | float | str] = field(default_factory=dict)
    defaults: Counter[str] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    def default(self, what: str, why: str, n: int = 1) -> None:
        self.defaults[f"{what}: {why}"] += n

    def drop(self, what: str, why: str, n: int = 1) -> None:
        if n:
            self.dropped[f"{what}: {why}"] += n

    def merge(self, other: ImportLog) -> None:
        """Add another log's defaults and drops (its counts and notes stay its own)."""
        self.defaults.update(other.defaults)
        self.dropped.update(other.dropped)

    def note(self, text: str) -> None:
        self.notes.append(text)

    def lines(self) -> list[str]:
        out = ["## Counts", ""]
        out += [f"- {k}: {v:,}" if isinstance(v, int) else f"- {k}: {v}" for k, v in self.counts.items()]
        for title, counter in (("Defaults (a value the tags did not give)", self.defaults),
                               ("Dropped", self.dropped)):
            out += ["", f"## {title}", ""]
            out += [f"- {n:,} x {k}" for k, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))] or ["- none"]
        if self.notes:
            out += ["", "## Notes", ""] + [f"- {n}" for n in self.notes]
        return out
