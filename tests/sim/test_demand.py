from __future__ import annotations

import numpy as np
import pytest

from agora.server.sim.demand import furness, gravity_trips


def test_furness_matches_both_margins_and_keeps_the_seed_odds_ratios() -> None:
    # A doubly constrained model only rescales rows and columns of the seed, so every
    # odds ratio T_ij T_kl / (T_il T_kj) equals the seed's (Ortuzar & Willumsen 2011, 5.3).
    productions = np.array([400.0, 460.0, 400.0, 702.0])
    attractions = np.array([260.0, 400.0, 500.0, 802.0])
    cost = np.array([[3.0, 11, 18, 22], [12, 3, 13, 19], [15.5, 13, 5, 7], [24, 18, 8, 5]])
    seed = np.exp(-0.1 * cost)
    trips, iterations, error = furness(productions, attractions, seed, 500, 1e-12)
    assert error <= 1e-12 and iterations < 500
    np.testing.assert_allclose(trips.sum(axis=1), productions, rtol=1e-10)
    np.testing.assert_allclose(trips.sum(axis=0), attractions, rtol=1e-10)
    odds = trips[0, 1] * trips[2, 3] / (trips[0, 3] * trips[2, 1])
    seed_odds = seed[0, 1] * seed[2, 3] / (seed[0, 3] * seed[2, 1])
    assert odds == pytest.approx(seed_odds, rel=1e-9)


def test_two_by_two_gravity_has_the_closed_form_solution() -> None:
    # With margins (a, b) x (c, d) the table is fixed by x = T_00 and the odds ratio
    # x (b - c + x) / ((a - x)(c - x)) = f00 f11 / (f01 f10): a quadratic in x.
    p, q = np.array([30.0, 70.0]), np.array([60.0, 40.0])
    f = np.array([[1.0, 0.25], [0.5, 1.0]])
    trips, _, _ = furness(p, q, f, 1000, 1e-14)
    r = f[0, 0] * f[1, 1] / (f[0, 1] * f[1, 0])
    a, c, b = p[0], q[0], p[1]
    # x (b - c + x) = r (a - x)(c - x)  ->  (1 - r) x^2 + (b - c + r(a + c)) x - r a c = 0
    coeffs = [1 - r, b - c + r * (a + c), -r * a * c]
    x = next(root.real for root in np.roots(coeffs) if 0 <= root.real <= min(a, c))
    assert trips[0, 0] == pytest.approx(x, rel=1e-9)


def test_gravity_trips_skip_intrazonal_and_unreachable_pairs() -> None:
    residents = np.array([1000.0, 2000.0, 500.0])
    jobs = np.array([3000.0, 0.0, 1000.0])
    cost = np.array([[0.0, 5.0, np.inf], [5.0, 0.0, 10.0], [np.inf, 10.0, 0.0]])
    trips = gravity_trips(residents, jobs, cost, trips_per_resident=0.1, beta_per_min=0.1)
    assert np.all(np.diag(trips) == 0.0)
    assert trips[0, 2] == 0.0 and trips[2, 0] == 0.0
    # Zones 0 and 2 reach only zone 1, which has no jobs: their residents make no trips.
    assert trips[0].sum() == 0.0 and trips[2].sum() == 0.0
    np.testing.assert_allclose(trips[1].sum(), 200.0)
    # With one sending zone the column margins alone fix the split: jobs 3000 to 1000.
    assert trips[1, 0] / trips[1, 2] == pytest.approx(3.0, rel=1e-9)


def test_people_prefer_the_nearer_jobs() -> None:
    # Two housing zones each beside one of two job zones: most trips stay near home, in
    # the proportion exp(beta * cost difference) implied by the deterrence function.
    residents = np.array([1000.0, 1000.0, 0.0, 0.0])
    jobs = np.array([0.0, 0.0, 500.0, 500.0])
    cost = np.array([[0, 30, 5, 25], [30, 0, 25, 5], [5, 25, 0, 30], [25, 5, 30, 0]], dtype=float)
    trips = gravity_trips(residents, jobs, cost, trips_per_resident=0.1, beta_per_min=0.1)
    assert trips[0, 2] / trips[0, 3] == pytest.approx(np.exp(0.1 * 20), rel=1e-9)
    assert trips[1, 3] / trips[1, 2] == pytest.approx(np.exp(0.1 * 20), rel=1e-9)
