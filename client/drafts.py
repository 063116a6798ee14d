"""The player's draft: the roads picked on the map, the interventions placed with the tools
(undoable), the preview asked for them, and the preview the server answered with.

    draft = Draft()
    draft.pick(17, add=False); draft.pick(40, add=True)     # a click, then a Shift+click
    draft.change([AddBikeLane(links=[4, 5])])                # a tool placed something
    draft.undo(); draft.redo()                               # Ctrl+Z, Ctrl+Y
    request = draft.ask(draft.closures(city))                # a PreviewDraft to send
    draft.answer(preview)                                    # True: it answers the last request

Only the newest request counts: an answer to an older one (the player asked again
meanwhile) is dropped, as is a refusal of one.
"""

from __future__ import annotations

from agora.client.city import City
from agora.client.tools import command_links
from agora.server import protocol as p


class Draft:
    def __init__(self) -> None:
        self.links: list[int] = []  # in the order picked
        self.requests = 0  # request numbers handed out so far
        self.pending: int | None = None  # the request awaiting its answer
        self.asked: list[p.Command] = []  # the interventions of the last request
        self.preview: p.Preview | None = None  # shown while not None
        self.previewed: list[p.Command] = []  # the interventions the preview shown is of
        self.items: list[p.Command] = []  # placed with the tools, in order
        # The server's price of the last draft previewed (it outlives leaving the preview).
        self.price: tuple[list[p.Command], list[int]] = ([], [])
        self._undo: list[list[p.Command]] = []
        self._redo: list[list[p.Command]] = []
        self._asked_items = False  # the last request was of the tools' interventions
        self._previewed_items = False  # and so is the preview shown

    # -- interventions placed with the tools -------------------------------------------

    def change(self, items: list[p.Command]) -> None:
        """The tools' interventions become `items`; the state before can be undone."""
        if items == self.items:
            return
        self._undo.append(self.items)
        self._redo = []
        self.items = list(items)

    def undo(self) -> bool:
        if not self._undo:
            return False
        self._redo.append(self.items)
        self.items = self._undo.pop()
        return True

    def redo(self) -> bool:
        if not self._redo:
            return False
        self._undo.append(self.items)
        self.items = self._redo.pop()
        return True

    def clear(self) -> None:
        """The draft went to the board: nothing picked or placed, and nothing to undo."""
        self.links = []
        self.items, self._undo, self._redo = [], [], []

    def stale(self) -> bool:
        """The tools' interventions changed since the preview shown (which Enter would propose)."""
        return self._previewed_items and self.previewed != self.items

    def marked(self) -> list[int]:
        """The roads to show picked: those clicked, and those the tools' interventions are on."""
        return list(dict.fromkeys([*self.links, *(link for c in self.items for link in command_links(c))]))

    def priced(self) -> list[int] | None:
        """The server's cost of each item, if the last preview was of exactly these items."""
        priced, costs = self.price
        if not self.items or priced != self.items or len(costs) != len(self.items):
            return None
        return list(costs)

    # -- picking roads -----------------------------------------------------------------

    def pick(self, link: int | None, add: bool) -> None:
        """A click on the map: `add` (Shift held) adds the road or takes it out again;
        otherwise the road clicked becomes the whole pick (None: nothing)."""
        if add:
            if link is None:
                return
            if link in self.links:
                self.links.remove(link)
            else:
                self.links.append(link)
        else:
            self.links = [] if link is None else [link]

    def closures(self, city: City) -> tuple[list[p.Command], list[str]]:
        """CloseLink for each street picked (one per street: closing a link closes its twin)
        and the reasons any picked road was left out."""
        commands: list[p.Command] = []
        skipped: list[str] = []
        streets: set[int] = set()
        car = city.car_link()
        for link in self.links:
            if not 0 <= link < city.n_links:
                continue
            twin = int(city.twin[link])
            street = min(link, twin) if twin >= 0 else link
            if street in streets:
                continue
            if not car[link]:
                skipped.append(f"road {link} is a foot and bike path")
            elif city.closed[link]:
                skipped.append(f"road {link} is closed already")
            else:
                streets.add(street)
                commands.append(p.CloseLink(link=link))
        return commands, skipped

    # -- previews ----------------------------------------------------------------------

    def ask(self, interventions: list[p.Command]) -> p.PreviewDraft:
        self.requests += 1
        self.pending = self.requests
        self.asked = list(interventions)
        self._asked_items = bool(self.items) and self.asked == self.items
        return p.PreviewDraft(request=self.requests, interventions=list(interventions))

    def answer(self, preview: p.Preview) -> bool:
        """Take a preview if it answers the newest request; False (and ignored) if not."""
        if preview.request != self.pending:
            return False
        self.pending = None
        self.preview = preview
        self.previewed = self.asked
        self._previewed_items = self._asked_items
        self.price = (self.asked, list(preview.costs_eur))
        return True

    def refused(self, error: p.Error) -> bool:
        """An error about the newest request ends the wait; False if it is about another."""
        if not error.request or error.request != self.pending:
            return False
        self.pending = None
        return True

    def leave(self) -> None:
        """Esc: stop showing the preview (and stop waiting for one); the roads stay picked."""
        self.preview = None
        self.pending = None

    @property
    def showing(self) -> bool:
        return self.preview is not None
