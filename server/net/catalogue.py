"""The rule set's intervention catalogue on the wire (Welcome.catalogue), for the client's tools.

    welcome.catalogue = catalogue(session.rules)   # one InterventionInfo per entry, file order

A sandbox session has a rule set too (Session takes the workshop's when given none), so it
sends that catalogue: its players see the same tools and prices as in a workshop, though
they may also edit the town directly.
"""

from __future__ import annotations

from agora.server import protocol as p
from agora.server.session.rulesets import Intervention, RuleSet


def catalogue(rules: RuleSet) -> list[p.InterventionInfo]:
    return [intervention_info(entry) for entry in rules.interventions.values()]


def intervention_info(entry: Intervention) -> p.InterventionInfo:
    place, cost = entry.placement, entry.cost
    return p.InterventionInfo(
        name=entry.name, title=entry.title, edit=entry.edit, description=entry.description,
        sets_land_use=entry.sets_land_use,
        placement=p.PlacementInfo(on=place.on, road_classes=list(place.road_classes), land_uses=list(place.land_uses),
                                  max_count=place.max_count, max_length_m=place.max_length_m),
        cost=p.CostInfo(eur=cost.eur, per=cost.per, times=cost.times, divided_by=cost.divided_by, source=cost.source),
        parameters=[p.ParameterInfo(name=name, title=spec.title or name.replace("_", " "), unit=spec.unit,
                                    min=spec.min, max=spec.max, integer=spec.integer, choices=list(spec.choices),
                                    default=spec.default)
                    for name, spec in entry.parameters.items()],
    )
