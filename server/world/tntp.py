"""Readers for the TNTP text formats of the TransportationNetworks collection.

    net = read_net("SiouxFalls_net.tntp")        # links, 0-based node indices
    trips = read_trips("SiouxFalls_trips.tntp")  # demand float64[Z, Z]
    best = read_flow("SiouxFalls_flow.tntp")     # published link flows and costs

Formats as in https://github.com/bstabler/TransportationNetworks: metadata lines
`<NAME> value` up to `<END OF METADATA>`, lines starting with `~` are comments, data
rows end with `;`. Node numbers in the files are 1-based; every array here is 0-based,
so node k of the file is index k - 1, and zone k is node k. A malformed file raises
TntpError naming the file, the line and what was expected.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass

import numpy as np

NET_COLUMNS = (
    "init_node", "term_node", "capacity", "length", "free_flow_time",
    "b", "power", "speed", "toll", "link_type",
)

_METADATA = re.compile(r"<([^>]+)>(.*)")
_ORIGIN = re.compile(r"origin\s+(\S+)", re.IGNORECASE)
_PAIR = re.compile(r"\s*([^\s:;]+)\s*:\s*([^\s:;]+)\s*;")


class TntpError(ValueError):
    """A TNTP file that does not follow the format; names the file and the line."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        self.message = message
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True, eq=False)
class TntpNetwork:
    n_zones: int
    n_nodes: int
    first_thru_node: int  # 0-based: nodes with index < this are centroids, not passed through
    init_node: np.ndarray  # int32[L], 0-based
    term_node: np.ndarray  # int32[L], 0-based
    capacity: np.ndarray  # float64[L], veh per time unit of the demand
    length: np.ndarray  # float64[L], file's unit
    free_flow_time: np.ndarray  # float64[L], file's unit
    b: np.ndarray  # float64[L], BPR alpha
    power: np.ndarray  # float64[L], BPR beta
    speed: np.ndarray  # float64[L]
    toll: np.ndarray  # float64[L]
    link_type: np.ndarray  # int32[L]


@dataclass(frozen=True, eq=False)
class TntpTrips:
    n_zones: int
    total_od_flow: float  # as declared in the metadata (not checked against the sum)
    demand: np.ndarray  # float64[Z, Z], trips from zone i (row) to zone j (column)


@dataclass(frozen=True, eq=False)
class TntpFlow:
    init_node: np.ndarray  # int32[L], 0-based
    term_node: np.ndarray  # int32[L], 0-based
    volume: np.ndarray  # float64[L]
    cost: np.ndarray  # float64[L]


@dataclass(frozen=True, eq=False)
class TntpNodes:
    node: np.ndarray  # int32[N], 0-based
    x: np.ndarray  # float64[N]
    y: np.ndarray  # float64[N]


