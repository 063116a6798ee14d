"""Equilibrium assignment on Sioux Falls: time to a relative gap, cold and warm-started."""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from agora.server.sim.paths import forward_star
from agora.server.sim.traffic import Assignment, assign
from agora.server.world.tntp import read_net, read_trips

SIOUX_FALLS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "tntp" / "SiouxFalls"
RUNS = 7


def run() -> list[dict[str, object]]:
    net = read_net(SIOUX_FALLS / "SiouxFalls_net.tntp")
    trips = read_trips(SIOUX_FALLS / "SiouxFalls_trips.tntp")
    star = forward_star(net.n_nodes, net.init_node, net.term_node)
    zones = np.arange(net.n_zones, dtype=np.int32)

    def solve(gap: float, **kwargs: Any) -> Assignment:
        return assign(
            net.n_nodes, net.init_node, net.term_node, net.free_flow_time, net.capacity, net.b,
            net.power, kwargs.pop("usable", None), zones, trips.demand,
            first_thru_node=net.first_thru_node, target_gap=gap, max_iter=10_000, star=star, **kwargs,
        )

    def measure(case: str, gap: float, **kwargs: Any) -> dict[str, object]:
        result = solve(gap, **kwargs)  # warm-up: JIT compilation or cache load
        times = []
        for _ in range(RUNS):
            started = time.perf_counter()
            result = solve(gap, **kwargs)
            times.append((time.perf_counter() - started) * 1000.0)
        return {
            "benchmark": "assign/bfw", "case": case, "median_ms": statistics.median(times), "runs": RUNS,
            "detail": f"{result.iterations} iterations, gap {result.relative_gap:.2e}",
        }

    rows = [measure(f"Sioux Falls, gap {gap:.0e}", gap) for gap in (1e-4, 1e-6)]
    base = solve(1e-4)
    usable = np.ones(net.init_node.shape[0], dtype=bool)
    usable[int(np.argmax(base.flow_veh_h))] = False
    rows.append(measure("Sioux Falls, busiest link closed, cold, gap 1e-04", 1e-4, usable=usable))
    rows.append(measure("Sioux Falls, busiest link closed, warm, gap 1e-04", 1e-4, usable=usable,
                        warm=base.origin_flow_veh_h))
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
