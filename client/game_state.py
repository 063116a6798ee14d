"""The game as the server last described it: phase and its clock, budget, proposals, the
count; and what this player has chosen on screen (the proposal open, the ballot being filled).

    game = GameState()
    game.take(welcome.game, now=time.monotonic())
    game.seconds_left(now)            # the phase timer, counted down between Game messages
    game.toggle(3); game.ballot()     # Vote(approve=[3])

Nothing here decides anything: the ballot is only what the player will send.
"""

from __future__ import annotations

from dataclasses import dataclass

from agora.server import protocol as p

# Statuses that show on the board (the server sends others' drafts to nobody).
ON_BALLOT = "submitted"
APPROVAL_METHODS = ("approval", "pb_greedy", "pb_equal_shares")
MAJORITY_CHOICES: tuple[str, ...] = ("yes", "no", "abstain")


@dataclass(frozen=True)
class Clock:
    """The phase line: what is running and how long it has left."""

    title: str  # "Propose", "Waiting for the facilitator", "Finished"
    place: str  # "phase 2 of 5", ""
    seconds_left: float | None  # None when no phase is timed
    paused: bool
    speed: float
    note: str = ""  # a sentence when no phase runs


class GameState:
    def __init__(self) -> None:
        self.game: p.Game | None = None
        self.received_at = 0.0
        self.result: p.VoteResult | None = None
        self.selected: int | None = None  # the proposal open on the board
        self.comment: tuple[int, int] | None = None  # (proposal, comment) picked in its thread, to reply to
        self.approvals: set[int] = set()  # approval and budgeting methods
        self.choices: dict[int, str] = {}  # majority: yes, no or abstain by proposal
        self.me: int | None = None  # this player's id, from the Welcome

    def take(self, game: p.Game, now: float) -> None:
        """A Game message; a proposal of this player's that is new on the board opens."""
        known = None if self.game is None else {q.id for q in self.game.proposals}
        self.game = game
        self.received_at = now
        ids = {q.id for q in game.proposals}
        mine = [q.id for q in game.proposals if known is not None and q.id not in known and q.author_id == self.me]
        if mine:
            self.selected = max(mine)
        elif self.selected not in ids:
            self.selected = game.proposals[0].id if game.proposals else None
        # A proposal that left the ballot leaves the ballot being filled too.
        ballot = {q.id for q in self.candidates()}
        self.approvals &= ballot
        self.choices = {k: v for k, v in self.choices.items() if k in ballot}

    # -- the phase ---------------------------------------------------------------------

    def clock(self, now: float) -> Clock:
        game = self.game
        if game is None:
            return Clock("Free play", "", None, False, 1.0, "This session has no phases, proposals or votes.")
        ph = game.phase
        if ph.state == "waiting":
            return Clock("Not started yet", "", None, False, ph.speed,
                         "Waiting for the facilitator to start the first phase.")
        if ph.state == "finished":
            return Clock("Finished", "", None, False, ph.speed, "Every phase is over. Thank you for taking part.")
        return Clock(ph.title or ph.name, f"phase {ph.index + 1} of {ph.count}", self.seconds_left(now),
                     ph.state == "paused", ph.speed)

    def seconds_left(self, now: float) -> float | None:
        """The running phase's time left, in the phase's seconds (the facilitator's speed
        makes them pass faster than real ones); None when no phase runs."""
        game = self.game
        if game is None or game.phase.state not in ("running", "paused"):
            return None
        ph = game.phase
        passed = 0.0 if ph.state == "paused" else max(now - self.received_at, 0.0) * ph.speed
        return max(ph.remaining_s - passed, 0.0)

    def opens(self, command: str) -> bool:
        """Whether the running phase opens a command to players (the server decides; this
        only chooses what the screen offers)."""
        game = self.game
        return game is not None and game.phase.state in ("running", "paused") and command in game.phase.opens

    # -- proposals ---------------------------------------------------------------------

    def proposals(self) -> list[p.ProposalInfo]:
        return [] if self.game is None else sorted(self.game.proposals, key=lambda q: q.id)

    def candidates(self) -> list[p.ProposalInfo]:
        """The proposals on the ballot."""
        return [q for q in self.proposals() if q.status == ON_BALLOT]

    def proposal(self, pid: int | None) -> p.ProposalInfo | None:
        return next((q for q in self.proposals() if q.id == pid), None)

    def select(self, pid: int) -> None:
        if self.proposal(pid) is not None:
            self.selected = pid

    def select_step(self, step: int) -> None:
        """Open the next (step 1) or previous (-1) proposal on the board."""
        ids = [q.id for q in self.proposals()]
        if not ids:
            return
        at = ids.index(self.selected) if self.selected in ids else (-1 if step > 0 else 0)
        self.selected = ids[(at + step) % len(ids)]

    def picked_comment(self) -> p.CommentInfo | None:
        """The comment picked in the open proposal's thread (one picked under another
        proposal does not count)."""
        q = self.proposal(self.selected)
        if q is None or self.comment is None or self.comment[0] != q.id:
            return None
        return next((c for c in q.comments if c.id == self.comment[1]), None)

    def pick_comment(self, cid: int) -> None:
        if self.selected is not None:
            self.comment = (self.selected, cid)

    def comment_step(self, step: int) -> p.CommentInfo | None:
        """Pick the next (1) or previous (-1) comment in the open thread, from none the first or last."""
        q = self.proposal(self.selected)
        if q is None or not q.comments:
            return None
        ids = [c.id for c in q.comments]
        now = self.picked_comment()
        at = ids.index(now.id) + step if now is not None else (0 if step > 0 else len(ids) - 1)
        self.pick_comment(ids[min(max(at, 0), len(ids) - 1)])
        return self.picked_comment()

    def mine(self, q: p.ProposalInfo) -> bool:
        return self.me is not None and q.author_id == self.me

    # -- the ballot --------------------------------------------------------------------

    @property
    def majority(self) -> bool:
        return self.game is not None and self.game.voting not in APPROVAL_METHODS

    @property
    def voted(self) -> bool:
        return self.game is not None and self.game.voted

    def mark(self, pid: int) -> str:
        """What the ballot being filled says of a proposal: "approve", "" or yes/no/abstain."""
        if self.majority:
            return self.choices.get(pid, "")
        return "approve" if pid in self.approvals else ""

    def toggle(self, pid: int) -> bool:
        """Approve or not (majority: yes, no, abstain, blank in turn); False if the proposal
        is not on the ballot."""
        if pid not in {q.id for q in self.candidates()}:
            return False
        if self.majority:
            order = ("", *MAJORITY_CHOICES)
            following = order[(order.index(self.choices.get(pid, "")) + 1) % len(order)]
            if following:
                self.choices[pid] = following
            else:
                self.choices.pop(pid, None)
        else:
            self.approvals ^= {pid}
        return True

    def ballot(self) -> p.Vote | None:
        """The Vote to send, or None while it is empty."""
        if self.majority:
            return p.Vote(choices={k: v for k, v in sorted(self.choices.items())}) if self.choices else None  # type: ignore[misc]
        return p.Vote(approve=sorted(self.approvals)) if self.approvals else None

    # -- money -------------------------------------------------------------------------

    def budget(self) -> tuple[int, int] | None:
        """(total, spent by adopted proposals) in whole EUR."""
        return None if self.game is None else (self.game.budget_eur, self.game.spent_eur)


def eur(amount: float) -> str:
    """EUR 3,000,000 as people read it on a board: "€3.0M", "€45k", "€800"."""
    a = abs(amount)
    sign = "-" if amount < 0 else ""
    if a >= 1e6:
        return f"{sign}€{a / 1e6:,.2f}M".replace(".00M", "M")
    if a >= 1e4:
        return f"{sign}€{a / 1e3:,.0f}k"
    return f"{sign}€{a:,.0f}"


def clock_text(seconds: float | None) -> str:
    if seconds is None:
        return ""
    s = int(seconds + 0.999)  # 0.2 s left still reads 0:01
    return f"{s // 60}:{s % 60:02d}"
