"""A recorded session exported for planners: its road network as GeoJSON, its indicators,
proposals, votes and comments as CSV, and an HTML report (export_report.py).

    recorded = Recorded.load(log, "3f9c2a1d")
    exported = gather(recorded, pseudonymise=True)   # replays every tick from tick 0
    json.dumps(network_geojson(exported))
    write_csv(exported, Path("out/"))                # indicators.csv, proposals.csv, votes.csv, comments.csv, chat.csv
    exported.grids                                   # the grid layers at that tick (export_grids.py)

The session is replayed from its initial world and its log (store/replays.py's Recorded and
session.py's Replay), every tick simulated, so that the indicators of every tick can be
recorded; the network, the grid layers and the game are taken as they are at the tick the
session reached (or the tick asked for). With a geographic reference (imported worlds,
WorldMeta.geo) the network's GeoJSON is in WGS84 lon/lat; otherwise in local metres, said so.

Names: with `pseudonymise`, every player's name becomes `pseudonym(session id, name)` in
every output. Reconnect tokens are never read into an export.
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from agora.server.export_grids import GridFrame, GridLayer, frame_note, grid_layers
from agora.server.session.session import Joined, Replay, Session
from agora.server.store.replays import Recorded
from agora.server.world.types import RoadClass
from agora.server.world.world import World

# indicators.csv: these first, then Simulation.indicators() in its order (sim/indicators.py's
# INDICATORS then EMISSION_INDICATORS), then Simulation.impacts() by name.
TICK_COLUMNS = ("tick", "clock_hour")
PROPOSAL_COLUMNS = ("id", "title", "author", "status", "cost_eur", "versions", "proposed_tick",
                    "last_status_tick", "comments", "approvals", "yes", "no", "abstain")
VOTE_COLUMNS = ("voter", "proposal", "vote")
COMMENT_COLUMNS = ("id", "proposal", "parent", "author", "tick", "text")
CHAT_COLUMNS = ("seq", "tick", "author", "announcement", "text")
# GeoJSON link properties, in this order; per-link board arrays at the session's last tick.
LINK_PROPERTIES = ("link", "name", "from_node", "to_node", "road_class", "length_m", "lanes", "capacity_veh_h",
                   "flow_veh_h", "speed_kmh", "co2_g_h", "nox_g_h", "pm25_g_h", "toll_eur", "closed")


def pseudonym(session_id: str, name: str) -> str:
    """A stable stand-in for a name: the same in every export of a session, and not the
    same across sessions."""
    return hashlib.sha256(f"{session_id}\x00{name}".encode()).hexdigest()[:8]


@dataclass
class Exported:
    """What every export format is made from; names already replaced if pseudonymised."""

    session_id: str
    world_name: str
    world_title: str
    rules_name: str
    reached_tick: int
    ended: bool
    pseudonymised: bool
    players: list[tuple[int, str, str]]  # (id, name shown, role)
    ticks: list[dict[str, float]] = field(default_factory=list)  # TICK_COLUMNS, indicators, impacts
    links: list[dict[str, Any]] = field(default_factory=list)  # LINK_PROPERTIES
    link_coords_m: np.ndarray = field(default_factory=lambda: np.zeros((0, 2, 2)))  # [L, from/to, x/y]
    proposals: list[dict[str, Any]] = field(default_factory=list)  # book.state()'s, names shown
    comments: list[dict[str, Any]] = field(default_factory=list)
    votes: list[tuple[str, int, str]] = field(default_factory=list)  # (voter shown, proposal, vote)
    chat: list[dict[str, Any]] = field(default_factory=list)  # book.state()'s chat lines, names shown
    frame: GridFrame | None = None
    grids: list[GridLayer] = field(default_factory=list)  # at reached_tick
    baseline: World | None = None  # the world as the session started
    final: World | None = None  # and as it was at reached_tick

    @property
    def tick_columns(self) -> list[str]:
        columns: list[str] = []
        for row in self.ticks:
            columns.extend(name for name in row if name not in columns)
        return columns or list(TICK_COLUMNS)


class Names:
    """How players are named in an export: as they named themselves, or pseudonymised. With
    pseudonyms, a player's name written in free text (a title, a comment: "ask ada") is
    replaced too, as a whole word in any case."""

    def __init__(self, session_id: str, players: list[Joined], pseudonymise: bool) -> None:
        self.session_id, self.pseudonymise = session_id, pseudonymise
        self._by_id = {int(j.id): j.name for j in players}
        # Longest first, so that "ada lovelace" goes before "ada".
        names = sorted({j.name for j in players if j.name.strip()}, key=len, reverse=True)
        words = "|".join(rf"(?<!\w){re.escape(n)}(?!\w)" for n in names)
        self._in_text = re.compile(words, re.IGNORECASE) if pseudonymise and names else None
        self._lower = {n.lower(): n for n in names}

    def name(self, name: str) -> str:
        return pseudonym(self.session_id, name) if self.pseudonymise else name

    def of(self, player_id: int) -> str:
        return self.name(self._by_id.get(int(player_id), f"player {player_id}"))

    def text(self, text: str) -> str:
        if self._in_text is None:
            return text
        return self._in_text.sub(lambda m: self.name(self._lower.get(m.group(0).lower(), m.group(0))), text)


def gather(recorded: Recorded, *, pseudonymise: bool = False, to_tick: int | None = None) -> Exported:
    """Replay the session from tick 0 to the tick it reached (or `to_tick`), recording every
    tick's indicators."""
    names = Names(recorded.id, recorded.players, pseudonymise)
    ticks: list[dict[str, float]] = []

    def record(session: Session) -> None:
        sim = session.sim
        row = {"tick": float(session.tick), "clock_hour": float(sim.board["clock_hour"])}
        row.update(sim.indicators())
        row.update(sim.impacts())
        ticks.append(row)

    tick = recorded.reached_tick if to_tick is None else to_tick
    session = Replay(recorded.fresh(), recorded.orders, recorded.players, each_tick=record).run_to(tick)
    exported = Exported(
        session_id=recorded.id, world_name=recorded.world.meta.name, world_title=recorded.world.meta.title,
        rules_name=recorded.rules.name, reached_tick=session.tick, ended=recorded.ended, pseudonymised=pseudonymise,
        players=[(int(j.id), names.name(j.name), str(j.role)) for j in recorded.players], ticks=ticks,
    )
    _network(exported, session)
    _game(exported, session, names)
    meta = session.world.meta
    rows, cols = session.world.grid.land_use.shape
    exported.frame = GridFrame(rows, cols, meta.cell_m, meta.origin_x_m, meta.origin_y_m, meta.geo)
    exported.grids = grid_layers(session.sim.board, exported.frame)
    exported.baseline, exported.final = recorded.world, session.world.copy()
    return exported


