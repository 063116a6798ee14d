"""A session's grid layers (noise, NO2, PM2.5, habitat, species, access) for GIS: as
georeferenced GeoTIFF rasters, one per layer, and as GeoJSON polygons, one per cell.

    layers = grid_layers(session.sim.board, frame)     # at the tick the session was replayed to
    write_geotiff(Path("noise_lden_dba.tif"), layers[0], frame)
    json.dumps(grid_geojson(layers, frame, properties={"session": "3f9c2a1d"}))

Where the grid lies. An imported world (`agora world import-osm`) knows its frame
(WorldMeta.geo, the importer's equirectangular projection): lon = west + x / kx and
lat = south + y / ky, which is affine, so its grid is exactly a grid of lon/lat degrees:
the GeoTIFF is in EPSG:4326 (WGS84) and the GeoJSON in RFC 7946 lon/lat. A synthetic world
(the default town, Velmstadt) is no real place: it is exported in its local frame, metres
east and north of its origin, with a user-defined projected CRS in metres named as such in
the GeoTIFF's citation key and in the GeoJSON's properties. Inventing an anchor on the
Earth would put made-up pollution on a real neighbourhood in a planner's GIS.

Rows: the world's grid has row 0 at the south edge; a raster has its first row at the
north, so rasters are written flipped and the tie point is the north-west corner.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from agora.server.net.layers import LAYER_SPECS
from agora.server.world.world import Geo

# Polygons beyond this many cells make a GeoJSON too large to open comfortably (the default
# town's 128 x 128 grid is 16,384 cells, about 6 MB); a larger world exports rasters.
MAX_GEOJSON_CELLS = 70_000
LOCAL_CITATION = ("Agora local frame: x metres east, y metres north of the world's origin; "
                  "a synthetic world, no real place, no EPSG code")
# GeoTIFF tags and keys (OGC GeoTIFF 1.1, 2019).
_PIXEL_SCALE, _TIEPOINT, _GEOKEYS, _GEO_ASCII, _GDAL_NODATA = 33550, 33922, 34735, 34737, 42113
_SHORT, _DOUBLE, _ASCII = 3, 12, 2
_MODEL_TYPE, _RASTER_TYPE, _CITATION = 1024, 1025, 1026
_GEOGRAPHIC_TYPE, _ANGULAR_UNITS, _PROJECTED_TYPE, _LINEAR_UNITS = 2048, 2054, 3072, 3076
_PROJECTED, _GEOGRAPHIC, _PIXEL_IS_AREA, _USER_DEFINED = 1, 2, 1, 32767
_WGS84, _DEGREE, _METRE = 4326, 9102, 9001


class ExportError(ValueError):
    """An export that cannot be made as asked, with what to ask instead."""


@dataclass(frozen=True)
class GridFrame:
    rows: int
    cols: int
    cell_m: float
    origin_x_m: float
    origin_y_m: float
    geo: Geo | None  # None: local metres only

    def corners(self) -> tuple[np.ndarray, np.ndarray]:
        """x, y of the cells' corners, [rows + 1, cols + 1], in the frame's units (lon/lat
        degrees with a geo reference, else metres)."""
        x = self.origin_x_m + np.arange(self.cols + 1) * self.cell_m
        y = self.origin_y_m + np.arange(self.rows + 1) * self.cell_m
        xs, ys = np.meshgrid(x, y)
        if self.geo is None:
            return xs, ys
        return self.geo.lonlat(xs, ys)


@dataclass(frozen=True)
class GridLayer:
    name: str  # noise_lden_dba, no2_ug_m3, ...
    label: str
    unit: str
    values: np.ndarray  # float64 [rows, cols], row 0 south; NaN where the model gives nothing


def grid_layers(board: Mapping[str, Any], frame: GridFrame) -> list[GridLayer]:
    """Every grid layer the session's modules published, in net/layers.py's order."""
    layers = []
    for spec in LAYER_SPECS:
        array = board.get(spec.board)
        if array is None or np.shape(array) != (frame.rows, frame.cols):
            continue
        layers.append(GridLayer(spec.name, spec.label, spec.unit, np.asarray(array, dtype=np.float64).copy()))
    return layers


def write_geotiff(path: Path, layer: GridLayer, frame: GridFrame) -> None:
    """One float32 band, north-up, tiled as the world's grid, with GeoKeys (see the module)."""
    import tifffile

    west, north = frame.origin_x_m, frame.origin_y_m + frame.rows * frame.cell_m
    scale_x = scale_y = frame.cell_m
    if frame.geo is not None:
        lon, lat = frame.geo.lonlat(np.array([west]), np.array([north]))
        west, north = float(lon[0]), float(lat[0])
        scale_x, scale_y = frame.cell_m / frame.geo.kx_m_per_deg, frame.cell_m / frame.geo.ky_m_per_deg
        citation = "WGS 84 (equirectangular frame of agora world import-osm)|"
        keys = [(_MODEL_TYPE, 0, 1, _GEOGRAPHIC), (_RASTER_TYPE, 0, 1, _PIXEL_IS_AREA),
                (_CITATION, _GEO_ASCII, len(citation), 0), (_GEOGRAPHIC_TYPE, 0, 1, _WGS84),
                (_ANGULAR_UNITS, 0, 1, _DEGREE)]
    else:
        citation = LOCAL_CITATION + "|"
        keys = [(_MODEL_TYPE, 0, 1, _PROJECTED), (_RASTER_TYPE, 0, 1, _PIXEL_IS_AREA),
                (_CITATION, _GEO_ASCII, len(citation), 0), (_PROJECTED_TYPE, 0, 1, _USER_DEFINED),
                (_LINEAR_UNITS, 0, 1, _METRE)]
    directory = [1, 1, 0, len(keys)] + [v for key in sorted(keys) for v in key]
    data = np.flipud(layer.values).astype(np.float32)
    tifffile.imwrite(
        path, data, photometric="minisblack", compression="zlib", metadata=None,
        # TIFF text is 7-bit ASCII.
        description=f"{layer.label} ({layer.unit})".replace("µ", "u").replace("³", "3"),
        extratags=[
            (_PIXEL_SCALE, _DOUBLE, 3, (scale_x, scale_y, 0.0), True),
            (_TIEPOINT, _DOUBLE, 6, (0.0, 0.0, 0.0, west, north, 0.0), True),
            (_GEOKEYS, _SHORT, len(directory), directory, True),
            (_GEO_ASCII, _ASCII, 0, citation, True),
            (_GDAL_NODATA, _ASCII, 0, "nan", True),
        ],
    )


