from __future__ import annotations

import pytest

from agora.server.session.errors import CommandError
from agora.server.session.phases import ClockState, PhaseClock, StateError
from agora.server.session.rulesets import bundled

WORKSHOP = bundled("workshop")  # explore 15, propose 20, deliberate 20, vote 10, adopt 10, debrief 15


def test_a_session_waits_then_walks_through_its_phases_and_finishes() -> None:
    clock = PhaseClock(WORKSHOP)
    assert clock.view().state == ClockState.WAITING and clock.phase is None and not clock.expired
    names: list[str] = []
    while (phase := clock.advance()) is not None:
        assert clock.view().state == ClockState.RUNNING and clock.phase == phase
        names.append(phase.name)
    assert names == ["explore", "propose", "deliberate", "vote", "adopt", "debrief"]
    assert clock.view().state == ClockState.FINISHED and clock.phase is None and clock.remaining_s == 0.0
    with pytest.raises(StateError) as info:
        clock.advance()
    assert info.value.code == "wrong_state" and info.value.found == ClockState.FINISHED
    assert "finished" in info.value.message and "running" in info.value.message


def test_the_timer_runs_out_after_the_phases_minutes() -> None:
    clock = PhaseClock(WORKSHOP)
    clock.tick(30.0)  # waiting: no timer runs
    clock.advance()
    assert clock.remaining_s == 15 * 60
    for _ in range(899):
        clock.tick(1.0)
    assert not clock.expired and clock.remaining_s == 1.0
    clock.tick(1.0)
    assert clock.expired and clock.remaining_s == 0.0
    clock.tick(5.0)  # the caller decides when to advance; the timer does not go negative
    assert clock.remaining_s == 0.0
    assert clock.advance() is WORKSHOP.phases[1] and clock.elapsed_s == 0.0 and not clock.expired
    with pytest.raises(ValueError, match="forward"):
        clock.tick(-1.0)


def test_pause_stops_the_timer_and_wrong_transitions_name_expected_and_found() -> None:
    clock = PhaseClock(WORKSHOP)
    with pytest.raises(StateError) as info:
        clock.pause()
    assert (info.value.expected, info.value.found) == ((ClockState.RUNNING,), ClockState.WAITING)
    assert info.value.message == "Cannot pause: the session is waiting; expected it to be running."
    clock.advance()
    clock.tick(60.0)
    clock.pause()
    assert clock.paused
    clock.tick(600.0)
    assert clock.elapsed_s == 60.0
    with pytest.raises(StateError) as info:
        clock.pause()
    assert info.value.found == ClockState.PAUSED
    assert clock.advance() is WORKSHOP.phases[1] and clock.paused  # a paused session stays paused
    clock.resume()
    with pytest.raises(StateError) as info:
        clock.resume()
    assert (info.value.expected, info.value.found) == ((ClockState.PAUSED,), ClockState.RUNNING)
    clock.tick(2.0)
    assert clock.elapsed_s == 2.0


def test_the_facilitator_can_jump_to_a_phase_by_name() -> None:
    clock = PhaseClock(WORKSHOP)
    assert clock.set("vote").name == "vote" and clock.state == ClockState.RUNNING
    clock.tick(100.0)
    assert clock.set("propose").name == "propose" and clock.elapsed_s == 0.0
    with pytest.raises(CommandError) as info:
        clock.set("lunch")
    assert info.value.code == "no_such_phase" and "explore, propose" in info.value.message
    while clock.advance() is not None:
        pass
    assert clock.set("debrief").name == "debrief" and clock.state == ClockState.RUNNING  # back from the end


def test_speed_changes_the_seconds_between_ticks_within_a_range() -> None:
    clock = PhaseClock(WORKSHOP)
    assert clock.seconds_per_tick == WORKSHOP.clock.real_seconds_per_tick
    clock.set_speed(4.0)
    assert clock.seconds_per_tick == WORKSHOP.clock.real_seconds_per_tick / 4.0
    for bad in (0.0, -1.0, 100.0, float("nan")):
        with pytest.raises(CommandError) as info:
            clock.set_speed(bad)
        assert info.value.code == "out_of_range"
    assert clock.speed == 4.0


def test_the_view_is_what_players_see() -> None:
    clock = PhaseClock(WORKSHOP)
    waiting = clock.view()
    assert (waiting.state, waiting.index, waiting.name, waiting.opens) == (ClockState.WAITING, -1, "", ())
    clock.advance()
    clock.advance()
    clock.tick(90.0)
    view = clock.view()
    assert (view.state, view.index, view.count, view.name, view.title) == (ClockState.RUNNING, 1, 6, "propose", "Propose")
    assert (view.minutes, view.elapsed_s, view.remaining_s) == (20.0, 90.0, 20 * 60 - 90.0)
    assert "propose" in view.opens and "vote" not in view.opens


def test_the_same_calls_give_the_same_clock() -> None:
    def run() -> tuple[object, ...]:
        clock = PhaseClock(WORKSHOP)
        clock.advance()
        for step in range(1000):
            clock.tick(0.1 * (step % 7))
            if clock.expired:
                clock.advance()
        return (clock.state, clock.index, clock.elapsed_s)

    assert run() == run()


def test_a_pause_outlives_the_last_phase_until_the_facilitator_resumes() -> None:
    from agora.server.session.rulesets import bundled

    clock = PhaseClock(bundled("demo"))
    for _ in bundled("demo").phases:
        clock.advance()
    clock.pause()
    assert clock.advance() is None and clock.state == ClockState.FINISHED
    assert clock.paused, "ending the workshop does not restart the town"
    clock.resume()
    assert not clock.paused and clock.state == ClockState.FINISHED
    with pytest.raises(StateError):
        clock.resume()


def test_the_facilitator_can_give_a_phase_more_or_less_time_until_the_next_phase() -> None:
    clock = PhaseClock(WORKSHOP)
    with pytest.raises(StateError) as waiting:
        clock.extend(5.0)
    assert waiting.value.found == ClockState.WAITING and "running or paused" in waiting.value.message
    clock.advance()  # explore, 15 minutes
    clock.tick(60.0)
    clock.extend(5.0)
    assert clock.remaining_s == 19 * 60 and clock.view().minutes == 20.0
    clock.pause()
    clock.extend(-5.0)  # a paused phase too
    assert clock.remaining_s == 14 * 60 and clock.view().minutes == 15.0
    clock.resume()
    clock.tick(14 * 60 - 100.0)  # 1:40 left: five minutes fewer would end it, which advancing is for
    with pytest.raises(CommandError) as short:
        clock.extend(-5.0)
    assert short.value.code == "too_short" and "1:40 left" in short.value.message and "Advance" in short.value.message
    assert clock.remaining_s == 100.0
    for bad in (0.0, 61.0, -61.0, float("nan"), float("inf")):
        with pytest.raises(CommandError) as info:
            clock.extend(bad)
        assert info.value.code == "out_of_range"
    assert clock.remaining_s == 100.0
    clock.advance()  # the extension belongs to the phase it was given to
    assert clock.remaining_s == 20 * 60 and clock.view().minutes == 20.0
    clock.extend(10.0)
    clock.set("vote")
    assert clock.remaining_s == 10 * 60
