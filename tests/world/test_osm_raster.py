"""Polygons and lines drawn onto cells, and the strong components of a street graph."""

from __future__ import annotations

import numpy as np
import pytest

from agora.server.world.osm_network import components
from agora.server.world.osm_raster import draw_lines, fill_polygons, label_regions, polygons_to_arrays


def ring(x0: float, y0: float, x1: float, y1: float) -> tuple[np.ndarray, np.ndarray]:
    return np.array([x0, x1, x1, x0, x0]), np.array([y0, y0, y1, y1, y0])


def fill(polygons: list[list[tuple[np.ndarray, np.ndarray]]], weights: list[float], cell_m: float = 10.0,
         samples: int = 4, shape: tuple[int, int] = (10, 10)) -> np.ndarray:
    out = np.zeros((1, *shape))
    x, y, ring_first, polygon_first = polygons_to_arrays(polygons)
    fill_polygons(x, y, ring_first, polygon_first, np.zeros(len(polygons), np.int64), np.array(weights),
                  cell_m, samples, out)
    return out[0]


def test_a_square_covers_its_cells_and_their_share() -> None:
    share = fill([[ring(10.0, 20.0, 40.0, 30.0)]], [1.0])
    assert share.sum() == pytest.approx(3.0)  # 30 x 10 m over cells of 100 m2
    assert share[2, 1:4].tolist() == [1.0, 1.0, 1.0]  # row 2 is y 20-30 m (row 0 south)
    half = fill([[ring(5.0, 0.0, 15.0, 10.0)]], [1.0])
    assert half[0, 0] == pytest.approx(0.5) and half[0, 1] == pytest.approx(0.5)


def test_a_hole_and_a_weight() -> None:
    courtyard = [ring(0.0, 0.0, 60.0, 60.0), ring(20.0, 20.0, 40.0, 40.0)]
    floor = fill([courtyard], [5.0 * 100.0])  # five storeys: m2 of floor per cell
    assert floor.sum() == pytest.approx(5.0 * (3600.0 - 400.0))
    assert floor[2, 2] == 0.0 and floor[0, 0] == 500.0


def test_a_polygon_beyond_the_grid_is_cut() -> None:
    share = fill([[ring(-50.0, -50.0, 15.0, 15.0)]], [1.0], shape=(3, 3))
    assert share.sum() == pytest.approx(2.25)


def test_lines_leave_no_gap_for_a_four_connected_fill() -> None:
    wall = draw_lines(np.array([0.0]), np.array([0.0]), np.array([100.0]), np.array([100.0]), 10.0, (10, 10))
    regions = label_regions(~wall)
    assert regions[0, 9] >= 0 and regions[9, 0] >= 0 and regions[0, 9] != regions[9, 0]


def test_strong_components() -> None:
    # 0 <-> 1 -> 2 <-> 3, and 4 alone: three components of two, two and one.
    label = components(5, np.array([0, 1, 1, 2, 3]), np.array([1, 0, 2, 3, 2]))
    assert label[0] == label[1] and label[2] == label[3] and label[1] != label[2]
    assert len(set(label.tolist())) == 3
