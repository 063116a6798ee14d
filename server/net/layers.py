"""Grid layers on the wire: which board arrays travel, at what resolution, and how.

    feed = LayerFeed()
    feed.commit(feed.prepare(board))   # after a tick: quantise, note what changed
    feed.changed_layers()              # for the tick's Delta: only layers that moved
    feed.snapshot_layers()             # for a Welcome or Resync: the same state, whole

Each layer is quantised to one byte a cell on a fixed scale (below; a fixed scale keeps
deltas small, since a cell that did not move keeps its byte), then compressed. A 512 x 512
layer is 256 KiB of bytes before compression; a smooth field after the planar predictor,
or a change that touches part of the grid, compresses to a few KiB to a few tens of KiB
(tests/net/test_layers.py checks the 64 KiB budget on the large benchmark world).
"""

from __future__ import annotations

import bz2
from dataclasses import dataclass

import numpy as np

from agora.server import protocol as p
from agora.server.sim.pipeline import Board

# bzip2 packs the predictor's small residuals tighter than zlib, and faster, on these fields
# (1 dB noise map of the 512 x 512 world: 69 KiB in 15 ms; zlib -9: 72 KiB in 200 ms).
BZ2_LEVEL = 9
CHANGE_LIMIT_BYTES = 16 * 1024  # above this a change is sent as the whole layer, if smaller


@dataclass(frozen=True)
class LayerSpec:
    board: str  # the board array, float[H, W]
    name: str
    label: str
    unit: str
    offset: float
    step: float  # 255 steps from offset: values beyond are shown at the end of the scale


# Steps finer than the models' own uncertainty, and scales that hold what a city shows:
# noise 0-255 dB(A) by 1 dB (CNOSSOS-EU maps are uncertain by 2 dB or more, and strategic
# noise maps are shown in 5 dB bands); NO2 0-127.5 µg/m³ by 0.5 (the WHO annual guideline is
# 10, the EU limit 40); PM2.5 0-51 by 0.2 (WHO 5, EU 25); shares and qualities by 1/250.
LAYER_SPECS = (
    LayerSpec("grid_noise_lden_dba", "noise_lden_dba", "Road noise, Lden", "dB(A)", 0.0, 1.0),
    LayerSpec("grid_noise_lnight_dba", "noise_lnight_dba", "Road noise at night, Lnight", "dB(A)", 0.0, 1.0),
    LayerSpec("grid_no2_ug_m3", "no2_ug_m3", "NO2, this hour", "µg/m³", 0.0, 0.5),
    LayerSpec("grid_pm25_ug_m3", "pm25_ug_m3", "PM2.5, this hour", "µg/m³", 0.0, 0.2),
    LayerSpec("grid_habitat_quality", "habitat_quality", "Habitat quality", "0-1", 0.0, 1.0 / 250.0),
    LayerSpec("grid_species_per_ha", "species_per_ha", "Species population", "per ha", 0.0, 0.2),
    LayerSpec("grid_access_walk_needs", "access_walk_needs", "Daily needs within 15 min on foot", "of 5", 0.0, 1.0),
    LayerSpec("grid_access_bike_needs", "access_bike_needs", "Daily needs within 15 min by bike", "of 5", 0.0, 1.0),
    LayerSpec("grid_access_walk_min", "access_walk_min", "Minutes on foot to every daily need", "min", 0.0, 0.25),
)


# A preview's change of each layer (after - before), centred on 0: 128 steps either way.
DELTA_STEPS = {"grid_noise_lden_dba": 0.25, "grid_noise_lnight_dba": 0.25, "grid_no2_ug_m3": 0.05,
               "grid_pm25_ug_m3": 0.02, "grid_habitat_quality": 0.002, "grid_species_per_ha": 0.05,
               "grid_access_walk_needs": 1.0, "grid_access_bike_needs": 1.0, "grid_access_walk_min": 0.25}


