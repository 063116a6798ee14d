"""What traffic does to the city, per tick: emissions, air, noise and habitats.

Targets (issue 4): 30 ms or less per tick on a 512 x 512 grid with 20,000 links, 5 ms or
less on the default world, after warm-up. Cases:
- steady: traffic as on the tick before (what most ticks of a session are);
- some roads moved: 5% of the links' flows change by a tenth (a closure's ripple);
- every road moved: all flows change by a quarter (the turn of a simulated hour).
On the default world the traffic is the model's own (a real closure of the busiest street);
on the large world it is made up (tests/bench/large_world.py). The environment modules are
those the registry knows among ENVIRONMENT; the traffic model is not timed here.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from large_world import environment_board, large_world  # noqa: E402

from agora.server.sim.pipeline import Board, Module  # noqa: E402
from agora.server.world.simulation import MODULES, Simulation, model_parameters  # noqa: E402
from agora.server.world.world import World, resolve_world  # noqa: E402

ENVIRONMENT = ("fleet", "emissions", "noise", "noise_map", "air", "habitat", "species", "connectivity")
RUNS = 7


def _modules() -> list[Module]:
    params = model_parameters()
    return [MODULES[name](dict(params.get(name, {}))) for name in ENVIRONMENT if name in MODULES]


def _time(modules: list[Module], board: Board, before: Callable[[int], None]) -> tuple[float, dict[str, float]]:
    totals: list[float] = []
    per_module: dict[str, list[float]] = {m.name: [] for m in modules}
    for run in range(RUNS):
        before(run)
        start = time.perf_counter()
        for module in modules:
            t0 = time.perf_counter()
            module.step(board)
            per_module[module.name].append(time.perf_counter() - t0)
        totals.append(time.perf_counter() - start)
    return statistics.median(totals) * 1000.0, {k: statistics.median(v) * 1000.0 for k, v in per_module.items()}


def _row(world: str, case: str, total_ms: float, parts: dict[str, float], target: str) -> dict[str, object]:
    slowest = sorted(parts.items(), key=lambda kv: -kv[1])[:3]
    detail = ", ".join(f"{k} {v:.2f}" for k, v in slowest) + f"; target {target}"
    return {"benchmark": "environment tick", "case": f"{world}: {case}", "median_ms": total_ms, "runs": RUNS,
            "detail": detail}


def _large() -> list[dict[str, object]]:
    world = large_world()
    board = environment_board(world)
    modules = _modules()
    base = board["link_flow_veh_h"].copy()
    rng = np.random.default_rng(7)
    for module in modules:  # warm-up: compile or load, spin up
        module.step(board)
    rows = []

    def steady(run: int) -> None:
        pass

    def some(run: int) -> None:
        moved = rng.random(base.shape[0]) < 0.05
        board["link_flow_veh_h"] = np.where(moved, board["link_flow_veh_h"] * (1.1 if run % 2 else 1 / 1.1),
                                            board["link_flow_veh_h"])

    def every(run: int) -> None:
        board["link_flow_veh_h"] = base * (0.75 if run % 2 else 1.0)

    for case, before in (("steady", steady), ("5% of roads moved", some), ("every road moved", every)):
        total, parts = _time(modules, board, before)
        rows.append(_row("512x512, 19,880 links", case, total, parts, "30 ms"))
    return rows


def _default() -> list[dict[str, object]]:
    sim = Simulation(World.load(resolve_world("default")))
    for _ in range(4):
        sim.step()
    modules = [m for m in sim.pipeline.modules if m.name in ENVIRONMENT]
    board = sim.board
    settled = {name: board[name].copy() for name in ("link_flow_veh_h", "link_congested_speed_kmh")}
    busiest = int(np.argmax(board["link_flow_veh_h"]))
    twin = int(sim.world.network.twin[busiest])
    sim.set_closed([k for k in (busiest, twin) if k >= 0], True)
    sim.step()
    sim.step()
    closed = {name: board[name].copy() for name in settled}
    rows = []

    def steady(run: int) -> None:
        board.update({k: v.copy() for k, v in closed.items()})

    def closure(run: int) -> None:
        board.update({k: v.copy() for k, v in (closed if run % 2 else settled).items()})

    for case, before in (("steady", steady), ("busiest street closed and reopened", closure)):
        total, parts = _time(modules, board, before)
        rows.append(_row("default", case, total, parts, "5 ms"))
    return rows


def run() -> list[dict[str, object]]:
    return _default() + _large()


if __name__ == "__main__":
    for row in run():
        print(row)
