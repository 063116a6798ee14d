"""The headline numbers a room of people argues about, from the traffic outputs."""

from __future__ import annotations

import numpy as np

from agora.server.sim.pipeline import Board

INDICATORS = ("vehicle_hours", "vehicle_km", "mean_trip_min", "car_trips", "unserved_trips", "relative_gap")
# Written by the emissions module when the world runs it.
EMISSION_INDICATORS = ("co2_kg_h", "nox_kg_h", "pm25_kg_h")


def traffic_indicators(
    flow_veh_h: np.ndarray, time_min: np.ndarray, length_m: np.ndarray, served_trips: float
) -> tuple[float, float, float]:
    """(vehicle-hours, vehicle-km, mean trip minutes) of one hour of assigned car flow."""
    vehicle_minutes = float(np.dot(flow_veh_h, time_min))
    vehicle_km = float(np.dot(flow_veh_h, length_m)) / 1000.0
    mean_trip_min = vehicle_minutes / served_trips if served_trips > 0.0 else 0.0
    return vehicle_minutes / 60.0, vehicle_km, mean_trip_min


class Indicators:
    """Pipeline module: writes `indicator.<name>` scalars (0-d float64 arrays)."""

    name = "indicators"
    inputs = ("link_flow_veh_h", "link_time_min", "link_length_m", "od_car_trips_h",
              "unserved_trips", "traffic_relative_gap")
    outputs = tuple(f"indicator.{name}" for name in INDICATORS)

    def step(self, board: Board) -> None:
        trips = float(board["od_car_trips_h"].sum() - np.trace(board["od_car_trips_h"]))
        unserved = float(board["unserved_trips"])
        hours, km, mean_min = traffic_indicators(
            board["link_flow_veh_h"], board["link_time_min"], board["link_length_m"], trips - unserved
        )
        values = {
            "vehicle_hours": hours,
            "vehicle_km": km,
            "mean_trip_min": mean_min,
            "car_trips": trips,
            "unserved_trips": unserved,
            "relative_gap": float(board["traffic_relative_gap"]),
        }
        for name, value in values.items():
            board[f"indicator.{name}"] = np.array(value)
