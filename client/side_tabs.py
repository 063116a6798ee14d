"""The side panel's tabs: a strip of headers at its top, one panel below.

    tabs = SideTabs()
    tabs.add("board", "Proposals", board_panel)                 # always shown
    tabs.add("facilitate", "Facilitate", panel, shown=lambda: me_facilitator())
    tabs.draw(side_area, now)             # each frame: the headers, then the active panel
    tabs.click(x, y)                      # True if a header or the active panel took the click
    tabs.cycle(+1)                        # Tab / Shift+Tab

A panel is anything with `draw(area, now)` and `click(x, y) -> bool`; it draws inside the
area it is given (below the headers) and is told about clicks only while it is showing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import arcade

from agora.client import palette
from agora.client.drawing import fit_text, set_color, text
from agora.client.viewport import Area

HEADER_PX = 30
ACCENT_PX = 3
WIDE_TAB_PX = 90


class SidePanel(Protocol):
    def draw(self, area: Area, now: float) -> None: ...

    def click(self, x: float, y: float) -> bool: ...


@dataclass
class Tab:
    key: str
    title: str
    panel: SidePanel
    shown: Callable[[], bool]
    badge: Callable[[], str]  # a short mark beside the title ("3" unread lines), or ""


class SideTabs:
    def __init__(self) -> None:
        self.tabs: list[Tab] = []
        self.active = ""
        self._labels: list[arcade.Text] = []
        self._headers: list[tuple[str, float, float, float, float]] = []  # key, l, b, w, h

    def add(self, key: str, title: str, panel: SidePanel, *, shown: Callable[[], bool] = lambda: True,
            badge: Callable[[], str] = lambda: "") -> None:
        self.tabs.append(Tab(key, title, panel, shown, badge))
        self._labels.append(text(11, bold=True, anchor_x="center", anchor_y="center"))
        if not self.active:
            self.active = key

    def visible(self) -> list[Tab]:
        return [t for t in self.tabs if t.shown()]

    def current(self) -> Tab | None:
        tabs = self.visible()
        for tab in tabs:
            if tab.key == self.active:
                return tab
        return tabs[0] if tabs else None

    def show(self, key: str) -> bool:
        """Bring a tab to the front; False if there is no such tab showing."""
        if any(t.key == key for t in self.visible()):
            self.active = key
            return True
        return False

    def cycle(self, step: int) -> None:
        tabs = self.visible()
        current = self.current()
        if not tabs or current is None:
            return
        self.active = tabs[(tabs.index(current) + step) % len(tabs)].key

    def panel_area(self, side: Area) -> Area:
        """Where the active panel draws: below the headers (none while only one tab shows)."""
        if len(self.visible()) < 2:
            return side
        return Area(side.left, side.bottom, side.width, max(side.height - HEADER_PX, 1))

    def draw(self, side: Area, now: float) -> None:
        tabs = self.visible()
        current = self.current()
        self._headers = []
        if current is None:
            return
        if len(tabs) < 2:
            current.panel.draw(side, now)
            return
        top = side.bottom + side.height
        width = side.width / len(tabs)
        for i, tab in enumerate(tabs):
            left = side.left + i * width
            on = tab is current
            arcade.draw_lbwh_rectangle_filled(left, top - HEADER_PX, width, HEADER_PX,
                                              palette.BAR if on else palette.BACKGROUND)
            if on:
                arcade.draw_lbwh_rectangle_filled(left, top - ACCENT_PX, width, ACCENT_PX, palette.ACCENT)
            label = self._labels[self.tabs.index(tab)]
            size = 11 if width >= WIDE_TAB_PX else 9.5  # five tabs at 1280 px: smaller type, whole words
            if label.font_size != size:
                label.font_size = size
            badge = tab.badge()
            fit_text(label, f"{tab.title} ({badge})" if badge else tab.title, width - 8)
            set_color(label, palette.TEXT if on else palette.TEXT_DIM)
            label.position = (left + width / 2, top - HEADER_PX / 2)
            label.draw()
            self._headers.append((tab.key, left, top - HEADER_PX, width, HEADER_PX))
        current.panel.draw(self.panel_area(side), now)

    def click(self, x: float, y: float) -> bool:
        for key, left, bottom, width, height in self._headers:
            if left <= x < left + width and bottom <= y < bottom + height:
                self.active = key
                return True
        current = self.current()
        return current is not None and current.panel.click(x, y)

    def header_at(self, key: str) -> tuple[float, float] | None:
        """The centre of a tab's header as last drawn (for tests and tooltips)."""
        for k, left, bottom, width, height in self._headers:
            if k == key:
                return left + width / 2, bottom + height / 2
        return None
