"""Probability of connectivity and equivalent connected area of habitat patches."""

from __future__ import annotations

import math

import numpy as np
import pytest
from agora.server.sim.connectivity import (
    Connectivity,
    label_patches,
    patch_gaps,
    probability_of_connectivity,
)


def module(median_dispersal_m: float = 100.0, min_patch_ha: float = 0.0) -> Connectivity:
    return Connectivity({"patch_quality_min": 0.5, "min_patch_ha": min_patch_ha,
                         "median_dispersal_m": median_dispersal_m})


def test_two_hectare_patches_in_four_hectares() -> None:
    # Saura & Pascual-Hortal 2007: PC = (1 + 1 + 2 x 1 x 1 x 0.5) / 4^2 = 0.1875.
    pc, eca = probability_of_connectivity(np.array([1.0, 1.0]), np.array([[1.0, 0.5], [0.5, 1.0]]), 4.0)
    assert pc == 0.1875
    assert eca == pytest.approx(math.sqrt(3.0))


def test_the_same_on_the_grid() -> None:
    # Four cells of 1 ha in a row; habitat in the first and third, 100 m apart edge to edge,
    # and p = 1/2 at the median dispersal distance of 100 m.
    pc, eca = module().connectivity(np.array([[True, False, True, False]]), 100.0)
    assert pc == pytest.approx(0.1875, abs=1e-15)
    assert eca == pytest.approx(math.sqrt(3.0))


def test_one_patch_filling_the_landscape() -> None:
    pc, eca = module().connectivity(np.ones((6, 5), dtype=bool), 25.0)
    assert pc == pytest.approx(1.0)
    assert eca == pytest.approx(30 * 0.0625)


def test_no_habitat_no_connectivity() -> None:
    assert module().connectivity(np.zeros((4, 4), dtype=bool), 25.0) == (0.0, 0.0)


def test_removing_a_stepping_stone_lowers_pc() -> None:
    row = np.zeros((1, 9), dtype=bool)
    row[0, [0, 4, 8]] = True
    without = row.copy()
    without[0, 4] = False
    with_stone, _ = module().connectivity(row, 100.0)
    bare, _ = module().connectivity(without, 100.0)
    # The two end patches alone are 700 m apart: p = 2^-7 directly, 2^-6 through the stone.
    assert bare == pytest.approx((2 + 2 * 2.0**-7) / 81)
    assert with_stone == pytest.approx((3 + 2 * (2 * 2.0**-3 + 2.0**-6)) / 81)
    assert bare < with_stone


def test_gaps_are_edge_to_edge() -> None:
    mask = np.zeros((6, 8), dtype=bool)
    mask[0:2, 0:2] = True
    mask[4:6, 5:8] = True  # 2 rows and 3 columns of open cells from the first
    mask[2, 2] = True  # touches the first at a corner only
    labels, n = label_patches(mask)
    assert n == 3
    a, b, corner = labels[0, 0], labels[4, 5], labels[2, 2]
    gaps = patch_gaps(mask, 100.0)
    assert gaps[a, corner] == 0.0
    assert gaps[a, b] == pytest.approx(math.hypot(2, 3))
    assert gaps[corner, b] == pytest.approx(math.hypot(1, 2))
    assert np.all(patch_gaps(mask, 2.0)[[a, corner], [b, b]] == np.inf)  # beyond the cutoff


def test_small_patches_are_left_out() -> None:
    mask = np.zeros((10, 10), dtype=bool)
    mask[:4, :4] = True  # 1 ha on cells of 25 m
    mask[8, 8] = True  # 0.0625 ha
    small_kept, _ = module(400.0).connectivity(mask, 25.0)
    small_dropped, _ = module(400.0, min_patch_ha=0.25).connectivity(mask, 25.0)
    assert small_dropped == pytest.approx(1.0 / 6.25**2)
    assert small_kept > small_dropped


def test_module_recomputes_only_when_the_patches_change() -> None:
    quality = np.zeros((8, 8), dtype=np.float32)
    quality[:3, :3] = 0.9
    b = {"grid_habitat_quality": quality, "grid_cell_m": np.array(25.0)}
    m = module(400.0)
    m.step(b)
    first = b["indicator.connectivity_pc"]
    b["grid_habitat_quality"] = quality * 0.9  # still above the threshold: same patches
    m.step(b)
    assert b["indicator.connectivity_pc"] is first
    degraded = quality.copy()
    degraded[1, :3] = 0.3  # cut the patch in two
    b["grid_habitat_quality"] = degraded
    m.step(b)
    assert float(b["indicator.connectivity_pc"]) < float(first)
    assert float(b["indicator.connectivity_eca_ha"]) < 9 * 0.0625


def test_a_local_change_gives_what_a_fresh_module_computes() -> None:
    # Patches grow, shrink, split, merge and vanish in a few places a tick; the gaps and
    # chains kept for the untouched patches give the same bits as starting afresh.
    rng = np.random.default_rng(4)
    blobs = rng.random((12, 10)) < 0.35
    quality = np.where(blobs.repeat(6, 0).repeat(6, 1), 0.8, 0.1).astype(np.float32)
    b = {"grid_habitat_quality": quality, "grid_cell_m": np.array(25.0)}
    m = module(400.0, min_patch_ha=0.1)
    m.step(b)
    for tick in range(12):
        quality = b["grid_habitat_quality"].copy()
        for _ in range(1 + tick % 3):
            r, c = rng.integers(0, 72), rng.integers(0, 60)
            quality[r:r + rng.integers(1, 5), c:c + rng.integers(1, 8)] = rng.choice([0.1, 0.8])
        b["grid_habitat_quality"] = quality
        m.step(b)
        fresh = dict(b)
        module(400.0, min_patch_ha=0.1).step(fresh)
        for name in ("indicator.connectivity_pc", "indicator.connectivity_eca_ha"):
            assert float(b[name]) == float(fresh[name]), (tick, name)