def grid_geojson(layers: list[GridLayer], frame: GridFrame, properties: Mapping[str, Any]) -> dict[str, Any]:
    """One Polygon per cell with every layer's value (null where NaN), row and column."""
    cells = frame.rows * frame.cols
    if cells > MAX_GEOJSON_CELLS:
        raise ExportError(f"the grid has {cells:,} cells ({frame.rows} x {frame.cols}), too many for GeoJSON "
                          f"polygons (at most {MAX_GEOJSON_CELLS:,}); export it as GeoTIFF rasters (--format geotiff)")
    xs, ys = frame.corners()
    digits = 7 if frame.geo is not None else 2
    xs, ys = xs.round(digits), ys.round(digits)
    values = [(layer.name, np.where(np.isfinite(layer.values), layer.values.round(4), np.nan)) for layer in layers]
    features = []
    for r in range(frame.rows):
        for c in range(frame.cols):
            ring = [[xs[r, c], ys[r, c]], [xs[r, c + 1], ys[r, c + 1]], [xs[r + 1, c + 1], ys[r + 1, c + 1]],
                    [xs[r + 1, c], ys[r + 1, c]], [xs[r, c], ys[r, c]]]
            props: dict[str, Any] = {"row": r, "col": c}
            for name, array in values:
                value = float(array[r, c])
                props[name] = value if np.isfinite(value) else None
            features.append({"type": "Feature", "id": r * frame.cols + c,
                             "geometry": {"type": "Polygon", "coordinates": [[[float(a), float(b)] for a, b in ring]]},
                             "properties": props})
    return {
        "type": "FeatureCollection",
        "properties": {**properties, "frame": frame_note(frame), "cell_m": frame.cell_m,
                       "units": {layer.name: f"{layer.label}, {layer.unit}" for layer in layers}},
        "features": features,
    }


def frame_note(frame: GridFrame) -> str:
    if frame.geo is not None:
        return "WGS84 longitude/latitude in degrees (RFC 7946)"
    return "local: " + LOCAL_CITATION.removeprefix("Agora local frame: ")
