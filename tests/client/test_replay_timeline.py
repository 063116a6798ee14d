"""The replay timeline's model: where events sit, how the playhead jumps between them, and
what the strip says at a tick (no window needed)."""

from __future__ import annotations

from agora.client.replay_timeline import ADOPTION, EDIT, PHASE, PROPOSAL, TALK, VOTE, Timeline, kind_of
from agora.client.viewport import Area
from agora.server import protocol as p


def line() -> Timeline:
    events = [
        p.TimelineEvent(5, 1, "facilitator", "set_phase", "facilitator moved to the propose phase"),
        p.TimelineEvent(12, 2, "ada", "propose", "ada proposed 'Quiet street'", 1),
        p.TimelineEvent(12, 3, "bob", "chat", "bob said 'yes'"),
        p.TimelineEvent(30, 4, "ada", "close_link", "ada closed road 17 to cars"),
    ]
    return Timeline(p.Timeline("s1", 1, 60, [7.0 + (t - 1) / 60 for t in range(1, 61)], events))


def test_events_jump_and_clock() -> None:
    t = line()
    assert (t.next_event(1), t.next_event(5), t.next_event(12), t.next_event(30)) == (5, 12, 30, 60)
    assert (t.previous_event(60), t.previous_event(30), t.previous_event(12), t.previous_event(5)) == (30, 12, 5, 1)
    assert t.clamp(0) == 1 and t.clamp(99) == 60
    assert (t.clock(1), t.clock(31), t.clock(60)) == ("07:00", "07:30", "07:59")


def test_what_the_strip_says_at_a_tick() -> None:
    t = line()
    assert t.described(1) == "No event yet"
    assert t.described(12) == "Tick 12: ada proposed 'Quiet street'; bob said 'yes'"
    assert t.described(20) == "Last event, tick 12: bob said 'yes'"


def test_ticks_and_pixels_map_both_ways() -> None:
    t, area = line(), Area(0, 26, 900, 74)
    for tick in (1, 17, 30, 60):
        assert t.tick_at(t.x_of(tick, area), area) == tick
    assert t.tick_at(-50, area) == 1 and t.tick_at(5000, area) == 60


def test_kinds_of_commands() -> None:
    assert [kind_of(c) for c in ("amend", "vote", "roll_back", "advance_phase", "set_toll", "announce")] == [
        PROPOSAL, VOTE, ADOPTION, PHASE, EDIT, TALK]
