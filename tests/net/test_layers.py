"""Grid layers on the wire: exact round trips, deltas that apply, and the 64 KiB budget."""

from __future__ import annotations

import sys
from pathlib import Path

import msgspec
import numpy as np
import pytest

from agora.server import protocol as p
from agora.server.net.layers import LAYER_SPECS, LayerFeed, quantise
from agora.server.sim.emissions import Emissions
from agora.server.sim.fleet import Fleet
from agora.server.sim.noise import NoiseSource
from agora.server.sim.noise_map import NoiseMap
from agora.server.sim.pipeline import Board
from agora.server.world.simulation import model_parameters

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from large_world import environment_board, large_world  # noqa: E402

NOISE = next(spec for spec in LAYER_SPECS if spec.board == "grid_noise_lden_dba")
BUDGET_BYTES = 64 * 1024


def wire_size(layer: p.Layer) -> int:
    return len(p.msgpack_encoder.encode(layer))


class Client:
    """What a client keeps: the quantised layers, updated from snapshots and deltas."""

    def __init__(self, layers: list[p.Layer]) -> None:
        self.q = {layer.name: layer.quantised() for layer in layers}

    def apply(self, layers: list[p.Layer]) -> None:
        for layer in layers:
            self.q[layer.name] = layer.quantised(self.q.get(layer.name))


def test_a_layer_survives_the_wire_to_within_half_a_step() -> None:
    rng = np.random.default_rng(3)
    values = (40.0 + 30.0 * rng.random((37, 53))).astype(np.float32)
    feed = LayerFeed()
    feed.commit(feed.prepare({NOISE.board: values}))
    (layer,) = feed.snapshot_layers()
    back = msgspec.msgpack.decode(p.msgpack_encoder.encode(layer), type=p.Layer)
    assert back.encoding == "planar" and back.unit == "dB(A)"
    np.testing.assert_allclose(back.values(back.quantised()), values, atol=NOISE.step / 2 + 1e-6)


def test_values_beyond_the_scale_stay_at_its_ends() -> None:
    q = quantise(np.array([[-5.0, np.nan, 300.0]]), NOISE)
    assert q.tolist() == [[0, 0, 255]]


def test_deltas_carry_only_changed_layers_and_apply_to_what_the_client_holds() -> None:
    rng = np.random.default_rng(4)
    board: Board = {NOISE.board: (50.0 + 10.0 * rng.random((64, 64))).astype(np.float32),
                    "grid_no2_ug_m3": np.full((64, 64), 12.0, np.float32)}
    feed = LayerFeed()
    feed.commit(feed.prepare(board))
    client = Client(feed.snapshot_layers())
    for tick in range(5):
        board[NOISE.board] = board[NOISE.board].copy()
        board[NOISE.board][10 + tick : 20 + tick, 5:30] += 3.0  # a road got busier
        feed.commit(feed.prepare(board))
        changed = feed.changed_layers()
        assert [layer.name for layer in changed] == [NOISE.name]  # NO2 did not move: not sent
        assert changed[0].encoding == "change"
        client.apply(changed)
        assert np.array_equal(client.q[NOISE.name], quantise(board[NOISE.board], NOISE))
    # Nothing moved: nothing to send.
    feed.commit(feed.prepare(board))
    assert feed.changed_layers() == []
    # A newcomer's snapshot is the same state the old client holds.
    late = Client(feed.snapshot_layers())
    assert all(np.array_equal(late.q[name], client.q[name]) for name in client.q)


def test_a_change_needs_the_layer_it_changes() -> None:
    feed = LayerFeed()
    feed.commit(feed.prepare({NOISE.board: np.zeros((8, 8), np.float32)}))
    feed.commit(feed.prepare({NOISE.board: np.ones((8, 8), np.float32) * 3}))
    with pytest.raises(ValueError, match="does not hold"):
        feed.changed_layers()[0].quantised(None)


@pytest.fixture(scope="module")
def large_noise() -> tuple[Board, list[object]]:
    world = large_world()
    board = environment_board(world)
    params = model_parameters()
    modules = [Fleet(params["fleet"]), Emissions(params["emissions"]), NoiseSource(params["noise"]),
               NoiseMap(params["noise_map"])]
    for module in modules:
        module.step(board)
    return board, modules


def test_layer_updates_of_the_512_world_stay_under_64_kib(large_noise: tuple[Board, list[object]]) -> None:
    board, modules = large_noise
    feed = LayerFeed()
    feed.commit(feed.prepare(board))
    client = Client(feed.snapshot_layers())
    whole = wire_size(feed.snapshot_layers()[0])
    sizes = []
    busiest = np.argsort(board["link_flow_veh_h"])[-40:]
    scenarios = (
        ("an arterial closed", lambda flow: np.where(np.isin(np.arange(flow.size), busiest), 0.0, flow)),
        ("a fifth more traffic everywhere", lambda flow: flow * 1.2),
        ("a new hour: a quarter less", lambda flow: flow * 0.75),
    )
    for _, change in scenarios:
        board["link_flow_veh_h"] = change(board["link_flow_veh_h"])
        # The noise map takes a few ticks to draw every road that moved; each tick's update
        # is what travels.
        for _ in range(30):
            for module in modules:
                module.step(board)  # type: ignore[attr-defined]
            feed.commit(feed.prepare(board))
            changed = [layer for layer in feed.changed_layers() if layer.name == NOISE.name]
            if not changed:
                break
            client.apply(changed)
            assert np.array_equal(client.q[NOISE.name], quantise(board[NOISE.board], NOISE))
            sizes.append(wire_size(changed[0]))
    assert len(sizes) >= 3
    print(f"512x512 Lden: whole {whole / 1024:.1f} KiB; {len(sizes)} updates, largest {max(sizes) / 1024:.1f} KiB")
    assert max(sizes) < BUDGET_BYTES
