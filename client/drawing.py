"""Text and panels in screen pixels, shared by the HUD and the side panel.

Building a pyglet label is far slower than drawing one, so labels are made once and kept:
a TextPool hands out the same labels in the same order every frame, and setting a label's
text to what it already holds costs nothing.
"""

from __future__ import annotations

import arcade

from agora.client import palette

FONT = ("DejaVu Sans", "Arial", "Helvetica", "sans-serif")

# The last (text, width) each label was fitted to, so an unchanged label is not re-measured.
_fitted: dict[int, tuple[str, float]] = {}
# fit_text's: (text, width, what the label was left showing). A pooled label can be given its
# text directly in between (another role in another frame): then it is fitted again.
_lines: dict[int, tuple[str, float, str]] = {}


def text(size: float, color: palette.RGBA = palette.TEXT, bold: bool = False, **kw: object) -> arcade.Text:
    return arcade.Text("", 0, 0, color, size, font_name=FONT, bold=bold, **kw)  # type: ignore[arg-type]


def fit_text(label: arcade.Text, value: str, max_width: float) -> None:
    """Set the label's text, cut short with an ellipsis where it would be wider than max_width."""
    last = _lines.get(id(label))
    if last is not None and last[:2] == (value, max_width) and last[2] == label.text:
        return
    label.text = value
    while label.content_width > max_width and len(label.text) > 1:
        keep = max(int(len(label.text) * max_width / label.content_width) - 1, 0)
        label.text = value[:keep].rstrip() + "\u2026" if keep else ""
        if not keep:
            break
    _lines[id(label)] = (value, max_width, label.text)


def set_color(label: arcade.Text, color: palette.RGBA) -> None:
    """Recolour a label only when the colour changes (pyglet rewrites its vertices each time)."""
    if tuple(label.label.color) != tuple(color):
        label.color = color


class TextPool:
    """Labels of one style, handed out in order each frame: call reset() at the frame's start."""

    def __init__(self, size: float, bold: bool = False, multiline: bool = False) -> None:
        self.size = size
        self.bold = bold
        self.multiline = multiline
        self._labels: list[arcade.Text] = []
        self._used = 0

    def reset(self) -> None:
        self._used = 0

    def take(self) -> arcade.Text:
        if self._used == len(self._labels):
            if self.multiline:
                label = text(self.size, bold=self.bold, anchor_y="top", multiline=True, width=100)
            else:
                label = text(self.size, bold=self.bold, anchor_y="top")
            self._labels.append(label)
        label = self._labels[self._used]
        self._used += 1
        return label

    @property
    def used(self) -> list[arcade.Text]:
        return self._labels[: self._used]


class Column:
    """Lays text out downwards from a top edge, within a width: each call places a label
    with its top at the cursor and moves the cursor below it."""

    def __init__(self, left: float, top: float, width: float, bottom: float) -> None:
        self.left = left
        self.y = top
        self.width = width
        self.bottom = bottom

    @property
    def full(self) -> bool:
        return self.y <= self.bottom

    def line(self, label: arcade.Text, value: str, color: palette.RGBA = palette.TEXT, *, indent: float = 0.0,
             gap: float = 4.0, width: float | None = None) -> arcade.Text:
        """One line, cut short to fit; returns the label (drawn)."""
        fit_text(label, value, (width if width is not None else self.width) - indent)
        set_color(label, color)
        label.position = (self.left + indent, self.y)
        label.draw()
        self.y -= label.content_height + gap
        return label

    def wrapped(self, label: arcade.Text, value: str, color: palette.RGBA = palette.TEXT, *, indent: float = 0.0,
                gap: float = 4.0, max_height: float = 0.0) -> arcade.Text:
        """A paragraph wrapped to the column's width (a multiline label); if max_height is
        given, cut short with an ellipsis to stay within it."""
        width = int(self.width - indent)
        key = (value, float(width * 100_000 + max_height))
        if _fitted.get(id(label)) != key:
            _fitted[id(label)] = key
            if label.width != width:
                label.width = width
            label.text = value
            cut = value
            while max_height and label.content_height > max_height and len(cut) > 1:
                cut = cut[: int(len(cut) * 0.85)].rstrip()
                label.text = cut + "\u2026"
        set_color(label, color)
        label.position = (self.left + indent, self.y)
        label.draw()
        self.y -= label.content_height + gap
        return label

    def space(self, pixels: float) -> None:
        self.y -= pixels


def section(col: Column, headers: TextPool, notes: TextPool, name: str, right: str = "",
            color: palette.RGBA = palette.TEXT_DIM, *, space: float = 7.0, note_width: float | None = None) -> None:
    """A side panel's section head: a rule across the column, the name in capitals, and a
    short note (`right`) at the right edge, cut to `note_width` (default: what the name leaves)."""
    arcade.draw_line(col.left, col.y, col.left + col.width, col.y, palette.RULE, 1)
    col.space(space)
    label = col.line(headers.take(), name.upper(), color, gap=6)
    if right:
        note = notes.take()
        fit_text(note, right, note_width if note_width is not None else col.width - label.content_width - 12)
        set_color(note, palette.TEXT_DIM)
        note.position = (col.left + col.width - note.content_width, label.y)
        note.draw()
