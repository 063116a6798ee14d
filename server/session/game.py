"""The game a session plays on its town: the rule set, the phase clock, the proposal book
and who the facilitator muted or removed, changed only by game commands.

    game = Game(bundled("demo"))
    outcome = game.perform(ada, p.Propose(title="Quiet street", interventions=[...]),
                           tick=120, world=planned)   # raises CommandError if refused
    outcome.world_commands    # an adoption's or a rollback's edits, for the next tick
    outcome.result            # a CountVotes' result

`perform` checks the player's role and the phase (roles.Moderation) and then the book's
own rules; a refusal changes nothing. To log a command before it takes effect, perform it
on a `copy()` and keep the copy once the log holds the command (Session.stage/commit).
Nothing here reads a clock: the phase timer moves by the seconds the caller passes to
`clock.tick`, and a phase that runs out changes only by an AdvancePhase the caller logs.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass
from fractions import Fraction

import msgspec

from agora.server import protocol as p
from agora.server.protocol import Command
from agora.server.session import voting
from agora.server.session.errors import CommandError
from agora.server.session.phases import PhaseClock
from agora.server.session.players import Player, PlayerId, Role, Roster
from agora.server.session.proposals import CommentId, ProposalBook
from agora.server.session.roles import Moderation
from agora.server.session.rulesets import Approval, EqualShares, GreedyBudget, Majority, RuleSet
from agora.server.world.world import World

# Who a phase change by the timer is logged as: not in any roster, a facilitator's powers.
TIMER = Player(PlayerId(0), "timer", "", Role.FACILITATOR)

CountResult = voting.MajorityResult | voting.ApprovalResult | voting.BudgetResult


@dataclass(frozen=True)
class Outcome:
    world_commands: tuple[Command, ...] = ()  # to apply at the next tick, in order
    result: CountResult | None = None  # the count, for CountVotes


class Game:
    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        self.clock = PhaseClock(rules)
        self.book = ProposalBook(rules)
        self.moderation = Moderation()
        self.ended = False  # by EndSession: final

    def copy(self) -> Game:
        """A deep copy sharing only the (frozen) rule set."""
        return copy.deepcopy(self, memo={id(self.rules): self.rules})

    def check_edit(self, player: Player, command: Command, *, live_edits: bool) -> None:
        """May `player` change the town directly with a world edit (outside any proposal)?
        The facilitator may; players only in a session with live edits (a sandbox), and
        never when removed; observers never; nobody once the session has ended."""
        self._check_open()
        if player.id in self.moderation.removed:
            raise CommandError("removed", "The facilitator has removed you from this session.")
        if player.role == Role.OBSERVER:
            raise CommandError("not_allowed", "Observers can look at everything but change nothing.")
        if player.role == Role.PLAYER and not live_edits:
            raise CommandError("not_allowed", "In this session the town changes only by adopted proposals: "
                               "preview your interventions, then propose them.")

    def perform(self, player: Player, command: p.GameCommand, *, tick: int, world: World,
                roster: Roster | None = None) -> Outcome:
        """Apply one game command now; `world` is the town as it will be once every scheduled
        edit has applied (drafts and adoptions are checked against it)."""
        self._check_open()
        phase = self.clock.phase
        # Submitting a draft is proposing it: the role table knows it as propose.
        self.moderation.check(player, "propose" if isinstance(command, p.Submit) else p.tag_of(command), phase)
        book = self.book
        match command:
            case p.Propose(title=title, interventions=interventions, rationale=rationale, draft=draft):
                if draft:
                    book.draft(world, player, title, rationale, interventions, tick=tick, phase=phase)
                else:
                    book.propose(world, player, title, rationale, interventions, tick=tick, phase=phase)
            case p.Submit(proposal=pid):
                book.submit(player, voting.ProposalId(pid), tick=tick)
            case p.Amend(proposal=pid, title=title, interventions=interventions, rationale=rationale):
                book.amend(world, player, voting.ProposalId(pid), title, rationale, interventions, tick=tick, phase=phase)
            case p.Withdraw(proposal=pid, reason=reason):
                book.withdraw(player, voting.ProposalId(pid), tick=tick, reason=reason)
            case p.Comment(proposal=pid, text=text, parent=parent):
                book.comment(player, voting.ProposalId(pid), text, tick=tick,
                             parent=None if parent is None else CommentId(parent))
            case p.Chat(text=text):
                book.chat(player, text, tick=tick)
            case p.Announce(text=text):
                book.announce(player, text, tick=tick)
            case p.Vote(approve=approve, choices=choices):
                if (approve is None) == (choices is None):
                    raise CommandError("wrong_ballot", "A ballot holds either the proposals you approve "
                                       "(approve) or yes, no or abstain on each (choices).")
                if choices is not None:
                    book.vote(player, {voting.ProposalId(k): voting.Vote(v) for k, v in choices.items()}, tick=tick)
                else:
                    assert approve is not None
                    if len(set(approve)) != len(approve):
                        raise CommandError("wrong_ballot", "Approve each proposal once.")
                    book.vote(player, {voting.ProposalId(k) for k in approve}, tick=tick)
            case p.AdvancePhase():
                self.clock.advance()
            case p.SetPhase(phase=name):
                self.clock.set(name)
            case p.Pause():
                self.clock.pause()
            case p.Resume():
                self.clock.resume()
            case p.SetSpeed(speed=speed):
                self.clock.set_speed(speed)
            case p.ExtendPhase(minutes=minutes):
                self.clock.extend(minutes)
            case p.Mute(player=target):
                self.moderation.mute(self._player(roster, target))
            case p.Unmute(player=target):
                self.moderation.unmute(self._player(roster, target))
            case p.Remove(player=target):
                self.moderation.remove(self._player(roster, target))
            case p.Adopt(proposal=pid):
                return Outcome(world_commands=book.adopt(world, voting.ProposalId(pid), player, tick=tick))
            case p.Reject(proposal=pid, reason=reason):
                book.reject(voting.ProposalId(pid), player, tick=tick, reason=reason)
            case p.RollBack(proposal=pid):
                return Outcome(world_commands=book.roll_back(world, voting.ProposalId(pid), player, tick=tick))
            case p.CountVotes():
                return Outcome(result=self.count(roster))
            case p.EndSession():
                self.clock.end()
                self.ended = True
        return Outcome()

    def _check_open(self) -> None:
        if self.ended:
            raise CommandError("session_ended", "The facilitator has ended this session; nothing more can be "
                               "changed. A planner can still replay it.")

    def count(self, roster: Roster | None) -> CountResult:
        """The ballots counted by the rule set's method, over the proposals on the ballot."""
        candidates = [voting.Proposal(q.id, q.version.cost_eur, q.version.title) for q in self.book.candidates()]
        method = self.rules.voting
        if isinstance(method, Majority):
            electorate = sum(1 for player in (roster or ()) if player.role == Role.PLAYER
                             and player.id not in self.moderation.removed)
            ballots = self.book.majority_ballots()
            return voting.majority(candidates, ballots, max(electorate, len(ballots), 1), Fraction(method.quorum))
        approvals = self.book.approval_ballots()
        budget = self.book.remaining_eur()
        if isinstance(method, Approval):
            return voting.approval(candidates, approvals, method.seats)
        if isinstance(method, GreedyBudget):
            return voting.greedy_budget(candidates, approvals, budget)
        assert isinstance(method, EqualShares)
        return voting.equal_shares(candidates, approvals, budget, voting.Completion(method.completion),
                                   voting.Satisfaction(method.satisfaction), max(1, round(method.completion_step_eur)))

    @staticmethod
    def _player(roster: Roster | None, player_id: int) -> Player:
        try:
            if roster is None:
                raise KeyError(player_id)
            return roster.get(PlayerId(player_id))
        except KeyError:
            raise CommandError("no_such_player", f"There is no player {player_id} in this session.") from None

    def state_hash(self) -> str:
        """A digest of everything the game commands decide: the phase (not its timer, which
        moves with real seconds), speed, who is muted or removed, every proposal with its
        versions, history and undo edits, every comment, chat line and ballot."""
        state: dict[str, object] = {
            "clock": (self.clock.state.value, self.clock.index, self.clock.speed),
            "muted": sorted(self.moderation.muted), "removed": sorted(self.moderation.removed),
            "book": self.book.state(),
        }
        if self.ended:  # only then: the hashes of sessions that never ended stay as they were
            state["ended"] = True
        return hashlib.sha256(msgspec.json.encode(state)).hexdigest()
