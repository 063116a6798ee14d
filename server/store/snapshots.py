"""Snapshots: a session's state every few ticks, so that recovery and replay need not start
from tick 0, and so that a replay can prove itself against the live run.

    snapshot = take(session)                  # in the tick thread, right after advance()
    log.add_snapshot(session.id, snapshot)    # a cache: the log stays the truth
    world_arrays, sim_arrays = decode(log.snapshot_state(session.id, 120))

A snapshot holds its tick, the last seq logged before it, the session's state hash (town,
simulation and game), and, compressed in one npz, the world's arrays and the simulation's
arrays beyond them (Session.sim_arrays: every module's state; 1.2 MB for the default town,
mostly the traffic's per-origin flows and bushes). The game is not in it: replaying the
orders without simulating (Session.skip) rebuilds it in milliseconds, and the state hash,
which covers the game, checks that rebuild.

Older snapshots keep their hash and lose their arrays: a 90-minute workshop would otherwise
keep 90 states (110 MB for the default town). The state stays on every KEEP_STATE_EVERY-th
snapshot (every 10 minutes of a live session, where a planner scrubbing a replay starts
from) and on the latest (where recovery starts from); every hash stays, for --verify.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

from agora.server.session.session import Session

# The rule sets have no field for it (rules/rulesets/*.toml): one snapshot a simulated hour
# at one tick a simulated minute, a minute of a live session at one tick a second. Recovery
# then replays at most 59 ticks (0.1-0.2 s on the default town) after catching up the game.
SNAPSHOT_EVERY_TICKS = 60
KEEP_STATE_EVERY = 10


@dataclass(frozen=True)
class Snapshot:
    tick: int
    seq: int  # the last order logged before it; orders after it apply after the snapshot
    state_hash: str
    state: bytes | None  # npz of encode(); None once pruned


def take(session: Session) -> Snapshot:
    """The session's snapshot now: call it between ticks (right after advance(), before any
    order of the new tick), while nothing else changes the session."""
    return Snapshot(session.tick, session.last_seq, session.state_hash(),
                    encode(session.world.arrays(), session.sim_arrays()))


def encode(world_arrays: dict[str, np.ndarray], sim_arrays: dict[str, np.ndarray]) -> bytes:
    arrays = {f"world.{name}": np.asarray(a) for name, a in world_arrays.items()}
    arrays.update({f"sim.{name}": np.asarray(a) for name, a in sim_arrays.items()})
    objects = [name for name, a in arrays.items() if a.dtype.hasobject]
    if objects:  # they would be pickled, and a snapshot is loaded without unpickling
        raise ValueError(f"cannot snapshot arrays of Python objects: {', '.join(objects)}")
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
    return buffer.getvalue()


def decode(state: bytes) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(world arrays, simulation arrays) of an encoded snapshot."""
    world: dict[str, np.ndarray] = {}
    sim: dict[str, np.ndarray] = {}
    # Never unpickle: a database can come from anyone (a planner's copy of a workshop).
    with np.load(io.BytesIO(state), allow_pickle=False) as data:
        for key in data.files:
            part, _, name = key.partition(".")
            if part not in ("world", "sim"):
                raise ValueError(f"a snapshot holds an array {key!r} that is neither world.* nor sim.*")
            (world if part == "world" else sim)[name] = data[key]
    return world, sim
