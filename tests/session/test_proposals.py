from __future__ import annotations

from collections.abc import Callable

import msgspec
import pytest

from agora.server import protocol as p
from agora.server.session.errors import CommandError
from agora.server.session.players import Player, PlayerId, Role
from agora.server.session.proposals import (
    MAX_INTERVENTIONS,
    CommentId,
    ProposalBook,
    ProposalId,
    Status,
    Vote,
)
from agora.server.session.rulesets import Majority, RuleSet, bundled
from agora.server.world import edits
from agora.server.world.types import LandUse, RoadClass
from agora.server.world.world import World

WORKSHOP = bundled("workshop")  # EUR 25 M, Method of Equal Shares
PROPOSE, VOTE = WORKSHOP.phase("propose"), WORKSHOP.phase("vote")
ADA = Player(PlayerId(1), "ada", "t1", Role.PLAYER)
BOB = Player(PlayerId(2), "bob", "t2", Role.PLAYER)
FAY = Player(PlayerId(3), "fay", "t3", Role.FACILITATOR)
# The tiny town (tests/conftest.py): 3x3 nodes 200 m apart, 24 local street links (2k and
# 2k+1 are the two ways of one street), link 24 a footpath; cells west of column 12
# housing, east of it centre.


def refused(call: Callable[[], object]) -> str:
    with pytest.raises(CommandError) as info:
        call()
    assert info.value.message  # every refusal carries a sentence for people
    return info.value.code


def propose(book: ProposalBook, world: World, *interventions: p.Command, who: Player = ADA,
            title: str = "Quiet streets") -> ProposalId:
    return book.propose(world, who, title, "Because.", list(interventions), tick=10, phase=PROPOSE).id


def test_a_proposal_keeps_its_interventions_and_their_cost(tiny_world: World) -> None:
    book = ProposalBook(WORKSHOP)
    view = book.propose(tiny_world, ADA, "  Quiet   streets ", "Children walk here.",
                        [p.CloseLink(link=0), p.SetSpeedLimit(links=[2, 3], speed_kmh=20.0),
                         p.AddBikeLane(links=[4, 5])], tick=12, phase=PROPOSE)
    assert view.status == Status.SUBMITTED and view.author_name == "ada" and view.id == 1
    assert view.version.title == "Quiet streets" and view.version.tick == 12
    # EUR 10,000 a modal filter, EUR 1,000 a link of speed signs, EUR 60 a metre of bike lane.
    assert view.version.costs_eur == (10_000, 2_000, 2 * 200 * 60)
    assert view.version.cost_eur == 36_000
    assert view.reversible is False  # a bike lane has no inverse edit
    assert [h.status for h in view.history] == [Status.DRAFT, Status.SUBMITTED]
    assert not tiny_world.network.closed.any()  # checking a draft changes no world
    assert book.remaining_eur() == 25_000_000


def test_land_use_costs_by_area_and_by_parameter(tiny_world: World) -> None:
    tiny_world.grid.land_use[0:2, 0:2] = LandUse.GRASS
    book = ProposalBook(WORKSHOP)
    park = book.propose(tiny_world, ADA, "Park", "", [p.MakePark(cells=[(0, 0), (0, 1)])], tick=1, phase=PROPOSE)
    assert park.version.cost_eur == 2 * 625 * 150  # EUR 150 a square metre of 25 m cells
    school = book.propose(tiny_world, ADA, "School", "", [p.AddSchool(cells=[(5, 5)], places=200)], tick=1, phase=PROPOSE)
    assert school.version.cost_eur == 200 * 35_000


