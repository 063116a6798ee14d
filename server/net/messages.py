"""Translate session state into wire messages (protocol.py), and nothing else."""

from __future__ import annotations

import numpy as np

from agora.server import protocol as p
from agora.server.net.layers import DELTA_STEPS, delta_layer
from agora.server.session import personas
from agora.server.session.previews import Evaluation, PreviewResult
from agora.server.session.rulesets import RuleSet
from agora.server.world.types import LandUse, RoadClass
from agora.server.world.world import World


def grid_message(world: World) -> p.Grid:
    g, meta = world.grid, world.meta
    return p.Grid(
        width=int(g.shape[1]),
        height=int(g.shape[0]),
        cell_m=meta.cell_m,
        origin_x_m=meta.origin_x_m,
        origin_y_m=meta.origin_y_m,
        land_use=p.Array.of(g.land_use),
        land_use_names=[c.name.lower() for c in LandUse],
        residents=p.Array.of(g.residents.astype(np.float32)),
        jobs=p.Array.of(g.jobs.astype(np.float32)),
    )


def network_message(world: World) -> p.Network:
    n = world.network
    return p.Network(
        node_x_m=p.Array.of(n.node_x_m),
        node_y_m=p.Array.of(n.node_y_m),
        link_from=p.Array.of(n.link_from),
        link_to=p.Array.of(n.link_to),
        length_m=p.Array.of(n.length_m),
        lanes=p.Array.of(n.lanes),
        capacity_veh_h=p.Array.of(n.capacity_veh_h),
        speed_kmh=p.Array.of(n.speed_kmh),
        road_class=p.Array.of(n.road_class),
        road_class_names=[c.name.lower() for c in RoadClass],
        modes=p.Array.of(n.modes),
        twin=p.Array.of(n.twin),
        bus_lane=p.Array.of(n.bus_lane),
        bike_lane=p.Array.of(n.bike_lane),
        toll_eur=p.Array.of(n.toll_eur),
        line_first=p.Array.of(world.lines.first),
        line_link=p.Array.of(world.lines.link),
        line_stop=p.Array.of(world.lines.stop),
        line_headway_min=p.Array.of(world.lines.headway_min),
        link_name=p.Array.of(world.names.link) if world.names is not None else None,
        names=list(world.names.text) if world.names is not None else [],
    )


def snapshot_message(
    session_id: str, world: World, tick: int, flow_veh_h: np.ndarray, indicators: p.Indicators,
    layers: list[p.Layer] | None = None,
) -> p.Snapshot:
    return p.Snapshot(
        session=session_id,
        world=world.meta.name,
        title=world.meta.title,
        attribution=world.meta.attribution,
        tick=tick,
        grid=grid_message(world),
        network=network_message(world),
        closed=p.Array.of(world.network.closed),
        flow_veh_h=p.Array.of(flow_veh_h.astype(np.float32)),
        indicators=indicators,
        layers=layers or [],
    )


def delta_message(
    tick: int,
    previous_flow: np.ndarray,
    flow_veh_h: np.ndarray,
    closed: np.ndarray,
    indicators: p.Indicators,
    layers: list[p.Layer] | None = None,
) -> p.Delta:
    """Only the links whose flow moved by at least a tenth of a vehicle an hour travel."""
    new = flow_veh_h.astype(np.float32)
    changed = np.flatnonzero(np.abs(new - previous_flow.astype(np.float32)) >= 0.1).astype(np.int32)
    return p.Delta(
        tick=tick,
        link=p.Array.of(changed),
        flow_veh_h=p.Array.of(new[changed]),
        closed=[int(i) for i in np.flatnonzero(closed)],
        indicators=indicators,
        layers=layers or [],
    )


def preview_message(request: int, world_version: int, cached: bool, hour: float, result: PreviewResult,
                    rules: RuleSet | None = None) -> p.Preview:
    """A preview on the wire: both sides' indicators, the flows that move by a vehicle an
    hour or more, the change of every grid layer, and whom it helps or hurts among the
    rule set's personas."""
    flow = result.flow_delta_veh_h()
    moved = np.flatnonzero(np.abs(flow) >= 1.0).astype(np.int32)
    return p.Preview(
        request=request,
        world_version=world_version,
        cached=cached,
        hour=hour,
        indicators_before=result.before.indicators,
        indicators_after=result.after.indicators,
        mode_share_before=result.before.mode_share,
        mode_share_after=result.after.mode_share,
        link=p.Array.of(moved),
        flow_delta_veh_h=p.Array.of(flow[moved].astype(np.float32)),
        layers=[delta_layer(name, result.layer_delta(name)) for name in result.before.layers
                if name in result.after.layers and name in DELTA_STEPS],
        persona_scores={} if rules is None else persona_scores(rules, result),
    )


def persona_scores(rules: RuleSet, result: PreviewResult) -> dict[str, float]:
    """The rule set's personas scored on the preview; a persona whose indicators this world
    does not publish is left out rather than scored on half its objectives."""
    before, after = _scored(result.before), _scored(result.after)
    out = {}
    for name, persona in rules.personas.items():
        try:
            out[name] = personas.score(persona, before, after)
        except KeyError:
            continue
    return out


def _scored(side: Evaluation) -> dict[str, float]:
    """Indicators by name, the mode shares among them as mode_share_<mode>."""
    values = dict(side.indicators)
    values.update({f"mode_share_{mode}": share for mode, share in zip(("car", "pt", "bike", "walk"), side.mode_share)})
    return values
