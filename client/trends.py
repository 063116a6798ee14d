"""The headline indicators over simulated time, as the server told them: the history a
Welcome or Resync brings, extended by each Delta; and the moments proposals were adopted or
rolled back, from the Game's proposals.

    trends = Trends()
    trends.take(welcome.history, welcome.snapshot) # a late joiner starts with the trend so far
    trends.add(delta.tick, delta.indicators)       # then a point a tick
    trends.series("co2_kg_h")                      # (ticks, values), numpy, oldest first
    trends.clock_at(120)                           # "08:00", the simulated time of tick 120

No drawing here; the numbers are the server's, this only keeps and looks them up.
"""

from __future__ import annotations

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
        self.points: list[p.IndicatorPoint] = []
        self.version = 0  # moves whenever the points do, so that charts rebuild only then

    def take(self, history: list[p.IndicatorPoint], snapshot: p.Snapshot | None = None) -> None:
        """The server's history replaces what this client held (it covers any delta missed);
        a server that sends none starts it from the snapshot's tick."""
        self.points = list(history[-self.keep:])
        self.version += 1
        if not self.points and snapshot is not None:
            self.add(snapshot.tick, snapshot.indicators)

    def add(self, tick: int, indicators: p.Indicators) -> None:
        """A tick's indicators (a Delta's, or a snapshot's when no history came with it)."""
        while self.points and self.points[-1].tick >= tick:
            self.points.pop()
        self.points.append(p.IndicatorPoint.of(tick, indicators))
        del self.points[:-self.keep]
        self.version += 1

    def names(self) -> list[str]:
        """The headline indicators the history holds, in the order a room reads them."""
        held = {name for pt in self.points for name in pt.values}
        return [name for name in p.HEADLINE if name in held]

    def series(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(ticks int64[n], values float64[n]) of one indicator, oldest first."""
        pairs = [(pt.tick, pt.values[name]) for pt in self.points if name in pt.values]
        ticks = np.array([t for t, _ in pairs], dtype=np.int64)
        values = np.array([v for _, v in pairs], dtype=np.float64)
        return ticks, values

    def span(self) -> tuple[int, int] | None:
        """The first and last tick held."""
        return (self.points[0].tick, self.points[-1].tick) if self.points else None

    def clock_at(self, tick: int) -> str | None:
        """The simulated time of day at a tick ("08:14"), from the nearest point held and the
        clock's pace between the last two; None with no points."""
        if not self.points:
            return None
        near = min(self.points, key=lambda pt: abs(pt.tick - tick))
        hour = near.clock_hour
        if near.tick != tick and len(self.points) >= 2:
            a, b = self.points[-2], self.points[-1]
            step = ((b.clock_hour - a.clock_hour) % 24.0) / max(b.tick - a.tick, 1)
            hour = (hour + (tick - near.tick) * step) % 24.0
        minutes = int(round(hour * 60.0)) % (24 * 60)
        return f"{minutes // 60:02d}:{minutes % 60:02d}"


def markers(game: p.Game | None) -> list[Marker]:
    """Every adoption and rollback of the game's proposals, by tick."""
    if game is None:
        return []
    found = [Marker(h.tick, h.status, q.id) for q in game.proposals for h in q.history if h.status in MARKED]
    return sorted(found, key=lambda m: (m.tick, m.proposal))
