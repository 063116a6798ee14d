"""A recorded session at any tick, fast enough to scrub: one replay runs forward, and the
simulation's arrays are kept every few ticks it passes, so going back starts close by.

    states = ReplayStates(eventlog, recorded, lock)
    session = states.at(40)       # blocking: call it off the event loop
    session = states.at(20)       # back: from the checkpoint at 20 (or the nearest before)

Going forward goes on from where the replay stands. Going back starts a new replay from the
latest checkpoint at or before the tick, or the database's latest snapshot there with its
arrays (its state hash checked, as store/replays.rebuild does), whichever is later: the
ticks before it only apply the orders to the town (Session.skip), which takes milliseconds.
A checkpoint is the simulation's arrays alone (Session.sim_arrays, 2.6 MB for the default
town); the town itself comes back from the log.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Mapping

import numpy as np

from agora.server.session.session import Replay, Session, SimState
from agora.server.store.eventlog import EventLog
from agora.server.store.replays import Recorded
from agora.server.store.snapshots import decode

log = logging.getLogger("agora.net")

CHECKPOINT_EVERY = 10  # ticks
CHECKPOINT_BYTES = 96 * 2**20  # the memory checkpoints may take, per replay connection


class SnapshotDiffers(Exception):
    """A database snapshot did not restore to its state hash."""


class ReplayStates:
    def __init__(self, eventlog: EventLog, recorded: Recorded, lock: threading.Lock) -> None:
        self.eventlog = eventlog
        self.recorded = recorded
        self.lock = lock  # guards the event log's connection, shared by replay connections
        self.replay: Replay | None = None
        self.checkpoints: OrderedDict[int, dict[str, np.ndarray]] = OrderedDict()
        self.rebuilds = 0  # replays started anew (for tests and the bench)

    def at(self, tick: int) -> Session:
        """The session as it was at `tick`, with the game commands logged after it."""
        current = self.replay
        start = self._start_before(tick)
        if current is None or current.session.tick > tick or current.session.tick < start:
            current = self._begin(start, tick)
        self.replay = current
        return current.run_to(tick)

    def _start_before(self, tick: int) -> int:
        """The tick the nearest usable state at or before `tick` stands at (0: the beginning)."""
        kept = max((t for t in self.checkpoints if t <= tick), default=0)
        with self.lock:
            row = self.eventlog.db.execute(
                "select max(tick) from snapshots where session = ? and tick <= ? and state is not null",
                [self.recorded.id, tick]).fetchone()
        stored = int(row[0]) if row and row[0] is not None else 0
        return max(kept, stored)

    def _begin(self, start: int, tick: int) -> Replay:
        self.rebuilds += 1
        recorded = self.recorded
        if start in self.checkpoints:
            self.checkpoints.move_to_end(start)
            # A copy: the simulation writes into the arrays it is given.
            return self._replay(SimState(start, {k: a.copy() for k, a in self.checkpoints[start].items()}))
        if start > 0:
            with self.lock:
                snapshot = self.eventlog.latest_state(recorded.id, start)
            if snapshot is not None and snapshot.state is not None and snapshot.tick == start:
                try:
                    _, arrays = decode(snapshot.state)
                    replay = self._replay(SimState(start, arrays), check=snapshot.state_hash)
                    replay.run_to(start)
                    return replay
                except (SnapshotDiffers, ValueError, KeyError, OSError) as exc:
                    log.warning("session %s: the snapshot at tick %d did not restore (%s); replaying from tick 0",
                                recorded.id, start, type(exc).__name__)
        # From the initial world: checkpoints on the way make the next seek back quick.
        return self._replay(None)

    def _replay(self, start: SimState | None, check: str | None = None) -> Replay:
        recorded = self.recorded

        def each_tick(session: Session) -> None:
            if check is not None and start is not None and session.tick == start.tick \
                    and session.state_hash() != check:
                raise SnapshotDiffers()
            if session.tick % CHECKPOINT_EVERY == 0 and session.tick not in self.checkpoints:
                self._keep(session.tick, session.sim_arrays())

        return Replay(recorded.fresh(), recorded.orders, recorded.players, start=start, each_tick=each_tick)

    def _keep(self, tick: int, arrays: Mapping[str, np.ndarray]) -> None:
        self.checkpoints[tick] = {name: np.array(a, copy=True) for name, a in arrays.items()}
        while len(self.checkpoints) > 1 and self._bytes() > CHECKPOINT_BYTES:
            self.checkpoints.popitem(last=False)

    def _bytes(self) -> int:
        return sum(a.nbytes for arrays in self.checkpoints.values() for a in arrays.values())
