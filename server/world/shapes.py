"""Shapes the town generator draws with: smooth noise, a meandering river, pieces of
land, an octagonal ring, segment crossings, and strong connectivity of a link set."""

from __future__ import annotations

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
