"""The tick pipeline: modules chained over one board of named arrays.

    pipeline = Pipeline([Demand(...), Traffic(...), Indicators()], world_inputs)
    board = dict(world_inputs)          # the world's arrays under their sim names
    pipeline.step(board)                # every module reads its inputs, writes its outputs

A module is any object with `name`, `inputs`, `outputs` and `step(board)`. The pipeline
checks at assembly that every input is provided by the world or an earlier module, so a
world file that lists modules in an impossible order fails at load with a clear error.
"""

from __future__ import annotations

import time
from typing import Iterable, Protocol, Sequence

import numpy as np

Board = dict[str, np.ndarray]


class Module(Protocol):
    # Read-only members, so that a module's fixed tuple of names satisfies them.
    @property
    def name(self) -> str: ...
    @property
    def inputs(self) -> tuple[str, ...]: ...
    @property
    def outputs(self) -> tuple[str, ...]: ...

    def step(self, board: Board) -> None: ...


class PipelineError(ValueError):
    """Modules that cannot be chained, with the missing array named."""


class Pipeline:
    def __init__(self, modules: Sequence[Module], provided: Iterable[str]) -> None:
        available = set(provided)
        for module in modules:
            missing = [name for name in module.inputs if name not in available]
            if missing:
                raise PipelineError(
                    f"module {module.name!r} needs {', '.join(missing)}, which neither the world "
                    f"nor an earlier module provides; check the order of `modules` in world.toml"
                )
            available.update(module.outputs)
        self.modules = list(modules)

    @property
    def outputs(self) -> list[str]:
        return [name for module in self.modules for name in module.outputs]

    def step(self, board: Board, timings_s: dict[str, float] | None = None) -> None:
        """Advance every module once. Timings are measured for benchmarks only; they never
        reach the board, so the simulation stays independent of the wall clock."""
        for module in self.modules:
            if timings_s is None:
                module.step(board)
                continue
            start = time.perf_counter()
            module.step(board)
            timings_s[module.name] = time.perf_counter() - start

    def state(self, board: Board) -> dict[str, np.ndarray]:
        """The arrays the modules own: with the world, everything that defines the state."""
        return {name: board[name] for name in self.outputs if name in board}
