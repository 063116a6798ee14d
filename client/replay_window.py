"""The replay window: a planner scrubs a recorded session, weeks after the workshop.

    window = ReplayWindow(ReplayConnection(url, session="3f9c2a1d", token=token))
    arcade.run()

It is the play window with a timeline strip across the bottom of the map. The server
rebuilds the session at the tick asked for (p.Seek) and answers with the town and the game
as they were: the map and the board show them. Keys: Left/Right step a tick, Shift+Left/Right
jump to the previous/next event, Space plays (a few ticks a second), Home/End go to the
first/last tick; O previews the selected proposal on the town as it was; [ and ] mark two
moments (or, while a preview shows, two proposals' previews) and split the map to compare
them; B branches a new session from the playhead. Nothing here changes the recording.
"""

from __future__ import annotations

import dataclasses
import time

import arcade

from agora.client.hud import HELP_BAR_PX, Screen
from agora.client.notices import Kind
from agora.client.replay_compare import Comparison, Side
from agora.client.replay_timeline import TIMELINE_PX, Timeline, TimelineStrip, strip_area
from agora.client.viewport import Viewport
from agora.client.window import Link, PlayWindow
from agora.client.connection import Incoming, Outgoing
from agora.client.intents import NOT_SENT
from agora.server import protocol as p

PLAY_TICKS_PER_S = 4.0
REPLAY_HELP = ("\u2190\u2192  step  \u00b7  Shift+\u2190\u2192  events  \u00b7  Space  play  \u00b7  Home/End  \u00b7  "
               "\u2191\u2193 + O  preview a proposal  \u00b7  [ ]  compare  \u00b7  B  branch  \u00b7  L  layers  \u00b7  "
               "Esc  back / quit")
READ_ONLY_NOTE = "A replay changes nothing. Press B to start a new session from this moment."


