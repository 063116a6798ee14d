"""The session database beyond the log: migrating a schema 1 file (its proposals, votes and
comments rebuilt by replaying the game alone), branching a session at a tick, and each
export format (replay included), on the demo workshop of tests/store/recording.py (the
default town, 100 ticks, 18 orders). `python tests/bench/run.py store`."""

from __future__ import annotations

import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # for tests.store.recording, when run as a script
    sys.path.insert(0, str(REPO))

from agora.server.export_files import export_file  # noqa: E402
from agora.server.store.branches import branch  # noqa: E402
from agora.server.store.eventlog import EventLog  # noqa: E402
from agora.server.store.replays import Recorded, game_replay, rebuild  # noqa: E402
from agora.server.world.world import World, resolve_world  # noqa: E402
from tests.store.recording import record_workshop  # noqa: E402

RUNS = 5


def _median_ms(work: Callable[[], object], runs: int = RUNS) -> float:
    work()  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _as_schema_1(source: Path, target: Path) -> None:
    shutil.copy(source, target)
    with sqlite3.connect(target) as conn:
        for table in ("proposals", "votes", "comments"):
            conn.execute(f"drop table {table}")
        conn.execute("alter table sessions drop column from_session")
        conn.execute("alter table sessions drop column from_tick")
        conn.execute("pragma user_version = 1")
    conn.close()


def run() -> list[dict[str, object]]:
    folder = Path(tempfile.mkdtemp(prefix="bench-store-"))
    try:
        db = folder / "agora.db"
        log = EventLog(db)
        record_workshop(log, World.load(resolve_world("default")), every=20, ticks=100)
        recorded = Recorded.load(log, "w1")
        log.close()
        rows: list[dict[str, object]] = []

        def migrate() -> None:
            old = folder / "v1.db"
            _as_schema_1(db, old)
            EventLog(old).close()

        rows.append({"benchmark": "store", "case": "migrate schema 1 -> 2 (copy + open)", "median_ms": _median_ms(migrate),
                     "runs": RUNS, "detail": "game replayed without simulating"})
        rows.append({"benchmark": "store", "case": "game replay only", "runs": RUNS, "detail": "18 orders, 100 ticks",
                     "median_ms": _median_ms(lambda: list(game_replay(recorded)))})
        log = EventLog(db)
        rows.append({"benchmark": "store", "case": "full replay from tick 0", "runs": RUNS, "detail": "for comparison",
                     "median_ms": _median_ms(lambda: rebuild(log, recorded, from_snapshot=False))})
        log.close()

        def branch_at_50() -> None:
            copy = folder / "branch.db"
            shutil.copy(db, copy)
            copied = EventLog(copy)
            branch(copied, "w1", 50)
            copied.close()

        rows.append({"benchmark": "store", "case": "branch at tick 50 (copy + branch)", "runs": RUNS,
                     "median_ms": _median_ms(branch_at_50),
                     "detail": "replays 50 ticks: tick 40's arrays are pruned"})
        for fmt in ("csv", "geojson", "grid-geojson", "geotiff", "html"):
            out = folder / fmt
            out.mkdir(exist_ok=True)

            def export() -> None:
                exporting = EventLog(db)
                export_file(exporting, "w1", fmt, out)
                exporting.close()

            rows.append({"benchmark": "store", "case": f"export {fmt}", "runs": 3, "median_ms": _median_ms(export, 3),
                         "detail": "replay of 100 ticks included"})
        return rows
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    for row in run():
        print(row)
