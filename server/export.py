"""`agora export`: a recorded session as GeoJSON, CSV or an HTML report.

    $ agora export agora.db --session 3f9c2a1d --format html --out workshop.html --pseudonymise
    Session 3f9c2a1d: replayed 812 ticks in 1.9 s
    Wrote workshop.html

--format geojson: the road network with each link's flow, speed, capacity, emissions and
closure at the last tick (default out: <session>.geojson). --format csv: a folder (default
<session>-csv/) of indicators.csv (a row per tick; columns: tick, clock_hour, then the
traffic and emission indicators, then every other indicator by name), proposals.csv,
votes.csv and comments.csv. --format html: one self-contained report (default
<session>.html). --pseudonymise replaces every player's name by a stable hash; no export
ever holds a reconnect token.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from agora.server.replay import open_database
from agora.server.session.session import ReplayError
from agora.server.store.replays import Recorded
from agora.server.world.world import WorldError

FORMATS = ("geojson", "csv", "html")


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    export = subparsers.add_parser("export", help="export a recorded session as GeoJSON, CSV or an HTML report")
    export.add_argument("db", type=Path, help="the session database (agora serve --db)")
    export.add_argument("--session", default=None, help="the session's id (default: the latest of the database)")
    export.add_argument("--format", required=True, choices=FORMATS)
    export.add_argument("--out", type=Path, default=None,
                        help="the file to write (for csv: a folder); default: named for the session, here")
    export.add_argument("--pseudonymise", action="store_true", help="replace every player's name by a stable hash")
    export.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    eventlog = open_database(args.db, "agora export")
    if eventlog is None:
        return 2
    try:
        sessions = eventlog.sessions()
        if not sessions:
            print(f"agora export: {args.db} holds no session", file=sys.stderr)
            return 2
        session_id = args.session or sessions[-1]["id"]
        recorded = Recorded.load(eventlog, session_id)
    except (LookupError, WorldError, ValueError) as exc:
        print(f"agora export: {exc}", file=sys.stderr)
        return 2
    finally:
        eventlog.close()
    return _export(recorded, args)


def _export(recorded: Recorded, args: argparse.Namespace) -> int:
    # matplotlib is loaded only for a report.
    from agora.server.exports import gather, network_geojson, write_csv

    started = time.perf_counter()
    try:
        exported = gather(recorded, pseudonymise=args.pseudonymise)
    except ReplayError as exc:
        print(f"agora export: {exc}", file=sys.stderr)
        return 1
    print(f"Session {recorded.id}: replayed {exported.reached_tick} ticks in {time.perf_counter() - started:.1f} s")
    default = {"geojson": f"{recorded.id}.geojson", "csv": f"{recorded.id}-csv", "html": f"{recorded.id}.html"}
    out: Path = args.out or Path(default[args.format])
    if args.format != "csv":
        out.parent.mkdir(parents=True, exist_ok=True)
    if args.format == "geojson":
        out.write_text(json.dumps(network_geojson(exported), allow_nan=False), encoding="utf-8")
        written = [out]
    elif args.format == "csv":
        written = write_csv(exported, out)
    else:
        from agora.server.export_report import report_html

        out.write_text(report_html(exported), encoding="utf-8")
        written = [out]
    for path in written:
        print(f"Wrote {path}")
    return 0