def test_bad_drafts_are_refused_each_with_its_code(tiny_world: World) -> None:
    book = ProposalBook(WORKSHOP)

    def draft(*interventions: p.Command, title: str = "t", rationale: str = "", phase: object = PROPOSE,
              who: Player = ADA) -> Callable[[], object]:
        return lambda: book.validate_draft(tiny_world, who, title, rationale, list(interventions), phase)  # type: ignore[arg-type]

    close = p.CloseLink(link=0)
    # Off the map: a link or a cell the town does not have.
    assert refused(draft(p.CloseLink(link=999))) == "no_such_link"
    assert refused(draft(p.AddBikeLane(links=[3, -1]))) == "no_such_link"
    assert refused(draft(p.AddSchool(cells=[(24, 3)], places=400))) == "off_the_map"
    # Over budget: a 1,200-place school is EUR 42 M of the EUR 25 M.
    assert refused(draft(p.AddSchool(cells=[(2, 2)], places=1200))) == "over_budget"
    # Parameters outside the catalogue's ranges (the world would take 100 km/h; the workshop not).
    assert refused(draft(p.SetSpeedLimit(links=[0], speed_kmh=100.0))) == "out_of_range"
    assert refused(draft(p.SetSpeedLimit(links=[0], speed_kmh=10.0))) == "out_of_range"
    assert refused(draft(p.AddBusLine(route=[0, 2], headway_min=2.0))) == "out_of_range"
    assert refused(draft(p.SetLanes(links=[0], lanes=2.5))) == "not_whole"  # type: ignore[arg-type]
    assert refused(draft(p.AddRoad(from_node=0, to_node=8, road_class="arterial"))) == "not_a_choice"
    # In the wrong phase: deliberation opens no interventions, and no phase runs before the first.
    assert refused(draft(close, phase=WORKSHOP.phase("deliberate"))) == "wrong_phase"
    assert refused(draft(close, phase=None)) == "wrong_phase"
    book.validate_draft(tiny_world, FAY, "t", "", [close], WORKSHOP.phase("deliberate"))  # the facilitator may
    # Placement: road classes, land uses, how many.
    assert refused(draft(p.SetLanes(links=[0], lanes=2))) == "wrong_road_class"  # lanes: arterials, collectors
    assert refused(draft(p.MakePark(cells=[(0, 0)]))) == "wrong_land_use"  # parks: grass or industry
    assert refused(draft(p.MakePark(cells=[(r, c) for r in range(5) for c in range(13)]))) == "too_many_places"
    assert refused(draft(p.CloseLink(link=24))) == "not_drivable"
    # In order, on a copy: the second close is of the same street.
    assert refused(draft(close, p.CloseLink(link=1))) == "already_closed"
    book.validate_draft(tiny_world, ADA, "t", "", [close, p.ReopenLink(link=1)], PROPOSE)
    # Sizes.
    assert refused(draft()) == "no_interventions"
    assert refused(draft(*[p.SetSpeedLimit(links=[0], speed_kmh=30.0)] * (MAX_INTERVENTIONS + 1))) == "too_many_interventions"
    assert refused(draft(close, title="x" * 121)) == "title_too_long"
    assert refused(draft(close, title="   ")) == "empty_title"
    assert refused(draft(close, rationale="x" * 4001)) == "rationale_too_long"
    book.validate_draft(tiny_world, ADA, "x" * 120, "x" * 4000, [close], PROPOSE)
    # What the rule set does not offer at all.
    demo = ProposalBook(bundled("demo"))
    assert refused(lambda: demo.validate_draft(tiny_world, ADA, "t", "", [p.SetToll(links=[0], toll_eur=1.0)],
                                               PROPOSE)) == "not_in_catalogue"


def rules_with(rules: RuleSet, name: str, **changes: object) -> RuleSet:
    entry = rules.interventions[name]
    placement = msgspec.structs.replace(entry.placement, **changes.pop("placement", {}))  # type: ignore[arg-type]
    entry = msgspec.structs.replace(entry, placement=placement, **changes)
    return msgspec.structs.replace(rules, interventions={**rules.interventions, name: entry})


def test_new_roads_keep_to_their_length_and_to_the_parameters_offered(tiny_world: World) -> None:
    road = p.AddRoad(from_node=0, to_node=8, road_class="local")  # 566 m across the town
    ProposalBook(WORKSHOP).validate_draft(tiny_world, ADA, "t", "", [road], PROPOSE)
    short = ProposalBook(rules_with(WORKSHOP, "add_road", placement={"max_length_m": 300.0}))
    assert refused(lambda: short.validate_draft(tiny_world, ADA, "t", "", [road], PROPOSE)) == "road_too_long"
    parameters = {k: v for k, v in WORKSHOP.interventions["add_road"].parameters.items() if k != "two_way"}
    fixed = ProposalBook(rules_with(WORKSHOP, "add_road", parameters=parameters))
    fixed.validate_draft(tiny_world, ADA, "t", "", [road], PROPOSE)  # the default, two-way
    one_way = p.AddRoad(from_node=0, to_node=8, road_class="local", two_way=False)
    assert refused(lambda: fixed.validate_draft(tiny_world, ADA, "t", "", [one_way], PROPOSE)) == "fixed_parameter"


