"""Assemble a world's simulation: its modules, their parameters, and the board they share.

    sim = Simulation(World.load(path))
    sim.step()                      # one tick of every module the world names
    sim.close_links([17, 18])       # edits reach the board before the next step
    sim.state_hash()                # world arrays + every module's state

Parameters come from rules/models.toml and the other files of MODEL_FILES (with their
sources), overridden per world by
`[parameters.<module>]` in world.toml.
"""

from __future__ import annotations

import tomllib
from importlib.resources import files
from typing import Any, Callable

import numpy as np

from agora.server.sim.access import Access
from agora.server.sim.air import Air
from agora.server.sim.connectivity import Connectivity
from agora.server.sim.demand import Demand, hour_of_tick
from agora.server.sim.emissions import Emissions
from agora.server.sim.fleet import Fleet
from agora.server.sim.habitat import Habitat
from agora.server.sim.noise import NoiseSource
from agora.server.sim.noise_map import NoiseMap
from agora.server.sim.indicators import EMISSION_INDICATORS, INDICATORS, Indicators
from agora.server.sim.pipeline import Board, Module, Pipeline
from agora.server.sim.species import Species
from agora.server.sim.traffic_stage import Traffic
from agora.server.world.types import LandUse
from agora.server.world.world import World, WorldError, hash_arrays

MODULES: dict[str, Callable[[dict[str, Any]], Module]] = {
    "demand": lambda p: Demand.from_parameters(p),
    "traffic": lambda p: Traffic(
        p["bpr_alpha"], p["bpr_beta"], int(p["iterations_per_tick"]), p["target_relative_gap"],
        p["value_of_time_eur_h"],
    ),
    "fleet": lambda p: Fleet(p),
    "emissions": lambda p: Emissions(p),
    "noise": lambda p: NoiseSource(p),
    "noise_map": lambda p: NoiseMap(p),
    "air": lambda p: Air(p),
    "habitat": lambda p: Habitat(p),
    "species": lambda p: Species(p),
    "connectivity": lambda p: Connectivity(p),
    "access": lambda p: Access(p),
    "indicators": lambda p: Indicators(),
}


# Ground that absorbs sound (ISO 9613-2's porous ground, G = 1); the rest reflects.
SOFT_GROUND = (int(LandUse.GRASS), int(LandUse.PARK), int(LandUse.WOODLAND))


# The files of model parameters in rules/, each holding sections named for modules.
MODEL_FILES = ("models.toml", "air.toml", "habitat.toml", "access.toml")


def model_parameters() -> dict[str, dict[str, Any]]:
    """The defaults of rules/ by module: every file of MODEL_FILES that exists, merged."""
    merged: dict[str, dict[str, Any]] = {}
    for name in MODEL_FILES:
        if not (files("agora.rules") / name).is_file():
            continue
        for section, values in _rules(name).items():
            if section in merged:
                raise WorldError(f"rules/{name} repeats the section [{section}] of another rules file")
            merged[section] = values
    return merged


def _rules(name: str) -> dict[str, dict[str, Any]]:
    return tomllib.loads((files("agora.rules") / name).read_text(encoding="utf-8"))


def world_board(world: World) -> Board:
    """The world's arrays under the names the simulation modules use."""
    n, lines = world.network, world.lines
    return {
        "node_x_m": n.node_x_m,
        "node_y_m": n.node_y_m,
        "link_from": n.link_from,
        "link_to": n.link_to,
        "link_length_m": n.length_m,
        "link_lanes": n.lanes,
        "link_capacity_veh_h": n.capacity_veh_h,
        "link_speed_kmh": n.speed_kmh,
        "link_free_time_min": n.free_time_min(),
        "link_modes": n.modes,
        "link_road_class": n.road_class,
        "link_car_usable": n.car_usable(),
        "link_bus_lane": n.bus_lane,
        "link_bike_lane": n.bike_lane,
        "link_toll_eur": n.toll_eur,
        "line_first": lines.first,
        "line_link": lines.link,
        "line_stop": lines.stop,
        "line_headway_min": lines.headway_min,
        "grid_soft_ground": np.isin(world.grid.land_use, SOFT_GROUND),
        "grid_origin_m": np.array([world.meta.origin_x_m, world.meta.origin_y_m]),
        "grid_cell_m": np.array(world.meta.cell_m),
        "weather_wind_speed_m_s": np.array(world.meta.weather.wind_speed_m_s),
        "weather_wind_from_deg": np.array(world.meta.weather.wind_from_deg),
        "weather_mixing_height_m": np.array(world.meta.weather.mixing_height_m),
        "grid_land_use": world.grid.land_use,
        "grid_residents": world.grid.residents,
        "grid_shops": world.grid.shops,
        "grid_school_places": world.grid.school_places,
        "grid_health": world.grid.health,
        "zone_node": world.zone_node,
        "zone_residents": world.zone_totals(world.grid.residents),
        "zone_jobs": world.zone_totals(world.grid.jobs),
        "zone_school_places": world.zone_totals(world.grid.school_places),
        "zone_shops": world.zone_totals(world.grid.shops),
    }


