"""Land-use interventions: the cells change use, people and jobs follow, bad cells are refused."""

from __future__ import annotations

import numpy as np
import pytest

from agora.server import protocol as p
from agora.server.session.previews import preview
from agora.server.world import edits
from agora.server.world.types import LandUse
from agora.server.world.world import World


def cells_of(world: World, use: LandUse, n: int, zoned: bool | None = None) -> list[tuple[int, int]]:
    mask = world.grid.land_use == use
    if zoned is not None:
        mask &= (world.grid.zone >= 0) == zoned
    rows, cols = np.nonzero(mask)
    return [(int(r), int(c)) for r, c in zip(rows[:n], cols[:n])]


def test_housing_on_a_field_brings_residents_into_a_zone(default_world: World) -> None:
    field = cells_of(default_world, LandUse.GRASS, 4, zoned=False)
    before = default_world.grid.residents.sum()
    edits.apply(default_world, p.BuildHousing(cells=field, residents_per_cell=30))
    g = default_world.grid
    assert all(g.land_use[c] == LandUse.HOUSING and g.residents[c] == 30 for c in field)
    assert g.residents.sum() == pytest.approx(before + 120)
    assert all(g.zone[c] >= 0 for c in field), "new homes make trips: they belong to a zone"
    default_world.validate()


def test_a_park_replaces_what_was_there(default_world: World) -> None:
    yard = cells_of(default_world, LandUse.INDUSTRY, 6)
    jobs = float(sum(default_world.grid.jobs[c] for c in yard))
    assert jobs > 0
    total = default_world.grid.jobs.sum()
    edits.apply(default_world, p.MakePark(cells=yard))
    g = default_world.grid
    assert all(g.land_use[c] == LandUse.PARK and g.jobs[c] == 0 and g.residents[c] == 0 for c in yard)
    assert g.jobs.sum() == pytest.approx(total - jobs)


def test_a_school_and_a_grocery_open_in_built_cells(default_world: World) -> None:
    (home,) = cells_of(default_world, LandUse.HOUSING, 1)
    places, shops, jobs = (float(a[home]) for a in (default_world.grid.school_places, default_world.grid.shops,
                                                    default_world.grid.jobs))
    edits.apply(default_world, p.AddSchool(cells=[home], places=300))
    edits.apply(default_world, p.AddGrocery(cells=[home], retail_jobs=12))
    g = default_world.grid
    assert g.school_places[home] == places + 300 and g.shops[home] == shops + 12 and g.jobs[home] == jobs + 12
    assert g.land_use[home] == LandUse.HOUSING


@pytest.mark.parametrize(("command", "code"), [
    (p.MakePark(cells=[(500, 3)]), "off_the_map"),
    (p.MakePark(cells=[]), "bad_cells"),
    (p.MakePark(cells=[(5, 5), (5, 5)]), "bad_cells"),
    (p.BuildHousing(cells=[(5, 5)], residents_per_cell=10_000), "out_of_range"),
])
def test_bad_cells_and_values_are_refused(default_world: World, command: p.Command, code: str) -> None:
    untouched = default_world.state_hash()
    with pytest.raises(edits.EditError) as refused:
        edits.validate(default_world, command)
    assert refused.value.code == code
    assert default_world.state_hash() == untouched


def test_nothing_is_built_on_water_and_schools_need_a_built_cell(default_world: World) -> None:
    (water,) = cells_of(default_world, LandUse.WATER, 1)
    with pytest.raises(edits.EditError) as refused:
        edits.validate(default_world, p.BuildHousing(cells=[water]))
    assert refused.value.code == "cannot_build_here" and "water" in refused.value.message
    (field,) = cells_of(default_world, LandUse.GRASS, 1)
    with pytest.raises(edits.EditError) as refused:
        edits.validate(default_world, p.AddSchool(cells=[field]))
    assert refused.value.code == "not_built_up"


def test_a_preview_of_new_housing_shows_more_trips(default_world: World) -> None:
    field = cells_of(default_world, LandUse.GRASS, 16, zoned=False)
    result = preview(default_world, [p.BuildHousing(cells=field, residents_per_cell=40)])
    delta = result.indicator_delta()
    assert delta["car_trips"] > 0.0
    assert result.after.indicators["car_trips"] > result.before.indicators["car_trips"]
