"""Who is in a session: pseudonymous players, their roles and reconnect tokens."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import NewType

from agora.server.session.errors import CommandError

PlayerId = NewType("PlayerId", int)

# No 0/O or 1/I/L: codes are read aloud in workshops and typed from a projector.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
MAX_NAME_LENGTH = 32


class Role(StrEnum):
    FACILITATOR = "facilitator"
    PLAYER = "player"
    OBSERVER = "observer"


@dataclass(frozen=True)
class Player:
    id: PlayerId
    name: str
    token: str
    role: Role


def new_join_code(length: int = 6) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise CommandError("bad_name", "Choose a pseudonym: the name cannot be empty.")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise CommandError("bad_name", f"Choose a pseudonym of at most {MAX_NAME_LENGTH} characters.")
    return cleaned


class Roster:
    def __init__(self) -> None:
        self._by_id: dict[PlayerId, Player] = {}
        self._by_token: dict[str, Player] = {}

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._by_id.values())

    def add(self, name: str, role: Role = Role.PLAYER, token: str | None = None) -> Player:
        name = clean_name(name)
        player = Player(PlayerId(len(self._by_id) + 1), name, token or secrets.token_urlsafe(18), role)
        self._by_id[player.id] = player
        self._by_token[player.token] = player
        return player

    def by_token(self, token: str) -> Player:
        player = self._by_token.get(token)
        if player is None:
            raise CommandError("bad_token", "That reconnect token belongs to no player of this session.")
        return player

    def get(self, player_id: PlayerId) -> Player:
        return self._by_id[player_id]
