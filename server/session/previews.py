"""Previews: what a draft would do to the city, before anyone decides.

    before = evaluate(world)                               # the world as it is, settled
    result = preview(world, [CloseLink(link=17)], before)  # the draft applied to a copy
    result.indicator_delta()["vehicle_hours"]              # + means more than today
    result.layer_delta("grid_noise_lden_dba")              # float32[H, W], after - before

Both sides are simulated the same way: a fresh simulation of the world with the clock held
at the preview hour (rules/session.toml [preview]), stepped until the assignment reaches its
gap and the demand stops moving, at most max_ticks steps. A fresh start puts air, species
and the other slow models at their settled state for that world (each spins up on its
first step), so before and after compare like with like. Nothing here touches the world
it is given; the same world and draft always give the same numbers.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Sequence

import numpy as np

from agora.server.protocol import Command
from agora.server.world import edits
from agora.server.world.simulation import Simulation
from agora.server.world.world import World

# The grid layers and link arrays a preview compares (board names).
LAYERS = ("grid_noise_lden_dba", "grid_noise_lnight_dba", "grid_no2_ug_m3", "grid_pm25_ug_m3",
          "grid_habitat_quality", "grid_species_per_ha", "grid_access_walk_needs", "grid_access_bike_needs",
          "grid_access_walk_min")


@dataclass(frozen=True)
class PreviewSettings:
    hour: float = 8.0
    relative_gap: float = 1e-4
    max_ticks: int = 12

    @classmethod
    def bundled(cls) -> PreviewSettings:
        table = tomllib.loads((files("agora.rules") / "session.toml").read_text(encoding="utf-8"))["preview"]
        return cls(float(table["hour"]), float(table["relative_gap"]), int(table["max_ticks"]))


@dataclass(frozen=True)
class Evaluation:
    """One world at the preview hour, settled."""

    world_hash: str
    indicators: dict[str, float]  # headline and impacts, by name
    mode_share: list[float]  # car, public transport, bike, walk
    link_flow_veh_h: np.ndarray  # float64[L]
    layers: dict[str, np.ndarray] = field(default_factory=dict)  # board name -> float32[H, W]
    ticks: int = 0  # steps it took to settle
    settled: bool = True  # False when max_ticks ran out first


@dataclass(frozen=True)
class PreviewResult:
    before: Evaluation
    after: Evaluation

    def indicator_delta(self) -> dict[str, float]:
        """after - before for every indicator both sides have."""
        return {k: self.after.indicators[k] - v for k, v in self.before.indicators.items() if k in self.after.indicators}

    def layer_delta(self, name: str) -> np.ndarray:
        delta: np.ndarray = (self.after.layers[name] - self.before.layers[name]).astype(np.float32)
        return delta

    def flow_delta_veh_h(self) -> np.ndarray:
        """after - before per link of the world before; links the draft added are left out."""
        n = self.before.link_flow_veh_h.shape[0]
        delta: np.ndarray = self.after.link_flow_veh_h[:n] - self.before.link_flow_veh_h
        return delta


class DraftError(ValueError):
    """A draft that cannot be applied: which intervention (0-based) and why."""

    def __init__(self, index: int, code: str, message: str) -> None:
        self.index = index
        self.code = code
        self.reason = message
        self.message = f"Intervention {index + 1} of the draft: {message}"
        super().__init__(self.message)

    def __reduce__(self) -> tuple[type[DraftError], tuple[int, str, str]]:
        # Previews run in worker processes: the error must survive pickling.
        return (DraftError, (self.index, self.code, self.reason))


def evaluate(world: World, settings: PreviewSettings | None = None) -> Evaluation:
    """Simulate a copy of `world` at the preview hour until it settles."""
    s = settings or PreviewSettings.bundled()
    sim = Simulation(world.copy(), start_hour=s.hour, minutes_per_tick=0.0)
    previous: np.ndarray | None = None
    settled = False
    while sim.tick < s.max_ticks:
        sim.step()
        trips = sim.board.get("od_car_trips_h")
        gap = float(sim.board.get("traffic_relative_gap", np.array(0.0)))
        # The noise map catches up over ticks when many roads moved at once.
        drawn = sim.board.get("noise_map_power_dba_m")
        noise_drawn = drawn is None or bool(np.all(sim.board["link_sound_power_dba_m"] == drawn))
        if (trips is not None and previous is not None and np.array_equal(trips, previous)
                and gap <= s.relative_gap and noise_drawn):
            settled = True
            break
        previous = None if trips is None else trips.copy()
    indicators = dict(sim.indicators())
    indicators.update(sim.impacts())
    layers = {name: np.asarray(sim.board[name], dtype=np.float32).copy() for name in LAYERS if name in sim.board}
    return Evaluation(world.state_hash(), indicators, sim.mode_share(), sim.link_flow_veh_h().copy(), layers,
                      sim.tick, settled)


def apply_draft(world: World, draft: Sequence[Command]) -> World:
    """A copy of `world` with every intervention of the draft applied in order; DraftError
    names the first that cannot be."""
    variant = world.copy()
    for index, command in enumerate(draft):
        try:
            edits.validate(variant, command)
        except edits.EditError as exc:
            raise DraftError(index, exc.code, exc.message) from exc
        edits.apply(variant, command)
    return variant


def preview(world: World, draft: Sequence[Command], before: Evaluation | None = None,
            settings: PreviewSettings | None = None) -> PreviewResult:
    """The world before and after the draft, each settled the same way. Pass `before` when
    it is already known for this world (it is the same for every draft)."""
    variant = apply_draft(world, draft)
    if before is None or before.world_hash != world.state_hash():
        before = evaluate(world, settings)
    return PreviewResult(before, evaluate(variant, settings))