class ReplayWindow(PlayWindow):
    def __init__(self, link: Link, *, session: str = "", width: int = 1280, height: int = 800,
                 visible: bool = True) -> None:
        super().__init__(link, name="planner", code="", width=width, height=height, visible=visible)
        self.set_caption("Agora replay")
        self.hud.bottom_px = HELP_BAR_PX + TIMELINE_PX
        self.status = ("Opening the recording...", f"Replaying session {session or '(latest)'} from {link.url}.",
                       Kind.INFO)
        self.timeline: Timeline | None = None
        self.strip = TimelineStrip()
        self.playhead = 0  # the tick asked for last
        self.asked: int | None = None  # a Seek in flight, awaiting its Resync
        self.playing = False
        self._last_step = 0.0
        self._scrubbing = False
        self.marks: dict[str, Side] = {}
        self.comparison: Comparison | None = None
        self.previewing: str = ""  # what the preview on screen is of: "Proposal 2 'Park'"
        self.branched: p.Branched | None = None

    @property
    def shown(self) -> int:
        return self.city.tick if self.city is not None else 0

    # -- messages ----------------------------------------------------------------------

    def handle(self, message: Incoming) -> None:
        match message:
            case p.Timeline():
                self.timeline = Timeline(message)
                self.playhead = self.timeline.clamp(self.shown or message.first_tick)
            case p.Resync():
                if self.draft.showing or self.draft.pending is not None:
                    self.draft.leave()  # a preview is of the moment it was asked at
                super().handle(message)
                self.asked = None
                self._seek_on()
            case p.Branched():
                self.branched = message
                self.status = ("A new session starts from tick " + str(message.from_tick),
                               f"Join code for players: {message.join_code}    for observers: {message.observer_code}\n"
                               f"Facilitator token: {message.facilitator_token}\n"
                               f"Session {message.session_id}, from session {message.from_session}. "
                               "It is in the database: a server started on it (agora serve --db) runs it.\n"
                               "Press Esc to close this note.", Kind.INFO)
                print(f"Branched session {message.session_id} from {message.from_session} at tick {message.from_tick}: "
                      f"join code {message.join_code}, observer code {message.observer_code}, "
                      f"facilitator token {message.facilitator_token}", flush=True)
            case p.Error(request=0) if self.city is not None:
                self.asked = None  # a seek refused: the next one may go
                super().handle(message)
            case _:
                super().handle(message)

    def _send(self, command: Outgoing, what: str) -> bool:
        if self.link.send(command):
            return True
        self.notices.add(NOT_SENT.format(what=what), Kind.ERROR, time.monotonic())
        return False

    # -- moving through time -------------------------------------------------------------

    def seek(self, tick: int) -> None:
        """Move the playhead; the server is asked for that tick once the last answer is in."""
        if self.timeline is None:
            return
        self.playhead = self.timeline.clamp(tick)
        self._seek_on()

    def _seek_on(self) -> None:
        if self.asked is None and self.playhead != self.shown and self.timeline is not None:
            if self.link.send(p.Seek(tick=self.playhead)):
                self.asked = self.playhead

    def step(self, ticks: int) -> None:
        self.playing = False
        self.seek(self.playhead + ticks)

    def jump(self, forward: bool) -> None:
        if self.timeline is not None:
            self.playing = False
            line = self.timeline
            self.seek(line.next_event(self.playhead) if forward else line.previous_event(self.playhead))

    def toggle_play(self) -> None:
        if self.timeline is None:
            return
        self.playing = not self.playing
        if self.playing and self.playhead >= self.timeline.last:
            self.seek(self.timeline.first)
        self._last_step = time.monotonic()

    def on_update(self, delta_time: float) -> None:
        super().on_update(delta_time)
        now = time.monotonic()
        line = self.timeline
        if not self.playing or line is None or self.asked is not None:
            return
        if self.playhead >= line.last:
            self.playing = False
        elif now - self._last_step >= 1.0 / PLAY_TICKS_PER_S:
            self._last_step = now
            self.seek(self.playhead + 1)

    # -- what the planner asks for -------------------------------------------------------

    def preview_selected(self) -> None:
        """O: the selected proposal's preview on the town at the playhead."""
        proposal = self.game.proposal(self.game.selected)
        if proposal is None or not proposal.versions:
            self.notices.add("Select a proposal first (\u2191\u2193 or a click on the board), then press O.",
                             Kind.INFO, time.monotonic())
            return
        version = proposal.versions[-1]
        self.previewing = f"Proposal {proposal.id} '{version.title}'"
        self._send(self.draft.ask(list(version.interventions)), "the preview request")

    def mark(self, label: str) -> None:
        """[ or ]: keep what the map shows (the moment, or the preview on screen) as A or B;
        with both, compare them side by side."""
        city = self.city
        if city is None or self.timeline is None:
            return
        clock = self.timeline.clock(city.tick)
        if self.draft.showing and self.draft.preview is not None:
            side = Side.previewed(self.ctx, city, label, self.previewing or "The preview", clock,
                                  self.draft.preview, self.draft.previewed)
        else:
            side = Side.moment(self.ctx, city, label, clock, self.layers.overlay)
        self.marks[label] = side
        other = self.marks.get("B" if label == "A" else "A")
        if other is None:
            key = "]" if label == "A" else "["
            self.notices.add(f"Marked {label}: {side.title}. Mark the other with {key} to compare them.",
                             Kind.INFO, time.monotonic())
            return
        assert self.map_viewport is not None
        left, _ = Comparison.halves(self.hud.map_area(*self.get_size()))
        viewport = Viewport(self.get_size(), left, city.extent())
        viewport.center_m, viewport.px_per_m = self.map_viewport.center_m, self.map_viewport.px_per_m
        self.comparison = Comparison(self.marks["A"], self.marks["B"], viewport)

    def leave_comparison(self) -> bool:
        if self.comparison is None:
            return False
        self.comparison = None
        self.marks = {}
        return True

    def branch(self) -> None:
        if self.city is not None:
            if self._send(p.Branch(tick=self.shown), "the branch request"):
                self.notices.add(f"Starting a new session from tick {self.shown}...", Kind.INFO, time.monotonic())

    # -- input -------------------------------------------------------------------------

    def on_key_press(self, symbol: int, modifiers: int) -> None:
        shift = bool(modifiers & arcade.key.MOD_SHIFT)
        if symbol == arcade.key.ESCAPE:
            if self.branched is not None and self.status is not None:
                self.status = None
            elif not self.leave_comparison():
                super().on_key_press(symbol, modifiers)
        elif symbol in (arcade.key.LEFT, arcade.key.RIGHT):
            forward = symbol == arcade.key.RIGHT
            self.jump(forward) if shift else self.step(1 if forward else -1)
        elif symbol == arcade.key.SPACE:
            self.toggle_play()
        elif symbol in (arcade.key.HOME, arcade.key.END) and self.timeline is not None:
            self.playing = False
            self.seek(self.timeline.first if symbol == arcade.key.HOME else self.timeline.last)
        elif symbol == arcade.key.BRACKETLEFT:
            self.mark("A")
        elif symbol == arcade.key.BRACKETRIGHT:
            self.mark("B")
        elif symbol == arcade.key.O:
            self.preview_selected()
        elif symbol == arcade.key.B:
            self.branch()
        elif symbol in (arcade.key.C, arcade.key.V, arcade.key.ENTER, arcade.key.NUM_ENTER):
            self.notices.add(READ_ONLY_NOTE, Kind.INFO, time.monotonic())
        else:
            super().on_key_press(symbol, modifiers)

    def on_mouse_press(self, x: int, y: int, button: int, modifiers: int) -> None:
        area = strip_area(self.hud.map_area(*self.get_size()))
        if self.timeline is not None and self.strip.contains(x, y, area):
            self._scrubbing = True
            self.playing = False
            self.seek(self.timeline.tick_at(x, area))
            return
        super().on_mouse_press(x, y, button, modifiers)

    def on_mouse_drag(self, x: int, y: int, dx: int, dy: int, buttons: int, modifiers: int) -> None:
        if self._scrubbing and self.timeline is not None:
            self.seek(self.timeline.tick_at(x, strip_area(self.hud.map_area(*self.get_size()))))
        elif self.comparison is not None:
            if self._press is not None:
                self._dragged = True
                self.comparison.viewport.pan(dx, dy)
        else:
            super().on_mouse_drag(x, y, dx, dy, buttons, modifiers)

    def on_mouse_release(self, x: int, y: int, button: int, modifiers: int) -> None:
        if self._scrubbing:
            self._scrubbing = False
            return
        if self.comparison is not None:
            # The halves pan together (on_mouse_drag); a click on the side panel still reaches it.
            if self._press is not None and not self._dragged and self.hud.covers(x, y):
                self.tabs.click(x, y)
            self._press = None
            self._dragged = False
            return
        super().on_mouse_release(x, y, button, modifiers)

    def on_mouse_scroll(self, x: int, y: int, scroll_x: float, scroll_y: float) -> None:
        if self.comparison is not None and scroll_y:
            area = self.hud.map_area(*self.get_size())
            self.comparison.viewport.zoom_at(self.comparison.to_left(x, area), y, 1.2**scroll_y)
        else:
            super().on_mouse_scroll(x, y, scroll_x, scroll_y)

    # -- drawing -----------------------------------------------------------------------

    def on_draw(self) -> None:
        if self.comparison is None:
            super().on_draw()
        else:
            self.clear()
            size = self.get_size()
            self.comparison.draw(self.ctx, self.hud.map_area(*size), self.get_framebuffer_size(), size)
            self.hud.draw(self.hud_screen(), *size)
            self.tabs.draw(self.hud.side_area(*size), time.monotonic())
        if self.timeline is not None:
            area = strip_area(self.hud.map_area(*self.get_size()))
            self.strip.draw(self.timeline, area, playhead=self.playhead, shown=self.shown, playing=self.playing,
                            marks={k: s.tick for k, s in self.marks.items()})

    def preview_words(self) -> dict[str, str]:
        """A replay previews on the town as it was: say when, and that nothing is proposed."""
        words = super().preview_words()
        city = self.city
        when = f" at tick {city.tick}" if city is not None else ""
        words["title"] = (words.get("title", "Preview of a draft") + " as it was" + when)
        words["keys"] = "L  map layer  \u00b7  [ ]  compare  \u00b7  Esc  leave the preview"
        return words

    def hud_screen(self) -> Screen:
        screen = super().hud_screen()
        city, line = self.city, self.timeline
        if city is None:
            return screen
        where = f"tick {city.tick} of {line.last}" if line is not None else f"tick {city.tick}"
        return dataclasses.replace(
            screen, subtitle=f"Replay of session {city.session}  \u00b7  {where}", help=REPLAY_HELP,
            selection=None if self.comparison is not None else screen.selection)
