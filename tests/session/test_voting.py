from __future__ import annotations

from fractions import Fraction

import pytest

from agora.server.session.players import PlayerId
from agora.server.session.voting import (
    ApprovalBallots,
    Completion,
    Outcome,
    Proposal,
    ProposalId,
    Satisfaction,
    Vote,
    approval,
    equal_shares,
    greedy_budget,
    majority,
)

Y, N, A = Vote.YES, Vote.NO, Vote.ABSTAIN


def approvals(columns: dict[int, set[int]]) -> ApprovalBallots:
    return {PlayerId(v): {ProposalId(p) for p in chosen} for v, chosen in columns.items()}


def ids(*numbers: int) -> tuple[ProposalId, ...]:
    return tuple(ProposalId(n) for n in numbers)


# equalshares.net, "Explanation of the Method of Equal Shares", Example 1 and 2
# (https://equalshares.net/explanation/#example): 11 voters, a budget of 1100.
PLAYGROUND_TOWN = [
    Proposal(ProposalId(1), 700, "bike path"),
    Proposal(ProposalId(2), 400, "outdoor gym"),
    Proposal(ProposalId(3), 250, "new park"),
    Proposal(ProposalId(4), 200, "new playground"),
    Proposal(ProposalId(5), 100, "library for kids"),
]
EXAMPLE_1 = {1: {1, 2}, 2: {1, 2, 3}, 3: {1, 2}, 4: {1, 2, 3}, 5: {1, 2, 3}, 6: {1, 2},
             7: {3, 4, 5}, 8: {4}, 9: {4, 5}, 10: {3, 4, 5}, 11: {1}}
# Example 2: the right-most voter votes for the outdoor gym instead of the bike path.
EXAMPLE_2 = {**EXAMPLE_1, 11: {2}}


# -- majority with a quorum --

def test_majority_passes_with_more_yes_than_no_and_says_why_others_fail() -> None:
    proposals = [Proposal(ProposalId(i)) for i in (1, 2, 3, 4)]
    ballots = {PlayerId(1): {ProposalId(1): Y, ProposalId(2): N, ProposalId(3): Y, ProposalId(4): A},
               PlayerId(2): {ProposalId(1): Y, ProposalId(2): N, ProposalId(3): N},
               PlayerId(3): {ProposalId(1): N, ProposalId(2): Y, ProposalId(4): A}}
    result = majority(proposals, ballots, electorate=4, quorum=0.5)
    assert result.winners == ids(1)
    assert [(t.yes, t.no, t.abstain, t.outcome) for t in result.tallies] == [
        (2, 1, 0, Outcome.PASSED), (1, 2, 0, Outcome.REJECTED), (1, 1, 1, Outcome.TIED), (0, 0, 3, Outcome.NO_VOTES)]
    assert result.tallies[2].reason == "Not passed, tied: 1 yes, 1 no, 1 abstained; it needs more yes than no."
    assert result.turnout == 3 and result.quorum_met
    assert result.explanation == "3 of 4 voters (75%) took part (50% needed): 1 of 4 proposals passed."


def test_quorum_not_met_decides_nothing_even_a_unanimous_yes() -> None:
    ballots = {PlayerId(v): {ProposalId(1): Y} for v in range(1, 9)}
    result = majority([Proposal(ProposalId(1))], ballots, electorate=20, quorum=0.5)
    assert not result.quorum_met and result.winners == ()
    assert result.tallies[0].outcome is Outcome.QUORUM_NOT_MET and result.tallies[0].yes == 8
    assert result.explanation == "Quorum not met: 8 of 20 voters (40%) took part; 50% needed."


def test_quorum_exactly_met_counts_as_met() -> None:
    ballots = {PlayerId(v): {ProposalId(1): Y if v <= 6 else N} for v in range(1, 11)}
    result = majority([Proposal(ProposalId(1))], ballots, electorate=20, quorum=0.5)
    assert result.quorum_met and result.winners == ids(1)
    # 0.3 as a rule file writes it is 3/10: three voters of ten meet it (in floats 0.3 * 10 > 3).
    three = {PlayerId(v): {ProposalId(1): Y} for v in (1, 2, 3)}
    assert majority([Proposal(ProposalId(1))], three, electorate=10, quorum=0.3).quorum_met
    assert not majority([Proposal(ProposalId(1))], three, electorate=10, quorum=Fraction(1, 3)).quorum_met


def test_majority_when_nobody_voted() -> None:
    result = majority([Proposal(ProposalId(1))], {}, electorate=5)
    assert result.winners == () and result.tallies[0].outcome is Outcome.NO_VOTES
    assert result.explanation == "Nobody voted: no proposal passed."
    quorate = majority([Proposal(ProposalId(1))], {}, electorate=5, quorum=0.2)
    assert quorate.explanation == "Quorum not met: 0 of 5 voters (0%) took part; 20% needed."


