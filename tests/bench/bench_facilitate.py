"""How long a frame of the play window takes with the Facilitate tab or the help overlay
showing, beside the proposal board, on the client tests' small town (fake connection); and
how long a facilitator's command takes to come back as the Game message the tab shows
(Pause and Resume against a real server on loopback, the default town ticking every 0.1 s).

    xvfb-run -a -s "-screen 0 1920x1080x24" python tests/bench/bench_facilitate.py

Needs an X display (DISPLAY, or xvfb-run as above). A frame is the window's on_draw and a
GL finish, after a warm-up that lays out and renders every glyph once.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
FRAMES = 20
RUNS = 5
ROUND_TRIPS = 10


def _frame_ms(window, frames: int = FRAMES) -> float:  # type: ignore[no-untyped-def]
    window.switch_to()
    start = time.perf_counter()
    for _ in range(frames):
        window.on_draw()
        window.ctx.finish()
    return (time.perf_counter() - start) * 1000.0 / frames


def round_trip() -> dict[str, object]:
    """Pause, wait for the Game saying paused; Resume, wait for running: ms each, median."""
    import queue
    import tempfile

    sys.path.insert(0, str(HERE.parents[1]))
    from tests.conftest import serve_world

    from agora.client.connection import Connection
    from agora.server import protocol as p
    from agora.server.session.rulesets import bundled
    from agora.server.world.world import World, resolve_world

    def until(fac: Connection, state: str) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                message = fac.messages.get(timeout=0.5)
            except queue.Empty:
                continue
            game = message.game if isinstance(message, p.Welcome) else message
            if isinstance(game, p.Game) and game.phase.state == state:
                return
        raise RuntimeError(f"no Game message with the phase {state} within 20 s")

    samples: list[float] = []
    with tempfile.TemporaryDirectory() as tmp, serve_world(World.load(resolve_world("default")), Path(tmp) / "a.db",
                                                           tick_seconds=0.1, rules=bundled("demo")) as live:
        fac = Connection(live.ws_url, code="", name="", token=live.facilitator_token)
        fac.start()
        try:
            until(fac, "waiting")
            fac.send(p.AdvancePhase())
            until(fac, "running")
            for _ in range(ROUND_TRIPS):
                for command, state in ((p.Pause(), "paused"), (p.Resume(), "running")):
                    start = time.perf_counter()
                    fac.send(command)
                    until(fac, state)
                    samples.append((time.perf_counter() - start) * 1000.0)
        finally:
            fac.close()
    return {"benchmark": "facilitate", "case": "Pause/Resume to the Game showing it, default town",
            "median_ms": statistics.median(samples), "runs": len(samples),
            "detail": f"min {min(samples):.1f} ms, max {max(samples):.1f} ms, ticks every 100 ms"}


def run() -> list[dict[str, object]]:
    if not os.environ.get("DISPLAY"):
        raise SystemExit("bench_facilitate needs an X display: run it under "
                         "xvfb-run -a -s \"-screen 0 1920x1080x24\"")
    sys.path.insert(0, str(HERE.parent / "client"))
    import msgspec
    import towns
    from conftest import FakeLink

    from agora.client.window import PlayWindow
    from agora.server import protocol as p

    plan = [p.PhaseStep(name, title, minutes) for name, title, minutes, _ in towns.PHASES]
    rows: list[dict[str, object]] = []
    cases = [("board tab", "board", 4, (1280, 800), False), ("facilitate tab", "facilitate", 4, (1280, 800), False),
             ("facilitate tab", "facilitate", 40, (1280, 800), False),
             ("facilitate tab", "facilitate", 40, (1920, 1080), False),
             ("help overlay", "board", 4, (1280, 800), True), ("help overlay", "board", 4, (1920, 1080), True)]
    for name, tab, players, size, help_open in cases:
        link = FakeLink()
        window = PlayWindow(link, name="fran", width=size[0], height=size[1])  # type: ignore[arg-type]
        world = towns.small_world()
        phase = msgspec.structs.replace(towns.phase(), plan=plan)
        people = [p.PlayerInfo(1, "fran", "facilitator")] + [p.PlayerInfo(i, f"player {i}", "player")
                                                               for i in range(2, players + 1)]
        game = msgspec.structs.replace(towns.game(phase, proposals=towns.three_proposals()), players=people)
        welcome = towns.welcome(world, towns.flows_at(world, 0.3), name="fran", game=game)
        link.messages.put(msgspec.structs.replace(welcome, role="facilitator"))
        window.switch_to()
        window.dispatch_events()
        window.on_update(1 / 60)
        window.tabs.show(tab)
        window.help.open = help_open
        _frame_ms(window, 10)  # warm-up: layouts and glyphs
        runs = [_frame_ms(window) for _ in range(RUNS)]
        window.close()
        rows.append({"benchmark": "facilitate", "case": f"{name}, {players} players, {size[0]}x{size[1]}",
                     "median_ms": statistics.median(runs), "runs": RUNS,
                     "detail": f"{FRAMES} frames a run; min {min(runs):.2f} ms, max {max(runs):.2f} ms"})
    return rows + [round_trip()]


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    from run import table

    print(table(run()))
