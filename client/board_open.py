"""The open proposal on the board: its title and the buttons for what the player may do
with it, then, scrolling under the mouse wheel, its cost, what its preview said, why, its
history, its versions and its comment thread.

    view = OpenProposal()
    view.draw(col, game, proposal, headline)   # below the board's rows
    view.scroll(-1)                    # wheel: further down the thread
    view.button_at(x, y)               # "O", "K", "R", "W", "A" or "S" under a click
    view.comment_at(x, y)              # the comment under a click, to reply to
"""

from __future__ import annotations

from dataclasses import dataclass

import arcade

from agora.client import palette
from agora.client.board_previews import Headline
from agora.client.drawing import Column, TextPool, fit_text, set_color
from agora.client.game_state import GameState, eur
from agora.client.indicators import PersonaScore, Verdict
from agora.server import protocol as p

SCROLL_STEP_PX = 40.0
BUTTON_PX = 24.0
BAR_PX = 4.0
STATUS_WORDS = {
    "draft": "draft (only you see it)",
    "submitted": "submitted",
    "withdrawn": "withdrawn",
    "adopted": "adopted",
    "rejected": "rejected",
    "rolled_back": "rolled back",
}
HISTORY_WORDS = {"draft": "drafted", "rolled_back": "rolled back"}
FIGURE_COLORS = {Verdict.BETTER: palette.BETTER_TEXT, Verdict.WORSE: palette.WORSE_TEXT,
                 Verdict.CHANGED: palette.TEXT, Verdict.SAME: palette.TEXT_DIM}
# What each button does, by the key that does it too.
BUTTON_WORDS = {"O": "Preview", "K": "Comment", "R": "Reply", "A": "Amend", "W": "Withdraw", "S": "Submit"}


@dataclass(frozen=True)
class Box:
    key: int | str  # a comment id, or a button's key
    left: float
    bottom: float
    width: float
    height: float

    def holds(self, x: float, y: float) -> bool:
        return self.left <= x < self.left + self.width and self.bottom <= y < self.bottom + self.height


class ClippedColumn(Column):
    """A column scrolled inside a band of the screen: labels outside the band are laid out
    (their height moves the cursor) but not drawn, so a long thread costs little per frame.
    Its paragraphs take no max_height: the band scrolls instead."""

    def __init__(self, left: float, top: float, width: float, bottom: float, band: tuple[float, float]) -> None:
        super().__init__(left, top, width, bottom)
        self.band = band  # (bottom, top) of what shows

    def _show(self, label: arcade.Text, indent: float) -> None:
        # Moving a label rewrites its vertices: those out of the band stay where they are.
        if self.y - label.content_height < self.band[1] and self.y > self.band[0]:
            label.position = (self.left + indent, self.y)
            label.draw()

    def line(self, label: arcade.Text, value: str, color: palette.RGBA = palette.TEXT, *, indent: float = 0.0,
             gap: float = 4.0, width: float | None = None) -> arcade.Text:
        fit_text(label, value, (width if width is not None else self.width) - indent)
        set_color(label, color)
        self._show(label, indent)
        self.y -= label.content_height + gap
        return label

    def wrapped(self, label: arcade.Text, value: str, color: palette.RGBA = palette.TEXT, *, indent: float = 0.0,
                gap: float = 4.0, max_height: float = 0.0) -> arcade.Text:
        width = int(self.width - indent)
        if label.width != width:
            label.width = width
        if label.text != value:
            label.text = value
        set_color(label, color)
        self._show(label, indent)
        self.y -= label.content_height + gap
        return label


def buttons_for(game: GameState, q: p.ProposalInfo) -> list[str]:
    """The keys the open proposal offers (the server still decides)."""
    keys = ["O"]
    if q.status != "draft":
        keys.append("K")
        if game.picked_comment() is not None:
            keys.append("R")
    if game.mine(q) and q.status in ("draft", "submitted"):
        keys += ["A", "W"] + (["S"] if q.status == "draft" else [])
    return keys


