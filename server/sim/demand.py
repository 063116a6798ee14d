"""Travel demand: the four-step model's first three steps, with feedback from congestion.

    demand = Demand(DemandParameters.from_mapping(model_parameters()["demand"]))
    board["clock_hour"] = np.array(hour_of_tick(tick, start_hour, minutes_per_tick))
    demand.step(board)          # od_car_trips_h for the traffic module, trips by mode, shares

1. Generation (`generation.py`): daily person trips by purpose from residents, jobs,
   school places and shops.
2. Distribution: a doubly constrained gravity model per purpose, T_ij = A_i O_i B_j D_j
   f(c_ij), balanced by iterative proportional fitting (Furness 1965; Ortuzar & Willumsen,
   Modelling Transport, 4th ed. 2011, section 5.3), with f(c) = exp(-beta_p c). The cost c
   is the logsum over modes expressed in minutes (the composite cost, Williams 1977), so
   that a destination's pull reflects every way of getting there: a closed road or a new
   bus line moves people to other destinations, not only to other modes.
3. Time of day and mode choice (`modes.py`): the hour on the simulated clock selects
   directional hourly factors; a multinomial logit splits each pair's trips between car,
   public transport (`transit.py`), bike and walking (`skims.py`).

The car times are the congested times of the traffic module's last tick. The demand is
recomputed (deterministically, from what is on the board) when the network changes, at the
car times in use, and when the link times have moved by more than
`recompute_relative_change` since the last recompute; the times in use then move only part
way (`feedback_damping`) towards the new ones, which damps the loop between demand and
assignment (the method of successive averages; Ortuzar & Willumsen 2011). The times in use
are on the board (`demand_link_time_min`), so a run resumed from the board continues bit
for bit. Only the skims whose inputs changed are rebuilt: a closure redoes the car and bike
skims, not the walking and bus ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Callable, Generic, Mapping, Sequence, TypeVar

import numpy as np
from numba import njit

from agora.server.sim.generation import HOURS, PURPOSES, TripEnds, directional_factors, hour_slice, trip_ends
from agora.server.sim.generation import hour_of_tick as hour_of_tick  # the clock, for the session to set
from agora.server.sim.modes import CAR, MODES, Coefficients, ModeCosts, logit, mode_utilities
from agora.server.sim.paths import forward_star
from agora.server.sim.pipeline import Board
from agora.server.sim.skims import active_network, active_skim, bike_perceived_min, car_skim
from agora.server.sim.transit import TransitNetwork, bus_link_min, transit_skim
from agora.server.world.types import Mode

# Work and education trips go to a fixed place at a fixed time; the rest are discretionary.
COMMUTE, OTHER = 0, 1
PURPOSE_CLASS = (COMMUTE, COMMUTE, OTHER, OTHER, OTHER)
DEFAULT_HOUR = 8.0  # the morning peak, until a rule set puts `clock_hour` on the board
T = TypeVar("T")


@njit(cache=True, nogil=True)
def furness(
    productions: np.ndarray,
    attractions: np.ndarray,
    deterrence: np.ndarray,
    max_iter: int,
    tolerance: float,
) -> tuple[np.ndarray, int, float]:
    """Balance a seed matrix to both margins.

    productions float64[Z] trips leaving each zone, attractions float64[Z] trips arriving
    (same total), deterrence float64[Z, Z] the seed f(c_ij) (zero where no trip may go).
    Returns (trips float64[Z, Z], iterations, largest relative margin error).
    """
    z = productions.shape[0]
    a = np.ones(z)
    b = np.ones(z)
    trips = np.zeros((z, z))
    error = np.inf
    iterations = 0
    for iterations in range(1, max_iter + 1):
        for i in range(z):
            s = 0.0
            for j in range(z):
                s += b[j] * attractions[j] * deterrence[i, j]
            a[i] = 1.0 / s if s > 0.0 else 0.0
        for j in range(z):
            s = 0.0
            for i in range(z):
                s += a[i] * productions[i] * deterrence[i, j]
            b[j] = 1.0 / s if s > 0.0 else 0.0
        # Columns now match exactly; the rows tell how far from balanced we still are.
        error = 0.0
        for i in range(z):
            s = 0.0
            for j in range(z):
                trips[i, j] = a[i] * productions[i] * b[j] * attractions[j] * deterrence[i, j]
                s += trips[i, j]
            if productions[i] > 0.0:
                rel = abs(s - productions[i]) / productions[i]
                if rel > error:
                    error = rel
        if error <= tolerance:
            break
    return trips, iterations, error


def distribute(
    productions: np.ndarray,
    attractions: np.ndarray,
    deterrence: np.ndarray,
    *,
    max_iter: int = 500,
    tolerance: float = 1e-9,
) -> np.ndarray:
    """Doubly constrained trips float64[Z, Z] from margins and a seed (see `furness`).

    A zone whose trips can reach no attraction (or whose attraction no production can
    reach) would make the margins infeasible: it sends (or receives) none. Attractions
    are scaled to the productions' total.
    """
    productions = productions.astype(np.float64)
    attractions = attractions.astype(np.float64)
    while True:
        sends = (deterrence @ (attractions > 0.0)) > 0.0
        receives = ((productions > 0.0) @ deterrence) > 0.0
        if np.all(sends | (productions == 0.0)) and np.all(receives | (attractions == 0.0)):
            break
        productions = np.where(sends, productions, 0.0)
        attractions = np.where(receives, attractions, 0.0)
    if productions.sum() <= 0.0 or attractions.sum() <= 0.0:
        return np.zeros_like(deterrence)
    attractions = attractions * (productions.sum() / attractions.sum())
    trips, _, _ = furness(productions, attractions, deterrence, max_iter, tolerance)
    return trips


@dataclass(frozen=True)
class DemandParameters:
    """The [demand] table of rules/models.toml, where each value's source is given."""

    trips_work_per_resident: float
    trips_education_per_resident: float
    trips_shopping_per_resident: float
    trips_leisure_per_resident: float
    trips_nonhome_per_resident: float
    leisure_shop_weight: float
    beta_work_per_min: float
    beta_education_per_min: float
    beta_shopping_per_min: float
    beta_leisure_per_min: float
    beta_nonhome_per_min: float
    from_home: np.ndarray  # float64[P, 24], shares of the purpose's daily trips
    to_home: np.ndarray  # float64[P, 24]
    time_per_min: float
    value_of_time_commute_eur_h: float
    value_of_time_other_eur_h: float
    asc_pt: float
    asc_bike: float
    asc_walk: float
    walk_weight: float
    wait_weight: float
    transfer_penalty_min: float
    bus_dwell_min: float
    walk_kmh: float
    bike_kmh: float
    bike_traffic_factor_arterial: float
    bike_traffic_factor_collector: float
    car_terminal_min: float
    car_eur_per_km: float
    parking_eur: float
    pt_fare_eur: float
    car_occupancy: float
    intrazonal_m: float
    intrazonal_car_kmh: float
    recompute_relative_change: float
    feedback_damping: float

    @classmethod
    def from_mapping(cls, p: Mapping[str, Any]) -> DemandParameters:
        """Read the parameters; hourly factors come as from_home_<purpose> and to_home_<purpose>
        lists (the non-home-based purpose as one `hourly_nonhome` list, split evenly)."""
        hourly = [name for name in PURPOSES if name != "nonhome"]
        wanted = [f.name for f in fields(cls) if f.name not in ("from_home", "to_home")]
        wanted += [f"{d}_{name}" for name in hourly for d in ("from_home", "to_home")] + ["hourly_nonhome"]
        missing = [name for name in wanted if name not in p]
        if missing:
            raise KeyError(f"the demand model needs the parameters {', '.join(missing)} (see rules/models.toml)")
        half = 0.5 * np.asarray(p["hourly_nonhome"], dtype=np.float64)
        from_home, to_home = directional_factors(
            np.stack([np.asarray(p[f"from_home_{name}"], dtype=np.float64) for name in hourly] + [half]),
            np.stack([np.asarray(p[f"to_home_{name}"], dtype=np.float64) for name in hourly] + [half]),
        )
        scalars = {f.name: float(p[f.name]) for f in fields(cls) if f.name not in ("from_home", "to_home")}
        return cls(from_home=from_home, to_home=to_home, **scalars)

    @property
    def rates(self) -> np.ndarray:
        return np.array([getattr(self, f"trips_{name}_per_resident") for name in PURPOSES])

    @property
    def betas(self) -> np.ndarray:
        return np.array([getattr(self, f"beta_{name}_per_min") for name in PURPOSES])

    def coefficients(self, vot_class: int) -> Coefficients:
        vot = self.value_of_time_commute_eur_h if vot_class == COMMUTE else self.value_of_time_other_eur_h
        return Coefficients(
            asc=np.array([0.0, self.asc_pt, self.asc_bike, self.asc_walk]),
            time_per_min=self.time_per_min,
            cost_per_eur=self.time_per_min * 60.0 / vot,
            walk_weight=self.walk_weight,
            car_terminal_min=self.car_terminal_min,
            car_eur_per_km=self.car_eur_per_km,
            parking_eur=self.parking_eur,
            pt_fare_eur=self.pt_fare_eur,
        )


