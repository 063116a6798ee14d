"""The street network of an OpenStreetMap extract: ways cut at junctions, chains of equal
street merged (degree-2 nodes removed), cars kept to the largest strongly connected part.

    roads = build_network(extract.highways, rules, "FI", (width_m, height_m), protected, log)
    roads.network                     # a world Network
    roads.link_name[17], roads.link_osm_nodes[17]

1. Each way keeps the stretches of its nodes inside the box; a stretch is cut at every node
   another stretch shares (a junction), at its ends, and at protected nodes (bus stops).
2. A node where exactly two pieces meet, with the same name and the same meaning in both
   directions (road_spec), is merged away; a node where the lanes or the limit change stays.
   A piece that would start and end at one node is cut at its middle vertex, and a second
   piece between the same two nodes likewise, so that a link is named by its ends.
3. Each piece becomes a link per direction that some mode may use; the two are twins.
4. Cars keep only the links of the largest strongly connected component of the car links,
   so that every zone can reach every other; the rest stay for the modes that remain (a
   bus line follows its route, which needs no way back). Pieces cut off from that component for every mode are dropped.

Node and link order follow the OSM ids of the ways, so the result is the same for the same
file.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from agora.server.world.osm_read import Way
from agora.server.world.osm_roads import RoadSpec, road_spec
from agora.server.world.osm_rules import ImportLog, OsmImportError, OsmRules
from agora.server.world.types import Mode
from agora.server.world.world import Network


@dataclass
class RoadNetwork:
    network: Network
    node_osm: np.ndarray  # int64[N], the OSM id of each node
    link_way: np.ndarray  # int64[L], the OSM way each link comes from (its first, if merged)
    link_name: list[str]  # the street's name, "" if none
    link_osm_nodes: list[np.ndarray]  # int64 OSM node ids along each link, start to end


@njit(cache=True, nogil=True)
def strong_components(n_nodes: int, first_out: np.ndarray, out_to: np.ndarray) -> np.ndarray:
    """Label of the strongly connected component of each node (int64[N]), iterative Tarjan.

    first_out int64[N+1] and out_to int64[E]: the graph's forward star. Labels are numbered in
    the order the components complete; a node without links is a component of its own.
    """
    index = np.full(n_nodes, -1, np.int64)
    low = np.zeros(n_nodes, np.int64)
    label = np.full(n_nodes, -1, np.int64)
    on_stack = np.zeros(n_nodes, np.bool_)
    stack = np.empty(n_nodes, np.int64)
    call_node = np.empty(n_nodes, np.int64)
    call_edge = np.empty(n_nodes, np.int64)
    top = 0
    counter = 0
    n_labels = 0
    for root in range(n_nodes):
        if index[root] >= 0:
            continue
        depth = 0
        call_node[0] = root
        call_edge[0] = first_out[root]
        index[root] = low[root] = counter
        counter += 1
        stack[top] = root
        top += 1
        on_stack[root] = True
        while depth >= 0:
            v = call_node[depth]
            e = call_edge[depth]
            if e < first_out[v + 1]:
                call_edge[depth] = e + 1
                w = out_to[e]
                if index[w] < 0:
                    index[w] = low[w] = counter
                    counter += 1
                    stack[top] = w
                    top += 1
                    on_stack[w] = True
                    depth += 1
                    call_node[depth] = w
                    call_edge[depth] = first_out[w]
                elif on_stack[w] and index[w] < low[v]:
                    low[v] = index[w]
                continue
            if low[v] == index[v]:
                while True:
                    top -= 1
                    w = stack[top]
                    on_stack[w] = False
                    label[w] = n_labels
                    if w == v:
                        break
                n_labels += 1
            depth -= 1
            if depth >= 0:
                u = call_node[depth]
                low[u] = min(low[u], low[v])
    return label


def components(n_nodes: int, link_from: np.ndarray, link_to: np.ndarray) -> np.ndarray:
    """strong_components over the given links (int64[N])."""
    order = np.argsort(link_from, kind="stable")
    first_out = np.searchsorted(link_from[order], np.arange(n_nodes + 1)).astype(np.int64)
    return strong_components(n_nodes, first_out, link_to[order].astype(np.int64))


@dataclass
class _Piece:
    a: int
    b: int
    ids: np.ndarray  # OSM node ids, a to b
    spec: RoadSpec
    way: int
    name: str

    def reversed(self) -> _Piece:
        return _Piece(self.b, self.a, self.ids[::-1].copy(), self.spec.reversed(), self.way, self.name)


def _stretches(way: Way, width_m: float, height_m: float) -> list[np.ndarray]:
    """Index ranges of the way's consecutive nodes inside the box (two or more)."""
    inside = np.isfinite(way.x_m) & (way.x_m >= 0) & (way.x_m <= width_m) & (way.y_m >= 0) & (way.y_m <= height_m)
    repeated = way.node_ids[1:] == way.node_ids[:-1]
    if inside.all() and not repeated.any():
        return [np.arange(way.node_ids.size)] if way.node_ids.size >= 2 else []
    keep = inside.copy()
    keep[1:] &= ~repeated  # a node repeated in a row
    idx = np.nonzero(keep)[0]
    # A stretch breaks where a node outside the box (or missing) lies between two kept ones.
    run = np.cumsum(~inside)[idx]
    return [s for s in np.split(idx, np.nonzero(np.diff(run))[0] + 1) if s.size >= 2]


