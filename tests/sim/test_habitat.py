"""Habitat quality: InVEST's own regression case, the distance transform, and the module
on small boards with one street, built land, noise and NO2."""

from __future__ import annotations

import tomllib
from importlib.resources import files
from typing import Any

import numpy as np
import pytest
from agora.server.sim.habitat import (
    THREATS,
    Habitat,
    degradation_and_quality,
    squared_distance_within,
    threat_impact,
)
from agora.server.sim.road_raster import link_cells
from agora.server.world.types import LandUse, Mode

CELL_M = 25.0


def rules() -> dict[str, dict[str, Any]]:
    return tomllib.loads((files("agora.rules") / "habitat.toml").read_text(encoding="utf-8"))


def test_reproduces_invest_regression_sums() -> None:
    # natcap/invest tests/test_habitat_quality.py, test_habitat_quality_presence_absence_regression:
    # 100 x 100 cells of 1 m, land use 1 above and 2 below, access 0.2 above and 1.0 below,
    # threat 1 linear, 40 m, weight 0.7 on rows 20-79 of columns 5-7; threat 2 exponential,
    # 70 m, weight 1.0 on rows 20-79 of columns 10-12; k = 0.5.
    land_use = np.ones((100, 100), dtype=np.uint8)
    land_use[50:] = 2
    access = np.ones((100, 100), dtype=np.float32)
    access[:50] = 0.2
    threat_1 = np.zeros((100, 100), dtype=bool)
    threat_1[20:80, 5:8] = True
    threat_2 = np.zeros((100, 100), dtype=bool)
    threat_2[20:80, 10:13] = True
    impacts = np.stack([threat_impact(threat_1, 40.0, 1.0, False), threat_impact(threat_2, 70.0, 1.0, True)])
    weights = np.array([0.7, 1.0]) / 1.7
    sensitivity = np.zeros((2, 8))
    sensitivity[0, 1], sensitivity[0, 2] = 1.0, 0.5
    sensitivity[1, 1], sensitivity[1, 2] = 1.0, 1.0
    suitability = np.zeros(8)
    suitability[1], suitability[2] = 1.0, 0.5
    degradation, quality = degradation_and_quality(impacts, weights, sensitivity, suitability, land_use, access, 0.5)
    assert degradation.sum(dtype=np.float64) == pytest.approx(1422.2422, abs=1e-3)
    assert quality.sum(dtype=np.float64) == pytest.approx(6961.4536, abs=1e-3)


def brute_squared_distance(mask: np.ndarray) -> np.ndarray:
    rows, cols = np.mgrid[0:mask.shape[0], 0:mask.shape[1]]
    sources = np.argwhere(mask)
    return np.min((rows[None] - sources[:, 0, None, None]) ** 2 + (cols[None] - sources[:, 1, None, None]) ** 2,
                  axis=0)


def test_distance_transform_is_exact() -> None:
    mask = np.random.default_rng(3).random((41, 57)) < 0.02
    brute = brute_squared_distance(mask)
    assert np.array_equal(squared_distance_within(mask, 0, 41, 0, 57, 98), brute)  # reach beyond the grid
    for reach in (1, 3, 6, 17):
        assert np.array_equal(squared_distance_within(mask, 0, 41, 0, 57, reach), np.minimum(brute, reach**2))
    # A window sees the sources outside it.
    assert np.array_equal(squared_distance_within(mask, 10, 30, 5, 50, 6), np.minimum(brute, 36)[10:30, 5:50])
    assert np.all(squared_distance_within(np.zeros((3, 4), dtype=bool), 0, 3, 0, 4, 2) == 4)


