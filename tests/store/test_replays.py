"""Replays from the database: from tick 0 they give the live state hash at every tick; from
any snapshot they go on as the live session did; --verify passes on the record and names
the tick where a tampered one parts from its snapshots."""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import msgspec
import pytest

from agora.server import protocol as p
from agora.server.cli import main
from agora.server.session.session import Replay, ReplayError, Session
from agora.server.store import eventlog as eventlog_module
from agora.server.store.eventlog import EventLog
from agora.server.store.replays import Recorded, orders_between, rebuild, verify
from agora.server.world.world import World, resolve_world

from tests.conftest import make_tiny_world
from tests.store.recording import Recorder, record_workshop

EVERY = 20


@dataclass(frozen=True)
class Workshop:
    db: Path
    hashes: dict[int, str]  # the live state hash right after each tick
    final_hash: str  # the live state at the end, the orders after the last tick included
    reached: int


@pytest.fixture(scope="module")
def workshop(tmp_path_factory: pytest.TempPathFactory) -> Workshop:
    """The demo workshop of recording.py on the default town (100 ticks, 18 orders), a
    snapshot every 20 ticks, every snapshot keeping its arrays."""
    db = tmp_path_factory.mktemp("workshop") / "agora.db"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(eventlog_module, "KEEP_STATE_EVERY", 1)
        log = EventLog(db)
        rec = record_workshop(log, World.load(resolve_world("default")), every=EVERY)
        log.close()
    return Workshop(db, rec.hashes, rec.session.state_hash(), rec.session.tick)


@pytest.fixture
def log(workshop: Workshop, tmp_path: Path) -> EventLog:
    """A copy of the workshop's database, to change at will."""
    copy = tmp_path / "copy.db"
    shutil.copy(workshop.db, copy)
    opened = EventLog(copy)
    yield opened  # type: ignore[misc]
    opened.close()


def test_a_replay_from_tick_0_gives_the_live_hash_after_every_tick(workshop: Workshop, log: EventLog) -> None:
    recorded = Recorded.load(log, "w1")
    assert recorded.reached_tick == workshop.reached == 100 and len(recorded.orders) == 18
    seen: dict[int, str] = {}
    again = Replay(recorded.fresh(), recorded.orders, recorded.players,
                   each_tick=lambda s: seen.__setitem__(s.tick, s.state_hash())).run_to(recorded.reached_tick)
    assert seen == workshop.hashes
    assert again.state_hash() == workshop.final_hash
    assert [player.name for player in again.roster] == ["facilitator", "ada", "bob"]


def test_a_rebuild_from_any_snapshot_goes_on_as_the_live_session_did(workshop: Workshop, log: EventLog) -> None:
    recorded = Recorded.load(log, "w1")
    clean = Replay(recorded.fresh(), recorded.orders, recorded.players)
    for snapshot in log.snapshots("w1"):
        to_tick = min(snapshot.tick + 9, recorded.reached_tick)
        rebuilt = rebuild(log, recorded, to_tick)
        assert (rebuilt.start_tick, rebuilt.simulated, rebuilt.note) == (snapshot.tick, to_tick - snapshot.tick, "")
        assert rebuilt.session.state_hash() == clean.run_to(to_tick).state_hash(), f"from the snapshot at {snapshot.tick}"
    # The tick reached, by default: the live session's state, every order applied.
    latest = rebuild(log, recorded)
    assert latest.start_tick == 100 and latest.session.state_hash() == workshop.final_hash
    assert latest.session.last_seq == 18 and latest.session.game.clock.view().name == "adopt"


def test_a_rebuilt_session_takes_new_orders_like_the_one_that_never_stopped(log: EventLog) -> None:
    recorded = Recorded.load(log, "w1")
    rebuilt = rebuild(log, recorded, 60).session
    clean = Replay(recorded.fresh(), recorded.orders, recorded.players).run_to(60)
    for session in (rebuilt, clean):
        ada = session.rejoin(recorded.players[1].token)
        session.schedule(session.check(ada, p.CloseLink(link=int(session.world.network.twin[7]))))
        session.commit(session.stage(ada, p.Chat(text="still here")))
    for _ in range(12):
        rebuilt.advance()
        clean.advance()
        assert rebuilt.state_hash() == clean.state_hash()


def test_verify_passes_on_the_record(workshop: Workshop, log: EventLog) -> None:
    verified = verify(log, Recorded.load(log, "w1"))
    assert [c.tick for c in verified.checks] == [20, 40, 60, 80, 100]
    assert verified.first_difference is None and verified.session.state_hash() == workshop.final_hash


