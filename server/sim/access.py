"""15-minute access: the share of residents who reach each daily need on foot and by bike.

    access = Access(model_parameters()["access"])
    access.step(board)        # recomputes only when the network, land use or amenities changed
    board["indicator.access_walk_school"]   # share of residents, 0-1

Five needs: a grocery (a cell with at least `grocery_min_retail_jobs` retail jobs), a
school (school places), a doctor (general practitioners), a park (a green area of at
least `park_min_area_m2`) and a bus stop (the end node of a route link where the line
stops). Each cell reaches the network at its nearest node, and each opportunity likewise,
over the straight line times `detour_factor`. A multi-source shortest-path search from
every opportunity gives each node its distance to the nearest one, over the links the
mode may use: walking over links with the WALK bit, in both directions (pedestrians walk
both ways on a one-way street); cycling over links with the BIKE bit, in their own
direction only (the twin link, where there is one, is the way back), except paths, which
have no one-way traffic. A closure to cars changes nothing here; a link that loses its
WALK or BIKE bit does. A cell's distance is its access leg plus its node's distance, or
the (detoured) straight line to an opportunity in the cell itself or in one of its eight
neighbours, whichever is less; its time is that distance at the mode's speed.

The nodes a cell may attach to are every node that some link touches, whatever the modes
of those links: so a closure can only lengthen times, never move a cell to another node,
and no closure ever increases access (a cell whose nearest node loses all its walkable
links loses access on foot, unless an opportunity is next to it).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit

from agora.server.sim.paths import forward_star, shortest_path_tree
from agora.server.sim.pipeline import Board
from agora.server.world.types import LandUse, Mode, RoadClass

NEEDS = ("grocery", "school", "health", "park", "stop")
MODES = ("walk", "bike")
# Times compared with the threshold carry this slack, so that an exact boundary (a 900 m
# path at 3.6 km/h is 15 minutes) counts as within whatever the rounding of the speed.
WITHIN_SLACK_MIN = 1e-9

INPUTS = ("node_x_m", "node_y_m", "link_from", "link_to", "link_length_m", "link_modes", "link_road_class",
          "line_link", "line_stop", "grid_origin_m", "grid_cell_m", "grid_land_use", "grid_residents",
          "grid_shops", "grid_school_places", "grid_health")
DIGEST = "access_inputs_digest"


@njit(cache=True, nogil=True)
def digest_words(words: np.ndarray, state: np.ndarray) -> None:
    """Fold words (uint64[n]) into state (uint64[2]), in place.

    Each word is mixed with its position and the state so far (xor, multiply, xorshift,
    multiply: a bijection, so any change of a word changes its term) and the terms are
    summed in two lanes. Not cryptographic: a fingerprint that changes when an input
    does, at about the speed of reading the bytes (the terms are independent, so the loop
    vectorises).
    """
    c1 = np.uint64(0x9E3779B97F4A7C15)
    c2 = np.uint64(0xC2B2AE3D27D4EB4F)
    c3 = np.uint64(0x165667B19E3779F9)
    seed = state[0]
    h0 = np.uint64(0)
    h1 = np.uint64(0)
    for i in range(words.shape[0]):
        x = (words[i] ^ (np.uint64(i) * c3) ^ seed) * c1
        x ^= x >> np.uint64(29)
        x *= c2
        h0 += x
        h1 += x ^ (x >> np.uint64(32))
    state[0] = (state[0] ^ h0) * c1
    state[1] = (state[1] ^ h1) * c2 + state[0]


def parameters_digest(params: dict[str, Any]) -> np.ndarray:
    """uint64[2], a fingerprint of the parameters, to start the inputs' digest from."""
    text = repr(sorted(params.items())).encode()
    words = np.frombuffer(text + bytes(-len(text) % 8), dtype=np.uint64)
    state = np.array([0x243F6A8885A308D3, 0x13198A2E03707344], dtype=np.uint64)
    digest_words(words, state)
    return state


