"""The default world: a synthetic riverside town grown from one seed.

    world = generate_town()                  # seed 20261121: 128 x 128 cells of 25 m
    world.save(worlds_root() / "default")    # what `agora world generate` does

The town is built in this order, every random draw taken from one explicit
`np.random.default_rng(seed)`:

1. a river flows from the west edge to the east edge along a sine-generated meander
   (Langbein & Leopold 1966, with Kinoshita's skewing harmonic);
2. street nodes sit on a lattice 5 cells (125 m) apart, bent by a smooth warp and
   jittered; the centre is the lattice node just north of the river near the middle;
3. an inner ring road (an octagon of lattice nodes) crosses the river on two bridges,
   four arterials leave it for the map edges, a spine through the centre crosses on the
   old bridge, a high street runs east-west through the centre;
4. land use is drawn around those: centre, housing thinning out with distance, a park
   on the river bank, an industrial estate on the eastern arterial, a village on another
   one, woodland in a western corner, fields and copses elsewhere;
5. local streets fill the built-up lattice, a few dropped; paths cross the park and a
   footbridge crosses the river; roads to cut-off pieces are added; a few centre streets
   become one-way or pedestrian, each only if every car link stays strongly connected.

Frame: x east, y north, metres, origin at the south-west corner of cell (0, 0); the point
(x, y) lies in cell (row, col) = (floor(y / cell_m), floor(x / cell_m)). Geometry is
worked out in cell units and converted at the end.

Determinism: the only transcendental functions (the river's sines) are rounded before use,
and the outputs are quantised (node positions to the centimetre, residents and jobs to
whole people), so that the state hash does not depend on the last bit of a platform's libm.
"""

from __future__ import annotations

import argparse
import heapq
import math
from dataclasses import dataclass, field
from pathlib import Path

import msgspec
import numpy as np

from agora.server.world.shapes import (
    Noise,
    River,
    land_components,
    octagon,
    segments_cross,
    strongly_connected,
)
from agora.server.world.street_names import street_names
from agora.server.world.town_services import bus_lines, health, schools, shops
from agora.server.world.types import LandUse, Mode, RoadClass
from agora.server.world.world import Grid, Network, World, WorldMeta, worlds_root
from agora.server.world.zones import zone_nodes

DEFAULT_SEED = 20261121
TOWN = "Velmstadt"
RIVER = "Arle"

