"""The sessions one server runs side by side, each with its own task and its own world.

    registry = SessionRegistry(eventlog, previews)
    runner, facilitator = registry.create("default")       # warm, logged, ticking
    registry.by_code("K7QF2M")                              # players' or observers' code
    registry.by_token(token)                                # anyone rejoining

Sessions share nothing but the event log file (each writes its own rows) and the preview
workers (each preview is cached under its own session id).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from agora.server.net.previews import PreviewService
from agora.server.net.runner import SessionRunner
from agora.server.session.players import Player
from agora.server.session.session import Session
from agora.server.store.eventlog import EventLog
from agora.server.world.simulation import warm_up
from agora.server.world.world import World, resolve_world


@dataclass(frozen=True)
class Created:
    runner: SessionRunner
    facilitator: Player


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

    def prepare(self, world_ref: str, code: str | None = None, tick_seconds: float | None = None) -> Created:
        """Load, warm and log a new session (slow: call it off the event loop); start()
        the runner on the loop afterwards. Raises WorldError for an unknown world."""
        assert self.eventlog is not None, "a registry without an event log cannot create sessions"
        if tick_seconds is not None and not 0.01 <= tick_seconds <= 3600:
            raise ValueError(f"tick_seconds must be 0.01 to 3600 real seconds, not {tick_seconds}")
        world = World.load(resolve_world(world_ref))
        taken = {c for r in self.runners.values() for c in (r.session.code, r.session.observer_code)}
        session = Session(secrets.token_hex(4), world, code=code.upper() if code else None)
        while session.code in taken or session.observer_code in taken:
            session = Session(secrets.token_hex(4), world)
        self.eventlog.open_session(session, world.state_hash())
        facilitator = session.add_facilitator()
        self.eventlog.add_player(session.id, facilitator)
        warm_up(world)
        session.advance()
        runner = SessionRunner(session, self.eventlog, tick_seconds or self.tick_seconds, self.previews)
        self.add(runner)
        return Created(runner, facilitator)

    def by_code(self, code: str) -> SessionRunner | None:
        given = code.strip().upper()
        return next((r for r in self.runners.values() if given in (r.session.code, r.session.observer_code)), None)

    def by_token(self, token: str) -> SessionRunner | None:
        return next((r for r in self.runners.values() if r.knows_token(token)), None)
