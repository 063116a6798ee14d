"""The facilitator's latest announcement across the top of the map for a while, so that
nobody misses it; a thin bar under it runs down the time it has left. A click dismisses it.

    banner = Banner()
    banner.show(chat_line, now)                     # an announcement new in a Game message
    used_px = banner.draw(map_area, now)            # each frame, before the HUD: the height it took
"""

from __future__ import annotations

import arcade

from agora.client import palette
from agora.client.drawing import fit_text, set_color, text
from agora.client.viewport import Area
from agora.server import protocol as p

SHOW_S = 20.0
MAX_WIDTH_PX = 760
MARGIN_PX = 10
PAD = 12
BACKGROUND: palette.RGBA = (70, 58, 25, 240)
TEXT_MAX_PX = 80  # three lines of the announcement, then an ellipsis


class Banner:
    def __init__(self) -> None:
        self.line: p.ChatLine | None = None
        self.until = 0.0
        self.box: tuple[float, float, float, float] | None = None  # l, b, w, h as last drawn
        self._head = text(10.5, palette.WARNING_TEXT, bold=True, anchor_y="top")
        self._body = text(15, bold=True, anchor_y="top", multiline=True, width=400)
        self._laid_out: tuple[str, int] = ("", 0)

    def show(self, line: p.ChatLine, now: float) -> None:
        self.line = line
        self.until = now + SHOW_S

    def showing(self, now: float) -> bool:
        return self.line is not None and now < self.until

    def dismiss_at(self, x: float, y: float) -> bool:
        """A click on the banner hides it; False if the click was elsewhere."""
        if self.box is None:
            return False
        left, bottom, width, height = self.box
        if left <= x < left + width and bottom <= y < bottom + height:
            self.until = 0.0
            self.box = None
            return True
        return False

    def draw(self, area: Area, now: float) -> float:
        """Draw at the top of `area` (the map's); returns the pixels taken from its top (0
        when there is nothing to show)."""
        line = self.line
        if line is None or now >= self.until:
            self.box = None
            return 0.0
        width = min(area.width - 2 * MARGIN_PX, MAX_WIDTH_PX)
        inner = int(width - 2 * PAD - 6)
        if self._laid_out != (line.text, inner):
            self._laid_out = (line.text, inner)
            self._body.width = inner
            self._body.text = line.text
            cut = line.text
            while self._body.content_height > TEXT_MAX_PX and len(cut) > 1:
                cut = cut[: int(len(cut) * 0.85)].rstrip()
                self._body.text = cut + "\u2026"
        fit_text(self._head, f"ANNOUNCEMENT FROM {line.author.upper()}  \u00b7  click to close", inner)
        height = PAD * 2 + self._head.content_height + 6 + self._body.content_height + 4
        left = area.left + (area.width - width) / 2
        top = area.bottom + area.height - MARGIN_PX
        bottom = top - height
        arcade.draw_lbwh_rectangle_filled(left, bottom, width, height, BACKGROUND)
        arcade.draw_lbwh_rectangle_filled(left, bottom, 6, height, palette.WARNING_TEXT)
        share = min(max((self.until - now) / SHOW_S, 0.0), 1.0)
        arcade.draw_lbwh_rectangle_filled(left + 6, bottom, (width - 6) * share, 3, palette.WARNING_TEXT)
        self._head.position = (left + 6 + PAD, top - PAD)
        self._head.draw()
        set_color(self._body, palette.TEXT)
        self._body.position = (left + 6 + PAD, top - PAD - self._head.content_height - 6)
        self._body.draw()
        self.box = (left, bottom, width, height)
        return float(height + MARGIN_PX)