def build_network(ways: list[Way], rules: OsmRules, country: str | None, box_m: tuple[float, float],
                  protected: set[int], log: ImportLog) -> RoadNetwork:
    width_m, height_m = box_m
    stretches: list[tuple[int, np.ndarray, RoadSpec]] = []  # (way index, node ids, spec)
    coords: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    # Ways with the same tags (but their names) mean the same: each meaning is worked out once.
    meanings: dict[tuple[tuple[str, str], ...], tuple[RoadSpec | None, ImportLog]] = {}
    for w, way in enumerate(ways):
        key = tuple(sorted((k, v) for k, v in way.tags.items() if k != "name"))
        meaning = meanings.get(key)
        if meaning is None:
            own = ImportLog()
            meaning = meanings[key] = (road_spec(way.tags, rules, country, own), own)
        spec = meaning[0]
        log.merge(meaning[1])
        if spec is None:
            continue
        parts = _stretches(way, width_m, height_m)
        if not parts:
            log.drop("ways", "no two consecutive nodes inside the box")
        for part in parts:
            stretches.append((w, way.node_ids[part], spec))
            coords.append((way.node_ids[part], way.x_m[part], way.y_m[part]))
    if not stretches:
        raise OsmImportError("the extract has no streets inside the box: no highway=* way to travel on")
    known, first = np.unique(np.concatenate([c[0] for c in coords]), return_index=True)
    known_x = np.concatenate([c[1] for c in coords])[first]
    known_y = np.concatenate([c[2] for c in coords])[first]

    # 1. Cut at junctions, stretch ends and protected nodes.
    all_ids = np.concatenate([ids for _, ids, _ in stretches])
    uniq, counts = np.unique(all_ids, return_counts=True)
    cut = set(uniq[counts >= 2].tolist()) | protected
    for _, ids, _ in stretches:
        cut.add(int(ids[0]))
        cut.add(int(ids[-1]))
    keep_nodes = set(protected)
    pieces: list[_Piece] = []
    for w, ids, spec in stretches:
        at = [i for i, n in enumerate(ids.tolist()) if n in cut]
        way = ways[w]
        for p, q in zip(at[:-1], at[1:]):
            pieces.append(_Piece(int(ids[p]), int(ids[q]), ids[p:q + 1], spec, way.osm_id, way.tags.get("name", "")))

    # 2. Merge chains of equal pieces at degree-2 nodes; cut loops and doubled pairs.
    pieces = _split_loops(pieces, keep_nodes)
    before = len(pieces)
    pieces = _merge_chains(pieces, keep_nodes)
    pieces = _split_doubles(pieces, keep_nodes)
    log.counts["street pieces between junctions"] = before
    log.counts["street pieces after merging degree-2 nodes"] = len(pieces)

    # 3. Links, one per usable direction.
    src: list[int] = []
    dst: list[int] = []
    directions = []
    link_piece: list[int] = []
    twin: list[int] = []
    for k, piece in enumerate(pieces):
        made = []
        for a, b, d in ((piece.a, piece.b, piece.spec.forward), (piece.b, piece.a, piece.spec.backward)):
            if d is None:
                continue
            made.append(len(src))
            src.append(a)
            dst.append(b)
            directions.append(d)
            link_piece.append(k)
        twin += [made[1], made[0]] if len(made) == 2 else [-1]
    node_osm = np.array(sorted({*src, *dst}), dtype=np.int64)
    link_from = np.searchsorted(node_osm, np.array(src, np.int64))
    link_to = np.searchsorted(node_osm, np.array(dst, np.int64))
    modes = np.array([d.modes for d in directions], dtype=np.uint8)

    # 4. Cars on the largest strongly connected component; drop what nothing reaches.
    car = (modes & Mode.CAR) != 0
    if not car.any():
        raise OsmImportError("the extract has no drivable roads inside the box (only paths, or every road "
                             "closed to cars): a world needs streets for its traffic model")
    label = components(node_osm.size, link_from[car], link_to[car])
    inner = car & (label[link_from] == label[link_to])
    if not inner.any():
        raise OsmImportError("the drivable roads of the extract form no network that cars can drive round "
                             "(only one-way pieces): a world needs streets for its traffic model")
    biggest = int(np.argmax(np.bincount(label[link_from[inner]])))
    in_scc = (label[link_from] == biggest) & (label[link_to] == biggest)
    outside = car & ~in_scc
    log.drop("car links", "outside the largest strongly connected part of the car network (kept for "
             "buses, bikes and walkers where they may use them)", int(outside.sum()))
    modes[outside] &= ~np.uint8(Mode.CAR)
    usable = modes != 0
    both_from = np.concatenate([link_from[usable], link_to[usable]])
    both_to = np.concatenate([link_to[usable], link_from[usable]])
    weak = components(node_osm.size, both_from, both_to)
    main = int(weak[link_from[car & in_scc][0]])
    kept = usable & (weak[link_from] == main)
    log.drop("links", "cut off from the car network for every mode that may use them", int((~kept).sum()))
    log.drop("links", "closed to cars outside the car network and to every other mode", int((~usable).sum()))

    order = np.nonzero(kept)[0]
    new_index = np.full(len(src), -1, np.int64)
    new_index[order] = np.arange(order.size)
    used = np.unique(np.concatenate([link_from[order], link_to[order]]))
    node_new = np.full(node_osm.size, -1, np.int64)
    node_new[used] = np.arange(used.size)
    old_twin = np.array(twin, dtype=np.int64)[order]
    new_twin = np.where(old_twin >= 0, new_index[np.maximum(old_twin, 0)], -1)
    kept_dirs = [directions[k] for k in order.tolist()]
    link_osm_nodes = []
    for k in order.tolist():
        piece = pieces[link_piece[k]]
        link_osm_nodes.append(piece.ids if src[k] == piece.a and dst[k] == piece.b else piece.ids[::-1].copy())
    length = _lengths(link_osm_nodes, known, known_x, known_y)
    where = np.searchsorted(known, node_osm[used])
    network = Network(
        node_x_m=known_x[where],
        node_y_m=known_y[where],
        link_from=node_new[link_from[order]].astype(np.int32),
        link_to=node_new[link_to[order]].astype(np.int32),
        length_m=np.maximum(np.round(length, 2), 0.01),
        lanes=np.array([d.lanes for d in kept_dirs], dtype=np.int8),
        capacity_veh_h=np.array([d.capacity_veh_h for d in kept_dirs], dtype=np.float64),
        speed_kmh=np.array([d.speed_kmh for d in kept_dirs], dtype=np.float64),
        road_class=np.array([int(pieces[link_piece[k]].spec.road_class) for k in order.tolist()], dtype=np.uint8),
        modes=modes[order],
        twin=np.where(new_twin >= 0, new_twin, -1).astype(np.int32),
        closed=np.zeros(order.size, dtype=np.bool_),
        bus_lane=np.array([d.bus_lane for d in kept_dirs], dtype=np.bool_),
        bike_lane=np.array([d.bike_lane for d in kept_dirs], dtype=np.bool_),
    )
    return RoadNetwork(
        network=network,
        node_osm=node_osm[used],
        link_way=np.array([pieces[link_piece[k]].way for k in order.tolist()], dtype=np.int64),
        link_name=[pieces[link_piece[k]].name for k in order.tolist()],
        link_osm_nodes=link_osm_nodes,
    )


