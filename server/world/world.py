"""World: the grid layers and the road network of one city, as numpy arrays.

A world lives in a folder: `world.toml` (what a person edits: names, attribution, the
simulation modules and their parameter overrides) and `world.npz` (the arrays).

    world = World.load(resolve_world("default"))
    world.network.closed[17] = True        # edits go through server/world/edits.py
    world.state_hash()                     # sha256 over every array that defines the state
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field, fields
from importlib.resources import files
from pathlib import Path

import msgspec
import numpy as np

from agora.server.world.names import LinkNames
from agora.server.world.types import LandUse, Mode, RoadClass


class WorldError(ValueError):
    """A world folder that cannot be loaded, with the reason in words."""


def _hourly(values: str) -> list[float]:
    return [float(v) for v in values.split()]


class Weather(msgspec.Struct, forbid_unknown_fields=True):
    """A representative day of the world's weather, hour 0-1 to 23-24, for dispersion.

    The defaults are a fair-weather day of central Europe, assumed: westerly winds (from
    250 degrees, veering through the day) at 10 m of 2 m/s at night rising to 4 m/s in the
    afternoon, and a mixing height of 300 m at night growing to about 1,300 m at midday, the
    diurnal cycle of the convective boundary layer (Stull 1988, An Introduction to Boundary
    Layer Meteorology, fig. 1.7). A city should put in its own climatology.
    """

    wind_speed_m_s: list[float] = msgspec.field(default_factory=lambda: _hourly(
        "2.1 2.0 2.0 2.0 2.1 2.3 2.5 2.7 3.0 3.3 3.5 3.7 3.9 4.0 4.0 4.0 3.9 3.7 3.5 3.3 3.0 2.7 2.5 2.3"))
    # Where the wind blows from, degrees clockwise from north (meteorological convention).
    wind_from_deg: list[float] = msgspec.field(default_factory=lambda: _hourly(
        "233 231 230 231 233 236 240 245 250 255 260 264 267 269 270 269 267 264 260 255 250 245 240 236"))
    mixing_height_m: list[float] = msgspec.field(default_factory=lambda: _hourly(
        "300 300 300 300 300 300 300 430 680 910 1090 1220 1290 1290 1220 1090 910 680 430 300 300 300 300 300"))

    def validate(self) -> None:
        for name in ("wind_speed_m_s", "wind_from_deg", "mixing_height_m"):
            if len(getattr(self, name)) != 24:
                raise WorldError(f"weather.{name} needs 24 hourly values, one per hour of the day")
        if min(self.wind_speed_m_s) < 0 or min(self.mixing_height_m) <= 0:
            raise WorldError("weather: wind speeds cannot be negative and mixing heights must be positive")


class Geo(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Where a world lies on the Earth: the equirectangular frame `agora world import-osm`
    projects with (osm_read.Projection). x metres east and y metres north of the world's
    origin are lon = west_deg + x / kx_m_per_deg and lat = south_deg + y / ky_m_per_deg
    (WGS84 degrees); kx and ky are the metres per degree at lat0_deg."""

    west_deg: float
    south_deg: float
    lat0_deg: float
    kx_m_per_deg: float
    ky_m_per_deg: float

    def lonlat(self, x_m: np.ndarray, y_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lon: np.ndarray = self.west_deg + np.asarray(x_m, np.float64) / self.kx_m_per_deg
        lat: np.ndarray = self.south_deg + np.asarray(y_m, np.float64) / self.ky_m_per_deg
        return lon, lat


class WorldMeta(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    title: str
    description: str
    attribution: str
    cell_m: float
    origin_x_m: float = 0.0
    origin_y_m: float = 0.0
    seed: int = 0
    modules: list[str] = msgspec.field(default_factory=lambda: ["demand", "traffic", "indicators"])
    # Per-world overrides of model parameters, by module then parameter name.
    parameters: dict[str, dict[str, float]] = msgspec.field(default_factory=dict)
    weather: Weather = msgspec.field(default_factory=Weather)
    geo: Geo | None = None  # None: a synthetic world, in local metres only


@dataclass
class Grid:
    """Raster layers of shape (height, width); row 0 is the south edge."""

    land_use: np.ndarray  # uint8, LandUse codes
    residents: np.ndarray  # float32, people living in the cell
    jobs: np.ndarray  # float32, jobs located in the cell
    zone: np.ndarray  # int32, demand zone of the cell (-1: none, e.g. water)
    # Destinations of the non-work trip purposes; zeros when a world has none.
    school_places: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))  # pupils
    shops: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))  # retail/service jobs
    health: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))  # doctors, clinics: jobs

    def __post_init__(self) -> None:
        for name in ("school_places", "shops", "health"):
            if getattr(self, name).size == 0 and self.land_use.size:
                setattr(self, name, np.zeros(self.land_use.shape, np.float32))

    @property
    def shape(self) -> tuple[int, int]:
        height, width = self.land_use.shape
        return int(height), int(width)


