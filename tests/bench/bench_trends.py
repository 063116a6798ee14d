"""Trends: what the history costs the server and the wire, and what the Trends tab costs a
frame, at a full ring (480 ticks of seven headline indicators).

Cases: the server's ring per tick (add a point) and per Welcome (copy it out); the history's
msgpack bytes against a Welcome of the default town; the chart lines' vertices built with
numpy (7 charts x 480 points); and, when an X display is set (DISPLAY, e.g. Xvfb), the Trends
tab drawn in a 1280x800 window: a frame with nothing new and a frame after a Delta.
"""

from __future__ import annotations

import os
import statistics
import time
from typing import Callable

import msgspec
import numpy as np

from agora.server import protocol as p
from agora.server.net.history import HISTORY_TICKS, IndicatorHistory

RUNS = 15


def indicators(tick: int) -> p.Indicators:
    wave = float(np.sin(tick / 30.0))
    return p.Indicators(vehicle_hours=1000.0 + 50.0 * wave, vehicle_km=40_000.0, mean_trip_min=12.0 + wave,
                        car_trips=5000.0, unserved_trips=0.0, relative_gap=1e-4, clock_hour=7.0 + tick / 60.0,
                        mode_share=[0.58 + 0.01 * wave, 0.12, 0.12, 0.18], co2_kg_h=620.0 + 20.0 * wave,
                        impacts={"residents_above_who_lden": 23_000.0 + 100.0 * wave,
                                 "no2_pop_weighted_ug_m3": 16.0 + wave, "access_walk_all": 0.57,
                                 "habitat_quality_mean": 0.4})


def full_ring() -> IndicatorHistory:
    ring = IndicatorHistory()
    for tick in range(HISTORY_TICKS):
        ring.add(tick, indicators(tick))
    return ring


def median_ms(fn: Callable[[], object], runs: int = RUNS) -> float:
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(times)


def row(case: str, ms: float, detail: str, runs: int = RUNS) -> dict[str, object]:
    return {"benchmark": "trends", "case": case, "median_ms": ms, "runs": runs, "detail": detail}


def run() -> list[dict[str, object]]:
    ring = full_ring()
    tick = [HISTORY_TICKS]

    def add() -> None:
        ring.add(tick[0], indicators(tick[0]))
        tick[0] += 1

    rows = [row("server ring: add a tick's reading", median_ms(add), f"ring of {HISTORY_TICKS}"),
            row("server ring: History for a Welcome", median_ms(ring.message), f"{len(ring)} ticks")]

    history = ring.message()
    encoded = p.msgpack_encoder.encode(history)
    rows.append(row("history on the wire (msgpack)", median_ms(lambda: p.msgpack_encoder.encode(history)),
                    f"{len(encoded):,} bytes{_welcome_share(len(encoded))}"))

    from agora.client.trend_chart import Polyline, vertices

    xs = np.linspace(0.0, 350.0, HISTORY_TICKS)
    lines = [Polyline(xs, 50.0 + 10.0 * np.sin(xs / 20.0 + k), (86, 160, 230, 255)) for k in range(7)]
    rows.append(row("chart vertices, 7 x 480 points", median_ms(lambda: vertices(lines)),
                    f"{vertices(lines).shape[0]:,} vertices"))
    if os.environ.get("DISPLAY"):
        rows.extend(_frames(history))
    return rows


def _welcome_share(history_bytes: int) -> str:
    from agora.server.net.messages import snapshot_message
    from agora.server.world.world import World, resolve_world

    world = World.load(resolve_world("default"))
    snap = snapshot_message("s", world, 0, np.zeros(world.network.n_links), indicators(0))
    welcome = p.Welcome(1, "ada", "t", "player", p.PROTOCOL_VERSION, snap)
    size = len(p.msgpack_encoder.encode(welcome))
    return f", {100.0 * history_bytes / size:.1f}% of the default town's Welcome ({size:,} bytes)"


def _frames(history: p.History) -> list[dict[str, object]]:
    from agora.client.game_state import GameState
    from agora.client.trends import Trends
    from agora.client.trends_panel import TrendsPanel
    from agora.client.viewport import Area

    import arcade

    window = arcade.Window(1280, 800, "bench", visible=True)
    try:
        trends = Trends()
        trends.take(history)
        panel = TrendsPanel(window, trends, GameState())
        area = Area(896, 26, 384, 682)
        next_tick = [int(history.tick.to_numpy()[-1]) + 1]

        def frame() -> None:
            window.clear()
            panel.draw(area, 0.0)
            window.ctx.finish()

        def frame_after_delta() -> None:
            trends.add(next_tick[0], indicators(next_tick[0]))
            next_tick[0] += 1
            frame()

        def empty() -> None:
            window.clear()
            window.ctx.finish()

        blank = median_ms(empty, 30)
        board, board_state = _board()

        def board_frame() -> None:
            window.clear()
            board.draw(board_state, area, 0.0)
            window.ctx.finish()

        proposals = median_ms(board_frame, 30)
        still = median_ms(frame, 30)
        built = panel.rebuilds
        moved = median_ms(frame_after_delta, 30)
        return [row("empty 1280x800 frame (clear, finish)", blank, "the baseline of the three below", 30),
                row("Proposals tab frame, for comparison", proposals, "3 proposals, one open with 3 comments", 30),
                row("Trends tab frame, nothing new", still,
                    f"7 charts, {len(trends.readings)} ticks; lines built {built} time(s) in 31 frames", 30),
                row("Trends tab frame after a Delta", moved,
                    f"lines rebuilt {panel.rebuilds - built} times in 31 frames", 30)]
    finally:
        window.close()


def _board():  # type: ignore[no-untyped-def]
    """The Proposals tab as tests/client/test_board.py shows it."""
    import sys
    from pathlib import Path

    from agora.client.board_panel import BoardPanel
    from agora.client.game_state import GameState

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "client"))
    import towns

    state = GameState()
    state.take(towns.game(proposals=towns.three_proposals()), 0.0)
    return BoardPanel(), state


if __name__ == "__main__":
    for r in run():
        print(msgspec.json.encode(r).decode())
