"""Sessions rebuilt from the database: to resume them after a restart, to replay them for a
planner, and to prove that a replay gives what the live session had.

    recorded = Recorded.load(log, "3f9c2a1d")         # how it started, and every order since
    rebuilt = rebuild(log, recorded)                  # at the tick it reached, from a snapshot
    rebuilt.session.state_hash()
    checked = verify(log, recorded)                   # from tick 0, against every snapshot
    checked.first_difference                          # None, or the first snapshot that differs

A rebuild starts from the latest snapshot at or before the wanted tick that still holds its
arrays: the orders before it are applied without simulating (the game and the town need
them; see Session.skip), the snapshot's arrays are loaded, and the state hash must then
equal the snapshot's, else the rebuild starts again from tick 0 (and says so). A
verification always simulates every tick from the initial world.
"""

from __future__ import annotations

import logging
import time
import zipfile
from dataclasses import dataclass, field
from typing import Iterator

import msgspec

from agora.server import protocol as p
from agora.server.session.players import Role
from agora.server.session.proposals import ProposalBook
from agora.server.session.rulesets import RuleSet, bundled
from agora.server.session.session import Joined, Order, Replay, Session, SimState
from agora.server.store.eventlog import EventLog
from agora.server.store.snapshots import Snapshot, decode
from agora.server.world.world import World, WorldError, resolve_world

log = logging.getLogger("agora.store")


@dataclass(frozen=True)
class Recorded:
    """One session as the database holds it."""

    id: str
    code: str
    observer_code: str | None  # None in logs from before it was kept
    world: World  # as the session started
    rules: RuleSet
    live_edits: bool
    seed: int
    tick_seconds: float | None  # real seconds between ticks live; None: the server's default
    reached_tick: int
    reached_seq: int  # the last order logged when reached_tick was saved
    phase_elapsed_s: float  # the phase timer then
    ended: bool
    orders: list[Order]
    players: list[Joined]

    @classmethod
    def load(cls, eventlog: EventLog, session_id: str) -> Recorded:
        """Raises LookupError for an unknown session, WorldError if its world cannot be had."""
        row = eventlog.session_row(session_id)
        if row is None:
            known = ", ".join(r["id"] for r in eventlog.sessions()) or "none"
            raise LookupError(f"{eventlog.path} holds no session {session_id!r} (it holds: {known})")
        orders = eventlog.orders(session_id)
        # The tick reached: the saved progress, or later if orders were logged after it (a
        # world edit names the tick it applies at, a game command the tick it followed).
        reached = max([row.get("reached_tick") or 0,
                       *(o.tick - 1 if o.is_edit else o.tick for o in orders)])
        return cls(
            id=session_id, code=row["code"], observer_code=row.get("observer_code") or None,
            world=_initial_world(eventlog, row), rules=_rules(row),
            live_edits=bool(1 if row.get("live_edits") is None else row["live_edits"]), seed=row["seed"] or 0,
            tick_seconds=row.get("tick_seconds"), reached_tick=reached, reached_seq=row.get("reached_seq") or 0,
            phase_elapsed_s=row.get("phase_elapsed_s") or 0.0, ended=bool(row.get("ended_at")),
            orders=orders, players=eventlog.players(session_id),
        )

    def fresh(self) -> Session:
        """The session as it was before its first tick and first order."""
        return Session(self.id, self.world.copy(), code=self.code, seed=self.seed, observer_code=self.observer_code,
                       rules=self.rules, live_edits=self.live_edits)

    @property
    def facilitator_token(self) -> str:
        return next((j.token for j in self.players if j.role == Role.FACILITATOR), "")


def _initial_world(eventlog: EventLog, row: dict[str, object]) -> World:
    world_hash = str(row["world_hash"])
    kept = eventlog.world(world_hash)
    if kept is not None:
        return kept
    # Logs from before worlds were kept: the world folder by name, if it is still the same.
    world = World.load(resolve_world(str(row["world"])))
    if world.state_hash() != world_hash:
        raise WorldError(f"the world {row['world']!r} has changed since session {row['id']} was recorded "
                         f"(hash {world.state_hash()[:12]}, recorded {world_hash[:12]}); it cannot be replayed")
    return world


def _rules(row: dict[str, object]) -> RuleSet:
    if row.get("rules_json"):
        return msgspec.json.decode(str(row["rules_json"]), type=RuleSet)
    # Before rule sets were kept whole: the bundled one by name (before the game: the default).
    return bundled(str(row.get("rules") or "workshop"))


