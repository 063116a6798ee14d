"""The dialog that turns a previewed draft into a proposal: a title and, if the player
likes, why (arcade.gui text fields), then Enter to propose or Esc to go back.

    dialog = ProposeDialog(window)
    dialog.show("Close 2 streets to cars: roads 14, 16", default_title="Close 2 streets to cars")
    dialog.title_text()      # what was typed (empty: the default title is used)
    dialog.hide()

While it is open the window routes Enter, Tab and Esc here and ignores its other keys;
typed text reaches the fields through the UIManager, which is enabled only meanwhile.
"""

from __future__ import annotations

from typing import Any, Callable

import arcade
from arcade.gui import UIAnchorLayout, UIBoxLayout, UIEvent, UIFlatButton, UIInputText, UILabel, UIManager
from arcade.gui.events import UITextInputEvent

from arcade.types import Color

from agora.client import palette
from agora.client.drawing import FONT
from agora.client.viewport import Area

WIDTH_PX = 460
FIELD_PX = 32


def _label(text: str, size: float, color: palette.RGBA = palette.TEXT, bold: bool = False,
           width: float = WIDTH_PX - 40, multiline: bool = False) -> UILabel:
    return UILabel(text=text, font_name=FONT, font_size=size, text_color=color, bold=bold, width=width,
                   multiline=multiline)


class LineInput(UIInputText):
    """One line of text: the Return that opens or sends the dialog also arrives as typed
    text ("\\r"), which must not start a second line."""

    def on_event(self, event: UIEvent) -> bool | None:
        if isinstance(event, UITextInputEvent) and event.text in ("\r", "\n"):
            return True
        result: bool | None = super().on_event(event)
        return result


def _field() -> UIInputText:
    style = {state: UIInputText.UIStyle(bg=(40, 46, 56, 255), border=border, border_width=2)
             for state, border in (("normal", palette.TEXT_DIM), ("hover", palette.TEXT), ("press", palette.ACCENT),
                                   ("disabled", palette.RULE), ("invalid", palette.WORSE_TEXT))}
    return LineInput(width=WIDTH_PX - 40, height=FIELD_PX, font_name=FONT, font_size=12,
                       text_color=palette.TEXT, caret_color=palette.TEXT, style=style)


def _focus(field: UIInputText, other: UIInputText) -> None:
    """Typing goes to `field` (arcade leaves activate and deactivate untyped)."""
    leaving: Any = other
    taking: Any = field
    leaving.deactivate()
    taking.activate()


class ProposeDialog:
    def __init__(self, window: arcade.Window, on_propose: Callable[[], None] | None = None,
                 on_cancel: Callable[[], None] | None = None) -> None:
        self.ui = UIManager(window)
        self.open = False
        self._window = window
        self.heading = _label("Propose this draft to the room", 15, bold=True)
        self.draft_line = _label("", 11, palette.ACCENT, multiline=True)
        self.title_label = _label("Title", 10.5, palette.TEXT_DIM)
        self.title_field = _field()
        self.why_label = _label("Why (optional): what it is for, whom it helps", 10.5, palette.TEXT_DIM)
        self.why_field = _field()
        self.hint = _label("", 9.5, palette.TEXT_DIM, multiline=True)
        self.propose_button = UIFlatButton(text="Propose  (Enter)", width=200, height=36)
        self.cancel_button = UIFlatButton(text="Back  (Esc)", width=140, height=36)
        buttons = UIBoxLayout(vertical=False, space_between=16, children=[self.propose_button, self.cancel_button])
        self.box = UIBoxLayout(
            vertical=True, align="left", space_between=8,
            children=[self.heading, self.draft_line, self.title_label, self.title_field, self.why_label,
                      self.why_field, self.hint, buttons],
        ).with_padding(all=20).with_background(color=Color.from_iterable(palette.BAR)).with_border(
            width=2, color=Color.from_iterable(palette.ACCENT))
        self.anchor = UIAnchorLayout()
        self.anchor.add(self.box, anchor_x="center", anchor_y="center")
        self.ui.add(self.anchor)

        def clicked_propose(event: Any) -> None:
            if on_propose is not None:
                on_propose()

        def clicked_cancel(event: Any) -> None:
            if on_cancel is not None:
                on_cancel()

        self.propose_button.set_handler("on_click", clicked_propose)
        self.cancel_button.set_handler("on_click", clicked_cancel)

    def show(self, draft_text: str, default_title: str, over: Area) -> None:
        """Open over the map's area, the title field taking the typing."""
        self.draft_line.text = draft_text
        self.hint.text = f"Leave the title empty for \u201c{default_title}\u201d.  Tab moves between the fields."
        self.title_field.text = ""
        self.why_field.text = ""
        self.place(over)
        self.ui.enable()
        self.open = True
        _focus(self.title_field, self.why_field)

    def place(self, over: Area) -> None:
        """Centre the dialog on an area of the window (the map's)."""
        width, height = self._window.get_size()
        cx, cy = over.center
        # The manager hears of resizes only while enabled: tell it the size now.
        manager: Any = self.ui  # arcade leaves on_resize untyped
        manager.on_resize(width, height)
        self.anchor.remove(self.box)
        self.anchor.add(self.box, anchor_x="center", anchor_y="center", align_x=cx - width / 2, align_y=cy - height / 2)

    def hide(self) -> None:
        for field in (self.title_field, self.why_field):
            untyped: Any = field
            untyped.deactivate()
        self.ui.disable()
        self.open = False

    def next_field(self) -> None:
        """Tab: type into the other field."""
        if self.title_field.active:
            _focus(self.why_field, self.title_field)
        else:
            _focus(self.title_field, self.why_field)

    def title_text(self) -> str:
        return str(self.title_field.text)

    def why_text(self) -> str:
        return str(self.why_field.text)

    def draw(self) -> None:
        if self.open:
            width, height = self._window.get_size()
            arcade.draw_lbwh_rectangle_filled(0, 0, width, height, (0, 0, 0, 110))
            self.ui.draw()
