"""A small hand-built town and the wire messages about it, for the client's tests.

    west  0 --- 1 --- 2 --- 3   north row: local streets, two-way
          |     |     |     |
          4 === 5 === 6 === 7   middle row: an arterial, two-way
          |     |     |     |
          8 --- 9 -->10 ..  11  south row: a one-way street (9->10) and a footpath (10..11)

Nodes are 300 m apart, node 8 at (0, 0); the grid is 48 x 32 cells of 25 m from
(-75, -50) with a lake in the north-west corner (north of y=650 m, west of x=150 m), a
park in the north-east corner and housing everywhere else.
"""

from __future__ import annotations

import numpy as np

from agora.server import protocol as p
from agora.server.net import messages
from agora.server.world.types import LandUse, Mode, RoadClass
from agora.server.world.world import World, WorldMeta

SPACING_M = 300.0
ORIGIN_M = (-75.0, -50.0)
LAKE_POINT_M = (-40.0, 710.0)
BLOCK_CENTRE_M = (450.0, 450.0)  # the middle of a block, 150 m from every road


def small_world() -> World:
    cols, rows = 4, 3
    xs, ys = np.meshgrid(np.arange(cols) * SPACING_M, (rows - 1 - np.arange(rows)) * SPACING_M)
    node_x, node_y = xs.ravel().astype(np.float64), ys.ravel().astype(np.float64)

    links: list[tuple[int, int, RoadClass, Mode]] = []

    def two_way(a: int, b: int, cls: RoadClass) -> None:
        links.append((a, b, cls, Mode.ALL))
        links.append((b, a, cls, Mode.ALL))

    for a, b in ((0, 1), (1, 2), (2, 3)):
        two_way(a, b, RoadClass.LOCAL)
    for a, b in ((4, 5), (5, 6), (6, 7)):
        two_way(a, b, RoadClass.ARTERIAL)
    for a, b in ((0, 4), (1, 5), (2, 6), (3, 7), (4, 8), (5, 9), (6, 10), (7, 11)):
        two_way(a, b, RoadClass.COLLECTOR)
    two_way(8, 9, RoadClass.LOCAL)
    links.append((9, 10, RoadClass.LOCAL, Mode.ALL))  # one-way
    two_way(10, 11, RoadClass.PATH)
    for i in (-2, -1):
        links[i] = (links[i][0], links[i][1], links[i][2], Mode.BIKE | Mode.WALK)

    frm = np.array([a for a, _, _, _ in links], dtype=np.int32)
    to = np.array([b for _, b, _, _ in links], dtype=np.int32)
    cls = np.array([c for _, _, c, _ in links], dtype=np.uint8)
    modes = np.array([m for _, _, _, m in links], dtype=np.uint8)
    twin = np.full(len(links), -1, dtype=np.int32)
    for i, (a, b, _, _) in enumerate(links):
        for j, (c, d, _, _) in enumerate(links):
            if c == b and d == a:
                twin[i] = j
    capacity = np.array([{0: 1800.0, 1: 900.0, 2: 600.0, 3: 100.0}[int(c)] for c in cls])
    speed = np.array([{0: 50.0, 1: 40.0, 2: 30.0, 3: 5.0}[int(c)] for c in cls])
    lanes = np.array([{0: 2, 1: 1, 2: 1, 3: 1}[int(c)] for c in cls], dtype=np.int8)
    length = np.hypot(node_x[to] - node_x[frm], node_y[to] - node_y[frm])

    height, width, cell = 32, 48, 25.0
    land = np.full((height, width), LandUse.HOUSING, dtype=np.uint8)
    cx = ORIGIN_M[0] + (np.arange(width) + 0.5) * cell
    cy = ORIGIN_M[1] + (np.arange(height) + 0.5) * cell
    land[np.ix_(cy > 650.0, cx < 150.0)] = LandUse.WATER
    land[np.ix_(cy > 650.0, cx > 800.0)] = LandUse.PARK

    arrays = {
        "grid.land_use": land,
        "grid.residents": np.ones((height, width), dtype=np.float32),
        "grid.jobs": np.ones((height, width), dtype=np.float32),
        "grid.zone": np.zeros((height, width), dtype=np.int32),
        "network.node_x_m": node_x,
        "network.node_y_m": node_y,
        "network.link_from": frm,
        "network.link_to": to,
        "network.length_m": length,
        "network.lanes": lanes,
        "network.capacity_veh_h": capacity,
        "network.speed_kmh": speed,
        "network.road_class": cls,
        "network.modes": modes,
        "network.twin": twin,
        "network.closed": np.zeros(len(links), dtype=bool),
        "zones.node": np.array([0], dtype=np.int32),
    }
    meta = WorldMeta(
        name="small", title="Small test town", description="hand-built for client tests",
        attribution="synthetic", cell_m=cell, origin_x_m=ORIGIN_M[0], origin_y_m=ORIGIN_M[1],
    )
    return World.from_arrays(meta, arrays)


