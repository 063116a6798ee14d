from __future__ import annotations

from pathlib import Path

import pytest

from agora.server.session.rulesets import (
    Approval,
    EqualShares,
    Objective,
    Persona,
    RuleSetError,
    bundled,
    load_ruleset,
)
from agora.server.session.personas import breakdown, score, scores

SHIPPED = Path(__file__).parents[2] / "rules" / "rulesets"

# The smallest rule set that loads; each bad file below changes one thing in it.
GOOD = """
title = "Tiny"
duration_min = 25

[clock]
start_hour = 7.0

[budget]
total_eur = 1_000_000

[voting]
method = "majority"
quorum = 0.5

[[phases]]
name = "explore"
title = "Explore"
minutes = 10
commands = ["preview", "interventions"]

[[phases]]
name = "vote"
title = "Vote"
minutes = 15
commands = ["vote"]

[interventions.set_speed_limit]
title = "Speed limit"
placement = { on = "links", road_classes = ["local"] }
parameters.speed_kmh = { min = 20, max = 50, default = 30 }
cost = { eur = 1000, per = "link" }

[interventions.build_housing]
title = "Housing"
placement = { on = "cells", land_uses = ["GRASS"] }
sets_land_use = "HOUSING"
parameters.residents_per_cell = { min = 5, max = 40, integer = true, default = 15 }
cost = { eur = 150000, per = "cell", times = "residents_per_cell" }

[personas.walker]
title = "Walker"
objectives = [{ indicator = "access_walk_all", better = "higher" }]
"""


