"""CNOSSOS-EU road source against the published reference values (issue 4)."""

from __future__ import annotations

import numpy as np
import pytest

from agora.server.sim.noise import (
    A_WEIGHTING_DB,
    NO_SOUND_DB,
    NoiseSource,
    a_weighted_sum,
    coefficient_table,
    energy_table,
    link_sound_power_per_metre,
    sound_power_bands,
)
from agora.server.world.simulation import Simulation, model_parameters
from agora.server.world.world import World

PARAMS = model_parameters()["noise"]
CARS = coefficient_table(PARAMS["category_1"])
HEAVY = coefficient_table(PARAMS["category_3"])
CAR_TABLE = energy_table(CARS, A_WEIGHTING_DB)
HEAVY_TABLE = energy_table(HEAVY, A_WEIGHTING_DB)


def test_the_1_khz_coefficients_are_the_amended_ones() -> None:
    assert CARS[:, 4].tolist() == [100.1, 32.5, 84.7, 8.0]


@pytest.mark.parametrize(("speed_kmh", "expected_dba"), [(30.0, 92.46), (50.0, 98.44), (70.0, 103.03)])
def test_a_car_sounds_as_published(speed_kmh: float, expected_dba: float) -> None:
    assert a_weighted_sum(sound_power_bands(speed_kmh, CARS), A_WEIGHTING_DB) == pytest.approx(expected_dba, abs=0.005)


def test_a_heavy_vehicle_sounds_as_published() -> None:
    assert a_weighted_sum(sound_power_bands(50.0, HEAVY), A_WEIGHTING_DB) == pytest.approx(107.24, abs=0.005)


def test_a_thousand_cars_an_hour_at_50_give_the_published_power_per_metre() -> None:
    level = link_sound_power_per_metre(np.array([1000.0, 0.0, 10_000.0]), np.zeros(3), np.array([50.0, 50.0, 50.0]),
                                       CAR_TABLE, HEAVY_TABLE)
    assert level[0] == pytest.approx(81.45, abs=0.005)
    assert level[1] == NO_SOUND_DB  # an empty road is silent
    assert level[2] - level[0] == pytest.approx(10.0, abs=1e-9)  # ten times the traffic: +10 dB


def test_heavy_vehicles_make_a_road_louder() -> None:
    speeds = np.array([50.0])
    cars_only = link_sound_power_per_metre(np.array([1000.0]), np.zeros(1), speeds, CAR_TABLE, HEAVY_TABLE)[0]
    mixed = link_sound_power_per_metre(np.array([900.0]), np.array([100.0]), speeds, CAR_TABLE, HEAVY_TABLE)[0]
    # One lorry in ten, each 107.24 - 98.44 dB louder than a car at 50 km/h.
    assert mixed - cars_only == pytest.approx(10.0 * np.log10(0.9 + 0.1 * 10.0 ** ((107.24 - 98.44) / 10.0)), abs=0.01)


@pytest.mark.parametrize("speed_kmh", [20.0, 23.456, 31.7, 49.99, 88.8, 149.0])
def test_the_speed_table_matches_the_band_sums(speed_kmh: float) -> None:
    for coefficients, table in ((CARS, CAR_TABLE), (HEAVY, HEAVY_TABLE)):
        exact = a_weighted_sum(sound_power_bands(speed_kmh, coefficients), A_WEIGHTING_DB) + 10.0 * np.log10(1 / 1000 / speed_kmh)
        looked_up = link_sound_power_per_metre(np.ones(1), np.zeros(1), np.array([speed_kmh]), table, table)[0]
        assert looked_up == pytest.approx(exact, abs=1e-4)


def test_the_default_town_publishes_a_level_for_every_busy_link(default_world: World) -> None:
    sim = Simulation(default_world)
    sim.step()
    level = sim.board["link_sound_power_dba_m"]
    flow = sim.board["link_flow_veh_h"]
    silent = (flow == 0.0) & (sim.board["link_bus_veh_h"] == 0.0)
    assert np.all(level[silent] == NO_SOUND_DB)
    assert np.all(level[(flow == 0.0) & ~silent] > 40.0)  # a bus route is heard with no car on it
    busy = flow >= 10.0
    assert busy.sum() > 100
    assert np.all((level[busy] > 40.0) & (level[busy] < 95.0))
    # At a given speed, louder where more cars pass.
    assert level[int(np.argmax(flow))] > np.median(level[busy])
    with pytest.raises(ValueError, match="8 octave bands"):
        NoiseSource({**PARAMS, "category_1": {**PARAMS["category_1"], "a_r": [1.0, 2.0]}})
