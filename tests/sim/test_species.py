"""The indicator species: the logistic curve, Fisher's travelling front, roads as barriers
and sinks, and the bookkeeping (no negatives, mass kept, determinism)."""

from __future__ import annotations

import math
import tomllib
from importlib.resources import files
from typing import Any

import numpy as np
import pytest
from agora.server.sim.species import MAX_MIX, Species, advance
from agora.server.world.types import Mode

CELL_M = 25.0


def params(**overrides: float) -> dict[str, Any]:
    p = tomllib.loads((files("agora.rules") / "habitat.toml").read_text(encoding="utf-8"))["species"]
    p.update(overrides)
    return p


@pytest.mark.parametrize("substeps", [1, 7, 100])
def test_logistic_curve(substeps: int) -> None:
    # N(t) = K / (1 + (K / N0 - 1) e^{-rt}): r = 0.5, K = 100, N0 = 10 gives N(5) = 57.512.
    one = np.ones((1, 1), dtype=np.float32)
    n = advance(10.0 * one, 100.0 * one, one, 0.0, substeps, math.exp(0.5 * 5.0 / substeps))
    assert float(n[0, 0]) == pytest.approx(57.512, abs=1e-3)


def test_fisher_front_moves_at_two_sqrt_rd() -> None:
    # On a strip of cells, a population filling the left end invades at 2 sqrt(r D) (Fisher
    # 1937; Kolmogorov, Petrovsky & Piskunov 1937), approached from below as 2 - 3/(2t) in
    # units of r and sqrt(D/r) (Bramson 1983): measured between r t = 40 and 80, 1% short.
    r, d, h = 1.0, 1.0, 0.25
    width = 1000
    capacity = np.ones((1, width), dtype=np.float32)
    passage = np.ones((1, width), dtype=np.float32)
    n = np.zeros((1, width), dtype=np.float32)
    n[0, :20] = 1.0
    dt = MAX_MIX * h * h / d
    per_unit = round(1.0 / dt)

    def front(x: np.ndarray) -> float:
        i = int(np.argmax(x[0] < 0.5))
        return h * (i - 1 + (x[0, i - 1] - 0.5) / (x[0, i - 1] - x[0, i]))

    n = advance(n, capacity, passage, MAX_MIX, 40 * per_unit, math.exp(r * dt))
    at_40 = front(n)
    n = advance(n, capacity, passage, MAX_MIX, 40 * per_unit, math.exp(r * dt))
    speed = (front(n) - at_40) / (40 * per_unit * dt)
    assert speed == pytest.approx(2.0 * math.sqrt(r * d), rel=0.03)


def test_diffusion_keeps_every_individual_and_stays_non_negative() -> None:
    rng = np.random.default_rng(5)
    n = (rng.random((30, 40)) * 20.0).astype(np.float32)
    n[10:20, 10:20] = 0.0
    capacity = np.full((30, 40), 50.0, dtype=np.float32)
    open_ground = np.ones((30, 40), dtype=np.float32)
    after = advance(n, capacity, open_ground, MAX_MIX, 200, 1.0)
    assert after.sum(dtype=np.float64) == pytest.approx(n.sum(dtype=np.float64), rel=1e-5)
    assert after.min() >= 0.0
    roads = (rng.random((30, 40)) * 0.9 + 0.1).astype(np.float32)
    killed = advance(n, capacity, roads, MAX_MIX, 200, 1.0)
    assert killed.min() >= 0.0 and killed.sum() < n.sum()


def test_cells_without_habitat_hold_nobody() -> None:
    capacity = np.full((10, 10), 23.0, dtype=np.float32)
    capacity[:, 5] = 0.0
    n = advance(capacity.copy(), capacity, np.ones((10, 10), dtype=np.float32), MAX_MIX, 50, 1.01)
    assert np.all(n[:, 5] == 0.0) and n[:, :5].min() > 0.0


