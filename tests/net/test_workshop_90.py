"""The 90-minute workshop at high speed, over real websockets: a facilitator and twenty bots
go through all six phases of rules/rulesets/workshop.toml. They preview drafts (persona
scores), propose from the catalogue (a street closure, bike lanes, a toll, a park, homes,
a bus lane, a slow zone), comment and reply, amend one and withdraw another, and are
refused by code where they overstep; everyone votes by approval and the facilitator counts
by the Method of Equal Shares, adopts the winners and lets the town run: the street closes,
the park is green, the toll moves drivers to other modes. Then the session log, read back
from its SQLite file, holds exactly the commands the server acknowledged, and replays into
a fresh session with the live state hash.

The facilitator drives the phases with AdvancePhase and holds the town's clock (Pause)
while the room talks, as a facilitator does; so the test waits for no phase's minutes
and the simulation runs only while there is something to watch.
"""

from __future__ import annotations

import contextlib
import itertools
import math
from collections.abc import Collection, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from agora.server import protocol as p
from agora.server.net.previews import PreviewService
from agora.server.session import voting
from agora.server.session.players import PlayerId
from agora.server.session.rulesets import EqualShares, bundled
from agora.server.session.session import Session, replay
from agora.server.store.eventlog import EventLog
from agora.server.world.types import LandUse
from agora.server.world.world import World, resolve_world
from tests.conftest import LiveServer, serve_world
from tests.net.workshop_bots import Bot, Minutes, game, phase, preview, refused

RULES = bundled("workshop")
BOTS = 20
PHASES = ["explore", "propose", "deliberate", "vote", "adopt", "debrief"]

# Who approves what, by the labels of the proposals below: residents of the old town (1-5,
# one of whom also wants homes), drivers and would-be tenants (6-12), greens (13-15),
# families (16-18), young commuters (19-20). Housing is the most approved and costs nearly
# the whole budget: equal shares give its thirteen supporters too little to fund it, and
# fund what every group wants instead, the greens' toll included.
BALLOTS: dict[int, set[str]] = {
    **{i: {"closure", "bike", "park"} for i in range(1, 5)},
    5: {"closure", "bike", "park", "housing"},
    **{i: {"housing", "bus"} for i in range(6, 13)},
    **{i: {"toll", "bike", "park"} for i in range(13, 16)},
    **{i: {"housing", "closure", "park"} for i in range(16, 19)},
    **{i: {"housing", "bus", "bike"} for i in range(19, 21)},
}
FUNDED = {"closure", "bike", "toll", "park", "bus"}


@pytest.fixture
def server(tmp_path: Path, previews: PreviewService) -> Iterator[LiveServer]:
    # A tick every 0.4 s at the rule set's pace; the facilitator runs it four times as fast.
    with serve_world(World.load(resolve_world("default")), tmp_path / "agora.db", tick_seconds=0.4,
                     previews=previews, rules=RULES, live_edits=False) as live:
        yield live


def block(land_use: np.ndarray, use: LandUse, rows: int, cols: int) -> list[tuple[int, int]]:
    """The cells of the rows x cols block all of `use` nearest the middle of the map."""
    whole = sliding_window_view(land_use == int(use), (rows, cols)).all(axis=(2, 3))
    found = np.argwhere(whole)
    assert len(found), f"no {rows}x{cols} block of {use.name}"
    middle = (np.array(land_use.shape) - (rows, cols)) / 2.0
    r, c = found[int(np.argmin(((found - middle) ** 2).sum(axis=1)))]
    return [(int(r + i), int(c + j)) for i in range(rows) for j in range(cols)]


