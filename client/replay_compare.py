"""Two moments of a replay, or two proposals' previews, side by side: the map area split in
two map views that pan and zoom together, each labelled, with its headline numbers and, on
the right, their difference from the left.

    a = Side.moment(ctx, city, "A", clock="08:20")             # the town at a tick
    b = Side.previewed(ctx, city, "B", "Proposal 2 'Park'", "08:20", preview, interventions)
    comparison = Comparison(a, b, viewport)                     # viewport: the left half's
    comparison.draw(map_area, framebuffer_size)
    comparison.halves(map_area)                                 # (left, right) Areas
"""

from __future__ import annotations

from dataclasses import dataclass, field

import arcade
from arcade.context import ArcadeContext

from agora.client import palette
from agora.client.city import City
from agora.client.drafts import Draft
from agora.client.drawing import Column, TextPool
from agora.client.indicators import KNOWN, Better
from agora.client.map_layers import MapLayers
from agora.client.map_view import MapView
from agora.client.viewport import Area, Viewport
from agora.server import protocol as p

PAD = 10
PANEL_W = 280
ROW_PX = 19  # a 10.5 pt line and its gap
TITLE_PX = 26
BELOW_NOTICES_PX = 44  # room at the top of each half for a notice line
DIVIDER_PX = 3
# The numbers a room argues about, in the order it reads them.
HEADLINE = ("vehicle_hours", "vehicle_km", "mean_trip_min", "co2_kg_h", "residents_above_who_lden",
            "no2_pop_weighted_ug_m3")


@dataclass
class Side:
    label: str  # "A", "B"
    title: str  # "Tick 20 at 08:20", "Proposal 2 'Park' at tick 40"
    city: City
    view: MapView
    numbers: dict[str, float] = field(default_factory=dict)
    tick: int = 0

    @classmethod
    def moment(cls, ctx: ArcadeContext, city: City, label: str, clock: str, overlay: str | None = None) -> Side:
        view = MapView(ctx, city)
        view.show_overlay(overlay)
        ind = city.indicators
        numbers = {"vehicle_hours": ind.vehicle_hours, "vehicle_km": ind.vehicle_km,
                   "mean_trip_min": ind.mean_trip_min, "co2_kg_h": ind.co2_kg_h, **ind.impacts}
        return cls(label, f"Tick {city.tick} at {clock}", city, view, numbers, city.tick)

    @classmethod
    def previewed(cls, ctx: ArcadeContext, city: City, label: str, what: str, clock: str, preview: p.Preview,
                  interventions: list[p.Command]) -> Side:
        """A proposal's preview: the roads' change of traffic and a layer's change, as the
        preview display paints them; the numbers are the town with the proposal."""
        view = MapView(ctx, city)
        draft = Draft()
        draft.preview, draft.previewed = preview, list(interventions)
        layers = MapLayers()
        layers.take_preview(preview, city)
        layers.paint(view, city, draft)
        return cls(label, f"{what} at tick {city.tick} ({clock})", city, view, dict(preview.indicators_after),
                   city.tick)


def difference_text(name: str, a: float, b: float) -> tuple[str, palette.RGBA]:
    """B - A in the indicator's unit, coloured better or worse."""
    info = KNOWN.get(name)
    delta = b - a
    fmt = info.fmt if info else "{:,.1f}"
    if abs(delta) < 1e-9 or fmt.format(abs(delta)) == fmt.format(0.0):
        return "same as A", palette.TEXT_DIM
    sign = "+" if delta > 0 else "\u2212"
    better = info is not None and ((info.better is Better.LOWER) == (delta < 0)) and info.better is not Better.NEITHER
    color = palette.BETTER_TEXT if better else palette.WORSE_TEXT if info and info.better is not Better.NEITHER \
        else palette.TEXT
    return f"{sign}{fmt.format(abs(delta))} vs A", color


class Comparison:
    def __init__(self, a: Side, b: Side, viewport: Viewport) -> None:
        self.a, self.b = a, b
        self.viewport = viewport  # the left half's; the right half mirrors it
        self._mirror = Viewport(viewport.window_size, viewport.area, viewport.extent)
        self._title = TextPool(12, bold=True)
        self._rows = TextPool(10.5)
        self.texts: list[str] = []  # what the panels said last frame, for tests

    @staticmethod
    def halves(map_area: Area) -> tuple[Area, Area]:
        half = map_area.width / 2
        return (Area(map_area.left, map_area.bottom, half, map_area.height),
                Area(map_area.left + half, map_area.bottom, half, map_area.height))

    def right_viewport(self, right: Area) -> Viewport:
        """The right half's view: the left's scale and centre, in its own half."""
        mirror = self._mirror
        mirror.window_size, mirror.area = self.viewport.window_size, right
        mirror.center_m, mirror.px_per_m = self.viewport.center_m, self.viewport.px_per_m
        return mirror

    def to_left(self, x: float, map_area: Area) -> float:
        """A point in the right half as the same place in the left half (for zooming there)."""
        left, right = self.halves(map_area)
        return x - right.width if x >= right.left else x

    def draw(self, ctx: ArcadeContext, map_area: Area, framebuffer_size: tuple[int, int],
             window_size: tuple[int, int]) -> None:
        left, right = self.halves(map_area)
        self.viewport.window_size = window_size
        self.viewport.area = left
        sx = framebuffer_size[0] / max(window_size[0], 1)
        sy = framebuffer_size[1] / max(window_size[1], 1)
        for side, area, viewport in ((self.a, left, self.viewport), (self.b, right, self.right_viewport(right))):
            ctx.scissor = (int(area.left * sx), int(area.bottom * sy), int(area.width * sx), int(area.height * sy))
            try:
                side.view.draw(viewport, framebuffer_size)
            finally:
                ctx.scissor = None
        arcade.draw_lbwh_rectangle_filled(right.left - DIVIDER_PX / 2, right.bottom, DIVIDER_PX, right.height,
                                          palette.BAR)
        self._title.reset()
        self._rows.reset()
        self.texts = []
        self._panel(self.a, left, None)
        self._panel(self.b, right, self.a)

    def _panel(self, side: Side, area: Area, against: Side | None) -> None:
        names = [n for n in HEADLINE if n in side.numbers]
        rows = len(names) + (sum(1 for n in names if n in against.numbers) if against is not None else 0)
        width = min(PANEL_W, area.width - 2 * PAD)
        height = 2 * PAD + TITLE_PX + rows * ROW_PX
        top = area.bottom + area.height - BELOW_NOTICES_PX
        arcade.draw_lbwh_rectangle_filled(area.left + PAD, top - height, width, height, palette.PANEL)
        col = Column(area.left + 2 * PAD, top - PAD + 2, width - 2 * PAD, top - height)
        col.line(self._title.take(), f"{side.label}: {side.title}", palette.ACCENT, gap=6)
        self.texts.append(f"{side.label}: {side.title}")
        for name in names:
            info = KNOWN.get(name)
            label, unit, fmt = (info.label, info.unit, info.fmt) if info else (name, "", "{:,.1f}")
            value = f"{label}: {fmt.format(side.numbers[name])} {unit}".rstrip()
            col.line(self._rows.take(), value, gap=2)
            self.texts.append(value)
            if against is not None and name in against.numbers:
                words, color = difference_text(name, against.numbers[name], side.numbers[name])
                col.line(self._rows.take(), words, color, indent=14, gap=2)
                self.texts.append(words)
