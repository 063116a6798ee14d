from __future__ import annotations

import math

import numpy as np
import pytest

from agora.server.sim.modes import BIKE, CAR, PT, WALK, Coefficients, ModeCosts, calibrate_constants, logit, mode_utilities


def _coefficients(**changes: float) -> Coefficients:
    values: dict[str, float] = dict(time_per_min=-0.03, cost_per_eur=-0.15, walk_weight=2.0, car_terminal_min=2.0,
                                    car_eur_per_km=0.12, parking_eur=0.5, pt_fare_eur=1.5)
    values.update(changes)
    return Coefficients(asc=np.array([0.0, -0.7, -1.7, -0.4]), **values)


def _costs(z: int = 3) -> ModeCosts:
    rng = np.random.default_rng(7)
    car = rng.uniform(2.0, 12.0, (z, z))
    return ModeCosts(car_min=car, car_km=car * 0.5, car_toll_eur=np.zeros((z, z)),
                     pt_generalised_min=car * 2.5 + 10.0, bike_min=car * 1.8, walk_min=car * 5.0)


def test_probabilities_sum_to_one_and_the_logsum_bounds_the_best_alternative() -> None:
    prob, logsum = logit(mode_utilities(_costs(), _coefficients()))
    np.testing.assert_allclose(prob.sum(axis=0), 1.0, rtol=1e-14)
    assert (prob > 0.0).all()
    utility = mode_utilities(_costs(), _coefficients())
    assert (logsum >= utility.max(axis=0)).all()
    assert (logsum <= utility.max(axis=0) + math.log(4.0)).all()


def test_logit_against_a_hand_computed_reference() -> None:
    # V = (0, -1, -2, ln 2): exp(V) = (1, e^-1, e^-2, 2), their sum 3 + e^-1 + e^-2 = 3.50321472...
    utility = np.array([0.0, -1.0, -2.0, math.log(2.0)]).reshape(4, 1, 1)
    prob, logsum = logit(utility)
    total = 3.0 + math.exp(-1.0) + math.exp(-2.0)
    assert total == pytest.approx(3.5032147244080551, rel=1e-15)
    np.testing.assert_allclose(prob[:, 0, 0], [1 / total, math.exp(-1.0) / total, math.exp(-2.0) / total, 2 / total],
                               rtol=1e-14)
    assert prob[CAR, 0, 0] == pytest.approx(0.28545210, abs=1e-8)
    assert logsum[0, 0] == pytest.approx(math.log(total), rel=1e-14)
    # Large utilities do not overflow: only differences matter.
    prob_big, logsum_big = logit(utility + 800.0)
    np.testing.assert_allclose(prob_big, prob, rtol=1e-13)
    assert logsum_big[0, 0] == pytest.approx(800.0 + math.log(total))


def test_one_utility_by_hand() -> None:
    costs = ModeCosts(car_min=np.array([[10.0]]), car_km=np.array([[5.0]]), car_toll_eur=np.array([[1.0]]),
                      pt_generalised_min=np.array([[30.0]]), bike_min=np.array([[20.0]]), walk_min=np.array([[60.0]]))
    v = mode_utilities(costs, _coefficients())[:, 0, 0]
    assert v[CAR] == pytest.approx(-0.03 * (10.0 + 2.0) - 0.15 * (0.12 * 5.0 + 1.0 + 0.5))
    assert v[PT] == pytest.approx(-0.7 - 0.03 * 30.0 - 0.15 * 1.5)
    assert v[BIKE] == pytest.approx(-1.7 - 0.03 * 20.0)
    assert v[WALK] == pytest.approx(-0.4 - 0.03 * 2.0 * 60.0)


def test_raising_the_car_cost_lowers_the_car_share() -> None:
    costs = _costs()
    base, _ = logit(mode_utilities(costs, _coefficients()))
    dearer, _ = logit(mode_utilities(costs, _coefficients(parking_eur=5.0)))
    tolled = ModeCosts(costs.car_min, costs.car_km, costs.car_toll_eur + 3.0, costs.pt_generalised_min,
                       costs.bike_min, costs.walk_min)
    with_toll, _ = logit(mode_utilities(tolled, _coefficients()))
    slower = ModeCosts(costs.car_min * 1.5, costs.car_km, costs.car_toll_eur, costs.pt_generalised_min,
                       costs.bike_min, costs.walk_min)
    congested, _ = logit(mode_utilities(slower, _coefficients()))
    for changed in (dearer, with_toll, congested):
        assert (changed[CAR] < base[CAR]).all()
        assert (changed[1:] > base[1:]).all()  # every other mode gains (the logit's IIA)


def test_a_mode_without_a_path_gets_no_trips() -> None:
    costs = _costs(2)
    pt = costs.pt_generalised_min.copy()
    pt[0, 1] = np.inf
    nothing = ModeCosts(*(np.full((2, 2), np.inf) for _ in range(6)))
    prob, _ = logit(mode_utilities(ModeCosts(costs.car_min, costs.car_km, costs.car_toll_eur, pt, costs.bike_min,
                                             costs.walk_min), _coefficients()))
    assert prob[PT, 0, 1] == 0.0 and prob[:, 0, 1].sum() == pytest.approx(1.0)
    prob, logsum = logit(mode_utilities(nothing, _coefficients()))
    assert (prob == 0.0).all() and (logsum == -np.inf).all()


def test_constants_are_calibrated_to_target_shares() -> None:
    utility = mode_utilities(_costs(4), _coefficients())

    def shares(asc: np.ndarray) -> np.ndarray:
        prob, _ = logit(utility + (asc - np.array([0.0, -0.7, -1.7, -0.4]))[:, None, None])
        totals: np.ndarray = prob.sum(axis=(1, 2))
        return totals / totals.sum()

    target = np.array([0.57, 0.10, 0.11, 0.22])
    asc = calibrate_constants(shares, target, np.zeros(4), iterations=200, tolerance=1e-9)
    assert asc[CAR] == 0.0
    np.testing.assert_allclose(shares(asc), target, atol=1e-8)
