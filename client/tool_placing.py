"""Placing the tool in hand on the map: clicks on roads, two clicks on junctions, a rectangle
of cells dragged out; and the keys of the palette (1-9, 0, Ctrl+Z, Ctrl+Y, + and -).

    placing = Placing(box, draft, notices)
    placing.key(arcade.key.KEY_7, 0)            # the seventh tool in hand
    placing.click(city, view, viewport, x, y, add=False)    # a road: a new bike lane on it
    placing.press(city, viewport, x, y, button)  # a cell tool: a rectangle starts ...
    placing.drag(city, viewport, x, y)           # ... follows the pointer ...
    placing.release(city)                        # ... and its cells become a MakePark
    placing.draw(city, viewport)                 # the cells placed, the rectangle, the start junction

Each placement is one change of the draft (undone by Ctrl+Z). What the client checks here
(road classes, land uses, how many) only spares the player a round trip: the server checks
the draft again when it is previewed and when it is proposed.
"""

from __future__ import annotations

import math
import time

import arcade
import numpy as np

from agora.client import palette
from agora.client.city import City
from agora.client.drafts import Draft
from agora.client.map_view import MapView
from agora.client.notices import Kind, Notices
from agora.client.tools import Tool, ToolBox, command_cells, command_links
from agora.client.viewport import Viewport
from agora.server import protocol as p

CELL_FILL: palette.RGBA = (255, 40, 200, 120)  # the selection's magenta, see-through
CELL_EDGE: palette.RGBA = (255, 40, 200, 255)
NODE_PICK_PX = 14.0
_DIGITS = {getattr(arcade.key, f"KEY_{n}"): n for n in range(10)} | {getattr(arcade.key, f"NUM_{n}"): n for n in range(10)}
_PLUS = {arcade.key.PLUS, arcade.key.EQUAL, arcade.key.NUM_ADD}
_MINUS = {arcade.key.MINUS, arcade.key.NUM_SUBTRACT}
Cell = tuple[int, int]


