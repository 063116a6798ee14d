"""What is under the pointer: after it rests a moment over the map, a small box beside it
tells about the road there (a road within a few pixels wins) or else the grid cell.

    tip = Tooltip()
    tip.move(x, y, now)                         # on every mouse motion
    tip.draw(city, view, viewport, now, ...)    # each frame, after the map

Everything shown is what the server sent: the road's attributes and flow, the cell's land
use, residents and jobs, and the grid layers the client holds, decoded from their bytes
(value = offset + step * q) as the overlays are.
"""

from __future__ import annotations

import math
from typing import Callable

import arcade
import numpy as np

from agora.client import palette
from agora.client.city import City
from agora.client.drawing import text
from agora.client.map_view import MapView
from agora.client.viewport import Viewport

REST_S = 0.3  # how long the pointer rests before the box shows
ROAD_PX = 4.0  # a road this close to the pointer wins over the cell
OFFSET_PX = 18.0
PAD = 8.0
MAX_LINES = 14
ROW_PX = 18.0


def road_lines(city: City, link: int) -> list[str]:
    """A road's name (or what it is), then its class, lanes, limit, flow and state."""
    cls = city.road_class_name(link)
    car = bool(city.car_link()[link])
    name = city.street_name(link) or (f"unnamed {cls}" if cls == "path" else f"unnamed {cls} road")
    lanes = int(city.lanes[link])
    one_way = " \u00b7 one-way" if int(city.twin[link]) < 0 else ""
    lines = [name, f"{cls.capitalize()} \u00b7 {lanes} lane{'s' if lanes != 1 else ''}{one_way} \u00b7 "
                   f"limit {float(city.speed_kmh[link]):.0f} km/h"]
    if not car:
        lines.append("Foot and bike path: no cars")
    else:
        flow, cap = float(city.flow_veh_h[link]), float(city.capacity_veh_h[link])
        vc = flow / cap if cap > 0 else 0.0
        lines.append(f"Flow {flow:,.0f} veh/h \u00b7 {vc:.0%} of capacity (v/c {vc:.2f})")
        lines.append("Closed to cars" if city.closed[link] else "Open to cars")
    extras = []
    if city.bus_lane[link]:
        extras.append("bus lane")
    if city.bike_lane[link]:
        extras.append("bike lane")
    if city.toll_eur[link] > 0:
        extras.append(f"toll \u20ac{float(city.toll_eur[link]):.2f} a car")
    lines.append(("Has a " + ", ".join(extras)) if extras else "No bus lane, bike lane or toll")
    return lines


def cell_lines(city: City, row: int, col: int) -> list[str]:
    """A cell's land use, residents and jobs, and every grid layer's value there."""
    code = int(city.land_use[row, col])
    use = city.land_use_names[code] if 0 <= code < len(city.land_use_names) else f"land use {code}"
    return [f"{use.capitalize()} \u00b7 {city.cell_m:g} m square", _people(city, row, col), *layer_lines(city, row, col)]


def layer_lines(city: City, row: int, col: int) -> list[str]:
    """Every grid layer's value at a cell, in its unit (noise, NO2, habitat...)."""
    lines = []
    for name, info in city.layer_info.items():
        q = city.layer_q[name][row:row + 1, col:col + 1]
        value = float(info.values(q)[0, 0])
        lines.append(f"{info.label}: {layer_value(value, info.step, info.unit)}")
    return lines


def _people(city: City, row: int, col: int) -> str:
    residents, jobs = float(city.residents[row, col]), float(city.jobs[row, col])
    return f"{residents:,.0f} resident{'s' if round(residents) != 1 else ''} \u00b7 {jobs:,.0f} job{'s' if round(jobs) != 1 else ''}"


def layer_value(value: float, step: float, unit: str) -> str:
    """A layer's value with as many decimals as its step carries (at most two), in its unit."""
    decimals = 0 if step >= 1 else min(2, max(0, math.ceil(-math.log10(step) - 1e-9)))
    number = f"{value:.{decimals}f}"
    if unit == "0-1":
        return f"{number} (0 to 1)"
    if unit == "of 5":
        return f"{value:.0f} of 5"
    return f"{number} {unit}"


class Tooltip:
    def __init__(self) -> None:
        self._pointer: tuple[float, float] | None = None
        self._since = 0.0
        self._key: tuple[object, ...] | None = None
        self._lines: list[str] = []
        self._cached: list[str] = []
        self._title = text(11.5, bold=True)
        self._rows = [text(10.5) for _ in range(MAX_LINES)]

    @property
    def lines(self) -> list[str]:
        """What the box showed in the last frame it was drawn ([] if hidden)."""
        return self._lines

    def move(self, x: float, y: float, now: float) -> None:
        """The pointer moved: the box hides until it rests again."""
        self._pointer = (x, y)
        self._since = now
        self._lines = []

    def leave(self) -> None:
        self._pointer = None
        self._lines = []

    def content(self, city: City, view: MapView, viewport: Viewport, x: float, y: float) -> list[str]:
        """The lines for a pointer at (x, y): the road within ROAD_PX, else the cell, else none."""
        link = view.pick(x, y, viewport, tolerance_px=ROAD_PX)
        cell = city.cell_at(*viewport.to_world(x, y))
        if link is not None:
            # The road, then what the layers say at the spot beside it (its noise, its air).
            return road_lines(city, link) + (layer_lines(city, *cell) if cell is not None else [])
        return cell_lines(city, *cell) if cell is not None else []

    def draw(self, city: City, view: MapView, viewport: Viewport, now: float, size: tuple[int, int],
             blocked: Callable[[float, float], bool]) -> None:
        """Draw the box if the pointer has rested over the map (not over a panel: `blocked`)."""
        self._lines = []
        if self._pointer is None or now - self._since < REST_S:
            return
        x, y = self._pointer
        area = viewport.area
        inside = area.left <= x < area.left + area.width and area.bottom <= y < area.bottom + area.height
        if not inside or blocked(x, y):
            return
        # Recomputed when the view or the city moves on (a tick changes the flows).
        key = (x, y, id(city), city.tick, viewport.center_m, viewport.px_per_m, view.version)
        if key != self._key:
            self._key, self._cached = key, self.content(city, view, viewport, x, y)
        self._lines = self._cached
        if self._lines:
            self._box(self._lines, x, y, size)

    def _box(self, lines: list[str], x: float, y: float, size: tuple[int, int]) -> None:
        title, rows = self._title, self._rows[: len(lines) - 1]
        title.text = lines[0]
        for row, line in zip(rows, lines[1:]):
            row.text = line
        w = max([title.content_width] + [r.content_width for r in rows]) + 2 * PAD
        h = (len(rows) + 1) * ROW_PX + 2 * PAD
        left = x + OFFSET_PX if x + OFFSET_PX + w <= size[0] else x - OFFSET_PX - w
        top = y - OFFSET_PX if y - OFFSET_PX - h >= 0 else y + OFFSET_PX + h
        left = float(np.clip(left, 0, max(size[0] - w, 0)))
        top = float(np.clip(top, h, size[1]))
        arcade.draw_lbwh_rectangle_filled(left, top - h, w, h, palette.PANEL)
        arcade.draw_lbwh_rectangle_filled(left, top - h, 3, h, palette.ACCENT)
        title.position = (left + PAD, top - PAD - 13)
        title.draw()
        for i, row in enumerate(rows, start=1):
            row.position = (left + PAD, top - PAD - 13 - ROW_PX * i)
            row.draw()
