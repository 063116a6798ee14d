"""What each indicator the server names means to people: its label, unit, which way is
better, and how a preview's before and after read.

    rows = changes(preview)     # the indicators a draft moves, better or worse, in words
    personas(preview)           # whom it helps, whom it hurts

The server computes every number; this module only words and orders them. The units and
what counts as better follow rules/rulesets/README.md (the personas' indicator table).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from agora.server import protocol as p


class Better(enum.Enum):
    LOWER = "lower"
    HIGHER = "higher"
    NEITHER = "neither"  # a name this client does not know


class Verdict(enum.Enum):
    BETTER = "better"
    WORSE = "worse"
    CHANGED = "changed"  # moved, but this client does not know which way is better
    SAME = "same"


@dataclass(frozen=True)
class Indicator:
    label: str
    unit: str  # "%" for shares held as 0-1 (shown as percentages, changes in points)
    better: Better
    fmt: str = "{:,.0f}"


L, H = Better.LOWER, Better.HIGHER
MODES = ("car", "pt", "bike", "walk")  # the order of Preview.mode_share_before/after

# In the order a room reads them: getting about, then air and noise, then the green.
# Traffic, emissions and exposure are those of one hour, the preview's (Preview.hour).
KNOWN: dict[str, Indicator] = {
    "mean_trip_min": Indicator("Mean car trip", "min", L, "{:,.1f}"),
    "vehicle_hours": Indicator("Time in cars", "veh\u00b7h", L),
    "vehicle_km": Indicator("Distance driven", "km", L),
    "car_trips": Indicator("Car trips", "", L),
    "unserved_trips": Indicator("Trips not made", "", L),
    "mode_share_car": Indicator("Trips by car", "%", L),
    "mode_share_pt": Indicator("Trips by bus", "%", H),
    "mode_share_bike": Indicator("Trips by bike", "%", H),
    "mode_share_walk": Indicator("Trips on foot", "%", H),
    "co2_kg_h": Indicator("CO2 from traffic", "kg/h", L),
    "nox_kg_h": Indicator("NOx from traffic", "kg/h", L, "{:,.2f}"),
    "pm25_kg_h": Indicator("PM2.5 from traffic", "kg/h", L, "{:,.3f}"),
    # WHO Environmental Noise Guidelines (2018) for road traffic: 53 dB Lden, 45 dB Lnight.
    "residents_above_who_lden": Indicator("People over 53 dB Lden", "", L),
    "residents_above_who_lnight": Indicator("People over 45 dB at night", "", L),
    "no2_pop_weighted_ug_m3": Indicator("NO2 where people live", "\u00b5g/m\u00b3", L, "{:,.1f}"),
    # WHO Air Quality Guidelines (2021), annual means: NO2 10, PM2.5 5 ug/m3; EU 2030 limits
    # (Directive (EU) 2024/2881): NO2 20, PM2.5 10.
    "residents_above_who_no2": Indicator("People over WHO NO2", "", L),
    "residents_above_eu2030_no2": Indicator("People over EU 2030 NO2", "", L),
    "pm25_pop_weighted_ug_m3": Indicator("PM2.5 where people live", "\u00b5g/m\u00b3", L, "{:,.1f}"),
    "residents_above_who_pm25": Indicator("People over WHO PM2.5", "", L),
    "residents_above_eu2030_pm25": Indicator("People over EU 2030 PM2.5", "", L),
    "access_walk_all": Indicator("All needs in 15 min on foot", "%", H),
    "access_bike_all": Indicator("All needs in 15 min by bike", "%", H),
    "habitat_quality_mean": Indicator("Habitat quality", "0-1", H, "{:,.3f}"),
    "connectivity_eca_ha": Indicator("Connected habitat", "ha", H, "{:,.1f}"),
    "connectivity_pc": Indicator("Habitat connectivity", "0-1", H, "{:,.4f}"),
    "species_population": Indicator("Species population", "animals", H),
}
# Published but not for a room: the assignment's convergence, and the needs one by one
# (their "all" is shown).
HIDDEN_PREFIXES = ("relative_gap", "access_walk_", "access_bike_")


@dataclass(frozen=True)
class Change:
    name: str
    label: str
    before: str  # without the unit
    after: str  # with the unit
    delta: str  # signed, with the unit ("+0.2 min", "-1.3 pp")
    verdict: Verdict


@dataclass(frozen=True)
class PersonaScore:
    name: str
    title: str
    score: float  # > 0 helps, < 0 hurts, 1 = "a lot" (rules/rulesets/README.md)
    words: str


def _number(value: float, ind: Indicator) -> str:
    if ind.unit == "%":
        return f"{value * 100:,.1f}%"
    unit = "" if ind.unit in ("", "0-1") else f" {ind.unit}"
    return ind.fmt.format(value) + unit


def _signed(delta: float, ind: Indicator) -> str:
    if ind.unit == "%":
        return f"{delta * 100:+,.1f} pp"
    unit = "" if ind.unit in ("", "0-1") else f" {ind.unit}"
    return ind.fmt.replace("{:", "{:+").format(delta) + unit


def describe(name: str, before: float, after: float) -> Change:
    """One indicator's before and after, in words (the unit once, after both: "12.3 \u2192
    12.9 min"); SAME when they read the same."""
    ind = KNOWN.get(name) or Indicator(name.replace("_", " ").capitalize(), "", Better.NEITHER, "{:,.4g}")
    b, a = _number(before, ind), _number(after, ind)
    unit = "%" if ind.unit == "%" else "" if ind.unit in ("", "0-1") else f" {ind.unit}"
    b = b.removesuffix(unit) if unit else b
    if b == a.removesuffix(unit):
        verdict = Verdict.SAME
    elif ind.better is Better.NEITHER:
        verdict = Verdict.CHANGED
    else:
        verdict = Verdict.BETTER if (after < before) == (ind.better is Better.LOWER) else Verdict.WORSE
    return Change(name, ind.label, b, a, _signed(after - before, ind), verdict)


def sides(preview: p.Preview) -> tuple[dict[str, float], dict[str, float]]:
    """Every indicator of both sides by name, the mode shares as mode_share_<mode>."""
    before, after = dict(preview.indicators_before), dict(preview.indicators_after)
    before.update({f"mode_share_{m}": s for m, s in zip(MODES, preview.mode_share_before)})
    after.update({f"mode_share_{m}": s for m, s in zip(MODES, preview.mode_share_after)})
    return before, after


def changes(preview: p.Preview) -> tuple[list[Change], list[Change]]:
    """(the indicators the draft moves, those it leaves as they read): known ones in the
    order of KNOWN, then any others the server publishes, by name."""
    before, after = sides(preview)
    names = [n for n in KNOWN if n in before and n in after]
    names += sorted(n for n in before if n in after and n not in KNOWN and not n.startswith(HIDDEN_PREFIXES))
    described = [describe(n, before[n], after[n]) for n in names]
    return [c for c in described if c.verdict is not Verdict.SAME], [c for c in described if c.verdict is Verdict.SAME]


def persona_words(score: float) -> str:
    size = abs(score)
    if size < 0.05:
        return "hardly affected"
    how = "a lot" if size >= 0.5 else "a little"
    return f"{'helps' if score > 0 else 'hurts'} {how}"


def personas(preview: p.Preview) -> list[PersonaScore]:
    """The session's personas, the most helped first."""
    scores = sorted(preview.persona_scores.items(), key=lambda kv: (-kv[1], kv[0]))
    return [PersonaScore(name, name.replace("_", " ").capitalize(), s, persona_words(s)) for name, s in scores]
