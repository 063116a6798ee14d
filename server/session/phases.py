"""The session's phases and their timers, driven by time the caller passes in.

    clock = PhaseClock(bundled("workshop"))
    clock.advance()            # waiting -> the first phase (explore), running
    clock.tick(1.0)            # one real second passed (the runner measures it)
    if clock.expired:          # the phase's minutes are up: the runner advances and logs it
        clock.advance()
    clock.pause(); clock.resume(); clock.set("vote"); clock.set_speed(2.0)
    clock.extend(5.0)          # five more minutes for this phase (-5.0: five fewer)

Nothing here reads a clock: replaying the same calls gives the same state. A wrong
transition (pausing a paused session, advancing past the end) raises a StateError that
names the state expected and the state found. While paused the timer stands still and
the simulation should not tick, but players may still do what the phase opens.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from agora.server.session.errors import CommandError
from agora.server.session.rulesets import Phase, RuleSet

# How much faster or slower than the rule set's real_seconds_per_tick the simulation may run.
SPEED_RANGE = (0.25, 8.0)
# How many minutes one ExtendPhase may add to (or take from) the running phase.
EXTEND_LIMIT_MIN = 60.0


class ClockState(StrEnum):
    WAITING = "waiting"  # before the first phase: players look around, nothing is open
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"  # after the last phase


class StateError(CommandError):
    """A transition the session's state does not allow, naming what was expected and found."""

    def __init__(self, action: str, expected: tuple[ClockState, ...], found: ClockState) -> None:
        wanted = " or ".join(state.value for state in expected)
        super().__init__("wrong_state", f"Cannot {action}: the session is {found.value}; expected it to be {wanted}.")
        self.expected = expected
        self.found = found


@dataclass(frozen=True)
class PhaseView:
    """The phase as players see it (the network layer turns it into a message)."""

    state: ClockState
    index: int  # 0-based position in the rule set's phases; -1 before the first, len after the last
    count: int
    name: str  # "" when no phase is running
    title: str
    minutes: float
    elapsed_s: float
    remaining_s: float
    speed: float
    opens: tuple[str, ...]


class PhaseClock:
    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        self.state = ClockState.WAITING
        self.held_at_finish = False
        self.index = -1
        self.elapsed_s = 0.0
        self.extra_s = 0.0  # the facilitator's extension of the running phase (negative: shortened)
        self.speed = 1.0

    @property
    def phase(self) -> Phase | None:
        """The current phase, or None before the first and after the last."""
        if self.state in (ClockState.WAITING, ClockState.FINISHED):
            return None
        return self.rules.phases[self.index]

    @property
    def paused(self) -> bool:
        """Ticks hold: paused now, or the workshop ended while paused (the facilitator's
        pause outlives the last phase until they resume)."""
        return self.state == ClockState.PAUSED or (self.state == ClockState.FINISHED and self.held_at_finish)

    @property
    def duration_s(self) -> float:
        phase = self.phase
        return 0.0 if phase is None else phase.minutes * 60.0 + self.extra_s

    @property
    def remaining_s(self) -> float:
        return max(0.0, self.duration_s - self.elapsed_s) if self.phase is not None else 0.0

    @property
    def expired(self) -> bool:
        """The phase's minutes are up (the caller decides to advance, and logs it)."""
        return self.phase is not None and self.elapsed_s >= self.duration_s

    def tick(self, seconds: float) -> None:
        """`seconds` of real time passed; only a running phase's timer moves."""
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"time moves forward: expected seconds >= 0, got {seconds}")
        if self.state == ClockState.RUNNING:
            self.elapsed_s += seconds

    def advance(self) -> Phase | None:
        """To the next phase (from waiting: the first), its timer at zero; after the last,
        finished (returns None). A paused session stays paused."""
        if self.state == ClockState.FINISHED:
            raise StateError("advance to the next phase", (ClockState.WAITING, ClockState.RUNNING, ClockState.PAUSED),
                             self.state)
        self.index += 1
        self.elapsed_s = 0.0
        self.extra_s = 0.0
        if self.index >= len(self.rules.phases):
            self.held_at_finish = self.state == ClockState.PAUSED
            self.state = ClockState.FINISHED
            return None
        if self.state == ClockState.WAITING:
            self.state = ClockState.RUNNING
        return self.rules.phases[self.index]

    def end(self) -> None:
        """The session ends for good (EndSession): after the last phase, ticks held."""
        self.index = len(self.rules.phases)
        self.elapsed_s = 0.0
        self.state = ClockState.FINISHED
        self.held_at_finish = True

    def set(self, name: str) -> Phase:
        """Jump to the phase called `name` (back or forward), its timer at zero."""
        names = [phase.name for phase in self.rules.phases]
        if name not in names:
            raise CommandError("no_such_phase", f"This session has no phase {name!r}; its phases are {', '.join(names)}.")
        self.index = names.index(name)
        self.elapsed_s = 0.0
        self.extra_s = 0.0
        if self.state in (ClockState.WAITING, ClockState.FINISHED):
            self.state = ClockState.RUNNING
        return self.rules.phases[self.index]

    def pause(self) -> None:
        if self.state != ClockState.RUNNING:
            raise StateError("pause", (ClockState.RUNNING,), self.state)
        self.state = ClockState.PAUSED

    def resume(self) -> None:
        if self.state == ClockState.FINISHED and self.held_at_finish:
            self.held_at_finish = False  # the town ticks on after the workshop
            return
        if self.state != ClockState.PAUSED:
            raise StateError("resume", (ClockState.PAUSED,), self.state)
        self.state = ClockState.RUNNING

    def extend(self, minutes: float) -> None:
        """Give the running (or paused) phase `minutes` more (negative: fewer), until the next
        phase change. Shortening never ends the phase: that is what advancing is for."""
        phase = self.phase
        if phase is None:
            raise StateError("change the phase's time", (ClockState.RUNNING, ClockState.PAUSED), self.state)
        if not (math.isfinite(minutes) and minutes != 0 and abs(minutes) <= EXTEND_LIMIT_MIN):
            raise CommandError("out_of_range", f"A phase can gain or lose between 1 second and {EXTEND_LIMIT_MIN:g} "
                               f"minutes at a time; {minutes:g} is outside.")
        if self.remaining_s + minutes * 60.0 <= 0.0:
            left = int(self.remaining_s + 0.999)
            raise CommandError("too_short", f"The {phase.title} phase has only {left // 60}:{left % 60:02d} left: "
                               f"it cannot lose {-minutes:g} minutes. Advance to the next phase to end it now.")
        self.extra_s += minutes * 60.0

    def set_speed(self, speed: float) -> None:
        """Run the simulation `speed` times as fast as the rule set's real_seconds_per_tick."""
        low, high = SPEED_RANGE
        if not (math.isfinite(speed) and low <= speed <= high):
            raise CommandError("out_of_range", f"The speed must lie between {low:g} and {high:g} times; {speed:g} is outside.")
        self.speed = speed

    @property
    def seconds_per_tick(self) -> float:
        """Real seconds between simulation ticks at the current speed."""
        return self.rules.clock.real_seconds_per_tick / self.speed

    def view(self) -> PhaseView:
        phase = self.phase
        return PhaseView(
            state=self.state, index=self.index, count=len(self.rules.phases),
            name=phase.name if phase else "", title=phase.title if phase else "",
            minutes=self.duration_s / 60.0 if phase else 0.0, elapsed_s=self.elapsed_s, remaining_s=self.remaining_s,
            speed=self.speed, opens=phase.commands if phase else (),
        )
