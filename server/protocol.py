"""Every message on Agora's websocket, as msgspec Structs.

A session on the wire, as a bot would see it (msgpack frames; JSON text frames are
accepted too, and the server then answers in JSON)::

    -> {"type": "hello", "code": "K7QF2M", "name": "ada"}
    <- {"type": "welcome", "player_id": 1, "token": "...", "role": "player", "snapshot": {...}}
    <- {"type": "delta", "tick": 42, "link": {...}, "flow_veh_h": {...}, ...}
    -> {"type": "close_link", "link": 17}
    <- {"type": "accepted", "command": "close_link", "seq": 1, "applies_at_tick": 43}
    <- {"type": "event", "tick": 43, "player": "ada", "command": "close_link", "links": [17, 18]}
    -> {"type": "close_link", "link": 99999}
    <- {"type": "error", "code": "no_such_link", "message": "There is no link 99999; ..."}

Numeric arrays travel as `Array` (dtype, shape, raw little-endian bytes) so that a
snapshot of a city stays compact in msgpack; in JSON the bytes are base64.

The client imports this module and nothing else from the server. The catalogue and the
join lookup (protocol_catalogue.py) and replay (protocol_replay.py) are written in modules
of their own and re-exported here.
"""

from __future__ import annotations

import bz2
import math
from collections.abc import Sequence
from typing import Literal

import msgspec
import numpy as np
from msgspec import Struct

from agora.server.protocol_catalogue import CostInfo as CostInfo
from agora.server.protocol_catalogue import InterventionInfo as InterventionInfo
from agora.server.protocol_catalogue import JoinInfo as JoinInfo
from agora.server.protocol_catalogue import ParameterInfo as ParameterInfo
from agora.server.protocol_catalogue import PersonaInfo as PersonaInfo
from agora.server.protocol_catalogue import PlacementInfo as PlacementInfo
from agora.server.protocol_replay import Branch as Branch
from agora.server.protocol_replay import Branched as Branched
from agora.server.protocol_replay import Seek as Seek
from agora.server.protocol_replay import Timeline as Timeline
from agora.server.protocol_replay import TimelineEvent as TimelineEvent

PROTOCOL_VERSION = 1


class Array(Struct, frozen=True, forbid_unknown_fields=True):
    """A numpy array on the wire: dtype string (little-endian), shape, raw bytes."""

    dtype: str
    shape: tuple[int, ...]
    data: bytes

    @classmethod
    def of(cls, values: np.ndarray) -> Array:
        values = np.ascontiguousarray(values)
        little = values.dtype.newbyteorder("<")
        return cls(little.str, tuple(int(n) for n in values.shape), values.astype(little).tobytes())

    def to_numpy(self) -> np.ndarray:
        return np.frombuffer(self.data, dtype=np.dtype(self.dtype)).reshape(self.shape)


class Layer(Struct, frozen=True, forbid_unknown_fields=True):
    """A grid layer on the wire (row 0 south, like Grid), quantised to one byte a cell and
    compressed with bzip2: value = offset + step * q, q in 0..255.

    encoding "planar": the bytes are q[r, c] - q[r, c-1] - q[r-1, c] + q[r-1, c-1] (mod 256,
    terms outside the grid 0), which is near 0 wherever the layer is smooth; cumulative sums
    down the columns and along the rows give q back. encoding "change": the bytes are
    q - q_held (mod 256) against the same layer as the client last received it.
    """

    name: str  # e.g. "noise_lden_dba": what it is, unit last
    label: str  # for people: "Road noise, Lden"
    unit: str  # "dB(A)", "µg/m³", "0-1", ...
    offset: float
    step: float
    height: int
    width: int
    encoding: Literal["planar", "change"]
    data: bytes

    def quantised(self, held: np.ndarray | None = None) -> np.ndarray:
        """q, uint8[height, width]; a "change" layer needs the q held before it."""
        raw = np.frombuffer(bz2.decompress(self.data), dtype=np.uint8).reshape(self.height, self.width)
        if self.encoding == "planar":
            q: np.ndarray = np.cumsum(np.cumsum(raw, axis=0, dtype=np.uint8), axis=1, dtype=np.uint8)
            return q
        if held is None or held.shape != raw.shape:
            raise ValueError(f"layer {self.name} is a change against a layer this client does not hold")
        return held + raw  # uint8 arithmetic wraps: mod 256

    def values(self, q: np.ndarray) -> np.ndarray:
        """The layer in its unit, float32[height, width]."""
        out: np.ndarray = (self.offset + self.step * q.astype(np.float32)).astype(np.float32)
        return out


