"""Replay on the wire: a planner's connection to a recorded session (a hello with `replay`
set) seeks through its ticks, sees its timeline of events, and may branch a new session.

Part of the wire: `agora.server.protocol` re-exports every name here, and clients import
them from there.
"""

from __future__ import annotations

from msgspec import Struct


class Seek(Struct, tag="seek", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """Replay: show the session as it was at this tick (after the game commands of that
    tick). The answer is a Resync and a Game; a PreviewDraft is then made on that world."""

    tick: int


class Branch(Struct, tag="branch", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """Replay: start a new session from the recorded one as it was at this tick (a what-if
    for a follow-up workshop). The answer is a Branched."""

    tick: int


class TimelineEvent(Struct, frozen=True, forbid_unknown_fields=True):
    """One logged order of a recorded session, as a replay's timeline shows it."""

    tick: int  # the tick from which its effect shows
    seq: int
    player: str
    command: str  # the wire tag: close_link, propose, vote, advance_phase, ...
    summary: str  # one line for people: "ada proposed 'Quiet street'"
    proposal: int | None = None  # the proposal it is about, if any


class Timeline(Struct, tag="timeline", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """Replay: what a recorded session holds, sent after the Welcome."""

    session: str
    first_tick: int
    last_tick: int
    clock_hours: list[float]  # the simulated time of day at each tick first..last, hours after midnight
    events: list[TimelineEvent]  # in log order
    can_branch: bool = True


class Branched(Struct, tag="branched", tag_field="type", frozen=True, forbid_unknown_fields=True):
    """Replay: the new session a Branch made, with what a facilitator needs to open it."""

    session_id: str
    join_code: str
    observer_code: str
    facilitator_token: str
    from_session: str
    from_tick: int
