"""Dialogs that ask for a line or two of text (arcade.gui text fields), then Enter to send
or Esc to go back: a proposal's title and why, a comment, a reply, a withdrawal's reason.

    dialog = TextDialog(window, on_send=send, on_cancel=back)
    dialog.show("Comment on #2", "Bike lanes on the high street", ["Your comment"], "Post", over=map_area)
    dialog.texts()           # what was typed, one string a field
    dialog.hide()

    dialog = ProposeDialog(window)
    dialog.show("Close 2 streets to cars: roads 14, 16", default_title="Close 2 streets to cars")
    dialog.title_text()      # what was typed (empty: the default title is used)

While one is open the window routes Enter, Tab and Esc here and ignores its other keys;
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
MAX_FIELDS = 2


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


def _focus(field: UIInputText, others: list[UIInputText]) -> None:
    """Typing goes to `field` (arcade leaves activate and deactivate untyped)."""
    for other in others:
        if other is not field:
            leaving: Any = other
            leaving.deactivate()
    taking: Any = field
    taking.activate()


class TextDialog:
    """A heading, a line saying what it is about, one or two labelled fields, a hint, and
    the send and back buttons; what shows is chosen at each `show`."""

    def __init__(self, window: arcade.Window, on_send: Callable[[], None] | None = None,
                 on_cancel: Callable[[], None] | None = None) -> None:
        self.ui = UIManager(window)
        self.open = False
        self._window = window
        self.heading = _label("", 15, bold=True)
        self.context = _label("", 11, palette.ACCENT, multiline=True)
        self.labels = [_label("", 10.5, palette.TEXT_DIM) for _ in range(MAX_FIELDS)]
        self.fields = [_field() for _ in range(MAX_FIELDS)]
        self.hint = _label("", 9.5, palette.TEXT_DIM, multiline=True)
        self.send_button = UIFlatButton(text="", width=200, height=36)
        self.cancel_button = UIFlatButton(text="Back  (Esc)", width=140, height=36)
        self.buttons = UIBoxLayout(vertical=False, space_between=16, children=[self.send_button, self.cancel_button])
        self.shown = 0  # fields showing
        self.box = UIBoxLayout(vertical=True, align="left", space_between=8).with_padding(all=20).with_background(
            color=Color.from_iterable(palette.BAR)).with_border(width=2, color=Color.from_iterable(palette.ACCENT))
        self.anchor = UIAnchorLayout()
        self.anchor.add(self.box, anchor_x="center", anchor_y="center")
        self.ui.add(self.anchor)

        self.on_send = on_send  # what the buttons do (their keys, Enter and Esc, come through the window)
        self.on_cancel = on_cancel

        def clicked_send(event: Any) -> None:
            if self.on_send is not None:
                self.on_send()

        def clicked_cancel(event: Any) -> None:
            if self.on_cancel is not None:
                self.on_cancel()

        self.send_button.set_handler("on_click", clicked_send)
        self.cancel_button.set_handler("on_click", clicked_cancel)

    def show(self, heading: str, context: str, fields: list[str], send: str, over: Area, *, hint: str = "",
             values: list[str] | None = None) -> None:
        """Open over an area of the window (the map's) with a field for each label in
        `fields` (at most two), filled with `values`; the first takes the typing."""
        if not 1 <= len(fields) <= MAX_FIELDS:
            raise ValueError(f"a text dialog has 1 to {MAX_FIELDS} fields, not {len(fields)}")
        self.heading.text = heading
        self.context.text = context
        self.hint.text = hint
        self.send_button.text = f"{send}  (Enter)"
        self.shown = len(fields)
        filled = list(values or []) + [""] * MAX_FIELDS
        for label, field, name, value in zip(self.labels, self.fields, fields, filled):
            label.text = name
            field.text = value
        for child in list(self.box.children):
            self.box.remove(child)
        widgets: list[Any] = [self.heading]
        if context:
            widgets.append(self.context)
        for label, field in zip(self.labels[: self.shown], self.fields[: self.shown]):
            widgets += [label, field]
        if hint:
            widgets.append(self.hint)
        for widget in (*widgets, self.buttons):
            self.box.add(widget)
        self.place(over)
        self.ui.enable()
        self.open = True
        _focus(self.fields[0], self.fields)

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
        for field in self.fields:
            untyped: Any = field
            untyped.deactivate()
        self.ui.disable()
        self.open = False

    def next_field(self) -> None:
        """Tab: type into the next field showing."""
        showing = self.fields[: self.shown]
        at = next((i for i, f in enumerate(showing) if f.active), -1)
        _focus(showing[(at + 1) % len(showing)], self.fields)

    def texts(self) -> list[str]:
        return [str(f.text) for f in self.fields[: self.shown]]

    def draw(self) -> None:
        if self.open:
            width, height = self._window.get_size()
            arcade.draw_lbwh_rectangle_filled(0, 0, width, height, (0, 0, 0, 110))
            self.ui.draw()


class ProposeDialog(TextDialog):
    """The dialog that turns a previewed draft into a proposal: a title and, if the player
    likes, why."""

    def __init__(self, window: arcade.Window, on_propose: Callable[[], None] | None = None,
                 on_cancel: Callable[[], None] | None = None) -> None:
        super().__init__(window, on_send=on_propose, on_cancel=on_cancel)
        self.title_field, self.why_field = self.fields
        self.propose_button = self.send_button

    def show(self, draft_text: str, default_title: str, over: Area) -> None:  # type: ignore[override]
        """Open over the map's area, the title field taking the typing."""
        super().show("Propose this draft to the room", draft_text,
                     ["Title", "Why (optional): what it is for, whom it helps"], "Propose", over,
                     hint=f"Leave the title empty for \u201c{default_title}\u201d.  Tab moves between the fields.")

    def title_text(self) -> str:
        return str(self.title_field.text)

    def why_text(self) -> str:
        return str(self.why_field.text)
