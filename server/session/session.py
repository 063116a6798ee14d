"""A planning session: players, their commands, and the ticks that apply them.

    session = Session("s1", World.load(path), code="K7QF2M", rules=bundled("demo"))
    ada = session.join("K7QF2M", "ada")
    order = session.check(ada, CloseLink(link=17))   # a world edit; raises CommandError if refused
    session.schedule(order)                          # after the order is durable in the log
    staged = session.stage(ada, Chat(text="hi"))     # a game command, performed on a copy
    session.commit(staged)                           # after it is durable in the log
    applied = session.advance()                      # applies due edits, then simulates one tick

World edits apply at the next tick; game commands (game.py) at once, at the current tick,
and the edits an adoption or a rollback returns at the next tick. The session does no I/O:
the network layer owns the task that calls it, the store keeps the orders. Replay is the
same calls in the same order (see `Replay`); from a snapshot it is the same orders with the
ticks before the snapshot only applied to the town (`skip`), then the snapshot's
simulation arrays loaded (`restore`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

import numpy as np

from agora.server import protocol as p
from agora.server.protocol import Command
from agora.server.session.errors import CommandError
from agora.server.session.game import TIMER, Game, Outcome
from agora.server.session.players import Player, PlayerId, Role, Roster, new_join_code
from agora.server.session.rulesets import RuleSet, bundled
from agora.server.world import edits
from agora.server.world.simulation import Simulation, world_board
from agora.server.world.world import World


@dataclass(frozen=True)
class Order:
    """An accepted command: who, what, and when: a world edit at the start of `tick`, a game
    command at once after `tick` (between it and the next). The edits an adoption makes are
    orders of their own under the adoption's seq, never logged (replay derives them)."""

    seq: int
    tick: int
    player_id: PlayerId
    player_name: str
    command: p.Logged

    @property
    def is_edit(self) -> bool:
        return not isinstance(self.command, p.GameCommand)


@dataclass(frozen=True)
class Staged:
    """A game command performed on a copy of the game: commit() it once it is logged."""

    order: Order
    game: Game
    outcome: Outcome


@dataclass(frozen=True)
class Applied:
    """An order that took effect at a tick, and the links it touched."""

    order: Order
    change: edits.Change