def link_between(world: World, a: int, b: int) -> int:
    n = world.network
    hits = np.flatnonzero((n.link_from == a) & (n.link_to == b))
    assert hits.size == 1, f"no single link {a}->{b}"
    return int(hits[0])


def indicators(vehicle_hours: float = 1234.5, vehicle_km: float = 45678.0, mean_trip_min: float = 12.3) -> p.Indicators:
    return p.Indicators(
        vehicle_hours=vehicle_hours, vehicle_km=vehicle_km, mean_trip_min=mean_trip_min,
        car_trips=5000.0, unserved_trips=0.0, relative_gap=0.001,
    )


def flows_at(world: World, vc: float) -> np.ndarray:
    """Every link's flow at the same volume/capacity ratio (paths carry none)."""
    n = world.network
    return np.where((n.modes & Mode.CAR) != 0, n.capacity_veh_h * vc, 0.0).astype(np.float32)


def noise_board(world: World, east_dba: float, west_dba: float = 42.0) -> dict[str, np.ndarray]:
    """A made-up Lden layer: one level east of x = 450 m, another west of it."""
    height, width = world.grid.shape
    x = world.meta.origin_x_m + (np.arange(width) + 0.5) * world.meta.cell_m
    lden = np.where(x[None, :] > 450.0, east_dba, west_dba) * np.ones((height, 1))
    return {"grid_noise_lden_dba": lden.astype(np.float32)}


def welcome(world: World, flow: np.ndarray, tick: int = 7, name: str = "ada",
            layers: list[p.Layer] | None = None, game: p.Game | None = None) -> p.Welcome:
    snap = messages.snapshot_message("s1", world, tick, flow, indicators(), layers)
    return p.Welcome(player_id=1, name=name, token="t0k", role="player", protocol=p.PROTOCOL_VERSION, snapshot=snap,
                     game=game)


def delta(
    world: World, before: np.ndarray, after: np.ndarray, tick: int, closed: tuple[int, ...] = (),
    layers: list[p.Layer] | None = None, **ind: float,
) -> p.Delta:
    mask = np.zeros(world.network.n_links, dtype=bool)
    mask[list(closed)] = True
    return messages.delta_message(tick, before, after, mask, indicators(**ind), layers)


# -- the game, as a Game message would describe it --------------------------------------

PHASES = (("explore", "Explore", 3.0, ["preview", "interventions"]),
          ("propose", "Propose", 7.0, ["preview", "propose", "withdraw", "comment", "interventions"]),
          ("vote", "Vote", 4.0, ["vote"]),
          ("adopt", "Adopt", 2.0, ["adopt"]),
          ("debrief", "Debrief", 4.0, ["comment"]))


def phase(name: str = "propose", state: str = "running", remaining_s: float = 300.0, speed: float = 1.0) -> p.PhaseInfo:
    names = [n for n, _, _, _ in PHASES]
    if state in ("waiting", "finished"):
        index = -1 if state == "waiting" else len(PHASES)
        return p.PhaseInfo(state, index, len(PHASES), "", "", 0.0, 0.0, speed, [])  # type: ignore[arg-type]
    i = names.index(name)
    _, title, minutes, opens = PHASES[i]
    return p.PhaseInfo(state, i, len(PHASES), name, title, minutes, remaining_s, speed, opens)  # type: ignore[arg-type]


