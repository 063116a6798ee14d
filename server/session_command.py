"""`agora session`: look after the sessions of a database while no server runs it.

    $ agora session end agora.db --session 3f9c2a1d
    Session 3f9c2a1d ended at tick 812 (order 58): agora serve no longer resumes it; agora replay still reads it

A live session is ended by its facilitator, or by the server's admin with
`POST /sessions/{id}/end`; this is for a file no server has open.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from agora.server.replay import open_database
from agora.server.store.endings import end_offline


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    session = subparsers.add_parser("session", help="look after the sessions of a database (no server running)")
    commands = session.add_subparsers(dest="session_command", required=True, metavar="SESSION-COMMAND")
    end = commands.add_parser("end", help="end a session: agora serve no longer resumes it")
    end.add_argument("db", type=Path, help="the session database (agora serve --db)")
    end.add_argument("--session", required=True, help="the session's id (agora replay lists them)")
    end.set_defaults(func=run_end)


def run_end(args: argparse.Namespace) -> int:
    eventlog = open_database(args.db, "agora session end")
    if eventlog is None:
        return 2
    try:
        ended = end_offline(eventlog, args.session)
    except LookupError as exc:
        print(f"agora session end: {exc}", file=sys.stderr)
        return 2
    finally:
        eventlog.close()
    if ended.seq is None:
        print(f"Session {ended.session_id} had ended already ({ended.ended_at}); nothing changed")
    else:
        print(f"Session {ended.session_id} ended at tick {ended.tick} (order {ended.seq}): agora serve no longer "
              "resumes it; agora replay still reads it")
    return 0
