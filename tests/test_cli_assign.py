from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
import pytest

from agora.server import cli_assign
from agora.server.sim.paths import all_or_nothing, forward_star
from agora.server.world.tntp import read_flow

SIOUX_FALLS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "tntp" / "SiouxFalls"


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="agora")
    cli_assign.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_assign_sioux_falls_writes_every_link(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "flows.csv"
    args = _parse([
        "assign", str(SIOUX_FALLS / "SiouxFalls_net.tntp"), str(SIOUX_FALLS / "SiouxFalls_trips.tntp"),
        "--gap", "1e-5", "--max-iter", "2000", "--out", str(out),
    ])
    assert args.func is cli_assign.run
    assert args.func(args) == 0
    printed = capsys.readouterr().out
    assert "iterations:" in printed and "seconds:" in printed and "total system travel time:" in printed
    gap = float(printed.split("relative gap:")[1].split()[0])
    assert 0.0 <= gap <= 1e-5
    assert "method: algorithm_b" in printed

    with open(out, newline="") as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["from", "to", "flow", "cost"]
    assert len(rows) == 1 + 76
    best = read_flow(SIOUX_FALLS / "SiouxFalls_flow.tntp")
    assert [(int(r[0]), int(r[1])) for r in rows[1:]] == list(zip(best.init_node + 1, best.term_node + 1))
    np.testing.assert_allclose([float(r[2]) for r in rows[1:]], best.volume, rtol=0.02)
    np.testing.assert_allclose([float(r[3]) for r in rows[1:]], best.cost, rtol=0.02)


def test_defaults_and_no_csv_without_out(capsys: pytest.CaptureFixture[str]) -> None:
    args = _parse(["assign", str(SIOUX_FALLS / "SiouxFalls_net.tntp"), str(SIOUX_FALLS / "SiouxFalls_trips.tntp")])
    assert (args.gap, args.max_iter, args.out) == (1e-4, 1000, None)
    assert (args.toll_factor, args.distance_factor, args.method) == (0.0, 0.0, "algorithm_b")
    assert args.func(args) == 0
    assert "from,to" not in capsys.readouterr().out


def test_bad_file_exits_2_naming_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    net = tmp_path / "bad_net.tntp"
    text = (SIOUX_FALLS / "SiouxFalls_net.tntp").read_text().replace("\t1\t3\t23403.47319", "\t1\t3\tmany", 1)
    net.write_text(text)
    args = _parse(["assign", str(net), str(SIOUX_FALLS / "SiouxFalls_trips.tntp"), "--out", str(tmp_path / "f.csv")])
    assert args.func(args) == 2
    error = capsys.readouterr().err
    assert f"{net}:11: expected a number for capacity" in error
    assert not (tmp_path / "f.csv").exists()


def test_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = _parse(["assign", str(tmp_path / "none_net.tntp"), str(tmp_path / "none_trips.tntp")])
    assert args.func(args) == 2
    assert "none_net.tntp" in capsys.readouterr().err


def _write_net(path: Path, rows: list[str], zones: int, nodes: int, first_thru: int) -> None:
    path.write_text(
        f"<NUMBER OF ZONES> {zones}\n<NUMBER OF NODES> {nodes}\n<FIRST THRU NODE> {first_thru}\n"
        f"<NUMBER OF LINKS> {len(rows)}\n<END OF METADATA>\n"
        "~ init term capacity length free_flow_time b power speed toll type ;\n" + "\n".join(rows) + "\n"
    )


def test_generalised_cost_centroids_and_intrazonal_trips(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Zones 1, 2 and 3 on centroids; streets between nodes 4 and 5 by a short tolled road
    # (link 3) or a long free one (link 4); zero-time connectors; a zero-time way through
    # centroid 3 that through trips must not take; intrazonal trips that must not load.
    net = tmp_path / "net.tntp"
    _write_net(net, [
        "1 4 9000 0 0 0.15 4 0 0 1 ;", "5 2 9000 0 0 0.15 4 0 0 1 ;",
        "4 5 1000 2 5 0.15 4 0 10 1 ;", "4 5 1000 9 9 0.15 4 0 0 1 ;",
        "4 3 9000 0 0 0.15 4 0 0 1 ;", "3 5 9000 0 0 0.15 4 0 0 1 ;",
    ], zones=3, nodes=5, first_thru=4)
    trips = tmp_path / "trips.tntp"
    trips.write_text("<NUMBER OF ZONES> 3\n<END OF METADATA>\nOrigin 1\n1 : 70.0; 2 : 100.0;\n")
    flows = {}
    for toll_factor in ("0", "1"):
        out = tmp_path / f"flows{toll_factor}.csv"
        args = _parse(["assign", str(net), str(trips), "--gap", "1e-10", "--toll-factor", toll_factor,
                       "--distance-factor", "0.1", "--out", str(out)])
        assert args.func(args) == 0
        printed = capsys.readouterr().out
        assert float(printed.split("relative gap:")[1].split()[0]) <= 1e-10
        with open(out, newline="") as file:
            flows[toll_factor] = [float(row[2]) for row in list(csv.reader(file))[1:]]
    # Untolled: 5 + 0.2 against 9 + 0.9 minutes, all on the short road; the toll of 10
    # turns it round. Never through centroid 3; the 70 intrazonal trips stay off.
    assert flows["0"] == [100.0, 100.0, 100.0, 0.0, 0.0, 0.0]
    assert flows["1"] == [100.0, 100.0, 0.0, 100.0, 0.0, 0.0]


@pytest.mark.parametrize("method", ["bfw", "fw"])
def test_frank_wolfe_methods_and_the_recomputed_gap(method: str, capsys: pytest.CaptureFixture[str]) -> None:
    args = _parse(["assign", str(SIOUX_FALLS / "SiouxFalls_net.tntp"), str(SIOUX_FALLS / "SiouxFalls_trips.tntp"),
                   "--gap", "1e-3", "--method", method])
    assert args.func(args) == 0
    printed = capsys.readouterr().out
    recomputed = float(printed.split("relative gap:")[1].split()[0])
    solver = float(printed.split("the solver measured")[1].split(")")[0])
    assert recomputed == pytest.approx(solver, rel=1e-6) and recomputed <= 1e-3
    assert f"method: {method}" in printed


def test_recomputed_gap_does_not_trust_the_solver() -> None:
    net = cli_assign.read_net(SIOUX_FALLS / "SiouxFalls_net.tntp")
    trips = cli_assign.read_trips(SIOUX_FALLS / "SiouxFalls_trips.tntp")
    best = read_flow(SIOUX_FALLS / "SiouxFalls_flow.tntp")
    extra = np.zeros(net.init_node.shape[0])
    assert 0.0 <= cli_assign.recomputed_gap(net, trips.demand, best.volume, extra) < 1e-8
    # Flows that are not an equilibrium (all or nothing at free flow) show their gap.
    first_out, out_links = forward_star(net.n_nodes, net.init_node, net.term_node)
    aon = np.empty((net.n_zones, net.init_node.shape[0]))
    all_or_nothing(first_out, out_links, net.init_node, net.term_node, net.free_flow_time,
                   np.ones(aon.shape[1], dtype=bool), np.arange(net.n_zones, dtype=np.int32), trips.demand, 0, aon)
    assert cli_assign.recomputed_gap(net, trips.demand, aon.sum(axis=0), extra) > 0.1


def test_bad_factor_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    args = _parse(["assign", str(SIOUX_FALLS / "SiouxFalls_net.tntp"), str(SIOUX_FALLS / "SiouxFalls_trips.tntp"),
                   "--distance-factor", "-1"])
    assert args.func(args) == 2
    assert "must be >= 0" in capsys.readouterr().err
