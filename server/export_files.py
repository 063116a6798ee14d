"""Export formats written to files, for `agora export` and for the facilitator over HTTP.

    written = write(gather(recorded), "geotiff", Path("rasters/"))     # the files written
    path = export_file(eventlog, "3f9c2a1d", "csv", Path(tmp))         # one file: a zip if several

Formats: geojson (the road network with its traffic), grid-geojson (the grid layers as one
polygon per cell), geotiff (one georeferenced raster per grid layer, or the one --layer
names), csv (indicators, proposals, votes, comments, chat) and html (the report).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from agora.server.export_grids import ExportError, grid_geojson, write_geotiff
from agora.server.exports import Exported, gather, network_geojson, write_csv
from agora.server.store.eventlog import EventLog
from agora.server.store.replays import Recorded

FORMATS = ("geojson", "grid-geojson", "geotiff", "csv", "html")
FOLDERS = ("csv", "geotiff")  # formats that write several files (a folder; a zip over HTTP)

__all__ = ["ExportError", "FORMATS", "FOLDERS", "default_name", "export_file", "write"]


def default_name(session_id: str, fmt: str, layer: str | None = None) -> str:
    if fmt == "geotiff":
        return f"{session_id}-{layer}.tif" if layer else f"{session_id}-rasters"
    return {"geojson": f"{session_id}.geojson", "grid-geojson": f"{session_id}-grid.geojson",
            "csv": f"{session_id}-csv", "html": f"{session_id}.html"}[fmt]


def write(exported: Exported, fmt: str, out: Path, layer: str | None = None) -> list[Path]:
    """Write one export at `out` (a folder for csv and for geotiff without a layer); the
    paths written. Raises ExportError for a layer the session does not have or a grid too
    large for polygons."""
    if fmt not in FORMATS:
        raise ExportError(f"there is no export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt == "csv":
        return write_csv(exported, out)
    if fmt == "geotiff":
        assert exported.frame is not None
        layers = exported.grids
        if layer is not None:
            layers = [g for g in exported.grids if g.name == layer]
            if not layers:
                known = ", ".join(g.name for g in exported.grids) or "none"
                raise ExportError(f"the session has no grid layer {layer!r}; it has: {known}")
            out.parent.mkdir(parents=True, exist_ok=True)
            write_geotiff(out, layers[0], exported.frame)
            return [out]
        if not layers:
            raise ExportError("the session's world publishes no grid layers to export")
        out.mkdir(parents=True, exist_ok=True)
        for grid in layers:
            write_geotiff(out / f"{grid.name}.tif", grid, exported.frame)
        return [out / f"{grid.name}.tif" for grid in layers]
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "geojson":
        text = json.dumps(network_geojson(exported), allow_nan=False)
    elif fmt == "grid-geojson":
        assert exported.frame is not None
        text = json.dumps(grid_geojson(exported.grids, exported.frame,
                                       {"session": exported.session_id, "world": exported.world_name,
                                        "tick": exported.reached_tick}), allow_nan=False)
    else:
        from agora.server.export_report import report_html  # matplotlib only for a report

        text = report_html(exported)
    out.write_text(text, encoding="utf-8")
    return [out]


def export_file(eventlog: EventLog, session_id: str, fmt: str, folder: Path, *, pseudonymise: bool = False,
                layer: str | None = None, tick: int | None = None) -> Path:
    """Replay and export one session into `folder` as a single file (several are zipped).
    Raises LookupError for an unknown session, ExportError or ReplayError (ValueErrors)."""
    recorded = Recorded.load(eventlog, session_id)
    exported = gather(recorded, pseudonymise=pseudonymise, to_tick=tick)
    out = folder / default_name(session_id, fmt, layer)
    written = write(exported, fmt, out, layer)
    if fmt not in FOLDERS or (fmt == "geotiff" and layer):
        return written[0]
    archive = folder / f"{out.name}.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        for path in written:
            zipped.write(path, f"{out.name}/{path.name}")
    return archive
