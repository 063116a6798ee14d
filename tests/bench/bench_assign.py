"""Equilibrium assignment: time to a relative gap, Algorithm B beside Frank-Wolfe.

    python tests/bench/run.py assign

Two networks: Sioux Falls (TNTP) and a generated network of Chicago-Sketch's size
(synthetic_network.py: 933 nodes, 2,950 links, 387 zones, 1.1 million trips). Each case
runs with Algorithm B (the default), bi-conjugate Frank-Wolfe and plain Frank-Wolfe, so
the ratios read in one run; the Frank-Wolfe runs are capped in iterations (the detail
says where they stopped) and run fewer times, so the whole benchmark takes a few
minutes. Closures: the busiest street link and a street link of median flow, each
re-equilibrated from scratch (cold) and from the equilibrium before the closure (warm,
with the bushes that came with it), to 1e-4. Timings are medians after a warm-up run.
"""

from __future__ import annotations

import importlib.util
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from agora.server.sim.paths import forward_star
from agora.server.sim.traffic import Assignment, assign
from agora.server.world.tntp import read_net, read_trips

HERE = Path(__file__).resolve().parent
SIOUX_FALLS = HERE.parents[1].parent / "shared" / "data" / "tntp" / "SiouxFalls"
RUNS = {"algorithm_b": 7, "bfw": 3, "fw": 1}
# Iteration caps that keep each Frank-Wolfe run to a few seconds on the large network.
CAP = {"algorithm_b": 10_000, "bfw": 300, "fw": 300}


def _synthetic() -> Any:
    spec = importlib.util.spec_from_file_location("synthetic_network", HERE / "synthetic_network.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


class Case:
    """One network and the solve call for it."""

    def __init__(self, name: str, args: tuple[Any, ...], first_thru_node: int, n_nodes: int,
                 link_from: np.ndarray, link_to: np.ndarray) -> None:
        self.name = name
        self.args = args
        self.first_thru_node = first_thru_node
        self.star = forward_star(n_nodes, link_from, link_to)

    def solve(self, method: str, gap: float, usable: np.ndarray | None = None, **kwargs: Any) -> Assignment:
        args = list(self.args)
        args[7] = usable
        return assign(*args, first_thru_node=self.first_thru_node, target_gap=gap, star=self.star,
                      method=method, max_iter=kwargs.pop("max_iter", CAP[method]), **kwargs)


def _row(case: Case, label: str, method: str, gap: float, target: str = "", runs: int | None = None,
         **kwargs: Any) -> dict[str, object]:
    result = case.solve(method, gap, **kwargs)  # warm-up: JIT compilation or cache load
    times = []
    for _ in range(runs or RUNS[method]):
        started = time.perf_counter()
        result = case.solve(method, gap, **kwargs)
        times.append((time.perf_counter() - started) * 1000.0)
    reached = "" if result.relative_gap <= gap else f", stopped at the cap of {CAP[method]}"
    detail = f"{result.iterations} iterations, gap {result.relative_gap:.2e}{reached}"
    if target:
        detail += f"; target {target}"
    return {"benchmark": f"assign/{method}", "case": f"{case.name}, {label}", "median_ms": statistics.median(times),
            "runs": runs or RUNS[method], "detail": detail}


def _closures(case: Case, street: np.ndarray, base: dict[str, Assignment], target: str) -> list[dict[str, object]]:
    flow = base["algorithm_b"].flow_veh_h
    ranked = street[np.argsort(-flow[street])]
    rows = []
    for what, link in (("busiest street link", int(ranked[0])), ("median street link", int(ranked[len(ranked) // 2]))):
        usable = np.ones(flow.shape[0], dtype=bool)
        usable[link] = False
        for method in ("algorithm_b", "bfw"):
            cold = _row(case, f"{what} closed, cold, gap 1e-04", method, 1e-4, usable=usable)
            warm_kwargs: dict[str, Any] = {"warm": base[method].origin_flow_veh_h}
            if method == "algorithm_b":
                warm_kwargs["warm_bushes"] = base[method].bushes
            warm = _row(case, f"{what} closed, warm, gap 1e-04", method, 1e-4, usable=usable, **warm_kwargs)
            ratio = float(cold["median_ms"]) / float(warm["median_ms"])  # type: ignore[arg-type]
            warm["detail"] = f"{warm['detail']}; {ratio:.1f}x faster than cold"
            if target and method == "algorithm_b":
                warm["detail"] = f"{warm['detail']}, target {target}"
            rows += [cold, warm]
    return rows


def run() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    net = read_net(SIOUX_FALLS / "SiouxFalls_net.tntp")
    trips = read_trips(SIOUX_FALLS / "SiouxFalls_trips.tntp")
    sioux = Case("Sioux Falls", (net.n_nodes, net.init_node, net.term_node, net.free_flow_time, net.capacity,
                                 net.b, net.power, None, np.arange(net.n_zones, dtype=np.int32), trips.demand),
                 net.first_thru_node, net.n_nodes, net.init_node, net.term_node)
    for gap in (1e-4, 1e-6, 1e-8):
        for method in ("algorithm_b", "bfw", "fw"):
            if method == "fw" and gap < 1e-4:
                continue
            rows.append(_row(sioux, f"gap {gap:.0e}", method, gap, "<= 10 ms" if gap == 1e-6 and method == "algorithm_b" else "",
                             max_iter=10_000 if method != "fw" else 3000))
    base = {method: sioux.solve(method, 1e-4, max_iter=10_000) for method in ("algorithm_b", "bfw")}
    rows += _closures(sioux, np.arange(net.init_node.shape[0]), base, "")

    synthetic = _synthetic()
    big = synthetic.generate()
    chicago = Case("Chicago-size", big.assign_args(), big.first_thru_node, big.n_nodes, big.link_from, big.link_to)
    targets = {1e-4: "<= 300 ms", 1e-6: "<= 1000 ms", 1e-8: "<= 2000 ms"}
    for gap in (1e-4, 1e-6, 1e-8):
        rows.append(_row(chicago, f"gap {gap:.0e}", "algorithm_b", gap, targets[gap], runs=5))
        if gap == 1e-4:
            rows.append(_row(chicago, f"gap {gap:.0e}", "bfw", gap))
            rows.append(_row(chicago, f"gap {gap:.0e}", "fw", gap))
        if gap == 1e-6:
            rows.append(_row(chicago, f"gap {gap:.0e}", "bfw", gap, runs=1))
    base = {method: chicago.solve(method, 1e-4) for method in ("algorithm_b", "bfw")}
    street = np.flatnonzero(big.link_class != synthetic.CONNECTOR)
    rows += _closures(chicago, street, base, "<= 1/10 of cold")
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
