"""Short-lived messages on screen: refusals from the server and feedback on commands."""

from __future__ import annotations

import enum
from dataclasses import dataclass

SHOW_S = {"error": 6.0, "info": 4.0}
MAX_SHOWN = 4


class Kind(enum.Enum):
    ERROR = "error"
    INFO = "info"


@dataclass(frozen=True)
class Notice:
    text: str
    kind: Kind
    until: float  # on the clock passed to Notices


class Notices:
    """The newest few notices, each shown for a few seconds (times in seconds, any clock)."""

    def __init__(self) -> None:
        self._items: list[Notice] = []

    def add(self, text: str, kind: Kind, now: float) -> None:
        self._items.append(Notice(text, kind, now + SHOW_S[kind.value]))
        self._items = self._items[-MAX_SHOWN:]

    def active(self, now: float) -> list[Notice]:
        """Notices still showing, newest first."""
        self._items = [n for n in self._items if n.until > now]
        return list(reversed(self._items))
