"""The map's legends as slim colour bars: a title, the classes' colours side by side, and a
few tick labels in real units at the class edges (or under each class, for counts).

    bar = layer_bar("noise_lden_dba", "Road noise, Lden", "dB(A)")
    bar.ticks                              # ("45", "50", "55", "60", "65", "70")
    drawer = LegendDrawer(); drawer.draw(bar, right=900, bottom=40)
    drawer.click(x, y)                     # on the title: fold the legend to its title

A bar takes about a tenth of the room a list of rows took, so that at 1280x800 two legends
(the roads' and the grid layer's) leave the map in sight.
"""

from __future__ import annotations

from dataclasses import dataclass

import arcade

from agora.client import overlays, palette
from agora.client.drawing import text

SEGMENT_PX = 42.0
BAR_PX = 10.0
PAD = 7.0
TITLE_PX = 18.0
TICK_PX = 15.0
EXTRA_PX = 18.0
ENDS_PX = 13.0
FOLD_MARK = ("\u25be", "\u25b8")  # open, folded


@dataclass(frozen=True)
class Bar:
    title: str
    colors: tuple[palette.RGBA, ...]
    ticks: tuple[str, ...]  # at the edges between classes, or one per class if centred
    ends: tuple[str, str] = ("", "")  # words under the two ends ("worse", "better")
    centred: bool = False
    # Swatches after the bar: (label, colour, "dash" for closed roads or "line" for paths).
    extras: tuple[tuple[str, palette.RGBA, str], ...] = ()


def traffic_bar() -> Bar:
    bounds = [c.upper_vc for c in palette.TRAFFIC_CLASSES[:-1]]
    return Bar("Traffic: flow / capacity", tuple(c.color for c in palette.TRAFFIC_CLASSES),
               tuple(f"{b:.0%}" for b in bounds), ("free", "over"), extras=_ROAD_EXTRAS)


def flow_change_bar() -> Bar:
    steps = palette.FLOW_CHANGE_STEPS_VEH_H
    ticks = tuple(f"+{s:,.0f}" for s in reversed(steps)) + tuple(f"\u2212{s:,.0f}" for s in steps)
    return Bar("Traffic in the preview: change (veh/h)", palette.FLOW_CHANGE_COLORS, ticks, ("busier", "quieter"),
               extras=_ROAD_EXTRAS)


def layer_bar(name: str, label: str, unit: str) -> Bar:
    """A grid layer's classes, with their edges in the layer's unit."""
    scale = overlays.scale_of(name)
    title = f"{label} ({unit})"
    if name.endswith("_needs"):
        counts = [c for c in overlays.COUNT_LABELS if c]
        return Bar(title, scale.colors[: len(counts)], tuple(counts), centred=True)
    return Bar(title, scale.colors, tuple(scale.fmt.format(b) for b in scale.bounds))


def delta_bar(name: str, title: str, unit: str) -> Bar:
    """A preview's change of a layer: worse at the left, better at the right, the edges as
    signed changes in the layer's unit."""
    scale = overlays.delta_scale_of(name)
    s = [scale.fmt.format(x) for x in scale.steps]
    worse_sign, better_sign = ("+", "\u2212") if scale.lower_is_better else ("\u2212", "+")
    ticks = tuple(worse_sign + v for v in reversed(s)) + tuple(better_sign + v for v in s)
    return Bar(f"{title} ({unit})", overlays.DIVERGING, ticks, ("worse", "better"))


_ROAD_EXTRAS = (("closed to cars", palette.CLOSED_COLOR, "dash"), ("foot / bike path", palette.PATH_COLOR, "line"))


class LegendDrawer:
    """Draws one Bar in a panel; a click on its title folds it to the title alone."""

    def __init__(self) -> None:
        self.folded = False
        self.title = text(10.5, bold=True)
        self.ticks = [text(9.5, anchor_x="center") for _ in range(8)]
        self.ends = [text(9.5, palette.TEXT_DIM), text(9.5, palette.TEXT_DIM, anchor_x="right")]
        self.extras = [text(9.5) for _ in range(3)]
        self.rect: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)  # the last panel drawn
        self._title_rect = (0.0, 0.0, 0.0, 0.0)

    def size(self, bar: Bar) -> tuple[float, float]:
        self.title.text = f"{FOLD_MARK[self.folded]} {bar.title}"
        if self.folded:
            return self.title.content_width + 2 * PAD, TITLE_PX + 2 * PAD - 4
        width = max(len(bar.colors) * SEGMENT_PX, self.title.content_width, self._extras_width(bar)) + 2 * PAD
        height = (TITLE_PX + BAR_PX + TICK_PX + (EXTRA_PX if bar.extras else 0) + (ENDS_PX if any(bar.ends) else 0)
                  + 2 * PAD)
        return width, height

    def _extras_width(self, bar: Bar) -> float:
        total = 0.0
        for label, (name, _, _) in zip(self.extras, bar.extras):
            label.text = name
            total += 26 + 6 + label.content_width + 12
        return total

    def click(self, x: float, y: float) -> bool:
        left, bottom, w, h = self._title_rect
        if left <= x < left + w and bottom <= y < bottom + h:
            self.folded = not self.folded
            return True
        return False

    def draw(self, bar: Bar, left: float, bottom: float) -> None:
        w, h = self.size(bar)
        self.rect = (left, bottom, w, h)
        arcade.draw_lbwh_rectangle_filled(left, bottom, w, h, palette.PANEL)
        top = bottom + h - PAD
        self._title_rect = (left, top - TITLE_PX, w, TITLE_PX + PAD)
        self.title.position = (left + PAD, top - 13)
        self.title.draw()
        if self.folded:
            return
        x0, y = left + PAD, top - TITLE_PX - BAR_PX
        seg = SEGMENT_PX
        if any(bar.ends):
            # The words for the two ends, just above them.
            self.ends[0].text, self.ends[1].text = bar.ends
            self.ends[0].position = (x0, y + 3 - ENDS_PX + BAR_PX)
            self.ends[1].position = (x0 + seg * len(bar.colors), y + 3 - ENDS_PX + BAR_PX)
            y -= ENDS_PX
            for end in self.ends:
                end.draw()
        arcade.draw_lbwh_rectangle_filled(x0 - 1, y - 1, seg * len(bar.colors) + 2, BAR_PX + 2, palette.CASING_COLOR)
        for i, color in enumerate(bar.colors):
            arcade.draw_lbwh_rectangle_filled(x0 + i * seg, y, seg, BAR_PX, color)
        ty = y - TICK_PX + 3
        for i, (label, tick) in enumerate(zip(self.ticks, bar.ticks)):
            label.text = tick
            label.position = (x0 + (i + 0.5 if bar.centred else i + 1) * seg, ty)
            label.draw()
        if bar.extras:
            self._draw_extras(bar, x0, ty - EXTRA_PX)

    def _draw_extras(self, bar: Bar, x: float, y: float) -> None:
        for label, (name, color, style) in zip(self.extras, bar.extras):
            thick = 3 if style == "line" else 8
            sy = y + 4 - thick / 2 + 1
            arcade.draw_lbwh_rectangle_filled(x - 1, sy - 1, 28, thick + 2, palette.CASING_COLOR)
            arcade.draw_lbwh_rectangle_filled(x, sy, 26, thick, color)
            if style == "dash":
                for dash in range(0, 26, 8):
                    arcade.draw_lbwh_rectangle_filled(x + dash, sy, 4, thick, palette.CLOSED_DASH_COLOR)
            label.text = name
            label.position = (x + 32, y)
            label.draw()
            x += 32 + label.content_width + 12