def test_amend_keeps_every_version_and_only_authors_change_their_proposals(tiny_world: World) -> None:
    book = ProposalBook(WORKSHOP)
    pid = propose(book, tiny_world, p.CloseLink(link=0))
    view = book.amend(tiny_world, ADA, pid, "Quieter streets", "Two now.", [p.CloseLink(link=0), p.CloseLink(link=2)],
                      tick=20, phase=PROPOSE)
    assert [v.number for v in view.versions] == [1, 2] and view.version.cost_eur == 20_000
    assert view.versions[0].interventions == (p.CloseLink(link=0),) and view.versions[1].tick == 20
    assert refused(lambda: book.amend(tiny_world, BOB, pid, "Mine", "", [p.CloseLink(link=4)], tick=21,
                                      phase=PROPOSE)) == "not_author"
    assert refused(lambda: book.withdraw(BOB, pid, tick=21)) == "not_author"
    assert refused(lambda: book.withdraw(ADA, pid, tick=22, reason="x" * 501)) == "reason_too_long"
    view = book.withdraw(ADA, pid, tick=22, reason="  Bob's does it better. ")
    assert view.status == Status.WITHDRAWN and view.history[-1].reason == "Bob's does it better."
    assert refused(lambda: book.withdraw(ADA, pid, tick=23)) == "wrong_status"
    assert refused(lambda: book.amend(tiny_world, ADA, pid, "Back", "", [p.CloseLink(link=0)], tick=23,
                                      phase=PROPOSE)) == "wrong_status"
    assert refused(lambda: book.view(ProposalId(99), ADA)) == "no_such_proposal"


def test_drafts_are_private_until_submitted(tiny_world: World) -> None:
    book = ProposalBook(WORKSHOP)
    pid = book.draft(tiny_world, ADA, "Idea", "", [p.CloseLink(link=0)], tick=1, phase=PROPOSE).id
    assert [v.id for v in book.visible(ADA)] == [pid] and book.visible(BOB) == []
    assert refused(lambda: book.view(pid, BOB)) == "no_such_proposal"
    assert refused(lambda: book.comment(ADA, pid, "hm", tick=2)) == "not_submitted"
    assert refused(lambda: book.vote(BOB, {pid}, tick=2)) == "no_such_proposal"
    assert book.submit(ADA, pid, tick=3).status == Status.SUBMITTED
    assert refused(lambda: book.submit(ADA, pid, tick=4)) == "wrong_status"
    assert [v.id for v in book.visible(BOB)] == [pid]


def test_comments_thread_under_proposals_and_the_chat_keeps_its_order(tiny_world: World) -> None:
    book = ProposalBook(WORKSHOP)
    pid = propose(book, tiny_world, p.CloseLink(link=0))
    first = book.comment(BOB, pid, "Deliveries?", tick=1)
    second = book.comment(FAY, pid, "Time check: five minutes.", tick=2)
    reply = book.comment(ADA, pid, "From the other end.", tick=3, parent=first.id)
    deeper = book.comment(BOB, pid, "Fine by me.", tick=4, parent=reply.id)
    assert [(c.id, depth) for c, depth in book.thread(pid)] == [(first.id, 0), (reply.id, 1), (deeper.id, 2), (second.id, 0)]
    assert book.view(pid, BOB).comments == 4
    other = propose(book, tiny_world, p.CloseLink(link=2))
    assert refused(lambda: book.comment(BOB, other, "x", tick=5, parent=first.id)) == "no_such_comment"
    assert refused(lambda: book.comment(BOB, pid, "x", tick=5, parent=CommentId(99))) == "no_such_comment"
    assert refused(lambda: book.comment(BOB, pid, "x" * 1_000_000, tick=5)) == "comment_too_long"
    assert refused(lambda: book.comment(BOB, pid, " \n ", tick=5)) == "empty_comment"
    assert refused(lambda: book.comment(BOB, ProposalId(42), "x", tick=5)) == "no_such_proposal"
    book.comment(BOB, pid, "x" * 2000, tick=5)
    book.chat(ADA, "hello", tick=6)
    book.announce(FAY, "Voting opens in two minutes.", tick=7)
    assert refused(lambda: book.chat(ADA, "x" * 501, tick=8)) == "chat_too_long"
    assert refused(lambda: book.chat(ADA, "", tick=8)) == "empty_chat"
    assert [(m.seq, m.author_name, m.announcement) for m in book.chat_log] == [(1, "ada", False), (2, "fay", True)]