# What defines the network for the demand: a change in any of these rebuilds the skims.
_NETWORK_INPUTS = ("node_x_m", "link_from", "link_to", "link_length_m", "link_free_time_min", "link_car_usable",
                   "link_modes", "link_road_class", "link_bike_lane", "link_bus_lane", "link_toll_eur",
                   "line_first", "line_link", "line_stop", "line_headway_min", "zone_node", "zone_residents",
                   "zone_jobs", "zone_school_places", "zone_shops")


class _Memo(Generic[T]):
    """One value, made again only when one of the arrays it was made from changes."""

    def __init__(self) -> None:
        self._key: list[np.ndarray] | None = None
        self._value: T | None = None

    def get(self, key: Sequence[np.ndarray], make: Callable[[], T]) -> T:
        if self._value is None or self._key is None or not _same(key, self._key):
            self._value = make()
            self._key = [np.array(a, copy=True) for a in key]
        return self._value


def _same(a: Sequence[np.ndarray], b: Sequence[np.ndarray]) -> bool:
    return len(a) == len(b) and all(x.shape == y.shape and np.array_equal(x, y) for x, y in zip(a, b))


@dataclass(frozen=True)
class _Static:
    """What depends on the network alone, not on congestion."""

    star: tuple[np.ndarray, np.ndarray]
    walk_min: np.ndarray  # float64[Z, Z], with the ends within the zones
    bike_min: np.ndarray  # float64[Z, Z], perceived, with the ends within the zones
    walk_link_min: np.ndarray  # float64[L]
    transit: TransitNetwork
    same_node: np.ndarray  # bool[Z, Z]
    productions: np.ndarray  # float64[P, Z]
    attractions: np.ndarray  # float64[P, Z]
    # Bus skims by edge costs: a closure elsewhere leaves the buses' minutes as they were.
    transit_skims: _Memo[np.ndarray] = field(default_factory=_Memo)


