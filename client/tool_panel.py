"""The side panel's "Draft" tab: the palette of the rule set's interventions (title, unit
cost, key), the tool in hand with its parameters' - and + buttons, and the draft's
interventions with their cost and the total against what the budget has left.

    panel = ToolPanel(box, draft, placing, game, city=lambda: window.city)
    window.tabs.add("tools", "Draft", panel)
    panel.click(x, y)          # a palette row takes that tool; - and + move its parameter

Costs read "about €36k" (the catalogue's unit cost times what the client can measure) until
a preview of exactly these interventions comes back; then they are the server's figures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import arcade

from agora.client import palette
from agora.client.city import City
from agora.client.drafts import Draft
from agora.client.drawing import Column, TextPool, fit_text, section, set_color
from agora.client.game_state import GameState, eur
from agora.client.tool_placing import Placing
from agora.client.tools import Tool, ToolBox, placed_text, value_text
from agora.client.viewport import Area
from agora.server import protocol as p

PAD = 14
ROW_PX = 21
BUTTON_PX = 22
FOOTER_PX = 40


@dataclass(frozen=True)
class Button:
    """Something clickable drawn in the last frame: a palette row or a parameter's - or +."""

    kind: str  # "tool" or "step"
    box: tuple[float, float, float, float]  # left, bottom, width, height
    tool: int = 0  # the tool's number (1-based), for "tool"
    name: str = ""  # the parameter, for "step"
    step: int = 0  # -1 or +1, for "step"