def _network(exported: Exported, session: Session) -> None:
    n, board = session.world.network, session.sim.board
    n_links = n.n_links

    def per_link(name: str) -> np.ndarray:
        value = board.get(name)
        return np.full(n_links, np.nan) if value is None else np.asarray(value, dtype=np.float64)

    flow, speed = per_link("link_flow_veh_h"), per_link("link_congested_speed_kmh")
    co2, nox, pm25 = per_link("link_co2_g_h"), per_link("link_nox_g_h"), per_link("link_pm25_g_h")
    names = session.world.names
    for link in range(n_links):
        exported.links.append({
            "link": link, "name": names.name(link) if names is not None else "", "from_node": int(n.link_from[link]), "to_node": int(n.link_to[link]),
            "road_class": RoadClass(int(n.road_class[link])).name.lower(), "length_m": _number(n.length_m[link]),
            "lanes": int(n.lanes[link]), "capacity_veh_h": _number(n.capacity_veh_h[link]),
            "flow_veh_h": _number(flow[link]), "speed_kmh": _number(speed[link]), "co2_g_h": _number(co2[link]),
            "nox_g_h": _number(nox[link]), "pm25_g_h": _number(pm25[link]), "toll_eur": _number(n.toll_eur[link]),
            "closed": bool(n.closed[link]),
        })
    exported.link_coords_m = np.stack([
        np.stack([n.node_x_m[n.link_from], n.node_y_m[n.link_from]], axis=-1),
        np.stack([n.node_x_m[n.link_to], n.node_y_m[n.link_to]], axis=-1),
    ], axis=1).astype(np.float64)


def _number(value: Any) -> float | None:
    """JSON has no NaN: a value a module did not publish is null."""
    number = float(value)
    return None if not np.isfinite(number) else round(number, 6)


