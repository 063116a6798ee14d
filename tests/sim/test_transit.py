from __future__ import annotations

import numpy as np
import pytest

from agora.server.sim.skims import active_network
from agora.server.sim.transit import TransitNetwork, bus_link_min, transit_skim
from agora.server.world.types import Mode

# A straight street of four nodes 500 m apart, both ways (links 0-2 east, 3-5 west), and a
# side street from node 1 north to node 4 (links 6, 7).
LINK_FROM = np.array([0, 1, 2, 1, 2, 3, 1, 4], dtype=np.int32)
LINK_TO = np.array([1, 2, 3, 0, 1, 2, 4, 1], dtype=np.int32)
WALK_MIN = np.full(8, 6.0)  # 500 m at 5 km/h
FREE_MIN = np.full(8, 1.0)  # 500 m at 30 km/h
MODES = np.full(8, int(Mode.ALL), dtype=np.uint8)
ZONES = np.array([0, 3, 4, 2], dtype=np.int32)
W = dict(walk_weight=2.0, wait_weight=2.0, transfer_penalty_min=5.0, dwell_min=0.5)


def skim(first: list[int], link: list[int], stop: list[bool], headway: list[float],
         bus_min: np.ndarray = FREE_MIN, walk_min: np.ndarray = WALK_MIN) -> np.ndarray:
    walk = active_network(LINK_FROM, LINK_TO, MODES, Mode.WALK, both_ways=True)
    lines = (np.array(first, np.int64), np.array(link, np.int32), np.array(stop, np.bool_))
    net = TransitNetwork.build(5, walk, *lines, LINK_FROM, LINK_TO)
    cost = net.edge_cost(walk_min, bus_min, lines[1], np.array(headway), **W)
    out: np.ndarray = transit_skim(net.first_out, net.out_edges, net.edge_to, cost, ZONES, 5)
    return out


def test_walk_wait_ride_walk() -> None:
    # One line east from node 0 to node 3, stopping at every node, every 10 minutes.
    pt = skim([0, 3], [0, 1, 2], [True, True, True], [10.0])
    wait = 2.0 * 10.0 / 2.0
    assert pt[0, 1] == pytest.approx(wait + 3 * (1.0 + 0.5))  # three rides of 1 min plus a dwell each
    # From node 4: walk to the stop at node 1 (6 min, weighted), ride two links.
    assert pt[2, 1] == pytest.approx(2.0 * 6.0 + wait + 2 * 1.5)
    # Against the line's direction the only way is a detour: walk to node 0, ride one stop,
    # walk back (nobody boards and alights without riding).
    assert pt[1, 0] == pytest.approx(2.0 * 18.0 + wait + 1.5 + 2.0 * 6.0)
    # ...and walking alone does not count as public transport, however short.
    assert pt[0, 3] == pytest.approx(wait + 2 * 1.5)
    assert np.isinf(np.diag(pt)).all()


def test_a_stop_is_only_where_the_line_stops() -> None:
    # Same line, stopping only at its end: from node 4 walk back to the terminus at node 0.
    pt = skim([0, 3], [0, 1, 2], [False, False, True], [10.0])
    assert pt[2, 1] == pytest.approx(2.0 * 12.0 + 10.0 + 3.0 + 0.5)
    assert pt[0, 3] == pytest.approx(10.0 + 3.5 + 2.0 * 6.0)  # no stop at node 2: ride on, walk back


def test_a_change_of_line_costs_a_second_wait_and_the_transfer_penalty() -> None:
    # Line A from node 0 to node 1 every 10 min, line B from node 1 to node 3 every 20 min.
    # Walking from node 0 to node 1 takes 6 min, weighted 12, less than line A's wait,
    # ride and the transfer: people walk to line B.
    pt = skim([0, 1, 3], [0, 1, 2], [True, True, True], [10.0, 20.0])
    assert pt[0, 1] == pytest.approx(12.0 + 20.0 + 2 * 1.5)
    # On a steep hill, where every street takes 30 min on foot, they change buses.
    hill = np.full(8, 30.0)
    pt = skim([0, 1, 3], [0, 1, 2], [True, True, True], [10.0, 20.0], walk_min=hill)
    assert pt[0, 1] == pytest.approx(10.0 + 1.5 + (20.0 + 5.0) + 2 * 1.5)


def test_a_bus_lane_keeps_the_bus_out_of_the_queue() -> None:
    congested = FREE_MIN * 5.0
    no_lane = bus_link_min(congested, FREE_MIN, np.zeros(8, np.bool_))
    lanes = bus_link_min(congested, FREE_MIN, np.ones(8, np.bool_))
    np.testing.assert_array_equal(lanes, FREE_MIN)
    np.testing.assert_array_equal(no_lane, congested)
    line = ([0, 3], [0, 1, 2], [True, True, True], [10.0])
    free = skim(*line)
    assert skim(*line, bus_min=lanes)[0, 1] == free[0, 1]
    assert skim(*line, bus_min=no_lane)[0, 1] == pytest.approx(free[0, 1] + 3 * 4.0)
    # A bus lane on one link only spares the bus that link's queue.
    one = bus_link_min(congested, FREE_MIN, np.arange(8) == 1)
    assert skim(*line, bus_min=one)[0, 1] == pytest.approx(free[0, 1] + 2 * 4.0)
