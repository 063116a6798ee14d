"""The help overlay (H, F1 or ?): a centred panel listing every key and mouse action of
the client, grouped as keys.TABLE groups them, over a dimmed window.

    overlay = HelpOverlay()
    overlay.toggle()                 # H, F1, ?
    overlay.draw(width, height)      # each frame, last, while open
    overlay.close()                  # Esc

Its type grows with the window (1280x800 is the scale of 1) so that the table reads from
the back of a room when the facilitator projects it at 1920x1080. The labels are laid out
once for a window size and drawn as one pyglet batch, not eighty-odd draws a frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import arcade
import pyglet

from agora.client import keys, palette
from agora.client.drawing import fit_text, set_color, text
from agora.client.viewport import Area

BASE_SIZE = (1280, 800)
SCALE_RANGE = (0.75, 1.6)
COLUMNS = 3
MARGIN_PX = 40  # around the panel, at scale 1
PAD_PX = 26  # inside it
MAX_WIDTH_PX = 1200
ROW_PX = 24
HEADER_PX = 32
TITLE_PX = 56
KEY_COLUMN_PX = 120
TITLE = "Keys and mouse"
CLOSE_NOTE = "Esc, H or a click closes this"
DIM: palette.RGBA = (0, 0, 0, 150)


@dataclass(frozen=True)
class Placed:
    """A label as drawn in the last frame (for tests and checks)."""

    text: str
    left: float
    bottom: float
    right: float
    top: float


def scale_for(width: int, height: int) -> float:
    low, high = SCALE_RANGE
    return min(max(min(width / BASE_SIZE[0], height / BASE_SIZE[1]), low), high)


def columns(groups: list[tuple[keys.Group, list[keys.Binding]]], n: int) -> list[list[tuple[keys.Group, list[keys.Binding]]]]:
    """The groups in order, cut into `n` columns of about equal height (a group stays whole)."""
    height = [HEADER_PX + ROW_PX * len(rows) for _, rows in groups]
    target = sum(height) / n
    out: list[list[tuple[keys.Group, list[keys.Binding]]]] = [[]]
    filled = 0.0
    for (group, rows), h in zip(groups, height):
        # Start the next column where this group would overshoot it by more than half itself.
        if out[-1] and len(out) < n and filled + h / 2 > target * len(out):
            out.append([])
        out[-1].append((group, rows))
        filled += h
    return out


class HelpOverlay:
    def __init__(self) -> None:
        self.open = False
        self.placed: list[Placed] = []
        self.panel: Area | None = None
        self.rules: list[tuple[float, float, float]] = []  # x0, x1, y of the line above each group
        self._scale = 0.0
        self._laid_for: tuple[int, int] | None = None
        self._batch = pyglet.graphics.Batch()
        batch = self._batch
        self._title = text(18, bold=True, anchor_y="top", batch=batch)
        self._note = text(11, palette.TEXT_DIM, anchor_y="top", batch=batch)
        self._note.text = CLOSE_NOTE
        self._headers = {g: text(11, palette.ACCENT, bold=True, anchor_y="top", batch=batch) for g in keys.Group}
        self._keys = [text(12, bold=True, anchor_y="top", batch=batch) for _ in keys.TABLE]
        self._does = [text(12, anchor_y="top", batch=batch) for _ in keys.TABLE]

    def toggle(self) -> None:
        self.open = not self.open

    def close(self) -> None:
        self.open = False

    def _rescale(self, s: float) -> None:
        if s == self._scale:
            return
        self._scale = s
        self._title.font_size = 18 * s
        self._note.font_size = 11 * s
        for label in self._headers.values():
            label.font_size = 11 * s
        for label in (*self._keys, *self._does):
            label.font_size = 12 * s

    def draw(self, width: int, height: int) -> None:
        if not self.open:
            return
        if self._laid_for != (width, height):
            self._layout(width, height)
            self._laid_for = (width, height)
        panel = self.panel
        assert panel is not None
        arcade.draw_lbwh_rectangle_filled(0, 0, width, height, DIM)
        arcade.draw_lbwh_rectangle_filled(panel.left, panel.bottom, panel.width, panel.height, palette.BAR)
        arcade.draw_lbwh_rectangle_outline(panel.left, panel.bottom, panel.width, panel.height, palette.ACCENT, 2)
        for x0, x1, y in self.rules:
            arcade.draw_line(x0, y, x1, y, palette.RULE, 1)
        self._batch.draw()

    def _layout(self, width: int, height: int) -> None:
        s = scale_for(width, height)
        self._rescale(s)
        groups = [(g, keys.in_group(g)) for g in keys.Group]
        cols = columns(groups, COLUMNS)
        tallest = max(sum(HEADER_PX + ROW_PX * len(rows) for _, rows in col) for col in cols)
        w = min(width - 2 * MARGIN_PX * s, MAX_WIDTH_PX * s)
        h = min(height - 2 * MARGIN_PX * s, (TITLE_PX + tallest) * s + 2 * PAD_PX * s)
        left, bottom = (width - w) / 2, (height - h) / 2
        self.panel = Area(left, bottom, w, h)
        self.placed = []
        self.rules = []
        pad = PAD_PX * s
        top = bottom + h - pad
        self._put(self._title, TITLE, left + pad, top, w - 2 * pad)
        self._put(self._note, CLOSE_NOTE, left + w - pad - self._note.content_width, top - 6 * s, w / 3)
        col_w = (w - 2 * pad) / COLUMNS
        index = {b.action: i for i, b in enumerate(keys.TABLE)}
        for c, col in enumerate(cols):
            x = left + pad + c * col_w
            y = top - TITLE_PX * s
            for group, rows in col:
                self.rules.append((x, x + col_w - 20 * s, y + 2 * s))
                self._put(self._headers[group], group.value.upper(), x, y - 8 * s, col_w - 20 * s)
                y -= HEADER_PX * s
                for binding in rows:
                    i = index[binding.action]
                    self._put(self._keys[i], binding.label, x, y, KEY_COLUMN_PX * s - 8 * s)
                    self._put(self._does[i], binding.does, x + KEY_COLUMN_PX * s, y,
                              col_w - KEY_COLUMN_PX * s - 20 * s, palette.TEXT_DIM)
                    y -= ROW_PX * s

    def _put(self, label: arcade.Text, value: str, x: float, y: float, max_width: float,
             color: palette.RGBA | None = None) -> None:
        fit_text(label, value, max_width)
        if color is not None:
            set_color(label, color)
        label.position = (x, y)
        self.placed.append(Placed(label.text, x, y - label.content_height, x + label.content_width, y))
