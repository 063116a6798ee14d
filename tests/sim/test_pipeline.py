from __future__ import annotations

import numpy as np
import pytest

from agora.server.sim.pipeline import Board, Pipeline, PipelineError


class Doubler:
    name = "doubler"
    inputs = ("x",)
    outputs = ("y",)

    def step(self, board: Board) -> None:
        board["y"] = board["x"] * 2


class Adder:
    name = "adder"
    inputs = ("y",)
    outputs = ("z",)

    def step(self, board: Board) -> None:
        board["z"] = board["y"] + 1


def test_modules_chain_in_order_over_the_board() -> None:
    board: Board = {"x": np.array([1.0, 2.0])}
    pipeline = Pipeline([Doubler(), Adder()], board)
    timings: dict[str, float] = {}
    pipeline.step(board, timings)
    np.testing.assert_array_equal(board["z"], [3.0, 5.0])
    assert set(timings) == {"doubler", "adder"}
    assert set(pipeline.state(board)) == {"y", "z"}


def test_a_module_whose_input_nobody_provides_is_refused_at_assembly() -> None:
    with pytest.raises(PipelineError, match="module 'adder' needs y"):
        Pipeline([Adder(), Doubler()], {"x": np.zeros(1)})
