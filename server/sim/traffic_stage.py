"""Pipeline module for car traffic: a few warm-started equilibrium iterations a tick."""

from __future__ import annotations

import numpy as np

from agora.server.sim.assignment_arrays import Bushes
from agora.server.sim.paths import forward_star
from agora.server.sim.pipeline import Board
from agora.server.sim.traffic import assign


BUSH_ARRAYS = ("bush_order", "bush_n_order", "bush_in_start", "bush_in_link")


class Traffic:
    """Static user equilibrium of the peak-hour car trips, carried from tick to tick.

    Each tick runs at most `iterations_per_tick` rounds of Algorithm B (Dial 2006) from the
    last tick's per-origin flows and bushes (none once the gap is below the target). After
    a closure only the bushes through the closed links are repaired, so traffic finds its
    way round within a tick or two. The bushes are on the board, not in this object: the
    flows' exact bits depend on them, so snapshots and replays must carry them.
    """

    name = "traffic"
    inputs = ("node_x_m", "link_length_m", "link_from", "link_to", "link_free_time_min", "link_capacity_veh_h",
              "link_car_usable", "link_toll_eur", "zone_node", "od_car_trips_h")
    outputs = ("origin_flow_veh_h", "link_flow_veh_h", "link_time_min", "traffic_relative_gap",
               "traffic_iterations", "unserved_trips", "link_congested_speed_kmh", *BUSH_ARRAYS)

    def __init__(self, bpr_alpha: float, bpr_beta: float, iterations_per_tick: int, target_gap: float,
                 value_of_time_eur_h: float) -> None:
        self.alpha = bpr_alpha
        self.eur_per_min = value_of_time_eur_h / 60.0
        self.beta = bpr_beta
        self.iterations_per_tick = iterations_per_tick
        self.target_gap = target_gap
        self._star: tuple[np.ndarray, np.ndarray] | None = None
        self._topology: tuple[int, int] = (-1, -1)

    def step(self, board: Board) -> None:
        n_nodes = board["node_x_m"].shape[0]
        n_links = board["link_from"].shape[0]
        # Closures only change `usable`; a new road changes the topology and the star.
        if self._star is None or self._topology != (n_nodes, n_links):
            self._star = forward_star(n_nodes, board["link_from"], board["link_to"])
            self._topology = (n_nodes, n_links)
        warm = board.get("origin_flow_veh_h")
        bushes = Bushes(*(board[name] for name in BUSH_ARRAYS)) if BUSH_ARRAYS[0] in board else None
        if warm is not None and warm.shape[1] < n_links:  # new links start empty, bushes anew
            warm = np.pad(warm, ((0, 0), (0, n_links - warm.shape[1])))
            bushes = None
        result = assign(
            n_nodes, board["link_from"], board["link_to"], board["link_free_time_min"],
            board["link_capacity_veh_h"], self.alpha, self.beta, board["link_car_usable"],
            board["zone_node"], board["od_car_trips_h"],
            target_gap=self.target_gap, max_iter=self.iterations_per_tick,
            warm=warm, warm_bushes=bushes, star=self._star,
            generalised_extra=board["link_toll_eur"] / self.eur_per_min,
        )
        board["origin_flow_veh_h"] = result.origin_flow_veh_h
        board["link_flow_veh_h"] = result.flow_veh_h
        board["link_time_min"] = result.time_min
        board["link_congested_speed_kmh"] = board["link_length_m"] / 1000.0 / np.maximum(result.time_min, 1e-9) * 60.0
        board["traffic_relative_gap"] = np.array(result.relative_gap)
        board["traffic_iterations"] = np.array(result.iterations)
        board["unserved_trips"] = np.array(result.unserved_trips)
        if result.bushes is not None:
            for name, array in zip(BUSH_ARRAYS, result.bushes):
                board[name] = array