@dataclass(frozen=True)
class DailyDemand:
    """A day's trips by purpose and the mode split of every pair, at one set of car times."""

    trips: np.ndarray  # float64[P, Z, Z], person trips per day (home zone first for home-based purposes)
    probability: np.ndarray  # float64[2, 4, Z, Z], mode split per value-of-time class and OD pair
    costs: ModeCosts


class Demand:
    """Pipeline module: person trips by mode for the current hour, and the car trips to assign.

    Reads `clock_hour` (0-d float64, hours after midnight; slice 8 if absent) and the
    traffic module's last `link_time_min` when they are on the board. Writes
    od_car_trips_h float64[Z, Z] (car vehicle trips in the hour; none within a zone or
    between zones on one node), od_trips_by_mode_h float64[4, Z, Z] (person trips in the
    hour by car, public transport, bike, walk, intrazonal included), trips_by_mode_h
    float64[4], mode_share float64[4], demand_hour (0-d int64, the slice in use),
    demand_link_time_min float64[L] (the car times the demand was computed with) and
    demand_car_trips_by_hour float64[24] (person trips by car in each hour of the day).
    """

    name = "demand"
    inputs = _NETWORK_INPUTS
    outputs = ("od_car_trips_h", "od_trips_by_mode_h", "trips_by_mode_h", "mode_share", "demand_hour",
               "demand_link_time_min", "demand_car_trips_by_hour")

    def __init__(self, parameters: DemandParameters) -> None:
        self.p = parameters
        self._key: list[np.ndarray] = []
        self._static: _Static | None = None
        self._parts = _StaticParts()
        self._daily: DailyDemand | None = None
        self._hour = -1
        self.recomputes = 0  # how often the daily demand was rebuilt (for benchmarks and tests)

    @classmethod
    def from_parameters(cls, p: Mapping[str, Any]) -> Demand:
        return cls(DemandParameters.from_mapping(p))

    @property
    def daily(self) -> DailyDemand | None:
        return self._daily

    def step(self, board: Board) -> None:
        clock = board.get("clock_hour")
        hour = hour_slice(float(clock) if clock is not None else DEFAULT_HOUR)
        network_changed = self._refresh_static(board)
        times, recompute = self._link_times(board, network_changed)
        if recompute or self._daily is None:
            assert self._static is not None
            self._daily = daily_demand(self.p, self._static, board, times)
            board["demand_link_time_min"] = times
            board["demand_car_trips_by_hour"] = car_trips_by_hour(self._daily, self.p)
            self.recomputes += 1
            self._hour = -1
        if hour != self._hour:
            self._write_hour(board, hour)

    def _refresh_static(self, board: Board) -> bool:
        key = [board[name] for name in _NETWORK_INPUTS]
        if self._static is not None and _same(key, self._key):
            return False
        self._key = [a.copy() for a in key]
        self._static = _static(self.p, board, self._parts)
        return True

    def _link_times(self, board: Board, network_changed: bool) -> tuple[np.ndarray, bool]:
        free = board["link_free_time_min"]
        current = board.get("link_time_min")
        if current is None or current.shape != free.shape:
            current = free
        current = np.where(np.isfinite(current), np.maximum(current, free), free)
        used = board.get("demand_link_time_min")
        if used is None or used.shape != free.shape:
            return current, True
        usable = board["link_car_usable"]
        moved = float(np.abs(current - used)[usable].sum()) / max(float(used[usable].sum()), 1e-12)
        if network_changed:
            # The edit first: congestion that moved meanwhile is taken up from the next tick.
            return used, True
        if moved <= self.p.recompute_relative_change:
            return used, False
        return used + self.p.feedback_damping * (current - used), True

    def _write_hour(self, board: Board, hour: int) -> None:
        assert self._daily is not None and self._static is not None
        by_mode = trips_in_hour(self._daily, self.p.from_home[:, hour], self.p.to_home[:, hour])
        car = by_mode[CAR] / self.p.car_occupancy
        car[self._static.same_node] = 0.0
        totals = by_mode.sum(axis=(1, 2))
        board["od_trips_by_mode_h"] = by_mode
        board["od_car_trips_h"] = car
        board["trips_by_mode_h"] = totals
        board["mode_share"] = totals / totals.sum() if totals.sum() > 0.0 else np.zeros(len(MODES))
        board["demand_hour"] = np.array(hour, dtype=np.int64)
        self._hour = hour


