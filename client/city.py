"""The client's model of the city: the last snapshot as numpy arrays, kept current by deltas.

    city = City(welcome.snapshot)
    changed = city.apply(delta)          # link ids whose flow or closed state moved
    city.volume_capacity()[17]           # 0.83
    city.nearest_link(x_m, y_m, max_distance_m=15.0)

No drawing and no network here, so all of it can be tested without a window.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agora.server import protocol as p

# Bit of `Network.modes` that lets cars use a link (protocol.Network documents the mask).
CAR_BIT = 1


@dataclass(frozen=True)
class Extent:
    """An axis-aligned rectangle in world metres."""

    left: float
    bottom: float
    right: float
    top: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.top - self.bottom

    def union(self, other: Extent) -> Extent:
        return Extent(
            min(self.left, other.left),
            min(self.bottom, other.bottom),
            max(self.right, other.right),
            max(self.top, other.top),
        )


class City:
    """Grid layers, road geometry, flows and the closed set, as the server last told us."""

    def __init__(self, snapshot: p.Snapshot) -> None:
        grid, net = snapshot.grid, snapshot.network
        self.title = snapshot.title
        self.attribution = snapshot.attribution
        self.world = snapshot.world
        self.session = snapshot.session
        self.tick = snapshot.tick
        self.indicators = snapshot.indicators

        self.cell_m = float(grid.cell_m)
        self.grid_origin = (float(grid.origin_x_m), float(grid.origin_y_m))
        self.land_use = grid.land_use.to_numpy().reshape(grid.height, grid.width)
        self.land_use_names = list(grid.land_use_names)
        self.residents = grid.residents.to_numpy().reshape(grid.height, grid.width)
        self.jobs = grid.jobs.to_numpy().reshape(grid.height, grid.width)

        self.node_x_m = net.node_x_m.to_numpy().astype(np.float64)
        self.node_y_m = net.node_y_m.to_numpy().astype(np.float64)
        self.link_from = net.link_from.to_numpy().astype(np.int64)
        self.link_to = net.link_to.to_numpy().astype(np.int64)
        self.capacity_veh_h = net.capacity_veh_h.to_numpy().astype(np.float64)
        self.speed_kmh = net.speed_kmh.to_numpy().astype(np.float64)
        self.length_m = net.length_m.to_numpy().astype(np.float64)
        self.lanes = net.lanes.to_numpy().astype(np.int64)
        self.road_class = net.road_class.to_numpy().astype(np.int64)
        self.road_class_names = list(net.road_class_names)
        self.modes = net.modes.to_numpy().astype(np.int64)
        self.twin = net.twin.to_numpy().astype(np.int64)
        self.bus_lane = net.bus_lane.to_numpy().astype(bool)
        self.bike_lane = net.bike_lane.to_numpy().astype(bool)
        self.toll_eur = net.toll_eur.to_numpy().astype(np.float64)
        # Street names (a server from before names sends none: every link unnamed).
        self.names = list(net.names)
        self.link_name = (net.link_name.to_numpy().astype(np.int64) if net.link_name is not None
                          else np.full(self.link_from.shape[0], -1, dtype=np.int64))

        # Arrays decoded from the wire are read-only views on the message bytes: copy
        # the two that deltas rewrite.
        self.flow_veh_h = snapshot.flow_veh_h.to_numpy().astype(np.float32)
        self.closed = snapshot.closed.to_numpy().astype(bool)
        # Grid layers (noise, air, habitat, access) as the server quantised them, and what
        # each is: name, label, unit, scale. Deltas change them in place.
        self.layer_q: dict[str, np.ndarray] = {}
        self.layer_info: dict[str, p.Layer] = {}
        self.layers_changed: set[str] = set()
        for layer in snapshot.layers:
            self._take_layer(layer, None)

        n = self.n_links
        for name in ("link_to", "capacity_veh_h", "road_class", "modes", "twin", "flow_veh_h", "closed", "link_name"):
            if getattr(self, name).shape != (n,):
                raise ValueError(f"snapshot array {name} has shape {getattr(self, name).shape}, expected ({n},)")

        self.ax = self.node_x_m[self.link_from]
        self.ay = self.node_y_m[self.link_from]
        self.bx = self.node_x_m[self.link_to]
        self.by = self.node_y_m[self.link_to]

    # -- what the server says ----------------------------------------------------------

    @property
    def n_links(self) -> int:
        return int(self.link_from.shape[0])

    def apply(self, delta: p.Delta) -> np.ndarray:
        """Take in one tick's changes; return the ids (int64, sorted) of links that look different."""
        links = delta.link.to_numpy().astype(np.int64)
        flows = delta.flow_veh_h.to_numpy().astype(np.float32)
        if links.shape != flows.shape:
            raise ValueError(f"delta has {links.shape[0]} link ids but {flows.shape[0]} flows")
        if links.size and (links.min() < 0 or links.max() >= self.n_links):
            raise ValueError(f"delta names a link outside 0..{self.n_links - 1}")
        self.flow_veh_h[links] = flows

        closed = np.zeros(self.n_links, dtype=bool)
        ids = np.asarray(delta.closed, dtype=np.int64)
        closed[ids[(ids >= 0) & (ids < self.n_links)]] = True
        toggled = np.flatnonzero(closed != self.closed)
        self.closed = closed

        self.tick = delta.tick
        self.indicators = delta.indicators
        self.layers_changed = set()
        for layer in delta.layers:
            self._take_layer(layer, self.layer_q.get(layer.name))
            self.layers_changed.add(layer.name)
        moved = np.zeros(self.n_links, dtype=bool)
        moved[links] = True
        moved[toggled] = True
        return np.flatnonzero(moved)

    def _take_layer(self, layer: p.Layer, held: np.ndarray | None) -> None:
        q = layer.quantised(held)
        if q.shape != self.land_use.shape:
            raise ValueError(f"layer {layer.name} is {q.shape[0]} x {q.shape[1]} cells; the grid is {self.land_use.shape}")
        self.layer_q[layer.name] = q
        self.layer_info[layer.name] = layer

    def layer_values(self, name: str) -> np.ndarray:
        """A layer in its unit, float32[height, width]."""
        return self.layer_info[name].values(self.layer_q[name])

    def car_link(self) -> np.ndarray:
        """bool[L]: links cars may use when open (the rest are paths for feet and bikes)."""
        return np.asarray((self.modes & CAR_BIT) != 0)

    def volume_capacity(self, links: np.ndarray | None = None) -> np.ndarray:
        """float64[L]: flow over capacity (of the links given, if any); 0 where the capacity
        is not positive."""
        if links is None:
            cap, flow = self.capacity_veh_h, self.flow_veh_h
        else:
            cap, flow = self.capacity_veh_h[links], self.flow_veh_h[links]
        return np.divide(flow, cap, out=np.zeros(cap.shape[0]), where=cap > 0)

    def street_name(self, link: int) -> str:
        """The street's name, or "" if the server sent none."""
        i = int(self.link_name[link])
        return self.names[i] if 0 <= i < len(self.names) else ""

    def road_class_name(self, link: int) -> str:
        code = int(self.road_class[link])
        return self.road_class_names[code] if 0 <= code < len(self.road_class_names) else f"class {code}"

    # -- geometry ------------------------------------------------------------------------

    def grid_extent(self) -> Extent:
        x0, y0 = self.grid_origin
        h, w = self.land_use.shape
        return Extent(x0, y0, x0 + w * self.cell_m, y0 + h * self.cell_m)

    def extent(self) -> Extent:
        """Everything there is to see: the grid and every node."""
        box = self.grid_extent()
        if self.node_x_m.size:
            nodes = Extent(
                float(self.node_x_m.min()), float(self.node_y_m.min()),
                float(self.node_x_m.max()), float(self.node_y_m.max()),
            )
            box = box.union(nodes)
        return box

    def cell_at(self, x_m: float, y_m: float) -> tuple[int, int] | None:
        """(row, column) of the grid cell under a point, or None outside the grid."""
        x0, y0 = self.grid_origin
        col = int(np.floor((x_m - x0) / self.cell_m))
        row = int(np.floor((y_m - y0) / self.cell_m))
        h, w = self.land_use.shape
        return (row, col) if 0 <= row < h and 0 <= col < w else None

    def nearest_link(
        self,
        x_m: float,
        y_m: float,
        max_distance_m: float,
        right_offset_m: np.ndarray | float = 0.0,
    ) -> int | None:
        """The link drawn nearest to a point, or None if none is within max_distance_m.

        Each link is measured from its segment shifted right (in its direction of travel)
        by right_offset_m, which is where it is drawn, so that the two directions of a
        two-way street, which share their nodes, are told apart by the side clicked.
        """
        if self.n_links == 0:
            return None
        dx, dy = self.bx - self.ax, self.by - self.ay
        length = np.hypot(dx, dy)
        safe = np.where(length > 0, length, 1.0)
        ux, uy = dx / safe, dy / safe
        # Right of the direction of travel is (uy, -ux).
        ax = self.ax + uy * right_offset_m
        ay = self.ay - ux * right_offset_m
        t = np.clip(((x_m - ax) * ux + (y_m - ay) * uy), 0.0, length)
        dist = np.hypot(ax + ux * t - x_m, ay + uy * t - y_m)
        best = int(np.argmin(dist))
        return best if dist[best] <= max_distance_m else None

    def midpoint(self, link: int) -> tuple[float, float]:
        return (
            float((self.ax[link] + self.bx[link]) / 2),
            float((self.ay[link] + self.by[link]) / 2),
        )
