"""Whom a proposal helps and whom it hurts: persona scores over the indicators.

    score(rules.personas["cyclist"], baseline, variant)   # > 0: the variant helps cyclists
    breakdown(persona, baseline, variant)                 # each objective's part

A persona's score is the weighted mean of its objectives' changes from the baseline to the
variant, each in units of "a lot" (the objective's scale, or the indicator's default in
rulesets.INDICATORS) and signed so that better for the persona is positive; the formula is
in rules/rulesets/README.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from agora.server.session.rulesets import INDICATORS, Objective, Persona, RuleSet


@dataclass(frozen=True)
class Contribution:
    """One objective's part in a persona's score."""

    indicator: str
    better: str
    weight: float  # the objective's share of the persona's weights (they sum to 1)
    baseline: float
    variant: float
    unit: float  # the change that counts as "a lot", in the indicator's unit; 0: undefined
    points: float  # the change in units of `unit`, > 0 when it is better for the persona

    @property
    def score(self) -> float:
        return self.weight * self.points


def _unit(objective: Objective, baseline: float) -> float:
    scale, pct = objective.scale, objective.scale_pct
    if scale is None and pct is None:
        default = INDICATORS[objective.indicator]
        scale, pct = default.scale, default.scale_pct
    return max(scale or 0.0, (pct or 0.0) / 100.0 * abs(baseline))


def breakdown(persona: Persona, baseline: Mapping[str, float], variant: Mapping[str, float]) -> list[Contribution]:
    """Each objective's change from the baseline to the variant, in "a lot"s, signed so
    that better for the persona is positive, with its share of the weights."""
    total = sum(o.weight for o in persona.objectives)
    out = []
    for objective in persona.objectives:
        name = objective.indicator
        if name not in baseline or name not in variant:
            raise KeyError(f"persona {persona.name!r} scores {name}, which is missing from the "
                           f"{'baseline' if name not in baseline else 'variant'}'s indicators")
        before, after = float(baseline[name]), float(variant[name])
        unit = _unit(objective, before)
        sign = 1.0 if objective.better == "higher" else -1.0
        points = sign * (after - before) / unit if unit > 0 else 0.0
        out.append(Contribution(name, objective.better, objective.weight / total, before, after, unit, points))
    return out


def score(persona: Persona, baseline: Mapping[str, float], variant: Mapping[str, float]) -> float:
    """The weighted mean of the persona's objectives' changes, in "a lot"s: +1 is a lot better."""
    return sum(c.score for c in breakdown(persona, baseline, variant))


def scores(rules: RuleSet, baseline: Mapping[str, float], variant: Mapping[str, float]) -> dict[str, float]:
    """Every persona's score: whom a proposal helps (> 0) and whom it hurts (< 0)."""
    return {name: score(persona, baseline, variant) for name, persona in rules.personas.items()}
