"""What the player does with the proposal open on the board, by key or by its button: O
previews it on the map, K comments, R replies to the comment picked, W withdraws one's own
(after asking), A amends one's own (its interventions go into the draft; P previews, Enter
sends the new version), S submits one's own draft.

    actions = BoardActions(link, notices, game, draft, previews, dialog, over=map_area)
    actions.key(arcade.key.K, 0, city)    # True if the key was the board's
    actions.dialog_key(arcade.key.ENTER)  # while its dialog is open, every key is its
    actions.enter()                        # Enter on a preview: True if it was the board's
    actions.accepted("amend")              # True when the map must be repainted

The server decides: a refusal comes back as an Error and shows as a notice. Text typed
for a command the server has not taken yet comes back in the dialog when it reopens.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import arcade

from agora.client import captions
from agora.client.board_previews import BoardPreviews
from agora.client.city import City
from agora.client.connection import Outgoing
from agora.client.drafts import Draft
from agora.client.game_state import GameState
from agora.client.notices import Kind, Notices
from agora.client.propose_dialog import TextDialog
from agora.client.viewport import Area
from agora.server import protocol as p

NOT_SENT = "Not connected to the server: {what} was not sent."
OWN_STATUSES = ("draft", "submitted")  # what a player may still amend or withdraw
DONE = {"withdraw": "withdrawn", "amend": "amended", "submit": "submitted"}
MODIFIERS = arcade.key.MOD_CTRL | arcade.key.MOD_ALT | arcade.key.MOD_COMMAND


class Sender(Protocol):
    def send(self, command: Outgoing) -> bool: ...


class Writing(enum.Enum):
    COMMENT = "comment"
    REPLY = "reply"
    WITHDRAW = "withdraw"
    AMEND = "amend"


# The Accepted each writing is answered with.
COMMANDS = {Writing.COMMENT: "comment", Writing.REPLY: "comment", Writing.WITHDRAW: "withdraw", Writing.AMEND: "amend"}
Key = tuple[Writing, int, int | None]  # what is written, under which proposal, in reply to which comment


@dataclass
class Amending:
    proposal: int
    title: str
    rationale: str
    extras: list[p.Command] = field(default_factory=list)  # interventions other than closures, kept as they are
    sent: bool = False


class BoardActions:
    def __init__(self, link: Sender, notices: Notices, game: GameState, draft: Draft, previews: BoardPreviews,
                 dialog: TextDialog, over: Callable[[], Area]) -> None:
        self.link = link
        self.notices = notices
        self.game = game
        self.draft = draft
        self.previews = previews
        self.dialog = dialog
        dialog.on_send, dialog.on_cancel = self.send_dialog, self.close_dialog
        self.over = over
        self.writing: Key | None = None  # what the open dialog is for
        self.amending: Amending | None = None
        self.unsent: dict[Key, list[str]] = {}
        self.awaiting: list[tuple[str, Key]] = []  # sent, in order, awaiting Accepted

    def _say(self, text: str, kind: Kind = Kind.INFO) -> None:
        self.notices.add(text, kind, time.monotonic())

    def _send(self, command: Outgoing, what: str) -> bool:
        if self.link.send(command):
            return True
        self._say(NOT_SENT.format(what=what), Kind.ERROR)
        return False

    def _open(self) -> p.ProposalInfo | None:
        q = self.game.proposal(self.game.selected)
        if q is None or not q.versions:
            self._say("Open a proposal on the board first (click it, or \u2191 \u2193).")
            return None
        return q

    def _own(self, q: p.ProposalInfo, doing: str) -> bool:
        if not self.game.mine(q):
            self._say(f"Only {q.author}, who wrote proposal #{q.id}, can {doing} it.")
            return False
        if q.status not in OWN_STATUSES:
            self._say(f"Proposal #{q.id} is {q.status.replace('_', ' ')}: it can no longer be {DONE[doing]}.")
            return False
        return True

    # -- keys --------------------------------------------------------------------------

    def key(self, symbol: int, modifiers: int, city: City | None) -> bool:
        """O K R W A S and Shift+Up/Down (the comment picked); False for any other key."""
        if modifiers & MODIFIERS:
            return False
        if symbol in (arcade.key.UP, arcade.key.DOWN) and modifiers & arcade.key.MOD_SHIFT:
            picked = self.game.comment_step(-1 if symbol == arcade.key.UP else 1)
            if picked is None:
                self._say("The open proposal has no comments yet.")
            return True
        act = {arcade.key.O: self.open_preview, arcade.key.K: self.comment, arcade.key.R: self.reply,
               arcade.key.W: self.withdraw, arcade.key.S: self.submit}.get(symbol)
        if act is not None:
            act()
            return True
        if symbol == arcade.key.A:
            self.amend(city)
            return True
        return False

    def button(self, name: str, city: City | None) -> None:
        """A click on one of the open proposal's buttons, named by its key."""
        self.key(getattr(arcade.key, name), 0, city)

    def dialog_key(self, symbol: int) -> bool:
        """While the dialog is open: Enter sends, Esc goes back, Tab moves between the
        fields, and any other key is typing (True: the key was the dialog's)."""
        if not self.dialog.open:
            return False
        if symbol in (arcade.key.ENTER, arcade.key.NUM_ENTER):
            self.send_dialog()
        elif symbol == arcade.key.ESCAPE:
            self.close_dialog()
        elif symbol == arcade.key.TAB:
            self.dialog.next_field()
        return True

    # -- previews ----------------------------------------------------------------------

    def open_preview(self) -> None:
        """O: what the open proposal's current version would do, on the map."""
        q = self._open()
        if q is not None:
            self._send(self.previews.ask(q, self.draft), "the preview request")

    def preview_words(self) -> dict[str, str]:
        """The preview panel's title and keys, when the preview is not of the player's own draft."""
        shown = self.previews.shown(self.draft)
        q = self.game.proposal(shown)
        if q is not None:
            return {"title": f"Preview of proposal #{q.id}", "subtitle": q.versions[-1].title,
                    "keys": "L  map layer  \u00b7  Esc  back to the board"}
        if self.amending is not None:
            return {"title": f"New version of proposal #{self.amending.proposal}",
                    "keys": "Enter  send the new version  \u00b7  L  map layer  \u00b7  Esc  leave the preview"}
        return {}

    def help_line(self) -> str | None:
        if self.previews.shown(self.draft) is not None and self.draft.showing:
            return "Proposal preview  \u00b7  L  next layer's change  \u00b7  Esc  back to the board  \u00b7  Wheel  zoom"
        if self.amending is not None:
            return (f"Amending proposal #{self.amending.proposal}  \u00b7  Click / Shift+click  roads  \u00b7  "
                    "P  preview  \u00b7  Enter  send  \u00b7  Esc  stop")
        return None

    # -- writing -----------------------------------------------------------------------

    def comment(self) -> None:
        """K: a comment under the open proposal."""
        q = self._open()
        if q is None:
            return
        if q.status == "draft":
            self._say(f"Proposal #{q.id} is a draft: comments open once it is submitted (S).")
            return
        self._write((Writing.COMMENT, q.id, None), f"Comment on proposal #{q.id}", q.versions[-1].title,
                    ["Your comment"], "Post")

    def reply(self) -> None:
        """R: a reply to the comment picked in the open thread."""
        q = self._open()
        if q is None:
            return
        c = self.game.picked_comment()
        if c is None:
            self._say("Click a comment in the thread first (or Shift+\u2191 \u2193), then press R to reply.")
            return
        quote = c.text if len(c.text) <= 140 else c.text[:137].rstrip() + "\u2026"
        self._write((Writing.REPLY, q.id, c.id), f"Reply to {c.author}", f"\u201c{quote}\u201d", ["Your reply"],
                    "Reply")

    def withdraw(self) -> None:
        """W: withdraw one's own proposal, once confirmed."""
        q = self._open()
        if q is None or not self._own(q, "withdraw"):
            return
        self._write((Writing.WITHDRAW, q.id, None), f"Withdraw proposal #{q.id}?",
                    f"{q.versions[-1].title}: it leaves the board and the ballot for good.",
                    ["Why (optional): the room will read it"], "Withdraw")

    def submit(self) -> None:
        """S: put one's own draft before the room."""
        q = self._open()
        if q is None or not self._own(q, "submit"):
            return
        if q.status != "draft":
            self._say(f"Proposal #{q.id} is submitted already.")
            return
        self._send(p.Submit(proposal=q.id), "the submission")

    def _write(self, key: Key, heading: str, context: str, fields: list[str], send: str,
               values: list[str] | None = None) -> None:
        self.writing = key
        self.dialog.show(heading, context, fields, send, self.over(), values=self.unsent.get(key, values),
                         hint="Tab moves between the fields." if len(fields) > 1 else "")

    def close_dialog(self) -> None:
        self.writing = None
        self.dialog.hide()

    def send_dialog(self) -> None:
        key, texts = self.writing, self.dialog.texts()
        self.close_dialog()
        if key is None:
            return
        kind, pid, parent = key
        command: Outgoing
        if kind in (Writing.COMMENT, Writing.REPLY):
            command = p.Comment(proposal=pid, text=texts[0], parent=parent)
        elif kind is Writing.WITHDRAW:
            command = p.Withdraw(proposal=pid, reason=texts[0].strip())
        elif self.amending is not None:
            amending = self.amending
            command = p.Amend(proposal=pid, title=texts[0].strip() or amending.title,
                              interventions=list(self.draft.previewed), rationale=texts[1].strip())
            amending.sent = True
        else:
            return
        self.unsent[key] = texts
        if self._send(command, f"the {kind.value}"):
            self.awaiting.append((COMMANDS[kind], key))

    # -- amending ----------------------------------------------------------------------

    def amend(self, city: City | None) -> None:
        """A: the open proposal's interventions become the draft: its closed roads are
        picked on the map, the rest is kept as it is."""
        q = self._open()
        if q is None or city is None or not self._own(q, "amend"):
            return
        version = q.versions[-1]
        self.draft.leave()
        self.draft.links = [c.link for c in version.interventions if isinstance(c, p.CloseLink)]
        extras: list[p.Command] = [c for c in version.interventions if not isinstance(c, p.CloseLink)]
        self.amending = Amending(q.id, version.title, version.rationale, extras)
        self._say(f"Amending proposal #{q.id}: change its roads on the map, press P, then Enter.")
        if len(extras) == 1:
            self._say("Its 1 other intervention stays as it is.")
        elif extras:
            self._say(f"Its {len(extras)} other interventions stay as they are.")

    def preview(self, city: City) -> bool:
        """P while amending a proposal with more than closures: preview them with the roads
        picked (False: the draft's own preview applies)."""
        amending = self.amending
        if amending is None or not amending.extras:
            return False
        commands, skipped = self.draft.closures(city)
        if skipped:
            self._say("Left out of the draft: " + "; ".join(skipped) + ".")
        self._send(self.draft.ask(commands + amending.extras), "the preview request")
        return True

    def enter(self) -> bool:
        """Enter: on a proposal's preview, nothing to propose; while amending, the new
        version's dialog (False: the draft is proposed as usual)."""
        shown = self.previews.shown(self.draft)
        if shown is not None and self.draft.showing:
            q = self.game.proposal(shown)
            mine = q is not None and self.game.mine(q) and q.status in OWN_STATUSES
            self._say(f"This is the preview of proposal #{shown}: Esc goes back to the board"
                      + ("; A amends it." if mine else "."))
            return True
        amending = self.amending
        if amending is None:
            return False
        if self.draft.preview is None or not self.draft.previewed:
            self._say("Press P to preview your changes first, then Enter to send them.")
            return True
        self._write((Writing.AMEND, amending.proposal, None), f"New version of proposal #{amending.proposal}",
                    captions.describe_draft(self.draft.previewed), ["Title", "Why (optional)"], "Send new version",
                    values=[amending.title, amending.rationale])
        return True

    def escape(self) -> bool:
        """Esc with nothing else to leave: stop amending (True if there was something to stop)."""
        if self.amending is None:
            return False
        self._say(f"Stopped amending: proposal #{self.amending.proposal} stays as it was.")
        self.amending = None
        self.draft.links = []
        return True

    # -- answers -----------------------------------------------------------------------

    def accepted(self, command: str) -> bool:
        """The server took a command: forget its typed text; an amendment taken ends the
        amending and its preview (True: the map must be repainted)."""
        for i, (name, key) in enumerate(self.awaiting):
            if name == command:
                del self.awaiting[i]
                self.unsent.pop(key, None)
                break
        if command == "amend" and self.amending is not None and self.amending.sent:
            self.amending = None
            self.draft.leave()
            self.draft.links = []
            return True
        return False
