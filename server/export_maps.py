"""Maps for the HTML report (matplotlib, PNG): the town at the start, each proposal's
interventions drawn on it, and the plan adopted by the end.

    png = baseline_map(exported)
    png = proposal_map(exported, exported.proposals[0])     # its latest version
    png = plan_map(exported)                                # every proposal adopted at the end

Land use is the background (water, green, built land in muted colours), the road network
grey over it, and the interventions in strong colours by kind, with a legend naming each
kind shown. Interventions are the proposals' own commands (protocol.py, as plain dicts):
what they touch is read from their `link`, `links`, `route`, `cells` and
`from_node`/`to_node` fields, so a new kind of intervention is drawn without a change here
(in the colour for "other").
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from agora.server.exports import Exported
from agora.server.world.world import World

# LandUse codes 0-7: water, grass, park, woodland, housing, centre, industry, road.
_LAND = ListedColormap(["#a9cfe8", "#e4efd8", "#c7e5b4", "#b5d6a0", "#eee8dd", "#e6dcd0", "#e2dfe6", "#f2f2f2"])
# (colour, label) by intervention type; link kinds are lines, cell kinds squares.
KINDS: dict[str, tuple[str, str]] = {
    "close_link": ("#d73027", "closed to cars"),
    "reopen_link": ("#4575b4", "reopened"),
    "add_bike_lane": ("#1a9850", "bike lane"),
    "add_bus_lane": ("#7b3294", "bus lane"),
    "add_bus_line": ("#c51b7d", "new bus line"),
    "set_toll": ("#f46d43", "toll"),
    "set_speed_limit": ("#fdae61", "speed limit"),
    "set_lanes": ("#8c510a", "lanes changed"),
    "make_one_way": ("#01665e", "one way"),
    "add_road": ("#000000", "new road"),
    "make_park": ("#33a02c", "park"),
    "plant_trees": ("#006d2c", "trees"),
    "build_housing": ("#b35806", "housing"),
    "build_offices": ("#542788", "offices"),
    "add_school": ("#2166ac", "school"),
    "add_grocery": ("#e08214", "grocery"),
}
_OTHER = ("#444444", "other")


def baseline_map(e: Exported) -> bytes:
    assert e.baseline is not None
    figure, ax = _figure()
    _town(ax, e.baseline)
    ax.set_title(f"The town at the start: {e.world_title or e.world_name}", fontsize=10)
    _finish(ax, e.baseline, [])
    return png(figure)


def proposal_map(e: Exported, q: dict[str, Any]) -> bytes:
    world = e.final or e.baseline
    assert world is not None
    figure, ax = _figure()
    _town(ax, world)
    shown = _interventions(ax, world, q["versions"][-1]["interventions"])
    ax.set_title(f"Proposal {q['id']}: {q['title']} ({str(q['status']).replace('_', ' ')})", fontsize=10)
    _finish(ax, world, shown)
    return png(figure)


def plan_map(e: Exported) -> bytes:
    world = e.final or e.baseline
    assert world is not None
    figure, ax = _figure()
    _town(ax, world)
    adopted = [q for q in e.proposals if str(q["status"]) == "adopted"]
    shown: list[str] = []
    for q in adopted:
        shown += [k for k in _interventions(ax, world, q["versions"][-1]["interventions"]) if k not in shown]
    ids = ", ".join(str(q["id"]) for q in adopted)
    which = "no proposal adopted" if not adopted else f"proposal{'s' if len(adopted) > 1 else ''} {ids}"
    ax.set_title(f"The adopted plan at tick {e.reached_tick} ({which})", fontsize=10)
    _finish(ax, world, shown)
    return png(figure)


def png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    # No date or version in the file: the same session gives the same bytes.
    figure.savefig(buffer, format="png", dpi=90, metadata={"Software": None})
    return buffer.getvalue()


def _figure() -> tuple[Figure, Any]:
    figure = Figure(figsize=(6.4, 6.4), layout="constrained")
    return figure, figure.add_subplot()


def _extent(world: World) -> tuple[float, float, float, float]:
    rows, cols = world.grid.land_use.shape
    m = world.meta
    return (m.origin_x_m, m.origin_x_m + cols * m.cell_m, m.origin_y_m, m.origin_y_m + rows * m.cell_m)


def _town(ax: Any, world: World) -> None:
    ax.imshow(world.grid.land_use, cmap=_LAND, vmin=-0.5, vmax=7.5, origin="lower", extent=_extent(world),
              interpolation="nearest")
    n = world.network
    segments = _segments(world, np.arange(n.n_links))
    open_ = ~np.asarray(n.closed, dtype=bool)
    widths = np.where(np.asarray(n.road_class) == 0, 1.6, np.where(np.asarray(n.road_class) == 1, 1.0, 0.5))
    ax.add_collection(LineCollection(list(segments[open_]), colors="#8a8a8a", linewidths=widths[open_]))
    if (~open_).any():
        ax.add_collection(LineCollection(list(segments[~open_]), colors="#8a8a8a", linewidths=0.6,
                                         linestyles="dotted"))


def _segments(world: World, links: np.ndarray) -> np.ndarray:
    n = world.network
    links = links[(links >= 0) & (links < n.n_links)]
    start = np.stack([n.node_x_m[n.link_from[links]], n.node_y_m[n.link_from[links]]], axis=-1)
    end = np.stack([n.node_x_m[n.link_to[links]], n.node_y_m[n.link_to[links]]], axis=-1)
    return np.stack([start, end], axis=1).astype(np.float64)


def _interventions(ax: Any, world: World, interventions: list[dict[str, Any]]) -> list[str]:
    """Draw each intervention; the kinds drawn, in order of first appearance."""
    shown: list[str] = []
    cell = world.meta.cell_m
    n = world.network
    for command in interventions:
        kind = str(command.get("type", ""))
        colour = KINDS.get(kind, _OTHER)[0]
        links: list[int] = []
        for name in ("link", "links", "route"):
            value = command.get(name)
            if value is not None:
                links += [int(value)] if isinstance(value, int) else [int(v) for v in value]
        if links:
            ax.add_collection(LineCollection(list(_segments(world, np.array(links))), colors=colour, linewidths=3.2,
                                             linestyles="dashed" if kind == "close_link" else "solid"))
        a, b = command.get("from_node"), command.get("to_node")
        if isinstance(a, int) and isinstance(b, int) and max(a, b) < len(n.node_x_m):
            ax.plot([n.node_x_m[a], n.node_x_m[b]], [n.node_y_m[a], n.node_y_m[b]], color=colour, linewidth=3.2)
        cells = command.get("cells") or []
        squares = []
        for r, c in cells:
            x0, y0 = world.meta.origin_x_m + int(c) * cell, world.meta.origin_y_m + int(r) * cell
            squares.append([(x0, y0), (x0 + cell, y0), (x0 + cell, y0 + cell), (x0, y0 + cell)])
        if squares:
            ax.add_collection(PolyCollection(squares, facecolors=colour, edgecolors=colour, linewidths=0.5))
        points = [seg.mean(axis=0) for seg in _segments(world, np.array(links, dtype=np.int64))]
        points += [(world.meta.origin_x_m + (int(c) + 0.5) * cell, world.meta.origin_y_m + (int(r) + 0.5) * cell)
                   for r, c in cells]
        if isinstance(a, int) and isinstance(b, int) and max(a, b) < len(n.node_x_m):
            points.append(((n.node_x_m[a] + n.node_x_m[b]) / 2, (n.node_y_m[a] + n.node_y_m[b]) / 2))
        if points:
            # A small street on a whole town is a few pixels: a ring around it says where to look.
            x, y = np.mean(np.asarray(points, dtype=np.float64), axis=0)
            ax.scatter([x], [y], s=900, facecolors="none", edgecolors=colour, linewidths=2.0)
            if kind not in shown:
                shown.append(kind)
    return shown


def _finish(ax: Any, world: World, shown: list[str]) -> None:
    x0, x1, y0, y1 = _extent(world)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_xlabel("x (m)", fontsize=8)
    ax.set_ylabel("y (m)", fontsize=8)
    ax.tick_params(labelsize=7)
    if shown:
        handles = [Line2D([], [], color=KINDS.get(k, _OTHER)[0], linewidth=3, label=KINDS.get(k, _OTHER)[1])
                   for k in shown]
        ax.legend(handles=handles, loc="lower right", fontsize=8, framealpha=0.9)