def write(tmp_path: Path, text: str, name: str = "tiny.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_both_shipped_rule_sets_load_and_last_as_long_as_they_say() -> None:
    workshop, demo = load_ruleset(SHIPPED / "workshop.toml"), load_ruleset(SHIPPED / "demo.toml")
    assert sum(phase.minutes for phase in workshop.phases) == workshop.duration_min == 90
    assert sum(phase.minutes for phase in demo.phases) == demo.duration_min == 20
    assert [phase.name for phase in workshop.phases] == ["explore", "propose", "deliberate", "vote", "adopt", "debrief"]
    assert isinstance(workshop.voting, EqualShares) and workshop.voting.completion == "add1_utilitarian"
    assert isinstance(demo.voting, Approval) and demo.voting.seats == 1
    assert bundled("demo") == demo
    for rules in (workshop, demo):
        opened = {command for phase in rules.phases for command in phase.commands}
        assert set(rules.interventions) <= opened  # every intervention can be used in some phase
        assert rules.phase("vote").opens("vote") and not rules.phase("vote").opens("propose")
        assert all(i.cost.source for i in rules.interventions.values())  # every unit cost is sourced
    land_use = {"make_park", "plant_trees", "build_housing", "build_offices", "add_school", "add_grocery"}
    assert land_use <= set(workshop.interventions)
    assert len(workshop.personas) >= 6


def test_costs_follow_the_catalogue() -> None:
    rules = bundled("workshop")
    # A 3 km bus line every 10 minutes: a year of service, EUR 1,600 per metre / headway.
    assert rules.interventions["add_bus_line"].cost_eur(3000.0, {"headway_min": 10.0}) == pytest.approx(480_000.0)
    # Four cells of housing at the default 15 residents each, EUR 150,000 a resident.
    assert rules.interventions["build_housing"].cost_eur(4, {}) == pytest.approx(9_000_000.0)
    assert rules.interventions["add_bike_lane"].cost_eur(1000.0, {}) == pytest.approx(60_000.0)


def test_an_unknown_bundled_name_lists_the_rule_sets() -> None:
    with pytest.raises(RuleSetError, match="no bundled rule set called 'nope'.*demo.*workshop"):
        bundled("nope")


def test_the_good_template_loads(tmp_path: Path) -> None:
    rules = load_ruleset(write(tmp_path, GOOD))
    assert rules.name == "tiny"
    assert rules.phase("explore").commands == ("preview", "set_speed_limit", "build_housing")


BAD = [
    # (what the bad file changes, the pieces its error must contain)
    (("\"vote\"]", "\"vote\", \"shout\"]"), ["[[phases]] number 2 (vote)", "opens 'shout'", "session command"]),
    (("min = 20, max = 50", "min = 60, max = 50"), ["[interventions.set_speed_limit] parameters.speed_kmh", "min 60 > max 50"]),
    (("\"access_walk_all\"", "\"access_walk_al\""),
     ["[personas.walker] objective 1 (access_walk_al)", "not a published indicator", "did you mean 'access_walk_all'"]),
    (("minutes = 15", "minutes = 20"), ["[[phases]]", "the phases last 30 minutes (explore 10 + vote 20)", "duration_min says 25"]),
    (("method = \"majority\"", "method = \"ranked\""), ["[voting]", "'ranked' is not a voting method", "pb_equal_shares"]),
    (("total_eur = 1_000_000", "total_eur = -5"), ["[budget]", "cannot be negative"]),
    (("total_eur = 1_000_000", "total_eur = 0\n[voting2]"), ["the top level", "unknown field `voting2`"]),
    (("quorum = 0.5", "quorum = 1.5"), ["[voting]", "quorum is 1.5"]),
    (("quorum = 0.5", "seats = 2"), ["[voting] (majority)", "unknown field `seats`"]),
    (("[interventions.set_speed_limit]", "[interventions.set_speed_limit]\nedit = \"set_speed\""),
     ["[interventions.set_speed_limit]", "'set_speed' is not a world edit", "did you mean 'set_speed_limit'"]),
    (("min = 20, max = 50", "min = 5, max = 50"), ["parameters.speed_kmh", "reaches outside what the world's edit accepts, 10 to 130"]),
    (("on = \"links\"", "on = \"cells\""), ["[interventions.set_speed_limit]", "placed on 'links'"]),
    (("[\"GRASS\"]", "[\"MEADOW\"]"), ["[interventions.build_housing]", "'MEADOW' is not a land use"]),
    (("[\"local\"]", "[\"lane\"]"), ["[interventions.set_speed_limit]", "road_classes names 'lane'"]),
    (("parameters.residents_per_cell", "parameters.people"), ["[interventions.build_housing]", "takes the parameters residents_per_cell"]),
    (("eur = 1000, per", "eur = \"lots\", per"), ["[interventions.set_speed_limit]", "cost.eur: expected `float`, got `str`"]),
    (("eur = 1000, per", "eur = -1000, per"), ["[interventions.set_speed_limit]", "cost.eur is -1000", "cannot be negative"]),
    (("per = \"link\"", "per = \"cell\""), ["[interventions.set_speed_limit]", "cost per cell cannot apply to an intervention placed on links"]),
    (("times = \"residents_per_cell\"", "times = \"storeys\""), ["[interventions.build_housing]", "cost.times names 'storeys'"]),
    (("better = \"higher\"", "better = \"higher\", weight = -1"), ["[personas.walker] objective 1", "weight is -1"]),
    (("better = \"higher\"", "better = \"up\""), ["[personas.walker]", "objectives[0].better"]),
    (("minutes = 10", "minutes = 0"), ["[[phases]] number 1 (explore)", "must last some time"]),
    (("start_hour = 7.0", "start_hour = 25.0"), ["[clock]", "start_hour is 25"]),
    (("default = 30", "default = 60"), ["parameters.speed_kmh", "default 60 lies outside the range 20 to 50"]),
]


@pytest.mark.parametrize(("change", "pieces"), BAD, ids=[pieces[1] for _, pieces in BAD])
def test_each_bad_file_says_which_file_which_entry_and_what_is_wrong(
        tmp_path: Path, change: tuple[str, str], pieces: list[str]) -> None:
    old, new = change
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1), "bad.toml")
    with pytest.raises(RuleSetError) as info:
        load_ruleset(path)
    message = str(info.value)
    assert message.startswith(str(path)), message
    for piece in pieces:
        assert piece in message, message


