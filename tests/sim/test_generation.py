from __future__ import annotations

import numpy as np
import pytest

from agora.server.sim.demand import DemandParameters
from agora.server.sim.generation import (
    EDUCATION,
    HOURS,
    LEISURE,
    NONHOME,
    PURPOSES,
    SHOPPING,
    WORK,
    directional_factors,
    hour_of_tick,
    hour_slice,
    trip_ends,
)
from agora.server.world.simulation import model_parameters

# Weekday trips of Americans aged 21-65 by hour of departure, percent (2001 National
# Household Travel Survey; BTS, Transportation Statistics Annual Report 2005, table 4-8).
NHTS_2001_AGED_21_65 = [0.4, 0.2, 0.1, 0.1, 0.6, 1.6, 3.9, 7.7, 6.3, 4.7, 5.2, 6.3,
                        7.5, 6.3, 6.5, 7.9, 8.3, 9.1, 5.7, 4.2, 3.2, 2.2, 1.2, 0.7]


@pytest.fixture(scope="module")
def params() -> DemandParameters:
    return DemandParameters.from_mapping(model_parameters()["demand"])


def test_rates_are_mid_2017_trips_per_purpose_over_the_population(params: DemandParameters) -> None:
    # MiD 2017 trips per day in millions (to work 43, education 18, shopping 41 + errands 37,
    # leisure 72 + escorting 21, business 28) over 82.7 million residents.
    expected = np.array([43.0, 18.0, 41.0 + 37.0, 72.0 + 21.0, 28.0]) / 82.7
    np.testing.assert_allclose(params.rates, expected, atol=6e-4)
    assert params.rates.sum() == pytest.approx(3.1, abs=0.06)  # MiD: 3.1 trips per person and day


def test_trip_ends_total_the_rates_times_the_residents(params: DemandParameters) -> None:
    residents = np.array([1000.0, 2000.0, 0.0, 500.0])
    jobs = np.array([100.0, 0.0, 3000.0, 200.0])
    schools = np.array([0.0, 400.0, 0.0, 0.0])
    shops = np.array([50.0, 0.0, 600.0, 0.0])
    ends = trip_ends(params.rates, residents, jobs, schools, shops, leisure_shop_weight=2.0)
    np.testing.assert_allclose(ends.productions.sum(axis=1), params.rates * residents.sum())
    np.testing.assert_allclose(ends.attractions.sum(axis=1), ends.productions.sum(axis=1))
    np.testing.assert_allclose(ends.productions[WORK], params.rates[WORK] * residents)
    # Each purpose is drawn where it belongs.
    assert ends.attractions[EDUCATION].nonzero()[0].tolist() == [1]
    np.testing.assert_allclose(ends.attractions[SHOPPING] / ends.attractions[SHOPPING].sum(), shops / shops.sum())
    np.testing.assert_allclose(ends.attractions[WORK] / ends.attractions[WORK].sum(), jobs / jobs.sum())
    leisure = residents + 2.0 * shops
    np.testing.assert_allclose(ends.attractions[LEISURE] / ends.attractions[LEISURE].sum(), leisure / leisure.sum())
    # Non-home-based trips start and end where people work and shop.
    where = jobs + shops
    np.testing.assert_allclose(ends.productions[NONHOME] / ends.productions[NONHOME].sum(), where / where.sum())


def test_a_world_without_schools_or_shops_sends_those_trips_to_jobs(params: DemandParameters) -> None:
    residents, jobs, none = np.array([10.0, 0.0]), np.array([0.0, 5.0]), np.zeros(2)
    ends = trip_ends(params.rates, residents, jobs, none, none, leisure_shop_weight=2.0)
    for purpose in (EDUCATION, SHOPPING):
        np.testing.assert_allclose(ends.attractions[purpose], [0.0, params.rates[purpose] * 10.0])


def test_the_clock() -> None:
    assert hour_of_tick(0, 6.0, 1.0) == 6.0
    assert hour_of_tick(90, 6.0, 1.0) == 7.5
    assert hour_of_tick(24 * 60, 6.0, 1.0) == 6.0  # a day later
    assert hour_of_tick(10, 23.0, 15.0) == pytest.approx(1.5)
    assert [hour_slice(h) for h in (0.0, 7.99, 8.0, 8.5, 23.999, 24.0)] == [0, 7, 8, 8, 23, 0]
    with pytest.raises(ValueError, match="minutes_per_tick"):
        hour_of_tick(1, 6.0, -1.0)
    with pytest.raises(ValueError, match="finite"):
        hour_slice(float("nan"))


def test_each_purpose_has_a_day_of_factors_that_sums_to_one(params: DemandParameters) -> None:
    assert params.from_home.shape == params.to_home.shape == (len(PURPOSES), HOURS)
    np.testing.assert_allclose(params.from_home.sum(axis=1) + params.to_home.sum(axis=1), 1.0)
    # Tours leave home and come back once each.
    np.testing.assert_allclose(params.from_home.sum(axis=1), 0.5, atol=2e-3)
    # People go to work and school in the morning and come back in the afternoon.
    for purpose in (WORK, EDUCATION):
        assert 6 <= int(np.argmax(params.from_home[purpose])) <= 8
        assert 12 <= int(np.argmax(params.to_home[purpose])) <= 17


def test_the_all_purpose_profile_follows_the_nhts_weekday_profile(params: DemandParameters) -> None:
    profile = params.rates @ (params.from_home + params.to_home)
    profile = 100.0 * profile / profile.sum()
    reference = np.array(NHTS_2001_AGED_21_65)
    assert np.corrcoef(profile, reference)[0, 1] > 0.95
    assert int(np.argmax(profile[:11])) == int(np.argmax(reference[:11])) == 7  # the morning peak: 7-8 h
    assert 15 <= int(np.argmax(profile)) <= 17  # the evening peak
    assert np.abs(profile - reference).max() < 2.0  # percentage points, every hour


def test_bad_factors_are_refused() -> None:
    good = np.ones((len(PURPOSES), HOURS))
    with pytest.raises(ValueError, match="5 purposes x 24 hours"):
        directional_factors(good[:, :23], good[:, :23])
    with pytest.raises(ValueError, match="negative"):
        directional_factors(-good, good)
    with pytest.raises(ValueError, match="purpose work has no trips"):
        directional_factors(np.where(np.arange(5)[:, None] == 0, 0.0, good), np.where(np.arange(5)[:, None] == 0, 0.0, good))