def test_one_ballot_per_player_on_submitted_proposals_only(tiny_world: World) -> None:
    book = ProposalBook(WORKSHOP)
    quiet = propose(book, tiny_world, p.CloseLink(link=0))
    lanes = propose(book, tiny_world, p.AddBikeLane(links=[4]), who=BOB)
    gone = propose(book, tiny_world, p.CloseLink(link=2))
    book.withdraw(ADA, gone, tick=11)
    assert refused(lambda: book.vote(BOB, {quiet, gone}, tick=12)) == "proposal_withdrawn"
    assert refused(lambda: book.vote(BOB, {quiet: Vote.YES}, tick=12)) == "wrong_ballot"  # approval, not yes/no
    assert refused(lambda: book.vote(BOB, set(), tick=12)) == "empty_ballot"
    assert refused(lambda: book.vote(BOB, {ProposalId(9)}, tick=12)) == "no_such_proposal"
    assert not book.has_voted(BOB)
    book.vote(BOB, {quiet, lanes}, tick=12)
    assert refused(lambda: book.vote(BOB, {quiet}, tick=13)) == "already_voted"
    book.vote(ADA, [quiet], tick=13)
    assert book.approval_ballots() == {ADA.id: {quiet}, BOB.id: {quiet, lanes}}
    assert refused(lambda: book.amend(tiny_world, ADA, quiet, "t", "", [p.CloseLink(link=0)], tick=14,
                                      phase=PROPOSE)) == "has_votes"
    book.withdraw(BOB, lanes, tick=15)  # ballots stay; the count sees the candidates only
    assert book.approval_ballots() == {ADA.id: {quiet}, BOB.id: {quiet}}
    assert [c.id for c in book.candidates()] == [quiet]
    book.adopt(tiny_world, quiet, FAY, tick=16)
    carol = Player(PlayerId(4), "carol", "t4", Role.PLAYER)
    assert refused(lambda: book.vote(carol, {quiet}, tick=17)) == "not_on_ballot"


def test_majority_ballots_say_yes_no_or_abstain(tiny_world: World) -> None:
    book = ProposalBook(msgspec.structs.replace(WORKSHOP, voting=Majority(quorum=0.5)))
    quiet = propose(book, tiny_world, p.CloseLink(link=0))
    slow = propose(book, tiny_world, p.SetSpeedLimit(links=[2], speed_kmh=20.0))
    assert refused(lambda: book.vote(BOB, {quiet}, tick=1)) == "wrong_ballot"
    assert refused(lambda: book.vote(BOB, {quiet: "maybe"}, tick=1)) == "wrong_ballot"
    book.vote(BOB, {slow: Vote.NO, quiet: Vote.YES}, tick=1)
    book.vote(ADA, {quiet: "abstain"}, tick=1)
    assert book.majority_ballots() == {ADA.id: {quiet: Vote.ABSTAIN}, BOB.id: {quiet: Vote.YES, slow: Vote.NO}}


def test_ballots_feed_the_count(tiny_world: World) -> None:
    voting = pytest.importorskip("agora.server.session.voting")
    book = ProposalBook(WORKSHOP)
    quiet = propose(book, tiny_world, p.CloseLink(link=0))
    lanes = propose(book, tiny_world, p.AddBikeLane(links=[4]), who=BOB)
    book.vote(ADA, {quiet}, tick=1)
    book.vote(BOB, {quiet, lanes}, tick=1)
    candidates = [voting.Proposal(c.id, c.version.cost_eur, c.version.title) for c in book.candidates()]
    result = voting.equal_shares(candidates, book.approval_ballots(), book.budget_eur)
    assert set(result.winners) == {quiet, lanes}


def test_adoption_spends_the_budget_and_returns_the_edits_to_apply(tiny_world: World) -> None:
    book = ProposalBook(msgspec.structs.replace(WORKSHOP, budget=msgspec.structs.replace(WORKSHOP.budget, total_eur=25_000)))
    assert refused(lambda: propose(book, tiny_world, *[p.CloseLink(link=k) for k in (0, 2, 4)])) == "over_budget"
    quiet = propose(book, tiny_world, p.CloseLink(link=0))
    also = propose(book, tiny_world, p.CloseLink(link=2), p.CloseLink(link=4), who=BOB)  # EUR 20,000
    other = propose(book, tiny_world, p.CloseLink(link=0), who=BOB, title="Same street")
    assert book.adopt(tiny_world, quiet, FAY, tick=20) == (p.CloseLink(link=0),)
    assert book.view(quiet, ADA).status == Status.ADOPTED and book.remaining_eur() == 15_000
    assert refused(lambda: book.adopt(tiny_world, also, FAY, tick=20)) == "over_budget"
    assert refused(lambda: book.adopt(tiny_world, quiet, FAY, tick=21)) == "wrong_status"
    edits.apply(tiny_world, p.CloseLink(link=0))  # the runner applies it at the next tick
    # The town changed since `other` was drafted: the same street is closed already.
    assert refused(lambda: book.adopt(tiny_world, other, FAY, tick=22)) == "already_closed"
    rejected = book.reject(other, FAY, tick=23, reason="Done already.")
    assert rejected.status == Status.REJECTED and rejected.history[-1].reason == "Done already."
    assert refused(lambda: book.reject(other, FAY, tick=24)) == "wrong_status"
    assert refused(lambda: book.reject(also, FAY, tick=24, reason="x" * 501)) == "reason_too_long"


