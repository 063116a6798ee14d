"""Shapes the town generator draws with: smooth noise, a meandering river, pieces of
land, an octagonal ring, segment crossings, strong connectivity of a link set, and the
routes and stops of bus lines."""

from __future__ import annotations

import heapq
import math
from collections import deque
from dataclasses import dataclass

import numpy as np


# -- smooth random fields and the river --------------------------------------------------


class Noise:
    """Value noise in [0, 1]: random knots every `spacing` cells, blended by smoothstep."""

    def __init__(self, rng: np.random.Generator, size: int, spacing: float) -> None:
        n = int(size / spacing) + 4
        self.knots = rng.random((n, n))
        self.spacing = spacing

    def __call__(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        top = self.knots.shape[0] - 1.001
        gx = np.clip(np.asarray(x, dtype=np.float64) / self.spacing + 1.0, 0.0, top)
        gy = np.clip(np.asarray(y, dtype=np.float64) / self.spacing + 1.0, 0.0, top)
        ix, iy = gx.astype(np.int64), gy.astype(np.int64)
        fx, fy = gx - ix, gy - iy
        sx, sy = fx * fx * (3.0 - 2.0 * fx), fy * fy * (3.0 - 2.0 * fy)
        k = self.knots
        south = k[iy, ix] * (1.0 - sx) + k[iy, ix + 1] * sx
        north = k[iy + 1, ix] * (1.0 - sx) + k[iy + 1, ix + 1] * sx
        return south * (1.0 - sy) + north * sy


@dataclass(frozen=True)
class River:
    x: np.ndarray  # float64[P], centreline points every 0.25 cell, cells
    y: np.ndarray
    half_width: np.ndarray  # float64[P], cells

    @classmethod
    def draw(cls, rng: np.random.Generator, size: int) -> River:
        heading = rng.uniform(-0.12, 0.12)
        swing = rng.uniform(0.75, 1.0)  # largest turn away from the mean heading, rad
        wavelength = rng.uniform(0.55, 0.75) * size  # along the channel, cells
        phase = rng.uniform(0.0, 2.0 * math.pi)
        skew = rng.uniform(-0.12, 0.12)
        width_phase = rng.uniform(0.0, 2.0 * math.pi)
        y_mid = rng.uniform(0.40, 0.50) * size
        xs, ys, ws = [], [], []
        x = y = s = 0.0
        x = -12.0
        while x < size + 12.0:
            u = 2.0 * math.pi * s / wavelength + phase
            theta = heading + swing * (math.sin(u) + skew * math.cos(3.0 * u))
            xs.append(x)
            ys.append(y)
            ws.append(1.55 + 0.35 * math.sin(0.9 * u + width_phase))
            x += 0.25 * math.cos(theta)
            y += 0.25 * math.sin(theta)
            s += 0.25
        px = np.round(np.array(xs), 6)
        py = np.array(ys)
        py = np.round(py + (y_mid - float(np.interp(size / 2.0, px, py))), 6)
        return cls(px, py, np.round(np.array(ws), 6))

    def clearance(self, px: np.ndarray, py: np.ndarray) -> np.ndarray:
        """Distance (cells) from each point to the water's edge; negative in the river."""
        shape = np.shape(px)
        fx, fy = np.ravel(px), np.ravel(py)
        best = np.full(fx.shape, np.inf)
        for start in range(0, self.x.shape[0], 128):
            part = slice(start, start + 128)
            dx = fx[None, :] - self.x[part, None]
            dy = fy[None, :] - self.y[part, None]
            d = np.sqrt(dx * dx + dy * dy) - self.half_width[part, None]
            best = np.minimum(best, d.min(axis=0))
        return best.reshape(shape)

    def y_at(self, x: float) -> float:
        return float(np.interp(x, self.x, self.y))


def land_components(water: np.ndarray) -> np.ndarray:
    """Label 4-connected pieces of land 0, 1, ... in scan order; water is -1."""
    h, w = water.shape
    label = np.where(water, -1, -2).astype(np.int32)
    count = 0
    for start in zip(*np.nonzero(label == -2)):
        if label[start] != -2:
            continue
        label[start] = count
        queue = deque([start])
        while queue:
            r, c = queue.popleft()
            for nr, nc in ((r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1)):
                if 0 <= nr < h and 0 <= nc < w and label[nr, nc] == -2:
                    label[nr, nc] = count
                    queue.append((nr, nc))
        count += 1
    return label


def octagon(radius: int, corner: int) -> list[tuple[int, int]]:
    """Lattice offsets of an octagonal ring, counter-clockwise from the east side."""
    pts: list[tuple[int, int]] = []
    cut = range(1, radius - corner)
    pts += [(radius, d) for d in range(-corner, corner + 1)]
    pts += [(radius - k, corner + k) for k in cut]
    pts += [(d, radius) for d in range(corner, -corner - 1, -1)]
    pts += [(-corner - k, radius - k) for k in cut]
    pts += [(-radius, d) for d in range(corner, -corner - 1, -1)]
    pts += [(-radius + k, -corner - k) for k in cut]
    pts += [(d, -radius) for d in range(-corner, corner + 1)]
    pts += [(corner + k, -radius + k) for k in cut]
    return pts


def segments_cross(p: tuple[float, float, float, float], q: tuple[float, float, float, float]) -> bool:
    """True if two segments (x0, y0, x1, y1) cross at a point inside both."""

    def side(ax: float, ay: float, bx: float, by: float, cx: float, cy: float) -> float:
        return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)

    d1 = side(q[0], q[1], q[2], q[3], p[0], p[1])
    d2 = side(q[0], q[1], q[2], q[3], p[2], p[3])
    d3 = side(p[0], p[1], p[2], p[3], q[0], q[1])
    d4 = side(p[0], p[1], p[2], p[3], q[2], q[3])
    return d1 * d2 < 0.0 and d3 * d4 < 0.0