def test_a_budget_vote_needs_a_budget(tmp_path: Path) -> None:
    text = GOOD.replace("total_eur = 1_000_000", "total_eur = 0").replace('method = "majority"\nquorum = 0.5', 'method = "pb_greedy"')
    with pytest.raises(RuleSetError, match=r"\[voting\]: pb_greedy shares out a budget, but \[budget\] total_eur is 0"):
        load_ruleset(write(tmp_path, text))


def test_a_file_that_is_not_toml_or_not_there(tmp_path: Path) -> None:
    with pytest.raises(RuleSetError, match="is not valid TOML"):
        load_ruleset(write(tmp_path, "title = \n"))
    with pytest.raises(RuleSetError, match="cannot be read"):
        load_ruleset(tmp_path / "missing.toml")


# -- persona scores ------------------------------------------------------------------------


def persona(*objectives: Objective) -> Persona:
    return Persona(name="p", title="P", objectives=objectives)


def test_a_persona_score_is_the_weighted_mean_of_changes_in_a_lots() -> None:
    someone = persona(
        Objective(indicator="vehicle_hours", better="lower", weight=1.0),  # a lot: 1% of baseline, at least 1 veh h
        Objective(indicator="access_walk_all", better="higher", weight=3.0),  # a lot: 1 percentage point
    )
    baseline = {"vehicle_hours": 1000.0, "access_walk_all": 0.60}
    variant = {"vehicle_hours": 1020.0, "access_walk_all": 0.62}
    hours, access = breakdown(someone, baseline, variant)
    assert [hours.unit, hours.points, hours.weight] == pytest.approx([10.0, -2.0, 0.25])
    assert [access.unit, access.points, access.weight] == pytest.approx([0.01, 2.0, 0.75])
    assert score(someone, baseline, variant) == pytest.approx(0.25 * -2.0 + 0.75 * 2.0)
    assert score(someone, baseline, baseline) == 0.0
    # Back again: "a lot" is 1% of the new baseline, 10.2 veh h.
    assert score(someone, variant, baseline) == pytest.approx(0.25 * 20.0 / 10.2 - 0.75 * 2.0)


def test_an_objective_may_set_its_own_scale() -> None:
    baseline, variant = {"residents_above_who_lden": 0.0}, {"residents_above_who_lden": 50.0}
    relative = persona(Objective(indicator="residents_above_who_lden", better="lower", scale_pct=5.0))
    floored = persona(Objective(indicator="residents_above_who_lden", better="lower", scale=25.0, scale_pct=5.0))
    default = persona(Objective(indicator="residents_above_who_lden", better="lower"))  # 1%, at least 10
    # Relative alone has nothing to be relative to when the baseline is zero: no score.
    assert breakdown(relative, baseline, variant)[0].unit == 0.0 and score(relative, baseline, variant) == 0.0
    assert score(floored, baseline, variant) == pytest.approx(-2.0)
    assert score(default, baseline, variant) == pytest.approx(-5.0)
    assert score(floored, {"residents_above_who_lden": 1000.0}, {"residents_above_who_lden": 900.0}) == pytest.approx(2.0)


def test_a_missing_indicator_is_named() -> None:
    someone = persona(Objective(indicator="species_population", better="higher"))
    with pytest.raises(KeyError, match="species_population, which is missing from the variant"):
        score(someone, {"species_population": 100.0}, {})


def test_a_street_closure_helps_residents_and_hurts_commuters() -> None:
    rules = bundled("demo")
    baseline = {"residents_above_who_lden": 3000.0, "no2_pop_weighted_ug_m3": 12.0, "access_walk_all": 0.55,
                "mean_trip_min": 14.0, "vehicle_hours": 900.0, "mode_share_bike": 0.12, "access_bike_all": 0.80,
                "habitat_quality_mean": 0.40, "connectivity_pc": 0.02}
    variant = {**baseline, "residents_above_who_lden": 2900.0, "no2_pop_weighted_ug_m3": 11.8,
               "mean_trip_min": 14.5, "vehicle_hours": 930.0, "mode_share_bike": 0.13}
    verdict = scores(rules, baseline, variant)
    assert verdict["resident"] > 0 > verdict["commuter"]
    assert verdict["cyclist"] > 0 and verdict["ecologist"] == 0.0