def test_decays_reach_zero_at_the_maximum_distance() -> None:
    mask = np.zeros((1, 12), dtype=bool)
    mask[0, 0] = True
    linear = threat_impact(mask, 4.0, 1.0, False)[0]
    exponential = threat_impact(mask, 4.0, 1.0, True)[0]
    assert linear[:6] == pytest.approx([1.0, 0.75, 0.5, 0.25, 0.0, 0.0])
    assert exponential[:6] == pytest.approx([1.0, np.exp(-2.99 / 4), np.exp(-2.99 / 2), np.exp(-2.99 * 3 / 4),
                                             np.exp(-2.99), 0.0], rel=1e-6)


def test_links_are_drawn_onto_the_cells_they_cross() -> None:
    x = np.array([12.5, 112.5])  # along row 1 of a 4 x 6 grid of 25 m cells, from column 0 to 4
    first, cells = link_cells(x[:1], np.array([37.5]), x[1:], np.array([37.5]), 0.0, 0.0, CELL_M, 4, 6)
    assert first.tolist() == [0, 5]
    assert cells.tolist() == [6, 7, 8, 9, 10]


def board(flow_veh_h: float = 0.0, height: int = 40, width: int = 40) -> dict[str, np.ndarray]:
    """Woodland with one two-way street across the middle row, no noise, clean air."""
    y = (height // 2 + 0.5) * CELL_M
    return {
        "grid_land_use": np.full((height, width), int(LandUse.WOODLAND), dtype=np.uint8),
        "grid_cell_m": np.array(CELL_M),
        "grid_origin_m": np.array([0.0, 0.0]),
        "grid_noise_laeq_dba": np.zeros((height, width), dtype=np.float32),
        "grid_no2_ug_m3": np.zeros((height, width), dtype=np.float32),
        "node_x_m": np.array([0.0, width * CELL_M]),
        "node_y_m": np.array([y, y]),
        "link_from": np.array([0, 1], dtype=np.int32),
        "link_to": np.array([1, 0], dtype=np.int32),
        "link_modes": np.full(2, int(Mode.ALL), dtype=np.uint8),
        "link_flow_veh_h": np.full(2, flow_veh_h / 2.0),
    }


def quality_after(b: dict[str, np.ndarray], module: Habitat | None = None) -> np.ndarray:
    (module or Habitat(rules()["habitat"])).step(b)
    return b["grid_habitat_quality"]


def test_busy_road_degrades_more_than_quiet_road() -> None:
    busy, quiet = quality_after(board(1000.0)), quality_after(board(50.0))
    assert busy.mean() < quiet.mean() < 1.0
    assert busy[10, 0] < quiet[10, 0] == 1.0  # 250 m away only the busy road reaches
    for q in (busy, quiet):
        assert q.dtype == np.float32 and q.min() >= 0.0 and q.max() <= 1.0


def test_built_land_noise_and_no2_lower_quality() -> None:
    clean = quality_after(board())
    built = board()
    built["grid_land_use"][:5] = int(LandUse.HOUSING)
    noisy = board()
    noisy["grid_noise_laeq_dba"][:, :5] = 60.0
    polluted = board()
    polluted["grid_no2_ug_m3"][:, -5:] = 40.0
    for other in (built, noisy, polluted):
        assert quality_after(other).mean() < clean.mean()
    assert quality_after(built)[:5].max() < 0.2 + 1e-6  # housing is habitat of 0.2 at best
    centre = board()
    centre["grid_land_use"][:] = int(LandUse.CENTRE)
    assert quality_after(centre).max() == 0.0


def test_nothing_changed_reuses_the_last_quality() -> None:
    b = board(1000.0)
    module = Habitat(rules()["habitat"])
    module.step(b)
    first = b["grid_habitat_quality"]
    module.step(b)
    assert b["grid_habitat_quality"] is first


@pytest.mark.parametrize("change", ["flow", "noise", "land_use"])
def test_a_local_change_gives_what_a_fresh_module_computes(change: str) -> None:
    b = board(1000.0, height=120, width=90)
    b["grid_noise_laeq_dba"][100:110, 10:20] = 55.0
    module = Habitat(rules()["habitat"])
    module.step(b)
    if change == "flow":
        b["link_flow_veh_h"] = np.full(2, 100.0)  # the street turns quiet
    elif change == "noise":
        b["grid_noise_laeq_dba"][100:110, 10:20] = 45.0
    else:
        b["grid_land_use"][5:8, 60:70] = int(LandUse.INDUSTRY)
    module.step(b)
    fresh = dict(b)
    del fresh["habitat_busy_link"]
    Habitat(rules()["habitat"]).step(fresh)
    for name in ("grid_habitat_quality", "grid_habitat_degradation", "indicator.habitat_quality_mean"):
        assert np.array_equal(b[name], fresh[name]), name


def street_grid(height: int, width: int, spacing: int) -> dict[str, np.ndarray]:
    """Woodland crossed by two-way streets every `spacing` cells each way."""
    b = board(0.0, height, width)
    xs = (np.arange(spacing // 2, width, spacing) + 0.5) * CELL_M
    ys = (np.arange(spacing // 2, height, spacing) + 0.5) * CELL_M
    gx, gy = np.meshgrid(xs, ys)
    nx, ny = gx.shape[1], gx.shape[0]
    ends = [(r * nx + c, r * nx + c + 1) for r in range(ny) for c in range(nx - 1)]
    ends += [(r * nx + c, (r + 1) * nx + c) for r in range(ny - 1) for c in range(nx)]
    a, z = np.array([e[0] for e in ends]), np.array([e[1] for e in ends])
    b.update(node_x_m=gx.ravel(), node_y_m=gy.ravel(), link_from=np.r_[a, z].astype(np.int32),
             link_to=np.r_[z, a].astype(np.int32), link_modes=np.full(2 * len(ends), int(Mode.ALL), np.uint8),
             link_flow_veh_h=np.full(2 * len(ends), 150.0))
    return b


def test_scattered_changes_give_what_a_fresh_module_computes() -> None:
    # Streets turning busy and quiet, noise and NO2 crossing their thresholds and land use
    # edited, in several places at once and tick after tick: windows of every size.
    rng = np.random.default_rng(11)
    b = street_grid(150, 130, 12)
    module = Habitat(rules()["habitat"])
    for tick in range(8):
        flows = b["link_flow_veh_h"].copy()
        moved = rng.random(flows.size) < (0.6 if tick == 5 else 0.04)
        flows[moved] = rng.choice([50.0, 190.0, 205.0, 400.0], moved.sum())
        b["link_flow_veh_h"] = flows
        b["grid_noise_laeq_dba"] = np.where(rng.random((150, 130)) < 0.002, 105.0 - b["grid_noise_laeq_dba"],
                                            b["grid_noise_laeq_dba"]).astype(np.float32)  # 0 <-> 105 dB
        b["grid_no2_ug_m3"] = np.where(rng.random((150, 130)) < (0.2 if tick == 6 else 0.001), 35.0,
                                       0.0).astype(np.float32)
        if tick % 3 == 2:
            land = b["grid_land_use"].copy()
            r, c = rng.integers(0, 140, 2)
            land[r:r + 4, c:c + 6] = rng.choice([int(LandUse.HOUSING), int(LandUse.PARK), int(LandUse.WATER)])
            b["grid_land_use"] = land
        fresh = dict(b)
        module.step(b)
        Habitat(rules()["habitat"]).step(fresh)
        for name in ("grid_habitat_quality", "grid_habitat_degradation", "indicator.habitat_quality_mean",
                     "habitat_busy_link"):
            assert np.array_equal(b[name], fresh[name]), (tick, name)


def test_a_street_near_the_threshold_keeps_its_class() -> None:
    p = rules()["habitat"]
    threshold = p["busy_road_flow_veh_h"]
    module = Habitat(p)
    b = board(1.01 * threshold)
    module.step(b)
    assert b["habitat_busy_link"].all()
    b["link_flow_veh_h"] = np.full(2, 0.99 * threshold / 2)
    module.step(b)
    assert b["habitat_busy_link"].all()  # inside the band: still busy
    b["link_flow_veh_h"] = np.full(2, 0.9 * threshold / 2)
    module.step(b)
    assert not b["habitat_busy_link"].any()
    fresh = board(0.99 * threshold)
    Habitat(p).step(fresh)
    assert not fresh["habitat_busy_link"].any()


def test_paths_are_no_threat() -> None:
    b = board(0.0)
    b["link_modes"][:] = int(Mode.WALK | Mode.BIKE)
    assert quality_after(b).min() == pytest.approx(1.0)


def test_same_board_same_quality() -> None:
    a, b = board(700.0), board(700.0)
    a["grid_noise_laeq_dba"][3:9, 3:9] = 52.0
    b["grid_noise_laeq_dba"][3:9, 3:9] = 52.0
    assert np.array_equal(quality_after(a), quality_after(b))


def test_rules_hold_every_threat_and_land_use() -> None:
    p = rules()
    assert {"habitat", "species", "connectivity"} <= set(p)
    for threat in THREATS:
        assert p["habitat"][f"sensitivity_{threat}"] and p["habitat"][f"{threat}_weight"] >= 0.0
    bad = dict(p["habitat"], habitat_suitability=[1.0, 0.5])
    with pytest.raises(ValueError, match="one per land use"):
        Habitat(bad)


def test_impacts_follow_the_distance_to_the_nearest_source() -> None:
    mask = np.random.default_rng(8).random((50, 60)) < 0.01
    d_m = np.sqrt(brute_squared_distance(mask)) * CELL_M
    for max_m in (25.0, 50.0, 110.0, 400.0):  # 2 to 17 cells
        expected = np.where(d_m <= max_m, 1.0 - d_m / max_m, 0.0)
        assert threat_impact(mask, max_m, CELL_M, False) == pytest.approx(expected.astype(np.float32), abs=1e-6)
        expected = np.where(d_m <= max_m, np.exp(-2.99 * d_m / max_m), 0.0)
        assert threat_impact(mask, max_m, CELL_M, True) == pytest.approx(expected.astype(np.float32), rel=1e-6)


def test_default_town() -> None:
    from agora.server.sim.connectivity import Connectivity
    from agora.server.sim.species import Species
    from agora.server.world.simulation import world_board
    from agora.server.world.world import World, resolve_world

    b = world_board(World.load(resolve_world("default")))
    b["grid_noise_laeq_dba"] = np.zeros(b["grid_land_use"].shape, dtype=np.float32)
    b["grid_no2_ug_m3"] = np.zeros(b["grid_land_use"].shape, dtype=np.float32)
    b["link_flow_veh_h"] = 0.4 * b["link_capacity_veh_h"]
    p = rules()
    modules = [Habitat(p["habitat"]), Species(p["species"]), Connectivity(p["connectivity"])]
    for m in modules:
        m.step(b)
    land_use, quality = b["grid_land_use"], b["grid_habitat_quality"]
    assert 0.2 < float(b["indicator.habitat_quality_mean"]) < 0.8
    assert quality[land_use == LandUse.WOODLAND].mean() > quality[land_use == LandUse.GRASS].mean() \
        > quality[land_use == LandUse.HOUSING].mean() > 0.0
    assert 0.0 < float(b["indicator.connectivity_pc"]) < 1.0 < float(b["indicator.connectivity_eca_ha"])
    assert float(b["indicator.species_population"]) > 1000.0
    calm = dict(b, link_flow_veh_h=0.05 * b["link_capacity_veh_h"])
    del calm["habitat_busy_link"]
    Habitat(p["habitat"]).step(calm)
    assert float(calm["indicator.habitat_quality_mean"]) > float(b["indicator.habitat_quality_mean"])
