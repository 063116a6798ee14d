"""Grid layers exported for GIS: GeoTIFF rasters that read back with their GeoKeys, pixel
scale and values; GeoJSON polygons that carry the layers' values; true WGS84 lon/lat for a
world with a geographic reference, local metres (said so) for the synthetic town."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import tifffile

from agora.server.cli import main
from agora.server.export_grids import MAX_GEOJSON_CELLS, ExportError, GridFrame, GridLayer, grid_geojson
from agora.server.exports import gather
from agora.server.store.eventlog import EventLog
from agora.server.store.replays import Recorded
from agora.server.world.osm_read import Projection
from agora.server.world.world import Geo, World, resolve_world

from tests.store.recording import record_workshop

# Helsinki centre's frame (worlds/helsinki-centre: metres east and north of this corner).
HELSINKI = Projection(24.9351837, 60.1641551, 60.1716)


def recorded_db(path: Path, geo: Geo | None) -> Path:
    world = World.load(resolve_world("default"))
    world.meta.geo = geo
    log = EventLog(path)
    record_workshop(log, world, every=50, ticks=80)
    log.close()
    return path


@pytest.fixture(scope="module")
def local_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return recorded_db(tmp_path_factory.mktemp("grids") / "agora.db", None)


@pytest.fixture(scope="module")
def geo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    geo = Geo(HELSINKI.west, HELSINKI.south, HELSINKI.lat0, *HELSINKI.metres_per_degree)
    return recorded_db(tmp_path_factory.mktemp("geo") / "agora.db", geo)


def layers_at(db: Path, tick: int | None = None) -> dict[str, np.ndarray]:
    log = EventLog(db)
    exported = gather(Recorded.load(log, "w1"), to_tick=tick)
    log.close()
    return {g.name: g.values for g in exported.grids}


def test_geotiffs_of_the_synthetic_town_read_back_in_local_metres(local_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "rasters"
    assert main(["export", str(local_db), "--session", "w1", "--format", "geotiff", "--out", str(out)]) == 0
    expected = layers_at(local_db)
    assert {"noise_lden_dba", "no2_ug_m3", "pm25_ug_m3", "habitat_quality", "species_per_ha",
            "access_walk_needs"} <= set(expected)
    assert sorted(p.stem for p in out.iterdir()) == sorted(expected)
    with tifffile.TiffFile(out / "noise_lden_dba.tif") as tif:
        keys = tif.geotiff_metadata
        raster = tif.asarray()
    assert keys is not None
    assert keys["GTModelTypeGeoKey"] == 1 and keys["ProjectedCSTypeGeoKey"] == 32767  # projected, user-defined
    assert keys["ProjLinearUnitsGeoKey"] == 9001 and "local frame" in keys["GTCitationGeoKey"]
    assert keys["ModelPixelScale"] == [25.0, 25.0, 0.0]
    assert keys["ModelTiepoint"] == [0.0, 0.0, 0.0, 0.0, 3200.0, 0.0]  # the north-west corner
    noise = expected["noise_lden_dba"]
    assert raster.shape == noise.shape == (128, 128) and raster.dtype == np.float32
    # The loudest cell: the raster's first row is the north edge, the grid's the south.
    r, c = np.unravel_index(np.nanargmax(noise), noise.shape)
    assert raster[127 - r, c] == np.float32(noise[r, c]) and noise[r, c] > 55
    np.testing.assert_array_equal(np.flipud(raster), noise.astype(np.float32))


def test_a_world_with_a_geographic_reference_exports_wgs84(geo_db: Path, tmp_path: Path) -> None:
    tif_path = tmp_path / "no2.tif"
    assert main(["export", str(geo_db), "--session", "w1", "--format", "geotiff", "--layer", "no2_ug_m3",
                 "--out", str(tif_path)]) == 0
    kx, ky = HELSINKI.metres_per_degree
    with tifffile.TiffFile(tif_path) as tif:
        keys = tif.geotiff_metadata
        raster = tif.asarray()
    assert keys is not None and keys["GTModelTypeGeoKey"] == 2 and keys["GeographicTypeGeoKey"] == 4326
    scale = keys["ModelPixelScale"]
    assert scale[0] == pytest.approx(25.0 / kx, rel=1e-12) and scale[1] == pytest.approx(25.0 / ky, rel=1e-12)
    tie = keys["ModelTiepoint"]
    assert tie[3] == pytest.approx(HELSINKI.west, abs=1e-12) and tie[4] == pytest.approx(HELSINKI.south + 3200 / ky)
    no2 = layers_at(geo_db)["no2_ug_m3"]
    np.testing.assert_array_equal(np.flipud(raster), no2.astype(np.float32))

    # The network: lon/lat that the importer's projection sends back to the link's metres.
    network = tmp_path / "w1.geojson"
    assert main(["export", str(geo_db), "--session", "w1", "--format", "geojson", "--out", str(network)]) == 0
    data = json.loads(network.read_text(encoding="utf-8"))
    assert "WGS84" in data["properties"]["frame"]
    world = World.load(resolve_world("default"))
    n = world.network
    for feature in data["features"][:50]:
        link = feature["properties"]["link"]
        (lon0, lat0), (lon1, lat1) = feature["geometry"]["coordinates"]
        assert 24.93 < lon0 < 25.0 and 60.16 < lat0 < 60.2
        x, y = HELSINKI(np.array([lon0, lon1]), np.array([lat0, lat1]))
        a, b = n.link_from[link], n.link_to[link]
        assert np.allclose(x, [n.node_x_m[a], n.node_x_m[b]], atol=0.01)
        assert np.allclose(y, [n.node_y_m[a], n.node_y_m[b]], atol=0.01)


def test_grid_polygons_parse_and_carry_every_layers_value(local_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "grid.geojson"
    assert main(["export", str(local_db), "--session", "w1", "--format", "grid-geojson", "--out", str(out),
                 "--tick", "40"]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection" and len(data["features"]) == 128 * 128
    assert data["properties"]["tick"] == 40 and data["properties"]["frame"].startswith("local")
    expected = layers_at(local_db, tick=40)
    r, c = 64, 70
    feature = data["features"][r * 128 + c]
    ring = feature["geometry"]["coordinates"][0]
    assert feature["geometry"]["type"] == "Polygon" and ring[0] == ring[-1] and len(ring) == 5
    assert ring[0] == [c * 25.0, r * 25.0] and ring[2] == [(c + 1) * 25.0, (r + 1) * 25.0]
    for name, values in expected.items():
        assert feature["properties"][name] == pytest.approx(values[r, c], abs=1e-4), name
    assert expected["noise_lden_dba"][r, c] > 0


def test_a_grid_too_large_for_polygons_is_refused_with_what_to_do() -> None:
    side = int(MAX_GEOJSON_CELLS ** 0.5) + 1
    frame = GridFrame(side, side, 10.0, 0.0, 0.0, None)
    layer = GridLayer("noise_lden_dba", "Road noise", "dB(A)", np.zeros((side, side)))
    with pytest.raises(ExportError, match="too many for GeoJSON.*--format geotiff"):
        grid_geojson([layer], frame, {})
