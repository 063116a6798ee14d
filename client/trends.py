"""The headline indicators over simulated time, as the server told them: the history a
Welcome or Resync brings, extended by each Delta; and the moments proposals were adopted or
rolled back, from the Game's proposals.

    trends = Trends()
    trends.take(welcome.history, welcome.snapshot) # a late joiner starts with the trend so far
    trends.add(delta.tick, delta.indicators)       # then a reading a tick
    trends.series("co2_kg_h")                      # (ticks, values), numpy, oldest first
    trends.clock_at(120)                           # "08:00", the simulated time of tick 120

No drawing here; the numbers are the server's, this only keeps and looks them up.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np

from agora.server import protocol as p

KEEP_TICKS = 480  # as many as the server keeps (server/net/history.py)
MARKED = ("adopted", "rolled_back")


@dataclass(frozen=True)
class Marker:
    tick: int
    status: str  # adopted or rolled_back
    proposal: int


class Trends:
    def __init__(self, keep: int = KEEP_TICKS) -> None:
        self.keep = keep
        self.readings: list[p.Reading] = []  # (tick, simulated hour, headline values by name)
        self.version = 0  # moves whenever the readings do, so that charts rebuild only then
        self._series: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._series_version = -1

    def take(self, history: p.History | None, snapshot: p.Snapshot | None = None) -> None:
        """The server's history replaces what this client held (it covers any delta missed);
        a server that sends none starts it from the snapshot's tick."""
        self.readings = history.readings()[-self.keep:] if history is not None else []
        self.version += 1
        if not self.readings and snapshot is not None:
            self.add(snapshot.tick, snapshot.indicators)

    def add(self, tick: int, indicators: p.Indicators) -> None:
        """A tick's indicators (a Delta's)."""
        while self.readings and self.readings[-1][0] >= tick:
            self.readings.pop()
        self.readings.append(p.reading(tick, indicators))
        del self.readings[:-self.keep]
        self.version += 1

    def names(self) -> list[str]:
        """The headline indicators the history holds, in the order a room reads them."""
        held = {name for _, _, values in self.readings for name in values}
        return [name for name in p.HEADLINE if name in held]

    def series(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(ticks int64[n], values float64[n]) of one indicator, oldest first."""
        if self._series_version != self.version:
            self._series = {}
            self._series_version = self.version
        if name not in self._series:
            pairs = [(t, values[name]) for t, _, values in self.readings if name in values]
            self._series[name] = (np.array([t for t, _ in pairs], dtype=np.int64),
                                  np.array([v for _, v in pairs], dtype=np.float64))
        return self._series[name]

    def span(self) -> tuple[int, int] | None:
        """The first and last tick held."""
        return (self.readings[0][0], self.readings[-1][0]) if self.readings else None

    def clock_at(self, tick: int) -> str | None:
        """The simulated time of day at a tick ("08:14"), from the nearest reading held and
        the clock's pace between the last two; None with no readings."""
        if not self.readings:
            return None
        at = bisect.bisect_left(self.readings, tick, key=lambda r: r[0])
        near_tick, hour, _ = min(self.readings[max(at - 1, 0):at + 1], key=lambda r: abs(r[0] - tick))
        if near_tick != tick and len(self.readings) >= 2:
            (a_tick, a_hour, _), (b_tick, b_hour, _) = self.readings[-2], self.readings[-1]
            step = ((b_hour - a_hour) % 24.0) / max(b_tick - a_tick, 1)
            hour = (hour + (tick - near_tick) * step) % 24.0
        minutes = int(round(hour * 60.0)) % (24 * 60)
        return f"{minutes // 60:02d}:{minutes % 60:02d}"


def markers(game: p.Game | None) -> list[Marker]:
    """Every adoption and rollback of the game's proposals, by tick."""
    if game is None:
        return []
    found = [Marker(h.tick, h.status, q.id) for q in game.proposals for h in q.history if h.status in MARKED]
    return sorted(found, key=lambda m: (m.tick, m.proposal))