class _StaticParts:
    """The pieces of `_Static`, each remade only when its own inputs change: a closure
    changes the bike skim (traffic on the street) but not the walking skim or the buses."""

    def __init__(self) -> None:
        self.star: _Memo[tuple[np.ndarray, np.ndarray]] = _Memo()
        self.walk: _Memo[tuple[np.ndarray, np.ndarray, TransitNetwork]] = _Memo()
        self.bike: _Memo[np.ndarray] = _Memo()
        self.ends: _Memo[TripEnds] = _Memo()
        self.transit_skims: _Memo[np.ndarray] = _Memo()


def _static(p: DemandParameters, board: Board, parts: _StaticParts | None = None) -> _Static:
    parts = parts if parts is not None else _StaticParts()
    n_nodes = board["node_x_m"].shape[0]
    link_from, link_to, length_m = board["link_from"], board["link_to"], board["link_length_m"]
    zone_node, modes = board["zone_node"], board["link_modes"]
    graph = [np.array(n_nodes), link_from, link_to]

    def walking() -> tuple[np.ndarray, np.ndarray, TransitNetwork]:
        link_min = length_m / (p.walk_kmh * 1000.0 / 60.0)
        net = active_network(link_from, link_to, modes, Mode.WALK, both_ways=True)
        ends = p.intrazonal_m / (p.walk_kmh * 1000.0 / 60.0)
        transit = TransitNetwork.build(n_nodes, net, board["line_first"], board["line_link"], board["line_stop"],
                                       link_from, link_to)
        return link_min, active_skim(n_nodes, net, link_min, zone_node) + ends, transit

    def cycling() -> np.ndarray:
        net = active_network(link_from, link_to, modes, Mode.BIKE, both_ways=False)
        link_min = bike_perceived_min(length_m, board["link_road_class"], board["link_bike_lane"],
                                      board["link_car_usable"], p.bike_kmh, p.bike_traffic_factor_arterial,
                                      p.bike_traffic_factor_collector)
        out: np.ndarray = active_skim(n_nodes, net, link_min, zone_node) + p.intrazonal_m / (p.bike_kmh * 1000.0 / 60.0)
        return out

    walk_link_min, walk_min, transit = parts.walk.get(
        graph + [length_m, modes, zone_node, board["line_first"], board["line_link"], board["line_stop"]], walking)
    bike_min = parts.bike.get(graph + [length_m, modes, zone_node, board["link_road_class"], board["link_bike_lane"],
                                       board["link_car_usable"]], cycling)
    residents, jobs, schools, shops = (board[name] for name in ("zone_residents", "zone_jobs",
                                                                  "zone_school_places", "zone_shops"))
    ends = parts.ends.get([residents, jobs, schools, shops],
                          lambda: trip_ends(p.rates, residents, jobs, schools, shops, p.leisure_shop_weight))
    return _Static(
        star=parts.star.get(graph, lambda: forward_star(n_nodes, link_from, link_to)),
        walk_min=walk_min,
        bike_min=bike_min,
        walk_link_min=walk_link_min,
        transit=transit,
        same_node=zone_node[:, None] == zone_node[None, :],
        productions=ends.productions,
        attractions=ends.attractions,
        transit_skims=parts.transit_skims,
    )