def delta_layer(board_name: str, change: np.ndarray) -> p.Layer:
    """A preview's change of one layer, whole ("planar"), named "<layer>_delta"."""
    spec = next(s for s in LAYER_SPECS if s.board == board_name)
    step = DELTA_STEPS[board_name]
    # "Road noise" -> "change in road noise", but "NO2" stays "NO2".
    label = spec.label if spec.label[:2].isupper() else spec.label[0].lower() + spec.label[1:]
    centred = LayerSpec(board_name, f"{spec.name}_delta", f"Change in {label}", spec.unit, -128.0 * step, step)
    return _planar(centred, quantise(change, centred))


def quantise(values: np.ndarray, spec: LayerSpec) -> np.ndarray:
    """q = round((value - offset) / step), uint8, clipped to 0..255 (NaN to 0)."""
    scaled = np.nan_to_num((np.asarray(values, dtype=np.float64) - spec.offset) / spec.step, nan=0.0)
    q: np.ndarray = np.clip(np.rint(scaled), 0, 255).astype(np.uint8)
    return q


def planar_bytes(q: np.ndarray) -> bytes:
    """The planar predictor's residuals of q (uint8[H, W]), compressed; see protocol.Layer."""
    residual = np.diff(np.diff(q, axis=1, prepend=np.uint8(0)), axis=0, prepend=np.zeros((1, q.shape[1]), np.uint8))
    return bz2.compress(residual.tobytes(), BZ2_LEVEL)


def _layer(spec: LayerSpec, q: np.ndarray, encoding: str, data: bytes) -> p.Layer:
    return p.Layer(spec.name, spec.label, spec.unit, spec.offset, spec.step, int(q.shape[0]), int(q.shape[1]),
                   "planar" if encoding == "planar" else "change", data)


@dataclass(frozen=True)
class LayerState:
    held: dict[str, np.ndarray]  # q of every layer as last broadcast
    changed: dict[str, p.Layer]  # the layers the last tick changed, as sent in its Delta
    whole: dict[str, p.Layer]  # "planar" encodings of held layers, made when first needed


class LayerFeed:
    """The layers as last broadcast, per session: deltas against them, snapshots of them.

    prepare() runs in the tick's worker thread and changes nothing; commit() on the event
    loop swaps the new state in at once, so a player joining mid-tick gets a snapshot that
    the next Delta applies to.
    """

    def __init__(self) -> None:
        self.state = LayerState({}, {}, {})

    def prepare(self, board: Board) -> LayerState:
        held, whole = dict(self.state.held), dict(self.state.whole)
        changed: dict[str, p.Layer] = {}
        for spec in LAYER_SPECS:
            if spec.board not in board:
                continue
            q = quantise(board[spec.board], spec)
            before = held.get(spec.name)
            if before is not None and before.shape == q.shape and np.array_equal(before, q):
                continue
            held[spec.name] = q
            whole.pop(spec.name, None)
            if before is None or before.shape != q.shape:
                changed[spec.name] = whole[spec.name] = _planar(spec, q)
                continue
            change = _layer(spec, q, "change", bz2.compress((q - before).tobytes(), BZ2_LEVEL))
            if len(change.data) >= CHANGE_LIMIT_BYTES:
                # A change touching most of the grid can outgrow the layer itself.
                whole[spec.name] = _planar(spec, q)
                change = whole[spec.name] if len(whole[spec.name].data) < len(change.data) else change
            changed[spec.name] = change
        return LayerState(held, changed, whole)

    def commit(self, state: LayerState) -> None:
        self.state = state

    def changed_layers(self) -> list[p.Layer]:
        return list(self.state.changed.values())

    def snapshot_layers(self) -> list[p.Layer]:
        """Every layer as last broadcast, whole (encoded once, then reused)."""
        state = self.state
        for spec in LAYER_SPECS:
            if spec.name in state.held and spec.name not in state.whole:
                state.whole[spec.name] = _planar(spec, state.held[spec.name])
        return [state.whole[spec.name] for spec in LAYER_SPECS if spec.name in state.held]


def _planar(spec: LayerSpec, q: np.ndarray) -> p.Layer:
    return _layer(spec, q, "planar", planar_bytes(q))
