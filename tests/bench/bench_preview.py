"""Previews of a draft proposal (issue 5): how long one takes, and what thirty at once do
to the ticks.

Targets: a preview in 1 s or less on the default world; thirty players previewing at once
never stretch a tick past its budget (the tick period, 1 s by default). Cases:
- one preview, in process: the draft's world settled (the baseline already known), and
  both sides from scratch;
- thirty different drafts sent at once to the preview service (worker processes, as
  `agora serve` runs it), while the session ticks every 0.2 s in its thread: the time until
  the last answer, and the tick durations meanwhile against the same ticks with no previews.
"""

from __future__ import annotations

import asyncio
import statistics
import time

import numpy as np

from agora.server import protocol as p
from agora.server.net.previews import PreviewService
from agora.server.session.previews import evaluate, preview
from agora.server.session.session import Session
from agora.server.world.simulation import warm_up
from agora.server.world.world import World, resolve_world

RUNS = 7
DRAFTS = 30
TICK_S = 0.2


def _in_process(world: World) -> list[dict[str, object]]:
    before = evaluate(world)
    busiest = int(np.argmax(before.link_flow_veh_h))
    draft = [p.CloseLink(link=busiest)]
    rows = []
    for label, known in (("baseline known", True), ("both sides", False)):
        times = []
        for _ in range(RUNS):
            start = time.perf_counter()
            result = preview(world, draft, before if known else None)
            times.append(time.perf_counter() - start)
        rows.append({"benchmark": "preview", "case": f"default world, busiest street closed, {label}",
                     "median_ms": statistics.median(times) * 1000.0, "runs": RUNS,
                     "detail": f"settled in {result.after.ticks} ticks; target 1000 ms"})
    return rows


async def _storm(world: World) -> dict[str, object]:
    session = Session("bench", world)
    session.advance()
    service = PreviewService(workers=None)
    drafts = [[p.CloseLink(link=int(k))] for k in np.flatnonzero(world.network.twin > np.arange(world.network.n_links))[:DRAFTS]]
    # Let the workers start and warm up before timing.
    await service.preview(("bench", -1), world, drafts[0])

    durations: list[float] = []

    async def ticking(stop: asyncio.Event) -> None:
        while not stop.is_set():
            start = time.perf_counter()
            await asyncio.to_thread(session.advance)
            durations.append(time.perf_counter() - start)
            await asyncio.sleep(max(0.0, TICK_S - durations[-1]))

    stop = asyncio.Event()
    ticker = asyncio.create_task(ticking(stop))
    await asyncio.sleep(3.0)
    idle = list(durations)
    durations.clear()
    start = time.perf_counter()
    await asyncio.gather(*(service.preview(("bench", 0), world, draft) for draft in drafts))
    storm_s = time.perf_counter() - start
    busy = list(durations)
    stop.set()
    await ticker
    service.close()
    return {"benchmark": "preview", "case": f"{len(drafts)} drafts at once, ticking every {TICK_S} s",
            "median_ms": storm_s * 1000.0, "runs": 1,
            "detail": f"until the last answer; tick median/max {statistics.median(busy) * 1000:.1f}/"
                      f"{max(busy) * 1000:.1f} ms meanwhile ({len(busy)} ticks) vs "
                      f"{statistics.median(idle) * 1000:.1f}/{max(idle) * 1000:.1f} ms without; tick budget 1000 ms"}


def run() -> list[dict[str, object]]:
    world = World.load(resolve_world("default"))
    warm_up(world)
    return _in_process(world) + [asyncio.run(_storm(world))]


if __name__ == "__main__":
    for row in run():
        print(row)