def daily_demand(p: DemandParameters, s: _Static, board: Board, link_time_min: np.ndarray) -> DailyDemand:
    """Skims at the given car link times, mode split per class, and each purpose's daily trips."""
    first_out, out_links = s.star
    car_min, car_km, toll = car_skim(first_out, out_links, board["link_from"], board["link_to"], link_time_min,
                                     board["link_length_m"], board["link_toll_eur"], board["link_car_usable"],
                                     board["zone_node"])
    # Trips within a zone (or between zones on one node) never touch the network.
    car_min = np.where(s.same_node, p.intrazonal_m / (p.intrazonal_car_kmh * 1000.0 / 60.0), car_min)
    car_km = np.where(s.same_node, p.intrazonal_m / 1000.0, car_km)
    toll = np.where(s.same_node, 0.0, toll)
    bus_min = bus_link_min(link_time_min, board["link_free_time_min"], board["link_bus_lane"])
    edge_cost = s.transit.edge_cost(s.walk_link_min, bus_min, board["line_link"], board["line_headway_min"],
                                    p.walk_weight, p.wait_weight, p.transfer_penalty_min, p.bus_dwell_min)
    t = s.transit
    pt_min = s.transit_skims.get([edge_cost, t.edge_from, t.edge_to, board["zone_node"]], lambda: transit_skim(
        s.transit.first_out, s.transit.out_edges, s.transit.edge_to, edge_cost, board["zone_node"], s.transit.n_street))
    pt_min = pt_min + p.walk_weight * p.intrazonal_m / (p.walk_kmh * 1000.0 / 60.0)
    costs = ModeCosts(car_min, car_km, toll, pt_min, s.bike_min, s.walk_min)
    probability = np.empty((2, len(MODES)) + car_min.shape)
    composite_min = np.empty((2,) + car_min.shape)
    for c in (COMMUTE, OTHER):
        coefficients = p.coefficients(c)
        probability[c], logsum = logit(mode_utilities(costs, coefficients))
        composite_min[c] = logsum / coefficients.time_per_min
    trips = np.zeros((len(PURPOSES),) + car_min.shape)
    betas = p.betas
    for purpose in range(len(PURPOSES)):
        cost = composite_min[PURPOSE_CLASS[purpose]]
        # Home-based trips make the round trip: the way out and the way back both count.
        tour = 0.5 * (cost + cost.T)
        reachable = np.isfinite(tour)
        if not reachable.any():
            continue
        lowest = float(tour[reachable].min())
        seed = np.where(reachable, np.exp(-betas[purpose] * (np.where(reachable, tour, lowest) - lowest)), 0.0)
        trips[purpose] = distribute(s.productions[purpose], s.attractions[purpose], seed)
    return DailyDemand(trips, probability, costs)