@dataclass
class Network:
    """Directed links between nodes; a two-way street is two links that are each other's twin."""

    node_x_m: np.ndarray  # float64[N]
    node_y_m: np.ndarray  # float64[N]
    link_from: np.ndarray  # int32[L]
    link_to: np.ndarray  # int32[L]
    length_m: np.ndarray  # float64[L]
    lanes: np.ndarray  # int8[L]
    capacity_veh_h: np.ndarray  # float64[L]
    speed_kmh: np.ndarray  # float64[L], free-flow speed
    road_class: np.ndarray  # uint8[L], RoadClass codes
    modes: np.ndarray  # uint8[L], Mode bits
    twin: np.ndarray  # int32[L], opposite link or -1
    closed: np.ndarray  # bool[L], closed to cars by a player's edit
    bus_lane: np.ndarray = field(default_factory=lambda: np.zeros(0, np.bool_))  # bool[L]
    bike_lane: np.ndarray = field(default_factory=lambda: np.zeros(0, np.bool_))  # bool[L]
    toll_eur: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))  # per car passage

    def __post_init__(self) -> None:
        n = self.link_from.shape[0]
        for name, dtype in (("bus_lane", np.bool_), ("bike_lane", np.bool_), ("toll_eur", np.float64)):
            if getattr(self, name).shape[0] != n and getattr(self, name).size == 0:
                setattr(self, name, np.zeros(n, dtype))

    @property
    def n_nodes(self) -> int:
        return int(self.node_x_m.shape[0])

    @property
    def n_links(self) -> int:
        return int(self.link_from.shape[0])

    def free_time_min(self) -> np.ndarray:
        return self.length_m / (self.speed_kmh * (1000.0 / 60.0))

    def car_usable(self) -> np.ndarray:
        usable: np.ndarray = ((self.modes & Mode.CAR) != 0) & ~self.closed
        return usable


@dataclass
class Lines:
    """Bus lines: each a route over consecutive links, with a stop at the end of some."""

    first: np.ndarray  # int64[M+1], line m's route is link[first[m]:first[m+1]]
    link: np.ndarray  # int32[K], the links of every route, in driving order
    stop: np.ndarray  # bool[K], the bus stops at the end node of this route link
    headway_min: np.ndarray  # float64[M], minutes between buses

    @classmethod
    def empty(cls) -> Lines:
        return cls(np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.bool_), np.zeros(0, np.float64))

    @property
    def n_lines(self) -> int:
        return int(self.headway_min.shape[0])

    def route(self, line: int) -> np.ndarray:
        return self.link[self.first[line] : self.first[line + 1]]


_DTYPES: dict[str, np.dtype] = {
    "grid.land_use": np.dtype(np.uint8),
    "grid.residents": np.dtype(np.float32),
    "grid.jobs": np.dtype(np.float32),
    "grid.zone": np.dtype(np.int32),
    "grid.school_places": np.dtype(np.float32),
    "grid.shops": np.dtype(np.float32),
    "grid.health": np.dtype(np.float32),
    "network.node_x_m": np.dtype(np.float64),
    "network.node_y_m": np.dtype(np.float64),
    "network.link_from": np.dtype(np.int32),
    "network.link_to": np.dtype(np.int32),
    "network.length_m": np.dtype(np.float64),
    "network.lanes": np.dtype(np.int8),
    "network.capacity_veh_h": np.dtype(np.float64),
    "network.speed_kmh": np.dtype(np.float64),
    "network.road_class": np.dtype(np.uint8),
    "network.modes": np.dtype(np.uint8),
    "network.twin": np.dtype(np.int32),
    "network.closed": np.dtype(np.bool_),
    "network.bus_lane": np.dtype(np.bool_),
    "network.bike_lane": np.dtype(np.bool_),
    "network.toll_eur": np.dtype(np.float64),
    "zones.node": np.dtype(np.int32),
    "lines.first": np.dtype(np.int64),
    "lines.link": np.dtype(np.int32),
    "lines.stop": np.dtype(np.bool_),
    "lines.headway_min": np.dtype(np.float64),
}
# Arrays added after the first worlds were written: a file without them gets these.
_OPTIONAL = {"grid.school_places", "grid.shops", "grid.health", "network.bus_lane", "network.bike_lane",
             "network.toll_eur", "lines.first", "lines.link", "lines.stop", "lines.headway_min"}


