"""Everything drawn over the map in screen pixels: the indicator bar, legends, selection,
notices, the help line and the connection status.

Text objects are made once and only their strings and positions change, since building
a pyglet label is far slower than drawing one.
"""

from __future__ import annotations

from dataclasses import dataclass

import arcade

from agora.client import captions, palette
from agora.client.drawing import fit_text as _fit_text
from agora.client.drawing import text as _text
from agora.client.legends import Bar, LegendDrawer, traffic_bar
from agora.client.notices import Kind, Notice
from agora.client.viewport import Area

TOP_BAR_PX = 62
HELP_BAR_PX = 26
PAD = 10
# The side panel (phase, budget, proposals, previews) takes this share of the width, within bounds.
SIDE_SHARE = 0.3
SIDE_MIN_PX = 340
SIDE_MAX_PX = 470



@dataclass
class Screen:
    """What the HUD shows this frame (the window assembles it)."""

    title: str
    subtitle: str
    attribution: str
    cards: list[tuple[str, str]]
    selection: tuple[str, str, str] | None
    notices: list[Notice]
    status: tuple[str, str, Kind] | None  # headline, detail, kind; shown over the map
    show_legend: bool
    overlay: Bar | None = None  # the grid layer painted over the map
    side_panel: bool = False  # room is kept at the right for the side panel
    traffic: Bar | None = None  # what the roads' colours mean, if not the traffic classes
    overlay_at_left: bool = False  # the grid layer's legend at the bottom left (in a preview)
    help: str = captions.HELP
    notices_below_px: float = 0.0  # notices start this far below the top bar (under a banner)


def side_width(width: int) -> float:
    return float(min(max(width * SIDE_SHARE, SIDE_MIN_PX), SIDE_MAX_PX))


