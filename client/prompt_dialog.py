"""A small question over the window: a heading, a sentence, at most one text field, and two
buttons (Enter confirms, Esc goes back). The facilitator's Announce, Reject (with a reason)
and Remove (to confirm) ask through it.

    prompt = PromptDialog(window)
    prompt.ask("Announce to the room", "Everyone sees it in the chat.", "Announce",
               on_confirm=lambda typed: send(p.Announce(text=typed)), field=True)
    prompt.key(arcade.key.ENTER)      # the window routes Enter and Esc here while it is open

`on_confirm` returns False to keep the dialog open (an empty announcement, say).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import arcade
from arcade.gui import UIAnchorLayout, UIBoxLayout, UIFlatButton, UIInputText, UILabel, UIManager
from arcade.types import Color

from agora.client import palette
from agora.client.drawing import FONT
from agora.client.propose_dialog import LineInput

WIDTH_PX = 480
FIELD_PX = 32


def _label(size: float, color: palette.RGBA = palette.TEXT, bold: bool = False) -> UILabel:
    return UILabel(text="", font_name=FONT, font_size=size, text_color=color, bold=bold, width=WIDTH_PX - 40,
                   multiline=True)


class PromptDialog:
    def __init__(self, window: arcade.Window) -> None:
        self.ui = UIManager(window)
        self.open = False
        self.has_field = False
        self._window = window
        self._on_confirm: Callable[[str], bool] = lambda typed: True
        self.heading = _label(15, bold=True)
        self.detail = _label(11, palette.TEXT_DIM)
        style = {state: UIInputText.UIStyle(bg=(40, 46, 56, 255), border=border, border_width=2)
                 for state, border in (("normal", palette.TEXT_DIM), ("hover", palette.TEXT),
                                       ("press", palette.ACCENT), ("disabled", palette.RULE),
                                       ("invalid", palette.WORSE_TEXT))}
        self.field = LineInput(width=WIDTH_PX - 40, height=FIELD_PX, font_name=FONT, font_size=12,
                               text_color=palette.TEXT, caret_color=palette.TEXT, style=style)
        self.confirm_button = UIFlatButton(text="OK  (Enter)", width=220, height=36)
        self.cancel_button = UIFlatButton(text="Back  (Esc)", width=140, height=36)
        self.buttons = UIBoxLayout(vertical=False, space_between=16,
                                   children=[self.confirm_button, self.cancel_button])
        self.box = UIBoxLayout(vertical=True, align="left", space_between=10)
        self.box.with_padding(all=20).with_background(color=Color.from_iterable(palette.BAR)).with_border(
            width=2, color=Color.from_iterable(palette.ACCENT))
        self.anchor = UIAnchorLayout()
        self.anchor.add(self.box, anchor_x="center", anchor_y="center")
        self.ui.add(self.anchor)
        self.confirm_button.set_handler("on_click", lambda event: self.confirm())
        self.cancel_button.set_handler("on_click", lambda event: self.hide())

    def ask(self, heading: str, detail: str, confirm: str, on_confirm: Callable[[str], bool], *,
            field: bool = False) -> None:
        """Open centred on the window; with `field`, typing goes into its text field."""
        self.heading.text = heading
        self.detail.text = detail
        self.confirm_button.text = f"{confirm}  (Enter)"
        self.field.text = ""
        self.has_field = field
        self._on_confirm = on_confirm
        box: Any = self.box  # arcade leaves clear untyped
        box.clear()
        for child in (self.heading, self.detail, *((self.field,) if field else ()), self.buttons):
            self.box.add(child)
        manager: Any = self.ui  # arcade leaves on_resize untyped
        manager.on_resize(*self._window.get_size())
        self.ui.enable()
        self.open = True
        if field:
            untyped: Any = self.field
            untyped.activate()

    def typed(self) -> str:
        return str(self.field.text).strip()

    def confirm(self) -> None:
        if self.open and self._on_confirm(self.typed()):
            self.hide()

    def hide(self) -> None:
        untyped: Any = self.field
        untyped.deactivate()
        self.ui.disable()
        self.open = False

    def key(self, symbol: int) -> None:
        """Enter confirms, Esc goes back; other keys are typing, for the field."""
        if symbol in (arcade.key.ENTER, arcade.key.NUM_ENTER):
            self.confirm()
        elif symbol == arcade.key.ESCAPE:
            self.hide()

    def draw(self) -> None:
        if self.open:
            width, height = self._window.get_size()
            arcade.draw_lbwh_rectangle_filled(0, 0, width, height, (0, 0, 0, 110))
            self.ui.draw()
