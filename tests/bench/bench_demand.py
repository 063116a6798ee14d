"""The demand model on the default world: a full recompute, its parts, and the ticks around it."""

from __future__ import annotations

import itertools
import statistics
import time
from typing import Callable

import numpy as np

from agora.server.sim.demand import Demand, DemandParameters, _static, daily_demand, trips_in_hour
from agora.server.world.simulation import Simulation, model_parameters, world_board
from agora.server.world.world import World, resolve_world

RUNS = 9


def _median_ms(work: Callable[[], object], runs: int = RUNS) -> float:
    work()  # warm-up: JIT compilation or cache load
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000.0)
    return statistics.median(times)


def run() -> list[dict[str, object]]:
    world = World.load(resolve_world("default"))
    board = world_board(world)
    p = DemandParameters.from_mapping(model_parameters()["demand"])
    size = f"{world.network.n_links} links, {world.n_zones} zones, {world.lines.n_lines} bus routes"
    static = _static(p, board)
    congested = board["link_free_time_min"] * 1.3
    daily = daily_demand(p, static, board, congested)
    # Other car times on every call, so that no skim is reused.
    times = (board["link_free_time_min"] * (1.3 + 0.01 * k) for k in itertools.count())

    def row(benchmark: str, case: str, median_ms: float, detail: str = size) -> dict[str, object]:
        return {"benchmark": benchmark, "case": case, "median_ms": median_ms, "runs": RUNS, "detail": detail}

    rows = [
        row("demand/network", "default world: walk and bike skims, bus graph, trip ends",
            _median_ms(lambda: _static(p, board))),
        row("demand/recompute", "default world, congestion moved: car and bus skims, mode choice, 5 gravity models",
            _median_ms(lambda: daily_demand(p, static, board, next(times)))),
        row("demand/hour", "default world: one hour's trips by mode from the day's",
            _median_ms(lambda: trips_in_hour(daily, p.from_home[:, 8], p.to_home[:, 8]))),
    ]

    # Whole ticks: the steady state, and the tick after a closure (demand and traffic both redo).
    sim = Simulation(world.copy())
    for _ in range(10):
        sim.step()
    steady: list[float] = []
    closure: list[float] = []
    street = int(sim.link_flow_veh_h().argmax())
    twin = int(sim.world.network.twin[street])
    links = [street] + ([twin] if twin >= 0 else [])
    demand = sim.pipeline.modules[0]
    assert isinstance(demand, Demand)
    for k in range(2 * RUNS):
        timings: dict[str, float] = {}
        if k % 2 == 1:
            sim.set_closed(links, closed=not bool(sim.world.network.closed[street]))
        sim.step(timings)
        ms = (timings["demand"] + timings["traffic"]) * 1000.0
        (closure if k % 2 == 1 else steady).append(ms)
    shares = ", ".join(f"{m} {s:.1%}" for m, s in zip(("car", "pt", "bike", "walk"), sim.board["mode_share"]))
    detail = f"{size}; at 8 h {float(np.sum(sim.board['od_car_trips_h'])):.0f} car trips/h; {shares}"
    rows.append(row("tick/demand+traffic", "default world, steady", statistics.median(steady), detail))
    rows.append(row("tick/demand+traffic", "default world, closure toggled (demand recomputed)",
                    statistics.median(closure), f"{demand.recomputes} recomputes in {2 * RUNS + 10} ticks"))
    return rows


if __name__ == "__main__":
    for r in run():
        print(r)
