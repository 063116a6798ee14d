"""Emission factors against the published reference values (issue 4), and the module."""

from __future__ import annotations

import numpy as np
import pytest

from agora.server.sim.emissions import Emissions, co2_curve, copert_eq1
from agora.server.sim.fleet import bus_veh_h
from agora.server.world.simulation import Simulation, model_parameters
from agora.server.world.world import World

SPEEDS = np.array([20.0, 50.0, 90.0])
PARAMS = model_parameters()["emissions"]


def test_copert_4_euro_6_nox_matches_the_reference_values() -> None:
    # COPERT 4 passenger car Euro 6, Eq1, g/km at 20, 50 and 90 km/h.
    np.testing.assert_allclose(copert_eq1(SPEEDS, *PARAMS["nox_petrol_eq1"]), [0.04505, 0.02785, 0.01589], rtol=1e-3)
    np.testing.assert_allclose(copert_eq1(SPEEDS, *PARAMS["nox_diesel_eq1"]), [0.2731, 0.1845, 0.1686], rtol=1e-3)


def test_petrol_co2_curve_passes_through_hbefa_4_steady_speed_values() -> None:
    np.testing.assert_allclose(co2_curve(SPEEDS, *PARAMS["co2_petrol_curve"]), [277.0, 140.0, 137.0], rtol=1e-6)
    # Outside COPERT's 10-130 km/h the edge value holds rather than the curve running off.
    edge = co2_curve(np.array([2.0, 10.0, 130.0, 200.0]), *PARAMS["co2_petrol_curve"])
    assert edge[0] == edge[1] and edge[2] == edge[3]


def test_electric_cars_keep_only_the_wear_particles() -> None:
    electric = Emissions({**PARAMS, "share_petrol": 0.0, "share_diesel": 0.0, "share_electric": 1.0})
    co2, nox, pm25 = electric.car_factors_g_km(SPEEDS)
    assert not co2.any() and not nox.any()
    wear = PARAMS["pm25_tyre_g_km"] + PARAMS["pm25_brake_g_km"] + PARAMS["pm25_road_g_km"]
    np.testing.assert_allclose(pm25, wear)
    with pytest.raises(ValueError, match="sum to 1"):
        Emissions({**PARAMS, "share_petrol": 0.9})


def test_buses_per_hour_come_from_routes_and_headways() -> None:
    # Line 0 every 10 min over links 0, 1; line 1 every 20 min over links 1, 2.
    buses = bus_veh_h(4, np.array([0, 2, 4]), np.array([0, 1, 1, 2]), np.array([10.0, 20.0]))
    np.testing.assert_allclose(buses, [6.0, 9.0, 3.0, 0.0])


def test_the_default_town_emits_in_proportion_to_its_traffic(default_world: World) -> None:
    sim = Simulation(default_world)
    for _ in range(3):
        sim.step()
    board = sim.board
    car_km = float(np.dot(board["link_flow_veh_h"], board["link_length_m"])) / 1000.0
    co2_kg_h = sim.indicators()["co2_kg_h"]
    # Between 120 and 530 g per car-km (the curve's range in town) plus lorries and buses.
    lorry_km = float(np.dot(board["link_hgv_veh_h"], board["link_length_m"])) / 1000.0
    bus_km = float(np.dot(board["link_bus_veh_h"], board["link_length_m"])) / 1000.0
    assert 0.5 * lorry_km < 0.05 * car_km  # lorries are a few percent of the traffic
    assert 0.12 * car_km < co2_kg_h - 0.8 * lorry_km - 1.2 * bus_km < 0.53 * car_km
    empty = board["link_flow_veh_h"] == 0.0
    no_bus = bus_veh_h(len(empty), board["line_first"], board["line_link"], board["line_headway_min"]) == 0.0
    assert not board["link_nox_g_h"][empty & no_bus].any()
    busiest = int(np.argmax(board["link_flow_veh_h"]))
    assert board["link_nox_g_h"][busiest] > 0.0 and board["link_pm25_g_h"][busiest] > 0.0
