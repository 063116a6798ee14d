"""What a lobby learns about a session from its join code, before joining (GET /join/{code}).

    info = join_info(session, "K7QF2M")
    info.title, info.rules_title, [p.title for p in info.personas], info.full

The players' code and the observers' code both answer; `role` says which it is, and `full`
whether the players' code would be refused now (observers are never refused for it).
"""

from __future__ import annotations

from typing import Literal

from agora.server import protocol as p
from agora.server.session.session import Session


def join_info(session: Session, code: str) -> p.JoinInfo:
    role: Literal["player", "observer"] = "observer" if code.strip().upper() == session.observer_code else "player"
    rules = session.rules
    return p.JoinInfo(
        session=session.id, world=session.world.meta.name, title=session.world.meta.title,
        rules=rules.name, rules_title=rules.title, role=role,
        personas=[p.PersonaInfo(persona.name, persona.title, persona.description)
                  for persona in rules.personas.values()],
        players=session.players_joined, max_players=rules.max_players,
        full=role == "player" and session.is_full, phase=session.game.clock.view().title,
    )
