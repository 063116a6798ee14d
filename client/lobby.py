"""The lobby: the server's address, the join code, a pseudonym and, if the player likes, a
point of view (a persona); then Join (arcade.gui).

    lobby = LobbyWindow(server="ws://127.0.0.1:8000", on_joined=...)
    lobby.run()          # until the server welcomes the player, or Esc
    lobby.joined         # Joined(link, name, code, persona, info); the map window takes the link

While a code is typed the lobby asks the server about it (GET /join/{code}, off the window's
thread: client/join_lookup.py) and shows the session's town, rule set and personas. Join
(Enter) opens the websocket (a SessionLink, which rejoins by itself after a drop); the
Welcome stays on the link's queue for the map window. What goes wrong is said in words under
the fields: no server at that address, a wrong code, a full session, a refused name.

The persona stays in the client: it decides whose score the preview panel puts first, and
changes nothing anyone else sees, so the server is not told.
"""

from __future__ import annotations

import enum
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

import arcade
import pyglet
from arcade.gui import UIAnchorLayout, UIBoxLayout, UIFlatButton, UIGridLayout, UIInputText, UILabel, UIManager
from arcade.types import Color

from agora.client import palette
from agora.client.drawing import FONT
from agora.client.join_lookup import Lookup, look_up
from agora.client.propose_dialog import LineInput
from agora.client.reconnect import LinkState, SessionLink
from agora.server import protocol as p

WIDTH_PX = 560
INNER_PX = WIDTH_PX - 48
FIELD_PX = 34
PERSONA_PX = 30
LOOKUP_DELAY_S = 0.6  # typing pauses this long before the code is looked up
MIN_CODE = 4


class Stage(enum.Enum):
    EDITING = "editing"
    JOINING = "joining"  # the websocket opens; awaiting the Welcome
    JOINED = "joined"


@dataclass(frozen=True)
class Joined:
    link: SessionLink  # started, welcomed: the Welcome waits on its queue
    name: str
    code: str
    persona: p.PersonaInfo | None
    info: p.JoinInfo | None  # None from a server without GET /join


def _label(text: str, size: float, color: palette.RGBA = palette.TEXT, bold: bool = False,
           multiline: bool = False) -> UILabel:
    # A wrapped label spans the card (size_hint 1): sized to its text, as arcade would size it
    # by default, an empty one would wrap every word it is given later.
    return UILabel(text=text, font_name=FONT, font_size=size, text_color=color, bold=bold, width=INNER_PX,
                   multiline=multiline, size_hint=(1, 0) if multiline else (0, 0))


class Field(LineInput):
    """A one-line field whose frame shows, in the accent colour, that it takes the typing."""

    def get_current_state(self) -> str:
        return "press" if self.active and not self.disabled else str(super().get_current_state())

    # arcade restyles a field when hovered or pressed, not when it takes or leaves the typing.
    def activate(self) -> None:
        base: Any = super()  # arcade leaves these untyped
        base.activate()
        base._apply_style()

    def deactivate(self) -> None:
        base: Any = super()
        base.deactivate()
        base._apply_style()


def _field(text: str) -> UIInputText:
    style = {state: UIInputText.UIStyle(bg=(40, 46, 56, 255), border=border, border_width=2)
             for state, border in (("normal", palette.TEXT_DIM), ("hover", palette.TEXT), ("press", palette.ACCENT),
                                   ("disabled", palette.RULE), ("invalid", palette.WORSE_TEXT))}
    return Field(width=INNER_PX, height=FIELD_PX, text=text, font_name=FONT, font_size=13,
                 text_color=palette.TEXT, caret_color=palette.TEXT, style=style)


def _button_style(bg: palette.RGBA, border: palette.RGBA, size: int = 11) -> dict[str, Any]:
    style = UIFlatButton.UIStyle(font_name=FONT, font_size=size, font_color=palette.TEXT, bg=bg, border=border,
                                 border_width=2)
    return {"normal": style, "hover": UIFlatButton.UIStyle(font_name=FONT, font_size=size, font_color=palette.TEXT,
                                                           bg=palette.ROW_SELECTED, border=palette.TEXT, border_width=2),
            "press": style, "disabled": style}


