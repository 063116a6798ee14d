"""Tick time per simulation module on the default world."""

from __future__ import annotations

import statistics

from agora.server.world.simulation import Simulation
from agora.server.world.world import World, resolve_world

TICKS = 50


def _measure(closure_every: int | None) -> dict[str, list[float]]:
    sim = Simulation(World.load(resolve_world("default")))
    for _ in range(5):  # warm-up: JIT, demand, first equilibrium
        sim.step()
    street = int(sim.link_flow_veh_h().argmax())
    times: dict[str, list[float]] = {}
    for t in range(TICKS):
        if closure_every and t % closure_every == 0:
            sim.set_closed([street], closed=not bool(sim.world.network.closed[street]))
        timings: dict[str, float] = {}
        sim.step(timings)
        for name, seconds in timings.items():
            times.setdefault(name, []).append(seconds * 1000.0)
        times.setdefault("tick (all modules)", []).append(sum(timings.values()) * 1000.0)
    return times


def _first_tick(runs: int = 7) -> dict[str, list[float]]:
    """The session's first tick: demand from the skim, then a cold assignment."""
    Simulation(World.load(resolve_world("default"))).step()  # JIT warm-up
    times: dict[str, list[float]] = {}
    for _ in range(runs):
        sim = Simulation(World.load(resolve_world("default")))
        timings: dict[str, float] = {}
        sim.step(timings)
        for name, seconds in timings.items():
            times.setdefault(name, []).append(seconds * 1000.0)
    return times


def run() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    world = World.load(resolve_world("default"))
    size = f"{world.grid.shape[1]}x{world.grid.shape[0]} cells, {world.network.n_links} links, {world.n_zones} zones"
    for name, values in _first_tick().items():
        rows.append({"benchmark": f"tick/{name}", "case": "default world, first tick",
                     "median_ms": statistics.median(values), "runs": len(values), "detail": size})
    for case, every in (("steady", None), ("closure toggled every 5 ticks", 5)):
        for name, values in _measure(every).items():
            rows.append({"benchmark": f"tick/{name}", "case": f"default world, {case}",
                         "median_ms": statistics.median(values), "runs": len(values), "detail": size})
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