class Hud:
    def __init__(self) -> None:
        # Where the map and its panels start: above the help bar, and above whatever a mode
        # keeps below the map (a replay's timeline).
        self.bottom_px: float = HELP_BAR_PX
        self._panels: list[tuple[float, float, float, float]] = []
        self._legend_left = 0.0
        self._attribution_fit: tuple[str, float] = ("", 0.0)
        self._title = _text(17, bold=True)
        self._subtitle = _text(10, palette.TEXT_DIM)
        self._attribution = _text(9.5, palette.TEXT_DIM, anchor_x="right")
        self._card_labels = [_text(10, palette.TEXT_DIM) for _ in range(8)]
        self._card_values = [_text(16, bold=True) for _ in range(8)]
        self._help = _text(10.5, palette.TEXT_DIM)
        self.roads_legend = LegendDrawer()
        self.grid_legend = LegendDrawer()
        self._selection = [_text(12, bold=True), _text(11.5), _text(11, palette.TEXT_DIM)]
        self._notices = [_text(12) for _ in range(4)]
        self._status_head = _text(18, bold=True, anchor_x="center")
        self._status_detail = _text(12, anchor_x="center", anchor_y="top", multiline=True, width=700, align="center")

    def map_area(self, width: int, height: int) -> Area:
        """The part of the window the map is fitted into (between the two bars, left of the
        side panel)."""
        return Area(0, self.bottom_px, max(width - side_width(width), 1), max(height - TOP_BAR_PX - self.bottom_px, 1))

    def side_area(self, width: int, height: int) -> Area:
        """The side panel's rectangle, at the right between the two bars."""
        w = side_width(width)
        return Area(width - w, HELP_BAR_PX, w, max(height - TOP_BAR_PX - HELP_BAR_PX, 1))

    def covers(self, x: float, y: float) -> bool:
        """Whether a panel drawn in the last frame lies under a screen point (clicks there
        are for the panel, not for the map beneath)."""
        return any(l <= x < l + w and b <= y < b + h for l, b, w, h in self._panels)

    def click(self, x: float, y: float) -> bool:
        """A click on a legend's title folds or unfolds it; False if none was hit."""
        return self.roads_legend.click(x, y) or self.grid_legend.click(x, y)

    def _panel(self, left: float, bottom: float, width: float, height: float, color: palette.RGBA) -> None:
        arcade.draw_lbwh_rectangle_filled(left, bottom, width, height, color)
        self._panels.append((left, bottom, width, height))

    def draw(self, screen: Screen, width: int, height: int) -> None:
        self._panels = []
        self._draw_top_bar(screen, width, height)
        self._draw_help_bar(screen, width)
        right = width - side_width(width) if screen.side_panel else width
        if screen.side_panel:
            side = self.side_area(width, height)
            self._panel(side.left, side.bottom, side.width, side.height, palette.BAR)
        if screen.show_legend:
            top = self._draw_legend(self.roads_legend, screen.traffic or traffic_bar(), right, self.bottom_px + PAD)
            self._legend_left = self.roads_legend.rect[0]
            if screen.overlay is not None:
                bottom = self.bottom_px + PAD if screen.overlay_at_left else top + PAD / 2
                self._draw_legend(self.grid_legend, screen.overlay, None if screen.overlay_at_left else right, bottom)
        if screen.selection is not None:
            self._draw_selection(screen.selection, self._legend_left if screen.show_legend else right)
        self._draw_notices(screen.notices, right, height - screen.notices_below_px)
        if screen.status is not None:
            self.draw_status(screen.status, width, height)

    # -- pieces ----------------------------------------------------------------------

    def _draw_top_bar(self, screen: Screen, width: int, height: int) -> None:
        self._panel(0, height - TOP_BAR_PX, width, TOP_BAR_PX, palette.BAR)
        self._title.text = screen.title
        self._title.position = (PAD + 4, height - 30)
        self._subtitle.text = screen.subtitle
        self._subtitle.position = (PAD + 4, height - 50)
        self._title.draw()
        self._subtitle.draw()
        # Cards sit at the right; on a window too narrow for all, the leftmost give way.
        title_right = PAD + 4 + max(self._title.content_width, self._subtitle.content_width) + 24
        x = width - PAD - 8
        for (label, value), lt, vt in reversed(list(zip(screen.cards, self._card_labels, self._card_values))):
            lt.text, vt.text = label, value
            x -= max(lt.content_width, vt.content_width)
            if x < title_right:
                break
            lt.position = (x, height - 22)
            vt.position = (x, height - 48)
            lt.draw()
            vt.draw()
            x -= 36

    def _draw_help_bar(self, screen: Screen, width: int) -> None:
        self._panel(0, 0, width, HELP_BAR_PX, palette.BAR)
        self._help.text = screen.help
        self._help.position = (PAD + 4, 8)
        self._help.draw()
        self._attribution.position = (width - PAD - 4, 8)
        room = width - self._help.content_width - 4 * PAD
        if (screen.attribution, room) != self._attribution_fit:
            self._attribution_fit = (screen.attribution, room)
            _fit_text(self._attribution, screen.attribution, room)
        self._attribution.draw()

    def _draw_legend(self, drawer: LegendDrawer, bar: Bar, right: float | None, bottom: float) -> float:
        """A legend with its right edge PAD left of `right` (None: at the left edge); returns
        the y of its top edge."""
        w, h = drawer.size(bar)
        left = PAD if right is None else right - w - PAD
        drawer.draw(bar, left, bottom)
        self._panels.append(drawer.rect)
        return bottom + h

    def _draw_selection(self, lines: tuple[str, str, str], right: float) -> None:
        """The selected road's summary at the bottom left, no wider than the room left of
        the legend (`right`)."""
        room = max(right - 4 * PAD, 120)
        for t, line in zip(self._selection, lines):
            _fit_text(t, line, room)
        w = max(t.content_width for t in self._selection) + 2 * PAD + 2
        h = 3 * 22 + 2 * PAD - 4
        left, bottom = PAD, self.bottom_px + PAD
        self._panel(left, bottom, w, h, palette.PANEL)
        arcade.draw_lbwh_rectangle_filled(left, bottom, 4, h, palette.SELECTION_COLOR)
        for i, t in enumerate(self._selection):
            t.position = (left + PAD + 2, bottom + h - PAD - 14 - 22 * i)
            t.draw()

    def _draw_notices(self, notices: list[Notice], width: float, height: float) -> None:
        y = height - TOP_BAR_PX - PAD
        for t, notice in zip(self._notices, notices):
            t.text = notice.text
            w, h = t.content_width + 2 * PAD, 30
            left = (width - w) / 2
            color = palette.ERROR_PANEL if notice.kind is Kind.ERROR else palette.NOTE_PANEL
            self._panel(left, y - h, w, h, color)
            t.position = (left + PAD, y - h + 10)
            t.draw()
            y -= h + 6

    def draw_status(self, status: tuple[str, str, Kind], width: int, height: int) -> None:
        head, detail, kind = status
        self._status_head.text = head
        self._status_detail.text = detail
        self._status_detail.width = int(min(700, width - 6 * PAD))
        w = min(max(self._status_head.content_width, self._status_detail.content_width) + 4 * PAD, width - 2 * PAD)
        h = self._status_detail.content_height + 72
        left, bottom = (width - w) / 2, (height - h) / 2
        color = palette.ERROR_PANEL if kind is Kind.ERROR else palette.PANEL
        self._panel(left, bottom, w, h, color)
        self._status_head.position = (width / 2, bottom + h - 34)
        self._status_head.draw()
        self._status_detail.position = (width / 2, bottom + h - 48)
        self._status_detail.draw()
