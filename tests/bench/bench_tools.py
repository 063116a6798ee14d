"""The tool palette's costs on the server (issue 6): pricing a draft before its preview, on
the event loop, and the catalogue's weight in the Welcome message.

Target: pricing stays well under a tick's budget (1 s; it runs on the session's task before
the preview goes to the workers), for a draft of 1, 10 and 50 interventions (50 is the most a
draft may hold) on the default world.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from agora.server import protocol as p
from agora.server.net.catalogue import catalogue
from agora.server.session.pricing import price
from agora.server.session.rulesets import bundled
from agora.server.session.session import Session
from agora.server.world.world import World, resolve_world

RUNS = 15


def run() -> list[dict[str, object]]:
    world = World.load(resolve_world("default"))
    session = Session("bench", world, rules=bundled("workshop"), live_edits=False)
    net = world.network
    roads = [int(i) for i in np.flatnonzero(net.road_class <= 2)]  # arterial, collector, local
    rows: list[dict[str, object]] = []
    for size in (1, 10, 50):
        draft: list[p.Command] = [p.AddBikeLane(links=roads[2 * k: 2 * k + 2]) for k in range(size)]
        times = []
        for _ in range(RUNS):
            start = time.perf_counter()
            costs = price(session.game.book, session.published, draft)
            times.append(time.perf_counter() - start)
        rows.append({"benchmark": "tools", "case": f"price a draft of {size} bike lane(s), default world",
                     "median_ms": statistics.median(times) * 1000.0, "runs": RUNS,
                     "detail": f"EUR {sum(costs):,}; target well under 1000 ms"})
    entries = catalogue(session.rules)
    size_b = len(p.msgpack_encoder.encode(entries))
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        p.msgpack_encoder.encode(catalogue(session.rules))
        times.append(time.perf_counter() - start)
    rows.append({"benchmark": "tools", "case": "workshop catalogue for Welcome (build + msgpack)",
                 "median_ms": statistics.median(times) * 1000.0, "runs": RUNS,
                 "detail": f"{len(entries)} interventions, {size_b:,} bytes"})
    return rows