def test_a_rollback_returns_the_inverse_edits_and_the_town_comes_back(tiny_world: World) -> None:
    before = tiny_world.state_hash()
    book = ProposalBook(WORKSHOP)
    tiny_world.network.road_class[6:8] = RoadClass.COLLECTOR  # tolls and lanes go on bigger roads
    edits.apply(tiny_world, p.SetSpeedLimit(links=[3], speed_kmh=40.0))  # one link differs beforehand
    start = tiny_world.state_hash()
    calm = propose(book, tiny_world, p.CloseLink(link=0), p.SetSpeedLimit(links=[2, 3, 6], speed_kmh=20.0),
                   p.SetToll(links=[6], toll_eur=2.0), p.SetLanes(links=[6, 7], lanes=2))
    assert book.view(calm, ADA).reversible
    for command in book.adopt(tiny_world, calm, FAY, tick=30):
        edits.apply(tiny_world, command)
    assert tiny_world.network.lanes[6] == 2 and tiny_world.network.toll_eur[6] == 2.0
    # EUR 10,000 a filter, 1,000 a link of signs, 50,000 a toll camera, 30 a metre of re-marking.
    assert book.remaining_eur() == 25_000_000 - 10_000 - 3_000 - 50_000 - 30 * 400
    undo = book.roll_back(tiny_world, calm, FAY, tick=40)
    assert undo == (p.SetLanes(links=[6, 7], lanes=1), p.SetToll(links=[6], toll_eur=0.0), p.SetSpeedLimit(links=[2, 6], speed_kmh=30.0),
                    p.SetSpeedLimit(links=[3], speed_kmh=40.0), p.ReopenLink(link=0))
    for command in undo:
        edits.apply(tiny_world, command)
    assert tiny_world.state_hash() == start != before
    view = book.view(calm, ADA)
    assert view.status == Status.ROLLED_BACK and [h.status for h in view.history][-2:] == [Status.ADOPTED, Status.ROLLED_BACK]
    assert book.remaining_eur() == 25_000_000  # what was rolled back no longer counts against the budget
    assert refused(lambda: book.roll_back(tiny_world, calm, FAY, tick=41)) == "wrong_status"


def test_what_cannot_be_undone_or_was_built_upon_is_not_rolled_back(tiny_world: World) -> None:
    book = ProposalBook(WORKSHOP)
    lane = propose(book, tiny_world, p.AddBikeLane(links=[4]))
    first = propose(book, tiny_world, p.SetSpeedLimit(links=[8, 10], speed_kmh=20.0))
    later = propose(book, tiny_world, p.CloseLink(link=10), who=BOB)
    apart = propose(book, tiny_world, p.CloseLink(link=12), who=BOB)
    for pid in (lane, first, later, apart):
        for command in book.adopt(tiny_world, pid, FAY, tick=50):
            edits.apply(tiny_world, command)
    assert refused(lambda: book.roll_back(tiny_world, lane, FAY, tick=60)) == "no_inverse"
    assert refused(lambda: book.roll_back(tiny_world, first, FAY, tick=60)) == "roll_back_later_first"
    for command in book.roll_back(tiny_world, later, FAY, tick=61):
        edits.apply(tiny_world, command)
    book.roll_back(tiny_world, first, FAY, tick=62)  # now nothing adopted after it touches link 10
    # An inverse the town no longer takes (someone reopened the street by hand meanwhile).
    edits.apply(tiny_world, p.ReopenLink(link=12))
    assert refused(lambda: book.roll_back(tiny_world, apart, FAY, tick=63)) == "cannot_roll_back"
