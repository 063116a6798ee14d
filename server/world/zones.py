"""Demand zones and where their trips start and end on the road network."""

from __future__ import annotations

import numpy as np

from agora.server.world.world import Network


def zone_nodes(network: Network, zone: np.ndarray, activity: np.ndarray, cell_m: float) -> np.ndarray:
    """Per zone the car node (links in and out) nearest its activity-weighted centre (int32[Z])."""
    car = network.car_usable()
    has_out = np.zeros(network.n_nodes, dtype=bool)
    has_out[network.link_from[car]] = True
    has_in = np.zeros(network.n_nodes, dtype=bool)
    has_in[network.link_to[car]] = True
    candidates = np.nonzero(has_out & has_in)[0]
    rows, cols = np.nonzero(zone >= 0)
    z = zone[rows, cols]
    weight = activity[rows, cols].astype(np.float64)
    n_zones = int(zone.max()) + 1
    total = np.bincount(z, weights=weight, minlength=n_zones)
    cx = np.bincount(z, weights=weight * (cols + 0.5) * cell_m, minlength=n_zones) / total
    cy = np.bincount(z, weights=weight * (rows + 0.5) * cell_m, minlength=n_zones) / total
    dx = network.node_x_m[candidates][None, :] - cx[:, None]
    dy = network.node_y_m[candidates][None, :] - cy[:, None]
    nearest: np.ndarray = candidates[np.argmin(dx * dx + dy * dy, axis=1)].astype(np.int32)
    return nearest