class Session:
    def __init__(self, session_id: str, world: World, code: str | None = None, seed: int = 0,
                 observer_code: str | None = None, rules: RuleSet | None = None, live_edits: bool = True) -> None:
        """`live_edits`: players may change the town directly with world edits, outside any
        proposal (a sandbox); without it only the facilitator may, and players propose."""
        self.id = session_id
        self.code = code or new_join_code()
        self.observer_code = observer_code or new_join_code()
        while self.observer_code == self.code:
            self.observer_code = new_join_code()
        self.seed = seed
        self.world = world
        self.rules = rules or bundled("workshop")
        self.live_edits = live_edits
        self.game = Game(self.rules)
        self.sim = Simulation(world, self.rules.clock.start_hour, self.rules.clock.minutes_per_tick)
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
        """A player with the players' code (while a seat is free: rules.max_players), an
        observer with the observers' code."""
        given = code.strip().upper()
        if given not in (self.code, self.observer_code):
            raise CommandError("bad_code", f"No session has the join code {code!r}; check the code on the facilitator's screen.")
        if given == self.code and self.is_full:
            raise CommandError("session_full", f"This session is full: all its player seats are taken ({self.players_joined} "
                               f"of {self.rules.max_players}). Ask the facilitator, or join with the observers' code to watch.")
        return self.roster.add(name, Role.PLAYER if given == self.code else Role.OBSERVER)

    @property
    def players_joined(self) -> int:
        """Players holding a seat: everyone who joined with the players' code, connected or not
        (a seat is kept for its token)."""
        return sum(1 for player in self.roster if player.role == Role.PLAYER)

    @property
    def is_full(self) -> bool:
        return self.players_joined >= self.rules.max_players

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
        """Validate a world edit against the player's role and the world; no state changes."""
        self.game.check_edit(player, command, live_edits=self.live_edits)
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
        assert not isinstance(order.command, p.GameCommand)
        edits.apply(self._planned, order.command)
        self.pending.append(order)
        self.last_seq = order.seq

    def player(self, player_id: PlayerId) -> Player:
        """A logged order's player (TIMER for a phase the timer ended)."""
        return TIMER if player_id == TIMER.id else self.roster.get(player_id)

    def stage(self, player: Player, command: p.GameCommand) -> Staged:
        """Perform a game command on a copy of the game; raises CommandError if refused.
        Nothing changes until commit()."""
        game = self.game.copy()
        outcome = game.perform(player, command, tick=self.tick, world=self._planned, roster=self.roster)
        return Staged(Order(self.last_seq + 1, self.tick, player.id, player.name, command), game, outcome)

    def commit(self, staged: Staged) -> Outcome:
        """Keep a staged game command (after it is durable in the log): the game moves on, and
        the edits an adoption or a rollback returned are scheduled for the next tick."""
        order = staged.order
        if order.seq != self.last_seq + 1 or order.tick != self.tick:
            raise ValueError(
                f"game order {order.seq} at tick {order.tick} is stale: expected seq {self.last_seq + 1}, tick {self.tick}"
            )
        self.game = staged.game
        return self._kept(order, staged.outcome)

    def perform_logged(self, order: Order) -> Outcome:
        """A logged game command, performed on the game itself (no copy: for replays, where a
        refusal means the log does not replay and the session is given up)."""
        if order.seq != self.last_seq + 1 or order.tick != self.tick:
            raise ValueError(
                f"game order {order.seq} at tick {order.tick} is stale: expected seq {self.last_seq + 1}, tick {self.tick}"
            )
        assert isinstance(order.command, p.GameCommand)
        outcome = self.game.perform(self.player(order.player_id), order.command, tick=self.tick,
                                    world=self._planned, roster=self.roster)
        return self._kept(order, outcome)

    def _kept(self, order: Order, outcome: Outcome) -> Outcome:
        for command in outcome.world_commands:
            edits.apply(self._planned, command)
            self.pending.append(Order(order.seq, self.tick + 1, order.player_id, order.player_name, command))
        self.last_seq = order.seq
        return outcome

    def advance(self) -> list[Applied]:
        """Apply the orders due at the next tick, then simulate it. Returns what applied."""
        due, self.pending = self.pending, []
        applied = [Applied(order, edits.apply(self.world, order.command)) for order in due
                   if not isinstance(order.command, p.GameCommand)]
        if applied:
            self.sim.refresh()
            self.world_version += 1
            self.published = self.world.copy()
        self.sim.step()
        return applied

    def skip(self) -> list[Applied]:
        """As advance, without simulating the tick: the orders due change the town and the
        clock moves on. Only for catching up with a snapshot, whose simulation arrays
        `restore` loads once its tick is reached."""
        due, self.pending = self.pending, []
        applied = [Applied(order, edits.apply(self.world, order.command)) for order in due
                   if not isinstance(order.command, p.GameCommand)]
        if applied:
            self.world_version += 1
        self.sim.tick += 1
        return applied

    def sim_arrays(self) -> dict[str, np.ndarray]:
        """What the simulation keeps beyond the world's own arrays: every module's state (and
        the hour of the last tick). With the world, everything the next tick goes on from."""
        from_world = world_board(self.world)
        return {name: array for name, array in self.sim.board.items() if name not in from_world}

    def restore(self, arrays: Mapping[str, np.ndarray]) -> None:
        """Load a snapshot's `sim_arrays`, the town being as it was at the snapshot's tick
        (brought there by `skip`): the next advance goes on exactly as the live session did."""
        self.sim.refresh()
        self.sim.board.update(arrays)
        self.published = self.world.copy()

    def state_hash(self) -> str:
        """The town and the simulation, and the game (game.Game.state_hash) beside them."""
        both = f"{self.sim.state_hash()}:{self.game.state_hash()}"
        return hashlib.sha256(both.encode()).hexdigest()

    @property
    def closed(self) -> np.ndarray:
        return self.world.network.closed


@dataclass(frozen=True)
class Joined:
    """A player as the log keeps them: who, their reconnect token (empty in logs from before
    tokens were kept), and how many orders were logged before they joined."""

    id: PlayerId
    name: str
    role: Role
    after_seq: int = 0
    token: str = ""


@dataclass(frozen=True)
class SimState:
    """A snapshot's simulation arrays (Session.sim_arrays) at the end of its tick."""

    tick: int
    arrays: Mapping[str, np.ndarray]


