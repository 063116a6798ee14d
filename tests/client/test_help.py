"""The help overlay under X: H, F1 and ? open it, Esc, the same key or a click close it; it
lists every key and mouse action of keys.TABLE in full, inside its panel, at 1280x800 and
1920x1080; the table's keys do not collide, and the help bar says where the help is."""

from __future__ import annotations

import collections

import arcade
import pytest
import towns
from frames import click, grab, pixel, press, pump, save, send_events

from agora.client import captions, keys, palette
from agora.client.help_overlay import HelpOverlay, Placed

# The keys the team agreed on (the brief's "Keys" section), as the help must show them.
AGREED = ["Esc", "Q", "Enter", "C", "P", "F  Home", "L", "\u2191  \u2193", "Space", "V", "Tab", "Shift+Tab", "Wheel",
          "Drag", "Click a road", "Shift+click", "1 - 9", "0", "Ctrl+Z", "Ctrl+Y", "O", "K", "R", "W", "A", "T",
          "H  F1  ?", "Ctrl+N", "Ctrl+P", "Ctrl+\u2191", "Ctrl+\u2193", "\u2190  \u2192", "Shift+\u2190  \u2192",
          "Home  End", "[  ]", "B"]


def close_to(rgb: tuple[int, int, int], want: tuple[int, ...], tol: int = 12) -> bool:
    return all(abs(a - b) <= tol for a, b in zip(rgb, want[:3]))


@pytest.fixture
def joined(play_window, fake_link):  # type: ignore[no-untyped-def]
    world = towns.small_world()
    fake_link.messages.put(towns.welcome(world, towns.flows_at(world, 0.3), game=towns.game()))
    pump(play_window)
    return play_window


def overlaps(a: Placed, b: Placed) -> bool:
    return a.left < b.right and b.left < a.right and a.bottom < b.top and b.bottom < a.top


def check_layout(help: HelpOverlay, width: int, height: int) -> None:
    """Every entry drawn whole, inside the panel, inside the window, on no other."""
    shown = collections.Counter(item.text for item in help.placed)
    for binding in keys.TABLE:
        assert shown[binding.label] >= 1, f"{binding.label!r} is not in the help"
        assert shown[binding.does] >= 1, f"{binding.does!r} is cut short or missing"
    for group in keys.Group:
        assert shown[group.value.upper()] == 1
    panel = help.panel
    assert panel is not None and 0 <= panel.left and panel.left + panel.width <= width
    assert 0 <= panel.bottom and panel.bottom + panel.height <= height
    for item in help.placed:
        assert panel.left <= item.left and item.right <= panel.left + panel.width, item
        assert panel.bottom <= item.bottom and item.top <= panel.bottom + panel.height, item
    for i, a in enumerate(help.placed):
        for b in help.placed[i + 1:]:
            assert not overlaps(a, b), (a, b)


def test_h_opens_the_help_and_esc_closes_it_at_1280x800(joined) -> None:  # type: ignore[no-untyped-def]
    window = joined
    before = grab(window)
    press(window, arcade.key.H)
    assert window.help.open
    image = grab(window)
    save(image, "client_help_1280x800.png")
    check_layout(window.help, 1280, 800)
    panel = window.help.panel
    # The panel's own colour in its corner; the window around it dimmed.
    assert close_to(pixel(image, panel.left + 6, panel.bottom + 6), palette.BAR)
    assert close_to(pixel(image, panel.left, panel.bottom + panel.height / 2), palette.ACCENT)  # its border
    corner_before, corner_after = pixel(before, 5, 100), pixel(image, 5, 100)
    assert sum(corner_after) < 0.6 * sum(corner_before)
    # Keys do nothing else meanwhile: C does not close a road, L keeps the layer.
    layer = window.overlay
    press(window, arcade.key.L)
    assert window.overlay == layer and window.help.open
    press(window, arcade.key.ESCAPE)
    assert not window.help.open and not window.closed  # Esc closed the help, not the window
    after = grab(window)
    assert pixel(after, 5, 100) == corner_before


