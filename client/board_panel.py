"""The side panel's board: the phase and its timer, the budget, the proposals (with what
their previews said, once seen), the one open (board_open.py), and the count once there is one.

    panel = BoardPanel()
    panel.draw(game_state, area, now)     # each frame, after the map
    panel.proposal_at(x, y)               # (proposal id, on its ballot box) under a click
    panel.previews.take(preview)          # a proposal's preview: its row keeps the headline
"""

from __future__ import annotations

from dataclasses import dataclass

import arcade

from agora.client import palette
from agora.client.board_open import FIGURE_COLORS, STATUS_WORDS, OpenProposal, persona_text
from agora.client.board_previews import BoardPreviews, Headline
from agora.client.drawing import Column, TextPool, fit_text, section, set_color
from agora.client.game_state import GameState, clock_text, eur
from agora.client.viewport import Area
from agora.server import protocol as p

PAD = 14
ROW_PX = 60  # a title, its detail, and what its preview said or how to see it
HEADLINE_ROW_PX = 76  # the persona line too
BOX_PX = 16
SECTION_GAP = 12
# The board's rows take at most this share of the panel; the open proposal the rest.
ROWS_SHARE = 0.3

METHOD_WORDS = {"majority": "majority", "approval": "approval", "pb_greedy": "budget, greedy",
                "pb_equal_shares": "budget, equal shares"}
OPEN_WORDS = {
    "preview": "preview", "propose": "propose", "withdraw": "withdraw", "comment": "comment",
    "vote": "vote", "interventions": "edit the map", "adopt": "adoption",
}


def open_words(commands: list[str]) -> list[str]:
    """What a phase opens, in words: the game's commands by name, the catalogue's
    interventions (close_link, add_bike_lane...) counted as tools."""
    words = [OPEN_WORDS[c] for c in commands if c in OPEN_WORDS]
    tools = sum(1 for c in commands if c not in OPEN_WORDS)
    if tools:
        words.append(f"{tools} tool{'s' if tools != 1 else ''} of the Draft tab")
    return words


@dataclass(frozen=True)
class Row:
    proposal: int
    left: float
    bottom: float
    width: float
    height: float
    box: tuple[float, float, float, float] | None  # the ballot box (l, b, w, h), in the vote phase


def status_color(status: str) -> palette.RGBA:
    if status == "adopted":
        return palette.BETTER_TEXT
    if status == "draft":
        return palette.WARNING_TEXT
    if status == "submitted":
        return palette.TEXT
    return palette.TEXT_DIM


def versions_text(q: p.ProposalInfo) -> str:
    n = len(q.versions)
    return f"{n} version{'s' if n != 1 else ''}"


def row_detail(q: p.ProposalInfo, tally: p.Tally | None) -> str:
    """The line under a proposal's title; after a count, its tally comes first."""
    parts = [tally_text(tally)] if tally is not None else []
    parts += [f"by {q.author}", STATUS_WORDS.get(q.status, q.status), versions_text(q)]
    if q.comments:
        parts.append(f"{len(q.comments)} comment{'s' if len(q.comments) != 1 else ''}")
    return "  \u00b7  ".join(parts)


def tally_text(t: p.Tally) -> str:
    outcome = t.outcome.replace("_", " ")
    if t.yes or t.no or t.abstain:
        return f"{outcome}: {t.yes} yes, {t.no} no, {t.abstain} abstain"
    return f"{outcome}: {t.approvals} approval{'s' if t.approvals != 1 else ''}"