class _Lines:
    """Numbered, stripped lines of one file, skipping blanks and `~` comments."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.rows = [
            (number, line.strip())
            for number, line in enumerate(text.splitlines(), start=1)
            if line.strip() and not line.strip().startswith("~")
        ]
        self.position = 0

    def error(self, line: int | None, message: str) -> TntpError:
        return TntpError(self.path, line, message)

    def metadata(self, required: tuple[str, ...]) -> dict[str, tuple[int, str]]:
        found: dict[str, tuple[int, str]] = {}
        while self.position < len(self.rows):
            number, line = self.rows[self.position]
            self.position += 1
            match = _METADATA.fullmatch(line)
            if match is None:
                raise self.error(number, f"expected a metadata line '<NAME> value' or <END OF METADATA>, found {line!r}")
            name = match.group(1).strip().upper()
            if name == "END OF METADATA":
                missing = [key for key in required if key not in found]
                if missing:
                    raise self.error(number, f"expected metadata <{missing[0]}> before <END OF METADATA>")
                return found
            found[name] = (number, match.group(2).strip())
        raise self.error(None, "expected <END OF METADATA>, found the end of the file")

    def body(self) -> list[tuple[int, str]]:
        return self.rows[self.position:]


def _int(lines: _Lines, number: int, token: str, what: str) -> int:
    try:
        value = float(token)
    except ValueError:
        raise lines.error(number, f"expected an integer {what}, found {token!r}") from None
    if not value.is_integer():
        raise lines.error(number, f"expected an integer {what}, found {token!r}")
    return int(value)


def _float(lines: _Lines, number: int, token: str, what: str) -> float:
    try:
        value = float(token)
    except ValueError:
        raise lines.error(number, f"expected a number for {what}, found {token!r}") from None
    if not math.isfinite(value):
        raise lines.error(number, f"expected a finite number for {what}, found {token!r}")
    return value


def _node(lines: _Lines, number: int, token: str, what: str, n_nodes: int | None) -> int:
    node = _int(lines, number, token, what)
    if node < 1 or (n_nodes is not None and node > n_nodes):
        upper = "" if n_nodes is None else f" and <= {n_nodes}"
        raise lines.error(number, f"expected {what} >= 1{upper}, found {node}")
    return node - 1


def _meta_int(lines: _Lines, meta: dict[str, tuple[int, str]], key: str) -> int:
    number, token = meta[key]
    value = _int(lines, number, token, f"for <{key}>")
    if value < 0:
        raise lines.error(number, f"expected <{key}> >= 0, found {value}")
    return value


def _fields(line: str) -> list[str]:
    return line[:-1].split() if line.endswith(";") else line.split()


def _read(path: str | os.PathLike[str]) -> tuple[str, str]:
    name = os.fspath(path)
    with open(name, encoding="utf-8", errors="replace") as file:
        return name, file.read()


def parse_net(text: str, path: str = "<net>") -> TntpNetwork:
    lines = _Lines(path, text)
    keys = ("NUMBER OF ZONES", "NUMBER OF NODES", "FIRST THRU NODE", "NUMBER OF LINKS")
    meta = lines.metadata(keys)
    n_zones, n_nodes, first_thru, n_links = (_meta_int(lines, meta, key) for key in keys)
    if n_zones > n_nodes:
        raise lines.error(meta["NUMBER OF ZONES"][0], f"expected at most {n_nodes} zones (one per node), found {n_zones}")
    ints = np.zeros((3, n_links), dtype=np.int32)
    floats = np.zeros((7, n_links), dtype=np.float64)
    count = 0
    last = None
    for number, line in lines.body():
        fields = _fields(line)
        if len(fields) != len(NET_COLUMNS):
            raise lines.error(number, f"expected {len(NET_COLUMNS)} columns ({' '.join(NET_COLUMNS)}) ending with ';', found {len(fields)}")
        if count == n_links:
            raise lines.error(number, f"expected {n_links} links as declared in <NUMBER OF LINKS>, found more")
        ints[0, count] = _node(lines, number, fields[0], "init_node", n_nodes)
        ints[1, count] = _node(lines, number, fields[1], "term_node", n_nodes)
        for k in range(7):
            floats[k, count] = _float(lines, number, fields[2 + k], NET_COLUMNS[2 + k])
        ints[2, count] = _int(lines, number, fields[9], "link_type")
        count += 1
        last = number
    if count != n_links:
        raise lines.error(last, f"expected {n_links} links as declared in <NUMBER OF LINKS>, found {count}")
    return TntpNetwork(
        n_zones=n_zones,
        n_nodes=n_nodes,
        # The file's FIRST THRU NODE is 1-based: node k is passable when k >= it.
        first_thru_node=max(first_thru - 1, 0),
        init_node=ints[0].copy(),
        term_node=ints[1].copy(),
        capacity=floats[0].copy(),
        length=floats[1].copy(),
        free_flow_time=floats[2].copy(),
        b=floats[3].copy(),
        power=floats[4].copy(),
        speed=floats[5].copy(),
        toll=floats[6].copy(),
        link_type=ints[2].copy(),
    )


def parse_trips(text: str, path: str = "<trips>") -> TntpTrips:
    lines = _Lines(path, text)
    meta = lines.metadata(("NUMBER OF ZONES",))
    n_zones = _meta_int(lines, meta, "NUMBER OF ZONES")
    total = math.nan
    if "TOTAL OD FLOW" in meta:
        number, token = meta["TOTAL OD FLOW"]
        total = _float(lines, number, token, "<TOTAL OD FLOW>")
    demand = np.zeros((n_zones, n_zones), dtype=np.float64)
    seen = np.zeros((n_zones, n_zones), dtype=np.bool_)
    origin = -1
    for number, line in lines.body():
        match = _ORIGIN.fullmatch(line)
        if match is not None:
            origin = _node(lines, number, match.group(1), "origin zone", n_zones)
            continue
        if origin < 0:
            raise lines.error(number, f"expected 'Origin <zone>' before the first pairs, found {line!r}")
        position = 0
        while position < len(line):
            pair = _PAIR.match(line, position)
            if pair is None:
                rest = line[position:].strip()
                if not rest:
                    break
                raise lines.error(number, f"expected 'destination : trips;' pairs, found {rest!r}")
            destination = _node(lines, number, pair.group(1), "destination zone", n_zones)
            if seen[origin, destination]:
                raise lines.error(number, f"expected one entry per pair, found zone {origin + 1} to {destination + 1} again")
            trips = _float(lines, number, pair.group(2), f"trips to zone {destination + 1}")
            if trips < 0.0:
                raise lines.error(number, f"expected trips >= 0, found {trips}")
            demand[origin, destination] = trips
            seen[origin, destination] = True
            position = pair.end()
    return TntpTrips(n_zones=n_zones, total_od_flow=total, demand=demand)


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def _table(lines: _Lines, columns: tuple[str, ...]) -> list[tuple[int, list[str]]]:
    """Rows of fields after an optional header line (one whose first field is not a number)."""
    body = lines.body()
    if body and not all(_is_number(token) for token in _fields(body[0][1])):
        body = body[1:]
    rows = []
    for number, line in body:
        fields = _fields(line)
        if len(fields) != len(columns):
            raise lines.error(number, f"expected {len(columns)} columns ({' '.join(columns)}), found {len(fields)}")
        rows.append((number, fields))
    return rows


def parse_flow(text: str, path: str = "<flow>") -> TntpFlow:
    lines = _Lines(path, text)
    rows = _table(lines, ("from", "to", "volume", "cost"))
    return TntpFlow(
        init_node=np.array([_node(lines, n, f[0], "from node", None) for n, f in rows], dtype=np.int32),
        term_node=np.array([_node(lines, n, f[1], "to node", None) for n, f in rows], dtype=np.int32),
        volume=np.array([_float(lines, n, f[2], "volume") for n, f in rows], dtype=np.float64),
        cost=np.array([_float(lines, n, f[3], "cost") for n, f in rows], dtype=np.float64),
    )


def parse_nodes(text: str, path: str = "<node>") -> TntpNodes:
    lines = _Lines(path, text)
    rows = _table(lines, ("node", "x", "y"))
    return TntpNodes(
        node=np.array([_node(lines, n, f[0], "node", None) for n, f in rows], dtype=np.int32),
        x=np.array([_float(lines, n, f[1], "x") for n, f in rows], dtype=np.float64),
        y=np.array([_float(lines, n, f[2], "y") for n, f in rows], dtype=np.float64),
    )


def read_net(path: str | os.PathLike[str]) -> TntpNetwork:
    name, text = _read(path)
    return parse_net(text, name)


def read_trips(path: str | os.PathLike[str]) -> TntpTrips:
    name, text = _read(path)
    return parse_trips(text, name)


def read_flow(path: str | os.PathLike[str]) -> TntpFlow:
    name, text = _read(path)
    return parse_flow(text, name)


def read_nodes(path: str | os.PathLike[str]) -> TntpNodes:
    name, text = _read(path)
    return parse_nodes(text, name)