def test_majority_refuses_impossible_inputs() -> None:
    with pytest.raises(ValueError, match="electorate"):
        majority([Proposal(ProposalId(1))], {PlayerId(1): {}, PlayerId(2): {}}, electorate=1)
    with pytest.raises(ValueError, match="not on the ballot paper"):
        majority([Proposal(ProposalId(1))], {PlayerId(1): {ProposalId(9): Y}}, electorate=3)
    with pytest.raises(ValueError, match="between 0 and 1"):
        majority([Proposal(ProposalId(1))], {}, electorate=3, quorum=1.5)


# -- approval voting across competing proposals --

def test_the_most_approved_wins_and_the_top_k_in_order() -> None:
    proposals = [Proposal(ProposalId(i), 100) for i in (1, 2, 3)]
    ballots = approvals({1: {1, 2}, 2: {2}, 3: {2, 3}, 4: {3}})
    assert approval(proposals, ballots).winners == ids(2)
    two = approval(proposals, ballots, seats=2)
    assert two.winners == ids(2, 3)
    assert [t.approvals for t in two.tallies] == [3, 2, 1]
    assert two.tallies[2].outcome is Outcome.OUTRANKED
    assert two.explanation == "4 voters took part; chosen: proposal 2 (3 approvals), proposal 3 (2 approvals)."


def test_an_approval_tie_goes_to_the_cheaper_then_the_earlier_proposal() -> None:
    proposals = [Proposal(ProposalId(1), 500, "tram"), Proposal(ProposalId(2), 300, "bus lane"),
                 Proposal(ProposalId(3), 300, "cycle lane")]
    ballots = approvals({1: {1, 2, 3}, 2: {1, 2, 3}})
    result = approval(proposals, ballots)
    assert result.winners == ids(2)
    assert [t.proposal for t in result.tallies] == list(ids(2, 3, 1))
    assert {t.outcome for t in result.tallies[1:]} == {Outcome.LOST_TIE}
    assert result.tallies[1].reason == "Not chosen: tied on 2 approvals with bus lane, which was submitted earlier."
    assert result.tallies[2].reason == ("Not chosen: tied on 2 approvals with bus lane, which costs less "
                                        "(300 against 500).")


def test_a_proposal_nobody_approved_never_wins_even_with_seats_to_spare() -> None:
    proposals = [Proposal(ProposalId(i)) for i in (1, 2, 3)]
    result = approval(proposals, approvals({1: {2}}), seats=3)
    assert result.winners == ids(2)
    assert [t.outcome for t in result.tallies] == [Outcome.CHOSEN, Outcome.NOT_APPROVED, Outcome.NOT_APPROVED]
    nobody = approval(proposals, {}, seats=3)
    assert nobody.winners == () and nobody.explanation == "Nobody voted: no proposal is chosen."


# -- participatory budgets: greedy by approvals --

def test_greedy_on_the_published_example_spends_all_on_the_sports_projects() -> None:
    # equalshares.net: "they would select the bike path (with 7 votes), and then the outdoor gym
    # (with 6 votes), and then stop because the budget is exhausted".
    result = greedy_budget(PLAYGROUND_TOWN, approvals(EXAMPLE_1), 1100)
    assert result.winners == ids(1, 2) and result.spent == 1100 and result.left == 0
    assert {t.outcome for t in result.tallies[2:]} == {Outcome.DOES_NOT_FIT}


def test_greedy_skips_a_popular_project_that_does_not_fit_and_funds_a_cheaper_one() -> None:
    proposals = [Proposal(ProposalId(1), 600), Proposal(ProposalId(2), 500), Proposal(ProposalId(3), 300),
                 Proposal(ProposalId(4), 200), Proposal(ProposalId(5), 50)]
    ballots = approvals({1: {1, 2, 3, 4}, 2: {1, 2, 3, 4}, 3: {1, 2, 3}, 4: {1, 2}, 5: {1}})
    result = greedy_budget(proposals, ballots, 1000)
    assert result.winners == ids(1, 3) and result.spent == 900
    by_id = {t.proposal: t for t in result.tallies}
    assert by_id[ProposalId(2)].outcome is Outcome.DOES_NOT_FIT
    assert by_id[ProposalId(2)].reason == "Not funded: 4 approvals, but it costs 500 and only 400 was left."
    assert by_id[ProposalId(4)].outcome is Outcome.DOES_NOT_FIT  # 100 left after 1 and 3
    assert by_id[ProposalId(5)].outcome is Outcome.NOT_APPROVED  # it would fit; nobody wants it
    assert result.explanation == ("Funded by number of approvals from 5 voters: proposal 1 (5 approvals, 600), "
                                  "proposal 3 (3 approvals, 300); 900 of 1,000 spent.")


