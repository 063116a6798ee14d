"""The sessions one server runs side by side, each with its own task and its own world.

    registry = SessionRegistry(eventlog, previews)
    created = registry.prepare("default", rules="demo")    # warm and logged; then start() it
    registry.by_code("K7QF2M")                              # players' or observers' code
    registry.by_token(token)                                # anyone rejoining

Sessions share nothing but the event log file (each writes its own rows) and the preview
workers (each preview is cached under its own session id).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from agora.server.net.previews import PreviewService
from agora.server.net.runner import SessionRunner
from agora.server.session.players import Player
from agora.server.session.rulesets import RuleSet, bundled, load_ruleset
from agora.server.session.session import Session
from agora.server.store.eventlog import EventLog
from agora.server.world.simulation import warm_up
from agora.server.world.world import World, resolve_world


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
                rules: str = "workshop", live_edits: bool = True) -> Created:
        """Load, warm and log a new session (slow: call it off the event loop); start()
        the runner on the loop afterwards. Raises WorldError for an unknown world, a
        RuleSetError for an unknown or broken rule set. Without `live_edits` players change
        the town only through adopted proposals."""
        assert self.eventlog is not None, "a registry without an event log cannot create sessions"
        if tick_seconds is not None and not 0.01 <= tick_seconds <= 3600:
            raise ValueError(f"tick_seconds must be 0.01 to 3600 real seconds, not {tick_seconds}")
        ruleset = resolve_rules(rules)
        world = World.load(resolve_world(world_ref))
        taken = {c for r in self.runners.values() for c in (r.session.code, r.session.observer_code)}

        def new(given: str | None) -> Session:
            return Session(secrets.token_hex(4), world, code=given, rules=ruleset, live_edits=live_edits)

        session = new(code.upper() if code else None)
        while session.code in taken or session.observer_code in taken:
            session = new(None)
        self.eventlog.open_session(session, world.state_hash())
        facilitator = session.add_facilitator()
        self.eventlog.add_player(session.id, facilitator, session.last_seq)
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
