"""Every intervention changes what it should and nothing else, refuses bad input with a
code, and replays from the log to the same state."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agora.server import protocol as p
from agora.server.session.session import Session, replay
from agora.server.store.eventlog import EventLog
from agora.server.world import edits
from agora.server.world.simulation import Simulation
from agora.server.world.types import Mode
from agora.server.world.world import World


def changed(before: dict[str, np.ndarray], after: dict[str, np.ndarray]) -> dict[str, list[int]]:
    """Array name -> indices that differ (arrays that grew list their new indices too)."""
    out: dict[str, list[int]] = {}
    for name in after:
        a, b = before[name], after[name]
        if a.shape != b.shape:
            out[name] = list(range(a.shape[0], b.shape[0])) if a.ndim == 1 else [-1]
        elif not np.array_equal(a, b):
            out[name] = [int(i) for i in np.flatnonzero((a != b).reshape(a.shape[0], -1).any(axis=1))]
    return out


def edit(world: World, command: p.Command) -> tuple[edits.Change, dict[str, list[int]]]:
    before = {k: v.copy() for k, v in world.arrays().items()}
    change = edits.apply(world, command)
    world.validate()
    return change, changed(before, world.arrays())


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (p.CloseLink(link=4), {"network.closed": [4, 5]}),
        (p.SetLanes(links=[4], lanes=2), {"network.lanes": [4], "network.capacity_veh_h": [4]}),
        (p.SetSpeedLimit(links=[4, 5], speed_kmh=20.0), {"network.speed_kmh": [4, 5]}),
        (p.MakeOneWay(link=4), {"network.modes": [5]}),
        (p.AddBikeLane(links=[6]), {"network.bike_lane": [6]}),
        (p.SetToll(links=[2, 3], toll_eur=2.5), {"network.toll_eur": [2, 3]}),
        (p.AddBusLine(route=[0, 2], headway_min=10.0),
         {"lines.first": [1], "lines.link": [0, 1], "lines.stop": [0, 1], "lines.headway_min": [0]}),
    ],
)
def test_each_edit_touches_only_its_own_arrays(tiny_world: World, command: p.Command, expected: dict[str, list[int]]) -> None:
    _, diff = edit(tiny_world, command)
    assert diff == expected


def test_a_road_diet_and_a_bus_lane_scale_capacity_per_lane(tiny_world: World) -> None:
    n = tiny_world.network
    edit(tiny_world, p.SetLanes(links=[4], lanes=3))
    assert n.lanes[4] == 3 and n.capacity_veh_h[4] == pytest.approx(1800.0)
    _, diff = edit(tiny_world, p.AddBusLane(links=[4]))
    assert n.lanes[4] == 2 and n.capacity_veh_h[4] == pytest.approx(1200.0) and n.bus_lane[4]
    assert set(diff) == {"network.lanes", "network.capacity_veh_h", "network.bus_lane"}


def test_one_way_keeps_bikes_and_walkers_both_ways(tiny_world: World) -> None:
    edit(tiny_world, p.MakeOneWay(link=4))
    n = tiny_world.network
    assert n.modes[4] == Mode.ALL
    assert not n.modes[5] & Mode.CAR and not n.modes[5] & Mode.BUS
    assert n.modes[5] & Mode.BIKE and n.modes[5] & Mode.WALK


def test_a_new_road_appends_two_twinned_links(tiny_world: World) -> None:
    n0 = tiny_world.network.n_links
    change, diff = edit(tiny_world, p.AddRoad(from_node=0, to_node=8, road_class="collector", lanes=1, speed_kmh=50.0))
    n = tiny_world.network
    assert change.topology and change.links == [n0, n0 + 1]
    assert n.link_from[n0] == 0 and n.link_to[n0] == 8 and n.twin[n0] == n0 + 1 and n.twin[n0 + 1] == n0
    assert n.length_m[n0] == pytest.approx(np.hypot(400.0, 400.0))
    assert n.capacity_veh_h[n0] == edits.LANE_CAPACITY_VEH_H[edits.RoadClass.COLLECTOR]
    assert all(idx == [n0, n0 + 1] for name, idx in diff.items() if name.startswith("network.link") or name == "network.twin")


@pytest.mark.parametrize(
    ("command", "code"),
    [
        (p.SetLanes(links=[999], lanes=2), "no_such_link"),
        (p.SetLanes(links=[], lanes=2), "no_links"),
        (p.SetLanes(links=[4, 4], lanes=2), "repeated_link"),
        (p.SetLanes(links=[4], lanes=9), "out_of_range"),
        (p.SetLanes(links=[4], lanes=1), "no_change"),
        (p.SetSpeedLimit(links=[4], speed_kmh=300.0), "out_of_range"),
        (p.SetLanes(links=[24], lanes=2), "not_drivable"),
        (p.AddBusLane(links=[4]), "too_few_lanes"),
        (p.SetToll(links=[4], toll_eur=-1.0), "out_of_range"),
        (p.AddBusLine(route=[0, 4], headway_min=10.0), "broken_route"),
        (p.AddBusLine(route=[0, 2], headway_min=0.5), "out_of_range"),
        (p.AddBusLine(route=[0, 2], headway_min=10.0, stops=[True]), "bad_stops"),
        (p.AddBusLine(route=[24], headway_min=10.0), "not_for_buses"),
        (p.SetHeadway(line=0, headway_min=10.0), "no_such_line"),
        (p.AddRoad(from_node=0, to_node=0, road_class="local"), "same_node"),
        (p.AddRoad(from_node=0, to_node=1, road_class="local"), "road_exists"),
        (p.AddRoad(from_node=0, to_node=99, road_class="local"), "no_such_node"),
        (p.MakeOneWay(link=24), "not_drivable"),
    ],
)
def test_bad_edits_are_refused_with_a_code_and_change_nothing(tiny_world: World, command: p.Command, code: str) -> None:
    before = tiny_world.state_hash()
    with pytest.raises(edits.EditError) as info:
        edits.apply(tiny_world, command)
    assert info.value.code == code and info.value.message
    assert tiny_world.state_hash() == before


def settle(sim: Simulation, ticks: int = 30) -> np.ndarray:
    for _ in range(ticks):
        sim.step()
    return sim.link_flow_veh_h().copy()


def test_a_toll_pushes_cars_off_the_tolled_street(default_world: World) -> None:
    sim = Simulation(default_world)
    before = settle(sim)
    busiest = int(before.argmax())
    street = edits.street(default_world, busiest)
    assert before[street].sum() > 100.0
    edits.apply(default_world, p.SetToll(links=street, toll_eur=3.0))
    sim.refresh()
    after = settle(sim)
    assert after[street].sum() < 0.5 * before[street].sum()


def test_a_new_road_carries_traffic_when_it_is_a_short_cut(tiny_world: World) -> None:
    sim = Simulation(tiny_world)
    settle(sim, 10)
    edits.apply(tiny_world, p.AddRoad(from_node=0, to_node=8, road_class="arterial", lanes=2, speed_kmh=50.0))
    sim.refresh()
    after = settle(sim, 10)
    assert after.shape == (tiny_world.network.n_links,)
    assert after[-2:].sum() > 0.0  # the diagonal joins two corner zones far quicker


def test_every_intervention_replays_from_the_log(tmp_path: Path, tiny_world: World) -> None:
    script: dict[int, list[p.Command]] = {
        2: [p.CloseLink(link=4), p.SetToll(links=[2, 3], toll_eur=1.5)],
        4: [p.SetLanes(links=[8], lanes=2), p.SetSpeedLimit(links=[10, 11], speed_kmh=20.0)],
        5: [p.AddBusLane(links=[8]), p.AddBikeLane(links=[12, 13])],
        6: [p.AddBusLine(route=[0, 2], headway_min=12.0), p.MakeOneWay(link=14)],
        7: [p.SetHeadway(line=0, headway_min=6.0), p.ReopenLink(link=5)],
        8: [p.AddRoad(from_node=0, to_node=8, road_class="collector", lanes=1, speed_kmh=40.0)],
    }
    live = Session("s", tiny_world.copy(), code="ABCDEF")
    ada = live.join("ABCDEF", "ada")
    log = EventLog(tmp_path / "agora.db")
    log.open_session(live, tiny_world.state_hash())
    for tick in range(12):
        for command in script.get(tick, []):
            order = live.check(ada, command)
            log.append(live.id, order)
            live.schedule(order)
        live.advance()
    orders = log.orders(live.id)
    assert [o.command for o in orders] == [c for t in sorted(script) for c in script[t]]
    again = replay(Session("s", tiny_world.copy(), code="ABCDEF"), orders, to_tick=12)
    assert again.state_hash() == live.state_hash()
    assert again.world.network.n_links == tiny_world.network.n_links + 2
    log.close()
