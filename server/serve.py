"""`agora serve`: resume the sessions of its database, or open one, and serve them until
stopped.

    $ agora serve --world default --rules workshop --port 8000
    Agora 0.1.0: log ...
    World 'default' (Velmstadt), rules 'workshop', session 3f9c2a1d
    Join code: K7QF2M
      players:    agora play --server ws://127.0.0.1:8000 --code K7QF2M --name YOUR-NAME
      observers:  code R4TW9Z
      facilitator token: ...
      facilitator: agora play --server ws://127.0.0.1:8000 --token ... --name facilitator
      admin token (POST /sessions): ...

Started again on the same --db after a crash or a stop, it resumes every session that had
not ended (its workshop finished) instead of opening a new one (--new-session opens one as
well), each at the tick it reached with every acknowledged command applied, the same codes
and tokens:

    Resumed session 3f9c2a1d at tick 812 (order 57) from the snapshot at tick 780 in 0.2 s, state hash 9c0f...

SIGTERM (or Ctrl+C) drains: every session finishes the tick under way, saves it, tells its
clients the server is stopping (an error `server_stopping`, then close code 1012), and the
server exits with 0. A second Ctrl+C stops at once.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import signal
import socket
import sys
from pathlib import Path
from types import FrameType

import platformdirs
import uvicorn

from agora.server import __version__
from agora.server.net.app import create_app
from agora.server.net.previews import PreviewService
from agora.server.net.sessions import Resumed, SessionRegistry, Unresumable
from agora.server.store.eventlog import EventLog, StoreError
from agora.server.world.world import WorldError

log = logging.getLogger("agora.serve")


def default_db_path() -> Path:
    return Path(platformdirs.user_data_dir("agora", appauthor=False)) / "agora.db"


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    serve = subparsers.add_parser("serve", help="serve a world: open a session and tick it")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    serve.add_argument("--world", default="default", help="a bundled world's name or a world folder")
    serve.add_argument("--db", type=Path, default=None,
                       help=f"session database; its sessions that had not ended resume (default {default_db_path()})")
    serve.add_argument("--new-session", action="store_true",
                       help="open a new session even if sessions of the database resume")
    serve.add_argument("--rules", default="workshop",
                       help="the rule set: a bundled one's name (workshop, demo) or a rule set file (default workshop)")
    serve.add_argument("--proposals-only", action="store_true",
                       help="players change the town only through adopted proposals, not by editing it directly")
    serve.add_argument("--tick-seconds", type=float, default=1.0, help="real seconds between ticks")
    serve.add_argument("--code", default=None, help="join code to use instead of a random one")
    serve.add_argument("--admin-token", default=None,
                       help="token for creating sessions over HTTP (default: $AGORA_ADMIN_TOKEN, else random)")
    serve.add_argument("--preview-workers", type=int, default=None,
                       help="processes that compute previews of draft proposals (default: cores - 1; 0: none)")
    serve.set_defaults(func=run)


class DrainingServer(uvicorn.Server):
    """uvicorn's server, but SIGTERM and a first Ctrl+C drain the sessions before it stops,
    and a drained stop exits with 0 (uvicorn re-raises the signal it caught)."""

    def __init__(self, config: uvicorn.Config, registry: SessionRegistry) -> None:
        super().__init__(config)
        self.registry = registry
        self._drain: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        await super().startup(sockets)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self._loop is None or self._drain is not None or sig not in (signal.SIGTERM, signal.SIGINT):
            super().handle_exit(sig, frame)  # not serving yet, or asked twice: stop now
            return
        # A signal handler runs between two bytecodes of the loop's thread: hand over to the loop.
        self._loop.call_soon_threadsafe(self._start_drain)

    def _start_drain(self) -> None:
        if self._drain is None:
            self._drain = asyncio.ensure_future(self._drain_then_exit())

    async def _drain_then_exit(self) -> None:
        try:
            await self.registry.drain()
            log.info("sessions drained")
        finally:
            self.should_exit = True


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    db = args.db or default_db_path()
    try:
        eventlog = EventLog(db)
    except StoreError as exc:
        print(f"agora serve: {exc}", file=sys.stderr)
        return 2
    previews = PreviewService(args.preview_workers) if args.preview_workers != 0 else None
    registry = SessionRegistry(eventlog, previews, args.tick_seconds)
    print(f"Agora {__version__}: log {db}", flush=True)
    print("Warming up the simulation (the first run on a machine compiles the kernels)...", flush=True)
    host = f"[{args.host}]" if ":" in args.host else args.host
    outcomes = registry.resume()
    for outcome in outcomes:
        if isinstance(outcome, Unresumable):
            print(f"Session {outcome.session_id} cannot be resumed: {outcome.reason}\n"
                  f"  (it stays in the database as it was; agora replay reads it)", flush=True)
        else:
            print_resumed(outcome, host, args.port)
    resumed = [outcome for outcome in outcomes if isinstance(outcome, Resumed)]
    if not resumed or args.new_session:
        try:
            created = registry.prepare(args.world, args.code, rules=args.rules, live_edits=not args.proposals_only)
        except (WorldError, ValueError) as exc:
            print(f"agora serve: {exc}", file=sys.stderr)
            if previews is not None:
                previews.close()
            return 2
        session = created.runner.session
        print(f"World {session.world.meta.name!r} ({session.world.meta.title}), rules {session.rules.name!r}, "
              f"session {session.id}\n"
              f"Join code: {session.code}\n"
              f"  players:    agora play --server ws://{host}:{args.port} --code {session.code} --name YOUR-NAME\n"
              f"  observers:  code {session.observer_code}\n"
              f"  facilitator token: {created.facilitator.token}\n"
              f"  facilitator: agora play --server ws://{host}:{args.port} --token {created.facilitator.token} "
              f"--name facilitator", flush=True)
    admin = args.admin_token or os.environ.get("AGORA_ADMIN_TOKEN") or secrets.token_urlsafe(18)
    print(f"  admin token (POST /sessions): {admin}\n"
          f"  health:     http://{host}:{args.port}/healthz", flush=True)
    app = create_app(registry, admin_token=admin)
    config = uvicorn.Config(app, host=args.host, port=args.port, log_level="warning", ws="websockets-sansio")
    try:
        DrainingServer(config, registry).run()
    finally:
        if previews is not None:
            previews.close()
        eventlog.close()
    return 0


def print_resumed(resumed: Resumed, host: str, port: int) -> None:
    rebuilt, session = resumed.rebuilt, resumed.runner.session
    start = f"from the snapshot at tick {rebuilt.start_tick}" if rebuilt.start_tick else "from tick 0"
    print(f"Resumed session {session.id} at tick {session.tick} (order {session.last_seq}) {start} "
          f"in {rebuilt.seconds:.2f} s, state hash {session.state_hash()}", flush=True)
    if rebuilt.note:
        print(f"  ({rebuilt.note})", flush=True)
    print(f"World {session.world.meta.name!r}, rules {session.rules.name!r}, phase "
          f"{session.game.clock.view().name or session.game.clock.state.value}, {len(session.roster)} players\n"
          f"Join code: {session.code}\n"
          f"  players:    agora play --server ws://{host}:{port} --code {session.code} --name YOUR-NAME "
          f"(or their token to rejoin)\n"
          f"  observers:  code {session.observer_code}\n"
          f"  facilitator token: {resumed.facilitator_token or '(not kept by the version that recorded it)'}",
          flush=True)