class ReplayError(ValueError):
    """The log does not replay: an order is refused, or an edit fails at its tick (the log was
    altered, or the code that made it differs). Names the tick and, if known, the order."""

    def __init__(self, tick: int, message: str, order: Order | None = None) -> None:
        where = f"tick {tick}"
        if order is not None:
            where += f", order {order.seq} ({p.tag_of(order.command)} at tick {order.tick} by {order.player_name})"
        super().__init__(f"the log does not replay at {where}: {message}")
        self.tick = tick
        self.order = order


class Replay:
    """A session re-run from its initial world and its ordered log, forward in steps.

        again = Replay(Session(...), log.orders(sid), log.players(sid))
        again.run_to(60)             # tick 60, and the game commands logged after it
        again.run_to(120, seq=41)    # on to tick 120, with the orders up to seq 41 only

    `players` rebuild the roster, each before the first order logged after they joined (their
    ids must come out the same). From a snapshot (`start`), the ticks before it only apply
    the orders to the town (Session.skip) and its tick loads the simulation's arrays.
    `each_tick(session)` is called after every tick simulated or loaded, before the game
    commands logged after it: where the live server took its snapshots.
    """

    def __init__(self, session: Session, orders: Iterable[Order], players: Iterable[Joined] = (), *,
                 start: SimState | None = None, each_tick: Callable[[Session], None] | None = None) -> None:
        self.session = session
        self._queue = sorted(orders, key=lambda o: o.seq)
        self._joins = sorted(players, key=lambda j: j.id)
        self._i = self._j = 0
        self._start = start
        self._each_tick = each_tick

    def run_to(self, tick: int, seq: int | None = None) -> Session:
        """Replay on to `tick` (and the game commands logged after it), applying the orders
        up to `seq` only if given. Raises ReplayError if an order does not replay."""
        session = self.session
        if tick < session.tick:
            raise ValueError(f"a replay runs forward: it is at tick {session.tick}, not before {tick}")
        while True:
            while self._due(seq):
                self._apply(self._queue[self._i])
                self._i += 1
            if session.tick >= tick:
                break
            self._step()
        while self._j < len(self._joins) and (seq is None or self._joins[self._j].after_seq <= seq):
            self._rejoin()
        return session

    def _due(self, seq: int | None) -> bool:
        if self._i >= len(self._queue):
            return False
        order = self._queue[self._i]
        if seq is not None and order.seq > seq:
            return False
        # An edit logged for a tick already past is due too, so that schedule() refuses it
        # rather than the replay passing over it and every order after it.
        return order.tick <= self.session.tick + 1 if order.is_edit else order.tick <= self.session.tick

    def _apply(self, order: Order) -> None:
        session = self.session
        while self._j < len(self._joins) and self._joins[self._j].after_seq < order.seq:
            self._rejoin()
        try:
            if order.is_edit:
                session.schedule(order)
            else:
                session.perform_logged(order)
        except CommandError as exc:
            raise ReplayError(session.tick, f"refused ({exc.code}): {exc.message}", order) from exc
        except (ValueError, KeyError) as exc:  # an edit refused (EditError has a code) or an unknown player
            code = getattr(exc, "code", None)
            raise ReplayError(session.tick, f"refused ({code}): {exc}" if code else str(exc), order) from exc

    def _step(self) -> None:
        session, start = self.session, self._start
        try:
            if start is not None and session.tick < start.tick:
                session.skip()
                if session.tick < start.tick:
                    return
                session.restore(start.arrays)
            else:
                session.advance()
        except ValueError as exc:  # an edit that validated when scheduled but not when applied
            raise ReplayError(session.tick + 1, str(exc)) from exc
        if self._each_tick is not None:
            self._each_tick(session)

    def _rejoin(self) -> None:
        joined = self._joins[self._j]
        player = self.session.roster.add(joined.name, joined.role, token=joined.token or None)
        if player.id != joined.id:
            raise ValueError(f"the log's player {joined.id} ({joined.name}) came back as {player.id}: players are missing")
        self._j += 1


def replay(session: Session, orders: Iterable[Order], to_tick: int, players: Iterable[Joined] = ()) -> Session:
    """Re-run a session from its initial world and its ordered log up to `to_tick`, and the
    game commands logged after that tick's simulation (see Replay)."""
    return Replay(session, orders, players).run_to(to_tick)