def _lengths(chains: list[np.ndarray], known: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Length (m) along each chain of OSM node ids; `known` sorted ids with their x, y."""
    sizes = np.array([c.size for c in chains], dtype=np.int64)
    at = np.searchsorted(known, np.concatenate(chains))
    run = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(x[at]), np.diff(y[at])))])
    starts = np.cumsum(sizes) - sizes
    out: np.ndarray = run[starts + sizes - 1] - run[starts]
    return out


def _split_at_middle(piece: _Piece, keep: set[int]) -> list[_Piece]:
    m = piece.ids.size // 2
    keep.add(int(piece.ids[m]))
    return [_Piece(piece.a, int(piece.ids[m]), piece.ids[: m + 1], piece.spec, piece.way, piece.name),
            _Piece(int(piece.ids[m]), piece.b, piece.ids[m:], piece.spec, piece.way, piece.name)]


def _split_loops(pieces: list[_Piece], keep: set[int]) -> list[_Piece]:
    out = []
    for piece in pieces:
        if piece.a != piece.b:
            out.append(piece)
        elif piece.ids.size >= 4:  # a ring with at least two other vertices
            out += _split_at_middle(piece, keep)
    return out


def _split_doubles(pieces: list[_Piece], keep: set[int]) -> list[_Piece]:
    seen: set[tuple[int, int]] = set()
    out = []
    for piece in pieces:
        pair = (min(piece.a, piece.b), max(piece.a, piece.b))
        if pair in seen and piece.ids.size >= 3:
            out += _split_at_middle(piece, keep)
            continue
        seen.add(pair)
        out.append(piece)
    return out


def _merge_chains(pieces: list[_Piece], keep: set[int]) -> list[_Piece]:
    """Merge pieces through nodes where exactly two equal pieces meet, in node id order."""
    alive: dict[int, _Piece] = dict(enumerate(pieces))
    at: dict[int, list[int]] = {}
    for k, piece in alive.items():
        at.setdefault(piece.a, []).append(k)
        at.setdefault(piece.b, []).append(k)
    next_key = len(pieces)
    for node in sorted(at):
        touching = at[node]
        if node in keep or len(touching) != 2 or touching[0] == touching[1]:
            continue
        s, t = alive[touching[0]], alive[touching[1]]
        if s.b != node:
            s = s.reversed()
        if t.a != node:
            t = t.reversed()
        if s.spec != t.spec or s.name != t.name or s.a == t.b:
            continue
        merged = _Piece(s.a, t.b, np.concatenate([s.ids, t.ids[1:]]), s.spec, min(s.way, t.way), s.name)
        for k in touching:
            del alive[k]
        alive[next_key] = merged
        for end, old in ((merged.a, touching), (merged.b, touching)):
            at[end] = [next_key if k in old else k for k in at[end]]
        next_key += 1
    return [alive[k] for k in sorted(alive)]
