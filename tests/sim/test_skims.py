from __future__ import annotations

import numpy as np
import pytest

from agora.server.sim.paths import forward_star
from agora.server.sim.skims import active_network, active_skim, bike_perceived_min, car_skim
from agora.server.world.types import Mode, RoadClass

# Three nodes in a row, 1 km apart: a fast two-way road 0-1-2 (links 0-3) and a slow
# one-way short cut 0->2 (link 4), plus a footpath 2->1 (link 5).
LINK_FROM = np.array([0, 1, 1, 2, 0, 2], dtype=np.int32)
LINK_TO = np.array([1, 0, 2, 1, 2, 1], dtype=np.int32)
LENGTH_M = np.array([1000.0, 1000.0, 1000.0, 1000.0, 1500.0, 1000.0])
MODES = np.array([Mode.ALL] * 5 + [Mode.WALK | Mode.BIKE], dtype=np.uint8)
ZONES = np.array([0, 2, 1], dtype=np.int32)


def test_the_car_skim_follows_the_quickest_path_and_adds_up_its_length_and_tolls() -> None:
    time_min = np.array([1.0, 1.0, 1.0, 1.0, 3.0, 1.0])
    toll = np.array([0.0, 0.0, 2.5, 0.0, 0.0, 0.0])
    usable = MODES & Mode.CAR != 0
    first_out, out_links = forward_star(3, LINK_FROM, LINK_TO)
    t, km, eur = car_skim(first_out, out_links, LINK_FROM, LINK_TO, time_min, LENGTH_M, toll, usable, ZONES)
    assert (t[0, 1], km[0, 1], eur[0, 1]) == (2.0, 2.0, 2.5)  # 0 -> 1 -> 2, through the toll
    assert (t[1, 0], km[1, 0], eur[1, 0]) == (2.0, 2.0, 0.0)
    assert (np.diag(t) == 0.0).all() and (np.diag(km) == 0.0).all()
    # When the road is jammed, the short cut wins: its length, no toll.
    time_min[2] = 10.0
    t, km, eur = car_skim(first_out, out_links, LINK_FROM, LINK_TO, time_min, LENGTH_M, toll, usable, ZONES)
    assert (t[0, 1], km[0, 1], eur[0, 1]) == (3.0, 1.5, 0.0)
    usable[[2, 4]] = False  # both closed: no way by car
    t, km, eur = car_skim(first_out, out_links, LINK_FROM, LINK_TO, time_min, LENGTH_M, toll, usable, ZONES)
    assert np.isinf([t[0, 1], km[0, 1], eur[0, 1]]).all()


def test_walkers_ignore_one_way_streets_and_bikes_do_not() -> None:
    walk = active_network(LINK_FROM, LINK_TO, MODES, Mode.WALK, both_ways=True)
    bike = active_network(LINK_FROM, LINK_TO, MODES, Mode.BIKE, both_ways=False)
    # The one-way short cut (link 4) is added reversed for walkers; the footpath 2->1 too,
    # since no link runs 1->2 ... except link 2 does: so only the short cut is doubled.
    assert walk[2].tolist() == [0, 1, 2, 3, 4, 5, 4]
    assert (walk[0][-1], walk[1][-1]) == (2, 0)
    assert bike[2].tolist() == [0, 1, 2, 3, 4, 5]
    minutes = LENGTH_M / 75.0  # 4.5 km/h
    walk_min = active_skim(3, walk, minutes, ZONES)
    bike_min = active_skim(3, bike, minutes, ZONES)
    assert walk_min[1, 0] == pytest.approx(1500.0 / 75.0)  # against the one-way street
    assert bike_min[1, 0] == pytest.approx(2000.0 / 75.0)  # round by the road


def test_a_bike_lane_or_a_quiet_street_lowers_the_perceived_minutes() -> None:
    length = np.full(5, 1000.0)
    road_class = np.array([RoadClass.ARTERIAL, RoadClass.ARTERIAL, RoadClass.COLLECTOR, RoadClass.LOCAL,
                           RoadClass.ARTERIAL], dtype=np.uint8)
    bike_lane = np.array([False, True, False, False, False])
    car_usable = np.array([True, True, True, True, False])  # the last arterial is closed to cars
    perceived = bike_perceived_min(length, road_class, bike_lane, car_usable, 15.0, 1.4, 1.2)
    np.testing.assert_allclose(perceived, np.array([1.4, 1.0, 1.2, 1.0, 1.0]) * 4.0)
