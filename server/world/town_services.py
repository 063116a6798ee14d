"""What the town generator puts in a town besides streets and houses: schools, doctors,
shops and bus services. Split from generate.py, which builds the town and calls these."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agora.server.world.shapes import route_links, stops_by_spacing
from agora.server.world.types import LandUse, RoadClass
from agora.server.world.world import Lines, Network

if TYPE_CHECKING:
    from agora.server.world.generate import _Layout, _TownBuilder

_BUILT = (LandUse.HOUSING, LandUse.CENTRE, LandUse.INDUSTRY)


class NoBusRoute(RuntimeError):
    """A bus service found no road through the centre (a generator bug, never a user's)."""


# Pupils and students are about 11% of residents: Germans aged 6 to 17 (Destatis, population
# by age group). A secondary school near the centre takes 45% of them; a primary school in
# each quarter of the town takes the rest in proportion to the residents of its quarter.
_PUPILS_PER_RESIDENT = 0.11
_SECONDARY_SHARE = 0.45
# General practitioners: about 1 per 1,600 residents in Germany (some 51,000 GPs for 83
# million people; KBV, Statistische Informationen aus dem Bundesarztregister, 2022). Half
# work in a health centre in the old centre (assumed), the rest in a practice per quarter.
_GP_PER_RESIDENT = 1.0 / 1600.0
_HEALTH_CENTRE_SHARE = 0.5
# Shares of a cell's jobs in retail and services (assumed): the centre and the cells along
# the high street are mostly shops, housing areas have corner shops, industry has few.
_SHOP_SHARE = {LandUse.CENTRE: 0.5, LandUse.HOUSING: 0.12, LandUse.INDUSTRY: 0.05}
_HIGH_STREET_SHOP_SHARE = 0.6
# Bus stops 300-400 m apart, a usual spacing in German towns (assumed); services and
# headways: west-east through the centre every 10 min, north-south over the old bridge every
# 15 min, round the ring every 20 min, each in both directions.
_STOP_SPACING_M = 300.0
_HEADWAY_MIN = {"west-east": 10.0, "north-south": 15.0, "ring": 20.0}


def schools(b: _TownBuilder, lu: np.ndarray, residents: np.ndarray) -> np.ndarray:
    """School places per cell (float32, whole pupils): one secondary and up to four primaries."""
    places = np.zeros(lu.shape, dtype=np.float64)
    sites = _quarter_sites(b, lu, residents)
    if not sites:
        return places.astype(np.float32)
    total = _PUPILS_PER_RESIDENT * float(residents.sum())
    rows, cols = np.nonzero((lu == LandUse.HOUSING) & (residents > 0))
    d = np.hypot(cols + 0.5 - b.centre_xy[0], rows + 0.5 - b.centre_xy[1])
    # The secondary school: the first housing cell beyond the centre's edge.
    k = int(np.argmin(np.where(d >= 13.0 * b.scale, d, np.inf)))
    places[rows[k], cols[k]] += round(_SECONDARY_SHARE * total)
    for row, col, share in sites:
        places[row, col] += round((1.0 - _SECONDARY_SHARE) * total * share)
    return places.astype(np.float32)


def health(b: _TownBuilder, lu: np.ndarray, residents: np.ndarray) -> np.ndarray:
    """General practitioners per cell (float32, whole doctors): a health centre in the old
    centre with half of them, a practice in each quarter of the town with the rest."""
    doctors = np.zeros(lu.shape, dtype=np.float64)
    sites = _quarter_sites(b, lu, residents)
    if not sites:
        return doctors.astype(np.float32)
    total = _GP_PER_RESIDENT * float(residents.sum())
    rows, cols = np.nonzero(lu == LandUse.CENTRE)
    if rows.size:
        k = int(np.argmin(np.hypot(cols + 0.5 - b.centre_xy[0], rows + 0.5 - b.centre_xy[1])))
        doctors[rows[k], cols[k]] += round(_HEALTH_CENTRE_SHARE * total)
    for row, col, share in sites:
        doctors[row, col] += max(1, round((1.0 - _HEALTH_CENTRE_SHARE) * total * share))
    return doctors.astype(np.float32)


def _quarter_sites(b: _TownBuilder, lu: np.ndarray, residents: np.ndarray) -> list[tuple[int, int, float]]:
    """(row, col, share of residents) of the housing cell nearest the residents' centre of
    each quarter of the town (split at the old centre)."""
    rows, cols = np.nonzero((lu == LandUse.HOUSING) & (residents > 0))
    if rows.size == 0:
        return []
    px, py = b.centre_xy
    x, y = cols + 0.5, rows + 0.5
    quarter = (x >= px).astype(np.int64) + 2 * (y >= py)
    people = residents[rows, cols].astype(np.float64)
    sites = []
    for q in range(4):
        mine = quarter == q
        if people[mine].sum() <= 0.0:
            continue
        w = people[mine]
        cx, cy = float((x[mine] * w).sum() / w.sum()), float((y[mine] * w).sum() / w.sum())
        site = int(np.argmin(np.hypot(x[mine] - cx, y[mine] - cy)))
        sites.append((int(rows[mine][site]), int(cols[mine][site]), float(w.sum() / people.sum())))
    return sites


def shops(b: _TownBuilder, lay: _Layout, lu: np.ndarray, jobs: np.ndarray) -> np.ndarray:
    """Retail and service jobs per cell (float32, whole jobs, part of `jobs`)."""
    share = np.zeros(lu.shape)
    for code, value in _SHOP_SHARE.items():
        share[lu == code] = value
    near = np.full(lu.shape, np.inf)
    for a, c in lay.main["high"]:
        near = np.minimum(near, b._distance_to_segment(a, c))
    share[(near < 1.5) & (jobs > 0)] = _HIGH_STREET_SHOP_SHARE
    out: np.ndarray = np.round(jobs * share).astype(np.float32)
    return out


def bus_lines(b: _TownBuilder, lay: _Layout, network: Network, index: dict[int, int],
               node_lu: np.ndarray) -> Lines:
    """Three bus services over the main roads, each in both directions."""
    n = network
    link_of = {(int(f), int(t)): k for k, (f, t) in enumerate(zip(n.link_from, n.link_to))}
    main = np.isin(n.road_class, (RoadClass.ARTERIAL, RoadClass.COLLECTOR)) & n.car_usable()

    def terminus(radial: list[int]) -> int:
        # The last built-up node on the road out of town, or a little way out.
        built = [m for m in radial[1:] if m in index and node_lu[m] in _BUILT]
        return index[built[-1]] if built else index[radial[min(2, len(radial) - 1)]]

    def through(start: int, via: int, end: int) -> list[int]:
        parts = [route_links(n.n_nodes, n.link_from, n.link_to, n.length_m, main, a, c)
                 for a, c in ((start, via), (via, end))]
        if parts[0] is None or parts[1] is None:
            raise NoBusRoute("a bus line found no road through the centre; the generator has a bug")
        return parts[0] + parts[1]

    centre, high_centre = index[b.node(lay.ic, lay.jc)], -1
    for a, c in lay.main["high"]:
        for m in (a, c):
            if m % b.k == lay.ic:
                high_centre = index[m]
    ring = [link_of[(index[a], index[c])] for a, c in lay.main["ring"]]
    outbound = {
        "west-east": through(terminus(lay.radials["west"]), high_centre if high_centre >= 0 else centre,
                             terminus(lay.radials["east"])),
        "north-south": through(terminus(lay.radials["north"]), centre, terminus(lay.radials["south"])),
        "ring": ring,
    }
    routes: list[list[int]] = []
    headways: list[float] = []
    for name, route in outbound.items():
        back = [int(n.twin[k]) for k in reversed(route)]
        routes += [route, back]
        headways += [_HEADWAY_MIN[name]] * 2
    first = np.zeros(len(routes) + 1, dtype=np.int64)
    first[1:] = np.cumsum([len(r) for r in routes])
    return Lines(
        first=first,
        link=np.array([k for r in routes for k in r], dtype=np.int32),
        stop=np.array([s for r in routes for s in stops_by_spacing(n.length_m, r, _STOP_SPACING_M)], dtype=np.bool_),
        headway_min=np.array(headways, dtype=np.float64),
    )
