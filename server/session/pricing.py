"""What a draft would cost: the rule set's catalogue prices it as a proposal of it is priced.

    costs = price(game.book, session.published, [AddBikeLane(links=[4, 5])])   # (36120,)

A preview shows this price before anyone proposes, so the figure a player sees on their
draft is the one the board will show. The phase is not asked: previews are open in phases
that open no intervention (players preview others' proposals while they deliberate), and
the phase is checked again when the draft is proposed.
"""

from __future__ import annotations

from collections.abc import Sequence

from agora.server.protocol import Command
from agora.server.session.players import Player, PlayerId, Role
from agora.server.session.proposals import ProposalBook
from agora.server.world.world import World

# Prices as the facilitator would be priced: every catalogue entry, whatever the phase.
PRICER = Player(PlayerId(0), "pricing", "", Role.FACILITATOR)


def price(book: ProposalBook, world: World, interventions: Sequence[Command]) -> tuple[int, ...]:
    """Each intervention's cost in whole euros, in order; a CommandError with the rule's own
    sentence when the catalogue refuses one (not offered, wrong road class or land use, too
    many links or cells, a parameter out of its range, a place that does not exist)."""
    return book.validate_interventions(world, PRICER, interventions, phase=None)
