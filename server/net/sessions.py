"""The sessions one server runs side by side, each with its own task and its own world.

    registry = SessionRegistry(eventlog, previews)
    resumed = registry.resume()                             # the log's sessions that had not ended
    created = registry.prepare("default", rules="demo")    # warm and logged; then start() it
    registry.by_code("K7QF2M")                              # players' or observers' code
    registry.by_token(token)                                # anyone rejoining
    await registry.drain()                                  # at a tick boundary, clients told

Sessions share nothing but the event log file (each writes its own rows) and the preview
workers (each preview is cached under its own session id). A resumed session comes back at
the tick it had reached with every logged order applied (store/replays.py), its codes, its
players and their tokens, and its phase timer where it stood.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from pathlib import Path

import msgspec

from agora.server import protocol as p
from agora.server.net.previews import PreviewService
from agora.server.net.runner import SessionRunner
from agora.server.session.players import Player
from agora.server.session.rulesets import MAX_PLAYERS_LIMIT, RuleSet, bundled, load_ruleset
from agora.server.session.session import ReplayError, Session
from agora.server.store.eventlog import EventLog
from agora.server.store.replays import Recorded, Rebuilt, rebuild
from agora.server.world.simulation import warm_up
from agora.server.world.world import World, WorldError, resolve_world

log = logging.getLogger("agora.net")


def resolve_rules(ref: str) -> RuleSet:
    """A bundled rule set by name ("workshop", "demo"), or a rule set file on the server.
    Raises RuleSetError (a ValueError) naming what is wrong."""
    if ref.endswith(".toml") or "/" in ref:
        return load_ruleset(Path(ref))
    return bundled(ref)


@dataclass(frozen=True)
class Created:
    runner: SessionRunner
    facilitator: Player


@dataclass(frozen=True)
class Resumed:
    runner: SessionRunner
    rebuilt: Rebuilt
    facilitator_token: str  # empty for sessions logged before tokens were kept


@dataclass(frozen=True)
class Unresumable:
    session_id: str
    reason: str


class SessionRegistry:
    def __init__(self, eventlog: EventLog | None, previews: PreviewService | None = None,
                 tick_seconds: float = 1.0) -> None:
        self.eventlog = eventlog
        self.previews = previews
        self.tick_seconds = tick_seconds
        self.runners: dict[str, SessionRunner] = {}

    def add(self, runner: SessionRunner) -> None:
        codes = {c for r in self.runners.values() for c in (r.session.code, r.session.observer_code)}
        if {runner.session.code, runner.session.observer_code} & codes:
            raise ValueError(f"session {runner.session.id} reuses a join code of a running session")
        self.runners[runner.session.id] = runner

    def prepare(self, world_ref: str, code: str | None = None, tick_seconds: float | None = None,
                rules: str = "workshop", live_edits: bool = True, max_players: int | None = None) -> Created:
        """Load, warm and log a new session (slow: call it off the event loop); start()
        the runner on the loop afterwards. Raises WorldError for an unknown world, a
        RuleSetError for an unknown or broken rule set. Without `live_edits` players change
        the town only through adopted proposals."""
        assert self.eventlog is not None, "a registry without an event log cannot create sessions"
        if tick_seconds is not None and not 0.01 <= tick_seconds <= 3600:
            raise ValueError(f"tick_seconds must be 0.01 to 3600 real seconds, not {tick_seconds}")
        ruleset = resolve_rules(rules)
        if max_players is not None:
            if not 1 <= max_players <= MAX_PLAYERS_LIMIT:
                raise ValueError(f"max_players must be 1 to {MAX_PLAYERS_LIMIT}, not {max_players}")
            # Kept with the rule set in the log, so a resumed session has the same seats.
            ruleset = msgspec.structs.replace(ruleset, max_players=max_players)
        world = World.load(resolve_world(world_ref))
        taken = {c for r in self.runners.values() for c in (r.session.code, r.session.observer_code)}

        def new(given: str | None) -> Session:
            return Session(secrets.token_hex(4), world, code=given, rules=ruleset, live_edits=live_edits)

        session = new(code.upper() if code else None)
        while session.code in taken or session.observer_code in taken:
            session = new(None)
        tick_seconds = tick_seconds or self.tick_seconds
        self.eventlog.open_session(session, world.state_hash(), tick_seconds)
        facilitator = session.add_facilitator()
        self.eventlog.add_player(session.id, facilitator, session.last_seq)
        warm_up(world)
        session.advance()
        self.eventlog.save_progress(session)
        runner = SessionRunner(session, self.eventlog, tick_seconds, self.previews)
        self.add(runner)
        return Created(runner, facilitator)

    def resume(self) -> list[Resumed | Unresumable]:
        """Rebuild every session of the log that had not ended, at the tick it had reached
        (slow: call it before the loop starts or off it); start() the runners afterwards. A
        session that cannot be rebuilt (its world is gone, its log does not replay) stays in
        the log, untouched, and is reported; the others come back."""
        assert self.eventlog is not None, "a registry without an event log has nothing to resume"
        outcomes: list[Resumed | Unresumable] = []
        warmed: set[str] = set()
        for row in self.eventlog.sessions():
            if row.get("ended_at") or row["id"] in self.runners:
                continue
            try:
                recorded = Recorded.load(self.eventlog, row["id"])
                if row["world_hash"] not in warmed:  # compile once per world, as prepare() does
                    warm_up(recorded.world)
                    warmed.add(row["world_hash"])
                rebuilt = rebuild(self.eventlog, recorded)
            except (WorldError, ReplayError, LookupError, ValueError) as exc:
                log.error("session %s cannot be resumed: %s", row["id"], exc)
                outcomes.append(Unresumable(row["id"], str(exc)))
                continue
            session = rebuilt.session
            clock = session.game.clock
            # The phase timer stood where it was saved, unless the phase changed since.
            if not any(isinstance(o.command, (p.AdvancePhase, p.SetPhase)) for o in recorded.orders
                       if o.seq > recorded.reached_seq):
                clock.elapsed_s = min(recorded.phase_elapsed_s, clock.duration_s)
            runner = SessionRunner(session, self.eventlog, recorded.tick_seconds or self.tick_seconds, self.previews)
            self.add(runner)
            outcomes.append(Resumed(runner, rebuilt, recorded.facilitator_token))
        return outcomes

    async def drain(self) -> None:
        """Stop every session at a tick boundary (see SessionRunner.drain) and fold the
        log's write-ahead file into the database."""
        await asyncio.gather(*(runner.drain() for runner in self.runners.values()))
        if self.eventlog is not None:
            self.eventlog.checkpoint()

    def by_code(self, code: str) -> SessionRunner | None:
        given = code.strip().upper()
        return next((r for r in self.runners.values() if given in (r.session.code, r.session.observer_code)), None)

    def by_token(self, token: str) -> SessionRunner | None:
        return next((r for r in self.runners.values() if r.knows_token(token)), None)