class Simulation:
    def __init__(self, world: World, start_hour: float | None = None, minutes_per_tick: float | None = None) -> None:
        """The clock comes from rules/session.toml unless given (a preview holds it still
        at one hour with minutes_per_tick=0)."""
        self.world = world
        defaults = model_parameters()
        modules: list[Module] = []
        for name in world.meta.modules:
            if name not in MODULES:
                raise WorldError(
                    f"world {world.meta.name!r} names the module {name!r}; known modules are "
                    f"{', '.join(sorted(MODULES))}"
                )
            params = dict(defaults.get(name, {}))
            params.update(world.meta.parameters.get(name, {}))
            modules.append(MODULES[name](params))
        clock = _rules("session.toml")["clock"]
        self.start_hour = float(clock["start_hour"] if start_hour is None else start_hour)
        self.minutes_per_tick = float(clock["minutes_per_tick"] if minutes_per_tick is None else minutes_per_tick)
        self.board = world_board(world)
        self.board["clock_hour"] = np.array(self.start_hour)
        self.pipeline = Pipeline(modules, self.board)
        self.tick = 0

    def step(self, timings_s: dict[str, float] | None = None) -> None:
        self.board["clock_hour"] = np.array(hour_of_tick(self.tick, self.start_hour, self.minutes_per_tick))
        self.pipeline.step(self.board, timings_s)
        self.tick += 1

    def refresh(self) -> None:
        """Re-read the world after an edit; the next step simulates the edited world."""
        self.board.update(world_board(self.world))

    def set_closed(self, links: list[int], closed: bool) -> None:
        """Close links to cars (or reopen them); the next step routes around them."""
        self.world.network.closed[links] = closed
        self.refresh()

    def indicators(self) -> dict[str, float]:
        values = {name: float(self.board.get(f"indicator.{name}", np.nan)) for name in INDICATORS}
        values.update({name: float(self.board[f"indicator.{name}"]) for name in EMISSION_INDICATORS
                       if f"indicator.{name}" in self.board})
        return values

    def impacts(self) -> dict[str, float]:
        """Every other indicator the modules publish (environment, access), by name."""
        headline = set(INDICATORS) | set(EMISSION_INDICATORS)
        return {name[len("indicator."):]: float(value) for name, value in sorted(self.board.items())
                if name.startswith("indicator.") and name[len("indicator."):] not in headline}

    def mode_share(self) -> list[float]:
        """Shares of person trips by car, public transport, bike and walk this hour."""
        share = self.board.get("mode_share")
        return [] if share is None else [float(x) for x in share]

    def link_flow_veh_h(self) -> np.ndarray:
        flow = self.board.get("link_flow_veh_h")
        return np.zeros(self.world.network.n_links) if flow is None else flow

    def state_hash(self) -> str:
        arrays = dict(self.world.arrays())
        arrays.update({f"sim.{k}": np.asarray(v) for k, v in self.pipeline.state(self.board).items()})
        arrays["sim.tick"] = np.array(self.tick, dtype=np.int64)
        return hash_arrays(arrays)


def warm_up(world: World) -> None:
    """Compile every kernel path a session meets (first tick, warm ticks, a closure's
    repair) on a throwaway copy, so the first player waits for none of them."""
    sim = Simulation(world.copy())
    sim.step()
    sim.step()
    busiest = int(np.argmax(sim.link_flow_veh_h()))
    sim.set_closed([busiest], True)
    sim.step()
