"""The headline indicators of a session's last few hundred ticks, for the trend charts of
players who join late (Welcome.history) or fall behind (Resync.history).

    history = IndicatorHistory()
    history.add(runner.session.tick, runner.indicators())   # after every tick
    p.Welcome(..., history=history.points())

It lives with the session's runner, in memory only: after a server restart the trend starts
again from the tick the session resumes at (rebuilding it would mean replaying every tick).
"""

from __future__ import annotations

import math
from collections import deque

from agora.server import protocol as p

HISTORY_TICKS = 480  # eight simulated hours at a minute a tick
# Indicators and impacts fields the charts show, in the order a room reads them.
HEADLINE = ("vehicle_hours", "co2_kg_h", "mode_share_car", "mean_trip_min", "residents_above_who_lden",
            "no2_pop_weighted_ug_m3", "access_walk_all")


def point(tick: int, indicators: p.Indicators) -> p.IndicatorPoint:
    """A tick's headline values: those the world publishes (emissions only when it has them),
    and none that is not a number yet (before the first tick)."""
    values: dict[str, float] = {"vehicle_hours": indicators.vehicle_hours, "mean_trip_min": indicators.mean_trip_min}
    if indicators.co2_kg_h > 0.0:
        values["co2_kg_h"] = indicators.co2_kg_h
    if indicators.mode_share:
        values["mode_share_car"] = indicators.mode_share[0]
    values.update({name: indicators.impacts[name] for name in HEADLINE if name in indicators.impacts})
    return p.IndicatorPoint(tick, indicators.clock_hour,
                            {name: values[name] for name in HEADLINE if name in values and math.isfinite(values[name])})


class IndicatorHistory:
    """A ring of the last `size` ticks' points, oldest first; a tick told twice is kept once
    (the later)."""

    def __init__(self, size: int = HISTORY_TICKS) -> None:
        self._points: deque[p.IndicatorPoint] = deque(maxlen=size)

    def add(self, tick: int, indicators: p.Indicators) -> None:
        while self._points and self._points[-1].tick >= tick:
            self._points.pop()
        self._points.append(point(tick, indicators))

    def points(self) -> list[p.IndicatorPoint]:
        return list(self._points)

    def __len__(self) -> int:
        return len(self._points)
