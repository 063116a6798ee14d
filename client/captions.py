"""What the screen says, in words: indicators, the selected road, feedback on commands.

Plain functions of the city and the messages, so the wording is tested without a window.
"""

from __future__ import annotations

import numpy as np

from agora.client import palette
from agora.client.city import City
from agora.server import protocol as p

_VERBS = {"close_link": "closed", "reopen_link": "reopened"}
_NOUNS = {"close_link": "road closure", "reopen_link": "reopening"}
# Game commands take effect at once: their acknowledgement names no tick.
_GAME_ACCEPTED = {
    "propose": "Your proposal is on the board.",
    "vote": "Your ballot is in. Thank you for voting.",
    "comment": "Your comment is posted.",
    "submit": "Your draft is submitted: the room sees it now.",
    "amend": "Your proposal has a new version.",
    "withdraw": "Your proposal is withdrawn.",
    # The facilitator's: the panel shows the outcome once the next Game message says it.
    "advance_phase": "The phase changes.", "set_phase": "The phase changes.",
    "pause": "Paused: the timer and the town stand still.", "resume": "Running again.",
    "set_speed": "The speed changes.", "extend_phase": "The phase's time changes.",
    "announce": "Your announcement is in the chat.", "mute": "Muted.", "unmute": "Unmuted.",
    "remove": "Removed from the session.", "adopt": "Adopted: its changes apply at the next tick.",
    "reject": "Rejected.", "roll_back": "Rolled back: the town is undone at the next tick.",
    "count_votes": "The votes are being counted.",
}


def indicator_cards(city: City) -> list[tuple[str, str]]:
    """(label, value) pairs for the top bar, in reading order."""
    ind = city.indicators
    minutes = int(round(ind.clock_hour * 60.0)) % (24 * 60)
    cards = [("Time", f"{minutes // 60:02d}:{minutes % 60:02d}")]
    if ind.mode_share:
        cards.append(("Car share", f"{ind.mode_share[0]:.0%}"))
    return cards + [
        ("Vehicle-hours", f"{ind.vehicle_hours:,.0f} h"),
        ("Vehicle-km", f"{ind.vehicle_km:,.0f} km"),
        ("Mean car trip", f"{ind.mean_trip_min:,.1f} min"),
        *([("CO2", f"{ind.co2_kg_h:,.0f} kg/h")] if ind.co2_kg_h > 0.0 else []),
        *([("Noise > 53 dB Lden", f"{ind.impacts['residents_above_who_lden']:,.0f} res.")]
          if "residents_above_who_lden" in ind.impacts else []),
        ("Tick", f"{city.tick:,d}"),
    ]


def link_summary(city: City, link: int, picked: int = 1) -> tuple[str, str, str]:
    """Three lines about a link: what it is, how loaded it is, what the keys will do
    (`picked`: how many roads the draft holds)."""
    cls = city.road_class_name(link)
    lanes = int(city.lanes[link])
    twin = int(city.twin[link])
    direction = "one direction of a two-way street" if twin >= 0 else "one-way"
    name = city.street_name(link)
    road = f"{name}, road {link}" if name else f"Road {link}"
    head = f"{road}: {cls}, {lanes} lane{'s' if lanes != 1 else ''}, {direction}"
    flow = float(city.flow_veh_h[link])
    cap = float(city.capacity_veh_h[link])
    if not city.car_link()[link]:
        return head, "Foot and bike path: no cars use it.", "Cars are not allowed here, so C does nothing."
    if city.closed[link]:
        return head, f"Closed to cars (capacity {cap:,.0f} veh/h when open).", "Press C to reopen it to cars."
    what = "closing it" if picked <= 1 else f"closing the {picked} roads picked"
    vc = float(city.volume_capacity(np.array([link]))[0])
    klass = palette.TRAFFIC_CLASSES[int(palette.traffic_class(np.array([vc]))[0])].label.split(",")[0]
    return (
        head,
        f"Flow {flow:,.0f} of {cap:,.0f} veh/h capacity: v/c {vc:.2f}, {klass}.",
        f"P  preview {what}  \u00b7  Shift+click  more roads",
    )


def describe_links(links: list[int]) -> str:
    if not links:
        return "no road"
    if len(links) == 1:
        return f"road {links[0]}"
    if len(links) == 2:
        return f"road {links[0]} (and {links[1]}, the other direction)"
    return "roads " + ", ".join(str(i) for i in links)


def describe_draft(interventions: list[p.Command]) -> str:
    """A draft in a few words: "Close road 17 to cars", "Close 3 streets to cars: roads 4, 9, 17"."""
    closures = [c.link for c in interventions if isinstance(c, p.CloseLink)]
    others = len(interventions) - len(closures)
    parts = []
    if len(closures) == 1:
        parts.append(f"Close road {closures[0]} to cars")
    elif closures:
        parts.append(f"Close {len(closures)} streets to cars: roads {', '.join(str(i) for i in closures)}")
    if others:
        parts.append(f"{others} other intervention{'s' if others != 1 else ''}")
    return "; ".join(parts) or "An empty draft"


def default_title(interventions: list[p.Command]) -> str:
    """A proposal's title when the player types none."""
    closures = [c.link for c in interventions if isinstance(c, p.CloseLink)]
    if len(closures) == len(interventions) == 1:
        return f"Close road {closures[0]} to cars"
    if len(closures) == len(interventions):
        return f"Close {len(closures)} streets to cars"
    return f"{len(interventions)} interventions"


def event_text(event: p.Event) -> str:
    verb = _VERBS.get(event.command, event.command.replace("_", " "))
    return f"{event.player} {verb} {describe_links(event.links)}"


def accepted_text(accepted: p.Accepted) -> str:
    if accepted.command in _GAME_ACCEPTED:
        return _GAME_ACCEPTED[accepted.command]
    what = _NOUNS.get(accepted.command, accepted.command.replace("_", " "))
    return f"Your {what} was accepted; it takes effect at tick {accepted.applies_at_tick}."


def error_text(error: p.Error) -> str:
    return f"Refused ({error.code}): {error.message}"


HELP = ("Click a road  \u00b7  P  preview  \u00b7  1-9  tools  \u00b7  C  close now  \u00b7  L  layers  \u00b7  "
        "\u2191\u2193  proposals  \u00b7  T  chat  \u00b7  Wheel  zoom  \u00b7  Drag  pan  \u00b7  F  fit  \u00b7  Esc  quit  \u00b7  H  help")
PREVIEW_HELP = ("Preview  \u00b7  L  next layer's change  \u00b7  Enter  propose it  \u00b7  Esc  leave the preview  \u00b7  "
                "Wheel  zoom  \u00b7  Drag  pan  \u00b7  H  help")
