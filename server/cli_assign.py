"""`agora assign`: user-equilibrium assignment of a TNTP network and trip table.

    agora assign SiouxFalls_net.tntp SiouxFalls_trips.tntp --gap 1e-5 --out flows.csv

Prints the iterations, the relative gap, the seconds taken and the total system travel
time; with --out, writes one CSV row per link (from,to,flow,cost) with the file's
1-based node numbers and the cost in the file's time unit. Exits 2 on a bad file.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from typing import Any

import numpy as np

from agora.server.sim.traffic import assign, total_travel_time
from agora.server.world.tntp import TntpError, read_net, read_trips


def add_parser(subparsers: Any) -> None:
    """Register the `assign` subcommand on an argparse subparsers object."""
    parser = subparsers.add_parser(
        "assign",
        help="static user-equilibrium assignment of a TNTP network",
        description="Assign a TNTP trip table to a TNTP network (BPR link times, bi-conjugate Frank-Wolfe).",
    )
    parser.add_argument("net", help="network file (*_net.tntp)")
    parser.add_argument("trips", help="trip table (*_trips.tntp)")
    parser.add_argument("--gap", type=float, default=1e-4, help="target relative gap (default 1e-4)")
    parser.add_argument("--max-iter", type=int, default=1000, help="iteration limit (default 1000)")
    parser.add_argument("--out", help="write link flows and costs to this CSV file")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        net = read_net(args.net)
        trips = read_trips(args.trips)
        if trips.n_zones != net.n_zones:
            raise TntpError(args.trips, None, f"expected {net.n_zones} zones as in {args.net}, found {trips.n_zones}")
        started = time.perf_counter()
        result = assign(
            net.n_nodes, net.init_node, net.term_node, net.free_flow_time, net.capacity,
            net.b, net.power, None, np.arange(net.n_zones, dtype=np.int32), trips.demand,
            first_thru_node=net.first_thru_node, target_gap=args.gap, max_iter=args.max_iter,
        )
        seconds = time.perf_counter() - started
    except (OSError, ValueError) as error:
        # TntpError is a ValueError; assign raises ValueError for values it cannot use.
        print(f"agora assign: {error}", file=sys.stderr)
        return 2

    if args.out:
        try:
            _write_csv(args.out, net.init_node, net.term_node, result.flow_veh_h, result.time_min)
        except OSError as error:
            print(f"agora assign: {error}", file=sys.stderr)
            return 2
    print(f"iterations: {result.iterations}")
    print(f"relative gap: {result.relative_gap:.3e}")
    print(f"seconds: {seconds:.3f}")
    print(f"total system travel time: {total_travel_time(result.time_min, result.flow_veh_h):.6f}")
    if result.unserved_trips > 0.0:
        print(f"unserved trips (no path): {result.unserved_trips:.6g}")
    return 0


def _write_csv(
    path: str, init_node: np.ndarray, term_node: np.ndarray, flow: np.ndarray, cost: np.ndarray
) -> None:
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["from", "to", "flow", "cost"])
        for i in range(init_node.shape[0]):
            # repr keeps every digit, so the file round-trips to the same floats.
            writer.writerow([int(init_node[i]) + 1, int(term_node[i]) + 1, repr(float(flow[i])), repr(float(cost[i]))])