def test_greedy_breaks_a_tie_by_cost() -> None:
    proposals = [Proposal(ProposalId(1), 80), Proposal(ProposalId(2), 60)]
    result = greedy_budget(proposals, approvals({1: {1, 2}}), 100)
    assert result.winners == ids(2) and result.spent == 60
    assert greedy_budget(proposals, {}, 100).explanation == "Nobody voted: nothing is funded."


# -- the Method of Equal Shares --

def test_equal_shares_reproduces_equalshares_net_example_1() -> None:
    # "The winning projects are the bike path, the new playground, and the library for kids":
    # the bike path's 7 supporters pay 100 each, the playground's 4 pay 50, the library's 3 pay 33.3.
    result = equal_shares(PLAYGROUND_TOWN, approvals(EXAMPLE_1), 1100, Completion.NONE)
    assert result.winners == ids(1, 4, 5) and result.spent == 1000
    assert result.share == 100
    funded = [(t.proposal, t.effective_votes, t.max_payment) for t in result.tallies if t.outcome is Outcome.FUNDED]
    assert funded == [(ProposalId(1), Fraction(7), Fraction(100)), (ProposalId(4), Fraction(4), Fraction(50)),
                      (ProposalId(5), Fraction(3), Fraction(100, 3))]
    # The remaining budgets the page draws last: 16.7, 50, 16.7, 16.7 for voters 7 to 10, the rest 0.
    left = [result.share - result.paid_by(PlayerId(v)) for v in range(1, 12)]
    third = Fraction(50, 3)
    assert left == [0, 0, 0, 0, 0, 0, third, 50, third, third, 0]
    # The completion cannot add anything: 100 is left and nothing unfunded costs as little.
    assert equal_shares(PLAYGROUND_TOWN, approvals(EXAMPLE_1), 1100).winners == ids(1, 4, 5)


def test_equal_shares_reproduces_equalshares_net_example_2_with_uneven_payments() -> None:
    result = equal_shares(PLAYGROUND_TOWN, approvals(EXAMPLE_2), 1100, Completion.NONE)
    assert result.winners == ids(2, 3, 4) and result.spent == 850
    funded = {t.proposal: t for t in result.tallies if t.outcome is Outcome.FUNDED}
    assert funded[ProposalId(2)].max_payment == Fraction(400, 7)  # "400/7 = 57.14"
    # The page rounds 42.86 left to 43 before it splits the park: 43 and (250 - 3 x 43) / 2 = 60.5
    # each. Exactly, the three pay 300/7 = 42.86 and the two pay 425/7 = 60.71.
    park = [p.amount for p in result.payments if p.proposal == 3]
    assert sorted(park) == [Fraction(300, 7)] * 3 + [Fraction(425, 7)] * 2
    # Effective vote counts, which the page gives cut to one decimal: 4.1 and 3.2.
    assert int(funded[ProposalId(3)].effective_votes * 10) == 41  # type: ignore[operator]
    assert int(funded[ProposalId(4)].effective_votes * 10) == 32  # type: ignore[operator]
    # "none of the remaining projects (in particular the library for kids) can be afforded"
    library = result.tallies[-1]
    assert library.outcome is Outcome.UNAFFORDABLE
    assert library.reason == "Not funded: its 3 supporters had 39.29 of their shares left, and it costs 100."
    for p in PLAYGROUND_TOWN:
        if p.id in result.winners:
            assert sum(x.amount for x in result.payments if x.proposal == p.id) == p.cost


def test_pabutools_approval_example_2_with_both_satisfactions() -> None:
    # pabutools tests/rules/test_rule.py, "Approval example 2", costs and budget x 100:
    # MES with Cost_Sat funds {p0, p2}, with Cardinality_Sat {p0, p1, p3}.
    proposals = [Proposal(ProposalId(i), c) for i, c in enumerate((100, 90, 200, 109))]
    ballots = approvals({1: {0}, 2: {1, 2, 3}, 3: {1, 2, 3}, 4: {2}})
    cost = equal_shares(proposals, ballots, 400, Completion.NONE, Satisfaction.COST)
    assert cost.winners == ids(2, 0)
    cardinality = equal_shares(proposals, ballots, 400, Completion.NONE, Satisfaction.CARDINALITY)
    assert cardinality.winners == ids(1, 3, 0)