def inputs_digest(board: Board, start: np.ndarray) -> np.ndarray:
    """uint64[2], a fingerprint of every input's dtype, shape and bytes, folded into a
    copy of start (uint64[2])."""
    state = start.copy()
    for name in INPUTS:
        array = np.ascontiguousarray(board[name])
        raw = array.reshape(-1).view(np.uint8)
        n_words = raw.shape[0] // 8
        digest_words(raw[: n_words * 8].view(np.uint64), state)
        tail = np.zeros(8, dtype=np.uint8)
        tail[: raw.shape[0] - n_words * 8] = raw[n_words * 8 :]
        shape = (array.dtype.num, array.itemsize, array.ndim, *array.shape, int(tail.view(np.uint64)[0]))
        digest_words(np.array(shape, dtype=np.uint64), state)
    return state


@njit(cache=True, nogil=True)
def nearest_nodes(
    node_x_m: np.ndarray,
    node_y_m: np.ndarray,
    candidate: np.ndarray,
    origin_x_m: float,
    origin_y_m: float,
    cell_m: float,
    height: int,
    width: int,
    block_cells: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The candidate node nearest each cell centre, and the straight-line distance to it.

    node_x_m, node_y_m float64[N] (m); candidate bool[N]. Returns nearest int32[H, W]
    (-1 when there is no candidate) and distance_m float64[H, W] (inf then). Ties go to the
    lower node index.

    Nodes are bucketed in blocks of block_cells x block_cells cells (nodes off the grid in
    the edge blocks). For each block, rings of blocks around it are scanned until none
    left can hold a node within D + 2h of its centre (D: the nearest node to the centre,
    h: the block's half diagonal): only those nodes can be nearest to a point of the block.
    Its cells then compare just those, so a cell far from a compact town costs no more
    than one beside it.
    """
    n = node_x_m.shape[0]
    block_m = block_cells * cell_m
    rows = (height + block_cells - 1) // block_cells
    cols = (width + block_cells - 1) // block_cells
    block = np.full(n, -1, dtype=np.int64)
    first = np.zeros(rows * cols + 1, dtype=np.int64)
    for v in range(n):
        if candidate[v]:
            br = min(max(math.floor((node_y_m[v] - origin_y_m) / block_m), 0), rows - 1)
            bc = min(max(math.floor((node_x_m[v] - origin_x_m) / block_m), 0), cols - 1)
            block[v] = br * cols + bc
            first[block[v] + 1] += 1
    for k in range(rows * cols):
        first[k + 1] += first[k]
    members = np.empty(first[rows * cols], dtype=np.int64)
    fill = first[:-1].copy()
    for v in range(n):
        if block[v] >= 0:
            members[fill[block[v]]] = v
            fill[block[v]] += 1
    nearest = np.full((height, width), -1, dtype=np.int32)
    distance_m = np.full((height, width), np.inf)
    if members.shape[0] == 0:
        return nearest, distance_m
    near = np.empty(members.shape[0], dtype=np.int64)
    near_m = np.empty(members.shape[0])
    for br in range(rows):
        r0, r1 = br * block_cells, min((br + 1) * block_cells, height)
        for bc in range(cols):
            c0, c1 = bc * block_cells, min((bc + 1) * block_cells, width)
            mx = origin_x_m + 0.5 * (c0 + c1) * cell_m
            my = origin_y_m + 0.5 * (r0 + r1) * cell_m
            reach_m = math.sqrt((r1 - r0) ** 2 + (c1 - c0) ** 2) * cell_m  # 2h
            centre_m, n_near, ring = np.inf, 0, 0
            while True:
                for i in range(max(br - ring, 0), min(br + ring, rows - 1) + 1):
                    step = 1 if abs(i - br) == ring else 2 * ring
                    for j in range(bc - ring, bc + ring + 1, step):
                        if j < 0 or j >= cols:
                            continue
                        for k in range(first[i * cols + j], first[i * cols + j + 1]):
                            v = members[k]
                            d = math.sqrt((node_x_m[v] - mx) ** 2 + (node_y_m[v] - my) ** 2)
                            if d <= centre_m + reach_m:
                                near[n_near], near_m[n_near] = v, d
                                n_near += 1
                            centre_m = min(centre_m, d)
                # Blocks beyond this ring lie farther than ring * block_m from the centre.
                if ring * block_m > centre_m + reach_m or ring > rows + cols:
                    break
                ring += 1
            for r in range(r0, r1):
                py = origin_y_m + (r + 0.5) * cell_m
                for c in range(c0, c1):
                    px = origin_x_m + (c + 0.5) * cell_m
                    best_sq, best = np.inf, -1
                    for k in range(n_near):
                        v = near[k]
                        if near_m[k] > centre_m + reach_m:
                            continue
                        d_sq = (node_x_m[v] - px) ** 2 + (node_y_m[v] - py) ** 2
                        if d_sq < best_sq or (d_sq == best_sq and v < best):
                            best_sq, best = d_sq, v
                    nearest[r, c] = best
                    distance_m[r, c] = math.sqrt(best_sq)
    return nearest, distance_m


@njit(cache=True, nogil=True)
def large_areas(mask: np.ndarray, min_cells: int) -> np.ndarray:
    """bool[H, W]: the cells of mask (bool[H, W]) in edge-connected areas of at least
    min_cells cells."""
    height, width = mask.shape
    seen = np.zeros((height, width), dtype=np.bool_)
    keep = np.zeros((height, width), dtype=np.bool_)
    queue = np.empty(height * width, dtype=np.int64)
    for r0 in range(height):
        for c0 in range(width):
            if not mask[r0, c0] or seen[r0, c0]:
                continue
            seen[r0, c0] = True
            queue[0] = r0 * width + c0
            head, size = 0, 1
            while head < size:
                r, c = divmod(queue[head], width)
                head += 1
                for dr, dc in ((1, 0), (-1, 0), (0, 1), (0, -1)):
                    rr, cc = r + dr, c + dc
                    if 0 <= rr < height and 0 <= cc < width and mask[rr, cc] and not seen[rr, cc]:
                        seen[rr, cc] = True
                        queue[size] = rr * width + cc
                        size += 1
            if size >= min_cells:
                for k in range(size):
                    r, c = divmod(queue[k], width)
                    keep[r, c] = True
    return keep


@njit(cache=True, nogil=True)
def seed_distances_m(nearest: np.ndarray, leg_m: np.ndarray, opportunity: np.ndarray, n_nodes: int) -> np.ndarray:
    """float64[N]: for each node, the shortest leg_m (float64[H, W], m) of the opportunity
    cells (bool[H, W]) whose nearest node (int32[H, W]) it is; inf for the others."""
    seed = np.full(n_nodes, np.inf)
    height, width = opportunity.shape
    for r in range(height):
        for c in range(width):
            v = nearest[r, c]
            if opportunity[r, c] and v >= 0 and leg_m[r, c] < seed[v]:
                seed[v] = leg_m[r, c]
    return seed


@njit(cache=True, nogil=True)
def cell_distances_m(
    nearest: np.ndarray, leg_m: np.ndarray, node_m: np.ndarray, opportunity: np.ndarray, cell_m: float,
    detour_factor: float,
) -> np.ndarray:
    """float64[H, W], m: each cell's distance to the nearest opportunity.

    The access leg leg_m (float64[H, W], detoured) plus its nearest node's (int32[H, W])
    distance node_m (float64[N]), or the detoured straight line between cell centres to an
    opportunity (bool[H, W]) in the cell or one of its eight neighbours, if shorter.
    """
    height, width = opportunity.shape
    out = np.full((height, width), np.inf)
    for r in range(height):
        for c in range(width):
            v = nearest[r, c]
            d = leg_m[r, c] + node_m[v] if v >= 0 else np.inf
            for dr in range(-1, 2):
                for dc in range(-1, 2):
                    rr, cc = r + dr, c + dc
                    if 0 <= rr < height and 0 <= cc < width and opportunity[rr, cc]:
                        d = min(d, detour_factor * cell_m * math.sqrt(dr * dr + dc * dc))
            out[r, c] = d
    return out


def mode_graph(
    n_nodes: int, link_from: np.ndarray, link_to: np.ndarray, length_m: np.ndarray, usable: np.ndarray,
    both_ways: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The search graph from the opportunities outwards, with a source node n_nodes.

    A usable link a -> b lets a traveller at a reach b, so the search steps from b to a;
    links usable both ways (bool[L]) also from a to b. Returns first_out int64[N + 2],
    out_links int32[E], edge_to int32[E] and edge_m float64[E] (forward star of N + 1 nodes;
    the source has no edges until `nearest_opportunity_m` appends them).
    """
    forward, backward = usable, usable & both_ways
    edge_from = np.concatenate([link_to[forward], link_from[backward]]).astype(np.int32)
    edge_to = np.concatenate([link_from[forward], link_to[backward]]).astype(np.int32)
    edge_m = np.concatenate([length_m[forward], length_m[backward]]).astype(np.float64)
    first_out, out_links = forward_star(n_nodes + 1, edge_from, edge_to)
    return first_out, out_links, edge_to, edge_m


def nearest_opportunity_m(
    graph: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], seed_m: np.ndarray
) -> np.ndarray:
    """float64[N], m: each node's network distance to the nearest seed, a seed counting
    seed_m (float64[N], inf for none) on arrival: one search from a source node tied to
    every seed by an edge of its seed distance."""
    first_out, out_links, edge_to, edge_m = graph
    n_nodes = seed_m.shape[0]
    seeds = np.flatnonzero(np.isfinite(seed_m)).astype(np.int32)
    n_edges = edge_to.shape[0]
    first = first_out.copy()
    first[n_nodes + 1] = n_edges + seeds.shape[0]
    links = np.concatenate([out_links, np.arange(n_edges, n_edges + seeds.shape[0], dtype=np.int32)])
    heads = np.concatenate([edge_to, seeds])
    cost = np.concatenate([edge_m, seed_m[seeds]])
    usable = np.ones(cost.shape[0], dtype=np.bool_)
    dist, _, _ = shortest_path_tree(first, links, heads, cost, usable, n_nodes, 0)
    out: np.ndarray = dist[:n_nodes]
    return out


def opportunities(board: Board, p: dict[str, Any], stops: np.ndarray) -> dict[str, np.ndarray]:
    """bool[H, W] per need: the cells that hold one (bus stops: the cells of the stop
    nodes, int32[S])."""
    land = board["grid_land_use"]
    cell_m = float(board["grid_cell_m"])
    green = land == LandUse.PARK
    if p["woodland_is_park"]:
        green |= land == LandUse.WOODLAND
    min_cells = max(1, math.ceil(float(p["park_min_area_m2"]) / (cell_m * cell_m) - 1e-9))
    stop_cells = np.zeros(land.shape, dtype=np.bool_)
    origin = board["grid_origin_m"]
    r = np.floor((board["node_y_m"][stops] - origin[1]) / cell_m).astype(np.int64)
    c = np.floor((board["node_x_m"][stops] - origin[0]) / cell_m).astype(np.int64)
    inside = (r >= 0) & (r < land.shape[0]) & (c >= 0) & (c < land.shape[1])
    stop_cells[r[inside], c[inside]] = True
    return {
        "grocery": board["grid_shops"] >= float(p["grocery_min_retail_jobs"]),
        "school": board["grid_school_places"] > 0.0,
        "health": board["grid_health"] > 0.0,
        "park": large_areas(green, min_cells),
        "stop": stop_cells,
    }


def stop_nodes(board: Board) -> np.ndarray:
    """int32[S], ascending: the nodes where some bus line stops."""
    route = board["line_link"][board["line_stop"].astype(np.bool_)]
    nodes: np.ndarray = np.unique(board["link_to"][route]).astype(np.int32)
    return nodes


def distances_m(board: Board, p: dict[str, Any]) -> dict[str, dict[str, np.ndarray]]:
    """float64[H, W] per mode and need: metres from each cell to the nearest opportunity."""
    land = board["grid_land_use"]
    height, width = land.shape
    cell_m = float(board["grid_cell_m"])
    origin = board["grid_origin_m"]
    x, y = board["node_x_m"], board["node_y_m"]
    lf, lt = board["link_from"], board["link_to"]
    n_nodes = x.shape[0]
    detour = float(p["detour_factor"])
    candidate = np.zeros(n_nodes, dtype=np.bool_)
    candidate[lf] = True
    candidate[lt] = True
    n_candidates = max(int(candidate.sum()), 1)
    block_cells = max(1, round(math.sqrt(height * width / n_candidates)))
    nearest, straight_m = nearest_nodes(x, y, candidate, float(origin[0]), float(origin[1]), cell_m, height,
                                        width, block_cells)
    leg_m = straight_m * detour
    modes = board["link_modes"]
    is_path = board["link_road_class"] == RoadClass.PATH
    graphs = {
        "walk": mode_graph(n_nodes, lf, lt, board["link_length_m"], (modes & Mode.WALK) != 0,
                           np.ones(lf.shape[0], dtype=np.bool_)),
        "bike": mode_graph(n_nodes, lf, lt, board["link_length_m"], (modes & Mode.BIKE) != 0, is_path),
    }
    stops = stop_nodes(board)
    out: dict[str, dict[str, np.ndarray]] = {mode: {} for mode in MODES}
    for need, cells in opportunities(board, p, stops).items():
        seed = seed_distances_m(nearest, leg_m, cells, n_nodes)
        if need == "stop":
            seed[stops] = 0.0
        for mode, graph in graphs.items():
            node_m = nearest_opportunity_m(graph, seed)
            out[mode][need] = cell_distances_m(nearest, leg_m, node_m, cells, cell_m, detour)
    return out


class Access:
    """Pipeline module: how many daily needs each cell reaches within the threshold.

    Writes grid_access_walk_needs, grid_access_bike_needs (uint8[H, W], 0-5 needs),
    grid_access_walk_min (float32[H, W], minutes on foot to the farthest of the five
    nearest needs, capped at time_cap_min), the 0-d float64 indicators
    `indicator.access_<mode>_<need>` and `indicator.access_<mode>_all` (shares of residents,
    0-1), and access_inputs_digest (uint64[2]), the fingerprint of the parameters and
    inputs they were computed from: an unchanged world is not recomputed.
    """

    name = "access"
    inputs = INPUTS
    outputs = (
        "grid_access_walk_needs", "grid_access_bike_needs", "grid_access_walk_min",
        *(f"indicator.access_{mode}_{need}" for mode in MODES for need in (*NEEDS, "all")),
        DIGEST,
    )

    def __init__(self, params: dict[str, Any]) -> None:
        for key in ("walk_speed_kmh", "bike_speed_kmh", "threshold_min", "detour_factor", "time_cap_min"):
            if not float(params[key]) > 0.0:
                raise ValueError(f"[access] {key} must be > 0, not {params[key]!r}")
        if float(params["detour_factor"]) < 1.0:
            raise ValueError(f"[access] detour_factor must be >= 1 (no path is shorter than the straight "
                             f"line), not {params['detour_factor']!r}")
        self.p = dict(params)
        self.start = parameters_digest(self.p)

    def step(self, board: Board) -> None:
        digest = inputs_digest(board, self.start)
        if DIGEST in board and np.array_equal(board[DIGEST], digest):
            return
        p = self.p
        residents = board["grid_residents"].astype(np.float64)
        total = float(residents.sum())
        threshold = float(p["threshold_min"]) + WITHIN_SLACK_MIN
        for mode, by_need in distances_m(board, p).items():
            m_per_min = float(p[f"{mode}_speed_kmh"]) * 1000.0 / 60.0
            minutes = np.stack([by_need[need] / m_per_min for need in NEEDS])
            within = minutes <= threshold
            reached = {**dict(zip(NEEDS, within)), "all": np.all(within, axis=0)}
            for need, cells in reached.items():
                board[f"indicator.access_{mode}_{need}"] = np.array(_share(residents, cells, total))
            board[f"grid_access_{mode}_needs"] = within.sum(axis=0).astype(np.uint8)
            if mode == "walk":
                slowest = np.minimum(minutes.max(axis=0), float(p["time_cap_min"]))
                board["grid_access_walk_min"] = slowest.astype(np.float32)
        board[DIGEST] = digest


def _share(residents: np.ndarray, reached: np.ndarray, total: float) -> float:
    # Summing the whole array with zeros in place of the unreached keeps the summation
    # order fixed, so a share can never grow when fewer cells are reached.
    return float(np.where(reached, residents, 0.0).sum()) / total if total > 0.0 else 0.0
