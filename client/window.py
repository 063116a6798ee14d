"""The play window: shows the city the server describes and turns clicks and keys into commands.

    window = PlayWindow(connection, width=1280, height=800)
    arcade.run()

Each frame drains the connection's queue, so every message is handled on the window's
thread; the map redraws from GPU buffers that change only when a message changes them.
"""

from __future__ import annotations

import queue
import time
from typing import Protocol

import arcade

from agora.client import captions, overlays, palette
from agora.client.board_panel import BoardPanel
from agora.client.city import City
from agora.client.connection import ConnectionLost, ConnectionOpened, Incoming, Outgoing, Unreadable
from agora.client.game_state import GameState
from agora.client.hud import Hud, Screen
from agora.client.map_view import MapView
from agora.client.notices import Kind, Notices
from agora.client.viewport import Viewport
from agora.server import protocol as p

CLICK_SLOP_PX = 4.0
WHEEL_ZOOM = 1.2


class Link(Protocol):
    """What the window needs from a connection (the tests pass a fake one)."""

    url: str
    messages: queue.Queue[Incoming]

    def send(self, command: Outgoing) -> bool: ...


class PlayWindow(arcade.Window):
    def __init__(
        self, link: Link, *, name: str = "", code: str = "", width: int = 1280, height: int = 800,
        visible: bool = True,
    ) -> None:
        super().__init__(width, height, "Agora", resizable=True, visible=visible)
        self.background_color = palette.BACKGROUND
        self.link = link
        self.hud = Hud()
        self.notices = Notices()
        self.game = GameState()
        self.board = BoardPanel()
        self.player_id: int | None = None
        self.city: City | None = None
        self.map_view: MapView | None = None
        self.map_viewport: Viewport | None = None
        self.player = name
        self.status: tuple[str, str, Kind] | None = (
            "Connecting...",
            f"Joining {link.url} with code {code or '(none)'} as {name or '(no name)'}.",
            Kind.INFO,
        )
        self._refused = False
        self.overlay: str | None = None  # the grid layer painted over the map, cycled with L
        self._press: tuple[float, float] | None = None
        self._dragged = False

    # -- messages ----------------------------------------------------------------------

    def on_update(self, delta_time: float) -> None:
        self.drain()

    def drain(self) -> int:
        """Handle every message waiting in the queue; return how many there were."""
        handled = 0
        while True:
            try:
                message = self.link.messages.get_nowait()
            except queue.Empty:
                return handled
            self.handle(message)
            handled += 1

    def handle(self, message: Incoming) -> None:
        now = time.monotonic()
        match message:
            case p.Welcome(snapshot=snapshot, name=name, role=role, game=game, player_id=player_id):
                self.player = f"{name} ({role})"
                self.player_id = player_id
                self.show_snapshot(snapshot)
                if game is not None:
                    self.game.take(game, now)
                self.status = None
            case p.Game():
                self.game.take(message, now)
            case p.VoteResult(explanation=explanation):
                self.game.result = message
                self.notices.add(f"The votes are counted: {explanation}", Kind.INFO, now)
            case p.Resync(snapshot=snapshot):
                self.show_snapshot(snapshot)
            case p.Delta():
                if self.city is not None and self.map_view is not None:
                    if self.city.apply(message).size:
                        self.map_view.refresh_links()
                    if self.overlay in self.city.layers_changed:
                        self.map_view.show_overlay(self.overlay)
            case p.Accepted():
                self.notices.add(captions.accepted_text(message), Kind.INFO, now)
            case p.Event():
                self.notices.add(captions.event_text(message), Kind.INFO, now)
            case p.Error(message=text):
                if self.city is None:
                    self._refused = True
                    self.status = ("Could not join the session", f"{text}\nPress Esc to quit.", Kind.ERROR)
                else:
                    self.notices.add(captions.error_text(message), Kind.ERROR, now)
            case ConnectionOpened():
                pass
            case ConnectionLost(reason=reason):
                if self._refused:
                    return
                if self.city is None:
                    self.status = ("Cannot reach the server", f"{reason}\nPress Esc to quit.", Kind.ERROR)
                else:
                    self.status = (
                        "Disconnected from the server",
                        f"{reason}\nThe map shows the last state received. Press Esc to quit.",
                        Kind.ERROR,
                    )
            case Unreadable(reason=reason):
                self.notices.add(f"Skipped a message this client cannot read: {reason}", Kind.ERROR, now)

    def show_snapshot(self, snapshot: p.Snapshot) -> None:
        city = City(snapshot)
        keep_view = self.map_viewport is not None and self.city is not None and city.extent() == self.city.extent()
        selected = self.map_view.selected if self.map_view is not None else None
        self.city = city
        self.map_view = MapView(self.ctx, city)
        if selected is not None and selected < city.n_links:
            self.map_view.selected = selected
        if self.overlay is not None:
            self.map_view.show_overlay(self.overlay)
            self.overlay = self.map_view.overlay
        if not keep_view:
            self.map_viewport = Viewport(self.get_size(), self.hud.map_area(*self.get_size()), city.extent())

    # -- commands ----------------------------------------------------------------------

    @property
    def selected(self) -> int | None:
        return self.map_view.selected if self.map_view is not None else None

    def select_at(self, x: float, y: float) -> int | None:
        if self.map_view is None or self.map_viewport is None:
            return None
        self.map_view.selected = self.map_view.pick(x, y, self.map_viewport)
        return self.map_view.selected

    def toggle_selected(self) -> None:
        """C: close the selected road to cars, or reopen it if it is closed."""
        now = time.monotonic()
        link, city = self.selected, self.city
        if link is None or city is None:
            self.notices.add("Click a road first, then press C.", Kind.INFO, now)
            return
        if not city.car_link()[link]:
            self.notices.add(f"Road {link} is a foot and bike path: there are no cars to stop.", Kind.INFO, now)
            return
        command: p.Command = p.ReopenLink(link=link) if city.closed[link] else p.CloseLink(link=link)
        if not self.link.send(command):
            self.notices.add("Not connected to the server: the command was not sent.", Kind.ERROR, now)

    def mark_selected_proposal(self) -> None:
        """Space (or a click on its box): mark the open proposal on the ballot being filled."""
        now = time.monotonic()
        pid = self.game.selected
        if not self.game.opens("vote"):
            self.notices.add("Ballots open in the vote phase.", Kind.INFO, now)
        elif self.game.voted:
            self.notices.add("Your ballot is cast; it cannot be changed.", Kind.INFO, now)
        elif pid is None or not self.game.toggle(pid):
            self.notices.add("Only submitted proposals are on the ballot.", Kind.INFO, now)

    def cast_ballot(self) -> None:
        """V: send the ballot as marked (final once the server takes it)."""
        now = time.monotonic()
        ballot = self.game.ballot()
        if not self.game.opens("vote"):
            self.notices.add("Ballots open in the vote phase.", Kind.INFO, now)
        elif self.game.voted:
            self.notices.add("Your ballot is cast already.", Kind.INFO, now)
        elif ballot is None:
            self.notices.add("Mark at least one proposal first (Space, or click its box).", Kind.INFO, now)
        elif not self.link.send(ballot):
            self.notices.add("Not connected to the server: the ballot was not sent.", Kind.ERROR, now)

    # -- input -------------------------------------------------------------------------

    def on_key_press(self, symbol: int, modifiers: int) -> None:
        if symbol in (arcade.key.ESCAPE, arcade.key.Q):
            self.close()
        elif symbol == arcade.key.C:
            self.toggle_selected()
        elif symbol in (arcade.key.F, arcade.key.HOME) and self.map_viewport is not None:
            self.map_viewport.fit()
        elif symbol == arcade.key.L:
            self.next_overlay()
        elif symbol in (arcade.key.UP, arcade.key.DOWN):
            self.game.select_step(-1 if symbol == arcade.key.UP else 1)
        elif symbol == arcade.key.SPACE:
            self.mark_selected_proposal()
        elif symbol == arcade.key.V:
            self.cast_ballot()

    def next_overlay(self) -> None:
        """L: paint the next grid layer the server sends over the map; after the last, none."""
        if self.city is None or self.map_view is None:
            return
        names: list[str | None] = [None, *self.city.layer_q]
        following = names[(names.index(self.overlay) + 1) % len(names)] if self.overlay in names else None
        self.map_view.show_overlay(following)
        self.overlay = self.map_view.overlay

    def on_mouse_press(self, x: int, y: int, button: int, modifiers: int) -> None:
        self._press = (x, y)
        self._dragged = False

    def on_mouse_drag(self, x: int, y: int, dx: int, dy: int, buttons: int, modifiers: int) -> None:
        if self._press is None or self.map_viewport is None:
            return
        if not self._dragged and abs(x - self._press[0]) + abs(y - self._press[1]) > CLICK_SLOP_PX:
            self._dragged = True
            # Catch up with the movement made inside the slop.
            self.map_viewport.pan(x - dx - self._press[0], y - dy - self._press[1])
        if self._dragged:
            self.map_viewport.pan(dx, dy)

    def on_mouse_release(self, x: int, y: int, button: int, modifiers: int) -> None:
        clicked = self._press is not None and not self._dragged and button == arcade.MOUSE_BUTTON_LEFT
        if clicked and not self.hud.covers(x, y):
            self.select_at(x, y)
        elif clicked and (hit := self.board.proposal_at(x, y)) is not None:
            proposal, on_box = hit
            self.game.select(proposal)
            if on_box:
                self.mark_selected_proposal()
        self._press = None
        self._dragged = False

    def on_mouse_scroll(self, x: int, y: int, scroll_x: float, scroll_y: float) -> None:
        if self.map_viewport is not None and scroll_y:
            self.map_viewport.zoom_at(x, y, WHEEL_ZOOM**scroll_y)

    def on_resize(self, width: int, height: int) -> None:
        if self.map_viewport is not None:
            self.map_viewport.resize((width, height), self.hud.map_area(width, height))

    # -- drawing -----------------------------------------------------------------------

    def on_draw(self) -> None:
        self.clear()
        if self.map_view is not None and self.map_viewport is not None:
            self.map_view.draw(self.map_viewport, self.get_framebuffer_size())
        width, height = self.get_size()
        self.hud.draw(self.hud_screen(), width, height)
        if self.city is not None:
            self.board.draw(self.game, self.hud.side_area(width, height), time.monotonic())

    def hud_screen(self) -> Screen:
        city, link = self.city, self.selected
        return Screen(
            title=city.title if city else "Agora",
            subtitle=f"Agora session {city.session}  \u00b7  {self.player}" if city else "participatory city planning",
            attribution=city.attribution if city else "",
            cards=captions.indicator_cards(city) if city else [],
            selection=captions.link_summary(city, link) if city is not None and link is not None else None,
            notices=self.notices.active(time.monotonic()),
            status=self.status,
            show_legend=city is not None,
            overlay=self._overlay_legend(),
            side_panel=city is not None,
        )

    def _overlay_legend(self) -> tuple[str, list[tuple[str, palette.RGBA]]] | None:
        if self.city is None or self.overlay is None:
            return None
        info = self.city.layer_info[self.overlay]
        return f"{info.label} ({info.unit})", overlays.legend_rows(self.overlay, info.unit)
