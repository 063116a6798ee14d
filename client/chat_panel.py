"""The side panel's Chat tab: the room's chat lines as the Game message carries them (the
newest at the bottom), the facilitator's latest announcement pinned at the top, and a one-line
field to write in.

    chat = ChatPanel(window, link.send, trends)
    window.tabs.add("chat", "Chat", chat, badge=chat.badge)  # "3": lines come in behind another tab
    news = chat.take(game, me, now)     # each Game message; the announcements new since the last
    chat.start(now); chat.send()        # T opens the field, Enter sends a Chat, Esc: chat.cancel()
    chat.refused(error, now)            # True if the error answers the line sent (muted, empty)

While the field is open the window routes Enter and Esc here and ignores its other keys;
typed text reaches the field through a UIManager enabled only meanwhile. A line the server
refuses is kept: T opens the field with it again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import arcade
from arcade.gui import UIEvent, UIInputText, UIManager
from arcade.gui.events import UITextInputEvent
from arcade.types import LBWH

from agora.client import palette
from agora.client.drawing import FONT, TextPool, fit_text, set_color
from agora.client.propose_dialog import LineInput
from agora.client.trends import Trends
from agora.client.viewport import Area
from agora.server import protocol as p

PAD = 14
FIELD_PX = 32
GAP = 8
REFUSAL_S = 8.0
# The refusals a chat line meets (session/roles.py, session/proposals.py).
CHAT_REFUSALS = frozenset({"muted", "empty_chat", "chat_too_long", "not_allowed", "removed"})
# pyglet follows the key press that opens the field with that key's text in the same round of
# events; a "t" that soon after opening is the T, not typing.
OPENING_KEY_S = 0.25
ANNOUNCE_BG: palette.RGBA = (70, 58, 25, 255)


class ChatInput(LineInput):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.opened_at = -1.0

    def on_event(self, event: UIEvent) -> bool | None:
        if isinstance(event, UITextInputEvent) and self.opened_at >= 0.0:
            opening = event.text in ("t", "T") and time.monotonic() - self.opened_at < OPENING_KEY_S
            self.opened_at = -1.0
            if opening:
                return True
        result: bool | None = super().on_event(event)
        return result


def _field() -> ChatInput:
    style = {state: UIInputText.UIStyle(bg=(40, 46, 56, 255), border=border, border_width=2)
             for state, border in (("normal", palette.TEXT_DIM), ("hover", palette.TEXT), ("press", palette.ACCENT),
                                   ("disabled", palette.RULE), ("invalid", palette.WORSE_TEXT))}
    return ChatInput(width=200, height=FIELD_PX, font_name=FONT, font_size=11, text_color=palette.TEXT,
                     caret_color=palette.TEXT, style=style)


class ChatPanel:
    def __init__(self, window: arcade.Window, send: Callable[[p.Chat], bool], trends: Trends) -> None:
        self.window = window
        self._send = send
        self.trends = trends
        self.ui = UIManager(window)
        self.field = _field()
        self.ui.add(self.field)
        self.lines: list[p.ChatLine] = []
        self.unread = 0
        self.typing = False
        self.muted = False
        self.observer = False  # reads the chat, writes nothing (the server would refuse)
        self.kept = ""  # a line the server refused, offered again
        self.pending: str | None = None  # the line sent, until the server answers
        self.refusal: tuple[str, float] | None = None  # what the server said, until when
        self._last_seq: int | None = None  # None until the first Game
        self.head = TextPool(9.5, bold=True)
        self.body = TextPool(10.5, multiline=True)
        self.small = TextPool(9.5)
        self._pools = (self.head, self.body, self.small)
        self._wrapped: dict[int, tuple[str, int, float]] = {}
        self.shown: list[p.ChatLine] = []  # the lines drawn in the last frame, oldest first

    # -- what the server says ---------------------------------------------------------

    def take(self, game: p.Game, me: int | None, now: float) -> list[p.ChatLine]:
        """A Game message's chat; returns the announcements new since the last one (none from
        the first: a late joiner finds the old ones pinned and in the list)."""
        mine = next((pl for pl in game.players if pl.id == me), None)
        name = mine.name if mine is not None else None
        self.muted = mine is not None and mine.muted
        self.observer = mine is not None and mine.role == "observer"
        first = self._last_seq is None
        last = self._last_seq or 0
        new = [line for line in game.chat if line.seq > last]
        self.lines = list(game.chat)
        if game.chat:
            self._last_seq = max(last, game.chat[-1].seq)
        elif first:
            self._last_seq = 0
        if first:
            return []
        self.unread += sum(1 for line in new if line.author != name)
        return [line for line in new if line.announcement]

    def badge(self) -> str:
        return str(self.unread) if self.unread else ""

    def answered(self, accepted: p.Accepted) -> bool:
        """True if this is the server taking the line sent (no notice needed: it shows in the chat)."""
        if accepted.command != "chat" or self.pending is None:
            return False
        self.pending = None
        self.kept = ""
        return True

    def refused(self, error: p.Error, now: float) -> bool:
        """True if the error answers the line sent: it shows under the chat, and the line is
        kept to send again."""
        if self.pending is None or error.code not in CHAT_REFUSALS:
            return False
        self.kept = self.pending
        self.pending = None
        self.refusal = (error.message, now + REFUSAL_S)
        return True

    # -- writing ------------------------------------------------------------------------

    def start(self, now: float) -> None:
        """T: open the field (with the line refused last, if any); an observer is told why not."""
        if self.observer:
            self.refusal = ("Observers read the chat; only players and the facilitator write in it.", now + REFUSAL_S)
            return
        width, height = self.window.get_size()
        manager: Any = self.ui  # arcade leaves on_resize untyped
        manager.on_resize(width, height)
        self.field.text = self.kept
        self.ui.enable()
        untyped: Any = self.field
        untyped.activate()
        self.field.opened_at = time.monotonic()
        self.typing = True

    def send(self) -> bool:
        """Enter: send what is typed as a Chat (the server judges it, empty or not) and close
        the field; False if there is no connection to send it on (the text stays)."""
        text = str(self.field.text)
        if not self._send(p.Chat(text=text)):
            self.refusal = ("Not sent: the connection to the server is lost.", time.monotonic() + REFUSAL_S)
            return False
        self.pending = text
        self.refusal = None
        self._close()
        return True

    def cancel(self) -> None:
        """Esc: close the field; what was typed is kept for the next T."""
        self.kept = str(self.field.text)
        self._close()

    def _close(self) -> None:
        untyped: Any = self.field
        untyped.deactivate()
        self.ui.disable()
        self.typing = False

    # -- drawing ------------------------------------------------------------------------

    def click(self, x: float, y: float) -> bool:
        return False

    def when(self, line: p.ChatLine) -> str:
        clock = self.trends.clock_at(line.tick)
        return clock if clock is not None else f"tick {line.tick}"

    def draw(self, area: Area, now: float) -> None:
        self.unread = 0  # the tab is showing
        if self.typing and not self.field.active:
            self.cancel()  # a click elsewhere let go of the field: back to the keys
        for pool in self._pools:
            pool.reset()
        left, width = area.left + PAD, area.width - 2 * PAD
        top = area.bottom + area.height - PAD
        announcements = [line for line in self.lines if line.announcement]
        if announcements:
            top = self._pinned(announcements[-1], left, top, width) - GAP
        bottom = self._foot(area, left, width, now)
        self._stream(left, width, top, bottom)
        if self.typing:
            self.ui.draw()

    def _pinned(self, line: p.ChatLine, left: float, top: float, width: float) -> float:
        """The latest announcement in a box at the top; returns the y below it."""
        head = self.head.take()
        fit_text(head, f"ANNOUNCEMENT  \u00b7  {line.author}  \u00b7  {self.when(line)}", width - 16)
        body = self.body.take()
        self._wrap(body, line.text, int(width - 16), 80)
        height = head.content_height + body.content_height + 20
        arcade.draw_lbwh_rectangle_filled(left - 6, top - height, width + 12, height, ANNOUNCE_BG)
        arcade.draw_lbwh_rectangle_filled(left - 6, top - height, 4, height, palette.WARNING_TEXT)
        set_color(head, palette.WARNING_TEXT)
        head.position = (left + 6, top - 6)
        head.draw()
        set_color(body, palette.TEXT)
        body.position = (left + 6, top - 10 - head.content_height)
        body.draw()
        return float(top - height)

    def _foot(self, area: Area, left: float, width: float, now: float) -> float:
        """The field (or how to open it) and a refusal at the bottom; returns the y above them."""
        y = area.bottom + PAD
        if self.typing:
            rect = LBWH(left, y, width, FIELD_PX)
            if self.field.rect != rect:
                self.field.rect = rect
            y += FIELD_PX + 4
            hint = "Enter  send  \u00b7  Esc  cancel"
        elif self.observer:
            hint = "You observe: you can read the chat, not write."
        elif self.muted:
            hint = "You are muted: you can read the chat, not write."
        else:
            hint = "T  write a line to the room"
        label = self.small.take()
        fit_text(label, hint, width)
        set_color(label, palette.TEXT_DIM)
        label.position = (left, y + label.content_height)
        label.draw()
        y += label.content_height + 4
        if self.refusal is not None and self.refusal[1] > now:
            note = self.body.take()
            self._wrap(note, self.refusal[0], int(width), 48)
            y += note.content_height
            set_color(note, palette.WORSE_TEXT)
            note.position = (left, y)
            note.draw()
            y += 4
        arcade.draw_line(left, y + 4, left + width, y + 4, palette.RULE, 1)
        return float(y + GAP)

    def _stream(self, left: float, width: float, top: float, bottom: float) -> None:
        """The lines from the newest at the bottom upwards, as many as fit."""
        self.shown = []
        y = bottom
        if not self.lines:
            empty = self.small.take()
            fit_text(empty, "No one has written yet.", width)
            set_color(empty, palette.TEXT_DIM)
            empty.position = (left, y + empty.content_height)
            empty.draw()
            return
        for line in reversed(self.lines):
            body = self.body.take()
            self._wrap(body, line.text, int(width - 8), 90)
            head = self.small.take()
            who = f"{line.author}  \u00b7  announcement" if line.announcement else line.author
            fit_text(head, f"{who}  \u00b7  {self.when(line)}", width)
            needed = body.content_height + head.content_height + 2
            if y + needed > top:
                return
            set_color(body, palette.WARNING_TEXT if line.announcement else palette.TEXT)
            body.position = (left + 8, y + body.content_height)
            body.draw()
            set_color(head, palette.WARNING_TEXT if line.announcement else palette.ACCENT)
            head.position = (left, y + needed)
            head.draw()
            y += needed + GAP
            self.shown.insert(0, line)

    def _wrap(self, label: arcade.Text, value: str, width: int, max_height: float) -> None:
        """A paragraph wrapped to `width`, cut short with an ellipsis past max_height."""
        key = (value, width, max_height)
        if self._wrapped.get(id(label)) == key:
            return
        self._wrapped[id(label)] = key
        if label.width != width:
            label.width = width
        label.text = value
        cut = value
        while label.content_height > max_height and len(cut) > 1:
            cut = cut[: int(len(cut) * 0.85)].rstrip()
            label.text = cut + "\u2026"