@dataclass
class Rebuilt:
    session: Session
    start_tick: int  # the snapshot it started from; 0: the initial world
    simulated: int  # ticks simulated
    seconds: float
    note: str = ""  # why it did not start from a snapshot, if it could not


class _Differs(Exception):
    pass


def rebuild(eventlog: EventLog, recorded: Recorded, to_tick: int | None = None, *,
            from_snapshot: bool = True) -> Rebuilt:
    """The session at `to_tick` (default: the tick it reached) with every order logged up
    to it, from the latest usable snapshot. Raises ReplayError if the log does not replay."""
    tick = recorded.reached_tick if to_tick is None else to_tick
    started = time.perf_counter()
    snapshot = eventlog.latest_state(recorded.id, tick) if from_snapshot else None
    note = ""
    if snapshot is not None:
        assert snapshot.state is not None
        try:
            _, arrays = decode(snapshot.state)
            wanted = snapshot

            def check(session: Session) -> None:
                if session.tick == wanted.tick and session.state_hash() != wanted.state_hash:
                    raise _Differs()

            session = Replay(recorded.fresh(), recorded.orders, recorded.players,
                             start=SimState(snapshot.tick, arrays), each_tick=check).run_to(tick)
            return Rebuilt(session, snapshot.tick, tick - snapshot.tick, time.perf_counter() - started)
        except (_Differs, ValueError, KeyError, OSError, zipfile.BadZipFile) as exc:
            # A snapshot is a cache: if it does not restore to its own hash, the log decides.
            note = (f"the snapshot at tick {snapshot.tick} did not restore to its state hash "
                    f"({type(exc).__name__}); replayed from tick 0 instead")
            log.warning("session %s: %s", recorded.id, note)
    session = Replay(recorded.fresh(), recorded.orders, recorded.players).run_to(tick)
    return Rebuilt(session, 0, tick, time.perf_counter() - started, note)


@dataclass(frozen=True)
class Check:
    tick: int
    recorded: str  # the snapshot's state hash
    replayed: str


@dataclass
class Verified:
    session: Session
    checks: list[Check] = field(default_factory=list)
    seconds: float = 0.0
    ticks: int = 0

    @property
    def first_difference(self) -> Check | None:
        return next((c for c in self.checks if c.recorded != c.replayed), None)


def verify(eventlog: EventLog, recorded: Recorded, to_tick: int | None = None) -> Verified:
    """Replay from the initial world, simulating every tick, and compare the state hash with
    every snapshot up to `to_tick`; stops at the first that differs. Raises ReplayError if an
    order does not replay."""
    tick = recorded.reached_tick if to_tick is None else to_tick
    snapshots: dict[int, Snapshot] = {s.tick: s for s in eventlog.snapshots(recorded.id) if s.tick <= tick}
    checks: list[Check] = []

    def check(session: Session) -> None:
        snapshot = snapshots.get(session.tick)
        if snapshot is not None:
            checks.append(Check(session.tick, snapshot.state_hash, session.state_hash()))
            if checks[-1].recorded != checks[-1].replayed:
                raise _Differs()

    started = time.perf_counter()
    replay = Replay(recorded.fresh(), recorded.orders, recorded.players, each_tick=check)
    try:
        replay.run_to(tick)
    except _Differs:
        pass
    return Verified(replay.session, checks, time.perf_counter() - started, replay.session.tick)


def game_replay(recorded: Recorded) -> Iterator[tuple[Order, ProposalBook]]:
    """Every game order of the session with the proposal book as it left it, replaying the
    game alone: world edits change the town (proposals are checked against it), but no tick
    is simulated (Session.skip). Raises ReplayError if the log does not replay."""
    session = recorded.fresh()
    # A snapshot beyond the last tick: every tick before it is skipped, none simulated.
    replay = Replay(session, recorded.orders, recorded.players, start=SimState(recorded.reached_tick + 2, {}))
    for order in sorted(recorded.orders, key=lambda o: o.seq):
        if not order.is_edit:
            replay.run_to(max(order.tick, session.tick), seq=order.seq)
            yield order, session.game.book


def orders_between(recorded: Recorded, after_tick: int, to_tick: int) -> list[Order]:
    """The orders that took effect after one tick and up to another: where to look when a
    snapshot differs."""
    return [o for o in recorded.orders if after_tick < (o.tick - 1 if o.is_edit else o.tick) <= to_tick]


def describe(order: Order) -> str:
    return f"order {order.seq} at tick {order.tick} by {order.player_name}: {p.tag_of(order.command)}"