@pytest.mark.parametrize("opener, closer", [
    ((arcade.key.F1, 0), (arcade.key.F1, 0)),
    ((arcade.key.SLASH, arcade.key.MOD_SHIFT), (arcade.key.H, 0)),
    ((arcade.key.QUESTION, 0), (arcade.key.ESCAPE, 0)),
    ((arcade.key.H, 0), (arcade.key.H, arcade.key.MOD_CAPSLOCK)),
])
def test_f1_and_question_mark_open_it_too_and_the_same_key_closes_it(joined, opener, closer) -> None:  # type: ignore[no-untyped-def]
    press(joined, *opener)
    assert joined.help.open
    press(joined, *closer)
    assert not joined.help.open


def test_a_click_closes_the_help_without_picking_a_road_or_moving_the_map(joined) -> None:  # type: ignore[no-untyped-def]
    press(joined, arcade.key.H)
    pump(joined)
    centre = joined.map_viewport.center_m
    send_events(joined, ("on_mouse_press", 300, 400, arcade.MOUSE_BUTTON_LEFT, 0),
                ("on_mouse_drag", 340, 420, 40, 20, arcade.MOUSE_BUTTON_LEFT, 0),
                ("on_mouse_release", 340, 420, arcade.MOUSE_BUTTON_LEFT, 0))
    assert not joined.help.open and joined.map_viewport.center_m == centre
    press(joined, arcade.key.H)
    click(joined, 300, 400)
    assert not joined.help.open and joined.draft.links == []


def test_the_help_is_complete_and_readable_at_1920x1080(joined) -> None:  # type: ignore[no-untyped-def]
    press(joined, arcade.key.F1)
    pump(joined)
    joined.set_size(1920, 1080)  # laid out again for the new size
    pump(joined, 2)
    image = grab(joined)
    save(image, "client_help_1920x1080.png")
    check_layout(joined.help, 1920, 1080)
    # The type grows with the window, for a room reading it off a projector.
    sizes = {label.font_size for label in joined.help._keys}
    assert sizes == {12 * 1.35}


def test_the_help_opens_before_the_town_arrives(play_window) -> None:  # type: ignore[no-untyped-def]
    press(play_window, arcade.key.H)
    pump(play_window)
    check_layout(play_window.help, 1280, 800)


def test_every_agreed_key_is_in_the_table_and_no_two_actions_share_a_press() -> None:
    labels = [b.label for b in keys.TABLE]
    for label in AGREED:
        assert label in labels, label
    assert len(set(b.action for b in keys.TABLE)) == len(keys.TABLE)
    for groups in (keys.LIVE_GROUPS, (keys.Group.WINDOW, keys.Group.REPLAY)):
        chords = collections.Counter(c for b in keys.TABLE if b.group in groups for c in b.chords)
        assert [c for c, n in chords.items() if n > 1] == []
    assert keys.action_for(arcade.key.N, arcade.key.MOD_CTRL) == "next_phase"
    assert keys.action_for(arcade.key.P, 0) == "preview"
    assert keys.action_for(arcade.key.P, arcade.key.MOD_CTRL | arcade.key.MOD_NUMLOCK) == "pause_resume"
    assert keys.action_for(arcade.key.Z, arcade.key.MOD_CTRL | arcade.key.MOD_SHIFT) == "redo"
    assert keys.action_for(arcade.key.LEFT, 0) is None  # a replay key, outside replay
    assert keys.action_for(arcade.key.LEFT, arcade.key.MOD_SHIFT, (keys.Group.REPLAY,)) == "jump_event"


def test_the_help_bar_ends_with_h_help_and_shows_it_whole(joined) -> None:  # type: ignore[no-untyped-def]
    assert captions.HELP.endswith("H  help") and captions.PREVIEW_HELP.endswith("H  help")
    pump(joined)
    bar = joined.hud._help
    assert bar.text == captions.HELP and bar.x + bar.content_width < 1280 - 60  # room for the attribution
