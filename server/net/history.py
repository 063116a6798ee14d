"""The headline indicators of a session's last few hundred ticks, for the trend charts of
players who join late (Welcome.history) or fall behind (Resync.history).

    history = IndicatorHistory()
    history.add(runner.session.tick, runner.indicators())   # after every tick
    p.Welcome(..., history=history.message())

It lives with the session's runner, in memory only: after a server restart the trend starts
again from the tick the session resumes at (rebuilding it would mean replaying every tick).
"""

from __future__ import annotations

from collections import deque

from agora.server import protocol as p

HISTORY_TICKS = 480  # eight simulated hours at a minute a tick


class IndicatorHistory:
    """A ring of the last `size` ticks' readings, oldest first; a tick told twice is kept once
    (the later)."""

    def __init__(self, size: int = HISTORY_TICKS) -> None:
        self._readings: deque[p.Reading] = deque(maxlen=size)

    def add(self, tick: int, indicators: p.Indicators) -> None:
        while self._readings and self._readings[-1][0] >= tick:
            self._readings.pop()
        self._readings.append(p.reading(tick, indicators))

    def readings(self) -> list[p.Reading]:
        return list(self._readings)

    def message(self) -> p.History:
        return p.History.of(self._readings)

    def __len__(self) -> int:
        return len(self._readings)
