"""The side panel's tabs under X: headers appear once there are two tabs, a click on a
header or Tab brings a panel to the front, and clicks below go to the panel showing."""

from __future__ import annotations

import arcade
import towns
from frames import click, press, pump

from agora.client.viewport import Area


class Panel:
    def __init__(self) -> None:
        self.drawn: list[Area] = []
        self.clicks: list[tuple[float, float]] = []

    def draw(self, area: Area, now: float) -> None:
        self.drawn.append(area)

    def click(self, x: float, y: float) -> bool:
        self.clicks.append((x, y))
        return True


def test_tabs_switch_by_header_click_and_by_tab_key_and_hide_when_not_shown(play_window, fake_link) -> None:  # type: ignore[no-untyped-def]
    world = towns.small_world()
    fake_link.messages.put(towns.welcome(world, towns.flows_at(world, 0.3), game=towns.game()))
    pump(play_window)
    shipped = ["board", "chat", "trends"]
    assert [t.key for t in play_window.tabs.visible()] == shipped
    assert play_window.tabs.header_at("board") is not None  # more than one tab: a header strip

    extra, secret = Panel(), Panel()
    allowed = {"secret": False}
    play_window.tabs.add("extra", "Extra", extra)
    play_window.tabs.add("secret", "Secret", secret, shown=lambda: allowed["secret"])
    pump(play_window)
    assert [t.key for t in play_window.tabs.visible()] == [*shipped, "extra"]
    x, y = play_window.tabs.header_at("extra")
    click(play_window, x, y)
    pump(play_window)
    assert play_window.tabs.active == "extra" and extra.drawn
    # The panel draws below the header strip, and takes the clicks there.
    area = extra.drawn[-1]
    click(play_window, area.left + 20, area.bottom + area.height / 2)
    assert extra.clicks

    press(play_window, arcade.key.TAB)
    assert play_window.tabs.active == "board"
    allowed["secret"] = True
    press(play_window, arcade.key.TAB, arcade.key.MOD_SHIFT)
    assert play_window.tabs.active == "secret"
    allowed["secret"] = False
    assert play_window.tabs.current().key == "board"  # a tab that stops showing falls back
