"""Previews of proposals on the board: which request asked for which proposal, and the few
headline figures the server's answers gave, kept for the board's rows.

    previews = BoardPreviews()
    request = previews.ask(proposal, draft)    # O: a PreviewDraft of its current version
    previews.take(preview, draft)              # before the draft takes it: its headline is kept
    previews.headline(proposal)                # what the row shows, or None: "O to preview"
    previews.shown(draft)                      # the proposal the draft's preview is of

The client computes no outcome: a headline is the server's before and after, in words, kept
by the interventions previewed, so that a draft proposed (or a new version sent) after its
preview has its headline at once. A proposal amended since has none until previewed again.
"""

from __future__ import annotations

from dataclasses import dataclass

from agora.client import indicators
from agora.client.drafts import Draft
from agora.client.indicators import Verdict
from agora.server import protocol as p

# The few numbers a room argues about first, with the short words a row has room for.
HEADLINES: tuple[tuple[str, str], ...] = (
    ("vehicle_hours", "in cars"),
    ("co2_kg_h", "CO2"),
    ("residents_above_who_lden", "people >53 dB"),
)


@dataclass(frozen=True)
class Figure:
    text: str  # "+66 veh·h in cars", "-13 kg/h CO2"
    verdict: Verdict


@dataclass(frozen=True)
class Headline:
    figures: tuple[Figure, ...]
    best: indicators.PersonaScore | None  # the persona it helps most
    worst: indicators.PersonaScore | None  # the one it hurts most (None if it hurts nobody)


def headline_of(preview: p.Preview) -> Headline:
    before, after = indicators.sides(preview)
    figures = []
    for name, words in HEADLINES:
        if name in before and name in after:
            change = indicators.describe(name, before[name], after[name])
            text = "no change" if change.verdict is Verdict.SAME else change.delta
            figures.append(Figure(f"{text} {words}", change.verdict))
    scores = indicators.personas(preview)
    best = scores[0] if scores and scores[0].score >= 0.05 else None
    worst = scores[-1] if scores and scores[-1].score <= -0.05 else None
    return Headline(tuple(figures), best, worst)


def draft_key(interventions: list[p.Command]) -> bytes:
    """The same interventions in the same order make the same key (as the server's cache has it)."""
    return p.msgpack_encoder.encode(interventions)


class BoardPreviews:
    def __init__(self) -> None:
        self.asked: dict[int, int] = {}  # request -> the proposal it previews
        self.keys: dict[int, bytes] = {}  # request -> draft_key, for proposals' requests
        self.seen: dict[bytes, Headline] = {}  # draft_key -> what its preview said

    def ask(self, proposal: p.ProposalInfo, draft: Draft) -> p.PreviewDraft:
        """The request for a preview of the proposal's current version, through the draft
        (whose preview the map and the preview panel show)."""
        request = draft.ask(list(proposal.versions[-1].interventions))
        self.asked[request.request] = proposal.id
        self.keys[request.request] = draft_key(request.interventions)
        return request

    def take(self, preview: p.Preview, draft: Draft) -> bool:
        """Keep the headline of a preview that answers a proposal's request (even one the
        player stopped waiting for) or the draft's (which may become a proposal, or a new
        version of one); False if it answers an older request of the draft's."""
        key = self.keys.get(preview.request)
        if key is None and preview.request == draft.pending:
            key = draft_key(draft.asked)
        if key is None:
            return False
        self.seen[key] = headline_of(preview)
        return True

    def headline(self, proposal: p.ProposalInfo) -> Headline | None:
        if not proposal.versions:
            return None
        return self.seen.get(draft_key(proposal.versions[-1].interventions))

    def shown(self, draft: Draft) -> int | None:
        """The proposal whose preview the draft shows or waits for; None for the player's own draft."""
        request = draft.preview.request if draft.preview is not None else draft.pending
        return self.asked.get(request) if request is not None else None
