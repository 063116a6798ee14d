"""A replay's timeline: the recorded ticks, their simulated clock, the logged events by
kind, and the strip across the bottom of the map that shows them with the playhead.

    line = Timeline(timeline_message)
    line.next_event(40)                  # the first tick after 40 that has an event
    line.described(40)                   # "Tick 40: ada closed road 17 to cars; bob said 'no'"
    strip = TimelineStrip()
    strip.draw(line, area, playhead=40, shown=38, playing=False, marks={"A": 20})
    strip.tick_at(x, area)               # a click or a drag on the strip: the tick under it

The server sends the timeline; this module only places and words it.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import arcade

from agora.client import palette
from agora.client.drawing import fit_text, set_color, text
from agora.client.preview_panel import hour_text
from agora.client.viewport import Area
from agora.server import protocol as p

TIMELINE_PX = 74
PAD = 12
TRACK_Y = 32  # the track's height above the strip's bottom
MARK_PX = 9  # half the height of an event's mark


@dataclass(frozen=True)
class Kind:
    name: str
    color: palette.RGBA


# Okabe and Ito's colours, which people with any common colour blindness tell apart.
PROPOSAL = Kind("proposal", (86, 180, 233, 255))
VOTE = Kind("vote", (204, 121, 167, 255))
ADOPTION = Kind("adoption", (0, 158, 115, 255))
PHASE = Kind("phase", (240, 228, 66, 255))
EDIT = Kind("town edit", (230, 159, 0, 255))
TALK = Kind("talk", (150, 150, 160, 255))
KINDS = (PROPOSAL, VOTE, ADOPTION, PHASE, EDIT, TALK)
_BY_COMMAND = {
    **{c: PROPOSAL for c in ("propose", "submit", "amend", "withdraw", "comment")},
    **{c: VOTE for c in ("vote", "count_votes")},
    **{c: ADOPTION for c in ("adopt", "reject", "roll_back")},
    **{c: PHASE for c in ("advance_phase", "set_phase", "pause", "resume", "set_speed")},
    **{c: TALK for c in ("chat", "announce", "mute", "unmute", "remove")},
}


def kind_of(command: str) -> Kind:
    """Every command not of the game is an edit of the town."""
    return _BY_COMMAND.get(command, EDIT)


class Timeline:
    def __init__(self, message: p.Timeline) -> None:
        self.message = message
        self.first = message.first_tick
        self.last = max(message.last_tick, message.first_tick)
        self.events = list(message.events)
        self.ticks = sorted({e.tick for e in self.events})

    def clamp(self, tick: int) -> int:
        return min(max(tick, self.first), self.last)

    def clock(self, tick: int) -> str:
        """The simulated time of day at a tick, "08:40"."""
        hours = self.message.clock_hours
        i = tick - self.first
        return hour_text(hours[i]) if 0 <= i < len(hours) else ""

    def at(self, tick: int) -> list[p.TimelineEvent]:
        return [e for e in self.events if e.tick == tick]

    def next_event(self, tick: int) -> int:
        """The first tick after `tick` with an event (the last tick if none)."""
        i = bisect.bisect_right(self.ticks, tick)
        return self.clamp(self.ticks[i]) if i < len(self.ticks) else self.last

    def previous_event(self, tick: int) -> int:
        """The last tick before `tick` with an event (the first tick if none)."""
        i = bisect.bisect_left(self.ticks, tick)
        return self.clamp(self.ticks[i - 1]) if i > 0 else self.first

    def described(self, tick: int) -> str:
        """The events at a tick in a line, else the last one before it."""
        here = self.at(tick)
        if here:
            return f"Tick {tick}: " + "; ".join(e.summary for e in here)
        before = [e for e in self.events if e.tick < tick]
        if before:
            return f"Last event, tick {before[-1].tick}: {before[-1].summary}"
        return "No event yet"

    # -- placing -----------------------------------------------------------------------

    def x_of(self, tick: int, area: Area) -> float:
        span = max(self.last - self.first, 1)
        return area.left + PAD + (area.width - 2 * PAD) * (tick - self.first) / span

    def tick_at(self, x: float, area: Area) -> int:
        span = max(self.last - self.first, 1)
        share = (x - area.left - PAD) / max(area.width - 2 * PAD, 1)
        return self.clamp(self.first + round(share * span))


def strip_area(map_area: Area) -> Area:
    """The strip: under the map, as wide as it."""
    return Area(map_area.left, map_area.bottom - TIMELINE_PX, map_area.width, TIMELINE_PX)


class TimelineStrip:
    def __init__(self) -> None:
        self._status = text(11, bold=True)
        self._event = text(11)
        self._first = text(9.5, palette.TEXT_DIM)
        self._last = text(9.5, palette.TEXT_DIM, anchor_x="right")
        self._legend = [text(9.5, palette.TEXT_DIM) for _ in KINDS]
        self._marks = {name: text(9.5, bold=True) for name in ("A", "B")}
        self.drawn_marks: list[tuple[float, float, Kind]] = []  # x, y and kind of each mark drawn, for tests

    def contains(self, x: float, y: float, area: Area) -> bool:
        return area.left <= x < area.left + area.width and area.bottom <= y < area.bottom + area.height

    def draw(self, line: Timeline, area: Area, *, playhead: int, shown: int, playing: bool,
             marks: dict[str, int]) -> None:
        arcade.draw_lbwh_rectangle_filled(area.left, area.bottom, area.width, area.height, palette.BAR)
        arcade.draw_lbwh_rectangle_filled(area.left, area.bottom + area.height - 1, area.width, 1, palette.RULE)
        top = area.bottom + area.height - 20
        state = "playing" if playing else "paused"
        if shown != playhead:
            state += f", loading (showing tick {shown})"
        self._status.text = f"Tick {playhead} of {line.last}  \u00b7  {line.clock(playhead)}  \u00b7  {state}"
        self._status.position = (area.left + PAD, top)
        self._status.draw()
        left = area.left + PAD + self._status.content_width + 20
        fit_text(self._event, line.described(playhead), area.left + area.width - PAD - left)
        set_color(self._event, palette.TEXT if line.at(playhead) else palette.TEXT_DIM)
        self._event.position = (left, top)
        self._event.draw()

        y = area.bottom + TRACK_Y
        x0, x1 = line.x_of(line.first, area), line.x_of(line.last, area)
        arcade.draw_lbwh_rectangle_filled(x0, y - 1, x1 - x0, 3, palette.RULE)
        shown_x = line.x_of(shown, area)
        arcade.draw_lbwh_rectangle_filled(x0, y - 1, max(shown_x - x0, 0), 3, palette.TEXT_DIM)
        self.drawn_marks = []
        # Kinds that share a tick (or, in a long session, a column of pixels) split its mark
        # from the top down, so that none hides another; one rectangle a kind and column.
        by_column: dict[int, tuple[float, list[Kind]]] = {}
        for event in line.events:
            x = line.x_of(event.tick, area)
            kinds = by_column.setdefault(round(x), (x, []))[1]
            if kind_of(event.command) not in kinds:
                kinds.append(kind_of(event.command))
        for x, kinds in by_column.values():
            part = 2 * MARK_PX / len(kinds)
            for i, kind in enumerate(kinds):
                bottom = y + MARK_PX - (i + 1) * part
                arcade.draw_lbwh_rectangle_filled(x - 1.5, bottom, 3, part, kind.color)
                self.drawn_marks.append((x, bottom + part / 2, kind))
        for name, tick in marks.items():
            x = line.x_of(tick, area)
            arcade.draw_lbwh_rectangle_filled(x - 1, y - MARK_PX - 4, 2, 2 * MARK_PX + 8, palette.TEXT_DIM)
            label = self._marks[name]
            label.text = name
            label.position = (x + 4, y - MARK_PX - 3)  # beside the mark, clear of the playhead's knob
            label.draw()
        x = line.x_of(playhead, area)
        arcade.draw_lbwh_rectangle_filled(x - 1, y - MARK_PX - 6, 3, 2 * MARK_PX + 12, palette.TEXT)
        arcade.draw_triangle_filled(x - 6, y + MARK_PX + 6, x + 7, y + MARK_PX + 6, x + 0.5, y + MARK_PX - 1,
                                    palette.TEXT)

        bottom = area.bottom + 6
        self._first.text = f"tick {line.first}  {line.clock(line.first)}"
        self._first.position = (x0, bottom)
        self._first.draw()
        self._last.text = f"{line.clock(line.last)}  tick {line.last}"
        self._last.position = (x1, bottom)
        self._last.draw()
        legend_x = x0 + self._first.content_width + 30
        for label, kind in zip(self._legend, KINDS):
            label.text = kind.name
            if legend_x + 14 + label.content_width > x1 - self._last.content_width - 20:
                break
            arcade.draw_lbwh_rectangle_filled(legend_x, bottom + 1, 9, 9, kind.color)
            label.position = (legend_x + 13, bottom)
            label.draw()
            legend_x += 13 + label.content_width + 16
