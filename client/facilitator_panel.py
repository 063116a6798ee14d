"""The Facilitate side tab (facilitators only): the phases with the current one marked and
a Go on the others, the timer with Pause/Resume, -5/+5 min and Next phase, the speed, the
proposal open on the board with Adopt, Reject (with a reason), Roll back and Count votes,
and the room: Announce, and each player with Mute/Unmute and Remove (confirmed).

    panel = FacilitatorPanel(game_state, link, notices, prompt)
    window.tabs.add("facilitate", "Facilitate", panel, shown=lambda: role == "facilitator")
    panel.shortcut("next_phase")      # Ctrl+N; also pause_resume, faster, slower

Every button sends one command; the server's answer shows as a notice and the panel shows
what the next Game message says, never what it expects the command to have done.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial
from typing import Callable

import arcade

from agora.client import palette
from agora.client.board_open import STATUS_WORDS
from agora.client.connection import Outgoing
from agora.client.drawing import Column, TextPool, fit_text, section, set_color
from agora.client.game_state import GameState, clock_text, eur
from agora.client.intents import NOT_SENT, Sender
from agora.client.notices import Kind, Notices
from agora.client.prompt_dialog import PromptDialog
from agora.client.viewport import Area
from agora.server import protocol as p

PAD = 14
PHASE_ROW_PX = 24
PLAYER_ROW_PX = 30
BUTTON_PX = 30
GAP = 6
SECTION_GAP = 10
SPEEDS = (0.5, 1.0, 2.0, 4.0)
EXTEND_MIN = 5.0
ROLE_WORDS = {"facilitator": "facilitator", "player": "player", "observer": "observer"}


@dataclass(frozen=True)
class Button:
    key: str  # stable, for tests: "next_phase", "speed:2", "mute:3", "go:vote", "adopt"
    label: str
    left: float
    bottom: float
    width: float
    height: float
    enabled: bool
    action: Callable[[], None]
    why_not: str = ""  # said when a disabled button is clicked

    @property
    def centre(self) -> tuple[float, float]:
        return self.left + self.width / 2, self.bottom + self.height / 2

    def holds(self, x: float, y: float) -> bool:
        return self.left <= x < self.left + self.width and self.bottom <= y < self.bottom + self.height


class FacilitatorPanel:
    def __init__(self, game: GameState, link: Sender, notices: Notices, prompt: PromptDialog) -> None:
        self.game = game
        self.link = link
        self.notices = notices
        self.prompt = prompt
        self.buttons: list[Button] = []
        self.player_page = 0  # the first player row shown
        self.header = TextPool(9.5, bold=True)
        self.timer = TextPool(20, bold=True)
        self.title = TextPool(11.5, bold=True)
        self.body = TextPool(10.5)
        self.small = TextPool(9.5)
        self.label = TextPool(10.5, bold=True)
        self._pools = (self.header, self.timer, self.title, self.body, self.small, self.label)

    # -- what the buttons and keys send -------------------------------------------------

    def _say(self, text: str, kind: Kind = Kind.INFO) -> None:
        self.notices.add(text, kind, time.monotonic())

    def send(self, command: Outgoing, what: str) -> bool:
        if self.link.send(command):
            return True
        self._say(NOT_SENT.format(what=what), Kind.ERROR)
        return False

    def shortcut(self, action: str) -> None:
        """A facilitator's key (keys.TABLE): next_phase, pause_resume, faster or slower."""
        if action == "next_phase":
            self.next_phase()
        elif action == "pause_resume":
            self.pause_or_resume()
        elif action in ("faster", "slower"):
            self.step_speed(1 if action == "faster" else -1)

    def next_phase(self) -> None:
        self.send(p.AdvancePhase(), "the phase change")

    def go_to(self, name: str) -> None:
        self.send(p.SetPhase(phase=name), "the phase change")

    def pause_or_resume(self) -> None:
        """Pause a running phase; otherwise resume (the server says if there is nothing to resume)."""
        running = self.game.game is not None and self.game.game.phase.state == "running"
        self.send(p.Pause() if running else p.Resume(), "the pause" if running else "the resume")

    def extend(self, minutes: float) -> None:
        self.send(p.ExtendPhase(minutes=minutes), "the change of time")

    def set_speed(self, speed: float) -> None:
        self.send(p.SetSpeed(speed=speed), "the speed")

    def step_speed(self, step: int) -> None:
        """Ctrl+Up / Ctrl+Down: the next speed of SPEEDS up or down from the current one."""
        now = self.game.game.phase.speed if self.game.game is not None else 1.0
        choices = [s for s in SPEEDS if (s > now if step > 0 else s < now)]
        if not choices:
            self._say(f"The speed is {now:g}x already: the {'fastest' if step > 0 else 'slowest'} this panel offers.")
            return
        self.set_speed(min(choices) if step > 0 else max(choices))

    def announce(self) -> None:
        def send(typed: str) -> bool:
            if not typed:
                self._say("Type the announcement first, or press Esc.")
                return False
            self.send(p.Announce(text=typed), "the announcement")
            return True

        self.prompt.ask("Announce to the room", "Everyone sees it in the chat, marked as yours.", "Announce", send,
                        field=True)

    def mute(self, player: p.PlayerInfo) -> None:
        command: Outgoing = p.Unmute(player=player.id) if player.muted else p.Mute(player=player.id)
        self.send(command, "the unmute" if player.muted else "the mute")

    def remove(self, player: p.PlayerInfo) -> None:
        def send(typed: str) -> bool:
            self.send(p.Remove(player=player.id), "the removal")
            return True

        self.prompt.ask(f"Remove {player.name} from the session?",
                        "Their window closes and their code no longer lets them back in. "
                        "What they proposed and voted stays.", "Remove", send)

    def adopt(self, q: p.ProposalInfo) -> None:
        self.send(p.Adopt(proposal=q.id), "the adoption")

    def reject(self, q: p.ProposalInfo) -> None:
        def send(typed: str) -> bool:
            self.send(p.Reject(proposal=q.id, reason=typed), "the rejection")
            return True

        title = q.versions[-1].title if q.versions else ""
        self.prompt.ask(f"Reject #{q.id}  {title}?", "Say why, for the room and the record (you may leave it empty).",
                        "Reject", send, field=True)

    def roll_back(self, q: p.ProposalInfo) -> None:
        self.send(p.RollBack(proposal=q.id), "the rollback")

    def count_votes(self) -> None:
        self.send(p.CountVotes(), "the count")

    # -- the side tab --------------------------------------------------------------------

    def click(self, x: float, y: float) -> bool:
        for button in self.buttons:
            if button.holds(x, y):
                if button.enabled:
                    button.action()
                elif button.why_not:
                    self._say(button.why_not)
                return True
        return False

    def button(self, key: str) -> Button | None:
        """A button as drawn in the last frame."""
        return next((b for b in self.buttons if b.key == key), None)

    def texts(self) -> list[str]:
        """Every text the panel drew in the last frame."""
        return [t.text for pool in self._pools for t in pool.used]

    def draw(self, area: Area, now: float) -> None:
        for pool in self._pools:
            pool.reset()
        self.buttons = []
        col = Column(area.left + PAD, area.bottom + area.height - PAD, area.width - 2 * PAD, area.bottom + PAD)
        game = self.game.game
        if game is None:
            col.line(self.body.take(), "This session has no phases or votes to run.", palette.TEXT_DIM)
            return
        self._phases(col, game.phase)
        self._timer(col, game.phase, now)
        self._decide(col, game.phase)
        self._room(col, game.players)

    def _section(self, col: Column, name: str, right: str = "") -> None:
        section(col, self.header, self.small, name, right)

    def _button(self, key: str, label: str, left: float, top: float, width: float, action: Callable[[], None], *,
                enabled: bool = True, on: bool = False, why_not: str = "", height: float = BUTTON_PX) -> Button:
        bottom = top - height
        fill = palette.ACCENT if on else (palette.ROW_SELECTED if enabled else palette.BACKGROUND)
        arcade.draw_lbwh_rectangle_filled(left, bottom, width, height, fill)
        arcade.draw_lbwh_rectangle_outline(left, bottom, width, height, palette.ACCENT if enabled else palette.RULE, 1)
        text = self.label.take()
        fit_text(text, label, width - 8)
        set_color(text, palette.TEXT if enabled else palette.TEXT_DIM)
        text.position = (left + (width - text.content_width) / 2, bottom + (height + text.content_height) / 2 - 1)
        text.draw()
        button = Button(key, label, left, bottom, width, height, enabled, action, why_not)
        self.buttons.append(button)
        return button

    def _row_of(self, col: Column, specs: list[tuple[str, str, Callable[[], None], bool, bool, str, float]]) -> None:
        """Buttons side by side across the column, each (key, label, action, enabled, on, why
        not, share of the width)."""
        total = sum(spec[6] for spec in specs)
        room = col.width - GAP * (len(specs) - 1)
        x = col.left
        for key, label, action, enabled, on, why_not, share in specs:
            width = room * share / total
            self._button(key, label, x, col.y, width, action, enabled=enabled, on=on, why_not=why_not)
            x += width + GAP
        col.space(BUTTON_PX + GAP)

    def _phases(self, col: Column, ph: p.PhaseInfo) -> None:
        where = {"waiting": "not started", "finished": "finished"}.get(ph.state, f"phase {ph.index + 1} of {ph.count}")
        self._section(col, "Phases", where)
        plan = ph.plan or ([p.PhaseStep(ph.name, ph.title, ph.minutes)] if ph.name else [])
        for i, step in enumerate(plan):
            top = col.y
            current = step.name == ph.name and ph.state in ("running", "paused")
            if current:
                arcade.draw_lbwh_rectangle_filled(col.left - 6, top - PHASE_ROW_PX + 2, col.width + 12,
                                                  PHASE_ROW_PX - 2, palette.ROW_SELECTED)
                arcade.draw_lbwh_rectangle_filled(col.left - 6, top - PHASE_ROW_PX + 2, 3, PHASE_ROW_PX - 2,
                                                  palette.ACCENT)
            name = (self.title if current else self.body).take()
            fit_text(name, f"{i + 1}  {step.title or step.name}", col.width - 150)
            set_color(name, palette.TEXT if current else palette.TEXT_DIM)
            name.position = (col.left + 2, top - 4)
            name.draw()
            minutes = self.small.take()
            # The running phase's own minutes count the facilitator's extension in.
            minutes.text = f"{(ph.minutes if current else step.minutes):g} min"
            set_color(minutes, palette.TEXT_DIM)
            minutes.position = (col.left + col.width - 140, top - 6)
            minutes.draw()
            if current:
                now = self.small.take()
                now.text = "now"
                set_color(now, palette.ACCENT)
                now.position = (col.left + col.width - 58 + (58 - now.content_width) / 2, top - 6)
                now.draw()
            elif plan is ph.plan:
                self._button(f"go:{step.name}", "Go", col.left + col.width - 58, top - 1, 58,
                             partial(self.go_to, step.name), height=PHASE_ROW_PX - 3)
            col.space(PHASE_ROW_PX)
        col.space(SECTION_GAP)

    def _timer(self, col: Column, ph: p.PhaseInfo, now: float) -> None:
        left = self.game.seconds_left(now)
        timed = ph.state in ("running", "paused")
        self._section(col, "Timer and speed", f"speed {ph.speed:g}x" + ("  \u00b7  PAUSED" if ph.state == "paused" else ""))
        if left is not None:
            colour = palette.WARNING_TEXT if ph.state == "paused" or left < 60 else palette.TEXT
            col.line(self.timer.take(), f"{clock_text(left)} left" + ("  (paused)" if ph.state == "paused" else ""),
                     colour, gap=8)
        else:
            col.line(self.body.take(), {"waiting": "Not started: Next phase starts the first one.",
                                        "finished": "Every phase is over."}.get(ph.state, ""), palette.TEXT_DIM, gap=8)
        paused = ph.state == "paused"
        not_timed = "No phase is running: start one first."
        self._row_of(col, [
            ("pause_resume", "Resume" if paused else "Pause", self.pause_or_resume, timed, paused, not_timed, 1.0),
            ("minus_5", f"-{EXTEND_MIN:g} min", lambda: self.extend(-EXTEND_MIN), timed, False, not_timed, 1.0),
            ("plus_5", f"+{EXTEND_MIN:g} min", lambda: self.extend(EXTEND_MIN), timed, False, not_timed, 1.0),
            ("next_phase", "Start" if ph.state == "waiting" else "Next phase", self.next_phase,
             ph.state != "finished", False, "Every phase is over.", 1.5),
        ])
        self._row_of(col, [(f"speed:{s:g}", f"{s:g}x", partial(self.set_speed, s), True, ph.speed == s, "", 1.0)
                           for s in SPEEDS])
        col.space(SECTION_GAP - GAP)

    def _decide(self, col: Column, ph: p.PhaseInfo) -> None:
        q = self.game.proposal(self.game.selected)
        self._section(col, "Decide", "\u2191\u2193 or a click on the board: another proposal")
        if q is None or not q.versions:
            col.line(self.body.take(), "No proposal yet.", palette.TEXT_DIM, gap=6)
        else:
            version = q.versions[-1]
            col.line(self.title.take(), f"#{q.id}  {version.title}", gap=2)
            col.line(self.small.take(), f"{STATUS_WORDS.get(q.status, q.status)}  \u00b7  by {q.author}  \u00b7  "
                     f"{eur(version.cost_eur)}", palette.TEXT_DIM, gap=6)
            submitted = q.status == "submitted"
            why = f"Only a submitted proposal can be adopted or rejected; #{q.id} is {STATUS_WORDS.get(q.status, q.status)}."
            specs: list[tuple[str, str, Callable[[], None], bool, bool, str, float]] = [
                ("adopt", "Adopt", lambda: self.adopt(q), submitted, False, why, 1.0),
                ("reject", "Reject...", lambda: self.reject(q), submitted, False, why, 1.0),
            ]
            if q.reversible:
                specs.append(("roll_back", "Roll back", lambda: self.roll_back(q), True, False, "", 1.0))
            self._row_of(col, specs)
        if "vote" in ph.opens:
            self._row_of(col, [("count_votes", "Count votes", self.count_votes, True, False, "", 1.0)])
        col.space(SECTION_GAP - GAP)

    def _room(self, col: Column, players: list[p.PlayerInfo]) -> None:
        here = [q for q in players if not q.removed]
        self._section(col, f"Room ({len(here)})")
        self._button("announce", "Announce...", col.left + col.width - 120, col.y + 26, 120, self.announce, height=24)
        rows = max(int((col.y - col.bottom - BUTTON_PX) // PLAYER_ROW_PX), 1)
        paged = len(players) > rows
        if paged:
            rows = max(rows - 1, 1)
        self.player_page = min(self.player_page, max(len(players) - rows, 0))
        for player in players[self.player_page:self.player_page + rows]:
            self._player(col, player)
        if paged:
            first = self.player_page
            note = self.small.take()
            note.text = f"{first + 1}-{min(first + rows, len(players))} of {len(players)}"
            set_color(note, palette.TEXT_DIM)
            note.position = (col.left, col.y - 8)
            note.draw()
            self._button("players_up", "Earlier", col.left + col.width - 170, col.y - 1, 80,
                         lambda: self._page(-rows), enabled=first > 0)
            self._button("players_down", "More", col.left + col.width - 80, col.y - 1, 80,
                         lambda: self._page(rows), enabled=first + rows < len(players))

    def _page(self, step: int) -> None:
        self.player_page = max(self.player_page + step, 0)

    def _player(self, col: Column, player: p.PlayerInfo) -> None:
        top = col.y
        words = [ROLE_WORDS.get(player.role, player.role)]
        if player.muted:
            words.append("muted")
        if player.removed:
            words.append("removed")
        if player.id == self.game.me:
            words.append("you")
        acts = player.role != "facilitator" and not player.removed
        name = self.title.take()
        fit_text(name, player.name, col.width - (170 if acts else 0) - 4)
        set_color(name, palette.TEXT_DIM if player.removed else palette.TEXT)
        name.position = (col.left, top - 1)
        name.draw()
        what = self.small.take()
        fit_text(what, "  \u00b7  ".join(words), col.width - (170 if acts else 0) - 4)
        set_color(what, palette.WARNING_TEXT if player.muted else palette.TEXT_DIM)
        what.position = (col.left, top - 17)
        what.draw()
        if acts:
            self._button(f"mute:{player.id}", "Unmute" if player.muted else "Mute", col.left + col.width - 170,
                         top - 2, 82, lambda: self.mute(player), on=player.muted, height=PLAYER_ROW_PX - 6)
            self._button(f"remove:{player.id}", "Remove", col.left + col.width - 82, top - 2, 82,
                         lambda: self.remove(player), height=PLAYER_ROW_PX - 6)
        col.space(PLAYER_ROW_PX)