def test_a_majority_bloc_cannot_take_the_whole_budget_under_equal_shares() -> None:
    # 6 voters want A1-A3, 4 want B1-B2, each costs 100, the budget 300. Greedy gives the 60% all
    # three; equal shares gives each voter 30: the bloc pays 16.67 each for A1 and cannot afford
    # A2 (6 x 13.33 = 80), while the 4 pay 25 each for B1. The completion raises the shares to
    # 34, where the bloc affords A2 as well: 2 projects for 60% of the voters, 1 for 40%.
    proposals = [Proposal(ProposalId(i), 100) for i in (1, 2, 3, 4, 5)]
    ballots = approvals({v: {1, 2, 3} for v in range(1, 7)} | {v: {4, 5} for v in range(7, 11)})
    assert greedy_budget(proposals, ballots, 300).winners == ids(1, 2, 3)
    plain = equal_shares(proposals, ballots, 300, Completion.NONE)
    assert plain.winners == ids(1, 4) and plain.spent == 200
    completed = equal_shares(proposals, ballots, 300)
    assert completed.winners == ids(1, 2, 4) and completed.spent == 300
    assert completed.share == 30 and completed.virtual_share == 34
    assert completed.paid_by(PlayerId(1)) == Fraction(100, 3) and completed.paid_by(PlayerId(7)) == 25
    assert completed.explanation == (
        "Each of the 10 voters had an equal share of 30 of the budget of 300, raised to 34 to spend more of it "
        "(completion). Funded: proposal 1, proposal 2, proposal 4; 300 of 300 spent.")


def test_the_completion_in_euros_finds_the_first_euro_that_changes_the_outcome() -> None:
    # The bloc case in euros: A2 becomes affordable once 6 (s - 100000/6) >= 100000, at a share
    # of 33333.33, so the first whole euro is 33334. Counting again at each of the 3334 euros
    # in between would give the same; the count jumps the steps where nothing can change.
    proposals = [Proposal(ProposalId(i), 100_000) for i in (1, 2, 3, 4, 5)]
    ballots = approvals({v: {1, 2, 3} for v in range(1, 7)} | {v: {4, 5} for v in range(7, 11)})
    result = equal_shares(proposals, ballots, 300_000)
    assert result.winners == ids(1, 2, 4) and result.virtual_share == 33_334
    assert result.paid_by(PlayerId(7)) == 25_000


def test_the_completion_funds_the_most_approved_that_fits_when_raising_shares_overshoots() -> None:
    # Two voters, 50 each. Each alone wants a project of 60; at a share of 60 both become
    # affordable at once, 120 > 100, so the shares stop at 59 with nothing funded. The
    # utilitarian fill then funds the first of the two (tie: same cost and votes, lower id).
    proposals = [Proposal(ProposalId(1), 60), Proposal(ProposalId(2), 60), Proposal(ProposalId(3), 40)]
    ballots = approvals({1: {1}, 2: {2}})
    add1 = equal_shares(proposals, ballots, 100, Completion.ADD1)
    assert add1.winners == () and add1.virtual_share == 59
    filled = equal_shares(proposals, ballots, 100)
    assert filled.winners == ids(1) and filled.payments == ()
    assert [t.outcome for t in filled.tallies] == [Outcome.FUNDED_BY_COMPLETION, Outcome.UNAFFORDABLE,
                                                   Outcome.NOT_APPROVED]
    assert filled.tallies[0].reason == "Funded from what equal shares left: 1 approval, costs 60, 40 left after it."


def test_equal_shares_edge_cases() -> None:
    proposals = [Proposal(ProposalId(1), 0, "closing a street"), Proposal(ProposalId(2), 100)]
    free = equal_shares(proposals, approvals({1: {1}, 2: {2}}), 100, Completion.NONE)
    assert free.winners == ids(1)  # free, and no one pays for it; 2 needs 100 from a share of 50
    nobody = equal_shares(proposals, {}, 100)
    assert nobody.winners == () and nobody.explanation == "Nobody voted: nothing is funded."
    with pytest.raises(ValueError, match="negative"):
        equal_shares([Proposal(ProposalId(1), -5)], {}, 100)


def test_results_do_not_depend_on_the_order_of_ballots_or_proposals() -> None:
    forward = approvals(EXAMPLE_2)
    backward = dict(reversed(list(forward.items())))
    for count in (greedy_budget, equal_shares):
        assert count(PLAYGROUND_TOWN, forward, 1100) == count(list(reversed(PLAYGROUND_TOWN)), backward, 1100)
    assert approval(PLAYGROUND_TOWN, forward, 2) == approval(PLAYGROUND_TOWN[::-1], backward, 2)
