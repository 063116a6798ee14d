"""`agora replay`: rebuild a recorded session from its initial world and its log.

    $ agora replay agora.db --verify
    Session 3f9c2a1d (world 'default', rules 'workshop'): 5 players, 57 orders, reached tick 812
    Replayed 812 ticks from tick 0 in 1.62 s: 501 ticks/s, 501 times as fast as live (1 s a tick)
    Verified 13 snapshots (ticks 60 to 780): every state hash equal
    Final state hash (tick 812): 9c0f...

Without --verify the replay starts from the latest snapshot at or before the tick wanted
(--to; default the tick the session reached). --verify simulates every tick from tick 0 and
exits with 1 at the first snapshot whose state hash differs, naming its tick and the orders
logged since the last snapshot that agreed; 1 too if an order does not replay at all.

    $ agora replay agora.db --session 3f9c2a1d --view

--view opens the replay window on the session: a replay server on 127.0.0.1 (a free port,
in this process, with a one-time admin token) and the client's replay window connected to
it, to scrub the timeline, compare moments and proposals side by side, and branch.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from agora.server.session.session import ReplayError
from agora.server.store.branches import branch
from agora.server.store.eventlog import EventLog, StoreError
from agora.server.store.replays import (
    Recorded,
    describe,
    orders_between,
    rebuild,
    verify,
)
from agora.server.world.world import WorldError

MAX_LISTED = 10  # orders listed under a difference


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    replay = subparsers.add_parser("replay", help="rebuild a recorded session from its log; --verify proves it")
    replay.add_argument("db", type=Path, help="the session database (agora serve --db)")
    replay.add_argument("--session", default=None, help="the session's id (default: the latest of the database)")
    replay.add_argument("--verify", action="store_true",
                        help="replay every tick from the start and check the state hash at every snapshot")
    replay.add_argument("--to", type=int, default=None, metavar="TICK",
                        help="replay up to this tick (default: the tick the session reached)")
    replay.add_argument("--view", action="store_true",
                        help="open the replay window: scrub the timeline, compare moments, branch a new session")
    replay.add_argument("--width", type=int, default=1280, help="--view: window width in pixels (default: %(default)s)")
    replay.add_argument("--height", type=int, default=800, help="--view: window height in pixels (default: %(default)s)")
    replay.add_argument("--branch", action="store_true",
                        help="write a new session into the database that starts from this one at --to; "
                             "agora serve resumes it (prints its codes)")
    replay.set_defaults(func=run)


def open_database(db: Path, command: str) -> EventLog | None:
    """The session database for a command line tool, or None after saying why on stderr."""
    logging.basicConfig(level=logging.WARNING, format="%(name)s %(message)s")
    if not db.is_file():
        print(f"{command}: no database at {db}", file=sys.stderr)
        return None
    try:
        return EventLog(db)
    except StoreError as exc:
        print(f"{command}: {exc}", file=sys.stderr)
        return None


def run(args: argparse.Namespace) -> int:
    eventlog = open_database(args.db, "agora replay")
    if eventlog is None:
        return 2
    try:
        if args.view:
            session_id = _chosen(eventlog, args)
            if session_id is None:
                return 2
        else:
            return _replay(eventlog, args)
    finally:
        eventlog.close()
    return view(args.db, session_id, args.width, args.height)


def _chosen(eventlog: EventLog, args: argparse.Namespace) -> str | None:
    """The session --session names, else the latest; None after saying why on stderr."""
    ids = [str(s["id"]) for s in eventlog.sessions()]
    if not ids:
        print(f"agora replay: {args.db} holds no session", file=sys.stderr)
        return None
    if args.session is not None and args.session not in ids:
        print(f"agora replay: {args.db} holds no session {args.session!r} (it holds: {', '.join(ids)})", file=sys.stderr)
        return None
    return str(args.session or ids[-1])


def view(db: Path, session_id: str, width: int = 1280, height: int = 800) -> int:
    """A replay server in this process and the replay window on it, until the window closes."""
    from agora.server.net.replay_server import ReplayServer

    with ReplayServer(db) as server:
        print(f"Replaying session {session_id} of {db} (replay server at {server.ws_url})", flush=True)
        # Imported here: arcade and pyglet take a while to load, and need a display.
        from agora.client.replay_connection import ReplayConnection
        from agora.client.replay_window import ReplayWindow

        connection = ReplayConnection(server.ws_url, session=session_id, token=server.admin_token)
        try:
            window = ReplayWindow(connection, session=session_id, width=width, height=height)
        except Exception as exc:  # pyglet's display errors share no base class beyond this
            print(f"agora replay: cannot open a window ({type(exc).__name__}: {exc}); --view needs a display "
                  "(on a server without one, use agora replay without --view, or agora export)", file=sys.stderr)
            return 2
        connection.start()
        try:
            window.run()
        finally:
            connection.close()
    return 0


def _replay(eventlog: EventLog, args: argparse.Namespace) -> int:
    sessions = eventlog.sessions()
    if not sessions:
        print(f"agora replay: {args.db} holds no session", file=sys.stderr)
        return 2
    session_id = args.session or sessions[-1]["id"]
    if args.session is None and len(sessions) > 1:
        print(f"{len(sessions)} sessions in {args.db} ({', '.join(s['id'] for s in sessions)}); "
              f"replaying the latest, {session_id} (choose with --session)")
    try:
        recorded = Recorded.load(eventlog, session_id)
    except (LookupError, WorldError, ValueError) as exc:
        print(f"agora replay: {exc}", file=sys.stderr)
        return 2
    to_tick = recorded.reached_tick if args.to is None else args.to
    if to_tick < 0:
        print("agora replay: --to must be a tick, 0 or more", file=sys.stderr)
        return 2
    if args.branch:
        return _branch(eventlog, recorded.id, to_tick)
    print(f"Session {recorded.id} (world {recorded.world.meta.name!r}, rules {recorded.rules.name!r}): "
          f"{len(recorded.players)} players, {len(recorded.orders)} orders, reached tick {recorded.reached_tick}"
          f"{'' if recorded.ended else ' (not ended)'}")
    live_s = recorded.tick_seconds or 1.0
    try:
        if args.verify:
            verified = verify(eventlog, recorded, to_tick)
            session, ticks, seconds, start = verified.session, verified.ticks, verified.seconds, 0
        else:
            rebuilt = rebuild(eventlog, recorded, to_tick)
            session, ticks, seconds, start = rebuilt.session, rebuilt.simulated, rebuilt.seconds, rebuilt.start_tick
            if rebuilt.note:
                print(f"({rebuilt.note})")
    except ReplayError as exc:
        print(f"agora replay: {exc}", file=sys.stderr)
        print(f"FAILED at tick {exc.tick}", file=sys.stderr)
        return 1
    origin = "tick 0" if not start else f"the snapshot at tick {start}"
    if ticks:
        rate = ticks / seconds if seconds > 0 else float("inf")
        print(f"Replayed {ticks} ticks from {origin} in {seconds:.2f} s: {rate:.0f} ticks/s, "
              f"{rate * live_s:.0f} times as fast as live ({live_s:g} s a tick)")
    else:
        print(f"Rebuilt tick {session.tick} from {origin} in {seconds:.2f} s")
    if args.verify:
        differs = verified.first_difference
        checks = verified.checks
        if differs is not None:
            agreed = [c.tick for c in checks if c.tick < differs.tick]
            since = agreed[-1] if agreed else 0
            print(f"FAILED at tick {differs.tick}: the snapshot's state hash {differs.recorded[:16]}... differs from "
                  f"the replay's {differs.replayed[:16]}...", file=sys.stderr)
            suspects = orders_between(recorded, since, differs.tick)
            print(f"  {'the last snapshot that agreed: tick ' + str(since) if agreed else 'no snapshot before agreed'}; "
                  f"orders since: {len(suspects)}", file=sys.stderr)
            for order in suspects[:MAX_LISTED]:
                print(f"    {describe(order)}", file=sys.stderr)
            return 1
        if checks:
            print(f"Verified {len(checks)} snapshots (ticks {checks[0].tick} to {checks[-1].tick}): every state hash equal")
        else:
            print("No snapshot up to that tick to verify against")
    print(f"Final state hash (tick {session.tick}): {session.state_hash()}")
    return 0


def _branch(eventlog: EventLog, session_id: str, tick: int) -> int:
    try:
        branched = branch(eventlog, session_id, tick)
    except (LookupError, ValueError) as exc:
        print(f"agora replay: {exc}", file=sys.stderr)
        return 1 if isinstance(exc, ReplayError) else 2
    print(f"Branched session {branched.session_id} from session {session_id} at tick {tick}; "
          f"agora serve --db {eventlog.path} resumes it\n"
          f"Join code: {branched.join_code}\n"
          f"  observers:  code {branched.observer_code}\n"
          f"  facilitator token: {branched.facilitator_token}")
    return 0