def proposal(pid: int, title: str, cost_eur: int, author: str = "bob", status: str = "submitted",
             rationale: str = "", links: tuple[int, ...] = (3,), versions: int = 1,
             comments: tuple[tuple[str, str, int], ...] = ()) -> p.ProposalInfo:
    """comments: (author, text, depth), in reading order (a depth-1 comment replies to the one before)."""
    vs = [p.VersionInfo(n, 10 * n, title if n == versions else f"{title} (draft {n})", rationale,
                        [p.CloseLink(link=i) for i in links], [cost_eur // max(len(links), 1)] * len(links), cost_eur)
          for n in range(1, versions + 1)]
    cs, parents = [], {}
    for i, (who, text, depth) in enumerate(comments, start=1):
        parents[depth] = i
        cs.append(p.CommentInfo(i, parents.get(depth - 1) if depth else None, depth, who, text, 20 + i))
    return p.ProposalInfo(pid, 2, author, status, vs, [p.StatusInfo(10, status, author)], cs, False)


def game(ph: p.PhaseInfo | None = None, proposals: list[p.ProposalInfo] | None = None, budget_eur: int = 3_000_000,
         spent_eur: int = 0, voting: str = "approval", voted: bool = False) -> p.Game:
    return p.Game(tick=40, rules="demo", voting=voting, phase=ph or phase(), budget_eur=budget_eur,
                  spent_eur=spent_eur, proposals=proposals or [], chat=[],
                  players=[p.PlayerInfo(1, "ada", "player"), p.PlayerInfo(2, "bob", "player")], voted=voted)


def three_proposals() -> list[p.ProposalInfo]:
    return [
        proposal(1, "Quiet Mill Lane", 10_000, author="bob", versions=2,
                 rationale="Children walk to school along Mill Lane; through traffic makes it unsafe.",
                 comments=(("cy", "Where do the cars go instead?", 0), ("bob", "Onto the ring road: see the preview.", 1),
                           ("ada", "Good for the school run.", 0))),
        proposal(2, "Bike lanes on the high street", 84_000, author="cy", links=(4, 5)),
        proposal(3, "My draft", 20_000, author="ada", status="draft"),
    ]


# -- a preview, as the server would answer one ------------------------------------------

BEFORE = {"mean_trip_min": 12.3, "vehicle_hours": 1234.5, "vehicle_km": 45678.0, "car_trips": 5000.0,
          "relative_gap": 1e-5, "co2_kg_h": 624.0, "residents_above_who_lden": 2300.0,
          "no2_pop_weighted_ug_m3": 16.1, "habitat_quality_mean": 0.381, "access_walk_all": 0.574,
          "access_walk_grocery": 0.9}
AFTER = {**BEFORE, "mean_trip_min": 12.9, "vehicle_hours": 1301.0, "vehicle_km": 46010.0, "co2_kg_h": 611.0,
         "residents_above_who_lden": 2100.0, "no2_pop_weighted_ug_m3": 15.8, "relative_gap": 2e-5,
         "access_walk_grocery": 0.95}
PERSONAS = {"resident": 0.8, "commuter": -0.6, "cyclist": 0.02, "ecologist": 0.2}


def preview(world: World, request: int, closed: tuple[int, ...], flow_change: dict[int, float],
            east_noise_change_dba: float = -4.0, east_no2_change: float = 1.5) -> p.Preview:
    """A made-up answer: the noise falls east of x = 450 m, NO2 rises there; flows change as given."""
    from agora.server.net.layers import delta_layer

    height, width = world.grid.shape
    x = world.meta.origin_x_m + (np.arange(width) + 0.5) * world.meta.cell_m
    east = (x[None, :] > 450.0) * np.ones((height, 1))
    links = np.array(sorted(flow_change), dtype=np.int32)
    return p.Preview(
        request=request, world_version=0, cached=False, hour=8.0,
        indicators_before=dict(BEFORE), indicators_after=dict(AFTER),
        mode_share_before=[0.58, 0.10, 0.11, 0.21], mode_share_after=[0.55, 0.11, 0.13, 0.21],
        link=p.Array.of(links), flow_delta_veh_h=p.Array.of(np.array([flow_change[i] for i in links], dtype=np.float32)),
        layers=[delta_layer("grid_noise_lden_dba", (east * east_noise_change_dba).astype(np.float32)),
                delta_layer("grid_no2_ug_m3", (east * east_no2_change).astype(np.float32))],
        persona_scores=dict(PERSONAS),
    )
