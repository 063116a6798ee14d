"""The `agora` command: serve a world, play in it, replay a session, assign traffic, make worlds."""

from __future__ import annotations

import argparse
import os
import sys

from agora.server import __version__


def build_parser() -> argparse.ArgumentParser:
    from agora.client import app as client_app
    from agora.server import cli_assign, export, replay, serve, session_command
    from agora.server.world import generate, osm_import

    parser = argparse.ArgumentParser(prog="agora", description="Agora: participatory city planning, played together.")
    parser.add_argument("--version", action="version", version=f"agora {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve.add_parser(commands)
    client_app.add_parser(commands)
    replay.add_parser(commands)
    export.add_parser(commands)
    session_command.add_parser(commands)
    cli_assign.add_parser(commands)
    world = commands.add_parser("world", help="make and inspect worlds")
    world_commands = world.add_subparsers(dest="world_command", required=True, metavar="WORLD-COMMAND")
    generate.add_parser(world_commands)
    osm_import.add_parser(world_commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    # numba's parallel kernels run on OpenMP, whose idle threads spin by default: on cores
    # shared with other work (2 cores, load 3) a busy default-town tick took 50-60 ms instead
    # of 4 (tests/store's workshop replay, 130 ticks). Waiting passively costs nothing there.
    # It must be set before the first parallel kernel loads the OpenMP runtime.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
