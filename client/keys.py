"""Every key and mouse action of the client, in one table: the help overlay lists it, and
the window asks it which action a key press means, so the two cannot drift apart.

    action_for(arcade.key.N, arcade.key.MOD_CTRL)    # "next_phase"
    BINDINGS["next_phase"].label                      # "Ctrl+N"
    [b.label for b in in_group(Group.MAP)]            # what the help shows under "Map"

An entry without chords is a mouse action (or keys a text field reads, as typing): the
help lists it and nothing matches it. A new key goes here first, then into the window's
`on_key_press` as `action_for(...) == "its_action"`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import arcade

CTRL = arcade.key.MOD_CTRL
SHIFT = arcade.key.MOD_SHIFT
ALT = arcade.key.MOD_ALT
# Only these modifiers tell chords apart (Num Lock and Caps Lock change nothing).
MODIFIERS = CTRL | SHIFT | ALT

Chord = tuple[int, int]  # (key symbol, modifiers held)


class Group(enum.Enum):
    WINDOW = "Window"
    MAP = "Map"
    DRAFTING = "Drafting and tools"
    PROPOSALS = "Proposals"
    CHAT = "Chat"
    FACILITATOR = "Facilitator"
    REPLAY = "Replay"


@dataclass(frozen=True)
class Binding:
    action: str  # what the window's code calls it: "next_phase"
    group: Group
    label: str  # the keys as the help shows them: "Ctrl+N"
    does: str  # in a few plain words: "next phase"
    chords: tuple[Chord, ...] = ()  # the presses that mean it; () for the mouse


def _keys(*symbols: int, mods: int = 0) -> tuple[Chord, ...]:
    return tuple((symbol, mods) for symbol in symbols)


_DIGITS = (arcade.key.KEY_1, arcade.key.KEY_2, arcade.key.KEY_3, arcade.key.KEY_4, arcade.key.KEY_5,
           arcade.key.KEY_6, arcade.key.KEY_7, arcade.key.KEY_8, arcade.key.KEY_9)

TABLE: tuple[Binding, ...] = (
    Binding("help", Group.WINDOW, "H  F1  ?", "show or hide this help",
            _keys(arcade.key.H, arcade.key.F1) + _keys(arcade.key.QUESTION)
            + _keys(arcade.key.QUESTION, arcade.key.SLASH, mods=SHIFT)),
    Binding("leave", Group.WINDOW, "Esc", "leave a preview, else quit",
            _keys(arcade.key.ESCAPE)),
    Binding("quit", Group.WINDOW, "Q", "quit", _keys(arcade.key.Q)),
    Binding("next_tab", Group.WINDOW, "Tab", "next side tab", _keys(arcade.key.TAB)),
    Binding("previous_tab", Group.WINDOW, "Shift+Tab", "previous side tab", _keys(arcade.key.TAB, mods=SHIFT)),
    Binding("tab_click", Group.WINDOW, "Click a tab", "show that side tab"),

    Binding("pick_road", Group.MAP, "Click a road", "pick it and see its traffic"),
    Binding("add_road", Group.MAP, "Shift+click", "add a road, or drop it"),
    Binding("zoom", Group.MAP, "Wheel", "zoom in and out"),
    Binding("pan", Group.MAP, "Drag", "move the map"),
    Binding("fit", Group.MAP, "F  Home", "fit the town to the window", _keys(arcade.key.F, arcade.key.HOME)),
    Binding("next_layer", Group.MAP, "L", "next map layer: noise, air...", _keys(arcade.key.L)),
    Binding("close_road", Group.MAP, "C", "close or reopen it now", _keys(arcade.key.C)),

    Binding("preview", Group.DRAFTING, "P", "preview the draft's effect", _keys(arcade.key.P)),
    Binding("propose", Group.DRAFTING, "Enter", "propose the previewed draft",
            _keys(arcade.key.ENTER, arcade.key.NUM_ENTER)),
    Binding("tool", Group.DRAFTING, "1 - 9", "pick a tool from the palette", _keys(*_DIGITS)),
    Binding("plain_pick", Group.DRAFTING, "0", "back to picking roads", _keys(arcade.key.KEY_0)),
    Binding("undo", Group.DRAFTING, "Ctrl+Z", "undo in the draft", _keys(arcade.key.Z, mods=CTRL)),
    Binding("redo", Group.DRAFTING, "Ctrl+Y", "redo (also Ctrl+Shift+Z)",
            _keys(arcade.key.Y, mods=CTRL) + _keys(arcade.key.Z, mods=CTRL | SHIFT)),
    Binding("more", Group.DRAFTING, "+  \u2212", "the tool's setting up, down",
            _keys(arcade.key.PLUS, arcade.key.EQUAL, arcade.key.NUM_ADD, arcade.key.MINUS, arcade.key.NUM_SUBTRACT)),

    Binding("select_proposal", Group.PROPOSALS, "\u2191  \u2193", "previous or next proposal",
            _keys(arcade.key.UP, arcade.key.DOWN)),
    Binding("open_row", Group.PROPOSALS, "Click a row", "open that proposal"),
    Binding("mark", Group.PROPOSALS, "Space", "mark it on your ballot", _keys(arcade.key.SPACE)),
    Binding("cast", Group.PROPOSALS, "V", "cast your ballot", _keys(arcade.key.V)),
    Binding("show_on_map", Group.PROPOSALS, "O", "show it on the map", _keys(arcade.key.O)),
    Binding("comment", Group.PROPOSALS, "K", "comment on it", _keys(arcade.key.K)),
    Binding("reply", Group.PROPOSALS, "R", "reply to a comment", _keys(arcade.key.R)),
    Binding("withdraw", Group.PROPOSALS, "W", "withdraw your own", _keys(arcade.key.W)),
    Binding("amend", Group.PROPOSALS, "A", "amend your own", _keys(arcade.key.A)),
    Binding("submit", Group.PROPOSALS, "S", "submit your draft", _keys(arcade.key.S)),
    Binding("pick_comment", Group.PROPOSALS, "Shift+\u2191  \u2193", "pick a comment to reply to",
            _keys(arcade.key.UP, arcade.key.DOWN, mods=SHIFT)),
    Binding("scroll_board", Group.PROPOSALS, "Wheel on it", "scroll the open proposal"),

    Binding("chat", Group.CHAT, "T", "type a line in the chat", _keys(arcade.key.T)),

    Binding("next_phase", Group.FACILITATOR, "Ctrl+N", "next phase", _keys(arcade.key.N, mods=CTRL)),
    Binding("pause_resume", Group.FACILITATOR, "Ctrl+P", "pause or resume", _keys(arcade.key.P, mods=CTRL)),
    Binding("faster", Group.FACILITATOR, "Ctrl+\u2191", "faster (0.5x 1x 2x 4x)", _keys(arcade.key.UP, mods=CTRL)),
    Binding("slower", Group.FACILITATOR, "Ctrl+\u2193", "slower", _keys(arcade.key.DOWN, mods=CTRL)),
    Binding("facilitate_tab", Group.FACILITATOR, "Facilitate", "the tab that runs the session"),

    Binding("step", Group.REPLAY, "\u2190  \u2192", "one step back or on",
            _keys(arcade.key.LEFT, arcade.key.RIGHT)),
    Binding("jump_event", Group.REPLAY, "Shift+\u2190  \u2192", "previous or next event",
            _keys(arcade.key.LEFT, arcade.key.RIGHT, mods=SHIFT)),
    Binding("play_pause", Group.REPLAY, "Space", "play or pause", _keys(arcade.key.SPACE)),
    Binding("ends", Group.REPLAY, "Home  End", "to the start or the end", _keys(arcade.key.HOME, arcade.key.END)),
    Binding("compare", Group.REPLAY, "[  ]", "compare two moments",
            _keys(arcade.key.BRACKETLEFT, arcade.key.BRACKETRIGHT)),
    Binding("branch", Group.REPLAY, "B", "new session from here", _keys(arcade.key.B)),
)
BINDINGS: dict[str, Binding] = {b.action: b for b in TABLE}
FACILITATOR_KEYS = frozenset(b.action for b in TABLE if b.group is Group.FACILITATOR and b.chords)
# Replay is a window state of its own: its keys mean something else on the live map.
LIVE_GROUPS = tuple(g for g in Group if g is not Group.REPLAY)


def in_group(group: Group) -> list[Binding]:
    return [b for b in TABLE if b.group is group]


def action_for(symbol: int, modifiers: int, groups: tuple[Group, ...] = LIVE_GROUPS) -> str | None:
    """The action a key press means among `groups` (live play unless told), or None."""
    chord = (symbol, modifiers & MODIFIERS)
    for binding in TABLE:
        if binding.group in groups and chord in binding.chords:
            return binding.action
    return None