class Placing:
    def __init__(self, box: ToolBox, draft: Draft, notices: Notices) -> None:
        self.box = box
        self.draft = draft
        self.notices = notices
        self.start_node: int | None = None  # a new road's first junction, clicked
        self.painting: tuple[Cell, Cell] | None = None  # the rectangle being dragged out
        self._adding = False
        self._at_bound = ""  # the parameter last pressed against its bound (said once)
        # The bus lines as the server last described them: line m runs over
        # line_link[line_first[m]:line_first[m + 1]].
        self.line_first = np.zeros(1, dtype=np.int64)
        self.line_link = np.zeros(0, dtype=np.int64)

    def take_lines(self, network: p.Network) -> None:
        """A snapshot's bus lines, for the tools placed on a line."""
        self.line_first = network.line_first.to_numpy().astype(np.int64)
        self.line_link = network.line_link.to_numpy().astype(np.int64)

    def lines_on(self, link: int) -> list[int]:
        """The bus lines that run over a road."""
        first = self.line_first
        return [m for m in range(len(first) - 1) if link in self.line_link[first[m]:first[m + 1]]]

    def line_links(self, line: int) -> list[int] | None:
        first = self.line_first
        if not 0 <= line < len(first) - 1:
            return None
        return [int(i) for i in self.line_link[first[line]:first[line + 1]]]

    def cancel(self) -> bool:
        """Esc: stop the rectangle or the road under way, else put the tool down; False
        if there was none of these (Esc goes on to its other meanings)."""
        if self.painting is not None or self.start_node is not None:
            self.painting, self.start_node = None, None
            return True
        if self.box.current is not None:
            self.choose(0)
            return True
        return False

    def _say(self, text: str, kind: Kind = Kind.INFO) -> None:
        self.notices.add(text, kind, time.monotonic())

    # -- keys --------------------------------------------------------------------------

    def key(self, symbol: int, modifiers: int) -> bool:
        """The palette's keys; False for any other key."""
        ctrl = bool(modifiers & (arcade.key.MOD_CTRL | arcade.key.MOD_COMMAND))
        shift = bool(modifiers & arcade.key.MOD_SHIFT)
        if ctrl and (symbol == arcade.key.Y or (symbol == arcade.key.Z and shift)):
            if not self.draft.redo():
                self._say("Nothing to redo.")
            return True
        if ctrl and symbol == arcade.key.Z:
            if not self.draft.undo():
                self._say("Nothing to undo in the draft.")
            return True
        if ctrl:
            return False
        if symbol in _DIGITS and not shift:
            self.choose(_DIGITS[symbol])
            return True
        if symbol in _PLUS or symbol in _MINUS:
            tool = self.box.current
            if tool is not None and tool.info.parameters:
                self.adjust(tool.info.parameters[0].name, 1 if symbol in _PLUS else -1)
                return True
        return False

    def choose(self, number: int) -> Tool | None:
        """Key `number`: that tool in hand (0: plain road picking)."""
        self.start_node, self.painting = None, None
        if number > len(self.box.tools):
            offered = f"offers {len(self.box.tools)}" if self.box.tools else "offers no interventions to draft"
            self._say(f"There is no tool {number}: this session {offered}.")
            return self.box.current
        tool = self.box.pick(number)
        if tool is None:
            self._say("Plain road picking: click a road, Shift+click for more, P to preview closing them.")
        return tool

    def adjust(self, name: str, direction: int) -> bool:
        """A parameter's + or -: the tool's value moves, and so does the draft's last
        intervention if this tool made it (one change, undoable)."""
        tool = self.box.current
        if tool is None:
            return False
        if not tool.step(name, direction):
            spec = tool.spec(name)
            if self._at_bound != name:
                self._say(f"{spec.title} goes from {spec.min:g} to {spec.max:g} {spec.unit}.".replace(" .", "."))
            self._at_bound = name
            return False
        self._at_bound = ""
        items = self.draft.items
        if items and tool.makes(items[-1]):
            self.draft.change([*items[:-1], tool.with_parameters(items[-1])])
        return True

    # -- roads and junctions -----------------------------------------------------------

    def click(self, city: City, view: MapView, viewport: Viewport, x: float, y: float, add: bool) -> bool:
        """A click on the map with a tool in hand; False without one (plain road picking)."""
        tool = self.box.current
        if tool is None or tool.on == "cells":
            return tool is not None
        if tool.on == "nodes":
            self._node(city, tool, viewport, x, y)
            return True
        link = view.pick(x, y, viewport)
        if link is None:
            self._say("No road there: click on a road.")
        elif tool.on == "line":
            self._line(tool, link)
        elif self._allowed(city, tool, link):
            self._link(city, tool, link, add)
        return True

    def _allowed(self, city: City, tool: Tool, link: int) -> bool:
        classes = tool.info.placement.road_classes
        name = city.road_class_name(link)
        if classes and name not in classes:
            self._say(f"Road {link} is a {name} road; \u201c{tool.title}\u201d goes on {either(classes)} roads.",
                      Kind.ERROR)
            return False
        return True

    def _link(self, city: City, tool: Tool, link: int, add: bool) -> None:
        items = list(self.draft.items)
        last = items[-1] if items and tool.makes(items[-1]) else None
        limit = tool.info.placement.max_count
        if tool.on == "link":
            same = [c for c in items if tool.makes(c) and command_links(c) == [link]]
            self.draft.change([c for c in items if c not in same] if same else [*items, tool.command(link=link)])
            return
        if tool.on == "route":
            route = command_links(last) if last is not None and add else []
            if route and int(city.link_from[link]) != int(city.link_to[route[-1]]):
                self._say(f"Road {link} does not go on from road {route[-1]}, where the route ends: "
                          "click a road that starts there.", Kind.ERROR)
                return
            if limit is not None and len(route) + 1 > limit:
                self._say(f"A route has at most {limit} roads.", Kind.ERROR)
                return
            new = tool.command(route=[*route, link])
            self.draft.change([*items[:-1], new] if route else [*items, new])
            return
        links = command_links(last) if last is not None and add else []
        if link in links:
            links.remove(link)
            self.draft.change([*items[:-1], tool.command(links=links)] if links else items[:-1])
            return
        if limit is not None and len(links) + 1 > limit:
            self._say(f"\u201c{tool.title}\u201d takes at most {limit} roads at a time.", Kind.ERROR)
            return
        new = tool.command(links=[*links, link])
        self.draft.change([*items[:-1], new] if links else [*items, new])

    def _line(self, tool: Tool, link: int) -> None:
        """A road a bus line runs on picks that line; where several run, each click takes
        the next of them."""
        lines = self.lines_on(link)
        if not lines:
            self._say(f"No bus line runs on road {link}: click a road a bus line runs on.", Kind.ERROR)
            return
        items = list(self.draft.items)
        last = items[-1] if items and tool.makes(items[-1]) else None
        held = getattr(last, "line", None)
        line = lines[(lines.index(held) + 1) % len(lines)] if held in lines else lines[0]
        if len(lines) > 1:
            self._say(f"{len(lines)} bus lines run on road {link}: line {line} chosen; click again for the next.")
        if held in lines:
            items = items[:-1]
        self.draft.change([*[c for c in items if not (tool.makes(c) and getattr(c, "line", None) == line)],
                           tool.command(line=line)])

    def _node(self, city: City, tool: Tool, viewport: Viewport, x: float, y: float) -> None:
        if city.node_x_m.size == 0:
            return
        wx, wy = viewport.to_world(x, y)
        dist = np.hypot(city.node_x_m - wx, city.node_y_m - wy)
        node = int(np.argmin(dist))
        if dist[node] * viewport.px_per_m > NODE_PICK_PX:
            self._say("Click on a junction, where roads meet.")
            return
        if self.start_node is None or self.start_node == node:
            self.start_node = node
            self._say(f"The road starts at junction {node}; now click the junction where it ends.")
            return
        start, self.start_node = self.start_node, None
        length = math.hypot(city.node_x_m[node] - city.node_x_m[start], city.node_y_m[node] - city.node_y_m[start])
        limit = tool.info.placement.max_length_m
        if limit is not None and length > limit:
            self._say(f"That road would be {length:,.0f} m long; this session builds roads of at most {limit:,.0f} m.",
                      Kind.ERROR)
            return
        self.draft.change([*self.draft.items, tool.command(from_node=start, to_node=node)])

    # -- cells -------------------------------------------------------------------------

    def press(self, city: City, viewport: Viewport, x: float, y: float, button: int, add: bool) -> bool:
        """A left press with a cell tool starts a rectangle; False otherwise (the map pans)."""
        tool = self.box.current
        if tool is None or tool.on != "cells" or button != arcade.MOUSE_BUTTON_LEFT:
            return False
        cell = city.cell_at(*viewport.to_world(x, y))
        if cell is None:
            self._say("That is off the town's grid.")
            return False
        self.painting, self._adding = (cell, cell), add
        return True

    def drag(self, city: City, viewport: Viewport, x: float, y: float) -> bool:
        if self.painting is None:
            return False
        h, w = city.land_use.shape
        wx, wy = viewport.to_world(x, y)
        x0, y0 = city.grid_origin
        row = min(max(int(math.floor((wy - y0) / city.cell_m)), 0), h - 1)
        col = min(max(int(math.floor((wx - x0) / city.cell_m)), 0), w - 1)
        self.painting = (self.painting[0], (row, col))
        return True

    def release(self, city: City) -> bool:
        """The rectangle's cells (those of a land use the tool accepts) become an intervention."""
        tool, painting = self.box.current, self.painting
        self.painting = None
        if tool is None or painting is None:
            return False
        cells = rectangle(*painting)
        allowed = {u.lower() for u in tool.info.placement.land_uses}
        if allowed:
            uses = [city.land_use_names[int(city.land_use[r, c])].lower() for r, c in cells]
            left_out = sorted({u for u in uses if u not in allowed})
            cells = [cell for cell, use in zip(cells, uses) if use in allowed]
            if left_out:
                self._say(f"Left out {either(left_out)}: \u201c{tool.title}\u201d goes on {either(sorted(allowed))}.")
        items = list(self.draft.items)
        last = items[-1] if items and tool.makes(items[-1]) and self._adding else None
        if last is not None:
            cells = [*command_cells(last), *[c for c in cells if c not in command_cells(last)]]
        limit = tool.info.placement.max_count
        if not cells:
            return True
        if limit is not None and len(cells) > limit:
            self._say(f"\u201c{tool.title}\u201d takes at most {limit} cells at a time; that is {len(cells)}. "
                      "Drag a smaller rectangle.", Kind.ERROR)
            return True
        new = tool.command(cells=cells)
        self.draft.change([*items[:-1], new] if last is not None else [*items, new])
        return True

    def cells(self) -> list[Cell]:
        """The cells the draft's interventions are placed on."""
        return [cell for command in self.draft.items for cell in command_cells(command)]

    # -- drawing -----------------------------------------------------------------------

    def draw(self, city: City, viewport: Viewport) -> None:
        """Over the map: the draft's cells and the rectangle being dragged, see-through
        magenta; a new road's first junction, ringed."""
        size = city.cell_m * viewport.px_per_m
        x0, y0 = city.grid_origin
        for row, col in self.cells():
            left, bottom = viewport.to_screen(x0 + col * city.cell_m, y0 + row * city.cell_m)
            arcade.draw_lbwh_rectangle_filled(left, bottom, size, size, CELL_FILL)
        if self.painting is not None:
            (r0, c0), (r1, c1) = self.painting
            left, bottom = viewport.to_screen(x0 + min(c0, c1) * city.cell_m, y0 + min(r0, r1) * city.cell_m)
            width, height = (abs(c1 - c0) + 1) * size, (abs(r1 - r0) + 1) * size
            arcade.draw_lbwh_rectangle_filled(left, bottom, width, height, CELL_FILL)
            arcade.draw_lbwh_rectangle_outline(left, bottom, width, height, CELL_EDGE, 2)
        if self.start_node is not None and self.start_node < city.node_x_m.size:
            x, y = viewport.to_screen(city.node_x_m[self.start_node], city.node_y_m[self.start_node])
            arcade.draw_circle_outline(x, y, 9, CELL_EDGE, 3)


def either(words: list[str]) -> str:
    """"arterial, collector or local"."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def rectangle(a: Cell, b: Cell) -> list[Cell]:
    """Every cell of the rectangle with corners a and b, row by row from the south."""
    return [(r, c) for r in range(min(a[0], b[0]), max(a[0], b[0]) + 1)
            for c in range(min(a[1], b[1]), max(a[1], b[1]) + 1)]
