"""Player seats: a session takes players up to its rule set's max_players, then refuses the
players' code with "session_full"; seated players rejoin with their tokens, observers still
join, and the limit travels with the rule set into the log."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from agora.server.session.errors import CommandError
from agora.server.session.players import Role
from agora.server.session.rulesets import DEFAULT_MAX_PLAYERS, RuleSet, RuleSetError, bundled, load_ruleset
from agora.server.session.session import Session
from agora.server.world.world import World
from tests.session.test_rulesets import GOOD


def test_the_players_code_is_refused_once_every_seat_is_taken(tiny_world: World) -> None:
    rules = msgspec.structs.replace(bundled("workshop"), max_players=2)
    session = Session("s", tiny_world, code="ABCDEF", observer_code="WATCH2", rules=rules)
    session.add_facilitator()  # takes no seat
    ada = session.join("ABCDEF", "ada")
    assert not session.is_full
    session.join("ABCDEF", "bob")
    assert session.is_full and session.players_joined == 2
    with pytest.raises(CommandError) as info:
        session.join("ABCDEF", "cem")
    assert info.value.code == "session_full"
    assert "all its player seats are taken (2 of 2)" in info.value.message and "observers' code" in info.value.message
    assert len(session.roster) == 3, "nobody was added for the refused join"
    assert session.rejoin(ada.token) == ada  # a seat is kept for its token
    assert session.join("watch2", "eve").role == Role.OBSERVER  # observers take no seat


def test_max_players_comes_from_the_rule_set_and_is_checked(tmp_path: Path) -> None:
    assert bundled("workshop").max_players == DEFAULT_MAX_PLAYERS == 60
    path = tmp_path / "small.toml"
    path.write_text("max_players = 12\n" + GOOD)
    assert load_ruleset(path).max_players == 12
    path.write_text("max_players = 0\n" + GOOD)
    with pytest.raises(RuleSetError, match="max_players is 0; give 1 to 1000 players"):
        load_ruleset(path)


def test_the_logged_rule_set_keeps_the_limit_and_old_logs_get_the_default() -> None:
    # The event log keeps the rule set as JSON (store/eventlog.py rules_json), so a resumed
    # session has the seats it was opened with.
    rules = msgspec.structs.replace(bundled("workshop"), max_players=7)
    assert msgspec.json.decode(msgspec.json.encode(rules), type=RuleSet).max_players == 7
    old = msgspec.json.decode(msgspec.json.encode(rules))
    del old["max_players"]
    assert msgspec.json.decode(msgspec.json.encode(old), type=RuleSet).max_players == DEFAULT_MAX_PLAYERS
