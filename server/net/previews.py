"""Previews off the tick loop: worker processes, and a cache by (session, world version, draft).

    service = PreviewService(workers=1)
    result, cached = await service.preview(("s1", 0), world, draft)
    service.close()

The simulation of a preview is CPU-bound Python and numba, so it runs in other processes;
the tick thread and the event loop never wait for it. Each worker keeps the settled
baseline of the worlds it has seen, so a second draft on the same world costs one
simulation, and an identical draft costs none (it is answered from the cache).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections import OrderedDict
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Hashable, Sequence

import msgspec

from agora.server import protocol as p
from agora.server.session.previews import Evaluation, PreviewResult, evaluate, preview
from agora.server.world.world import World

CACHE_SIZE = 256
_baselines: OrderedDict[str, Evaluation] = OrderedDict()  # per worker process


def _warm() -> None:
    """Load every compiled kernel once, before the first player's preview waits for it."""
    from agora.server.world.simulation import warm_up
    from agora.server.world.world import resolve_world

    warm_up(World.load(resolve_world("default")))


def _preview_in_worker(world: World, draft: bytes) -> PreviewResult:
    commands = msgspec.msgpack.decode(draft, type=list[p.Command])
    key = world.state_hash()
    before = _baselines.get(key)
    if before is None:
        before = evaluate(world)
        _baselines[key] = before
        while len(_baselines) > 8:
            _baselines.popitem(last=False)
    return preview(world, commands, before)


class PreviewService:
    def __init__(self, workers: int | None = None, warm: bool = True) -> None:
        self._workers = workers if workers is not None else max(1, (os.cpu_count() or 2) - 1)
        self._warm = warm
        self._pool = self._new_pool()
        self._cache: OrderedDict[Hashable, asyncio.Future[PreviewResult]] = OrderedDict()

    def _new_pool(self) -> ProcessPoolExecutor:
        # spawn, not fork: the server process has threads (uvicorn, the tick) that fork
        # would copy in an unknown state.
        return ProcessPoolExecutor(self._workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_warm if self._warm else None)

    async def preview(self, world_key: Hashable, world: World, draft: Sequence[p.Command]) -> tuple[PreviewResult, bool]:
        """(result, whether it came from the cache). Raises DraftError for a bad draft."""
        encoded = msgspec.msgpack.encode(list(draft))
        key = (world_key, encoded)
        future = self._cache.get(key)
        if future is not None:
            self._cache.move_to_end(key)
            cached = future.done()
            return await asyncio.shield(future), cached
        loop = asyncio.get_running_loop()
        future = asyncio.ensure_future(loop.run_in_executor(self._pool, _preview_in_worker, world, encoded))
        self._cache[key] = future
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        try:
            return await asyncio.shield(future), False
        except BrokenProcessPool:
            # A worker died (killed, out of memory): later previews get a fresh pool.
            self._cache.pop(key, None)
            self._pool = self._new_pool()
            raise
        except Exception:
            self._cache.pop(key, None)  # a refused draft is not remembered
            raise

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