@dataclass
class World:
    meta: WorldMeta
    grid: Grid
    network: Network
    zone_node: np.ndarray  # int32[Z], the network node each zone's trips start and end at
    lines: Lines = field(default_factory=Lines.empty)
    # Street names, outside the state hash; None: every link unnamed.
    names: LinkNames | None = None

    def __post_init__(self) -> None:
        if self.names is None:
            self.names = LinkNames.unnamed(self.network.n_links)

    @property
    def n_zones(self) -> int:
        return int(self.zone_node.shape[0])

    def zone_totals(self, layer: np.ndarray) -> np.ndarray:
        """Sum a grid layer per zone (float64[Z]); cells outside every zone are ignored."""
        inside = self.grid.zone >= 0
        return np.bincount(
            self.grid.zone[inside], weights=layer[inside].astype(np.float64), minlength=self.n_zones
        )

    # -- arrays, hash, files -------------------------------------------------------

    def arrays(self) -> dict[str, np.ndarray]:
        """Every array that defines the world, under stable dotted names."""
        out: dict[str, np.ndarray] = {}
        for prefix, part in (("grid", self.grid), ("network", self.network)):
            for f in fields(part):
                out[f"{prefix}.{f.name}"] = getattr(part, f.name)
        out["zones.node"] = self.zone_node
        for f in fields(self.lines):
            out[f"lines.{f.name}"] = getattr(self.lines, f.name)
        return out

    @classmethod
    def from_arrays(cls, meta: WorldMeta, arrays: dict[str, np.ndarray]) -> World:
        missing = sorted(set(_DTYPES) - set(arrays) - _OPTIONAL)
        if missing:
            raise WorldError(f"world {meta.name!r} lacks the arrays {', '.join(missing)}")
        typed = {name: np.ascontiguousarray(arrays[name], dtype=dt) for name, dt in _DTYPES.items() if name in arrays}

        def part(prefix: str) -> dict[str, np.ndarray]:
            return {n.split(".", 1)[1]: a for n, a in typed.items() if n.startswith(prefix + ".")}

        lines = Lines(**part("lines")) if "lines.first" in typed else Lines.empty()
        network = Network(**part("network"))
        world = cls(meta=meta, grid=Grid(**part("grid")), network=network,
                    zone_node=typed["zones.node"], lines=lines, names=LinkNames.from_arrays(arrays, network.n_links))
        world.validate()
        return world

    def validate(self) -> None:
        """Raise WorldError naming the first inconsistency found."""
        g, n = self.grid, self.network
        self.meta.weather.validate()
        for name in ("residents", "jobs", "zone", "school_places", "shops", "health"):
            if getattr(g, name).shape != g.shape:
                raise WorldError(f"grid layer {name} has shape {getattr(g, name).shape}, expected {g.shape}")
        if n.node_y_m.shape != n.node_x_m.shape:
            raise WorldError("node_x_m and node_y_m differ in length")
        for f in fields(n):
            if f.name.startswith("node_"):
                continue
            if getattr(n, f.name).shape != (n.n_links,):
                raise WorldError(f"link array {f.name} has shape {getattr(n, f.name).shape}, expected ({n.n_links},)")
        for name in ("link_from", "link_to", "zone_node"):
            ids = self.zone_node if name == "zone_node" else getattr(n, name)
            if ids.size and (ids.min() < 0 or ids.max() >= n.n_nodes):
                raise WorldError(f"{name} refers to a node outside 0..{n.n_nodes - 1}")
        bad_twin = (n.twin >= n.n_links) | (n.twin < -1)
        if bad_twin.any():
            raise WorldError(f"link {int(np.argmax(bad_twin))} has a twin outside the network")
        if (n.length_m <= 0).any() or (n.speed_kmh <= 0).any() or (n.capacity_veh_h <= 0).any():
            raise WorldError("every link needs a positive length, speed and capacity")
        lines = self.lines
        if lines.first.shape != (lines.n_lines + 1,) or lines.first[0] != 0 or lines.first[-1] != lines.link.shape[0]:
            raise WorldError("lines.first must hold n_lines + 1 offsets from 0 to the number of route links")
        if lines.stop.shape != lines.link.shape or (lines.headway_min <= 0).any():
            raise WorldError("every route link needs a stop flag and every line a positive headway")
        if lines.link.size and (lines.link.min() < 0 or lines.link.max() >= n.n_links):
            raise WorldError("a bus line runs over a link outside the network")
        for m in range(lines.n_lines):
            route = lines.route(m)
            if (n.link_to[route[:-1]] != n.link_from[route[1:]]).any():
                raise WorldError(f"bus line {m} is not a connected route: consecutive links must meet")
            if not (n.modes[route] & Mode.BUS).all():
                raise WorldError(f"bus line {m} runs over a link buses may not use")
        if (n.toll_eur < 0).any():
            raise WorldError("tolls cannot be negative")
        problem = self.names.problem(n.n_links) if self.names is not None else None
        if problem:
            raise WorldError(problem)
        if g.zone.size and g.zone.max() >= self.n_zones:
            raise WorldError(f"grid.zone names zone {int(g.zone.max())} but there are {self.n_zones} zones")
        codes = set(int(c) for c in np.unique(g.land_use))
        unknown = codes - {int(c) for c in LandUse}
        if unknown:
            raise WorldError(f"land_use holds unknown codes {sorted(unknown)}")
        if not set(int(c) for c in np.unique(n.road_class)) <= {int(c) for c in RoadClass}:
            raise WorldError("road_class holds unknown codes")

    def state_hash(self) -> str:
        return hash_arrays(self.arrays())

    def copy(self) -> World:
        arrays = {name: a.copy() for name, a in self.arrays().items()}
        if self.names is not None:
            arrays.update(self.names.arrays())
        return World.from_arrays(msgspec.convert(msgspec.to_builtins(self.meta), WorldMeta), arrays)

    @classmethod
    def load(cls, folder: str | os.PathLike[str]) -> World:
        folder = Path(folder)
        toml_path, npz_path = folder / "world.toml", folder / "world.npz"
        if not toml_path.is_file() or not npz_path.is_file():
            raise WorldError(f"{folder} is not a world folder (it needs world.toml and world.npz)")
        try:
            meta = msgspec.toml.decode(toml_path.read_bytes(), type=WorldMeta)
        except msgspec.ValidationError as exc:
            raise WorldError(f"{toml_path}: {exc}") from exc
        except msgspec.DecodeError as exc:
            raise WorldError(f"{toml_path} is not valid TOML: {exc}") from exc
        with np.load(npz_path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
        return cls.from_arrays(meta, arrays)

    def save(self, folder: str | os.PathLike[str]) -> None:
        """Write world.toml and world.npz, each replaced atomically."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        meta = msgspec.to_builtins(self.meta)
        if meta.get("geo") is None:  # TOML has no null
            meta.pop("geo", None)
        _atomic_write(folder / "world.toml", msgspec.toml.encode(meta))
        with tempfile.NamedTemporaryFile(dir=folder, suffix=".npz", delete=False) as tmp:
            # numpy's stub types **kwds after allow_pickle too narrowly; the call is right.
            np.savez_compressed(tmp, **self.arrays(), **(self.names.arrays() if self.names else {}))  # type: ignore[arg-type]
        os.replace(tmp.name, folder / "world.npz")


def hash_arrays(arrays: dict[str, np.ndarray]) -> str:
    """sha256 over names, dtypes, shapes and bytes, in name order: equal iff the state is equal."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}|{a.dtype.str}|{a.shape}|".encode())
        digest.update(a.tobytes())
    return digest.hexdigest()


def _atomic_write(path: Path, data: bytes) -> None:
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
        tmp.write(data)
    os.replace(tmp.name, path)


def worlds_root() -> Path:
    """The bundled worlds/ folder (inside the installed package or the source tree)."""
    return Path(str(files("agora.worlds")))


def resolve_world(name_or_path: str) -> Path:
    """A world given by bundled name (`default`) or by folder path."""
    candidate = Path(name_or_path)
    if candidate.is_dir():
        return candidate
    bundled = worlds_root() / name_or_path
    if bundled.is_dir():
        return bundled
    available = sorted(p.name for p in worlds_root().iterdir() if (p / "world.toml").is_file())
    raise WorldError(
        f"no world called {name_or_path!r}: give a folder path or one of {', '.join(available) or 'none'}"
    )