class ToolPanel:
    def __init__(self, box: ToolBox, draft: Draft, placing: Placing, game: GameState,
                 city: Callable[[], City | None]) -> None:
        self.box = box
        self.draft = draft
        self.placing = placing
        self.game = game
        self.city = city
        self.header = TextPool(9.5, bold=True)
        self.body = TextPool(10.5)
        self.value = TextPool(10.5, bold=True)
        self.small = TextPool(9.5)
        self.para = TextPool(10, multiline=True)
        self._pools = (self.header, self.body, self.value, self.small, self.para)
        self.buttons: list[Button] = []
        # What was drawn, for tests and for people reading the code.
        self.rows: list[tuple[str, str]] = []  # the draft's lines: (what, cost)
        self.total = ""

    def texts(self) -> list[str]:
        return [t.text for pool in self._pools for t in pool.used]

    # -- drawing -----------------------------------------------------------------------

    def draw(self, area: Area, now: float) -> None:
        for pool in self._pools:
            pool.reset()
        self.buttons, self.rows = [], []
        col = Column(area.left + PAD, area.bottom + area.height - PAD, area.width - 2 * PAD,
                     area.bottom + PAD + FOOTER_PX)
        if not self.box.tools:
            col.wrapped(self.para.take(), "This session offers no interventions to draft.", palette.TEXT_DIM)
            return
        self._section(col, "Tools", "key \u00b7 cost")
        for number, entry in enumerate(self.box.tools, 1):
            self._tool_row(col, number, entry)
        col.space(6)
        tool = self.box.current
        if tool is not None and tool.info.parameters:
            self._section(col, tool.title)
            for spec in tool.info.parameters:
                self._parameter_row(col, tool, spec)
            col.space(4)
        self._draft(col)
        keys = "P  preview the draft  \u00b7  Enter  propose  \u00b7  Ctrl+Z  undo  \u00b7  Ctrl+Y  redo  \u00b7  0  plain roads"
        top = area.bottom + PAD + FOOTER_PX - 8
        arcade.draw_line(area.left + PAD, top + 6, area.left + area.width - PAD, top + 6, palette.RULE, 1)
        Column(area.left + PAD, top, area.width - 2 * PAD, area.bottom).wrapped(
            self.para.take(), keys, palette.ACCENT, gap=0, max_height=FOOTER_PX - 6)

    def _section(self, col: Column, name: str, right: str = "") -> None:
        section(col, self.header, self.small, name, right, space=6, note_width=col.width / 2)

    def _tool_row(self, col: Column, number: int, tool: Tool) -> None:
        if col.y - ROW_PX < col.bottom:
            return
        on = self.box.current is tool
        bottom = col.y - ROW_PX + 4
        if on:
            arcade.draw_lbwh_rectangle_filled(col.left - 6, bottom, col.width + 12, ROW_PX, palette.ROW_SELECTED)
            arcade.draw_lbwh_rectangle_filled(col.left - 6, bottom, 3, ROW_PX, palette.ACCENT)
        cost = self.small.take()
        fit_text(cost, tool.unit_cost(), col.width * 0.45)
        set_color(cost, palette.TEXT_DIM)
        cost.position = (col.left + col.width - cost.content_width, col.y - 2)
        cost.draw()
        label = self.body.take()
        key = f"{number}  " if number <= 9 else "    "
        fit_text(label, key + tool.title, col.width - cost.content_width - 10)
        set_color(label, palette.TEXT if on else palette.TEXT_DIM)
        label.position = (col.left, col.y)
        label.draw()
        self.buttons.append(Button("tool", (col.left - 6, bottom, col.width + 12, ROW_PX), tool=number))
        col.space(ROW_PX)

    def _parameter_row(self, col: Column, tool: Tool, spec: p.ParameterInfo) -> None:
        right = col.left + col.width
        plus = (right - BUTTON_PX, col.y - BUTTON_PX + 4, BUTTON_PX, BUTTON_PX)
        value = self.value.take()
        value.text = value_text(spec, tool.values[spec.name])
        set_color(value, palette.TEXT)
        value_left = plus[0] - 8 - max(value.content_width, 60)
        minus = (value_left - 8 - BUTTON_PX, plus[1], BUTTON_PX, BUTTON_PX)
        value.position = (value_left + (max(value.content_width, 60) - value.content_width) / 2, col.y - 2)
        value.draw()
        for box, step in ((minus, -1), (plus, 1)):
            arcade.draw_lbwh_rectangle_filled(*box, palette.ROW_SELECTED)
            arcade.draw_lbwh_rectangle_outline(*box, palette.ACCENT, 1)
            cx, cy, arm = box[0] + BUTTON_PX / 2, box[1] + BUTTON_PX / 2, BUTTON_PX / 2 - 6
            arcade.draw_line(cx - arm, cy, cx + arm, cy, palette.TEXT, 2)
            if step > 0:
                arcade.draw_line(cx, cy - arm, cx, cy + arm, palette.TEXT, 2)
            self.buttons.append(Button("step", box, name=spec.name, step=step))
        label = self.body.take()
        bounds = "" if spec.choices else f" ({spec.min:g}\u2013{spec.max:g})"
        fit_text(label, spec.title + bounds, minus[0] - col.left - 8)
        set_color(label, palette.TEXT)
        label.position = (col.left, col.y - 2)
        label.draw()
        col.space(BUTTON_PX + 4)

    def _draft(self, col: Column) -> None:
        items = self.draft.items
        priced = self.draft.priced()
        self._section(col, f"Your draft ({len(items)})", "server's price" if priced is not None else "")
        if not items:
            col.wrapped(self.para.take(), "Nothing placed yet: pick a tool (1\u20139 or click it), then use it on the map.",
                        palette.TEXT_DIM, gap=6, max_height=40)
        city = self.city()
        lines: list[tuple[str, str, float | None]] = []
        for i, command in enumerate(items):
            tool = self.box.for_command(command)
            what = f"{tool.title if tool else p.tag_of(command).replace('_', ' ')}: {placed_text(command)}"
            if priced is not None:
                lines.append((what, eur(priced[i]), float(priced[i])))
                continue
            line = self.placing.line_links(command.line) if isinstance(command, p.SetHeadway) else None
            amount = tool.estimate_eur(command, city, line) if tool else None
            lines.append((what, f"about {eur(amount)}" if amount is not None else "priced on preview", amount))
        self.rows = [(what, cost) for what, cost, _ in lines]
        for i, (what, cost, _) in enumerate(lines):
            if col.y - 2 * ROW_PX - 24 < col.bottom and i < len(lines) - 1:
                col.line(self.small.take(), f"\u2026 and {len(lines) - i} more", palette.TEXT_DIM, gap=4)
                break
            self._cost_row(col, what, cost)
        if items:
            self._total(col, sum(a or 0.0 for _, _, a in lines), all(a is not None for _, _, a in lines),
                        priced is not None)

    def _cost_row(self, col: Column, what: str, cost: str) -> None:
        value = self.value.take()
        value.text = cost
        set_color(value, palette.TEXT)
        value.position = (col.left + col.width - value.content_width, col.y)
        value.draw()
        col.line(self.body.take(), what, palette.TEXT, gap=5, width=col.width - value.content_width - 10)

    def _total(self, col: Column, total: float, known: bool, priced: bool) -> None:
        budget = self.game.budget()
        left = None if budget is None else budget[0] - budget[1]
        amount = eur(total) if priced else f"about {eur(total)}" + ("" if known else " +")
        self.total = f"Total {amount}" + ("" if left is None else f" of {eur(left)} left in the budget")
        over = left is not None and total > left
        col.space(2)
        col.wrapped(self.para.take(), self.total + (" \u2014 over budget" if over else ""),
                    palette.WARNING_TEXT if over else palette.ACCENT, gap=4, max_height=40)

    # -- clicks ------------------------------------------------------------------------

    def click(self, x: float, y: float) -> bool:
        for button in self.buttons:
            left, bottom, width, height = button.box
            if left <= x < left + width and bottom <= y < bottom + height:
                if button.kind == "tool":
                    self.placing.choose(0 if self.box.active == button.tool - 1 else button.tool)
                else:
                    self.placing.adjust(button.name, button.step)
                return True
        return False


def instruction(box: ToolBox) -> str | None:
    """The help bar's line while a tool is in hand: which, its cost, what to do."""
    tool = box.current
    if tool is None or box.active is None:
        return None
    return f"{box.active + 1}  {tool.title}, {tool.unit_cost()}  \u00b7  {tool.instruction()}  \u00b7  0  plain roads"
