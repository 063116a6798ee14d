from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agora.server.world.tntp import (
    TntpError,
    parse_net,
    parse_trips,
    read_flow,
    read_net,
    read_nodes,
    read_trips,
)

SIOUX_FALLS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "tntp" / "SiouxFalls"

NET = """<NUMBER OF ZONES> 2
<NUMBER OF NODES> 3
<FIRST THRU NODE> 3
<NUMBER OF LINKS> 2
<END OF METADATA>

~\tinit_node\tterm_node\tcapacity\tlength\tfree_flow_time\tb\tpower\tspeed\ttoll\tlink_type\t;
\t1\t3\t100\t2.5\t3\t0.15\t4\t0\t0\t1\t;
\t3\t2\t200\t1\t2\t0.15\t4\t50\t1.5\t2\t;
"""

TRIPS = """<NUMBER OF ZONES> 2
<TOTAL OD FLOW> 30.0
<END OF METADATA>

Origin \t1
    1 :      0.0;     2 :     10.0;
Origin 2
    1 : 20.0;
"""


def test_sioux_falls_network() -> None:
    net = read_net(SIOUX_FALLS / "SiouxFalls_net.tntp")
    assert (net.n_zones, net.n_nodes, net.first_thru_node) == (24, 24, 0)
    assert net.init_node.shape == (76,) and net.init_node.dtype == np.int32
    assert (net.init_node[0], net.term_node[0]) == (0, 1)
    assert (net.init_node[-1], net.term_node[-1]) == (23, 22)
    assert net.capacity[0] == pytest.approx(25900.20064)
    assert net.free_flow_time[0] == 6.0 and net.length[0] == 6.0
    assert np.all(net.b == 0.15) and np.all(net.power == 4.0)
    assert np.all(net.link_type == 1)


def test_sioux_falls_trips_flow_and_nodes() -> None:
    trips = read_trips(SIOUX_FALLS / "SiouxFalls_trips.tntp")
    assert trips.demand.shape == (24, 24)
    assert trips.demand.sum() == trips.total_od_flow == 360_600.0
    assert trips.demand[0, 1] == 100.0 and trips.demand[0, 9] == 1300.0 and trips.demand[1, 0] == 100.0
    assert np.all(np.diag(trips.demand) == 0.0)
    flow = read_flow(SIOUX_FALLS / "SiouxFalls_flow.tntp")
    assert flow.volume.shape == (76,)
    assert (flow.init_node[0], flow.term_node[0]) == (0, 1)
    assert flow.volume[0] == pytest.approx(4494.6576464564205)
    assert flow.cost[0] == pytest.approx(6.0008162373543197)
    nodes = read_nodes(SIOUX_FALLS / "SiouxFalls_node.tntp")
    assert nodes.node.tolist() == list(range(24))
    assert (nodes.x[0], nodes.y[0]) == (-96.77041974, 43.61282792)


def test_small_network_columns_and_centroids() -> None:
    net = parse_net(NET, "small_net.tntp")
    assert net.first_thru_node == 2  # file's 1-based FIRST THRU NODE 3 is index 2
    assert net.init_node.tolist() == [0, 2] and net.term_node.tolist() == [2, 1]
    assert net.capacity.tolist() == [100.0, 200.0]
    assert net.length.tolist() == [2.5, 1.0]
    assert net.speed.tolist() == [0.0, 50.0]
    assert net.toll.tolist() == [0.0, 1.5]
    assert net.link_type.tolist() == [1, 2]


def test_small_trips() -> None:
    trips = parse_trips(TRIPS, "small_trips.tntp")
    assert trips.demand.tolist() == [[0.0, 10.0], [20.0, 0.0]]
    assert trips.total_od_flow == 30.0


def _error(parse: object, text: str) -> TntpError:
    with pytest.raises(TntpError) as info:
        parse(text, "bad.tntp")  # type: ignore[operator]
    return info.value


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        (NET.replace("\t3\t2\t200\t1\t2\t0.15\t4\t50\t1.5\t2\t;", "\t3\t2\t200\t1\t2\t0.15\t4\t50\t;"), 9, "expected 10 columns"),
        (NET.replace("\t1\t3\t100\t", "\t1\t3\tlots\t"), 8, "expected a number for capacity"),
        (NET.replace("\t3\t2\t200", "\t3\t7\t200"), 9, "term_node >= 1 and <= 3"),
        (NET.replace("<NUMBER OF LINKS> 2", "<NUMBER OF LINKS> 3"), 9, "expected 3 links"),
        (NET.replace("<NUMBER OF LINKS> 2\n", ""), 4, "<NUMBER OF LINKS>"),
        (NET.replace("<FIRST THRU NODE> 3", "FIRST THRU NODE 3"), 3, "metadata line"),
    ],
)
def test_malformed_network_names_file_and_line(text: str, line: int, expected: str) -> None:
    error = _error(parse_net, text)
    assert (error.path, error.line) == ("bad.tntp", line)
    assert str(error).startswith(f"bad.tntp:{line}: ")
    assert expected in str(error)


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        (TRIPS.replace("    1 : 20.0;", "    1 = 20.0;"), 8, "'destination : trips;'"),
        (TRIPS.replace("2 :     10.0;", "3 :     10.0;"), 6, "destination zone >= 1 and <= 2"),
        (TRIPS.replace("Origin \t1\n", ""), 5, "expected 'Origin <zone>'"),
        (TRIPS.replace("    1 : 20.0;", "    1 : twenty;"), 8, "expected a number"),
        (TRIPS.replace("<END OF METADATA>", ""), 5, "or <END OF METADATA>"),
        (TRIPS.split("<END")[0], None, "expected <END OF METADATA>, found the end"),
    ],
)
def test_malformed_trips_names_file_and_line(text: str, line: int | None, expected: str) -> None:
    error = _error(parse_trips, text)
    assert (error.path, error.line) == ("bad.tntp", line)
    assert expected in str(error)


def test_tntp_error_is_a_value_error() -> None:
    assert issubclass(TntpError, ValueError)


def test_read_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken_net.tntp"
    path.write_text(NET.replace("\t1\t3\t100\t", "\t1\t3\t\t"))
    with pytest.raises(TntpError, match=r"broken_net\.tntp:8: expected 10 columns"):
        read_net(path)
