"""What the player asks of the server: each key or click that sends a command, with the
checks that only decide what to send and the words when nothing is sent.

    intents = Intents(link, notices, game, draft)
    intents.preview(city)          # P: a PreviewDraft of the tools' draft, or closing the picked roads
    intents.propose("Quiet school street")

The server validates and decides; a refusal comes back as an Error and is shown as such.
"""

from __future__ import annotations

import time
from typing import Protocol

from agora.client.city import City
from agora.client.connection import Outgoing
from agora.client.drafts import Draft
from agora.client.game_state import GameState
from agora.client.notices import Kind, Notices
from agora.client.tools import ToolBox, default_title
from agora.server import protocol as p

NOT_SENT = "Not connected to the server: {what} was not sent."


class Sender(Protocol):
    def send(self, command: Outgoing) -> bool: ...


class Intents:
    def __init__(self, link: Sender, notices: Notices, game: GameState, draft: Draft,
                 box: ToolBox | None = None) -> None:
        self.box = box  # names the tools' interventions in a default title
        self.link = link
        self.notices = notices
        self.game = game
        self.draft = draft

    def _say(self, text: str, kind: Kind = Kind.INFO) -> None:
        self.notices.add(text, kind, time.monotonic())

    def _send(self, command: Outgoing, what: str) -> bool:
        if self.link.send(command):
            return True
        self._say(NOT_SENT.format(what=what), Kind.ERROR)
        return False

    # -- the map -----------------------------------------------------------------------

    def close_or_reopen(self, city: City, link: int | None) -> None:
        """C: close the road to cars, or reopen it if it is closed (sessions with live edits)."""
        if link is None:
            self._say("Click a road first, then press C.")
        elif not city.car_link()[link]:
            self._say(f"Road {link} is a foot and bike path: there are no cars to stop.")
        else:
            command: p.Command = p.ReopenLink(link=link) if city.closed[link] else p.CloseLink(link=link)
            self._send(command, "the command")

    def preview(self, city: City) -> None:
        """P: ask what the draft would do: the interventions placed with the tools, or
        without any, closing the roads picked."""
        if self.draft.items:
            self._send(self.draft.ask(self.draft.items), "the preview request")
            return
        if not self.draft.links:
            self._say("Pick roads on the map first (click one, Shift+click for more), then press P.")
            return
        commands, skipped = self.draft.closures(city)
        if skipped:
            self._say("Left out of the draft: " + "; ".join(skipped) + ".")
        if not commands:
            return
        self._send(self.draft.ask(commands), "the preview request")

    # -- proposals and ballots ---------------------------------------------------------

    def can_propose(self) -> bool:
        return self.draft.preview is not None and bool(self.draft.previewed) and not self.draft.stale()

    def propose_hint(self) -> str:
        """Why Enter proposes nothing yet, and what to do."""
        if self.draft.preview is not None and self.draft.stale():
            return "The draft changed since its preview: press P to preview it again, then Enter to propose it."
        return "Preview a draft first (pick roads or take a tool, press P), then press Enter to propose it."

    def propose(self, title: str, rationale: str = "") -> bool:
        """Put the previewed draft before the room; an empty title takes a default one."""
        if not self.can_propose():
            self._say(self.propose_hint())
            return False
        interventions = list(self.draft.previewed)
        title = title.strip() or default_title(interventions, self.box)
        return self._send(p.Propose(title=title, interventions=interventions, rationale=rationale.strip()),
                          "the proposal")

    def mark(self) -> None:
        """Space (or a click on its box): mark the open proposal on the ballot being filled."""
        pid = self.game.selected
        if not self.game.opens("vote"):
            self._say("Ballots open in the vote phase.")
        elif self.game.voted:
            self._say("Your ballot is cast; it cannot be changed.")
        elif pid is None or not self.game.toggle(pid):
            self._say("Only submitted proposals are on the ballot.")

    def cast(self) -> None:
        """V: send the ballot as marked (final once the server takes it)."""
        ballot = self.game.ballot()
        if not self.game.opens("vote"):
            self._say("Ballots open in the vote phase.")
        elif self.game.voted:
            self._say("Your ballot is cast already.")
        elif ballot is None:
            self._say("Mark at least one proposal first (Space, or click its box).")
        else:
            self._send(ballot, "the ballot")
