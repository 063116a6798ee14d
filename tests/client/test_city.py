from __future__ import annotations

import numpy as np
import pytest
import towns

from agora.client.city import City, Extent


@pytest.fixture
def world():  # type: ignore[no-untyped-def]
    return towns.small_world()


def test_city_holds_the_snapshot_arrays(world) -> None:  # type: ignore[no-untyped-def]
    flow = towns.flows_at(world, 0.5)
    city = City(towns.welcome(world, flow, tick=7).snapshot)
    assert city.n_links == world.network.n_links
    assert city.tick == 7
    assert city.land_use.shape == (32, 48)
    np.testing.assert_allclose(city.flow_veh_h, flow)
    assert not city.closed.any()
    assert city.grid_extent() == Extent(-75.0, -50.0, 1125.0, 750.0)
    assert city.extent() == city.grid_extent()  # every node lies on the grid
    assert city.land_use_names[city.land_use[31, 0]] == "water"


def test_volume_capacity_and_car_links(world) -> None:  # type: ignore[no-untyped-def]
    city = City(towns.welcome(world, towns.flows_at(world, 0.8)).snapshot)
    vc = city.volume_capacity()
    path = towns.link_between(world, 10, 11)
    assert not city.car_link()[path]
    assert vc[path] == 0.0
    assert vc[towns.link_between(world, 4, 5)] == pytest.approx(0.8)


def test_delta_updates_flows_closed_set_and_indicators(world) -> None:  # type: ignore[no-untyped-def]
    before = towns.flows_at(world, 0.5)
    city = City(towns.welcome(world, before).snapshot)
    after = before.copy()
    busy = towns.link_between(world, 4, 5)
    after[busy] = 2000.0
    closed = (towns.link_between(world, 1, 2), towns.link_between(world, 2, 1))
    changed = city.apply(towns.delta(world, before, after, tick=8, closed=closed, vehicle_hours=999.0))
    assert sorted(changed.tolist()) == sorted([busy, *closed])
    assert city.flow_veh_h[busy] == 2000.0
    assert set(np.flatnonzero(city.closed).tolist()) == set(closed)
    assert city.tick == 8
    assert city.indicators.vehicle_hours == 999.0

    # The next delta lists the full closed set: reopening is an absence.
    changed = city.apply(towns.delta(world, after, after, tick=9))
    assert sorted(changed.tolist()) == sorted(closed)
    assert not city.closed.any()


def test_delta_naming_an_unknown_link_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    from agora.server import protocol as p

    city = City(towns.welcome(world, towns.flows_at(world, 0.5)).snapshot)
    bad = p.Delta(
        tick=1,
        link=p.Array.of(np.array([world.network.n_links], dtype=np.int32)),
        flow_veh_h=p.Array.of(np.array([1.0], dtype=np.float32)),
        closed=[],
        indicators=towns.indicators(),
    )
    with pytest.raises(ValueError, match="outside"):
        city.apply(bad)


def test_nearest_link_tells_the_two_directions_apart_by_side(world) -> None:  # type: ignore[no-untyped-def]
    city = City(towns.welcome(world, towns.flows_at(world, 0.5)).snapshot)
    east = towns.link_between(world, 4, 5)  # (0, 300) -> (300, 300): its right is south
    west = towns.link_between(world, 5, 4)
    offset = np.full(city.n_links, 3.0)
    assert city.nearest_link(150.0, 297.0, 10.0, right_offset_m=offset) == east
    assert city.nearest_link(150.0, 303.0, 10.0, right_offset_m=offset) == west
    assert city.nearest_link(*towns.BLOCK_CENTRE_M, 10.0) is None


def test_cell_at(world) -> None:  # type: ignore[no-untyped-def]
    city = City(towns.welcome(world, towns.flows_at(world, 0.5)).snapshot)
    assert city.cell_at(-75.0, -50.0) == (0, 0)
    assert city.cell_at(1124.0, 749.0) == (31, 47)
    assert city.cell_at(1125.0, 0.0) is None
