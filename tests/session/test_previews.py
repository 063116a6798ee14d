"""Previews: the city before and after a draft, settled the same way, the world untouched."""

from __future__ import annotations

import numpy as np
import pytest

from agora.server import protocol as p
from agora.server.session.previews import DraftError, evaluate, preview
from agora.server.world.world import World


@pytest.fixture(scope="module")
def town() -> World:
    from agora.server.world.world import resolve_world

    return World.load(resolve_world("default"))


@pytest.fixture(scope="module")
def before(town: World):  # type: ignore[no-untyped-def]
    return evaluate(town)


def test_closing_the_busiest_street_shows_its_traffic_moving_elsewhere(town: World, before) -> None:  # type: ignore[no-untyped-def]
    untouched = town.state_hash()
    busiest = int(np.argmax(before.link_flow_veh_h))
    street = [busiest, int(town.network.twin[busiest])]
    result = preview(town, [p.CloseLink(link=busiest)], before)
    assert town.state_hash() == untouched, "a preview never changes the world"
    assert result.before.settled and result.after.settled
    flow = result.flow_delta_veh_h()
    assert np.all(result.after.link_flow_veh_h[street] == 0.0)
    assert flow[busiest] == -before.link_flow_veh_h[busiest]
    assert flow.max() > 50.0, "the cars went somewhere"
    delta = result.indicator_delta()
    assert delta["vehicle_hours"] > 0.0 and delta["vehicle_km"] > 0.0  # detours
    # Where the street was, the noise falls.
    n = town.network
    x = (n.node_x_m[n.link_from[busiest]] + n.node_x_m[n.link_to[busiest]]) / 2
    y = (n.node_y_m[n.link_from[busiest]] + n.node_y_m[n.link_to[busiest]]) / 2
    cell = int(y // town.meta.cell_m), int(x // town.meta.cell_m)
    assert result.layer_delta("grid_noise_lden_dba")[cell] < -2.0
    assert set(result.before.layers) >= {"grid_noise_lden_dba", "grid_no2_ug_m3", "grid_habitat_quality",
                                         "grid_access_walk_needs"}


def test_the_same_draft_gives_the_same_preview(town: World, before) -> None:  # type: ignore[no-untyped-def]
    draft = [p.SetToll(links=[40, 41], toll_eur=3.0), p.AddBikeLane(links=[40])]
    one, two = preview(town, draft, before), preview(town, draft)  # the second settles its own baseline
    assert one.indicator_delta() == two.indicator_delta()
    np.testing.assert_array_equal(one.after.link_flow_veh_h, two.after.link_flow_veh_h)
    for name in one.after.layers:
        np.testing.assert_array_equal(one.after.layers[name], two.after.layers[name])


def test_a_draft_that_cannot_apply_names_its_intervention(town: World, before) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DraftError) as refused:
        preview(town, [p.SetToll(links=[40], toll_eur=1.0), p.CloseLink(link=10**6)], before)
    assert refused.value.index == 1 and refused.value.code == "no_such_link"
    assert refused.value.message.startswith("Intervention 2 of the draft:")
    # Interventions apply in order: the second closure of one street is refused too.
    with pytest.raises(DraftError, match="Intervention 2"):
        preview(town, [p.CloseLink(link=40), p.CloseLink(link=40)], before)
