"""The headline indicators of a session's last few hundred ticks, for the trend charts of
players who join late (Welcome.history) or fall behind (Resync.history).

    history = IndicatorHistory()
    history.add(runner.session.tick, runner.indicators())   # after every tick
    p.Welcome(..., history=history.points())

It lives with the session's runner, in memory only: after a server restart the trend starts
again from the tick the session resumes at (rebuilding it would mean replaying every tick).
"""

from __future__ import annotations

from collections import deque

from agora.server import protocol as p

HISTORY_TICKS = 480  # eight simulated hours at a minute a tick


class IndicatorHistory:
    """A ring of the last `size` ticks' points, oldest first; a tick told twice is kept once
    (the later)."""

    def __init__(self, size: int = HISTORY_TICKS) -> None:
        self._points: deque[p.IndicatorPoint] = deque(maxlen=size)

    def add(self, tick: int, indicators: p.Indicators) -> None:
        while self._points and self._points[-1].tick >= tick:
            self._points.pop()
        self._points.append(p.IndicatorPoint.of(tick, indicators))

    def points(self) -> list[p.IndicatorPoint]:
        return list(self._points)

    def __len__(self) -> int:
        return len(self._points)
