"""Who drives on each link besides the assigned cars: heavy goods vehicles and buses.

The travel model assigns the trips people make by car. Goods traffic is not modelled as
trips; it follows the roads' car traffic in a fixed proportion per road class (rules/
models.toml [fleet], with the source), so that a street that loses its cars loses its
lorries too. Buses run every line's route at its headway. Emissions and noise read both.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from agora.server.sim.pipeline import Board
from agora.server.world.types import RoadClass


def bus_veh_h(n_links: int, line_first: np.ndarray, line_link: np.ndarray, line_headway_min: np.ndarray) -> np.ndarray:
    """Buses per hour on each link (float64[L]) from the lines' routes and headways."""
    per_line = 60.0 / line_headway_min
    counts = np.repeat(per_line, np.diff(line_first))
    return np.bincount(line_link, weights=counts, minlength=n_links).astype(np.float64)


def heavy_goods_veh_h(car_veh_h: np.ndarray, road_class: np.ndarray, heavy_share_by_class: np.ndarray) -> np.ndarray:
    """Heavy goods vehicles per hour (float64[L]): a share s of all motor traffic on a road
    of that class, so s / (1 - s) lorries for every assigned car."""
    share = heavy_share_by_class[road_class]
    out: np.ndarray = car_veh_h * share / (1.0 - share)
    return out


class Fleet:
    """Pipeline module: `link_hgv_veh_h` and `link_bus_veh_h` (float64[L], vehicles per hour)."""

    name = "fleet"
    inputs = ("link_flow_veh_h", "link_road_class", "line_first", "line_link", "line_headway_min")
    outputs = ("link_hgv_veh_h", "link_bus_veh_h")

    def __init__(self, p: dict[str, Any]) -> None:
        shares = np.array([p["heavy_share_by_class"][c.name.lower()] for c in RoadClass], dtype=np.float64)
        if np.any(shares < 0.0) or np.any(shares >= 1.0):
            raise ValueError(f"heavy goods shares must lie in [0, 1), not {shares.tolist()}")
        self.shares = shares

    def step(self, board: Board) -> None:
        flow = board["link_flow_veh_h"]
        board["link_hgv_veh_h"] = heavy_goods_veh_h(flow, board["link_road_class"], self.shares)
        board["link_bus_veh_h"] = bus_veh_h(flow.shape[0], board["line_first"], board["line_link"],
                                            board["line_headway_min"])