_SPACING = 5  # cells between lattice nodes: 125 m blocks at 25 m cells
_ZONE_CELLS = 8  # zones are blocks of 8 x 8 cells
_MAX_ATTEMPTS = 64
_DROP_LOCAL = 0.08  # share of local street segments left out so the lattice shows gaps
_STEPS = ((1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (1, -1), (-1, 1), (-1, -1))
_BUILT = (LandUse.HOUSING, LandUse.CENTRE, LandUse.INDUSTRY)
_CAR_CLASSES = (RoadClass.ARTERIAL, RoadClass.COLLECTOR, RoadClass.LOCAL)


class GenerateError(RuntimeError):
    """No layout met the generator's constraints for this seed and size."""


# -- the street lattice ------------------------------------------------------------------


class _Streets:
    """Undirected street segments between lattice nodes, kept planar."""

    def __init__(self, x: np.ndarray, y: np.ndarray, k: int) -> None:
        self.x, self.y, self.k = x, y, k
        self.road_class: dict[tuple[int, int], RoadClass] = {}
        self._long: list[tuple[int, int]] = []  # diagonal or bridging segments

    def segment(self, a: int, b: int) -> tuple[float, float, float, float]:
        return (float(self.x[a]), float(self.y[a]), float(self.x[b]), float(self.y[b]))

    def _short(self, a: int, b: int) -> bool:
        di, dj = abs(a % self.k - b % self.k), abs(a // self.k - b // self.k)
        return di + dj == 1

    def would_cross(self, a: int, b: int) -> bool:
        seg = self.segment(a, b)
        others = self.road_class if not self._short(a, b) else self._long
        return any(
            segments_cross(seg, self.segment(c, d)) for c, d in others if len({a, b, c, d}) == 4
        )

    def add(self, a: int, b: int, road_class: RoadClass) -> bool:
        key = (min(a, b), max(a, b))
        if key in self.road_class or self.would_cross(a, b):
            return False
        self.road_class[key] = road_class
        if not self._short(a, b):
            self._long.append(key)
        return True

    def remove(self, key: tuple[int, int]) -> None:
        del self.road_class[key]
        if key in self._long:
            self._long.remove(key)


@dataclass
class _Layout:
    """What the attempt loop settles: river, lattice, centre and the main roads."""

    river: River
    water: np.ndarray  # bool[H, W]
    banks: np.ndarray  # int32[H, W], land component per cell, -1 water
    node_bank: np.ndarray  # int32[N]
    clear: np.ndarray  # float64[N], node distance to the water's edge, cells
    wet: np.ndarray  # bool[N], too close to the river for a node
    ic: int  # lattice column and row of the centre node
    jc: int
    inside: np.ndarray  # bool[N], on or inside the ring
    streets: _Streets
    radials: dict[str, list[int]]
    main: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # ring, spine, high street


class _TownBuilder:
    def __init__(self, rng: np.random.Generator, size: int, cell_m: float) -> None:
        self.rng, self.size, self.cell_m = rng, size, cell_m
        self.scale = size / 128.0
        self.k = (size - 4) // _SPACING + 1
        self.radius = max(2, round(25.0 * self.scale / _SPACING))
        self.corner = self.radius // 2
        # Lattice nodes: node n = j * k + i sits at column i, row j of the lattice.
        k = self.k
        jj, ii = np.divmod(np.arange(k * k), k)
        offset = (size - (k - 1) * _SPACING) / 2.0
        bx, by = offset + ii * _SPACING, offset + jj * _SPACING
        warp_x, warp_y = Noise(rng, size, 32.0), Noise(rng, size, 32.0)
        jitter = rng.uniform(-0.5, 0.5, size=(2, k * k))
        x = bx + 2.2 * (2.0 * warp_x(bx, by) - 1.0) + jitter[0]
        y = by + 2.2 * (2.0 * warp_y(bx, by) - 1.0) + jitter[1]
        self.x_m = np.round(x * cell_m, 2)
        self.y_m = np.round(y * cell_m, 2)
        self.x, self.y = self.x_m / cell_m, self.y_m / cell_m
        self.row = np.clip(np.floor(self.y).astype(np.int64), 0, size - 1)
        self.col = np.clip(np.floor(self.x).astype(np.int64), 0, size - 1)
        cy, cx = np.mgrid[0:size, 0:size].astype(np.float64) + 0.5
        self.cell_x, self.cell_y = cx, cy
        self.footbridge: tuple[int, int] | None = None

    def node(self, i: int, j: int) -> int:
        return j * self.k + i

    def dist(self, a: int, b: int) -> float:
        return math.sqrt((self.x[a] - self.x[b]) ** 2 + (self.y[a] - self.y[b]) ** 2)

    def crosses_water(self, water: np.ndarray, a: int, b: int) -> bool:
        n = max(2, int(self.dist(a, b) * 5.0) + 2)
        t = np.linspace(0.0, 1.0, n)
        px = self.x[a] + (self.x[b] - self.x[a]) * t
        py = self.y[a] + (self.y[b] - self.y[a]) * t
        r = np.clip(np.floor(py).astype(np.int64), 0, self.size - 1)
        c = np.clip(np.floor(px).astype(np.int64), 0, self.size - 1)
        return bool(water[r, c].any())

    # -- 1-3: river, centre, main roads --------------------------------------------------

    def layout(self) -> _Layout:
        for _ in range(_MAX_ATTEMPTS):
            found = self._try_layout(River.draw(self.rng, self.size))
            if found is not None:
                return found
        raise GenerateError(
            f"no layout with a two-bridge ring and an old bridge in {_MAX_ATTEMPTS} attempts "
            f"at size {self.size}; try another seed or a larger size"
        )

    def _try_layout(self, river: River) -> _Layout | None:
        size, k, rad = self.size, self.k, self.radius
        water = river.clearance(self.cell_x, self.cell_y) < 0.0
        banks = land_components(water)
        if banks.max() != 1:
            return None
        north = int(banks[size - 1, size // 2])
        node_bank = banks[self.row, self.col]
        clear = river.clearance(self.x, self.y)
        wet = (node_bank < 0) | (clear < 0.8)
        ii, jj = np.arange(k * k) % k, np.arange(k * k) // k
        mid = k // 2
        for ic in (mid, mid - 1, mid + 1, mid - 2, mid + 2):
            column = [self.node(ic, j) for j in range(k)]
            jc = next((j for j, n in enumerate(column) if node_bank[n] == north and clear[n] >= 2.0), -1)
            if not (rad + 1 <= ic <= k - 2 - rad and rad + 1 <= jc <= k - 2 - rad):
                continue
            di, dj = np.abs(ii - ic), np.abs(jj - jc)
            inside = (di <= rad) & (dj <= rad) & (di + dj <= rad + self.corner)
            layout = _Layout(river, water, banks, node_bank, clear, wet, ic, jc, inside,
                             _Streets(self.x, self.y, k), {})
            if self._main_roads(layout, ic, jc):
                return layout
        return None

    def _route(self, lay: _Layout, nodes: list[int], closed: bool) -> tuple[list[tuple[int, int]], int] | None:
        """Consecutive dry nodes of a route as segments, and how many cross the river."""
        if not closed and (lay.wet[nodes[0]] or lay.wet[nodes[-1]]):
            return None
        dry = [n for n in nodes if not lay.wet[n]]
        pairs = list(zip(dry, dry[1:])) + ([(dry[-1], dry[0])] if closed else [])
        crossings = 0
        for a, b in pairs:
            if self.dist(a, b) > 3.2 * _SPACING:
                return None
            clips = self.crosses_water(lay.water, a, b)
            if lay.node_bank[a] != lay.node_bank[b]:
                crossings += 1
            elif clips:
                return None
        return pairs, crossings

    def _main_roads(self, lay: _Layout, ic: int, jc: int) -> bool:
        rad, cor = self.radius, self.corner
        ring = self._route(lay, [self.node(ic + di, jc + dj) for di, dj in octagon(rad, cor)], True)
        spine = self._route(lay, [self.node(ic, j) for j in range(jc + rad, jc - rad - 1, -1)], False)
        if ring is None or ring[1] != 2 or spine is None or spine[1] != 1:
            return False
        high = None
        for jh in (jc + 1, jc + 2, jc):
            high = self._route(lay, [self.node(i, jh) for i in range(ic - rad, ic + rad + 1)], False)
            if high is not None and high[1] == 0:
                break
            high = None
        if high is None:
            return False
        for pairs, road_class in ((ring[0], RoadClass.ARTERIAL), (spine[0], RoadClass.COLLECTOR),
                                  (high[0], RoadClass.COLLECTOR)):
            for a, b in pairs:
                if not lay.streets.add(a, b, road_class):
                    return False
        lay.main = {"ring": ring[0], "spine": spine[0], "high": high[0]}
        ii, jj = np.arange(self.k * self.k) % self.k, np.arange(self.k * self.k) // self.k
        sides = {
            "east": ([self.node(ic + rad, jc + d) for d in range(-cor, cor + 1)], ii == self.k - 1),
            "west": ([self.node(ic - rad, jc + d) for d in range(-cor, cor + 1)], ii == 0),
            "north": ([self.node(ic + d, jc + rad) for d in range(-cor, cor + 1)], jj == self.k - 1),
            "south": ([self.node(ic + d, jc - rad) for d in range(-cor, cor + 1)], jj == 0),
        }
        blocked = lay.inside.copy()
        for name, (side, target) in sides.items():
            dry = [n for n in side if not lay.wet[n]]
            if not dry:
                return False
            # Leave the ring where it is farthest from the river, the middle of the side on a tie.
            source = max(dry, key=lambda n: (round(float(lay.clear[n]), 6), -abs(side.index(n) - cor)))
            if name in ("north", "south") and side[cor] in dry:
                source = side[cor]
            path = self._lattice_path(lay, [source], target, blocked)
            if path is None:
                return False
            for a, b in zip(path, path[1:]):
                if not lay.streets.add(a, b, RoadClass.ARTERIAL):
                    return False
            blocked[path] = True
            lay.radials[name] = path
        return True

    def _lattice_path(self, lay: _Layout, sources: list[int], target: np.ndarray,
                      blocked: np.ndarray) -> list[int] | None:
        """Cheapest lattice path (8 neighbours) over dry land, kept off the river bank."""
        k = self.k
        best: dict[int, float] = {s: 0.0 for s in sources}
        prev: dict[int, int] = {}
        heap = [(0.0, s) for s in sorted(sources)]
        heapq.heapify(heap)
        while heap:
            d, n = heapq.heappop(heap)
            if d > best[n]:
                continue
            if target[n]:
                path = [n]
                while path[-1] in prev:
                    path.append(prev[path[-1]])
                return path[::-1]
            i, j = n % k, n // k
            for di, dj in _STEPS:
                if not (0 <= i + di < k and 0 <= j + dj < k):
                    continue
                m = self.node(i + di, j + dj)
                if blocked[m] or lay.wet[m] or self.crosses_water(lay.water, n, m):
                    continue
                if (min(n, m), max(n, m)) not in lay.streets.road_class and lay.streets.would_cross(n, m):
                    continue
                near_bank = min(lay.clear[n], lay.clear[m]) < 3.0
                step = (1.4142135623730951 if di and dj else 1.0) * (1.5 if near_bank else 1.0)
                if d + step < best.get(m, math.inf) - 1e-9:
                    best[m] = d + step
                    prev[m] = n
                    heapq.heappush(heap, (d + step, m))
        return None

    # -- 4: land use ---------------------------------------------------------------------

    def land_use(self, lay: _Layout) -> np.ndarray:
        """LandUse codes before roads are drawn in; also sets the centre point and noise."""
        size, s, rng = self.size, self.scale, self.rng
        cx, cy = self.cell_x, self.cell_y
        centre = self.node(lay.ic, lay.jc)
        px, py = float(self.x[centre]), float(self.y[centre]) + 3.0 * s
        self.centre_xy = (px, py)
        self.d_centre = np.sqrt((cx - px) ** 2 + (cy - py) ** 2)
        d = self.d_centre
        coarse, fine = Noise(rng, size, 24.0), Noise(rng, size, 8.0)
        n = 0.65 * coarse(cx, cy) + 0.35 * fine(cx, cy)
        r_centre, r_housing = 11.0 * s, 38.0 * s

        # The town has grown further along the valley than up its sides.
        stretched = np.sqrt(((cx - px) / 1.2) ** 2 + ((cy - py) / 0.85) ** 2)
        housing = stretched < r_housing * (0.6 + 0.8 * n)
        ribbon = np.full(d.shape, np.inf)
        for path in lay.radials.values():
            for a, b in zip(path, path[1:]):
                ribbon = np.minimum(ribbon, self._distance_to_segment(a, b))
        housing |= (ribbon < 2.0) & (d < 1.1 * r_housing)

        # The village: on a country road, a few hundred metres past the edge of town.
        hy, hx = np.nonzero(housing)
        sites = []
        for name in sorted(n for n in lay.radials if n != "east"):
            for m in lay.radials[name]:
                gap = float(np.sqrt(((hx + 0.5 - self.x[m]) ** 2 + (hy + 0.5 - self.y[m]) ** 2).min()))
                edge = min(self.x[m], self.y[m], size - self.x[m], size - self.y[m])
                if gap >= 11.0 * s and edge >= 9.0 * s:
                    sites.append(m)
                    break
        village = np.zeros_like(housing)
        vx, vy = px, py
        self.has_village = bool(sites)
        if sites:
            v = sites[int(rng.integers(len(sites)))]
            vx, vy = float(self.x[v]) + rng.uniform(-3.0, 3.0), float(self.y[v]) + rng.uniform(-3.0, 3.0)
            village = np.sqrt((cx - vx) ** 2 + (cy - vy) ** 2) < 6.5 * s * (0.75 + 0.5 * fine(cx, cy))

        east = lay.radials["east"]
        m = east[int(np.argmin([abs(self.x[e] - (size - 18.0 * s)) for e in east]))]
        away = 1.0 if self.y[m] > lay.river.y_at(float(self.x[m])) else -1.0
        ix, iy = float(self.x[m]) + 2.0 * s, float(self.y[m]) + away * 6.0 * s
        industry = ((cx - ix) / (15.0 * s)) ** 4 + ((cy - iy) / (9.0 * s)) ** 4 < 0.6 + 0.8 * fine(cx, cy)

        corners = [(0.0, 0.0), (0.0, float(size))]
        wx, wy = max(corners, key=lambda c: (c[0] - vx) ** 2 + (c[1] - vy) ** 2)
        woods = np.sqrt((cx - wx) ** 2 + (cy - wy) ** 2) < 36.0 * s * (0.6 + 0.8 * n)
        copses = (Noise(rng, size, 9.0)(cx, cy) > 0.8) & (d > 1.4 * r_housing)

        side = 1.0 if rng.random() < 0.5 else -1.0
        kx = px + side * 13.0 * s
        ky = lay.river.y_at(kx) + 5.5 * s
        self.park_xy = (kx, ky)
        park = (((cx - kx) / (8.0 * s)) ** 2 + ((cy - ky) / (5.5 * s)) ** 2 < 0.7 + 0.6 * fine(cx, cy))
        park &= lay.banks == lay.banks[int(py), int(px)]

        lu = np.full((size, size), LandUse.GRASS, dtype=np.uint8)
        for mask, code in ((copses, LandUse.WOODLAND), (woods, LandUse.WOODLAND),
                           (housing | village, LandUse.HOUSING), (industry, LandUse.INDUSTRY),
                           (d < r_centre * (0.8 + 0.4 * n), LandUse.CENTRE), (park, LandUse.PARK),
                           (lay.water, LandUse.WATER)):
            lu[mask] = code
        return lu

    def _distance_to_segment(self, a: int, b: int) -> np.ndarray:
        ax, ay, bx, by = self.x[a], self.y[a], self.x[b], self.y[b]
        vx, vy = bx - ax, by - ay
        t = np.clip(((self.cell_x - ax) * vx + (self.cell_y - ay) * vy) / (vx * vx + vy * vy), 0.0, 1.0)
        dx, dy = self.cell_x - (ax + t * vx), self.cell_y - (ay + t * vy)
        out: np.ndarray = np.sqrt(dx * dx + dy * dy)
        return out

    # -- 5: the rest of the streets --------------------------------------------------------

    def streets(self, lay: _Layout, lu: np.ndarray) -> list[tuple[int, int, RoadClass, bool]]:
        """Every street as (from, to, class, one_way); a two-way street is listed once."""
        node_lu = lu[self.row, self.col]
        street_node = np.isin(node_lu, (*_BUILT, LandUse.PARK)) & ~lay.wet
        self._spokes(lay, street_node)
        self._local_streets(lay, lu, node_lu, street_node)
        self._footbridge(lay, street_node)
        self._connect_pieces(lay)
        self._drop_cut_off(lay)
        return self._centre_rules(lay, node_lu)

    def _spokes(self, lay: _Layout, street_node: np.ndarray) -> None:
        """Collector spokes: one per side of the ring, away from that side's arterial."""
        k, rng, st = self.k, self.rng, lay.streets
        rad, cor, ic, jc = self.radius, self.corner, lay.ic, lay.jc
        for name, (di, dj) in (("east", (1, 0)), ("west", (-1, 0)), ("north", (0, 1)), ("south", (0, -1))):
            side = [self.node(ic + di * rad + dj * t, jc + dj * rad + di * t) for t in range(-cor, cor + 1)]
            start = lay.radials[name][0]
            options = [n for n in side if n != start and abs(side.index(n) - side.index(start)) >= 2
                       and not lay.wet[n]] if start in side else []
            if not options:
                continue
            n = options[int(rng.integers(len(options)))]
            added: list[tuple[int, int]] = []
            while True:
                i, j = n % k + di, n // k + dj
                if not (0 <= i < k and 0 <= j < k):
                    break
                m = self.node(i, j)
                if (not street_node[m] or lay.inside[m] or self.crosses_water(lay.water, n, m)
                        or not st.add(n, m, RoadClass.COLLECTOR)):
                    break
                added.append((min(n, m), max(n, m)))
                n = m
            if len(added) < 2:
                for key in added:
                    st.remove(key)

    def _local_streets(self, lay: _Layout, lu: np.ndarray, node_lu: np.ndarray, street_node: np.ndarray) -> None:
        """Local streets on the built-up lattice (paths through the park), a few left out."""
        k, rng, st = self.k, self.rng, lay.streets
        for n in range(k * k):
            i, j = n % k, n // k
            for m in (self.node(i + 1, j) if i + 1 < k else -1, self.node(i, j + 1) if j + 1 < k else -1):
                if m < 0 or not (street_node[n] and street_node[m]):
                    continue
                if rng.random() < _DROP_LOCAL or self.crosses_water(lay.water, n, m):
                    continue
                mid_lu = lu[int((self.y[n] + self.y[m]) / 2.0), int((self.x[n] + self.x[m]) / 2.0)]
                both_park = node_lu[n] == LandUse.PARK and node_lu[m] == LandUse.PARK
                st.add(n, m, RoadClass.PATH if mid_lu == LandUse.PARK or both_park else RoadClass.LOCAL)

        # Crooked lanes in the old centre: a diagonal across some of its blocks.
        for n in range(k * k):
            i, j = n % k, n // k
            if i + 1 >= k or j + 1 >= k:
                continue
            corners = [n, self.node(i + 1, j), self.node(i, j + 1), self.node(i + 1, j + 1)]
            flip, keep = rng.random() < 0.5, rng.random() < 0.5
            if not keep or not all(node_lu[c] == LandUse.CENTRE and not lay.wet[c] for c in corners):
                continue
            a, b = (corners[1], corners[2]) if flip else (corners[0], corners[3])
            if not self.crosses_water(lay.water, a, b):
                st.add(a, b, RoadClass.LOCAL)

    def _footbridge(self, lay: _Layout, street_node: np.ndarray) -> None:
        """A footbridge from the park to the other bank, in the ring's nearest column."""
        rad, ic, jc, kx = self.radius, lay.ic, lay.jc, self.park_xy[0]
        columns = [i for i in range(ic - rad + 1, ic + rad) if i != ic]
        for i_f in sorted(columns, key=lambda i: (abs(self.x[self.node(i, jc)] - kx), i)):
            foot = self._route(lay, [self.node(i_f, j) for j in range(jc + rad - 1, jc - rad, -1)], False)
            if foot is None or foot[1] != 1:
                continue
            a, b = next(p for p in foot[0] if lay.node_bank[p[0]] != lay.node_bank[p[1]])
            if street_node[a] and street_node[b] and lay.streets.add(a, b, RoadClass.PATH):
                self.footbridge = (a, b)
                return

    def _car_components(self, st: _Streets) -> np.ndarray:
        return self._components(st, [key for key, c in st.road_class.items() if c != RoadClass.PATH])

    def _components(self, st: _Streets, keys: list[tuple[int, int]]) -> np.ndarray:
        """Undirected component label per lattice node (-1 for nodes on no given segment)."""
        n = self.k * self.k
        parent = np.arange(n)

        def root(a: int) -> int:
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = int(parent[a])
            return a

        touched = np.zeros(n, dtype=bool)
        for a, b in keys:
            touched[a] = touched[b] = True
            ra, rb = root(a), root(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
        return np.array([root(a) if touched[a] else -1 for a in range(n)])

    def _connect_pieces(self, lay: _Layout) -> None:
        """Give every cut-off piece of street (industry, village, a stray block) a road in."""
        st = lay.streets
        centre = self.node(lay.ic, lay.jc)
        done: set[int] = set()
        while True:
            comp = self._car_components(st)
            pieces = sorted(set(comp[comp >= 0].tolist()) - {int(comp[centre])} - done)
            if not pieces:
                return
            piece = pieces[0]
            done.add(piece)
            members = np.nonzero(comp == piece)[0]
            if members.size < 3:
                continue
            path = self._lattice_path(lay, members.tolist(), comp == comp[centre],
                                      np.zeros(self.k * self.k, dtype=bool))
            if path is None:
                continue
            road_class = RoadClass.COLLECTOR if members.size >= 8 else RoadClass.LOCAL
            for a, b in zip(path, path[1:]):
                st.add(a, b, road_class)

    def _drop_cut_off(self, lay: _Layout) -> None:
        """Keep only streets reachable from the centre: cars on car streets, anyone on paths."""
        st = lay.streets
        centre = self.node(lay.ic, lay.jc)
        comp = self._car_components(st)
        for key, road_class in list(st.road_class.items()):
            if road_class != RoadClass.PATH and comp[key[0]] != comp[centre]:
                st.remove(key)
        comp = self._components(st, list(st.road_class))
        for key in list(st.road_class):
            if comp[key[0]] != comp[centre]:
                st.remove(key)

    def _centre_rules(self, lay: _Layout, node_lu: np.ndarray) -> list[tuple[int, int, RoadClass, bool]]:
        """Turn two centre streets into a pedestrian zone and a few into one-way streets."""
        streets = [(a, b, c, False) for (a, b), c in sorted(lay.streets.road_class.items())]
        px, py = self.centre_xy

        def centre_local(e: tuple[int, int, RoadClass, bool]) -> bool:
            return e[2] == RoadClass.LOCAL and LandUse.CENTRE in (node_lu[e[0]], node_lu[e[1]])

        def from_centre(e: tuple[int, int, RoadClass, bool]) -> float:
            return math.hypot((self.x[e[0]] + self.x[e[1]]) / 2.0 - px, (self.y[e[0]] + self.y[e[1]]) / 2.0 - py)

        candidates = sorted((e for e in streets if centre_local(e)), key=from_centre)
        pedestrian = 0
        for e in candidates:
            trial = [(a, b, RoadClass.PATH, o) if (a, b) == e[:2] else (a, b, c, o) for a, b, c, o in streets]
            if pedestrian < 2 and self._cars_connected(trial):
                streets, pedestrian = trial, pedestrian + 1
        one_way = 0
        remaining = [e for e in streets if centre_local(e)]
        for index in self.rng.permutation(len(remaining)):
            a, b, c, _ = remaining[int(index)]
            flip = bool(self.rng.random() < 0.5)
            done = (b, a, c, True) if flip else (a, b, c, True)
            trial = [done if (x, y) == (a, b) else (x, y, cc, o) for x, y, cc, o in streets]
            if one_way < 3 and self._cars_connected(trial):
                streets, one_way = trial, one_way + 1
        return streets

    def _cars_connected(self, streets: list[tuple[int, int, RoadClass, bool]]) -> bool:
        src: list[int] = []
        dst: list[int] = []
        for a, b, c, one_way in streets:
            if c != RoadClass.PATH:
                src.append(a)
                dst.append(b)
                if not one_way:
                    src.append(b)
                    dst.append(a)
        return strongly_connected(self.k * self.k, np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64))

    # -- roads on the grid, people, zones --------------------------------------------------

    def pave(self, lu: np.ndarray, streets: list[tuple[int, int, RoadClass, bool]]) -> np.ndarray:
        """Land use with arterials and collectors drawn in as ROAD cells (bridges stay water)."""
        out = lu.copy()
        for a, b, c, _ in streets:
            if c in (RoadClass.ARTERIAL, RoadClass.COLLECTOR):
                t = np.linspace(0.0, 1.0, int(self.dist(a, b) * 4.0) + 2)
                r = np.clip(np.floor(self.y[a] + (self.y[b] - self.y[a]) * t).astype(np.int64), 0, self.size - 1)
                col = np.clip(np.floor(self.x[a] + (self.x[b] - self.x[a]) * t).astype(np.int64), 0, self.size - 1)
                keep = out[r, col] != LandUse.WATER
                out[r[keep], col[keep]] = LandUse.ROAD
        return out

    def people(self, lu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Residents and jobs per cell, whole numbers, float32."""
        size, s, rng = self.size, self.scale, self.rng
        cx, cy, d = self.cell_x, self.cell_y, self.d_centre
        total_residents = rng.uniform(25_000.0, 30_000.0) * s * s
        total_jobs = rng.uniform(15_000.0, 19_000.0) * s * s
        n_home, n_work = Noise(rng, size, 5.0)(cx, cy), Noise(rng, size, 5.0)(cx, cy)
        housing, centre, industry = (lu == LandUse.HOUSING), (lu == LandUse.CENTRE), (lu == LandUse.INDUSTRY)
        road = lu == LandUse.ROAD
        padded = np.pad(road, 1)
        near_road = np.zeros_like(road)
        for dr in (0, 1, 2):
            for dc in (0, 1, 2):
                near_road |= padded[dr : dr + size, dc : dc + size]

        def share(weight: np.ndarray, total: float) -> np.ndarray:
            out: np.ndarray = weight * (total / float(weight.sum()))
            return out

        home_housing = housing * (0.55 + 0.9 * n_home) * (0.12 + 1.0 / (1.0 + (d / (16.0 * s)) ** 2))
        home_centre = centre * (0.8 + 0.4 * n_home)
        residents = share(home_housing, 0.9 * total_residents) + share(home_centre, 0.1 * total_residents)
        work_centre = centre * (0.7 + 0.6 * n_work) / (1.0 + (d / (8.0 * s)) ** 2)
        work_industry = industry * (0.6 + 0.8 * n_work)
        work_housing = housing * (0.25 + 1.0 * near_road) * (0.6 + 0.8 * n_work)
        jobs = (share(work_centre, 0.34 * total_jobs) + share(work_industry, 0.30 * total_jobs)
                + share(work_housing, 0.36 * total_jobs))
        return np.round(residents).astype(np.float32), np.round(jobs).astype(np.float32)

    def zones(self, lu: np.ndarray, activity: np.ndarray) -> np.ndarray:
        """Zone per cell: 8 x 8 blocks that hold residents or jobs, numbered south to north."""
        size = self.size
        per_row = -(-size // _ZONE_CELLS)
        rows, cols = np.mgrid[0:size, 0:size]
        block = (rows // _ZONE_CELLS) * per_row + cols // _ZONE_CELLS
        busy = np.bincount(block.ravel(), weights=activity.ravel(), minlength=per_row * per_row) > 0
        number = np.full(busy.shape, -1, dtype=np.int32)
        number[busy] = np.arange(int(busy.sum()), dtype=np.int32)
        zone: np.ndarray = number[block]
        zone[lu == LandUse.WATER] = -1
        return zone


# -- link attributes ------------------------------------------------------------------------

# (lanes per direction, free-flow speed km/h, capacity per lane veh/h). Town streets are
# interrupted by junctions: capacity = saturation flow x green share, with the base
# saturation flow of 1,900 veh/h/lane (Highway Capacity Manual 2010, ch. 18) and green
# shares of about 0.45 on arterials, 0.4 on collectors, and 0.25-0.3 on local streets with
# parking and priority junctions. Country arterials are uninterrupted (HCM 2010 ch. 15:
# about 1,700-1,800 veh/h/lane on two-lane rural highways at level terrain).
_IN_TOWN = {
    RoadClass.ARTERIAL: (2, 50.0, 850.0),
    RoadClass.COLLECTOR: (1, 50.0, 750.0),
    RoadClass.LOCAL: (1, 30.0, 500.0),
    # Paths carry no cars; their speed is a cyclist's, their capacity nominal.
    RoadClass.PATH: (1, 15.0, 500.0),
}
_IN_CENTRE = {**_IN_TOWN, RoadClass.COLLECTOR: (1, 40.0, 650.0)}
_IN_COUNTRY = {**_IN_TOWN, RoadClass.ARTERIAL: (2, 70.0, 1700.0)}


def _assemble(b: _TownBuilder, lay: _Layout, lu_before_roads: np.ndarray, lu: np.ndarray,
              streets: list[tuple[int, int, RoadClass, bool]], seed: int) -> World:
    used = sorted({n for a, c_, *_ in streets for n in (a, c_)})
    index = {n: new for new, n in enumerate(used)}
    src: list[int] = []
    dst: list[int] = []
    cls: list[int] = []
    twin: list[int] = []
    attrs: list[tuple[int, float, float]] = []
    order = sorted(streets, key=lambda e: (int(e[2]), min(e[0], e[1]), max(e[0], e[1])))
    for a, c_, road_class, one_way in order:
        mid = lu_before_roads[int((b.y[a] + b.y[c_]) / 2.0), int((b.x[a] + b.x[c_]) / 2.0)]
        ends = lu_before_roads[b.row[[a, c_]], b.col[[a, c_]]]
        if mid == LandUse.CENTRE:
            table = _IN_CENTRE
        elif mid in (LandUse.GRASS, LandUse.WOODLAND) and not np.isin(ends, _BUILT).any():
            table = _IN_COUNTRY
        else:
            table = _IN_TOWN
        for f, t in ((a, c_),) if one_way else ((a, c_), (c_, a)):
            src.append(index[f])
            dst.append(index[t])
            cls.append(int(road_class))
            attrs.append(table[road_class])
        if one_way:
            twin.append(-1)
        else:
            twin += [len(twin) + 1, len(twin)]
    nodes = np.array(used, dtype=np.int64)
    x_m, y_m = b.x_m[nodes], b.y_m[nodes]
    link_from, link_to = np.array(src, dtype=np.int32), np.array(dst, dtype=np.int32)
    dx, dy = x_m[link_to] - x_m[link_from], y_m[link_to] - y_m[link_from]
    lanes = np.array([a[0] for a in attrs], dtype=np.int8)
    road_class_arr = np.array(cls, dtype=np.uint8)
    network = Network(
        node_x_m=x_m,
        node_y_m=y_m,
        link_from=link_from,
        link_to=link_to,
        length_m=np.sqrt(dx * dx + dy * dy),
        lanes=lanes,
        capacity_veh_h=np.array([a[0] * a[2] for a in attrs], dtype=np.float64),
        speed_kmh=np.array([a[1] for a in attrs], dtype=np.float64),
        road_class=road_class_arr,
        modes=np.where(road_class_arr == RoadClass.PATH, int(Mode.BIKE | Mode.WALK), int(Mode.ALL)).astype(np.uint8),
        twin=np.array(twin, dtype=np.int32),
        closed=np.zeros(len(src), dtype=bool),
    )
    if not strongly_connected(network.n_nodes, *(a[network.car_usable()] for a in (link_from, link_to))):
        raise GenerateError("the car network is not strongly connected; the generator has a bug")

    residents, jobs = b.people(lu)
    zone = b.zones(lu, residents + jobs)
    zone_node = zone_nodes(network, zone, residents + jobs, b.cell_m)
    n_res, n_jobs = int(residents.sum()), int(jobs.sum())
    footbridge = b.footbridge is not None and b.footbridge[0] in index and b.footbridge[1] in index
    meta = WorldMeta(
        name="default",
        title=TOWN,
        description=(
            f"{TOWN}, a synthetic riverside town of about {round(n_res, -2):,} residents and "
            f"{round(n_jobs, -2):,} jobs on a {b.size * b.cell_m / 1000:g} km square: an old centre "
            f"on the north bank of the {RIVER}, an inner ring road with two bridges, an old "
            f"bridge into the centre, a riverside park{' with a footbridge' if footbridge else ''}, "
            f"an industrial estate on the eastern road, {'a village, ' if b.has_village else ''}"
            f"woodland and fields."
        ),
        attribution=f"Synthetic town generated by Agora's server/world/generate.py, seed {seed}; no real place",
        cell_m=b.cell_m,
        seed=seed,
        modules=["demand", "traffic", "fleet", "emissions", "noise", "noise_map", "air", "habitat", "species",
                 "connectivity", "access", "indicators"],
    )
    grid = Grid(land_use=lu, residents=residents, jobs=jobs, zone=zone,
                school_places=schools(b, lu, residents), shops=shops(b, lay, lu, jobs),
                health=health(b, lu, residents))
    lines = bus_lines(b, lay, network, index, lu_before_roads[b.row, b.col])
    world = World(meta=meta, grid=grid, network=network, zone_node=zone_node, lines=lines,
                  names=street_names(network, seed))
    world.validate()
    return world


def generate_town(seed: int = DEFAULT_SEED, size: int = 128, cell_m: float = 25.0) -> World:
    """The synthetic town for `seed` on size x size cells of cell_m metres."""
    if size < 64:
        raise ValueError(f"size {size} is too small for a town with a ring road; give 64 or more")
    if cell_m <= 0:
        raise ValueError(f"cell_m must be positive, got {cell_m}")
    builder = _TownBuilder(np.random.default_rng(seed), size, cell_m)
    layout = builder.layout()
    before_roads = builder.land_use(layout)
    streets = builder.streets(layout, before_roads)
    land_use = builder.pave(before_roads, streets)
    return _assemble(builder, layout, before_roads, land_use, streets, seed)


# -- command line ---------------------------------------------------------------------------


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "generate",
        help="generate the synthetic town and save it as a world folder",
        description="Generate the synthetic town from a seed and save it as a world folder.",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument("--size", type=int, default=128, help="cells per side (default 128)")
    parser.add_argument("--cell", type=float, default=25.0, help="cell size in metres (default 25)")
    parser.add_argument("--out", type=Path, default=None,
                        help="world folder to write (default: the bundled worlds/default)")
    parser.set_defaults(func=run)


def summary(world: World) -> str:
    """A few lines a person can compare run to run."""
    g, n = world.grid, world.network
    counts = {c.name.lower(): int((n.road_class == c).sum()) for c in RoadClass}
    one_way = int((n.twin < 0).sum())
    h, w = g.shape
    return "\n".join([
        f"{world.meta.title} (seed {world.meta.seed})",
        f"  cells      {w} x {h} of {world.meta.cell_m:g} m",
        f"  nodes      {n.n_nodes}",
        f"  links      {n.n_links} ({', '.join(f'{k} {v}' for k, v in counts.items())}; one-way {one_way})",
        f"  zones      {world.n_zones}",
        f"  residents  {int(g.residents.sum()):,}",
        f"  jobs       {int(g.jobs.sum()):,} (shops and services {int(g.shops.sum()):,})",
        f"  schools    {int((g.school_places > 0).sum())} with {int(g.school_places.sum()):,} places",
        f"  doctors    {int(g.health.sum())} general practitioners in {int((g.health > 0).sum())} places",
        f"  bus lines  {world.lines.n_lines} routes ({', '.join(f'{h:g}' for h in world.lines.headway_min)} min), "
        f"{int(world.lines.stop.sum()) + world.lines.n_lines} stops",
        f"  hash       {world.state_hash()}",
    ])


def run(args: argparse.Namespace) -> int:
    out = Path(args.out) if args.out is not None else worlds_root() / "default"
    world = generate_town(seed=args.seed, size=args.size, cell_m=args.cell)
    world.meta = msgspec.structs.replace(world.meta, name=out.name)
    world.save(out)
    print(summary(world))
    print(f"  saved to   {out}")
    return 0
