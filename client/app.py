"""`agora play`: the lobby, then the map window.

    agora play                                      # the lobby: address, code, pseudonym, persona
    agora play --server ws://192.168.1.20:8000      # the lobby, the address filled in
    agora play --server ws://127.0.0.1:8000 --code K7QF2M --name ada   # straight in (scripts, tests)
    agora play --token FACILITATOR-TOKEN --name fran      # run the session (Facilitate tab)

Either way the link rejoins the session by itself after a drop (client/reconnect.py).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from agora.client.connection import websocket_url
from agora.client.reconnect import SessionLink
from agora.server import protocol as p

if TYPE_CHECKING:
    from agora.client.lobby import Joined
    from agora.client.window import PlayWindow


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "play",
        help="join a session and open the map window",
        description="Join a running session and play in a window. Without --code and --name a lobby asks "
                    "for the server address, the join code, a pseudonym and a point of view.",
    )
    parser.add_argument("--server", default="ws://127.0.0.1:8000", help="server address (default: %(default)s)")
    joining = parser.add_mutually_exclusive_group()
    joining.add_argument("--code", default=None, help="the session's join code, from the facilitator")
    joining.add_argument("--token", default=None, help="a token instead of a code: the facilitator token `agora serve` "
                         "prints, or your own to rejoin as yourself")
    parser.add_argument("--name", default=None, help="your pseudonym in the session")
    parser.add_argument("--width", type=int, default=1280, help="window width in pixels (default: %(default)s)")
    parser.add_argument("--height", type=int, default=800, help="window height in pixels (default: %(default)s)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        websocket_url(args.server)
    except ValueError as exc:
        print(f"agora play: {exc}", file=sys.stderr)
        return 2
    if (args.code or args.token) and args.name:
        link = SessionLink(args.server, code=args.code or "", name=args.name, token=args.token)
        window = map_window(link, args.name, args.code or "(token)", None, args.width, args.height)
        link.start()
    else:
        joined = lobby(args)
        if joined is None:
            return 0
        window = map_window(joined.link, joined.name, joined.code, joined.persona, args.width, args.height)
        link = joined.link
    try:
        window.run()
    finally:
        link.close()
    return 0


def lobby(args: argparse.Namespace) -> Joined | None:
    """Run the lobby until the server welcomes the player (None: the player quit)."""
    # Imported here because arcade and pyglet take a while to load, and every other
    # `agora` subcommand imports this module to register `play`.
    import pyglet

    from agora.client.lobby import LobbyWindow

    window = LobbyWindow(args.server, args.code or "", args.name or "", width=args.width, height=args.height)
    # Closed from the event loop once the frame that saw the Welcome is over; the loop then ends.
    window.on_joined = lambda joined: pyglet.clock.schedule_once(lambda dt: window.close(), 0)
    window.run()
    return window.joined


def map_window(link: SessionLink, name: str, code: str, persona: p.PersonaInfo | None, width: int,
               height: int) -> PlayWindow:
    """The map window on a link (started or about to be), looking through the persona chosen."""
    from agora.client.window import PlayWindow

    # Shown once built: after the lobby's event loop pyglet hands a new window its first
    # resize at once, from inside arcade's constructor, before PlayWindow has its fields.
    window = PlayWindow(link, name=name, code=code, width=width, height=height, visible=False)
    window.preview_panel.persona = persona.name if persona is not None else None
    window.set_visible(True)
    return window
