"""`agora play`: join a session and open the map window.

    agora play --server ws://127.0.0.1:8000 --code K7QF2M --name ada
    agora play --token FACILITATOR-TOKEN --name fran      # run the session (Facilitate tab)
"""

from __future__ import annotations

import argparse
import sys

from agora.client.connection import Connection, websocket_url


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "play",
        help="join a session and open the map window",
        description="Join a running session with its join code and a pseudonym, and play in a window.",
    )
    parser.add_argument("--server", default="ws://127.0.0.1:8000", help="server address (default: %(default)s)")
    joining = parser.add_mutually_exclusive_group(required=True)
    joining.add_argument("--code", help="the session's join code, from the facilitator")
    joining.add_argument("--token", help="a token instead of a code: the facilitator token `agora serve` prints, "
                         "or your own to rejoin as yourself")
    parser.add_argument("--name", required=True, help="your pseudonym in the session")
    parser.add_argument("--width", type=int, default=1280, help="window width in pixels (default: %(default)s)")
    parser.add_argument("--height", type=int, default=800, help="window height in pixels (default: %(default)s)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        websocket_url(args.server)
    except ValueError as exc:
        print(f"agora play: {exc}", file=sys.stderr)
        return 2
    # Imported here because arcade and pyglet take a while to load, and every other
    # `agora` subcommand imports this module to register `play`.
    from agora.client.window import PlayWindow

    connection = Connection(args.server, code=args.code or "", name=args.name, token=args.token)
    window = PlayWindow(connection, name=args.name, code=args.code or "(token)", width=args.width, height=args.height)
    connection.start()
    try:
        window.run()
    finally:
        connection.close()
    return 0