# ---------------------------------------------------------------- client -> server


class Hello(Struct, tag="hello", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """First message on a connection: a join code and a pseudonym, or a reconnect token."""

    code: str
    name: str
    token: str | None = None
    # A planner's replay of a recorded session (its id), with `token` the session's
    # facilitator token or the server's admin token; the answer is a Welcome and a Timeline.
    replay: str | None = None


class CloseLink(Struct, tag="close_link", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """Close a street to cars: the link and, if the street is two-way, its opposite twin."""

    link: int


class ReopenLink(Struct, tag="reopen_link", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """Reopen a closed street to cars (the link and its twin)."""

    link: int


class SetLanes(Struct, tag="set_lanes", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """Change the car lanes of links (a road diet removes one); capacity scales per lane."""

    links: list[int]
    lanes: int


class SetSpeedLimit(Struct, tag="set_speed_limit", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """Change the speed limit (free-flow speed) of links, in km/h."""

    links: list[int]
    speed_kmh: float


class MakeOneWay(Struct, tag="make_one_way", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """Keep cars and buses to this link's direction; the opposite direction stays open
    to bikes and walkers (contraflow cycling)."""

    link: int


class AddBusLane(Struct, tag="add_bus_lane", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """Give one car lane of each link to buses: buses skip the queue, cars lose a lane."""

    links: list[int]


class AddBikeLane(Struct, tag="add_bike_lane", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """Paint a bike lane on links: cycling there is perceived as safer and quicker."""

    links: list[int]


class SetToll(Struct, tag="set_toll", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """Charge cars this toll (EUR) for each passage of each link; 0 removes the toll."""

    links: list[int]
    toll_eur: float


class AddBusLine(Struct, tag="add_bus_line", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """A new bus line over consecutive links, stopping at the end of every link unless
    `stops` (one flag per link) says otherwise."""

    route: list[int]
    headway_min: float
    stops: list[bool] | None = None


class SetHeadway(Struct, tag="set_headway", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """Run a bus line more or less often: minutes between buses."""

    line: int
    headway_min: float


class AddRoad(Struct, tag="add_road", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """Build a new road between two existing nodes, straight, of a road class."""

    from_node: int
    to_node: int
    road_class: Literal["arterial", "collector", "local"]
    lanes: int = 1
    speed_kmh: float = 30.0
    two_way: bool = True


# -- land use: cells are [row, col] pairs, row 0 at the south edge (see Grid) --


class MakePark(Struct, tag="make_park", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """Turn cells into a public park; whoever lived or worked there leaves."""

    cells: list[tuple[int, int]]


class PlantTrees(Struct, tag="plant_trees", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """Plant a wood: the cells become woodland."""

    cells: list[tuple[int, int]]
    trees_per_cell: int = 16


class BuildHousing(Struct, tag="build_housing", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """Build homes: the cells become housing with this many residents each."""

    cells: list[tuple[int, int]]
    residents_per_cell: int = 15


class BuildOffices(Struct, tag="build_offices", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """Build offices: the cells become part of the centre with this many jobs each."""

    cells: list[tuple[int, int]]
    jobs_per_cell: int = 40


class AddSchool(Struct, tag="add_school", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """Open a school with this many places in a built cell."""

    cells: list[tuple[int, int]]
    places: int = 400


class AddGrocery(Struct, tag="add_grocery", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """Open a grocery with this many jobs in a built cell."""

    cells: list[tuple[int, int]]
    retail_jobs: int = 10


LandCommand = MakePark | PlantTrees | BuildHousing | BuildOffices | AddSchool | AddGrocery
Command = (
    CloseLink | ReopenLink | SetLanes | SetSpeedLimit | MakeOneWay | AddBusLane | AddBikeLane
    | SetToll | AddBusLine | SetHeadway | AddRoad
    | MakePark | PlantTrees | BuildHousing | BuildOffices | AddSchool | AddGrocery
)


class PreviewDraft(Struct, tag="preview", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """What would these interventions do? The answer (a Preview with the same request
    number, or an Error naming the intervention that cannot be applied) comes when the
    server has simulated the city with and without them; the world is not changed."""

    request: int  # yours to choose: the answer carries it back
    interventions: list[Command]


# -- the game: proposals, talk and ballots (players), the session's running (facilitator) --
# Each takes effect at once (at the current tick); the world edits an adoption or a rollback
# makes apply at the next tick. Proposal, comment and player ids are those the Game message shows.


class Propose(Struct, tag="propose", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """Put a proposal before the room: a title, why, and the interventions (checked against
    the rule set's catalogue, the phase, the map and what the budget has left). With
    `draft`, keep it private to amend and submit later."""

    title: str
    interventions: list[Command]
    rationale: str = ""
    draft: bool = False


class Submit(Struct, tag="submit", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """Submit one of your drafts: the room sees it from now on (a propose, as the phase opens it)."""

    proposal: int


class Amend(Struct, tag="amend", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """A new version of your proposal (the earlier ones stay in its history); refused once it has votes."""

    proposal: int
    title: str
    interventions: list[Command]
    rationale: str = ""


class Withdraw(Struct, tag="withdraw", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """Take your proposal off the table (it leaves the ballot), saying why if you like."""

    proposal: int
    reason: str = ""


class Comment(Struct, tag="comment", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """A comment under a proposal, or with `parent` a reply to one of its comments."""

    proposal: int
    text: str
    parent: int | None = None


class Chat(Struct, tag="chat", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """A line in the room's chat."""

    text: str


class Vote(Struct, tag="vote", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """Your ballot, final once cast: for approval and budgeting methods the proposals you
    approve (`approve`); for majority voting yes, no or abstain on each (`choices`)."""

    approve: list[int] | None = None
    choices: dict[int, Literal["yes", "no", "abstain"]] | None = None


class AdvancePhase(Struct, tag="advance_phase", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """Facilitator: on to the next phase (from waiting, the first; after the last, finished).
    The server sends it itself, as player "timer", when a phase's minutes are up."""


class SetPhase(Struct, tag="set_phase", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """Facilitator: jump to the phase of this name (back or forward), its timer at zero."""

    phase: str


class Pause(Struct, tag="pause", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """Facilitator: stop the phase timer and the simulation's ticks."""


class Resume(Struct, tag="resume", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """Facilitator: let the timer and the ticks run again."""


class SetSpeed(Struct, tag="set_speed", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """Facilitator: run ticks and phase timers `speed` times as fast (0.25 to 8)."""

    speed: float


class Announce(Struct, tag="announce", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """Facilitator: a line in the chat that the whole room sees as an announcement."""

    text: str


class Mute(Struct, tag="mute", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """Facilitator: the player may still propose and vote, but neither chat nor comment."""

    player: int


class Unmute(Struct, tag="unmute", tag_field="type", frozen=True, forbid_unknown_fields=True):
    player: int


class Remove(Struct, tag="remove", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """Facilitator: show a player out: their connection closes and their token no longer joins."""

    player: int


class Adopt(Struct, tag="adopt", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """Facilitator: adopt a submitted proposal; its interventions apply at the next tick."""

    proposal: int


class Reject(Struct, tag="reject", tag_field="type", frozen=True, forbid_unknown_fields=True):
    proposal: int
    reason: str = ""


class RollBack(Struct, tag="roll_back", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """Facilitator: undo an adopted proposal; the inverse edits apply at the next tick."""

    proposal: int


class CountVotes(Struct, tag="count_votes", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """Facilitator: count the ballots by the rule set's method; everyone gets a VoteResult.
    Counting decides nothing by itself: the facilitator adopts the winners."""


class ExtendPhase(Struct, tag="extend_phase", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """Facilitator: give the running phase `minutes` more (negative: fewer, but never down to
    zero), until the next phase change; PhaseInfo.minutes then counts them in."""

    minutes: float


class EndSession(Struct, tag="end_session", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """Facilitator: end the session for good: the town stops, nothing more is accepted, and
    a restarted server no longer resumes it (a replay still reads it)."""


GameCommand = (
    Propose | Submit | Amend | Withdraw | Comment | Chat | Vote
    | AdvancePhase | SetPhase | Pause | Resume | SetSpeed | Announce | Mute | Unmute | Remove
    | Adopt | Reject | RollBack | CountVotes | ExtendPhase | EndSession
)
# What the session log holds: world edits and game commands, one union.
Logged = Command | GameCommand


ClientMessage = (
    Hello | CloseLink | ReopenLink | SetLanes | SetSpeedLimit | MakeOneWay | AddBusLane
    | AddBikeLane | SetToll | AddBusLine | SetHeadway | AddRoad
    | MakePark | PlantTrees | BuildHousing | BuildOffices | AddSchool | AddGrocery | PreviewDraft
    | Propose | Submit | Amend | Withdraw | Comment | Chat | Vote
    | AdvancePhase | SetPhase | Pause | Resume | SetSpeed | Announce | Mute | Unmute | Remove
    | Adopt | Reject | RollBack | CountVotes | ExtendPhase | EndSession
    | Seek | Branch
)


def tag_of(message: Struct) -> str:
    """A message's wire tag, e.g. "close_link"."""
    return str(type(message).__struct_config__.tag)


# ---------------------------------------------------------------- server -> client


class Grid(Struct, frozen=True, forbid_unknown_fields=True):
    """Raster layers, row 0 at the south edge, column 0 at the west edge."""

    width: int
    height: int
    cell_m: float
    origin_x_m: float
    origin_y_m: float
    land_use: Array  # uint8[height, width], codes in `land_use_names`
    land_use_names: list[str]
    residents: Array  # float32[height, width]
    jobs: Array  # float32[height, width]


class Network(Struct, frozen=True, forbid_unknown_fields=True):
    """Directed road links between nodes in local metres."""

    node_x_m: Array  # float64[N]
    node_y_m: Array  # float64[N]
    link_from: Array  # int32[L]
    link_to: Array  # int32[L]
    length_m: Array  # float64[L]
    lanes: Array  # int8[L]
    capacity_veh_h: Array  # float64[L]
    speed_kmh: Array  # float64[L]
    road_class: Array  # uint8[L], codes in `road_class_names`
    road_class_names: list[str]
    modes: Array  # uint8[L], bit mask: 1 car, 2 bus, 4 bike, 8 walk
    twin: Array  # int32[L], the opposite link of a two-way street, or -1
    bus_lane: Array  # bool[L]
    bike_lane: Array  # bool[L]
    toll_eur: Array  # float64[L], per car passage
    line_first: Array  # int64[M+1], bus line m runs over line_link[line_first[m]:line_first[m+1]]
    line_link: Array  # int32[K]
    line_stop: Array  # bool[K], a stop at the end of that route link
    line_headway_min: Array  # float64[M]
    link_name: Array | None = None  # int32[L], the street's index in `names`, -1 for none
    names: list[str] = []  # the distinct street names


class Indicators(Struct, frozen=True, forbid_unknown_fields=True):
    """The headline numbers for the current tick (morning peak hour)."""

    vehicle_hours: float
    vehicle_km: float
    mean_trip_min: float
    car_trips: float
    unserved_trips: float
    relative_gap: float
    clock_hour: float = 8.0  # simulated time of day at this tick, hours after midnight
    mode_share: list[float] = []  # person trips by car, public transport, bike, walk
    co2_kg_h: float = 0.0  # road traffic CO2 this hour (cars and buses)
    nox_kg_h: float = 0.0
    pm25_kg_h: float = 0.0  # exhaust and tyre, brake and road wear
    # What the traffic does to the city, by name with its unit, as the world's modules
    # publish them: residents_above_who_lden, no2_pop_weighted_ug_m3, access_walk_all, ...
    impacts: dict[str, float] = {}


# The indicators a trend is kept of, by their names in Indicators and its impacts (the car
# share, mode_share[0], as "mode_share_car"), in the order a room reads them.
HEADLINE = ("vehicle_hours", "co2_kg_h", "mode_share_car", "mean_trip_min", "residents_above_who_lden",
            "no2_pop_weighted_ug_m3", "access_walk_all")
# One tick in a History: the tick, the simulated hour, the headline values by name.
Reading = tuple[int, float, dict[str, float]]


def reading(tick: int, indicators: Indicators) -> Reading:
    """A tick's headline values: emissions only when the world has them, and none that is not
    a number yet (before the first tick)."""
    values = {"vehicle_hours": indicators.vehicle_hours, "mean_trip_min": indicators.mean_trip_min,
              **{name: indicators.impacts[name] for name in HEADLINE if name in indicators.impacts}}
    if indicators.co2_kg_h > 0.0:
        values["co2_kg_h"] = indicators.co2_kg_h
    if indicators.mode_share:
        values["mode_share_car"] = indicators.mode_share[0]
    return tick, indicators.clock_hour, {name: float(values[name]) for name in HEADLINE
                                         if name in values and math.isfinite(values[name])}


class History(Struct, frozen=True, forbid_unknown_fields=True):
    """The headline indicators of the last few hundred ticks, oldest first, a column each (a
    column of float32 keeps 480 ticks of seven indicators to about 16 kB)."""

    tick: Array  # int32[n]
    clock_hour: Array  # float32[n], simulated time of day, hours after midnight
    values: dict[str, Array]  # float32[n] for each HEADLINE name the world publishes; NaN at a tick without it

    @classmethod
    def of(cls, readings: Sequence[Reading]) -> History:
        names = [name for name in HEADLINE if any(name in v for _, _, v in readings)]
        return cls(Array.of(np.array([t for t, _, _ in readings], dtype=np.int32)),
                   Array.of(np.array([h for _, h, _ in readings], dtype=np.float32)),
                   {name: Array.of(np.array([v.get(name, np.nan) for _, _, v in readings], dtype=np.float32))
                    for name in names})

    def readings(self) -> list[Reading]:
        columns = {name: column.to_numpy().astype(np.float64) for name, column in self.values.items()}
        return [(int(t), float(h), {name: float(c[i]) for name, c in columns.items() if math.isfinite(c[i])})
                for i, (t, h) in enumerate(zip(self.tick.to_numpy(), self.clock_hour.to_numpy()))]


class Snapshot(Struct, frozen=True, forbid_unknown_fields=True):
    session: str
    world: str
    title: str
    attribution: str
    tick: int
    grid: Grid
    network: Network
    closed: Array  # bool[L], links closed to cars
    flow_veh_h: Array  # float32[L]
    indicators: Indicators
    layers: list[Layer] = []  # every grid layer the world's modules publish, "planar"


class Welcome(Struct, tag="welcome", tag_field="type", frozen=True, forbid_unknown_fields=True):
    player_id: int
    name: str
    token: str
    role: Literal["facilitator", "player", "observer"]
    protocol: int
    snapshot: Snapshot
    game: Game | None = None  # the game as you may see it; then a Game message whenever it changes
    # The rule set's intervention catalogue (fixed for the session), for the client's tools.
    catalogue: list[InterventionInfo] = []
    # The headline indicators of the last few hundred ticks, oldest first, so that a player
    # who joins late sees the trend; each Delta's indicators extend it.
    history: History | None = None


class Delta(Struct, tag="delta", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """What changed at a tick: link flows that moved, the closed set, the indicators."""

    tick: int
    link: Array  # int32[K], ids of the links whose flow changed
    flow_veh_h: Array  # float32[K], their new flows
    closed: list[int]  # every link closed to cars after this tick
    indicators: Indicators
    layers: list[Layer] = []  # the layers that changed, "planar" or "change" (whichever is smaller)


class Resync(Struct, tag="resync", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """A fresh snapshot replacing everything the client holds: sent to a client that fell
    so far behind that its queue of deltas was dropped."""

    snapshot: Snapshot
    history: History | None = None  # as in Welcome: it covers the deltas that were dropped


class Accepted(Struct, tag="accepted", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """Your command was valid and is in the session log; it applies at that tick."""

    command: str
    seq: int
    applies_at_tick: int


class Event(Struct, tag="event", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """A player's command took effect (sent to everyone)."""

    tick: int
    player: str
    command: str
    links: list[int]


class Preview(Struct, tag="preview", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """The city before and after a draft, each settled at the preview hour.

    Indicators by name with their units (headline and impacts); flows of the links that
    change by a vehicle an hour or more; and every grid layer's change (after - before) as a
    Layer named "<layer>_delta" on a scale centred on 0 (offset = -128 steps).
    """

    request: int
    world_version: int  # the world the preview was made on (it moves when edits apply)
    cached: bool  # answered from an earlier identical preview
    hour: float  # the simulated hour both sides were settled at
    indicators_before: dict[str, float]
    indicators_after: dict[str, float]
    mode_share_before: list[float]
    mode_share_after: list[float]
    link: Array  # int32[K], links whose flow changes
    flow_delta_veh_h: Array  # float32[K], after - before
    layers: list[Layer] = []
    # Each persona of the session's rule set: > 0 the draft helps them, < 0 it hurts them,
    # in units of "a lot" (see rules/rulesets/README.md).
    persona_scores: dict[str, float] = {}
    # What the draft costs, priced by the rule set as a proposal of it would be (whole EUR):
    # each intervention in the draft's order, and the sum. A sandbox's draft outside the
    # catalogue is simulated but not priced: costs_eur is then empty.
    cost_eur: int = 0
    costs_eur: list[int] = []


class Error(Struct, tag="error", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """A refused message: a stable machine code and a sentence for people."""

    code: str
    message: str
    request: int = 0  # the request number of the preview refused, if it was one


class PhaseInfo(Struct, frozen=True, forbid_unknown_fields=True):
    state: Literal["waiting", "running", "paused", "finished"]
    index: int  # 0-based among `count` phases; -1 before the first, count after the last
    count: int
    name: str  # "" when no phase is running
    title: str
    minutes: float
    remaining_s: float  # real seconds left when the message was made (counts down at `speed`)
    speed: float
    opens: list[str]  # the commands this phase opens to players
    plan: list[PhaseStep] = []  # every phase of the rule set, in order (the facilitator's list)


class VersionInfo(Struct, frozen=True, forbid_unknown_fields=True):
    number: int
    tick: int
    title: str
    rationale: str
    interventions: list[Command]
    costs_eur: list[int]
    cost_eur: int


class StatusInfo(Struct, frozen=True, forbid_unknown_fields=True):
    tick: int
    status: str  # draft, submitted, withdrawn, adopted, rejected, rolled_back
    by: str
    reason: str = ""


class CommentInfo(Struct, frozen=True, forbid_unknown_fields=True):
    id: int
    parent: int | None
    depth: int  # 0 a comment, 1 a reply to it, ...; listed in reading order
    author: str
    text: str
    tick: int


class ProposalInfo(Struct, frozen=True, forbid_unknown_fields=True):
    id: int
    author_id: int
    author: str
    status: str
    versions: list[VersionInfo]  # oldest first; the last is current
    history: list[StatusInfo]
    comments: list[CommentInfo]
    reversible: bool  # adopted, it could be rolled back


class ChatLine(Struct, frozen=True, forbid_unknown_fields=True):
    seq: int
    author: str
    text: str
    tick: int
    announcement: bool = False


class PlayerInfo(Struct, frozen=True, forbid_unknown_fields=True):
    id: int
    name: str
    role: Literal["facilitator", "player", "observer"]
    muted: bool = False
    removed: bool = False


class Game(Struct, tag="game", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """The game as you may see it (others' drafts are private): sent on joining and
    whenever it changes."""

    tick: int
    rules: str  # the rule set's name
    voting: str  # majority, approval, pb_greedy, pb_equal_shares
    phase: PhaseInfo
    budget_eur: int
    spent_eur: int  # by adopted proposals
    proposals: list[ProposalInfo]
    chat: list[ChatLine]  # the latest lines, oldest first
    players: list[PlayerInfo]
    voted: bool  # you have cast your ballot


class Tally(Struct, frozen=True, forbid_unknown_fields=True):
    proposal: int
    outcome: str  # passed, rejected, tied, chosen, funded, unaffordable, ... (voting.Outcome)
    reason: str
    yes: int = 0  # majority
    no: int = 0
    abstain: int = 0
    approvals: int = 0  # approval and budgeting methods
    cost_eur: int = 0


class VoteResult(Struct, tag="vote_result", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """The count of the ballots, for everyone: winners in the method's order, a tally and a
    sentence for every proposal on the ballot, and one for the room."""

    tick: int
    method: str
    winners: list[int]
    tallies: list[Tally]
    voters: int
    explanation: str
    budget_eur: int = 0  # budgeting methods: what was shared and what the winners cost
    spent_eur: int = 0


class PhaseStep(Struct, frozen=True, forbid_unknown_fields=True):
    """One phase of the rule set, as PhaseInfo.plan lists them."""

    name: str
    title: str
    minutes: float  # as the rule set has it (PhaseInfo.minutes counts a running phase's extension in)


ServerMessage = (
    Welcome | Delta | Resync | Accepted | Event | Preview | Error | Game | VoteResult
    | Timeline | Branched
)


# Decoders are built once per direction (msgspec compiles them on creation).
client_msgpack_decoder = msgspec.msgpack.Decoder(ClientMessage)
client_json_decoder = msgspec.json.Decoder(ClientMessage)
server_msgpack_decoder = msgspec.msgpack.Decoder(ServerMessage)
server_json_decoder = msgspec.json.Decoder(ServerMessage)
msgpack_encoder = msgspec.msgpack.Encoder()
json_encoder = msgspec.json.Encoder()


def schema() -> dict[str, object]:
    """JSON Schema of both directions, for people writing their own clients or bots."""
    (client, server), components = msgspec.json.schema_components((ClientMessage, ServerMessage))
    return {"client_to_server": client, "server_to_client": server, "$defs": components}