PERSONA_STYLE = _button_style((40, 46, 56, 255), palette.RULE, 10)
PERSONA_PICKED = _button_style((30, 70, 110, 255), palette.ACCENT, 10)
JOIN_STYLE = _button_style((30, 70, 110, 255), palette.ACCENT, 12)
QUIT_STYLE = _button_style((40, 46, 56, 255), palette.RULE, 12)
NO_PERSONA = ("Optional: pick whose gains and losses the previews show first. "
              "You can play without one.")


class LobbyWindow(arcade.Window):
    def __init__(self, server: str = "ws://127.0.0.1:8000", code: str = "", name: str = "", *,
                 width: int = 1280, height: int = 800, visible: bool = True,
                 on_joined: Callable[[Joined], None] | None = None) -> None:
        super().__init__(width, height, "Agora - join a session", resizable=True, visible=visible)
        self.background_color = palette.BACKGROUND
        self.on_joined = on_joined
        self.stage = Stage.EDITING
        self.joined: Joined | None = None
        self.link: SessionLink | None = None
        self.persona: p.PersonaInfo | None = None
        self.found: Lookup | None = None  # the answer about `found_key`
        self.found_key: tuple[str, str] | None = None
        self._asked: tuple[str, str] | None = None  # the lookup under way
        self._answers: queue.Queue[tuple[tuple[str, str], Lookup]] = queue.Queue()
        self._join_when_found = False
        self._stale = False  # the websocket refused since the last answer: ask again before joining
        self._typed_key: tuple[str, str] = ("", "")
        self._typed_at = 0.0

        self.ui = UIManager(self)
        self.heading = _label("Join a planning session", 20, bold=True)
        self.intro = _label("The facilitator shows the server address and the join code on the screen. "
                            "Tab moves between the fields.", 11,
                            palette.TEXT_DIM, multiline=True)
        self.server_field = _field(server)
        self.code_field = _field(code)
        self.name_field = _field(name)
        self.fields = (self.server_field, self.code_field, self.name_field)
        self.session_line = _label("", 11, palette.ACCENT, multiline=True)
        self.persona_heading = _label("Your point of view", 10.5, palette.TEXT_DIM)
        self.persona_grid = UIGridLayout(column_count=2, row_count=1, horizontal_spacing=8, vertical_spacing=6)
        self.persona_note = _label(NO_PERSONA, 10, palette.TEXT_DIM, multiline=True)
        self.persona_buttons: dict[str, UIFlatButton] = {}
        self.message = _label("", 11.5, palette.WORSE_TEXT, multiline=True)
        self.join_button = UIFlatButton(text="Join  (Enter)", width=200, height=38, style=JOIN_STYLE)
        self.quit_button = UIFlatButton(text="Quit  (Esc)", width=140, height=38, style=QUIT_STYLE)
        buttons = UIBoxLayout(vertical=False, space_between=16, children=[self.join_button, self.quit_button])
        self.card = UIBoxLayout(vertical=True, align="left", space_between=6, children=[
            self.heading, self.intro,
            _label("Server address", 10.5, palette.TEXT_DIM), self.server_field,
            _label("Join code", 10.5, palette.TEXT_DIM), self.code_field,
            _label("Your pseudonym: the name the others see (no real name needed)", 10.5, palette.TEXT_DIM),
            self.name_field, self.session_line, self.persona_heading, self.persona_grid, self.persona_note,
            self.message, buttons,
        ]).with_padding(all=24).with_background(color=Color.from_iterable(palette.BAR)).with_border(
            width=2, color=Color.from_iterable(palette.ACCENT))
        anchor = UIAnchorLayout()
        anchor.add(self.card, anchor_x="center", anchor_y="center")
        self.ui.add(anchor)
        self.join_button.set_handler("on_click", lambda event: self.join())
        self.quit_button.set_handler("on_click", lambda event: self.quit())
        self.ui.enable()
        self._show_personas([])
        self.focus(next((f for f in self.fields if not str(f.text).strip()), self.name_field))

    # -- what was typed ----------------------------------------------------------------

    @property
    def server(self) -> str:
        return str(self.server_field.text).strip()

    @property
    def code(self) -> str:
        return str(self.code_field.text).strip().upper()

    @property
    def name(self) -> str:
        return " ".join(str(self.name_field.text).split())

    @property
    def error(self) -> str:
        return str(self.message.text)

    def focus(self, field: UIInputText) -> None:
        for other in self.fields:
            untyped: Any = other  # arcade leaves activate and deactivate untyped
            if other is field:
                untyped.activate()
            else:
                untyped.deactivate()

    def next_field(self, step: int = 1) -> None:
        at = next((i for i, f in enumerate(self.fields) if f.active), -1)
        self.focus(self.fields[(at + step) % len(self.fields)])

    def say(self, text: str, color: palette.RGBA = palette.WORSE_TEXT) -> None:
        self.message.text = text
        self.message.update_font(font_color=Color.from_iterable(color))

    # -- looking the code up -------------------------------------------------------------

    def on_update(self, delta_time: float) -> None:
        now = time.monotonic()
        while True:
            try:
                key, found = self._answers.get_nowait()
            except queue.Empty:
                break
            self._found(key, found)
        key = (self.server, self.code)
        if key != self._typed_key:
            self._typed_key, self._typed_at = key, now
        if (self.stage is Stage.EDITING and key != self.found_key and key != self._asked and len(self.code) >= MIN_CODE
                and self.server and now - self._typed_at >= LOOKUP_DELAY_S):
            self.ask(key)
        if self.stage is Stage.JOINING:
            self._watch_link()

    def ask(self, key: tuple[str, str]) -> None:
        """Look the code up on a thread of its own; the answer is taken in on_update."""
        self._asked = key
        self.session_line.text = f"Looking up the code {key[1]}\u2026"

        def work() -> None:
            self._answers.put((key, look_up(*key)))

        threading.Thread(target=work, name="agora-lookup", daemon=True).start()

    def _found(self, key: tuple[str, str], found: Lookup) -> None:
        if key == self._asked:
            self._asked = None
        if key != (self.server, self.code):
            return  # typed on meanwhile: an answer about an older code
        self.found, self.found_key, self._stale = found, key, False
        info = found.info
        self._show_personas(info.personas if info is not None else [])
        if info is None:
            self.session_line.text = ""
        else:
            self.session_line.text = _describe(info)
        if found.code and found.code != "no_lobby":
            self.say(found.message)
            self._join_when_found = False
            return
        self.say("")
        if self._join_when_found:
            self._join_when_found = False
            self._connect()

    # -- personas --------------------------------------------------------------------------

    def _show_personas(self, personas: list[p.PersonaInfo]) -> None:
        if self.persona is not None and self.persona.name not in {q.name for q in personas}:
            self.persona = None
        grid: Any = self.persona_grid  # arcade leaves clear() untyped
        grid.clear()
        self.persona_buttons = {}
        rows = max((len(personas) + 1) // 2, 1)
        self.persona_grid.row_count = rows
        width = (INNER_PX - 8) // 2
        for i, persona in enumerate(personas):
            button = UIFlatButton(text=persona.title, width=width, height=PERSONA_PX, style=PERSONA_STYLE)
            button.set_handler("on_click", lambda event, chosen=persona: self.choose(chosen))
            self.persona_grid.add(button, column=i % 2, row=i // 2)
            self.persona_buttons[persona.name] = button
        self.persona_heading.text = "Your point of view" if personas else ""
        self._mark_persona()

    def choose(self, persona: p.PersonaInfo | None) -> None:
        """A click on a persona picks it; a second click on it goes back to none."""
        same = persona is not None and self.persona is not None and persona.name == self.persona.name
        self.persona = None if same else persona
        self._mark_persona()

    def _mark_persona(self) -> None:
        for name, button in self.persona_buttons.items():
            untyped: Any = button  # arcade leaves trigger_render() untyped
            untyped.style = PERSONA_PICKED if self.persona is not None and name == self.persona.name else PERSONA_STYLE
            untyped.trigger_render()
        if not self.persona_buttons:
            self.persona_note.text = ""
        elif self.persona is None:
            self.persona_note.text = NO_PERSONA
        else:
            self.persona_note.text = f"{self.persona.title}: {self.persona.description}"

    # -- joining ------------------------------------------------------------------------------

    def join(self) -> None:
        """Join (Enter): check what was typed, look the code up if not done yet, then connect."""
        if self.stage is not Stage.EDITING:
            return
        problem = self._check()
        if problem:
            self.say(problem)
            return
        key = (self.server, self.code)
        found = self.found if self.found_key == key and self._asked is None and not self._stale else None
        if found is not None and found.code in ("", "no_lobby"):
            self._connect()
            return
        # Not asked yet, or refused last time: ask (again: the server may be up now, a seat free).
        self._join_when_found = True
        self.say("Looking up the code\u2026", palette.TEXT_DIM)
        if self._asked != key:
            self.ask(key)

    def _check(self) -> str:
        if not self.server:
            return "Type the server address, for example ws://192.168.1.20:8000 (the facilitator shows it)."
        if not self.code:
            return "Type the join code from the facilitator's screen (six letters and digits)."
        if not self.name:
            return "Choose a pseudonym: the name the others will see. It need not be your real name."
        return ""

    def _connect(self) -> None:
        try:
            link = SessionLink(self.server, code=self.code, name=self.name)
        except ValueError as exc:
            self.say(str(exc))
            return
        self.link = link
        self.stage = Stage.JOINING
        self.say(f"Joining as {self.name}\u2026", palette.TEXT_DIM)
        link.start()

    def _watch_link(self) -> None:
        link = self.link
        assert link is not None
        if link.state is LinkState.JOINED:
            self.stage = Stage.JOINED
            info = self.found.info if self.found is not None and self.found_key == (self.server, self.code) else None
            self.joined = Joined(link, self.name, self.code, self.persona, info)
            self.say("Joined. Opening the map\u2026", palette.ACCENT)
            if self.on_joined is not None:
                self.on_joined(self.joined)
        elif link.state is LinkState.STOPPED:
            self.stage = Stage.EDITING
            self.link = None
            self._stale = True
            link.close()
            if link.refusal is not None:
                self.say(link.refusal.message)
            else:
                reason = link.lost.reason if link.lost is not None else "the connection ended"
                self.say(f"Cannot reach the server: {reason}")

    def quit(self) -> None:
        if self.link is not None and self.joined is None:
            self.link.close()
        self.close()

    def close(self) -> None:
        # arcade 3.3 leaves a closed window's frames scheduled on pyglet's clock: without this
        # the lobby's on_update would go on running under the map window.
        pyglet.clock.unschedule(self._dispatch_frame)
        super().close()

    # -- input and drawing ---------------------------------------------------------------

    def on_key_press(self, symbol: int, modifiers: int) -> None:
        if symbol in (arcade.key.ENTER, arcade.key.NUM_ENTER):
            self.join()
        elif symbol == arcade.key.TAB:
            self.next_field(-1 if modifiers & arcade.key.MOD_SHIFT else 1)
        elif symbol == arcade.key.ESCAPE:
            self.quit()

    def on_draw(self) -> None:
        self.clear()
        self.ui.draw()


def _describe(info: p.JoinInfo) -> str:
    where = f"{info.title}  \u00b7  {info.rules_title}" + (f"  \u00b7  now: {info.phase}" if info.phase else "")
    if info.role == "observer":
        return f"{where}\nThis is the observers' code: you can look at everything but change nothing."
    return f"{where}\n{info.players} of {info.max_players} player seats taken."