@dataclass(frozen=True)
class Places:
    """Where the bots draw their interventions, chosen on the town as the facilitator sees it."""

    street: int  # the busiest two-way collector or local street
    street_links: list[int]  # it and its twin
    toll_links: list[int]
    bus_links: list[int]
    bike_links: list[int]
    slow_links: list[int]
    park_cells: list[tuple[int, int]]  # 4 x 5 cells of grass; the first version of the park takes 4 x 4
    home_cells: list[tuple[int, int]]  # 2 x 3 cells of industry
    n_links: int

    @classmethod
    def of(cls, snap: p.Snapshot, flow: np.ndarray) -> Places:
        net = snap.network
        road = np.array(net.road_class_names)[net.road_class.to_numpy()]
        twin = net.twin.to_numpy()
        [street] = busiest(flow, np.isin(road, ["collector", "local"]) & (twin >= 0), 1)
        street_links = sorted([street, int(twin[street])])
        toll_links = busiest(flow, road == "arterial", 2)
        land_use = snap.grid.land_use.to_numpy()
        return cls(street, street_links, toll_links,
                   bus_links=busiest(flow, road == "arterial", 3, toll_links),
                   bike_links=busiest(flow, road == "collector", 5, street_links),
                   slow_links=busiest(flow, road == "local", 4, street_links),
                   park_cells=block(land_use, LandUse.GRASS, 4, 5),
                   home_cells=block(land_use, LandUse.INDUSTRY, 2, 3), n_links=len(twin))

    def drafts(self) -> dict[str, list[p.Command]]:
        """The interventions of each proposal, by label."""
        west = self.park_cells[0][1]
        return {
            "closure": [p.CloseLink(link=self.street)],
            "bike": [p.AddBikeLane(links=self.bike_links)],
            "toll": [p.SetToll(links=self.toll_links, toll_eur=2.0)],
            "park": [p.MakePark(cells=[(r, c) for r, c in self.park_cells if c < west + 4])],
            "housing": [p.BuildHousing(cells=self.home_cells, residents_per_cell=26)],
            "bus": [p.AddBusLane(links=self.bus_links)],
            "slow": [p.SetSpeedLimit(links=self.slow_links, speed_kmh=20.0)],
        }

    def assert_built(self, world: p.Snapshot) -> None:
        """The adopted proposals are in the town, the rejected and withdrawn ones are not."""
        grid, net = world.grid, world.network
        use = np.array(grid.land_use_names)[grid.land_use.to_numpy()]
        assert all(use[cell] == "park" and grid.residents.to_numpy()[cell] == 0.0 for cell in self.park_cells)
        assert all(use[cell] == "industry" for cell in self.home_cells), "the rejected homes are not built"
        assert world.closed.to_numpy()[self.street_links].all()
        assert net.bike_lane.to_numpy()[self.bike_links].all()
        assert (net.toll_eur.to_numpy()[self.toll_links] == 2.0).all()
        assert net.bus_lane.to_numpy()[self.bus_links].all() and (net.lanes.to_numpy()[self.bus_links] == 1).all()
        assert (net.speed_kmh.to_numpy()[self.slow_links] != 20.0).all(), "the withdrawn slow zone changed nothing"


def comments(g: p.Game, proposal: int) -> list[p.CommentInfo]:
    return next(q.comments for q in g.proposals if q.id == proposal)


def busiest(flow: np.ndarray, where: np.ndarray, n: int, but: Collection[int] = ()) -> list[int]:
    ranked = [int(link) for link in np.argsort(-np.where(where, flow, -1.0), kind="stable") if where[link]]
    return [link for link in ranked if link not in but][:n]


