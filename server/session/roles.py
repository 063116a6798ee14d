"""Who may do what: the role table, checked on the server for every command.

    check(Role.PLAYER, "vote", clock.phase)              # raises CommandError if refused
    check(Role.PLAYER, "comment", clock.phase, muted=True)  # "muted"
    moderation.check(player, "close_link", clock.phase)  # the same, knowing who is muted or removed

`ALLOWED` says which roles may send each command at all. A facilitator's commands are
never held back by the phase (the facilitator runs the phases); a player's command must
be opened by the current phase, as the rule set lists it (`GATES` names the phase command
that opens each one). An observer sees everything and changes nothing. Interventions go by
their wire tag (protocol.py): drawing one into a draft (preview, propose, amend) is the
intervention's command, and the phase must open it.
"""

from __future__ import annotations

import typing

from agora.server import protocol as p
from agora.server.session.errors import CommandError
from agora.server.session.players import Player, PlayerId, Role
from agora.server.session.rulesets import PLANNED_EDITS, Phase

FACILITATOR, PLAYER = Role.FACILITATOR, Role.PLAYER

# The game's own commands: what a player does with drafts, proposals and the room.
PLAYER_COMMANDS: dict[str, frozenset[Role]] = {
    "preview": frozenset({FACILITATOR, PLAYER}),
    "propose": frozenset({PLAYER}),
    "amend": frozenset({PLAYER}),
    "withdraw": frozenset({PLAYER}),
    "comment": frozenset({FACILITATOR, PLAYER}),
    "chat": frozenset({FACILITATOR, PLAYER}),
    "vote": frozenset({PLAYER}),
}
# The facilitator runs the session: its phases, its clock, its room, its count and its decisions.
FACILITATOR_COMMANDS: dict[str, frozenset[Role]] = {
    name: frozenset({FACILITATOR})
    for name in ("advance_phase", "set_phase", "pause", "resume", "set_speed", "announce",
                 "mute", "unmute", "remove", "count_votes", "adopt", "reject", "roll_back", "extend_phase",
                 "end_session")
}
# Every world edit, by wire tag: players draw them into drafts, the facilitator too (to show
# the room a preview). Edits a catalogue may name before the world has them count as well.
INTERVENTIONS: dict[str, frozenset[Role]] = {
    tag: frozenset({FACILITATOR, PLAYER})
    for tag in (*(str(command.__struct_config__.tag) for command in typing.get_args(p.Command)), *PLANNED_EDITS)
}
ALLOWED: dict[str, frozenset[Role]] = {**PLAYER_COMMANDS, **FACILITATOR_COMMANDS, **INTERVENTIONS}

# The phase command that opens each player command, where it is not the command itself.
# Rule sets (rulesets.SESSION_COMMANDS) have no "amend" or "chat" yet: amending is part of
# proposing, and the room's chat is never closed (None). Remove an entry here when the
# rule sets learn to open that command by its own name.
GATES: dict[str, str | None] = {"amend": "propose", "chat": None}
# A muted player may still propose and vote, but says nothing to the room.
SPEAKING = frozenset({"comment", "chat"})


def _roles(roles: frozenset[Role]) -> str:
    names = sorted(f"the {role.value}" for role in roles)
    return names[0] if len(names) == 1 else " and ".join(names)


def opens(phase: Phase | None, command: str) -> bool:
    """Whether a player may send `command` in `phase` (None: before the first phase or after the last)."""
    gate = GATES.get(command, command)
    if gate is None:
        return True
    return phase is not None and phase.opens(gate)


def check(role: Role, command: str, phase: Phase | None, *, muted: bool = False) -> None:
    """Refuse, with a CommandError, what `role` may not send now; return if it may."""
    allowed = ALLOWED.get(command)
    if allowed is None:
        raise CommandError("unknown_command", f"There is no command called {command!r}.")
    if role not in allowed:
        if role == Role.OBSERVER:
            raise CommandError("not_allowed", f"Observers can look at everything but change nothing; "
                               f"{command} is for {_roles(allowed)}.")
        raise CommandError("not_allowed", f"As the {role.value} you cannot {command}; only {_roles(allowed)} can.")
    if muted and command in SPEAKING:
        raise CommandError("muted", f"The facilitator has muted you: you cannot {command} until they unmute you.")
    if role == Role.FACILITATOR or opens(phase, command):
        return
    gate = GATES.get(command, command)
    if phase is None:
        raise CommandError("wrong_phase", f"No phase is running: {command} opens when the facilitator starts a phase that allows {gate}.")
    raise CommandError("wrong_phase", f"The {phase.title} phase does not open {gate}; "
                       f"it opens {', '.join(phase.commands) or 'nothing'}.")


class Moderation:
    """Who the facilitator muted or removed; a removed player's every command is refused."""

    def __init__(self) -> None:
        self.muted: set[PlayerId] = set()
        self.removed: set[PlayerId] = set()

    def check(self, player: Player, command: str, phase: Phase | None) -> None:
        if player.id in self.removed:
            raise CommandError("removed", "The facilitator has removed you from this session.")
        check(player.role, command, phase, muted=player.id in self.muted)

    def _target(self, target: Player, what: str) -> None:
        if target.role == Role.FACILITATOR:
            raise CommandError("not_allowed", f"A facilitator cannot be {what}.")
        if target.id in self.removed:
            raise CommandError("already_removed", f"{target.name} was removed from the session already.")

    def mute(self, target: Player) -> None:
        self._target(target, "muted")
        if target.id in self.muted:
            raise CommandError("already_muted", f"{target.name} is muted already.")
        self.muted.add(target.id)

    def unmute(self, target: Player) -> None:
        if target.id not in self.muted:
            raise CommandError("not_muted", f"{target.name} is not muted.")
        self.muted.discard(target.id)

    def remove(self, target: Player) -> None:
        self._target(target, "removed")
        self.removed.add(target.id)
        self.muted.discard(target.id)
