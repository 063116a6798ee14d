from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
import pytest

from agora.server import cli_assign
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
