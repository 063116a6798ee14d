"""The player's draft: the roads picked on the map, the preview asked for them, and the
preview the server answered with.

    draft = Draft()
    draft.pick(17, add=False); draft.pick(40, add=True)     # a click, then a Shift+click
    request = draft.ask(draft.closures(city))                # a PreviewDraft to send
    draft.answer(preview)                                    # True: it answers the last request

Only the newest request counts: an answer to an older one (the player asked again
meanwhile) is dropped, as is a refusal of one.
"""

from __future__ import annotations

from agora.client.city import City
from agora.server import protocol as p


class Draft:
    def __init__(self) -> None:
        self.links: list[int] = []  # in the order picked
        self.requests = 0  # request numbers handed out so far
        self.pending: int | None = None  # the request awaiting its answer
        self.asked: list[p.Command] = []  # the interventions of the last request
        self.preview: p.Preview | None = None  # shown while not None
        self.previewed: list[p.Command] = []  # the interventions the preview shown is of

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
        return p.PreviewDraft(request=self.requests, interventions=list(interventions))

    def answer(self, preview: p.Preview) -> bool:
        """Take a preview if it answers the newest request; False (and ignored) if not."""
        if preview.request != self.pending:
            return False
        self.pending = None
        self.preview = preview
        self.previewed = self.asked
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