def strongly_connected(n_nodes: int, link_from: np.ndarray, link_to: np.ndarray) -> bool:
    """True if every node touched by the given links reaches every other one along them."""
    touched = np.zeros(n_nodes, dtype=bool)
    touched[link_from] = True
    touched[link_to] = True
    if not touched.any():
        return True
    start = int(np.argmax(touched))
    for a, b in ((link_from, link_to), (link_to, link_from)):
        order = np.argsort(a, kind="stable")
        first = np.searchsorted(a[order], np.arange(n_nodes + 1))
        seen = np.zeros(n_nodes, dtype=bool)
        seen[start] = True
        stack = [start]
        while stack:
            u = stack.pop()
            for v in b[order[first[u] : first[u + 1]]]:
                if not seen[v]:
                    seen[v] = True
                    stack.append(int(v))
        if (touched & ~seen).any():
            return False
    return True


def route_links(
    n_nodes: int, link_from: np.ndarray, link_to: np.ndarray, cost: np.ndarray, allowed: np.ndarray,
    start: int, end: int,
) -> list[int] | None:
    """The links of the cheapest path from node `start` to node `end` over the allowed links,
    in driving order, or None if there is none. Ties go to the lower node, then link, index."""
    best = np.full(n_nodes, np.inf)
    pred = np.full(n_nodes, -1, dtype=np.int64)
    best[start] = 0.0
    heap = [(0.0, start)]
    order = np.argsort(link_from, kind="stable")
    first = np.searchsorted(link_from[order], np.arange(n_nodes + 1))
    while heap:
        d, u = heapq.heappop(heap)
        if d > best[u]:
            continue
        if u == end:
            break
        for link in order[first[u] : first[u + 1]]:
            v = int(link_to[link])
            if allowed[link] and d + cost[link] < best[v]:
                best[v] = d + float(cost[link])
                pred[v] = int(link)
                heapq.heappush(heap, (float(best[v]), v))
    if not math.isfinite(best[end]):
        return None
    route: list[int] = []
    node = end
    while node != start:
        route.append(int(pred[node]))
        node = int(link_from[pred[node]])
    return route[::-1]


def stops_by_spacing(length_m: np.ndarray, route: list[int], spacing_m: float) -> list[bool]:
    """A stop flag per route link: the bus stops at a link's end once it has gone at least
    `spacing_m` since the last stop (the route's first node is a stop), and at the last
    link's end; a stop less than half the spacing before that last one is left out."""
    stops: list[bool] = []
    run = 0.0
    for link in route:
        run += float(length_m[link])
        stops.append(run >= spacing_m)
        if stops[-1]:
            run = 0.0
    if stops and not stops[-1]:
        if run < 0.5 * spacing_m and True in stops:
            stops[len(stops) - 1 - stops[::-1].index(True)] = False
        stops[-1] = True
    return stops
