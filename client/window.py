"""The play window: shows the city and the game the server describes, and turns clicks and
keys into commands.

    window = PlayWindow(connection, width=1280, height=800)
    arcade.run()

Each frame drains the connection's queue, so every message is handled on the window's
thread; the map redraws from GPU buffers that change only when a message changes them.
"""

from __future__ import annotations

import queue
import time
from typing import Any, Protocol

import arcade

from agora.client import captions, keys, palette
from agora.client.banner import Banner
from agora.client.board_actions import BoardActions
from agora.client.board_panel import BoardPanel
from agora.client.chat_panel import ChatPanel
from agora.client.city import City
from agora.client.connection import ConnectionLost, ConnectionOpened, Incoming, Outgoing, Unreadable
from agora.client.connection import Reconnected, Reconnecting
from agora.client.drafts import Draft
from agora.client.facilitator_panel import FacilitatorPanel
from agora.client.game_state import GameState
from agora.client.help_overlay import HelpOverlay
from agora.client.hud import Hud, Screen
from agora.client.intents import Intents
from agora.client.map_layers import MapLayers
from agora.client.map_view import MapView
from agora.client.notices import Kind, Notices
from agora.client.pacing import AFTER_MESSAGE_S, INPUT_EVENTS, Pacing
from agora.client.preview_panel import PreviewPanel
from agora.client.prompt_dialog import PromptDialog
from agora.client.propose_dialog import ProposeDialog, TextDialog
from agora.client.side_tabs import SideTabs
from agora.client.tool_panel import ToolPanel, instruction
from agora.client.tool_placing import Placing
from agora.client.tools import ToolBox, default_title, describe
from agora.client.trends import Trends
from agora.client.trends_panel import TrendsPanel
from agora.client.tooltip import Tooltip
from agora.client.viewport import Area, Viewport
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
        # The map smooths its own roads offscreen; multisampling the window as well would
        # cost a software renderer 15 ms a frame for panels and text that need none.
        super().__init__(width, height, "Agora", resizable=True, visible=visible, antialiasing=False)
        self.background_color = palette.BACKGROUND
        self.link = link
        self.hud = Hud()
        self.notices = Notices()
        self.game = GameState()
        self.draft = Draft()
        self.layers = MapLayers()
        self.tool_box = ToolBox()
        self.intents = Intents(link, self.notices, self.game, self.draft, self.tool_box)
        self.board = BoardPanel()
        self.tabs = SideTabs()
        self.tabs.add("board", "Proposals", BoardTab(self))
        self.role = ""  # from the Welcome: facilitator, player or observer
        self.prompt = PromptDialog(self)
        self.facilitate = FacilitatorPanel(self.game, link, self.notices, self.prompt)
        self.help = HelpOverlay()
        self.placing = Placing(self.tool_box, self.draft, self.notices)
        self.trends = Trends()
        self.chat = ChatPanel(self, link.send, self.trends)
        self.banner = Banner()
        self.preview_panel = PreviewPanel(self.tool_box)
        # The side panel's tabs, in this order (the board was added first, above).
        self.tabs.add("tools", "Draft", ToolPanel(self.tool_box, self.draft, self.placing, self.game, lambda: self.city),
                      shown=lambda: bool(self.tool_box.tools),
                      badge=lambda: str(len(self.draft.items)) if self.draft.items else "")
        self.tabs.add("chat", "Chat", self.chat, badge=lambda: "" if self.tabs.active == "chat" else self.chat.badge())
        self.tabs.add("trends", "Trends", TrendsPanel(self, self.trends, self.game))
        self.tabs.add("facilitate", "Facilitate", self.facilitate, shown=lambda: self.role == "facilitator")
        self.tooltip = Tooltip()
        self.dialog = ProposeDialog(self, on_propose=self.submit_proposal, on_cancel=self.dialog_back)
        self.proposing = False  # a Propose is out, awaiting its answer
        self.board_actions = BoardActions(link, self.notices, self.game, self.draft, self.board.previews,
                                          TextDialog(self), lambda: self.hud.map_area(*self.get_size()))
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
        self.pacing = Pacing()
        self._draw_every = 1 / 60
        self._press: tuple[float, float] | None = None
        self._dragged = False

    @property
    def overlay(self) -> str | None:
        """The server's grid layer painted over the map (outside previews), cycled with L."""
        return self.layers.overlay

    # -- messages ----------------------------------------------------------------------

    def on_update(self, delta_time: float) -> None:
        now = time.monotonic()
        if self.drain():
            self.pacing.wake(now, AFTER_MESSAGE_S)
        every = self.pacing.rate(now)
        if every != self._draw_every:
            self._draw_every = every
            self.set_draw_rate(every)

    def dispatch_event(self, *args: Any) -> None:
        """Every event the window gets; a key, click or mouse move wakes the drawing up to
        full rate (client/pacing.py)."""
        if args and args[0] in INPUT_EVENTS:
            self.pacing.wake(time.monotonic())
        super().dispatch_event(*args)

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
                self.tool_box.take(message.catalogue)
                self.player = f"{name} ({role})"
                self.role = role
                if role == "facilitator":
                    self.tabs.show("facilitate")  # running the session is what they came for
                self.player_id = player_id
                self.game.me = player_id
                self.show_snapshot(snapshot)
                self.trends.take(message.history, snapshot)
                if game is not None:
                    self.game.take(game, now)
                    self.chat.take(game, player_id, now)
                self.status = None
            case p.Resync(snapshot=snapshot):
                self.show_snapshot(snapshot)
                self.trends.take(message.history, snapshot)
            case p.Delta():
                self.apply_delta(message)
                self.trends.add(message.tick, message.indicators)
            case p.Game():
                self.game.take(message, now)
                for line in self.chat.take(message, self.player_id, now):
                    self.banner.show(line, now)
            case p.VoteResult(explanation=explanation):
                self.game.result = message
                self.notices.add(f"The votes are counted: {explanation}", Kind.INFO, now)
            case p.Preview():
                self.board.previews.take(message, self.draft)
                if self.draft.answer(message) and self.city is not None:
                    self.layers.take_preview(message, self.city)
                    self.repaint()
            case p.Accepted() if self.chat.answered(message):
                pass
            case p.Accepted(command=command):
                self.notices.add(captions.accepted_text(message), Kind.INFO, now)
                if self.board_actions.accepted(command):
                    self.repaint()
                if command == "propose" and self.proposing:
                    # On the board now: the draft has served its purpose.
                    self.proposing = False
                    self.draft.leave()
                    self.draft.clear()
                    self.tabs.show("board")
                    self.repaint()
            case p.Event():
                self.notices.add(captions.event_text(message), Kind.INFO, now)
            case p.Error(message=text):
                if self.city is None:
                    self._refused = True
                    self.status = ("Could not join the session", f"{text}\nPress Esc to quit.", Kind.ERROR)
                elif self.draft.refused(message):
                    self.notices.add(f"No preview: {text}", Kind.ERROR, now)
                elif self.chat.refused(message, now):
                    self.notices.add(f"Your chat line was not sent: {text}", Kind.ERROR, now)
                else:
                    self.proposing = False  # the preview stays, to amend the draft and try again
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
            case Reconnecting():
                self.status = (message.title, message.detail, Kind.ERROR)
            case Reconnected():
                if self.draft.pending is not None:
                    self.draft.leave()  # its answer went with the old connection
                self.proposing = False
                self.notices.add(message.text, Kind.INFO, now)
            case Unreadable(reason=reason):
                self.notices.add(f"Skipped a message this client cannot read: {reason}", Kind.ERROR, now)

    def apply_delta(self, delta: p.Delta) -> None:
        city, view = self.city, self.map_view
        if city is None or view is None:
            return
        moved = city.apply(delta)
        if self.draft.showing:
            return  # the preview's roads and layer stay on screen; the city behind moves on
        if moved.size:
            view.refresh_links(changed=moved)
        if self.layers.overlay in city.layers_changed:
            view.show_overlay(self.layers.overlay)

    def show_snapshot(self, snapshot: p.Snapshot) -> None:
        city = City(snapshot)
        self.tool_box.street_name = city.street_name
        keep_view = self.map_viewport is not None and self.city is not None and city.extent() == self.city.extent()
        self.city = city
        self.map_view = MapView(self.ctx, city)
        self.placing.take_lines(snapshot.network)
        self.draft.links = [i for i in self.draft.links if i < city.n_links]
        self.repaint()
        if not keep_view:
            self.map_viewport = Viewport(self.get_size(), self.hud.map_area(*self.get_size()), city.extent())

    def repaint(self) -> None:
        """Paint the roads picked, the roads' colours and the grid layer as the mode says."""
        if self.city is None or self.map_view is None:
            return
        self.map_view.picked = self.draft.marked()
        self.map_view.selected = self.draft.links[-1] if self.draft.links else None
        self.layers.paint(self.map_view, self.city, self.draft)

    # -- the map -----------------------------------------------------------------------

    @property
    def selected(self) -> int | None:
        """The road clicked last (its summary shows at the bottom left)."""
        return self.map_view.selected if self.map_view is not None else None

    def select_at(self, x: float, y: float, add: bool = False) -> int | None:
        """A click on the map picks the road under it (with add, Shift: adds it to the
        roads picked or takes it out)."""
        if self.map_view is None or self.map_viewport is None:
            return None
        self.draft.pick(self.map_view.pick(x, y, self.map_viewport), add)
        self.map_view.picked = self.draft.marked()
        self.map_view.selected = self.draft.links[-1] if self.draft.links else None
        return self.map_view.selected

    def toggle_selected(self) -> None:
        """C: close the selected road to cars, or reopen it if it is closed."""
        if self.city is not None:
            self.intents.close_or_reopen(self.city, self.selected)

    def next_layer(self) -> None:
        """L: the next grid layer (in a preview, the next layer's change)."""
        if self.city is None or self.map_view is None:
            return
        self.layers.next(self.city, self.draft.showing)
        self.layers.paint_grid(self.map_view, self.city, self.draft)

    def leave(self) -> bool:
        """Esc: leave the preview (or stop waiting for one), else let go of the roads
        picked; False if there was neither."""
        if self.draft.showing or self.draft.pending is not None:
            self.draft.leave()
        elif self.draft.links:
            self.draft.links = []
        else:
            return False
        self.repaint()
        return True

    # -- proposing ---------------------------------------------------------------------

    def open_dialog(self) -> None:
        """Enter on a preview: the dialog for the proposal's title."""
        now = time.monotonic()
        if self.board_actions.enter():
            return
        if not self.intents.can_propose():
            self.notices.add(self.intents.propose_hint(), Kind.INFO, now)
        elif self.game.game is not None and not self.game.opens("propose"):
            self.notices.add("Proposals open in the propose phase.", Kind.INFO, now)
        else:
            self.dialog.show(describe(self.draft.previewed, self.tool_box),
                             default_title(self.draft.previewed, self.tool_box), self.hud.map_area(*self.get_size()))

    def submit_proposal(self) -> None:
        if self.intents.propose(self.dialog.title_text(), self.dialog.why_text()):
            self.proposing = True
        self.dialog.hide()

    def dialog_back(self) -> None:
        self.dialog.hide()

    def open_chat(self) -> None:
        """T: the chat tab to the front and its field open (not during a preview, which
        takes the side panel)."""
        if self.city is not None and not self.draft.showing and self.draft.pending is None and self.tabs.show("chat"):
            self.chat.start(time.monotonic())

    # -- input -------------------------------------------------------------------------

    def on_key_press(self, symbol: int, modifiers: int) -> None:
        if self.board_actions.dialog_key(symbol):
            return
        if self.dialog.open:
            # Other keys are typing, for the text fields.
            if symbol in (arcade.key.ENTER, arcade.key.NUM_ENTER):
                self.submit_proposal()
            elif symbol == arcade.key.ESCAPE:
                self.dialog_back()
            elif symbol == arcade.key.TAB:
                self.dialog.next_field()
            return
        if self.chat.typing:
            # Other keys are typing, for the chat's field.
            if symbol in (arcade.key.ENTER, arcade.key.NUM_ENTER):
                self.chat.send()
            elif symbol == arcade.key.ESCAPE:
                self.chat.cancel()
            return
        if self.prompt.open:
            self.prompt.key(symbol)  # other keys are typing, for its field
            return
        action = keys.action_for(symbol, modifiers)
        if self.help.open:
            if action == "help" or symbol == arcade.key.ESCAPE:
                self.help.close()
            return
        if action == "help":
            self.help.toggle()
            return
        if action in keys.FACILITATOR_KEYS:
            if self.role == "facilitator":
                self.facilitate.shortcut(action)
            else:
                self.notices.add(f"{keys.BINDINGS[action].label} is the facilitator's key.", Kind.INFO, time.monotonic())
            return
        if symbol == arcade.key.ESCAPE and (self.leave() or self.board_actions.escape() or self.placing.cancel()):
            self.repaint()
            return
        if self.board_actions.key(symbol, modifiers, self.city):
            self.repaint()
            return
        if symbol in (arcade.key.ENTER, arcade.key.NUM_ENTER):
            self.open_dialog()
            return
        if self.placing.key(symbol, modifiers):  # 1-9, 0, Ctrl+Z, Ctrl+Y, + and -
            if self.tool_box.current is not None:
                self.tabs.show("tools")
            self.repaint()
            return
        if symbol in (arcade.key.ESCAPE, arcade.key.Q):
            self.close()
        elif symbol == arcade.key.C:
            self.toggle_selected()
        elif symbol == arcade.key.P and self.city is not None:
            if not self.board_actions.preview(self.city):
                self.intents.preview(self.city)
        elif symbol in (arcade.key.F, arcade.key.HOME) and self.map_viewport is not None:
            self.map_viewport.fit()
        elif symbol == arcade.key.L:
            self.next_layer()
        elif symbol in (arcade.key.UP, arcade.key.DOWN):
            self.game.select_step(-1 if symbol == arcade.key.UP else 1)
        elif symbol == arcade.key.SPACE:
            self.intents.mark()
        elif symbol == arcade.key.V:
            self.intents.cast()
        elif symbol == arcade.key.TAB:
            self.tabs.cycle(-1 if modifiers & arcade.key.MOD_SHIFT else 1)
        elif symbol == arcade.key.T:
            self.open_chat()

    def on_mouse_press(self, x: int, y: int, button: int, modifiers: int) -> None:
        if self.dialog.open or self.prompt.open or self.help.open or self.board_actions.dialog.open:
            return
        self._press = (x, y)
        self._dragged = False
        if self.city is not None and self.map_viewport is not None and not self.hud.covers(x, y):
            self.placing.press(self.city, self.map_viewport, x, y, button, bool(modifiers & arcade.key.MOD_SHIFT))

    def on_mouse_motion(self, x: int, y: int, dx: int, dy: int) -> None:
        self.tooltip.move(x, y, time.monotonic())

    def on_mouse_leave(self, x: int, y: int) -> None:
        self.tooltip.leave()

    def on_mouse_drag(self, x: int, y: int, dx: int, dy: int, buttons: int, modifiers: int) -> None:
        self.tooltip.move(x, y, time.monotonic())
        if self._press is None or self.map_viewport is None:
            return
        if self.city is not None and self.placing.drag(self.city, self.map_viewport, x, y):
            return  # a cell tool's rectangle, not a pan
        if not self._dragged and abs(x - self._press[0]) + abs(y - self._press[1]) > CLICK_SLOP_PX:
            self._dragged = True
            # Catch up with the movement made inside the slop.
            self.map_viewport.pan(x - dx - self._press[0], y - dy - self._press[1])
        if self._dragged:
            self.map_viewport.pan(dx, dy)

    def on_mouse_release(self, x: int, y: int, button: int, modifiers: int) -> None:
        if self.help.open:
            self.help.close()  # a click anywhere closes the help, as Esc does
            return
        clicked = self._press is not None and not self._dragged and button == arcade.MOUSE_BUTTON_LEFT
        shift = bool(modifiers & arcade.key.MOD_SHIFT)
        if clicked and self.banner.dismiss_at(x, y):
            pass
        elif self.city is not None and self.placing.release(self.city):
            pass  # a cell tool's rectangle went into the draft
        elif clicked and not self.hud.covers(x, y):
            if self.city is not None and self.map_view is not None and self.map_viewport is not None and \
                    self.placing.click(self.city, self.map_view, self.map_viewport, x, y, shift):
                self.map_view.picked = self.draft.marked()
            else:
                self.select_at(x, y, add=shift)
        elif clicked and self.hud.click(x, y):
            pass  # a legend folded or unfolded
        elif clicked and not self.draft.showing and self.city is not None:
            self.tabs.click(x, y)
        self._press = None
        self._dragged = False

    def on_mouse_scroll(self, x: int, y: int, scroll_x: float, scroll_y: float) -> None:
        if self.dialog.open or self.board_actions.dialog.open:
            return
        side = self.hud.side_area(*self.get_size())
        if self.city is not None and side.left <= x < side.left + side.width and side.bottom <= y < side.bottom + side.height:
            if scroll_y and self.tabs.active == "board" and not (self.draft.showing or self.draft.pending):
                self.board.scroll(scroll_y)
            return
        if self.map_viewport is not None and scroll_y:
            self.map_viewport.zoom_at(x, y, WHEEL_ZOOM**scroll_y)

    def on_resize(self, width: int, height: int) -> None:
        if self.map_viewport is not None:
            self.map_viewport.resize((width, height), self.hud.map_area(width, height))
        if self.dialog.open:
            self.dialog.place(self.hud.map_area(width, height))
        if self.board_actions.dialog.open:
            self.board_actions.dialog.place(self.hud.map_area(width, height))

    # -- drawing -----------------------------------------------------------------------

    def on_draw(self) -> None:
        self.clear()
        if self.map_view is not None and self.map_viewport is not None:
            self.map_view.draw(self.map_viewport, self.get_framebuffer_size())
            if self.city is not None:
                self.placing.draw(self.city, self.map_viewport)
        width, height = self.get_size()
        screen = self.hud_screen()
        screen.notices_below_px = self.banner.draw(self.hud.map_area(width, height), time.monotonic())
        self.hud.draw(screen, width, height)
        if self.city is not None:
            side = self.hud.side_area(width, height)
            if self.draft.showing or self.draft.pending is not None:
                budget = self.game.budget()
                self.preview_panel.draw(self.draft, side, self.game.game is None or self.game.opens("propose"),
                                        None if budget is None else budget[0] - budget[1],
                                        **self.preview_words())
            else:
                self.tabs.draw(side, time.monotonic())
        if self.city is not None and self.map_view is not None and self.map_viewport is not None and not self.dialog.open \
                and not self.help.open:
            self.tooltip.draw(self.city, self.map_view, self.map_viewport, time.monotonic(), (width, height),
                              self.hud.covers)
        if self.city is not None and self.status is not None:
            self.hud.draw_status(self.status, width, height)  # over the side panel too
        self.dialog.draw()
        self.board_actions.dialog.draw()
        self.prompt.draw()
        self.help.draw(width, height)

    def preview_words(self) -> dict[str, str]:
        """The preview panel's title, subtitle and keys when the preview is not the player's
        own draft (the replay window says when it is from)."""
        return self.board_actions.preview_words()

    def hud_screen(self) -> Screen:
        city, link, previewing = self.city, self.selected, self.draft.showing
        return Screen(
            title=city.title if city else "Agora",
            subtitle=f"Agora session {city.session}  \u00b7  {self.player}" if city else "participatory city planning",
            attribution=city.attribution if city else "",
            cards=captions.indicator_cards(city) if city else [],
            selection=(captions.link_summary(city, link, len(self.draft.links))
                       if city is not None and link is not None and not previewing else None),
            notices=self.notices.active(time.monotonic()),
            status=self.status if city is None else None,  # else drawn last, over the side panel
            show_legend=city is not None,
            overlay=self.layers.grid_legend(city, self.draft) if city is not None else None,
            side_panel=city is not None,
            traffic=self.layers.roads_legend(self.draft),
            overlay_at_left=previewing,
            help=self.board_actions.help_line() or (captions.PREVIEW_HELP if previewing
                                                    else (instruction(self.tool_box) or captions.HELP)),
        )


class BoardTab:
    """The proposal board as the side panel's first tab: a click on a row opens that
    proposal; on its ballot box (in the vote phase), marks it."""

    def __init__(self, window: PlayWindow) -> None:
        self.window = window

    def draw(self, area: Area, now: float) -> None:
        self.window.board.draw(self.window.game, area, now)

    def click(self, x: float, y: float) -> bool:
        board = self.window.board
        button = board.open.button_at(x, y)
        if button is not None:
            self.window.board_actions.button(button, self.window.city)
            self.window.repaint()
            return True
        comment = board.open.comment_at(x, y)
        if comment is not None:
            self.window.game.pick_comment(comment)
            return True
        hit = board.proposal_at(x, y)
        if hit is None:
            return False
        proposal, on_box = hit
        self.window.game.select(proposal)
        if on_box:
            self.window.intents.mark()
        return True
