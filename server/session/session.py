"""A planning session: players, their commands, and the ticks that apply them.

    session = Session("s1", World.load(path), code="K7QF2M")
    ada = session.join("K7QF2M", "ada")
    order = session.check(ada, CloseLink(link=17))   # raises CommandError if refused
    session.schedule(order)                          # after the order is durable in the log
    applied = session.advance()                      # applies it, then simulates one tick

The session does no I/O: the network layer owns the task that calls it, the store keeps
the orders. Replay is the same calls in the same order (see `replay`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np

from agora.server.protocol import Command
from agora.server.session.errors import CommandError
from agora.server.session.players import Player, PlayerId, Role, Roster, new_join_code
from agora.server.world import edits
from agora.server.world.simulation import Simulation
from agora.server.world.world import World


@dataclass(frozen=True)
class Order:
    """An accepted command: who, what, and the tick at whose start it applies."""

    seq: int
    tick: int
    player_id: PlayerId
    player_name: str
    command: Command


@dataclass(frozen=True)
class Applied:
    """An order that took effect at a tick, and the links it touched."""

    order: Order
    change: edits.Change


class Session:
    def __init__(self, session_id: str, world: World, code: str | None = None, seed: int = 0,
                 observer_code: str | None = None) -> None:
        self.id = session_id
        self.code = code or new_join_code()
        self.observer_code = observer_code or new_join_code()
        while self.observer_code == self.code:
            self.observer_code = new_join_code()
        self.seed = seed
        self.world = world
        self.sim = Simulation(world)
        self.roster = Roster()
        self.pending: list[Order] = []
        self.last_seq = 0
        # The world as it will be once every pending order has applied, so that two
        # closes of one street in the same tick are refused like two closes a tick apart.
        self._planned = world.copy()
        # The world as of the last tick, never mutated: what previews start from, read by
        # other threads while the tick thread edits `world`. Its version counts the ticks
        # at which edits applied.
        self.world_version = 0
        self.published = world.copy()

    @property
    def tick(self) -> int:
        return self.sim.tick

    # -- players ---------------------------------------------------------------------

    def join(self, code: str, name: str) -> Player:
        """A player with the players' code, an observer with the observers' code."""
        given = code.strip().upper()
        if given not in (self.code, self.observer_code):
            raise CommandError("bad_code", f"No session has the join code {code!r}; check the code on the facilitator's screen.")
        return self.roster.add(name, Role.PLAYER if given == self.code else Role.OBSERVER)

    def add_facilitator(self, name: str = "facilitator") -> Player:
        """The facilitator joins with the token this returns (a reconnect token), never a code."""
        return self.roster.add(name, Role.FACILITATOR)

    def rejoin(self, token: str) -> Player:
        return self.roster.by_token(token)

    # -- commands --------------------------------------------------------------------

    def links_of(self, link: int) -> list[int]:
        """A street: the link and its opposite twin, if it has one."""
        return edits.street(self.world, link)

    def check(self, player: Player, command: Command) -> Order:
        """Validate a command against the world and the rules; no state changes."""
        if player.role == Role.OBSERVER:
            raise CommandError("not_allowed", "Observers can look at everything but change nothing.")
        try:
            edits.validate(self._planned, command)
        except edits.EditError as exc:
            raise CommandError(exc.code, exc.message) from exc
        return Order(self.last_seq + 1, self.tick + 1, player.id, player.name, command)

    def schedule(self, order: Order) -> None:
        if order.seq != self.last_seq + 1 or order.tick != self.tick + 1:
            raise ValueError(
                f"order {order.seq} for tick {order.tick} is stale: expected seq {self.last_seq + 1}, tick {self.tick + 1}"
            )
        edits.apply(self._planned, order.command)
        self.pending.append(order)
        self.last_seq = order.seq

    def advance(self) -> list[Applied]:
        """Apply the orders due at the next tick, then simulate it. Returns what applied."""
        due, self.pending = self.pending, []
        applied = [Applied(order, edits.apply(self.world, order.command)) for order in due]
        if applied:
            self.sim.refresh()
            self.world_version += 1
            self.published = self.world.copy()
        self.sim.step()
        return applied

    def state_hash(self) -> str:
        return self.sim.state_hash()

    @property
    def closed(self) -> np.ndarray:
        return self.world.network.closed


def replay(session: Session, orders: Iterable[Order], to_tick: int) -> Session:
    """Re-run a session from its initial world and its ordered log up to `to_tick`."""
    queue = sorted(orders, key=lambda o: o.seq)
    i = 0
    while session.tick < to_tick:
        while i < len(queue) and queue[i].tick == session.tick + 1:
            session.schedule(queue[i])
            i += 1
        session.advance()
    return session
