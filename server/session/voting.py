"""Counting votes: majority with a quorum, approval, and participatory budgets.

    bike = Proposal(ProposalId(1), cost=700, title="bike path")
    result = equal_shares([bike, ...], {PlayerId(1): {ProposalId(1)}, ...}, budget=1100)
    result.winners        # (ProposalId(1), ...) in the order they were funded
    result.payments       # who paid how much of their equal share for what
    result.explanation    # a sentence for the room

Every function is pure and exact: money is whole units of the rule set's currency
(`int`), shares and payments are `Fraction`s, so the count is the same on every machine
and never depends on the order of a dict. Where two proposals tie on what the method
ranks by, the one that costs less wins, then the one with more approvals, then the one
submitted first (lower id: ids are handed out in submission order). This is
equalshares.net's recommended tie-break ("Tie breaking"), with its last resort, a lot
drawn by officials, replaced by submission order, which is fixed before the count.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import NewType

from agora.server.session.players import PlayerId

ProposalId = NewType("ProposalId", int)
ApprovalBallots = Mapping[PlayerId, Collection[ProposalId]]


class Vote(StrEnum):
    YES = "yes"
    NO = "no"
    ABSTAIN = "abstain"


MajorityBallots = Mapping[PlayerId, Mapping[ProposalId, Vote]]


class Outcome(StrEnum):
    PASSED = "passed"
    REJECTED = "rejected"  # more no than yes
    TIED = "tied"  # as many yes as no: a proposal needs more yes than no
    NO_VOTES = "no_votes"  # everyone who took part abstained on it
    QUORUM_NOT_MET = "quorum_not_met"
    CHOSEN = "chosen"
    OUTRANKED = "outranked"
    LOST_TIE = "lost_tie"  # as many approvals as the last winner, lost on the tie-break
    NOT_APPROVED = "not_approved"
    FUNDED = "funded"
    FUNDED_BY_COMPLETION = "funded_by_completion"
    DOES_NOT_FIT = "does_not_fit"  # greedy: less money left than it costs
    UNAFFORDABLE = "unaffordable"  # equal shares: its supporters' shares cannot pay it


class Satisfaction(StrEnum):
    """What a voter gains from a funded proposal they approved, for the Method of Equal Shares.

    COST: its cost (equalshares.net and the cities that use it: the project with the highest
    "effective vote count", cost / highest payment, is funded first). CARDINALITY: one per
    project (Peters, Pierczynski & Skowron 2021 with unit utilities: the project whose
    highest payment per supporter is smallest is funded first). They agree when costs are equal.
    """

    COST = "cost"
    CARDINALITY = "cardinality"


class Completion(StrEnum):
    """How the Method of Equal Shares spends what its first pass leaves (equalshares.net, "Completion")."""

    NONE = "none"
    ADD1 = "add1"  # raise every share by one unit while the outcome stays within the budget
    ADD1_UTILITARIAN = "add1_utilitarian"  # then fund the most approved proposals that still fit


@dataclass(frozen=True)
class Proposal:
    id: ProposalId
    cost: int = 0  # whole units of the rule set's currency
    title: str = ""

    @property
    def name(self) -> str:
        return self.title or f"proposal {self.id}"


@dataclass(frozen=True)
class MajorityTally:
    proposal: ProposalId
    yes: int
    no: int
    abstain: int
    outcome: Outcome
    reason: str


@dataclass(frozen=True)
class MajorityResult:
    winners: tuple[ProposalId, ...]  # passed, in submission order
    tallies: tuple[MajorityTally, ...]
    electorate: int
    turnout: int
    quorum: Fraction
    quorum_met: bool
    explanation: str


@dataclass(frozen=True)
class ApprovalTally:
    proposal: ProposalId
    approvals: int
    outcome: Outcome
    reason: str


@dataclass(frozen=True)
class ApprovalResult:
    winners: tuple[ProposalId, ...]  # most approved first
    tallies: tuple[ApprovalTally, ...]
    voters: int
    explanation: str


@dataclass(frozen=True)
class BudgetTally:
    proposal: ProposalId
    cost: int
    approvals: int
    outcome: Outcome
    reason: str
    # Equal shares only, at the moment it was funded: the highest payment of a supporter
    # and the effective vote count, cost / highest payment (equalshares.net).
    max_payment: Fraction | None = None
    effective_votes: Fraction | None = None


@dataclass(frozen=True)
class Payment:
    voter: PlayerId
    proposal: ProposalId
    amount: Fraction


@dataclass(frozen=True)
class BudgetResult:
    winners: tuple[ProposalId, ...]  # in the order they were funded
    tallies: tuple[BudgetTally, ...]
    budget: int
    spent: int
    voters: int
    explanation: str
    # Equal shares only: each voter's share of the budget, the share the completion
    # raised it to, and what each voter paid towards what (completion picks cost no one).
    share: Fraction | None = None
    virtual_share: Fraction | None = None
    payments: tuple[Payment, ...] = ()

    @property
    def left(self) -> int:
        return self.budget - self.spent

    def paid_by(self, voter: PlayerId) -> Fraction:
        return sum((p.amount for p in self.payments if p.voter == voter), Fraction(0))


def majority(
    proposals: Sequence[Proposal], ballots: MajorityBallots, electorate: int, quorum: Fraction | float = 0
) -> MajorityResult:
    """Each proposal passes with more yes than no among those who voted, if turnout meets the quorum.

    Turnout counts everyone who handed in a ballot; a proposal a ballot leaves out counts as
    an abstention. `quorum` is the share of the electorate that must take part.
    """
    by_id = _index(proposals)
    _check_known(by_id, (p for ballot in ballots.values() for p in ballot))
    share = _share(quorum)
    if electorate < max(1, len(ballots)):
        raise ValueError(f"The electorate ({electorate}) must be at least 1 and at least the {len(ballots)} voters.")
    turnout = len(ballots)
    met = Fraction(turnout, electorate) >= share
    took_part = f"{turnout} of {electorate} voters ({_percent(Fraction(turnout, electorate))}) took part"
    tallies = []
    for pid in sorted(by_id):
        votes = [ballot.get(pid, Vote.ABSTAIN) for ballot in ballots.values()]
        yes, no = votes.count(Vote.YES), votes.count(Vote.NO)
        abstain = turnout - yes - no
        counts = f"{yes} yes, {no} no, {abstain} abstained"
        if not met:
            outcome, reason = Outcome.QUORUM_NOT_MET, f"Not decided: the quorum was not met ({counts})."
        elif yes == no == 0:
            outcome, reason = Outcome.NO_VOTES, f"Not passed: nobody voted yes or no ({abstain} abstained)."
        elif yes > no:
            outcome, reason = Outcome.PASSED, f"Passed: {counts}."
        elif yes == no:
            outcome, reason = Outcome.TIED, f"Not passed, tied: {counts}; it needs more yes than no."
        else:
            outcome, reason = Outcome.REJECTED, f"Rejected: {counts}."
        tallies.append(MajorityTally(pid, yes, no, abstain, outcome, reason))
    winners = tuple(t.proposal for t in tallies if t.outcome is Outcome.PASSED)
    if not met:
        explanation = f"Quorum not met: {took_part}; {_percent(share)} needed."
    elif turnout == 0:
        explanation = "Nobody voted: no proposal passed."
    else:
        explanation = (f"{took_part} ({_percent(share)} needed): {len(winners)} of {len(tallies)} "
                       f"proposals passed.")
    return MajorityResult(winners, tuple(tallies), electorate, turnout, share, met, explanation)


def approval(proposals: Sequence[Proposal], ballots: ApprovalBallots, seats: int = 1) -> ApprovalResult:
    """The `seats` most approved proposals win; a proposal nobody approved never does."""
    by_id = _index(proposals)
    counts = _approvals(by_id, ballots)
    ranked = _ranked(by_id, counts)
    winners = [p for p in ranked if counts[p.id] > 0][:seats]
    last = winners[-1] if winners else None
    tallies = []
    for p in ranked:
        n = counts[p.id]
        if p in winners:
            outcome, reason = Outcome.CHOSEN, f"Chosen: {_count(n, 'approval')}."
        elif n == 0:
            outcome, reason = Outcome.NOT_APPROVED, "Not chosen: nobody approved it."
        elif last is not None and n == counts[last.id]:
            outcome = Outcome.LOST_TIE
            reason = f"Not chosen: tied on {_count(n, 'approval')} with {last.name}, which {_why_first(last, p)}."
        else:
            outcome, reason = Outcome.OUTRANKED, f"Not chosen: {_count(n, 'approval')}, fewer than the winners."
        tallies.append(ApprovalTally(p.id, n, outcome, reason))
    if not ballots:
        explanation = "Nobody voted: no proposal is chosen."
    elif not winners:
        explanation = f"{_count(len(ballots), 'voter')} approved none of the proposals: none is chosen."
    else:
        chosen = ", ".join(f"{p.name} ({_count(counts[p.id], 'approval')})" for p in winners)
        explanation = f"{_count(len(ballots), 'voter')} took part; chosen: {chosen}."
    return ApprovalResult(tuple(p.id for p in winners), tuple(tallies), len(ballots), explanation)


def greedy_budget(proposals: Sequence[Proposal], ballots: ApprovalBallots, budget: int) -> BudgetResult:
    """Down the list by approvals, fund each proposal that still fits; skip those that do not."""
    by_id = _index(proposals)
    counts = _approvals(by_id, ballots)
    _check_money(proposals, budget)
    winners, left, reasons = _fill(_ranked(by_id, counts), counts, budget, [])
    tallies = tuple(BudgetTally(p.id, p.cost, counts[p.id], *reasons[p.id]) for p in _ranked(by_id, counts))
    spent = budget - left
    funded = ", ".join(f"{by_id[w].name} ({_count(counts[w], 'approval')}, {_money(by_id[w].cost)})" for w in winners)
    if not ballots:
        explanation = "Nobody voted: nothing is funded."
    else:
        explanation = (f"Funded by number of approvals from {_count(len(ballots), 'voter')}: {funded or 'nothing'}; "
                       f"{_money(spent)} of {_money(budget)} spent.")
    return BudgetResult(tuple(winners), tallies, budget, spent, len(ballots), explanation)


def equal_shares(
    proposals: Sequence[Proposal],
    ballots: ApprovalBallots,
    budget: int,
    completion: Completion = Completion.ADD1_UTILITARIAN,
    satisfaction: Satisfaction = Satisfaction.COST,
    step_per_voter: int = 1,
) -> BudgetResult:
    """The Method of Equal Shares (Peters & Skowron 2021; Peters, Pierczynski & Skowron 2021).

    The budget is split equally among the voters (everyone who handed in a ballot). Over and
    over, the proposal whose supporters can pay for it best is funded: its cost is split among
    them as equally as their remaining shares allow, and charged. It stops when no proposal's
    supporters can pay for it any more. Completion, as equalshares.net recommends ("Completion")
    and its reference code does: raise every share by `step_per_voter` units and count again,
    for as long as the outcome stays within the real budget and is not yet exhaustive; then
    (ADD1_UTILITARIAN) fund the most approved proposals that still fit. The outcome is that of
    counting again at every step, but steps over which the count cannot change are jumped.
    """
    by_id = _index(proposals)
    counts = _approvals(by_id, ballots)
    _check_money(proposals, budget)
    if step_per_voter < 1:
        raise ValueError(f"The completion raises shares by at least 1 unit, not {step_per_voter}.")
    voters = tuple(sorted(ballots))
    if not voters:
        tallies = tuple(BudgetTally(p.id, p.cost, 0, Outcome.NOT_APPROVED, "Not funded: nobody approved it.")
                        for p in _ranked(by_id, counts))
        return BudgetResult((), tallies, budget, 0, 0, "Nobody voted: nothing is funded.", Fraction(0), Fraction(0))
    supporters = {pid: tuple(v for v in voters if pid in set(ballots[v])) for pid in by_id}
    share = Fraction(budget, len(voters))
    run = _EqualShares(by_id, counts, supporters, satisfaction, share)
    if completion is not Completion.NONE:
        while not _exhaustive(by_id, counts, run.picked, budget):
            if run.until is None:
                break  # no larger share changes the outcome (cannot happen while it is not exhaustive)
            if run.share + step_per_voter < run.until:  # the same outcome: jump to the last such step
                steps = math.ceil((run.until - run.share) / step_per_voter) - 1
                run = _EqualShares(by_id, counts, supporters, satisfaction, run.share + steps * step_per_voter)
                continue
            bigger = _EqualShares(by_id, counts, supporters, satisfaction, run.share + step_per_voter)
            if sum(by_id[pid].cost for pid in bigger.picked) > budget:
                break
            run = bigger
    winners = list(run.picked)
    left = budget - sum(by_id[pid].cost for pid in winners)
    reasons: dict[ProposalId, tuple[Outcome, str]] = {}
    if completion is Completion.ADD1_UTILITARIAN:
        winners, left, reasons = _fill(_ranked(by_id, counts), counts, left, winners,
                                       Outcome.FUNDED_BY_COMPLETION, "Funded from what equal shares left")
    tallies = tuple(BudgetTally(p.id, p.cost, counts[p.id], *reasons[p.id])
                    if p.id in reasons and reasons[p.id][0] is Outcome.FUNDED_BY_COMPLETION else run.tally(p)
                    for p in _ranked(by_id, counts))
    spent = budget - left
    explanation = (f"Each of the {len(voters)} voters had an equal share of {_money(share)} of the budget of "
                   f"{_money(budget)}")
    if run.share != share:
        explanation += f", raised to {_money(run.share)} to spend more of it (completion)"
    picks = ", ".join(by_id[pid].name for pid in winners)
    explanation += f". Funded: {picks or 'nothing'}; {_money(spent)} of {_money(budget)} spent."
    payments = tuple(Payment(v, pid, run.payments[pid][v]) for pid in run.picked for v in supporters[pid]
                     if run.payments[pid][v] > 0)
    return BudgetResult(tuple(winners), tallies, budget, spent, len(voters), explanation, share, run.share,
                        payments)


class _EqualShares:
    """One count of the Method of Equal Shares with a fixed share per voter.

    Every amount in the count is a line in the share s, c + k s, as long as the count takes
    the same turns (who is too poor to pay an equal part, which proposal is cheapest). Beside
    the amounts at this share, the count keeps their lines and notes `until`, the smallest
    share above this one where a comparison it made could turn out the other way: up to
    there, the count funds the same proposals in the same order. The completion jumps there
    instead of counting again at every unit in between, with the outcome of each unit step.
    """

    def __init__(self, by_id: Mapping[ProposalId, Proposal], counts: Mapping[ProposalId, int],
                 supporters: Mapping[ProposalId, tuple[PlayerId, ...]], satisfaction: Satisfaction,
                 share: Fraction) -> None:
        self.by_id, self.counts, self.supporters, self.share = by_id, counts, supporters, share
        self.left = {v: share for pid in by_id for v in supporters[pid]}
        self.lines = {v: (Fraction(0), Fraction(1)) for v in self.left}
        self.until: Fraction | None = None
        self.picked: dict[ProposalId, tuple[Fraction, Fraction]] = {}  # max payment, effective votes
        self.payments: dict[ProposalId, dict[PlayerId, Fraction]] = {}
        # A proposal that costs nothing takes no one's share: fund it first.
        for p in _ranked(by_id, counts):
            if p.cost == 0 and counts[p.id] > 0:
                self.picked[p.id] = (Fraction(0), Fraction(0))
                self.payments[p.id] = {v: Fraction(0) for v in supporters[p.id]}
        open_ = {pid for pid in by_id if by_id[pid].cost > 0 and counts[pid] > 0}
        u = {pid: Fraction(by_id[pid].cost if satisfaction is Satisfaction.COST else 1) for pid in open_}
        # What a supporter pays per unit of satisfaction can only grow from round to round, so
        # last round's value (and line) bounds this round's: the speed-up equalshares.net describes.
        bound = {pid: (Fraction(by_id[pid].cost, counts[pid]) / u[pid], Fraction(0)) for pid in open_}
        while True:
            best: ProposalId | None = None
            best_key: tuple[Fraction, int, int, int] | None = None
            found: tuple[Fraction, tuple[Fraction, Fraction]] | None = None
            for pid in sorted(open_, key=lambda pid: (self._at(bound[pid]), *_tie_break(by_id[pid], counts))):
                key = (self._at(bound[pid]), *_tie_break(by_id[pid], counts))
                if best_key is not None and key > best_key:
                    break
                split = self._split(pid)
                if split is None:
                    open_.discard(pid)  # the shares only shrink: it stays out of reach
                    continue
                bound[pid] = (split[1][0] / u[pid], split[1][1] / u[pid])
                key = (split[0] / u[pid], *_tie_break(by_id[pid], counts))
                if best_key is None or key < best_key:
                    best, best_key, found = pid, key, split
            if best is None or found is None:
                break
            open_.discard(best)
            for pid in open_:
                self._note(bound[pid][0] - bound[best][0], bound[pid][1] - bound[best][1])
            self._charge(best, *found)

    def _at(self, line: tuple[Fraction, Fraction]) -> Fraction:
        return line[0] + line[1] * self.share

    def _note(self, c: Fraction, k: Fraction) -> None:
        """Keep `until` below the share where the line c + k s, now on one side of 0, reaches it."""
        value = c + k * self.share
        if k != 0 and (value == 0 or (value > 0) != (k > 0)):
            root = -c / k
            self.until = root if self.until is None else min(self.until, root)

    def _split(self, pid: ProposalId) -> tuple[Fraction, tuple[Fraction, Fraction]] | None:
        """The smallest highest payment that splits the cost among its supporters (and its line), or None.

        Split as equally as their purses allow: those who cannot pay an equal part pay all they
        have, the others the same amount (equalshares.net, "How to split project costs equally").
        """
        cost, voters = self.by_id[pid].cost, self.supporters[pid]
        self._note(sum((self.lines[v][0] for v in voters), Fraction(-cost)),
                   sum((self.lines[v][1] for v in voters), Fraction(0)))
        if sum(self.left[v] for v in voters) < cost:
            return None
        paid, payers = Fraction(0), len(voters)
        for purse in sorted(self.left[v] for v in voters):
            payment = (cost - paid) / payers
            if payment <= purse:
                break
            paid, payers = paid + purse, payers - 1
        poor = [v for v in voters if self.left[v] < payment]
        line = ((cost - sum((self.lines[v][0] for v in poor), Fraction(0))) / payers,
                -sum((self.lines[v][1] for v in poor), Fraction(0)) / payers)
        for v in voters:
            self._note(self.lines[v][0] - line[0], self.lines[v][1] - line[1])
        return payment, line

    def _charge(self, pid: ProposalId, payment: Fraction, line: tuple[Fraction, Fraction]) -> None:
        self.picked[pid] = (payment, self.by_id[pid].cost / payment)
        self.payments[pid] = {}
        for v in self.supporters[pid]:
            if self.left[v] < payment:
                self.payments[pid][v], self.left[v], self.lines[v] = self.left[v], Fraction(0), (Fraction(0),) * 2
            else:
                self.payments[pid][v] = payment
                self.left[v] -= payment
                self.lines[v] = (self.lines[v][0] - line[0], self.lines[v][1] - line[1])

    def tally(self, p: Proposal) -> BudgetTally:
        n = self.counts[p.id]
        if p.id in self.picked and p.cost == 0:
            return BudgetTally(p.id, p.cost, n, Outcome.FUNDED, "Funded: it costs nothing.", Fraction(0), None)
        if p.id in self.picked:
            payment, effective = self.picked[p.id]
            amounts = self.payments[p.id].values()
            low = min(amounts)
            paid = f"{_money(payment)} each" if low == payment else f"between {_money(low)} and {_money(payment)}"
            reason = (f"Funded by equal shares: its {_count(n, 'supporter')} paid {paid} "
                      f"(effective vote count {_number(effective)}).")
            return BudgetTally(p.id, p.cost, n, Outcome.FUNDED, reason, payment, effective)
        if n == 0:
            return BudgetTally(p.id, p.cost, n, Outcome.NOT_APPROVED, "Not funded: nobody approved it.")
        purses = sum((self.left[v] for v in self.supporters[p.id]), Fraction(0))
        reason = (f"Not funded: its {_count(n, 'supporter')} had {_money(purses)} of their shares left, "
                  f"and it costs {_money(p.cost)}.")
        return BudgetTally(p.id, p.cost, n, Outcome.UNAFFORDABLE, reason)


def _fill(ranked: Sequence[Proposal], counts: Mapping[ProposalId, int], left: int, winners: list[ProposalId],
          funded: Outcome = Outcome.FUNDED, said: str = "Funded",
          ) -> tuple[list[ProposalId], int, dict[ProposalId, tuple[Outcome, str]]]:
    """Fund, down the ranking, every approved proposal not yet funded that fits in what is left."""
    winners, reasons = list(winners), {}
    for p in ranked:
        if p.id in winners:
            continue
        if counts[p.id] == 0:
            reasons[p.id] = (Outcome.NOT_APPROVED, "Not funded: nobody approved it.")
        elif p.cost <= left:
            left -= p.cost
            winners.append(p.id)
            said_why = f"{_count(counts[p.id], 'approval')}, costs {_money(p.cost)}, {_money(left)} left after it"
            reasons[p.id] = (funded, f"{said}: {said_why}.")
        else:
            why = f"{_count(counts[p.id], 'approval')}, but it costs {_money(p.cost)} and only {_money(left)} was left"
            reasons[p.id] = (Outcome.DOES_NOT_FIT, f"Not funded: {why}.")
    return winners, left, reasons


def _exhaustive(by_id: Mapping[ProposalId, Proposal], counts: Mapping[ProposalId, int],
                picked: Collection[ProposalId], budget: int) -> bool:
    """No proposal left out fits in what is left, or every approved proposal is in already.

    The first is equalshares.net's test (over all proposals, as its code and pabutools have
    it); the second ends the count where theirs would raise the shares without end (theirs
    then end with every approved proposal in, as this does).
    """
    left = budget - sum(by_id[pid].cost for pid in picked)
    rest = [p for pid, p in by_id.items() if pid not in picked]
    return all(p.cost > left for p in rest) or all(counts[p.id] == 0 for p in rest)


def _index(proposals: Sequence[Proposal]) -> dict[ProposalId, Proposal]:
    by_id = {p.id: p for p in proposals}
    if len(by_id) != len(proposals):
        raise ValueError("Two proposals share an id; each proposal needs its own.")
    return by_id


def _check_known(by_id: Mapping[ProposalId, Proposal], voted: Iterable[ProposalId]) -> None:
    unknown = sorted(set(voted) - set(by_id))
    if unknown:
        raise ValueError(f"Ballots name proposals that are not on the ballot paper: {unknown}.")


def _check_money(proposals: Sequence[Proposal], budget: int) -> None:
    if budget < 0 or any(p.cost < 0 for p in proposals):
        raise ValueError("Neither the budget nor a proposal's cost can be negative.")


def _approvals(by_id: Mapping[ProposalId, Proposal], ballots: ApprovalBallots) -> dict[ProposalId, int]:
    _check_known(by_id, (p for ballot in ballots.values() for p in ballot))
    return {pid: sum(1 for ballot in ballots.values() if pid in set(ballot)) for pid in by_id}


def _tie_break(p: Proposal, counts: Mapping[ProposalId, int]) -> tuple[int, int, int]:
    """Cheaper first, then more approvals, then submitted first; a key that sorts ascending."""
    return (p.cost, -counts[p.id], p.id)


def _ranked(by_id: Mapping[ProposalId, Proposal], counts: Mapping[ProposalId, int]) -> list[Proposal]:
    """Most approvals first, then by the tie-break."""
    return sorted(by_id.values(), key=lambda p: (-counts[p.id], *_tie_break(p, counts)))


def _why_first(winner: Proposal, loser: Proposal) -> str:
    if winner.cost != loser.cost:
        return f"costs less ({_money(winner.cost)} against {_money(loser.cost)})"
    return "was submitted earlier"


def _share(quorum: Fraction | float) -> Fraction:
    # Through the decimal text a rule file holds: 0.3 must be 3/10, or 3 voters of 10 miss it.
    share = quorum if isinstance(quorum, Fraction) else Fraction(str(quorum))
    if not 0 <= share <= 1:
        raise ValueError(f"A quorum is a share of the electorate between 0 and 1, not {quorum}.")
    return share


def _percent(share: Fraction) -> str:
    percent = share * 100
    if percent.denominator == 1:
        return f"{percent.numerator}%"
    return f"{math.floor(percent * 10) / 10:.1f}%"  # rounded down: 49.96% must not read as 50%


def _money(amount: Fraction | int) -> str:
    if Fraction(amount).denominator == 1:
        return f"{int(amount):,}"
    return f"{float(amount):,.2f}"


def _number(x: Fraction) -> str:
    return str(x.numerator) if x.denominator == 1 else f"{float(x):.2f}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