def trips_in_hour(daily: DailyDemand, from_home: np.ndarray, to_home: np.ndarray) -> np.ndarray:
    """Person trips by mode in one hour (float64[4, Z, Z]) from a day's trips.

    from_home, to_home float64[P]: the hour's shares of each purpose's daily trips leaving
    home (origin = home zone, the trips' row) and coming back (origin = the other end).
    """
    z = daily.trips.shape[1]
    out = np.zeros((len(MODES), z, z))
    for c in (COMMUTE, OTHER):
        od = np.zeros((z, z))
        for purpose, vot_class in enumerate(PURPOSE_CLASS):
            if vot_class == c:
                od += from_home[purpose] * daily.trips[purpose] + to_home[purpose] * daily.trips[purpose].T
        out += daily.probability[c] * od[None, :, :]
    return out


def car_trips_by_hour(daily: DailyDemand, p: DemandParameters) -> np.ndarray:
    """Person trips by car in each hour of the day (float64[24]), intrazonal included: the
    day's profile of car traffic, for what is averaged over a day (noise's Lden)."""
    out = np.zeros(HOURS)
    for purpose, vot_class in enumerate(PURPOSE_CLASS):
        car = daily.probability[vot_class, CAR]
        outbound = float((car * daily.trips[purpose]).sum())
        inbound = float((car * daily.trips[purpose].T).sum())
        out += p.from_home[purpose] * outbound + p.to_home[purpose] * inbound
    return out


def daily_totals(daily: DailyDemand, p: DemandParameters) -> np.ndarray:
    """Person trips by mode over the whole day (float64[4]), summing all 24 hours."""
    totals = np.zeros(len(MODES))
    for hour in range(HOURS):
        totals += trips_in_hour(daily, p.from_home[:, hour], p.to_home[:, hour]).sum(axis=(1, 2))
    return totals
