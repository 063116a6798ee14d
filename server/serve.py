"""`agora serve`: load a world, open a session, serve it until interrupted.

    $ agora serve --world default --rules workshop --port 8000
    Agora 0.1.0: world 'default' (Velmstadt), rules 'workshop', session 3f9c2a1d, log ...
    Join code: K7QF2M
      players:    agora play --server ws://127.0.0.1:8000 --code K7QF2M --name YOUR-NAME
      observers:  code R4TW9Z
      facilitator token: ...
      admin token (POST /sessions): ...
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import sys
from pathlib import Path

import platformdirs
import uvicorn

from agora.server import __version__
from agora.server.net.app import create_app
from agora.server.net.previews import PreviewService
from agora.server.net.sessions import SessionRegistry
from agora.server.store.eventlog import EventLog
from agora.server.world.world import WorldError


def default_db_path() -> Path:
    return Path(platformdirs.user_data_dir("agora", appauthor=False)) / "agora.db"


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    serve = subparsers.add_parser("serve", help="serve a world: open a session and tick it")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    serve.add_argument("--world", default="default", help="a bundled world's name or a world folder")
    serve.add_argument("--db", type=Path, default=None, help=f"session database (default {default_db_path()})")
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


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    db = args.db or default_db_path()
    previews = PreviewService(args.preview_workers) if args.preview_workers != 0 else None
    registry = SessionRegistry(EventLog(db), previews, args.tick_seconds)
    print(f"Agora {__version__}: log {db}", flush=True)
    print("Warming up the simulation (the first run on a machine compiles the kernels)...", flush=True)
    try:
        created = registry.prepare(args.world, args.code, rules=args.rules, live_edits=not args.proposals_only)
    except (WorldError, ValueError) as exc:
        print(f"agora serve: {exc}", file=sys.stderr)
        if previews is not None:
            previews.close()
        return 2
    session = created.runner.session
    admin = args.admin_token or os.environ.get("AGORA_ADMIN_TOKEN") or secrets.token_urlsafe(18)
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"World {session.world.meta.name!r} ({session.world.meta.title}), rules {session.rules.name!r}, "
          f"session {session.id}\n"
          f"Join code: {session.code}\n"
          f"  players:    agora play --server ws://{host}:{args.port} --code {session.code} --name YOUR-NAME\n"
          f"  observers:  code {session.observer_code}\n"
          f"  facilitator token: {created.facilitator.token}\n"
          f"  admin token (POST /sessions): {admin}\n"
          f"  health:     http://{host}:{args.port}/healthz", flush=True)
    app = create_app(registry, admin_token=admin)
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning", ws="websockets-sansio")
    finally:
        if previews is not None:
            previews.close()
    return 0
