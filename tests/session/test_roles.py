from __future__ import annotations

import typing

import pytest

from agora.server import protocol as p
from agora.server.session.errors import CommandError
from agora.server.session.players import Player, PlayerId, Role
from agora.server.session.roles import ALLOWED, Moderation, check
from agora.server.session.rulesets import PLANNED_EDITS, Phase, bundled

WORKSHOP = bundled("workshop")
WIRE_TAGS = {str(cls.__struct_config__.tag) for cls in typing.get_args(p.Command)}
INTERVENTIONS = {entry.edit for entry in WORKSHOP.interventions.values()}
FACILITATOR_ONLY = {"advance_phase", "set_phase", "pause", "resume", "set_speed", "announce",
                    "mute", "unmute", "remove", "count_votes", "adopt", "reject", "roll_back", "extend_phase",
                    "end_session"}
SESSION = {"preview", "propose", "amend", "withdraw", "comment", "chat", "vote"}

# The workshop as a person reads rules/rulesets/workshop.toml: what a player may do in each
# phase (None: before the first phase and after the last). Chat is never closed; amending
# belongs to proposing.
PLAYER_MAY = {
    None: {"chat"},
    "explore": {"chat", "preview", *INTERVENTIONS},
    "propose": {"chat", "preview", "propose", "amend", "withdraw", "comment", *INTERVENTIONS},
    "deliberate": {"chat", "preview", "comment", "withdraw"},
    "vote": {"chat", "vote"},
    "adopt": {"chat"},
    "debrief": {"chat", "comment"},
}
# The facilitator, in every phase: runs it, talks, previews and draws; never proposes or votes.
FACILITATOR_MAY = {"preview", "comment", "chat", *FACILITATOR_ONLY, *INTERVENTIONS}
PHASES: list[Phase | None] = [None, *WORKSHOP.phases]


def test_the_table_covers_every_session_command_and_every_world_edit() -> None:
    assert set(ALLOWED) == SESSION | FACILITATOR_ONLY | WIRE_TAGS | set(PLANNED_EDITS)
    assert INTERVENTIONS <= set(ALLOWED)  # every intervention the workshop offers has its row
    # Every game command on the wire has its row (submitting a draft is checked as proposing it).
    game_tags = {str(cls.__struct_config__.tag) for cls in typing.get_args(p.GameCommand)}
    assert game_tags - {"submit"} == SESSION - {"preview"} | FACILITATOR_ONLY


def expected(role: Role, command: str, phase: Phase | None) -> str | None:
    if role == Role.OBSERVER:
        return "not_allowed"
    if role == Role.FACILITATOR:
        return None if command in FACILITATOR_MAY else "not_allowed"
    if command in FACILITATOR_ONLY:
        return "not_allowed"
    return None if command in PLAYER_MAY[phase.name if phase else None] else "wrong_phase"


@pytest.mark.parametrize("phase", PHASES, ids=lambda ph: ph.name if ph else "no_phase")
@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("command", sorted(ALLOWED))
def test_every_command_from_every_role_in_every_phase(command: str, role: Role, phase: Phase | None) -> None:
    code = expected(role, command, phase)
    if code is None:
        check(role, command, phase)
        return
    with pytest.raises(CommandError) as info:
        check(role, command, phase)
    assert info.value.code == code
    assert role.value in info.value.message or "Observers" in info.value.message or code == "wrong_phase"
    if code == "wrong_phase":  # names the phase, or says none is running
        assert (phase.title if phase else "No phase") in info.value.message


def test_a_muted_player_can_neither_chat_nor_comment_but_still_votes() -> None:
    propose, vote = WORKSHOP.phase("propose"), WORKSHOP.phase("vote")
    for command in ("chat", "comment"):
        with pytest.raises(CommandError) as info:
            check(Role.PLAYER, command, propose, muted=True)
        assert info.value.code == "muted"
    check(Role.PLAYER, "vote", vote, muted=True)
    check(Role.PLAYER, "propose", propose, muted=True)
    # The role comes first: an observer is refused as an observer, muted or not.
    with pytest.raises(CommandError, match="Observers") as info:
        check(Role.OBSERVER, "chat", propose, muted=True)
    assert info.value.code == "not_allowed"


def test_an_unknown_command_is_refused() -> None:
    with pytest.raises(CommandError) as info:
        check(Role.FACILITATOR, "self_destruct", None)
    assert info.value.code == "unknown_command"


def refused(call: typing.Callable[[], None]) -> str:
    with pytest.raises(CommandError) as info:
        call()
    assert info.value.message
    return info.value.code


def test_moderation_mutes_unmutes_and_removes() -> None:
    room = Moderation()
    ada = Player(PlayerId(1), "ada", "t1", Role.PLAYER)
    fay = Player(PlayerId(2), "fay", "t2", Role.FACILITATOR)
    propose = WORKSHOP.phase("propose")
    room.check(ada, "chat", propose)
    room.mute(ada)
    assert refused(lambda: room.check(ada, "chat", propose)) == "muted"
    assert refused(lambda: room.mute(ada)) == "already_muted"
    room.check(ada, "propose", propose)
    room.unmute(ada)
    assert refused(lambda: room.unmute(ada)) == "not_muted"
    room.check(ada, "comment", propose)
    assert refused(lambda: room.mute(fay)) == "not_allowed"
    assert refused(lambda: room.remove(fay)) == "not_allowed"
    room.remove(ada)
    assert refused(lambda: room.check(ada, "propose", propose)) == "removed"
    assert refused(lambda: room.remove(ada)) == "already_removed"
    assert refused(lambda: room.mute(ada)) == "already_removed"