class BoardPanel:
    def __init__(self) -> None:
        self.header = TextPool(9.5, bold=True)
        self.big = TextPool(15, bold=True)
        self.timer = TextPool(20, bold=True)
        self.title = TextPool(11.5, bold=True)
        self.body = TextPool(10.5)
        self.small = TextPool(9.5)
        self.para = TextPool(10.5, multiline=True)
        self.rows: list[Row] = []
        self.previews = BoardPreviews()
        self.open = OpenProposal()
        self._pools = (self.header, self.big, self.timer, self.title, self.body, self.small, self.para, *self.open.pools)

    def proposal_at(self, x: float, y: float) -> tuple[int, bool] | None:
        """The proposal whose row lies under a point, and whether the point is on its ballot box."""
        for row in self.rows:
            if row.left <= x < row.left + row.width and row.bottom <= y < row.bottom + row.height:
                on_box = row.box is not None and row.box[0] - 6 <= x < row.box[0] + row.box[2] + 6
                return row.proposal, on_box
        return None

    def draw(self, game: GameState, area: Area, now: float) -> None:
        for pool in self._pools:
            pool.reset()
        self.rows = []
        self.open.buttons, self.open.comments, self.open.view = [], [], None
        col = Column(area.left + PAD, area.bottom + area.height - PAD, area.width - 2 * PAD, area.bottom + PAD)
        self._phase(col, game, now)
        if game.game is None:
            return
        self._budget(col, game)
        if game.result is not None:
            self._result(col, game.result)
        rows_bottom = self._board(col, game, area)
        col.y = min(col.y, rows_bottom)
        self._open_proposal(col, game)

    # -- sections ----------------------------------------------------------------------

    def _section(self, col: Column, name: str, right: str = "") -> None:
        section(col, self.header, self.small, name, right)

    def _phase(self, col: Column, game: GameState, now: float) -> None:
        clock = game.clock(now)
        label = col.line(self.big.take(), clock.title, gap=2, width=col.width - 110 if clock.place else None)
        if clock.place:
            place = self.small.take()
            place.text = clock.place
            set_color(place, palette.TEXT_DIM)
            place.position = (col.left + col.width - place.content_width, label.y - 4)
            place.draw()
        if clock.seconds_left is not None:
            left = clock.seconds_left
            colour = palette.WARNING_TEXT if left < 60 and not clock.paused else palette.TEXT
            timer = col.line(self.timer.take(), f"{clock_text(left)} left", colour, gap=4)
            notes = []
            if clock.paused:
                notes.append("PAUSED")
            if clock.speed != 1.0:
                notes.append(f"speed \u00d7{clock.speed:g}")
            if notes:
                badge = self.title.take()
                badge.text = "  \u00b7  ".join(notes)
                set_color(badge, palette.WARNING_TEXT if clock.paused else palette.ACCENT)
                badge.position = (col.left + timer.content_width + 14, timer.y - 6)
                badge.draw()
            ph = game.game.phase if game.game is not None else None
            if ph is not None and ph.minutes > 0:
                share = min(max(left / (ph.minutes * 60.0), 0.0), 1.0)
                arcade.draw_lbwh_rectangle_filled(col.left, col.y - 4, col.width, 4, palette.RULE)
                arcade.draw_lbwh_rectangle_filled(col.left, col.y - 4, col.width * share, 4,
                                                  palette.WARNING_TEXT if clock.paused else palette.ACCENT)
                col.space(10)
            opens = open_words(ph.opens) if ph is not None else []
            col.wrapped(self.para.take(), "Open now: " + (", ".join(opens) if opens else "watching only"),
                        palette.TEXT_DIM, gap=SECTION_GAP, max_height=40)
        else:
            col.space(4)
            col.wrapped(self.para.take(), clock.note, palette.TEXT_DIM, gap=SECTION_GAP, max_height=40)

    def _budget(self, col: Column, game: GameState) -> None:
        money = game.budget()
        if money is None:
            return
        total, spent = money
        self._section(col, "Budget")
        col.line(self.body.take(), f"{eur(total - spent)} left of {eur(total)}  \u00b7  {eur(spent)} spent on adopted",
                 gap=6)
        arcade.draw_lbwh_rectangle_filled(col.left, col.y - 6, col.width, 6, palette.RULE)
        if total > 0:
            arcade.draw_lbwh_rectangle_filled(col.left, col.y - 6, col.width * min(spent / total, 1.0), 6,
                                              palette.WORSE_TEXT)
        col.space(6 + SECTION_GAP)

    def _result(self, col: Column, result: p.VoteResult) -> None:
        voters = f"{result.voters} voter{'s' if result.voters != 1 else ''}"
        self._section(col, "Result of the vote", f"{METHOD_WORDS.get(result.method, result.method)}, {voters}")
        col.wrapped(self.para.take(), result.explanation, palette.BETTER_TEXT, max_height=64, gap=SECTION_GAP)

    def _board(self, col: Column, game: GameState, area: Area) -> float:
        """The proposals' rows; returns the y below the last."""
        proposals = game.proposals()
        voting = game.opens("vote") and not game.voted
        if voting:
            marked = len(game.approvals) if not game.majority else len(game.choices)
            note = f"{marked} marked  \u00b7  Space mark  \u00b7  V cast"
        elif game.voted:
            note = "your ballot is cast"
        else:
            note = ""
        self._section(col, f"Proposals ({len(proposals)})", note)
        if not proposals:
            hint = "None yet. Select roads on the map, press P to preview, then Enter to propose."
            col.wrapped(self.para.take(), hint, palette.TEXT_DIM, gap=SECTION_GAP)
            return col.y
        budget = max(min(area.height * ROWS_SHARE, col.y - col.bottom), ROW_PX)
        heights = [HEADLINE_ROW_PX if self.previews.headline(q) is not None else ROW_PX for q in proposals]
        ids = [q.id for q in proposals]
        at = ids.index(game.selected) if game.selected in ids else 0
        first = at
        while first > 0 and sum(heights[first - 1:at + 1]) <= budget / 2 + heights[at]:
            first -= 1
        last = first
        while last < len(ids) and sum(heights[first:last + 1]) <= budget:
            last += 1
        last = max(last, first + 1)
        while first > 0 and sum(heights[first - 1:last]) <= budget:
            first -= 1
        tallies = {t.proposal: t for t in game.result.tallies} if game.result is not None else {}
        top = col.y
        for q, height in zip(proposals[first:last], heights[first:last]):
            self._row(col, game, q, top, height, voting, tallies.get(q.id))
            top -= height
        if last - first < len(proposals):
            more = self.small.take()
            fit_text(more, f"{first + 1}-{last} of {len(ids)}  \u00b7  \u2191 \u2193 to move", col.width)
            set_color(more, palette.TEXT_DIM)
            more.position = (col.left, top - 2)
            more.draw()
            top -= more.content_height + 4
        return top - SECTION_GAP

    def _row(self, col: Column, game: GameState, q: p.ProposalInfo, top: float, height: float, voting: bool,
             tally: p.Tally | None) -> None:
        left, width = col.left - 6, col.width + 12
        if q.id == game.selected:
            arcade.draw_lbwh_rectangle_filled(left, top - height + 2, width, height - 2, palette.ROW_SELECTED)
            arcade.draw_lbwh_rectangle_filled(left, top - height + 2, 3, height - 2, palette.ACCENT)
        x = col.left + 2
        box = None
        if voting and q.status == "submitted":
            box = (x, top - 13 - BOX_PX, float(BOX_PX), float(BOX_PX))
            self._ballot_box(box, game.mark(q.id))
            x += BOX_PX + 10
        version = q.versions[-1] if q.versions else None
        cost = self.title.take()
        cost.text = eur(version.cost_eur) if version else ""
        set_color(cost, palette.TEXT)
        cost.position = (col.left + col.width - cost.content_width, top - 6)
        cost.draw()
        name = self.title.take()
        fit_text(name, f"#{q.id}  {version.title if version else ''}", col.left + col.width - x - cost.content_width - 12)
        set_color(name, status_color(q.status) if q.status != "submitted" else palette.TEXT)
        name.position = (x, top - 6)
        name.draw()
        detail = self.small.take()
        fit_text(detail, row_detail(q, tally), col.left + col.width - x)
        won = game.result is not None and q.id in game.result.winners
        set_color(detail, palette.BETTER_TEXT if won else
                  status_color(q.status) if q.status in ("draft", "adopted") else palette.TEXT_DIM)
        detail.position = (x, top - 25)
        detail.draw()
        self._row_headline(x, top - 42, col.left + col.width - x, self.previews.headline(q))
        self.rows.append(Row(q.id, left, top - height, width, height, box))

    def _row_headline(self, x: float, y: float, width: float, headline: Headline | None) -> None:
        """What the proposal's preview said (the server's figures), or how to see it."""
        if headline is None:
            hint = self.small.take()
            fit_text(hint, "not previewed yet  \u00b7  O to preview", width)
            set_color(hint, palette.TEXT_DIM)
            hint.position = (x, y)
            hint.draw()
            return
        right = x + width
        for figure in headline.figures:
            label = self.small.take()
            fit_text(label, figure.text, max(right - x, 1))
            set_color(label, FIGURE_COLORS[figure.verdict])
            label.position = (x, y)
            label.draw()
            x += label.content_width + 10
            if x >= right:
                break
        personas = self.small.take()
        fit_text(personas, persona_text(headline.best, headline.worst), width)
        set_color(personas, palette.TEXT_DIM)
        personas.position = (right - width, y - 16)
        personas.draw()

    def _ballot_box(self, box: tuple[float, float, float, float], mark: str) -> None:
        l, b, w, h = box
        if mark == "approve" or mark == "yes":
            arcade.draw_lbwh_rectangle_filled(l, b, w, h, palette.ACCENT)
            arcade.draw_line(l + 3, b + h / 2, l + w * 0.42, b + 3, palette.TEXT, 2.5)
            arcade.draw_line(l + w * 0.42, b + 3, l + w - 3, b + h - 3, palette.TEXT, 2.5)
        elif mark == "no":
            arcade.draw_lbwh_rectangle_filled(l, b, w, h, palette.WORSE_TEXT)
            arcade.draw_line(l + 4, b + 4, l + w - 4, b + h - 4, palette.BAR, 2.5)
            arcade.draw_line(l + 4, b + h - 4, l + w - 4, b + 4, palette.BAR, 2.5)
        elif mark == "abstain":
            arcade.draw_lbwh_rectangle_filled(l, b, w, h, palette.TEXT_DIM)
            arcade.draw_line(l + 4, b + h / 2, l + w - 4, b + h / 2, palette.BAR, 2.5)
        arcade.draw_lbwh_rectangle_outline(l, b, w, h, palette.TEXT, 1.5)

    def _open_proposal(self, col: Column, game: GameState) -> None:
        q = game.proposal(game.selected)
        if q is None or not q.versions or col.full:
            return
        self._section(col, f"Proposal #{q.id}", f"{STATUS_WORDS.get(q.status, q.status)}  \u00b7  by {q.author}")
        self.open.draw(col, game, q, self.previews.headline(q))

    def scroll(self, clicks: float) -> None:
        """The mouse wheel over the panel: the open proposal scrolls."""
        self.open.scroll(clicks)