def tamper(log: EventLog, command: str, change: dict[str, object]) -> tuple[int, int]:
    """Change the payload of the first order of a kind, in SQLite, as someone might; its (seq, tick)."""
    db = sqlite3.connect(log.path)
    seq, tick, payload = db.execute("select seq, tick, payload from events where session = 'w1' and command = ?"
                                    " order by seq limit 1", [command]).fetchone()
    db.execute("update events set payload = ? where session = 'w1' and seq = ?",
               [msgspec.json.encode({**msgspec.json.decode(payload), **change}).decode(), seq])
    db.commit()
    db.close()
    return seq, tick


def test_a_tampered_toll_is_found_at_the_first_snapshot_after_it(log: EventLog) -> None:
    seq, tick = tamper(log, "set_toll", {"toll_eur": 4.0})
    recorded = Recorded.load(log, "w1")
    verified = verify(log, recorded)
    differs = verified.first_difference
    assert tick == 13 and differs is not None and differs.tick == 20, "an edit shows from the tick it applies at"
    assert [c.tick for c in verified.checks] == [20] and verified.session.tick == 20, "verify stops at the first"
    assert seq in [o.seq for o in orders_between(recorded, 0, differs.tick)]


def test_a_tampered_chat_line_is_found_too(log: EventLog) -> None:
    _, tick = tamper(log, "chat", {"text": "Vote now!"})
    differs = verify(log, Recorded.load(log, "w1")).first_difference
    assert differs is not None and differs.tick == 40 and tick == 26  # the game is in the state hash


def test_an_order_that_no_longer_replays_names_its_tick(log: EventLog) -> None:
    _, tick = tamper(log, "reopen_link", {"link": 3})  # a street that was never closed
    with pytest.raises(ReplayError) as info:
        verify(log, Recorded.load(log, "w1"))
    assert info.value.tick == tick - 1 and "not_closed" in str(info.value) and f"tick {tick - 1}" in str(info.value)


def test_a_snapshot_that_does_not_restore_is_passed_over_for_tick_0(workshop: Workshop, log: EventLog) -> None:
    # The snapshot of tick 100 given the arrays of tick 80: its hash cannot come out.
    log.db.execute("update snapshots set state = (select state from snapshots where tick = 80) where tick = 100")
    log.db.conn.commit()
    rebuilt = rebuild(log, Recorded.load(log, "w1"))
    assert rebuilt.start_tick == 0 and "tick 100 did not restore" in rebuilt.note
    assert rebuilt.session.state_hash() == workshop.final_hash


def test_old_snapshots_keep_their_hash_and_lose_their_arrays(tmp_path: Path) -> None:
    log = EventLog(tmp_path / "agora.db")
    Recorder(log, Session("t", make_tiny_world(), code="ABCDEF"), every=2).ticks(46)
    kept = log.db.execute("select tick from snapshots where state is not null order by tick").fetchall()
    assert [tick for (tick,) in kept] == [20, 40, 46]  # every KEEP_STATE_EVERY-th, and the latest
    assert [s.tick for s in log.snapshots("t")] == list(range(2, 47, 2))
    log.close()


# -- the command line ------------------------------------------------------------------


def test_agora_replay_verify_passes_and_reports_its_speed(workshop: Workshop, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", str(workshop.db), "--verify"]) == 0
    out = capsys.readouterr().out
    assert "Session w1 (world 'default', rules 'demo'): 3 players, 18 orders, reached tick 100" in out
    assert "Replayed 100 ticks from tick 0" in out and "times as fast as live (1 s a tick)" in out
    assert "Verified 5 snapshots (ticks 20 to 100): every state hash equal" in out
    assert f"Final state hash (tick 100): {workshop.final_hash}" in out


def test_agora_replay_starts_from_a_snapshot_unless_verifying(workshop: Workshop, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", str(workshop.db), "--session", "w1", "--to", "50"]) == 0
    out = capsys.readouterr().out
    assert "Replayed 10 ticks from the snapshot at tick 40" in out and "Final state hash (tick 50)" in out


def test_agora_replay_verify_fails_on_a_tampered_log_naming_the_tick(
        log: EventLog, capsys: pytest.CaptureFixture[str]) -> None:
    seq, _ = tamper(log, "set_toll", {"toll_eur": 4.0})
    assert main(["replay", str(log.path), "--verify"]) == 1
    err = capsys.readouterr().err
    assert "FAILED at tick 20: the snapshot's state hash" in err
    assert f"order {seq} at tick 13 by bob: set_toll" in err


def test_agora_replay_refuses_what_it_cannot_replay(tmp_path: Path, workshop: Workshop,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", str(tmp_path / "none.db")]) == 2
    assert main(["replay", str(workshop.db), "--session", "nope"]) == 2
    assert "holds no session 'nope' (it holds: w1)" in capsys.readouterr().err