def board(flow_veh_h: float, height: int = 20, width: int = 41) -> dict[str, np.ndarray]:
    """Habitat of quality 1 split by one two-way street down the middle column; toads on the
    left half only."""
    x = (width // 2 + 0.5) * CELL_M
    density = np.zeros((height, width), dtype=np.float32)
    density[:, : width // 2] = 23.0
    return {
        "grid_habitat_quality": np.ones((height, width), dtype=np.float32),
        "grid_cell_m": np.array(CELL_M),
        "grid_origin_m": np.array([0.0, 0.0]),
        "node_x_m": np.array([x, x]),
        "node_y_m": np.array([0.0, height * CELL_M]),
        "link_from": np.array([0, 1], dtype=np.int32),
        "link_to": np.array([1, 0], dtype=np.int32),
        "link_modes": np.full(2, int(Mode.ALL), dtype=np.uint8),
        "link_flow_veh_h": np.full(2, flow_veh_h / 2.0),
        "grid_species_per_ha": density,
    }


def crossed(flow_veh_h: float, ticks: int = 30) -> float:
    """Toads per hectare on the far side of the street after some weeks."""
    b = board(flow_veh_h)
    module = Species(params(spin_up_years=0.0))
    for _ in range(ticks):
        module.step(b)
    return float(b["grid_species_per_ha"][:, 21:].mean())


def test_a_busy_road_splits_the_population_more_than_a_quiet_road() -> None:
    none, quiet, busy = crossed(0.0), crossed(50.0), crossed(1000.0)
    assert busy < 0.2 * quiet
    assert quiet < none
    assert busy > 0.0  # a few still make it


def test_indicator_counts_individuals() -> None:
    b = board(0.0)
    Species(params(spin_up_years=0.0, growth_rate_per_year=0.0, diffusivity_m2_per_year=0.0)).step(b)
    cell_ha = CELL_M * CELL_M / 1e4
    assert float(b["indicator.species_population"]) == pytest.approx(20 * 20 * 23.0 * cell_ha, rel=1e-6)


def test_first_tick_starts_near_equilibrium() -> None:
    # 1 km of habitat each side of a busy street: wider than the strip a population needs
    # beside a lethal edge, (pi / 2) sqrt(D / r) = 555 m (Skellam 1951), so it persists.
    b = board(1000.0, height=10, width=81)
    del b["grid_species_per_ha"]
    module = Species(params())
    module.step(b)
    start = float(b["indicator.species_population"])
    for _ in range(26):
        module.step(b)
    assert float(b["indicator.species_population"]) == pytest.approx(start, rel=0.01)


def test_sub_steps_keep_the_scheme_stable() -> None:
    module = Species(params(days_per_tick=60.0))
    a, substeps, _growth = module.schedule(60.0 / 365.25, CELL_M)
    assert a <= MAX_MIX and substeps * a == pytest.approx(62500.0 * 60.0 / 365.25 / CELL_M**2)
    b = board(800.0)
    for _ in range(5):
        module.step(b)
    assert np.isfinite(b["grid_species_per_ha"]).all() and b["grid_species_per_ha"].min() >= 0.0


def test_same_board_same_population() -> None:
    a, b = board(300.0), board(300.0)
    for x in (a, b):
        module = Species(params())
        for _ in range(3):
            module.step(x)
    assert np.array_equal(a["grid_species_per_ha"], b["grid_species_per_ha"])


def test_streets_whose_traffic_moved_give_what_a_fresh_module_computes() -> None:
    # Crossing streets (cells shared by two of them); one street's traffic moves a tick, or all.
    b = board(0.0, height=30, width=41)
    xs, ys = (np.arange(4, 41, 8) + 0.5) * CELL_M, (np.arange(3, 30, 6) + 0.5) * CELL_M
    gx, gy = np.meshgrid(xs, ys)
    nx = gx.shape[1]
    ends = [(r * nx + c, r * nx + c + 1) for r in range(gx.shape[0]) for c in range(nx - 1)]
    ends += [(r * nx + c, (r + 1) * nx + c) for r in range(gx.shape[0] - 1) for c in range(nx)]
    a, z = np.array([e[0] for e in ends]), np.array([e[1] for e in ends])
    b.update(node_x_m=gx.ravel(), node_y_m=gy.ravel(), link_from=np.r_[a, z].astype(np.int32),
             link_to=np.r_[z, a].astype(np.int32), link_modes=np.full(2 * len(ends), int(Mode.ALL), np.uint8),
             link_flow_veh_h=np.full(2 * len(ends), 100.0))
    rng = np.random.default_rng(9)
    module = Species(params(spin_up_years=0.0))
    module.step(b)
    for tick in range(6):
        flows = b["link_flow_veh_h"].copy()
        street = rng.integers(0, len(ends))
        moved = np.isin(np.arange(flows.size), [street, street + len(ends)]) | (tick == 3)
        flows[moved] = rng.choice([0.0, 30.0, 300.0, 900.0], moved.sum())
        b["link_flow_veh_h"] = flows
        fresh = dict(b)
        module.step(b)
        Species(params(spin_up_years=0.0)).step(fresh)
        assert np.array_equal(b["grid_species_per_ha"], fresh["grid_species_per_ha"]), tick
