"""A recorded session's timeline for a replay: its ticks, the simulated clock at each, and
every logged order in a line people read.

    timeline = timeline_message(recorded)      # p.Timeline, sent after a replay's Welcome
    summary(order)                             # "ada proposed 'Quiet street'"

An order shows from the tick it took effect at: a world edit at the tick it applied at, a
game command at the tick after which it was performed (Replay.run_to(tick) includes it).
"""

from __future__ import annotations

from agora.server import protocol as p
from agora.server.session.game import TIMER
from agora.server.session.session import Order
from agora.server.store.replays import Recorded
from agora.server.sim.generation import hour_of_tick

FIRST_TICK = 1  # tick 0 is the town before its first simulated tick: no traffic yet
MAX_QUOTE = 60  # characters of a chat line or comment quoted in a summary


def timeline_message(recorded: Recorded, can_branch: bool = True) -> p.Timeline:
    last = max(recorded.reached_tick, FIRST_TICK)
    clock = recorded.rules.clock
    # The clock a tick's indicators show is the one it was simulated at: its start.
    hours = [float(hour_of_tick(t - 1, clock.start_hour, clock.minutes_per_tick)) for t in range(FIRST_TICK, last + 1)]
    events = [p.TimelineEvent(o.tick, o.seq, o.player_name, p.tag_of(o.command), summary(o), proposal_of(o, pid))
              for o, pid in zip(recorded.orders, proposal_ids(recorded.orders))]
    return p.Timeline(recorded.id, FIRST_TICK, last, hours, events, can_branch)


def proposal_ids(orders: list[Order]) -> list[int | None]:
    """The id each Propose got: proposals are numbered in the order they were made (a
    refused one is never logged, so the log's count is the book's)."""
    ids: list[int | None] = []
    made = 0
    for order in orders:
        if isinstance(order.command, p.Propose):
            made += 1
            ids.append(made)
        else:
            ids.append(None)
    return ids


def proposal_of(order: Order, made: int | None) -> int | None:
    if made is not None:
        return made
    proposal = getattr(order.command, "proposal", None)
    return proposal if isinstance(proposal, int) else None


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return f"'{text[:MAX_QUOTE]}\u2026'" if len(text) > MAX_QUOTE else f"'{text}'"


def _roads(links: list[int]) -> str:
    if len(links) == 1:
        return f"road {links[0]}"
    shown = ", ".join(str(i) for i in links[:4])
    return f"roads {shown}" + (f" and {len(links) - 4} more" if len(links) > 4 else "")


def _cells(cells: list[tuple[int, int]]) -> str:
    return f"{len(cells)} cell{'s' if len(cells) != 1 else ''}"


def summary(order: Order) -> str:
    """What an order did, in one line, starting with who did it."""
    who = order.player_name
    match order.command:
        case p.CloseLink(link=link):
            return f"{who} closed road {link} to cars"
        case p.ReopenLink(link=link):
            return f"{who} reopened road {link} to cars"
        case p.SetLanes(links=links, lanes=lanes):
            return f"{who} set {_roads(links)} to {lanes} lane{'s' if lanes != 1 else ''}"
        case p.SetSpeedLimit(links=links, speed_kmh=speed):
            return f"{who} set a speed limit of {speed:g} km/h on {_roads(links)}"
        case p.MakeOneWay(link=link):
            return f"{who} made road {link} one-way"
        case p.AddBusLane(links=links):
            return f"{who} added a bus lane on {_roads(links)}"
        case p.AddBikeLane(links=links):
            return f"{who} added a bike lane on {_roads(links)}"
        case p.SetToll(links=links, toll_eur=toll):
            return f"{who} removed the toll on {_roads(links)}" if toll == 0 else \
                f"{who} set a toll of \u20ac{toll:.2f} on {_roads(links)}"
        case p.AddBusLine(route=route, headway_min=headway):
            return f"{who} added a bus line over {len(route)} roads, every {headway:g} min"
        case p.SetHeadway(line=line, headway_min=headway):
            return f"{who} set bus line {line} to every {headway:g} min"
        case p.AddRoad(from_node=a, to_node=b, road_class=klass):
            return f"{who} built a {klass} road from node {a} to node {b}"
        case p.MakePark(cells=cells):
            return f"{who} made a park of {_cells(cells)}"
        case p.PlantTrees(cells=cells):
            return f"{who} planted trees on {_cells(cells)}"
        case p.BuildHousing(cells=cells):
            return f"{who} built housing on {_cells(cells)}"
        case p.BuildOffices(cells=cells):
            return f"{who} built offices on {_cells(cells)}"
        case p.AddSchool(cells=cells):
            return f"{who} opened a school"
        case p.AddGrocery(cells=cells):
            return f"{who} opened a grocery"
        case p.Propose(title=title, draft=draft):
            return f"{who} {'drafted' if draft else 'proposed'} {_quote(title)}"
        case p.Submit(proposal=pid):
            return f"{who} submitted proposal {pid}"
        case p.Amend(proposal=pid, title=title):
            return f"{who} amended proposal {pid}: {_quote(title)}"
        case p.Withdraw(proposal=pid):
            return f"{who} withdrew proposal {pid}"
        case p.Comment(proposal=pid, text=text, parent=parent):
            return f"{who} {'replied' if parent is not None else 'commented'} on proposal {pid}: {_quote(text)}"
        case p.Chat(text=text):
            return f"{who} said {_quote(text)}"
        case p.Vote():
            return f"{who} cast a ballot"
        case p.AdvancePhase():
            return "The phase's time ran out: on to the next phase" if order.player_id == TIMER.id \
                else f"{who} moved on to the next phase"
        case p.SetPhase(phase=phase):
            return f"{who} moved to the {phase} phase"
        case p.Pause():
            return f"{who} paused the session"
        case p.Resume():
            return f"{who} resumed the session"
        case p.SetSpeed(speed=speed):
            return f"{who} set the speed to {speed:g}x"
        case p.Announce(text=text):
            return f"{who} announced {_quote(text)}"
        case p.Mute(player=player):
            return f"{who} muted player {player}"
        case p.Unmute(player=player):
            return f"{who} unmuted player {player}"
        case p.Remove(player=player):
            return f"{who} removed player {player}"
        case p.Adopt(proposal=pid):
            return f"{who} adopted proposal {pid}"
        case p.Reject(proposal=pid):
            return f"{who} rejected proposal {pid}"
        case p.RollBack(proposal=pid):
            return f"{who} rolled back proposal {pid}"
        case p.CountVotes():
            return f"{who} counted the votes"
    return f"{who}: {p.tag_of(order.command).replace('_', ' ')}"
