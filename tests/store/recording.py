"""A session recorded as the server records it, without the network, for the store's tests.

    rec = Recorder(EventLog(path), Session("s1", world, code="ABCDEF", rules=bundled("demo")), every=20)
    ada = rec.join("ada")
    rec.edit(ada, p.CloseLink(link=17))     # checked, logged, scheduled
    rec.game(ada, p.Chat(text="hi"))        # staged, logged, committed
    rec.ticks(30)                           # each: advance, save progress, a snapshot every `every`
    rec.hashes[12]                          # the live state hash right after tick 12

The order of calls is the runner's (server/net/runner.py): an order is logged before it
takes effect, the progress and snapshot of a tick are kept before anything else happens.
"""

from __future__ import annotations

import numpy as np

from agora.server import protocol as p
from agora.server.session.players import Player
from agora.server.session.rulesets import bundled
from agora.server.session.session import Order, Session
from agora.server.store.eventlog import EventLog
from agora.server.store.snapshots import take
from agora.server.world.types import LandUse
from agora.server.world.world import World


class Recorder:
    def __init__(self, log: EventLog, session: Session, every: int) -> None:
        self.log, self.session, self.every = log, session, every
        log.open_session(session, session.world.state_hash(), 1.0)
        self.facilitator = session.add_facilitator()
        log.add_player(session.id, self.facilitator, session.last_seq)
        self.hashes: dict[int, str] = {}

    def join(self, name: str) -> Player:
        player = self.session.join(self.session.code, name)
        self.log.add_player(self.session.id, player, self.session.last_seq)
        return player

    def edit(self, player: Player, command: p.Command) -> Order:
        order = self.session.check(player, command)
        self.log.append(self.session.id, order)
        self.session.schedule(order)
        return order

    def game(self, player: Player, command: p.GameCommand) -> Order:
        staged = self.session.stage(player, command)
        self.log.append(self.session.id, staged.order, staged.game.book)
        self.session.commit(staged)
        return staged.order

    def ticks(self, n: int) -> None:
        for _ in range(n):
            self.session.advance()
            self.hashes[self.session.tick] = self.session.state_hash()
            self.log.save_progress(self.session)
            if self.session.tick % self.every == 0:
                self.log.add_snapshot(self.session.id, take(self.session), self.every)


def quiet_streets(world: World) -> list[int]:
    """Two-way local and collector streets (the demo rule set closes only those), one link each."""
    n = world.network
    links = np.flatnonzero((n.twin >= 0) & np.isin(n.road_class, [1, 2]) & (n.twin > np.arange(n.n_links)))
    return [int(link) for link in links]


def record_workshop(log: EventLog, world: World, every: int = 20, ticks: int = 100) -> Recorder:
    """A small workshop on the demo rules with live edits: players close streets, toll a
    road and make a park; they propose, comment, chat and vote; the facilitator adopts a
    proposal and rolls it back. World edits and game commands at about 25 different ticks."""
    rec = Recorder(log, Session("w1", world, code="ABCDEF", rules=bundled("demo"), live_edits=True), every)
    fac = rec.facilitator
    ada, bob = rec.join("ada"), rec.join("bob")
    streets = quiet_streets(world)
    grass = np.argwhere(world.grid.land_use == int(LandUse.GRASS))
    park = [(int(r), int(c)) for r, c in grass[:6]]
    rec.ticks(3)
    rec.game(fac, p.SetPhase(phase="propose"))
    rec.edit(ada, p.CloseLink(link=streets[0]))
    rec.ticks(9)
    rec.game(ada, p.Propose(title="Quiet street", interventions=[p.CloseLink(link=streets[5])], rationale="School"))
    rec.game(bob, p.Comment(proposal=1, text="Deliveries?"))
    rec.edit(bob, p.SetToll(links=[int(world.network.twin[streets[3]]), streets[3]], toll_eur=2.5))
    rec.ticks(14)
    rec.game(bob, p.Propose(title="Park", interventions=[p.MakePark(cells=park)]))
    rec.game(ada, p.Chat(text="Vote soon?"))
    rec.edit(fac, p.ReopenLink(link=streets[0]))
    rec.ticks(11)
    rec.game(fac, p.SetPhase(phase="vote"))
    rec.game(ada, p.Vote(approve=[1, 2]))
    rec.game(bob, p.Vote(approve=[1]))
    rec.ticks(6)
    rec.game(fac, p.CountVotes())
    rec.game(fac, p.SetPhase(phase="adopt"))
    rec.game(fac, p.Adopt(proposal=1))
    rec.ticks(19)
    rec.edit(ada, p.SetToll(links=[streets[8]], toll_eur=1.0))
    rec.game(fac, p.Adopt(proposal=2))
    rec.ticks(15)
    rec.game(fac, p.RollBack(proposal=1))
    rec.game(fac, p.Announce(text="Thank you"))
    rec.ticks(ticks - rec.session.tick)
    return rec