def _game(exported: Exported, session: Session, names: Names) -> None:
    state = session.game.book.state()
    yes: dict[int, dict[str, int]] = {}
    for voter, ballot in state["ballots"]:
        for choice in ballot:
            # An approval ballot lists proposal ids; a majority ballot (id, vote) pairs.
            pid, vote = (int(choice), "approve") if isinstance(choice, int) else (int(choice[0]), str(choice[1]))
            exported.votes.append((names.of(voter), pid, vote))
            counts = yes.setdefault(pid, {})
            counts[vote] = counts.get(vote, 0) + 1
    for comment in state["comments"]:
        exported.comments.append({**comment, "author_name": names.name(comment["author_name"]),
                                  "text": names.text(comment["text"])})
    for q in state["proposals"]:
        history = [{**h, "by_name": names.name(h["by_name"]), "reason": names.text(h["reason"])} for h in q["history"]]
        versions = [{**v, "title": names.text(v["title"]), "rationale": names.text(v["rationale"])}
                    for v in q["versions"]]
        counts = yes.get(int(q["id"]), {})
        exported.proposals.append({
            "id": int(q["id"]), "author_name": names.of(q["author"]), "versions": versions, "history": history,
            "title": versions[-1]["title"], "status": history[-1]["status"], "cost_eur": versions[-1]["cost_eur"],
            "comments": [c for c in exported.comments if c["proposal"] == q["id"]],
            "approvals": counts.get("approve", 0), "yes": counts.get("yes", 0), "no": counts.get("no", 0),
            "abstain": counts.get("abstain", 0),
        })
    exported.chat = [{**line, "author_name": names.name(line["author_name"]), "text": names.text(line["text"])}
                     for line in state["chat"]]


# -- GeoJSON ---------------------------------------------------------------------------


def network_geojson(exported: Exported) -> dict[str, Any]:
    """The road network, one LineString per link (a two-way street is two links on the same
    line): in WGS84 lon/lat (RFC 7946) for a world with a geographic reference, else in the
    world's local frame, metres east (x) and north (y) of its origin, which RFC 7946 does not
    allow: the collection's `properties` say which."""
    coords = exported.link_coords_m.round(3)
    geo = exported.frame.geo if exported.frame is not None else None
    if geo is not None:
        lon, lat = geo.lonlat(exported.link_coords_m[..., 0], exported.link_coords_m[..., 1])
        coords = np.stack([lon, lat], axis=-1).round(7)
    features = [
        {"type": "Feature", "id": link["link"],
         "geometry": {"type": "LineString", "coordinates": coords[i].tolist()},
         "properties": link}
        for i, link in enumerate(exported.links)
    ]
    return {
        "type": "FeatureCollection",
        "properties": {
            "session": exported.session_id, "world": exported.world_name, "tick": exported.reached_tick,
            "frame": frame_note(exported.frame) if exported.frame is not None else "local metres",
            "units": {"flow_veh_h": "vehicles per hour", "speed_kmh": "congested speed, km/h",
                      "capacity_veh_h": "vehicles per hour", "co2_g_h": "g/h", "nox_g_h": "g/h", "pm25_g_h": "g/h",
                      "closed": "closed to cars"},
        },
        "features": features,
    }


# -- CSV -------------------------------------------------------------------------------


def write_csv(exported: Exported, folder: Path) -> list[Path]:
    """indicators.csv (a row per tick), proposals.csv, votes.csv, comments.csv, chat.csv; their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    columns = exported.tick_columns
    tables: dict[str, tuple[tuple[str, ...] | list[str], list[list[Any]]]] = {
        "indicators.csv": (columns, [[_cell(c, row.get(c)) for c in columns] for row in exported.ticks]),
        "proposals.csv": (PROPOSAL_COLUMNS, [
            [q["id"], q["title"], q["author_name"], q["status"], q["cost_eur"], len(q["versions"]),
             q["history"][0]["tick"], q["history"][-1]["tick"], len(q["comments"]), q["approvals"], q["yes"], q["no"],
             q["abstain"]] for q in exported.proposals]),
        "votes.csv": (VOTE_COLUMNS, [list(v) for v in exported.votes]),
        "comments.csv": (COMMENT_COLUMNS, [
            [c["id"], c["proposal"], "" if c["parent"] is None else c["parent"], c["author_name"], c["tick"], c["text"]]
            for c in exported.comments]),
        "chat.csv": (CHAT_COLUMNS, [
            [line["seq"], line["tick"], line["author_name"], int(bool(line["announcement"])), line["text"]]
            for line in exported.chat]),
    }
    written = []
    for name, (header, rows) in tables.items():
        path = folder / name
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(header)
            writer.writerows(rows)
        written.append(path)
    return written


def _cell(column: str, value: float | None) -> str | int | float:
    """Empty for a value not published that tick; the tick a whole number."""
    if value is None or not np.isfinite(value):
        return ""
    return int(value) if column == "tick" else value
