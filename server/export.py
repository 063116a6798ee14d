"""`agora export`: a recorded session as GeoJSON, CSV, GeoTIFF rasters or an HTML report.

    $ agora export agora.db --session 3f9c2a1d --format html --out workshop.html --pseudonymise
    Session 3f9c2a1d: replayed 812 ticks in 1.9 s
    Wrote workshop.html

--format geojson: the road network with each link's flow, speed, capacity, emissions and
closure (default out: <session>.geojson). --format grid-geojson: the grid layers (noise,
NO2, PM2.5, habitat, species, access) as one polygon per cell (<session>-grid.geojson).
--format geotiff: each grid layer as a georeferenced raster that QGIS places (a folder
<session>-rasters/, or one file with --layer NAME). Imported worlds are exported in WGS84
lon/lat; the synthetic default town, no real place, in local metres (export_grids.py).
--format csv: a folder (default <session>-csv/) of indicators.csv (a row per tick;
columns: tick, clock_hour, then the traffic and emission indicators, then every other
indicator by name), proposals.csv, votes.csv, comments.csv and chat.csv. --format html:
one self-contained report with maps of the baseline, each proposal and the adopted plan
(default <session>.html). Network and grids are as at the last tick, or at --tick N (the
session replayed to it). --pseudonymise replaces every player's name by a stable hash; no
export ever holds a reconnect token.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from agora.server.export_files import FORMATS, ExportError, default_name, write
from agora.server.replay import open_database
from agora.server.session.session import ReplayError
from agora.server.store.replays import Recorded
from agora.server.world.world import WorldError


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    export = subparsers.add_parser("export", help="export a recorded session as GeoJSON, CSV, GeoTIFF or an HTML report")
    export.add_argument("db", type=Path, help="the session database (agora serve --db)")
    export.add_argument("--session", default=None, help="the session's id (default: the latest of the database)")
    export.add_argument("--format", required=True, choices=FORMATS)
    export.add_argument("--out", type=Path, default=None,
                        help="the file to write (for csv and geotiff: a folder); default: named for the session, here")
    export.add_argument("--tick", type=int, default=None, metavar="N",
                        help="the network and grid layers as at this tick (default: the last the session reached)")
    export.add_argument("--layer", default=None, help="geotiff: only this grid layer (e.g. noise_lden_dba), one file")
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
    if args.tick is not None and not 0 <= args.tick <= recorded.reached_tick:
        print(f"agora export: --tick must lie between 0 and {recorded.reached_tick}, the tick the session reached",
              file=sys.stderr)
        return 2
    return _export(recorded, args)


def _export(recorded: Recorded, args: argparse.Namespace) -> int:
    from agora.server.exports import gather

    started = time.perf_counter()
    try:
        exported = gather(recorded, pseudonymise=args.pseudonymise, to_tick=args.tick)
    except ReplayError as exc:
        print(f"agora export: {exc}", file=sys.stderr)
        return 1
    print(f"Session {recorded.id}: replayed {exported.reached_tick} ticks in {time.perf_counter() - started:.1f} s")
    out: Path = args.out or Path(default_name(recorded.id, args.format, args.layer))
    try:
        written = write(exported, args.format, out, args.layer)
    except ExportError as exc:
        print(f"agora export: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"Wrote {path}")
    return 0