@pytest.mark.timeout(300)
def test_a_ninety_minute_workshop_with_twenty_bots(server: LiveServer) -> None:
    minutes = Minutes()
    with contextlib.ExitStack() as stack:
        fac = Bot.enter(stack, server, token=server.facilitator_token)
        bots = [Bot.enter(stack, server, code=server.code, name=f"bot{i:02}") for i in range(1, BOTS + 1)]
        bot = {i: b for i, b in enumerate(bots, 1)}
        assert fac.role == "facilitator" and {b.role for b in bots} == {"player"}
        assert [b.id for b in bots] == list(range(2, BOTS + 2))
        start = game(fac, lambda g: len(g.players) == BOTS + 1)
        assert (start.rules, start.voting, start.phase.state) == ("workshop", "pb_equal_shares", "waiting")
        assert start.budget_eur == 25_000_000 and start.phase.count == len(PHASES)
        assert refused(bot[1], p.AdvancePhase()) == "not_allowed"

        def advance(name: str) -> None:
            minutes.accepted(fac, p.AdvancePhase())
            for who in (fac, *bots):
                assert game(who, phase(name)).phase.opens == list(RULES.phase(name).commands)

        minutes.accepted(fac, p.SetSpeed(speed=4.0))
        assert game(fac, lambda g: g.phase.speed == 4.0)
        advance("explore")
        fac.ticks(2)
        assert fac.flow is not None and fac.snapshot is not None

        here = Places.of(fac.snapshot, fac.flow)
        drafts = here.drafts()
        larger_park: list[p.Command] = [p.MakePark(cells=here.park_cells)]
        street, street_links, toll_links = here.street, here.street_links, here.toll_links

        # The town's clock stands still while the room talks; the phases go on.
        minutes.accepted(fac, p.Pause())
        game(fac, lambda g: g.phase.state == "paused")
        assert fac.tick == server.runner.session.tick, "every tick before the pause has reached the facilitator"
        before = fac.indicators
        assert before is not None and before.vehicle_hours > 0

        # -- explore: previews, with whom each draft helps and hurts ---------------------
        for request, (i, label) in enumerate([(1, "closure"), (3, "toll"), (4, "park")], 1):
            bot[i].send(p.PreviewDraft(request=request, interventions=drafts[label]))
        bot[5].send(p.PreviewDraft(request=4, interventions=[p.CloseLink(link=here.n_links + 5)]))
        assert refused(bot[2], p.Propose(title="Too early", interventions=drafts["bike"])) == "wrong_phase"
        shown = {label: preview(bot[i], request) for request, (i, label) in enumerate([(1, "closure"), (3, "toll"), (4, "park")], 1)}
        for label, answered in shown.items():
            assert isinstance(answered, p.Preview), f"{label}: {answered}"
            assert set(answered.persona_scores) == set(RULES.personas), label
            assert all(math.isfinite(score) for score in answered.persona_scores.values())
        closure, toll = shown["closure"], shown["toll"]
        assert isinstance(closure, p.Preview) and isinstance(toll, p.Preview)
        delta = dict(zip(closure.link.to_numpy().tolist(), closure.flow_delta_veh_h.to_numpy().tolist(), strict=True))
        assert delta[street] < 0.0, "the closed street loses its cars"
        assert toll.indicators_after["vehicle_hours"] < toll.indicators_before["vehicle_hours"]
        assert toll.mode_share_after[0] < toll.mode_share_before[0], "the toll moves drivers to other modes"
        bad = preview(bot[5], 4)
        assert isinstance(bad, p.Error) and bad.code == "no_such_link"

        # -- propose: six proposals, a draft submitted later, refusals by code -----------
        advance("propose")
        titles = {"closure": "Quiet school street", "bike": "Bike lanes on the collectors",
                  "toll": "A toll on the main road", "park": "A park in the middle",
                  "housing": "Homes on the old works", "bus": "A bus lane", "slow": "Twenty in the side streets"}
        authors = {"closure": 1, "bike": 2, "toll": 3, "park": 4, "housing": 5, "bus": 6, "slow": 7}
        for label in ("closure", "bike", "toll", "park", "housing"):
            minutes.accepted(bot[authors[label]], p.Propose(title=titles[label], rationale=f"Why {label}: see the preview.",
                                                            interventions=drafts[label]))
        minutes.accepted(bot[6], p.Propose(title=titles["bus"], interventions=drafts["bus"], draft=True))
        [bus_draft] = [q for q in game(bot[6], lambda g: len(g.proposals) == 6).proposals if q.status == "draft"]
        minutes.accepted(bot[7], p.Propose(title=titles["slow"], interventions=drafts["slow"]))
        others = game(bot[7], lambda g: any(q.versions[0].title == titles["slow"] for q in g.proposals))
        assert len(others.proposals) == 6 and bus_draft.id not in [q.id for q in others.proposals], "drafts are private"
        minutes.accepted(bot[6], p.Submit(proposal=bus_draft.id))
        land_use = fac.snapshot.grid.land_use.to_numpy()
        every_home = [(int(r), int(c)) for r, c in np.argwhere(land_use == int(LandUse.INDUSTRY))[:16]]
        assert refused(bot[8], p.Propose(title="Homes everywhere", interventions=[
            p.BuildHousing(cells=every_home, residents_per_cell=40)])) == "over_budget"
        assert refused(bot[9], p.Propose(title="Close the main road", interventions=[
            p.CloseLink(link=toll_links[0])])) == "wrong_road_class"
        assert refused(bot[10], p.Propose(title="A steep toll", interventions=[
            p.SetToll(links=toll_links, toll_eur=10.0)])) == "out_of_range"
        seen = game(fac, lambda g: len(g.proposals) == 7 and all(q.status == "submitted" for q in g.proposals))
        pid = {label: next(q.id for q in seen.proposals if q.versions[0].title == titles[label]) for label in titles}
        assert sorted(pid.values()) == list(range(1, 8))

        minutes.accepted(bot[11], p.Comment(proposal=pid["closure"], text="What about deliveries to the bakery?"))
        minutes.accepted(bot[12], p.Comment(proposal=pid["housing"], text="Who will live there?"))
        talk = game(bot[1], lambda g: sum(len(q.comments) for q in g.proposals) == 2)
        asked = {q.id: q.comments[0].id for q in talk.proposals if q.comments}
        minutes.accepted(bot[1], p.Comment(proposal=pid["closure"], text="Before eight and after six.",
                                           parent=asked[pid["closure"]]))
        minutes.accepted(bot[5], p.Comment(proposal=pid["housing"], text="Families on the waiting list.",
                                           parent=asked[pid["housing"]]))
        minutes.accepted(bot[13], p.Comment(proposal=pid["park"], text="Could it be larger?"))
        assert refused(bot[11], p.Amend(proposal=pid["park"], title="Mine now", interventions=larger_park)) == "not_author"
        minutes.accepted(bot[4], p.Amend(proposal=pid["park"], title="A larger park in the middle",
                                         rationale="Four more cells, as asked.", interventions=larger_park))
        minutes.accepted(bot[14], p.Chat(text="Can we see the noise map?"))
        minutes.accepted(fac, p.Announce(text="Deliberation next: read each other's proposals."))
        seen = game(fac, lambda g: any(len(q.versions) == 2 for q in g.proposals) and len(g.chat) == 2)
        park = next(q for q in seen.proposals if q.id == pid["park"])
        assert [v.title for v in park.versions] == [titles["park"], "A larger park in the middle"]
        assert [v.cost_eur for v in park.versions] == [16 * 150 * 625, 20 * 150 * 625]
        threads = {q.id: [(c.author, c.depth) for c in q.comments] for q in seen.proposals}
        assert threads[pid["closure"]] == [("bot11", 0), ("bot01", 1)]
        assert threads[pid["housing"]] == [("bot12", 0), ("bot05", 1)]
        assert seen.chat[-1].announcement and seen.chat[0].author == "bot14"

        # -- deliberate: talk, a withdrawal; amending is over ------------------------------
        advance("deliberate")
        minutes.accepted(bot[7], p.Withdraw(proposal=pid["slow"]))
        minutes.accepted(bot[15], p.Comment(proposal=pid["toll"], text="Does the toll pay for the buses?"))
        asked_toll = comments(game(bot[3], lambda g: bool(comments(g, pid["toll"]))), pid["toll"])[0]
        minutes.accepted(bot[3], p.Comment(proposal=pid["toll"], text="It pays for the cameras.", parent=asked_toll.id))
        assert refused(bot[4], p.Amend(proposal=pid["park"], title="Smaller", interventions=drafts["park"])) == "wrong_phase"
        assert refused(bot[16], p.Propose(title="Late", interventions=drafts["slow"])) == "wrong_phase"

        # -- vote: twenty ballots at once, one twice; the facilitator counts --------------
        advance("vote")
        assert refused(bot[7], p.Vote(approve=[pid["slow"]])) == "proposal_withdrawn"
        assert refused(bot[1], p.CountVotes()) == "not_allowed"
        ballots = {i: sorted(pid[label] for label in BALLOTS[i]) for i in bot}
        with ThreadPoolExecutor(BOTS) as pool:
            list(pool.map(lambda i: minutes.accepted(bot[i], p.Vote(approve=ballots[i])), bot))
        assert refused(bot[2], p.Vote(approve=[pid["toll"]])) == "already_voted"
        assert game(bot[2], lambda g: g.voted).voted
        minutes.accepted(fac, p.CountVotes())
        results: list[p.VoteResult] = []
        for who in (fac, *bots):
            message = who.wait_for(lambda m: isinstance(m, p.VoteResult))
            assert isinstance(message, p.VoteResult)
            results.append(message)
        result = results[0]
        assert all(r == result for r in results), "everyone hears the same count"

        # The expectation, from the same ballots and the proposals' latest costs.
        on_ballot = [q for q in game(fac, lambda g: True).proposals if q.status == "submitted"]
        cost = {q.id: q.versions[-1].cost_eur for q in on_ballot}
        method = RULES.voting
        assert isinstance(method, EqualShares)
        expected = voting.equal_shares(
            [voting.Proposal(voting.ProposalId(q), c) for q, c in cost.items()],
            {PlayerId(b.id): frozenset(voting.ProposalId(q) for q in ballots[i]) for i, b in bot.items()},
            round(RULES.budget.total_eur), voting.Completion(method.completion),
            voting.Satisfaction(method.satisfaction), round(method.completion_step_eur))
        assert result.method == "pb_equal_shares" and result.voters == BOTS
        assert result.winners == [int(w) for w in expected.winners]
        assert {label for label, q in pid.items() if q in result.winners} == FUNDED
        tally = {t.proposal: t for t in result.tallies}
        assert tally[pid["housing"]].outcome == "unaffordable"
        assert tally[pid["housing"]].approvals == max(t.approvals for t in result.tallies) == 13
        assert pid["slow"] not in tally, "a withdrawn proposal is not on the ballot"
        assert result.spent_eur == sum(cost[q] for q in result.winners) == expected.spent
        assert expected.share == Fraction(25_000_000, BOTS)

        # -- adopt: the facilitator previews the package, adopts the winners -------------
        advance("adopt")
        package = [c for q in result.winners for c in next(x for x in on_ballot if x.id == q).versions[-1].interventions]
        fac.send(p.PreviewDraft(request=99, interventions=package))
        foreseen = preview(fac, 99)
        assert isinstance(foreseen, p.Preview)
        for q in result.winners:
            minutes.accepted(fac, p.Adopt(proposal=q))
        minutes.accepted(fac, p.Reject(proposal=pid["housing"], reason="Not funded by the count."))
        assert refused(fac, p.Adopt(proposal=result.winners[0])) == "wrong_status"
        decided = game(fac, lambda g: g.spent_eur > 0 and all(q.status != "submitted" for q in g.proposals))
        assert decided.spent_eur == result.spent_eur == sum(cost[q] for q in result.winners)
        assert {q.id: q.status for q in decided.proposals} == {
            **{pid[label]: "adopted" for label in FUNDED}, pid["housing"]: "rejected", pid["slow"]: "withdrawn"}

        # The town runs again: the adopted edits apply at the next tick, in the order adopted.
        watcher = bot[20]
        resumed = minutes.accepted(fac, p.Resume())
        events: list[p.Event] = []
        while len(events) < len(package):
            event = watcher.wait_for(lambda m: isinstance(m, p.Event))
            assert isinstance(event, p.Event)
            events.append(event)
        assert [e.command for e in events] == [p.tag_of(c) for c in package]
        assert {e.tick for e in events} == {resumed.applies_at_tick + 1} and {e.player for e in events} == {"facilitator"}
        rebuilt = watcher.wait_for(lambda m: isinstance(m, p.Resync))  # lanes, tolls, a park: the world afresh
        assert isinstance(rebuilt, p.Resync)
        watcher.ticks(2)
        after = watcher.indicators
        assert watcher.flow is not None and after is not None and watcher.snapshot is not None
        here.assert_built(watcher.snapshot)
        assert watcher.closed == street_links and watcher.flow[street_links].sum() == 0.0, "the closed street carries no cars"
        # What the preview foresaw, the town does: fewer vehicle-hours, fewer trips by car
        # (both counted within one hour of the demand's day, so only the adoption moved them).
        assert math.floor(before.clock_hour) == math.floor(after.clock_hour)
        assert foreseen.indicators_after["vehicle_hours"] < foreseen.indicators_before["vehicle_hours"]
        assert after.vehicle_hours < before.vehicle_hours
        assert after.mode_share[0] < before.mode_share[0]

        # -- debrief: a last word, then the clock stops for the record -------------------
        advance("debrief")
        minutes.accepted(bot[8], p.Comment(proposal=pid["park"], text="The park was worth it."))
        minutes.accepted(bot[16], p.Comment(proposal=pid["housing"], text="Next year, the homes."))
        minutes.accepted(fac, p.Pause())
        paused = game(fac, lambda g: g.phase.state == "paused")
        with pytest.raises(TimeoutError):
            fac.wait_for(lambda m: isinstance(m, p.Delta), timeout=0.5)
        runner = server.runner
        tick = runner.session.tick
        assert paused.tick == tick == fac.tick
        live_hash = runner.session.state_hash()

        # -- the record: the log holds exactly what was acknowledged, and replays ---------
        log = EventLog(server.eventlog_path)
        try:
            orders, players = log.orders(runner.session.id), log.players(runner.session.id)
        finally:
            log.close()
        assert [(o.seq, o.player_name, o.command) for o in orders] == minutes.in_order()
        assert [o.seq for o in orders] == list(range(1, len(orders) + 1)), "nothing was logged but what was acknowledged"
        # The script, phase by phase: the kinds of its commands and how many of each in a row.
        runs = [(kind, len(list(group))) for kind, group in itertools.groupby(p.tag_of(o.command) for o in orders)]
        assert runs == [
            ("set_speed", 1), ("advance_phase", 1), ("pause", 1),  # waiting, explore (previews are not orders)
            ("advance_phase", 1), ("propose", 7), ("submit", 1), ("comment", 5), ("amend", 1), ("chat", 1),
            ("announce", 1),  # propose
            ("advance_phase", 1), ("withdraw", 1), ("comment", 2),  # deliberate
            ("advance_phase", 1), ("vote", BOTS), ("count_votes", 1),  # vote
            ("advance_phase", 1), ("adopt", len(FUNDED)), ("reject", 1), ("resume", 1),  # adopt
            ("advance_phase", 1), ("comment", 2), ("pause", 1),  # debrief
        ]
        assert all(not o.is_edit for o in orders), "an adoption's edits are derived, not logged"
        assert [(j.name, j.role.value) for j in players] == [("facilitator", "facilitator")] + [
            (f"bot{i:02}", "player") for i in range(1, BOTS + 1)]
        fresh = Session(runner.session.id, World.load(resolve_world("default")), code="TESTME", rules=RULES,
                        live_edits=False)
        again = replay(fresh, orders, to_tick=tick, players=players)
        assert again.tick == tick
        assert again.game.state_hash() == runner.session.game.state_hash()
        assert again.state_hash() == live_hash

        # The workshop ends; nothing more is open to the players.
        minutes.accepted(fac, p.AdvancePhase())
        assert game(bot[1], lambda g: g.phase.state == "finished").phase.name == ""
        assert refused(bot[1], p.Comment(proposal=pid["park"], text="One more thing")) == "wrong_phase"