def persona_text(best: PersonaScore | None, worst: PersonaScore | None) -> str:
    parts = []
    if best is not None:
        parts.append(f"helps {best.title.lower()} {best.score:+.2f}")
    if worst is not None:
        parts.append(f"hurts {worst.title.lower()} {worst.score:+.2f}")
    return "  \u00b7  ".join(parts) or "hardly affects anyone"


def history_text(s: p.StatusInfo) -> str:
    said = f": \u201c{s.reason}\u201d" if s.reason else ""
    return f"tick {s.tick}  \u00b7  {HISTORY_WORDS.get(s.status, s.status)} by {s.by}{said}"


class OpenProposal:
    def __init__(self) -> None:
        self.header = TextPool(9.5, bold=True)
        self.button = TextPool(9.5, bold=True)
        self.body = TextPool(10.5)
        self.small = TextPool(9.5)
        self.title = TextPool(10.5, multiline=True)
        self.para = TextPool(10.5, multiline=True)
        self.pools = (self.title, self.header, self.button, self.body, self.small, self.para)
        self.offset = 0.0  # pixels scrolled down
        self.overflow = 0.0  # how far the content runs below the view as last drawn
        self.buttons: list[Box] = []
        self.comments: list[Box] = []
        self.view: Box | None = None  # the scrolling part, as last drawn
        self._shown: int | None = None  # the proposal drawn last (another one starts at the top)

    def scroll(self, clicks: float) -> None:
        """Wheel clicks: negative moves down the content (as a page under the wheel does)."""
        self.offset = min(max(self.offset - clicks * SCROLL_STEP_PX, 0.0), self.offset + max(self.overflow, 0.0))

    def button_at(self, x: float, y: float) -> str | None:
        return next((str(b.key) for b in self.buttons if b.holds(x, y)), None)

    def comment_at(self, x: float, y: float) -> int | None:
        if self.view is None or not self.view.holds(x, y):
            return None
        return next((int(b.key) for b in self.comments if b.holds(x, y)), None)

    def draw(self, col: Column, game: GameState, q: p.ProposalInfo, headline: Headline | None) -> None:
        self.buttons, self.comments, self.view = [], [], None
        if q.id != self._shown:
            self._shown, self.offset = q.id, 0.0
        current = q.versions[-1]
        col.wrapped(self.title.take(), current.title, gap=6, max_height=44)
        self._buttons(col, buttons_for(game, q))
        if col.y - col.bottom < 24:
            return
        top, bottom = col.y, col.bottom
        self.view = Box(0, col.left - 4, bottom, col.width + 8, top - bottom)
        window = arcade.get_window()
        ratio = window.get_pixel_ratio()
        window.ctx.scissor = (int((col.left - 6) * ratio), int(bottom * ratio), int((col.width + 12) * ratio),
                              int((top - bottom) * ratio))
        try:
            inner = ClippedColumn(col.left, top + self.offset, col.width, bottom, (bottom, top))
            self._content(inner, game, q, headline)
        finally:
            window.ctx.scissor = None
        self.overflow = bottom - inner.y
        if self.offset > 0 and self.overflow < 0:
            # Scrolled past the end (the thread got shorter): settle back from the next frame.
            self.offset = max(self.offset + self.overflow, 0.0)
        if self.offset > 0 or self.overflow > 0:
            self._scroll_bar(col, top, bottom, inner_height=top + self.offset - inner.y)
        col.y = bottom

    # -- pieces ------------------------------------------------------------------------

    def _buttons(self, col: Column, keys: list[str]) -> None:
        x = col.left
        for key in keys:
            label = self.button.take()
            fit_text(label, f"{key}  {BUTTON_WORDS[key]}", col.width)
            width = label.content_width + 16
            if x + width > col.left + col.width:
                x = col.left
                col.space(BUTTON_PX + 6)
            bottom = col.y - BUTTON_PX
            arcade.draw_lbwh_rectangle_filled(x, bottom, width, BUTTON_PX, palette.ROW_SELECTED)
            arcade.draw_lbwh_rectangle_outline(x, bottom, width, BUTTON_PX, palette.ACCENT, 1)
            set_color(label, palette.TEXT)
            label.position = (x + 8, col.y - (BUTTON_PX - label.content_height) / 2)
            label.draw()
            self.buttons.append(Box(key, x, bottom, width, BUTTON_PX))
            x += width + 6
        col.space(BUTTON_PX + 10)

    def _content(self, col: Column, game: GameState, q: p.ProposalInfo, headline: Headline | None) -> None:
        current = q.versions[-1]
        n = len(current.interventions)
        col.line(self.body.take(), f"{eur(current.cost_eur)}  \u00b7  {n} intervention{'s' if n != 1 else ''}  \u00b7  "
                 f"version {current.number}", palette.TEXT_DIM, gap=6)
        self._headline(col, headline)
        if current.rationale:
            col.wrapped(self.para.take(), current.rationale, gap=8)
        col.line(self.header.take(), "HISTORY", palette.TEXT_DIM, gap=4)
        for status in q.history:
            col.wrapped(self.para.take(), history_text(status), palette.TEXT_DIM, indent=6, gap=3)
        col.space(6)
        if len(q.versions) > 1:
            col.line(self.header.take(), "VERSIONS", palette.TEXT_DIM, gap=4)
            for v in reversed(q.versions):
                col.line(self.small.take(), f"v{v.number}  \u00b7  tick {v.tick}  \u00b7  {eur(v.cost_eur)}  \u00b7  {v.title}",
                         palette.TEXT if v is current else palette.TEXT_DIM, indent=6, gap=3)
            col.space(6)
        count = len(q.comments)
        picked = game.picked_comment()
        note = "  \u00b7  click one to reply (R)" if count and q.status != "draft" else ""
        col.line(self.header.take(), (f"COMMENTS ({count})" if count else "NO COMMENTS YET") + note, palette.TEXT_DIM,
                 gap=5)
        for c in q.comments:
            indent = 6 + 16 * min(c.depth, 6)
            top = col.y
            col.line(self.small.take(), f"{c.author}  \u00b7  tick {c.tick}", palette.ACCENT, indent=indent, gap=1)
            col.wrapped(self.para.take(), c.text, indent=indent, gap=6)
            if picked is not None and c.id == picked.id:
                arcade.draw_lbwh_rectangle_filled(col.left + indent - 6, col.y + 4, 3, top - col.y - 4, palette.ACCENT)
            self.comments.append(Box(c.id, col.left, col.y, col.width, top - col.y))

    def _headline(self, col: Column, headline: Headline | None) -> None:
        if headline is None:
            col.line(self.small.take(), "Not previewed yet: press O to see it on the map.", palette.ACCENT, gap=8)
            return
        x = col.left
        for figure in headline.figures:
            label = self.small.take()
            fit_text(label, figure.text, col.width)
            if x > col.left and x + label.content_width > col.left + col.width:
                x = col.left
                col.space(16)
            set_color(label, FIGURE_COLORS[figure.verdict])
            label.position = (x, col.y)
            label.draw()
            x += label.content_width + 12
        col.space(16)
        col.line(self.small.take(), persona_text(headline.best, headline.worst), palette.TEXT_DIM, gap=8)

    def _scroll_bar(self, col: Column, top: float, bottom: float, inner_height: float) -> None:
        height = top - bottom
        if inner_height <= 0 or height <= 0:
            return
        x = col.left + col.width + 6
        arcade.draw_lbwh_rectangle_filled(x, bottom, BAR_PX, height, palette.RULE)
        share = min(height / inner_height, 1.0)
        thumb_top = top - height * min(self.offset / inner_height, 1.0)
        arcade.draw_lbwh_rectangle_filled(x, max(thumb_top - height * share, bottom), BAR_PX, height * share,
                                          palette.TEXT_DIM)

    def texts(self) -> list[str]:
        return [t.text for pool in self.pools for t in pool.used]
