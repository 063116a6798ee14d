"""Scrubbing a replay (issue 7): how long a seek takes over the websocket, from the Seek
sent to the Game received (the Resync with the whole town before it).

The recording: the workshop of tests/store/recording.py on the default town, 300 ticks, a
snapshot every 60 ticks pruned as the live server prunes them (only the latest, tick 300,
keeps its arrays). Cases, medians of RUNS seeks:
- open: hello to timeline (loading the recording and rebuilding tick 1);
- step forward: one tick on from where the replay stands;
- step back: one tick back (a checkpoint every 10 ticks is at most 9 ticks behind);
- far, first: a fresh connection's first seek to tick 250 (from tick 0: no stored snapshot
  keeps its arrays before 300), which leaves checkpoints on the way;
- back 50 ticks: then to tick 200 (a checkpoint).

    python tests/bench/run.py replay
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from websockets.sync.client import ClientConnection, connect

from agora.server import protocol as p
from agora.server.net.replay_server import ReplayServer
from agora.server.store.eventlog import EventLog
from agora.server.world.simulation import warm_up
from agora.server.world.world import World, resolve_world

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.store.recording import record_workshop  # noqa: E402

RUNS = 5
TICKS = 300


def _seek(ws: ClientConnection, tick: int) -> float:
    started = time.perf_counter()
    ws.send(p.msgpack_encoder.encode(p.Seek(tick)))
    while not isinstance(p.server_msgpack_decoder.decode(ws.recv(timeout=600)), p.Game):
        pass
    return (time.perf_counter() - started) * 1000


def _open(server: ReplayServer) -> tuple[ClientConnection, float]:
    ws = connect(server.ws_url, max_size=2**28)
    started = time.perf_counter()
    ws.send(p.msgpack_encoder.encode(p.Hello(code="", name="bench", token=server.admin_token, replay="w1")))
    while not isinstance(p.server_msgpack_decoder.decode(ws.recv(timeout=600)), p.Timeline):
        pass
    return ws, (time.perf_counter() - started) * 1000


def _row(case: str, times: list[float], detail: str) -> dict[str, object]:
    return {"benchmark": "replay seek", "case": case, "median_ms": statistics.median(times), "runs": len(times),
            "detail": detail}


def run() -> list[dict[str, object]]:
    world = World.load(resolve_world("default"))
    warm_up(world)
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "agora.db"
        log = EventLog(db)
        record_workshop(log, world, every=60, ticks=TICKS)
        log.close()
        with ReplayServer(db) as server:
            opens, forward, back, far, jump = [], [], [], [], []
            for run_ in range(RUNS):
                ws, opened = _open(server)
                opens.append(opened)
                _seek(ws, 150)
                forward += [_seek(ws, 150 + i) for i in range(1, 4)]
                back += [_seek(ws, 153 - i) for i in range(1, 4)]
                ws.close()
                ws, _ = _open(server)
                far.append(_seek(ws, 250))
                jump.append(_seek(ws, 200))
                ws.close()
    return [
        _row("open (hello to timeline)", opens, "load the recording, rebuild tick 1"),
        _row("step forward 1 tick", forward, "around tick 150"),
        _row("step back 1 tick", back, "from a checkpoint <= 9 ticks back"),
        _row("far, first seek", far, "tick 1 -> 250: 249 ticks simulated from tick 0"),
        _row("back 50 ticks", jump, "tick 250 -> 200: from the checkpoint at 200"),
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
