"""`agora assign`: user-equilibrium assignment of a TNTP network and trip table.

    agora assign SiouxFalls_net.tntp SiouxFalls_trips.tntp --gap 1e-6 --out flows.csv
    agora assign ChicagoSketch_net.tntp ChicagoSketch_trips.tntp --toll-factor 0.02 --distance-factor 0.04

Route choice uses the generalised cost BPR time + A * toll + B * length (A from
--toll-factor, B from --distance-factor, toll and length from the net file), as some
networks' documentation prescribes. Prints the iterations, the seconds taken, the
relative gap recomputed from the final link flows alone (a fresh all-or-nothing at
their costs, not the solver's own figure) and the total system travel time; with --out,
writes one CSV row per link (from,to,flow,cost) with the file's 1-based node numbers and
the BPR time in the file's time unit. Exits 2 on a bad file or bad values.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from typing import Any

import numpy as np

from agora.server.sim.paths import all_or_nothing, forward_star
from agora.server.sim.traffic import METHODS, assign, bpr_time, total_travel_time
from agora.server.world.tntp import TntpError, TntpNetwork, read_net, read_trips


def add_parser(subparsers: Any) -> None:
    """Register the `assign` subcommand on an argparse subparsers object."""
    parser = subparsers.add_parser(
        "assign",
        help="static user-equilibrium assignment of a TNTP network",
        description="Assign a TNTP trip table to a TNTP network (BPR link times; Algorithm B by default).",
    )
    parser.add_argument("net", help="network file (*_net.tntp)")
    parser.add_argument("trips", help="trip table (*_trips.tntp)")
    parser.add_argument("--gap", type=float, default=1e-4, help="target relative gap (default 1e-4)")
    parser.add_argument("--max-iter", type=int, default=1000, help="iteration limit (default 1000)")
    parser.add_argument("--toll-factor", type=float, default=0.0, metavar="A",
                        help="generalised cost per unit of toll, in time units (default 0)")
    parser.add_argument("--distance-factor", type=float, default=0.0, metavar="B",
                        help="generalised cost per unit of length, in time units (default 0)")
    parser.add_argument("--method", choices=METHODS, default=METHODS[0],
                        help=f"algorithm (default {METHODS[0]})")
    parser.add_argument("--out", help="write link flows and costs to this CSV file")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        net = read_net(args.net)
        trips = read_trips(args.trips)
        if trips.n_zones != net.n_zones:
            raise TntpError(args.trips, None, f"expected {net.n_zones} zones as in {args.net}, found {trips.n_zones}")
        extra = args.toll_factor * net.toll + args.distance_factor * net.length
        if not np.all(extra >= 0.0):
            raise ValueError("toll factor * toll + distance factor * length must be >= 0 on every link")
        zones = np.arange(net.n_zones, dtype=np.int32)
        started = time.perf_counter()
        result = assign(
            net.n_nodes, net.init_node, net.term_node, net.free_flow_time, net.capacity,
            net.b, net.power, None, zones, trips.demand, first_thru_node=net.first_thru_node,
            target_gap=args.gap, max_iter=args.max_iter, generalised_extra=extra, method=args.method,
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
    gap = recomputed_gap(net, trips.demand, result.flow_veh_h, extra)
    print(f"method: {args.method}")
    print(f"iterations: {result.iterations}")
    print(f"relative gap: {gap:.3e} (recomputed from the link flows; the solver measured {result.relative_gap:.3e})")
    print(f"seconds: {seconds:.3f}")
    print(f"total system travel time: {total_travel_time(result.time_min, result.flow_veh_h):.6f}")
    if result.unserved_trips > 0.0:
        print(f"unserved trips (no path): {result.unserved_trips:.6g}")
    return 0


def recomputed_gap(net: TntpNetwork, demand: np.ndarray, flow: np.ndarray, extra: np.ndarray) -> float:
    """Relative gap (c.x - c.y) / c.x of link flows x alone, as AequilibraE reports it.

    c: generalised costs at x (BPR time + extra), y: a fresh all-or-nothing load at c.
    Uses nothing of the solver but the flows, so it checks the solver's own figure.
    """
    cost = bpr_time(net.free_flow_time, net.capacity, flow, net.b, net.power) + extra
    first_out, out_links = forward_star(net.n_nodes, net.init_node, net.term_node)
    aon = np.empty((net.n_zones, flow.shape[0]), dtype=np.float64)
    all_or_nothing(first_out, out_links, net.init_node, net.term_node, cost, np.ones(flow.shape[0], dtype=np.bool_),
                   np.arange(net.n_zones, dtype=np.int32), demand, net.first_thru_node, aon)
    current = float(cost @ flow)
    shortest = float(cost @ aon.sum(axis=0))
    return (current - shortest) / current if current > 0.0 else 0.0


def _write_csv(
    path: str, init_node: np.ndarray, term_node: np.ndarray, flow: np.ndarray, cost: np.ndarray
) -> None:
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["from", "to", "flow", "cost"])
        for i in range(init_node.shape[0]):
            # repr keeps every digit, so the file round-trips to the same floats.
            writer.writerow([int(init_node[i]) + 1, int(term_node[i]) + 1, repr(float(flow[i])), repr(float(cost[i]))])
