"""The side panel while a preview is asked for or shown: what the draft would change, better
and worse, before and after with units; whom it helps and whom it hurts; the keys.

    panel = PreviewPanel(tool_box)            # the palette names the tools' interventions
    panel.draw(draft, area, can_propose=True, budget_left=2_900_000)

The cost line is the server's (Preview.cost_eur), priced as a proposal of the draft would be.
"""

from __future__ import annotations

import arcade

from agora.client import indicators, palette
from agora.client.drawing import Column, TextPool, fit_text, section, set_color
from agora.client.drafts import Draft
from agora.client.game_state import eur
from agora.client.tools import ToolBox, describe
from agora.client.indicators import Change, Verdict
from agora.client.viewport import Area
from agora.server import protocol as p

PAD = 14
GAP = 12
PERSONA_ROW_PX = 22
FOOTER_PX = 44

VERDICT_COLORS = {
    Verdict.BETTER: palette.BETTER_TEXT,
    Verdict.WORSE: palette.WORSE_TEXT,
    Verdict.CHANGED: palette.TEXT,
    Verdict.SAME: palette.TEXT_DIM,
}
GROUPS = ((Verdict.WORSE, "Worse"), (Verdict.BETTER, "Better"), (Verdict.CHANGED, "Changed"))


def hour_text(hour: float) -> str:
    minutes = int(round(hour * 60)) % (24 * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def cost_text(preview: p.Preview, budget_left: int | None) -> str | None:
    if not preview.costs_eur:
        return None
    text = f"Cost {eur(preview.cost_eur)}"
    if budget_left is not None:
        text += f" of {eur(budget_left)} left in the budget" + (" — over budget" if preview.cost_eur > budget_left else "")
    return text


class PreviewPanel:
    def __init__(self, box: ToolBox | None = None) -> None:
        self.box = box
        self.cost = ""  # the cost line as drawn, "" if none
        self.header = TextPool(9.5, bold=True)
        self.big = TextPool(15, bold=True)
        self.body = TextPool(10.5)
        self.value = TextPool(10.5, bold=True)
        self.small = TextPool(9.5)
        self.para = TextPool(10.5, multiline=True)
        self._pools = (self.header, self.big, self.body, self.value, self.small, self.para)
        # What was drawn, for tests and for people reading the code: (label, values, verdict).
        self.rows: list[tuple[str, str, Verdict]] = []
        self.bars: list[tuple[str, float, tuple[float, float, float, float]]] = []  # persona, score, bar (l, b, w, h)
        self.persona: str | None = None  # the player's point of view (chosen in the lobby): first, highlighted

    def texts(self) -> list[str]:
        return [t.text for pool in self._pools for t in pool.used]

    def draw(self, draft: Draft, area: Area, can_propose: bool, budget_left: int | None = None,
             title: str = "Preview of your draft", subtitle: str = "", keys: str = "") -> None:
        """`title`, `subtitle` and `keys` (the footer) name what is previewed when it is not
        the player's draft (a proposal on the board, a new version of one)."""
        for pool in self._pools:
            pool.reset()
        self.rows, self.bars = [], []
        col = Column(area.left + PAD, area.bottom + area.height - PAD, area.width - 2 * PAD,
                     area.bottom + PAD + FOOTER_PX)
        preview = draft.preview
        col.line(self.big.take(), title, gap=4)
        if subtitle:
            col.wrapped(self.para.take(), subtitle, gap=4, max_height=44)
        asked = draft.previewed if preview is not None else draft.asked
        col.wrapped(self.para.take(), describe(asked, self.box), palette.ACCENT, gap=6, max_height=44)
        self.cost = "" if preview is None else cost_text(preview, budget_left) or ""
        if self.cost:
            over = budget_left is not None and preview is not None and preview.cost_eur > budget_left
            col.line(self.value.take(), self.cost, palette.WARNING_TEXT if over else palette.TEXT, gap=8)
        if preview is None:
            col.wrapped(self.para.take(), f"Simulating the town with and without it (request {draft.pending})\u2026 "
                        "This takes a few seconds.", palette.TEXT_DIM, gap=GAP)
            self._footer(area, "Esc  stop waiting")
            return
        note = (f"The town at {hour_text(preview.hour)}, with the draft against without it, both settled. "
                "Traffic, emissions and exposure are for that hour.")
        col.wrapped(self.para.take(), note, palette.TEXT_DIM, gap=GAP, max_height=60)
        moved, same = indicators.changes(preview)
        scores = indicators.personas(preview)
        scores.sort(key=lambda score: score.name != self.persona)  # stable: the rest keep their order
        # Room for the personas below the changes, so that both always show.
        reserve = (PERSONA_ROW_PX * len(scores) + 40) if scores else 0
        self._changes(col, moved, same, reserve)
        if scores:
            self._personas(col, scores)
        keys = keys or ("P  preview the changed draft" if draft.stale() else "Enter  propose it" if can_propose
                        else "Proposals open in the propose phase") + \
            "  \u00b7  L  map layer  \u00b7  Esc  leave the preview"
        self._footer(area, keys)

    # -- pieces ------------------------------------------------------------------------

    def _section(self, col: Column, name: str, right: str = "", color: palette.RGBA = palette.TEXT_DIM) -> None:
        section(col, self.header, self.small, name, right, color)

    def _changes(self, col: Column, moved: list[Change], same: list[Change], reserve: float) -> None:
        if not moved:
            self._section(col, "No indicator moves")
            col.wrapped(self.para.take(), "The draft leaves every headline number as it reads now.", palette.TEXT_DIM,
                        gap=GAP)
            return
        line_px = 19.0
        for verdict, title in GROUPS:
            group = [c for c in moved if c.verdict is verdict]
            if not group:
                continue
            self._section(col, f"{title} ({len(group)})", "before \u2192 after", VERDICT_COLORS[verdict])
            room = int((col.y - col.bottom - reserve - 30) // line_px)
            shown = group if len(group) <= room else group[: max(room - 1, 0)]
            for change in shown:
                self._change_row(col, change)
            if len(shown) < len(group):
                col.line(self.small.take(), f"\u2026 and {len(group) - len(shown)} more", palette.TEXT_DIM, gap=4)
            col.space(GAP - 4)
        if same and col.y - col.bottom - reserve > 40:
            names = ", ".join(c.label for c in same)
            col.wrapped(self.para.take(), f"No change: {names}.", palette.TEXT_DIM, gap=GAP,
                        max_height=min(40, col.y - col.bottom - reserve - 4))

    def _change_row(self, col: Column, change: Change) -> None:
        color = VERDICT_COLORS[change.verdict]
        values = self.value.take()
        values.text = f"{change.before} \u2192 {change.after}"
        set_color(values, color)
        values.position = (col.left + col.width - values.content_width, col.y)
        values.draw()
        label = self.body.take()
        fit_text(label, change.label, col.width - values.content_width - 12)
        set_color(label, palette.TEXT)
        label.position = (col.left, col.y)
        label.draw()
        col.space(max(label.content_height, values.content_height) + 3)
        self.rows.append((change.label, values.text, change.verdict))

    def _personas(self, col: Column, scores: list[indicators.PersonaScore]) -> None:
        self._section(col, "Whom it helps, whom it hurts")
        name_w = 92.0
        for persona in scores:
            if col.y - col.bottom < PERSONA_ROW_PX - 4:
                break
            name = self.body.take()
            fit_text(name, persona.title, name_w - 6)
            set_color(name, palette.ACCENT if persona.name == self.persona else palette.TEXT)
            if persona.name == self.persona:
                arcade.draw_lbwh_rectangle_filled(col.left - 4, col.y - PERSONA_ROW_PX + 3, col.width + 8,
                                                  PERSONA_ROW_PX, palette.ROW_SELECTED)
            name.position = (col.left, col.y)
            name.draw()
            words = self.small.take()
            words.text = persona.words if abs(persona.score) < 0.05 else f"{persona.words} ({persona.score:+.2f})"
            color = VERDICT_COLORS[Verdict.BETTER if persona.score >= 0.05 else
                                   Verdict.WORSE if persona.score <= -0.05 else Verdict.SAME]
            set_color(words, color)
            words.position = (col.left + col.width - words.content_width, col.y - 1)
            words.draw()
            # The bar fills what the name and the words leave, centred on "no effect";
            # its ends are "a lot" (a score of 1) either way.
            bar_left = col.left + name_w
            bar_w = max(col.width - name_w - 160.0, 40.0)
            half = bar_w / 2
            mid_y = col.y - 8
            arcade.draw_lbwh_rectangle_filled(bar_left, mid_y - 5, bar_w, 10, palette.RULE)
            length = half * min(abs(persona.score), 1.0)
            if persona.score >= 0:
                box = (bar_left + half, mid_y - 5, length, 10.0)
                fill = palette.BETTER_TEXT
            else:
                box = (bar_left + half - length, mid_y - 5, length, 10.0)
                fill = palette.WORSE_TEXT
            if length >= 1:
                arcade.draw_lbwh_rectangle_filled(*box, fill)
            arcade.draw_line(bar_left + half, mid_y - 8, bar_left + half, mid_y + 8, palette.TEXT_DIM, 1)
            self.bars.append((persona.name, persona.score, box))
            col.space(PERSONA_ROW_PX)

    def _footer(self, area: Area, keys: str) -> None:
        top = area.bottom + PAD + FOOTER_PX - 8
        arcade.draw_line(area.left + PAD, top + 6, area.left + area.width - PAD, top + 6, palette.RULE, 1)
        col = Column(area.left + PAD, top, area.width - 2 * PAD, area.bottom)
        col.wrapped(self.para.take(), keys, palette.ACCENT, gap=0, max_height=FOOTER_PX - 6)
