"""Ending a session: the facilitator's EndSession is logged like any game command and checked
by role; an ended session refuses everything, stops ticking, is not resumed at the next
start and still replays (its hash says it ended); `agora session end` does the same to a
file no server has open."""

from __future__ import annotations

from pathlib import Path

import pytest

from agora.server import protocol as p
from agora.server.cli import main
from agora.server.net.sessions import SessionRegistry
from agora.server.session.errors import CommandError
from agora.server.session.rulesets import bundled
from agora.server.session.session import Session, replay
from agora.server.store.eventlog import EventLog
from agora.server.store.replays import Recorded, rebuild, verify

from tests.conftest import make_tiny_world
from tests.store.recording import Recorder


def recorded(path: Path) -> Recorder:
    """A short sandbox session on the tiny town: a street closed, a chat line, 6 ticks."""
    rec = Recorder(EventLog(path), Session("s1", make_tiny_world(), code="ABCDEF", rules=bundled("demo")), every=4)
    ada = rec.join("ada")
    rec.ticks(2)
    rec.edit(ada, p.CloseLink(link=2))
    rec.game(ada, p.Chat(text="hello"))
    rec.ticks(4)
    return rec


def test_the_facilitator_ends_a_session_that_then_refuses_everything_and_is_not_resumed(tmp_path: Path) -> None:
    rec = recorded(tmp_path / "agora.db")
    session = rec.session
    ada = session.roster.get(2)  # type: ignore[arg-type]
    with pytest.raises(CommandError) as refused:
        rec.game(ada, p.EndSession())
    assert refused.value.code == "not_allowed" and "only the facilitator" in refused.value.message
    before = session.state_hash()
    end = rec.game(rec.facilitator, p.EndSession())
    rec.log.save_progress(session)  # as the runner does at once
    assert session.state_hash() != before, "the state hash says the session ended"
    assert session.game.clock.paused, "the town stops ticking"
    for command in (p.Chat(text="still there?"), p.Resume(), p.SetPhase(phase="vote")):
        who = rec.facilitator if not isinstance(command, p.Chat) else ada
        with pytest.raises(CommandError) as after:
            session.stage(who, command)
        assert after.value.code == "session_ended"
    with pytest.raises(CommandError, match="ended this session"):
        session.check(rec.facilitator, p.ReopenLink(link=2))

    row = rec.log.session_row("s1")
    assert row is not None and row["ended_at"]
    assert rec.log.orders("s1")[-1] == end and end.tick == 6
    assert SessionRegistry(rec.log).resume() == []
    # It replays, and the replay ends it too.
    again = Recorded.load(rec.log, "s1")
    assert again.ended and verify(rec.log, again).first_difference is None
    rebuilt = rebuild(rec.log, again).session
    assert rebuilt.game.ended and rebuilt.state_hash() == session.state_hash()
    rec.log.close()


def test_agora_session_end_ends_a_session_in_a_file_no_server_has_open(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "agora.db"
    rec = recorded(db)
    live_hash = rec.session.state_hash()
    rec.log.close()
    log = EventLog(db)
    resumed = SessionRegistry(log).resume()
    assert [o.runner.session.state_hash() for o in resumed] == [live_hash]  # type: ignore[union-attr]
    log.close()  # it would resume

    assert main(["session", "end", str(db), "--session", "s1"]) == 0
    assert "Session s1 ended at tick 6 (order 3)" in capsys.readouterr().out
    log = EventLog(db)
    assert SessionRegistry(log).resume() == [], "a restart no longer resumes it"
    orders = log.orders("s1")
    assert isinstance(orders[-1].command, p.EndSession) and orders[-1].player_name == "facilitator"
    ended = replay(Recorded.load(log, "s1").fresh(), orders, 6, log.players("s1"))
    assert ended.game.ended and ended.closed[2]
    log.close()

    assert main(["session", "end", str(db), "--session", "s1"]) == 0
    assert "had ended already" in capsys.readouterr().out
    assert main(["session", "end", str(db), "--session", "nope"]) == 2
    assert "holds no session 'nope' (it holds: s1)" in capsys.readouterr().err
