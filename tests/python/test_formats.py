"""The three layer formats read by the Python GIS stack.

GeoJSON and FlatGeobuf are read by GDAL (pyogrio), GeoParquet by pyarrow
(geopandas.read_parquet) and, when this GDAL has the Parquet driver, by GDAL
too. Every format of a layer must give the same columns, dtypes, values,
geometries and a WGS-84 longitude/latitude CRS.

The files come from the Rust test `formats::write_files_for_python`: given
$LIFECIRCLE_FORMATS_DIR (already filled) they are read from there, otherwise
this test runs

    cargo test --test tests formats::write_files_for_python -- --ignored --exact

with LIFECIRCLE_FORMATS_DIR set to a temporary folder. Set-up and run:

    python3 -m venv /tmp/lc-formats-venv
    /tmp/lc-formats-venv/bin/pip install geopandas pyarrow pyogrio pytest shapely
    /tmp/lc-formats-venv/bin/pytest -q tests/python/test_formats.py
"""

import json
import math
import os
import shutil
import subprocess
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pyogrio
import pytest
import shapely
from pyproj import CRS

ROOT = Path(__file__).resolve().parents[2]
STEMS = ["mixed_points", "mixed_polygons", "empty_points", "coverage", "facilities"]
GDAL_HAS_PARQUET = "Parquet" in pyogrio.list_drivers()


@pytest.fixture(scope="session")
def folder(tmp_path_factory):
    given = os.environ.get("LIFECIRCLE_FORMATS_DIR")
    if given and all((Path(given) / f"{s}.geojson").exists() for s in STEMS):
        return Path(given)
    out = Path(given) if given else tmp_path_factory.mktemp("formats")
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, LIFECIRCLE_FORMATS_DIR=str(out))
    subprocess.run(
        ["cargo", "test", "--quiet", "--test", "tests", "formats::write_files_for_python", "--", "--ignored", "--exact"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    return out


def sort_key(df):
    """Rows in a reader-independent order (FlatGeobuf stores them in Hilbert order)."""
    cat = df["category"].astype(str) if "category" in df.columns else ""
    wkb = shapely.to_wkb(df.geometry.values, hex=True)
    return df["id"].astype(str) + "|" + cat + "|" + wkb


def ordered(df):
    if len(df) == 0:
        return df
    return df.assign(_key=sort_key(df)).sort_values("_key", kind="stable").drop(columns="_key").reset_index(drop=True)


def read_all(folder, stem):
    """The layer by every reader, rows in one order, without the bbox covering column."""
    frames = {
        "geojson": gpd.read_file(folder / f"{stem}.geojson", engine="pyogrio"),
        "parquet": gpd.read_parquet(folder / f"{stem}.parquet"),
        "fgb": gpd.read_file(folder / f"{stem}.fgb", engine="pyogrio"),
    }
    if GDAL_HAS_PARQUET:
        frames["parquet-gdal"] = gpd.read_file(folder / f"{stem}.parquet", engine="pyogrio")
    for name in list(frames):
        df = frames[name]
        if "bbox" in df.columns:
            df = df.drop(columns="bbox")
        frames[name] = ordered(df)
    return frames


def arrow_tables(folder, stem):
    """Exact values (64-bit integers, nulls) as Arrow tables, rows in one order."""
    tables = {
        "geojson": pyogrio.read_arrow(folder / f"{stem}.geojson")[1],
        "fgb": pyogrio.read_arrow(folder / f"{stem}.fgb")[1],
        "parquet": pq.read_table(folder / f"{stem}.parquet"),
    }
    out = {}
    for name, t in tables.items():
        geom_col = "geometry" if "geometry" in t.column_names else "wkb_geometry"
        geoms = shapely.from_wkb(t.column(geom_col).to_numpy(zero_copy_only=False))
        ids = [str(v) for v in t.column("id").to_pylist()] if "id" in t.column_names else [""] * t.num_rows
        cats = [str(v) for v in t.column("category").to_pylist()] if "category" in t.column_names else [""] * t.num_rows
        wkb = shapely.to_wkb(geoms, hex=True) if t.num_rows else []
        order = sorted(range(t.num_rows), key=lambda i: f"{ids[i]}|{cats[i]}|{wkb[i]}")
        out[name] = (t.take(pa.array(order, type=pa.int64())) if t.num_rows else t, geom_col)
    return out


def parquet_schema(folder, stem):
    return pq.read_schema(folder / f"{stem}.parquet")


def expected_kinds(field, has_nulls):
    """The pandas dtype kinds a column of this Arrow type may read as."""
    t = field.type
    if pa.types.is_string(t):
        return {"O"}
    if pa.types.is_floating(t):
        return {"f"}
    if pa.types.is_integer(t):
        # pandas has no null in a plain integer column: nulls make it float.
        return {"f"} if has_nulls else {"i", "u"}
    if pa.types.is_boolean(t):
        # With nulls: float (GDAL: 1.0 / 0.0 / NaN) or object (pyarrow: True / False / None).
        return {"f", "O"} if has_nulls else {"b"}
    raise AssertionError(f"unexpected column type {t}")


@pytest.mark.parametrize("stem", STEMS)
def test_same_columns_dtypes_values_and_geometries(folder, stem):
    frames = read_all(folder, stem)
    schema = parquet_schema(folder, stem)
    attrs = [f for f in schema if f.name not in ("geometry", "bbox")]
    names = [f.name for f in attrs]
    n = pq.read_metadata(folder / f"{stem}.parquet").num_rows
    for name, df in frames.items():
        assert len(df) == n, name
        if name == "geojson" and n == 0:
            continue  # GeoJSON has no schema: a layer without features has no columns
        assert list(df.columns) == names + ["geometry"], name

    base = frames["parquet"]
    for f in attrs:
        has_nulls = bool(base[f.name].isna().any())
        for name, df in frames.items():
            if name == "geojson" and n == 0:
                continue
            kinds = expected_kinds(f, has_nulls)
            if name == "geojson" and n > 0 and df[f.name].isna().all():
                kinds = kinds | {"O"}  # GeoJSON has no schema: GDAL reads a column of nulls as text
            assert df[f.name].dtype.kind in kinds, (name, f.name, df[f.name].dtype, kinds)
            # Values: the same, nulls in the same rows (as pandas gives them).
            a, b = base[f.name], df[f.name]
            assert list(a.isna()) == list(b.isna()), (name, f.name)
            for x, y in zip(a[a.notna()], b[b.notna()]):
                if isinstance(x, float) or isinstance(y, float):
                    assert float(x) == float(y), (name, f.name, x, y)
                else:
                    assert x == y, (name, f.name, x, y)

    for name, df in frames.items():
        geoms = df.geometry.values
        assert shapely.is_valid(geoms).all(), name
        for g0, g1 in zip(base.geometry.values, geoms):
            assert g0.geom_type == g1.geom_type, name
            assert g0.is_empty == g1.is_empty, name
            if g0.is_empty:
                # FlatGeobuf cannot hold a multipolygon of no part: GDAL reads MULTIPOLYGON (EMPTY).
                continue
            assert shapely.equals_exact(g0, g1, tolerance=0), name
            assert np.array_equal(shapely.get_coordinates(g0), shapely.get_coordinates(g1)), name


@pytest.mark.parametrize("stem", STEMS)
def test_exact_values_by_arrow(folder, stem):
    """Integers up to 2^63 - 1, floats bit for bit, text, nulls: no pandas conversion in the way."""
    tables = arrow_tables(folder, stem)
    base, base_geom = tables["parquet"]
    names = [c for c in base.column_names if c not in ("geometry", "bbox")]
    for name, (t, geom_col) in tables.items():
        assert t.num_rows == base.num_rows, name
        if name == "geojson" and t.num_rows == 0:
            continue
        assert [c for c in t.column_names if c not in (geom_col, "bbox")] == names, name
        for c in names:
            got, want = t.column(c).to_pylist(), base.column(c).to_pylist()
            if name == "geojson" and all(v is None for v in want):
                assert all(v is None for v in got), (name, c)
                continue
            assert got == want, (name, c)
        g0 = shapely.from_wkb(base.column(base_geom).to_numpy(zero_copy_only=False))
        g1 = shapely.from_wkb(t.column(geom_col).to_numpy(zero_copy_only=False))
        for a, b in zip(g0, g1):
            assert np.array_equal(shapely.get_coordinates(a), shapely.get_coordinates(b)), name


@pytest.mark.parametrize("stem", STEMS)
def test_crs_is_wgs84_longitude_latitude(folder, stem):
    wgs84 = CRS("EPSG:4326")
    crs84 = CRS("OGC:CRS84")
    frames = read_all(folder, stem)
    assert frames["parquet"].crs == crs84
    assert frames["fgb"].crs == wgs84
    assert frames["geojson"].crs == wgs84
    for name, df in frames.items():
        assert df.crs.equals(crs84, ignore_axis_order=True), name


@pytest.mark.parametrize("stem", STEMS)
def test_geoparquet_metadata_bbox_and_row_groups(folder, stem):
    path = folder / f"{stem}.parquet"
    meta = pq.read_metadata(path)
    geo = json.loads(meta.metadata[b"geo"])
    assert geo["version"] == "1.1.0"
    assert geo["primary_column"] == "geometry"
    col = geo["columns"]["geometry"]
    assert col["encoding"] == "WKB"
    assert CRS.from_json_dict(col["crs"]) == CRS("OGC:CRS84")
    assert col["covering"] == {"bbox": {k: ["bbox", k] for k in ("xmin", "ymin", "xmax", "ymax")}}
    for rg in range(meta.num_row_groups):
        for c in range(meta.num_columns):
            assert meta.row_group(rg).column(c).compression == "ZSTD"
    assert all(meta.row_group(i).num_rows <= 65536 for i in range(meta.num_row_groups))

    t = pq.read_table(path)
    geoms = shapely.from_wkb(t.column("geometry").to_numpy(zero_copy_only=False))
    kinds = set(shapely.get_type_id(geoms).tolist())
    assert kinds <= {0, 6}, kinds  # Point, MultiPolygon
    if len(geoms):
        assert [{0: "Point", 6: "MultiPolygon"}[k] for k in kinds] == col["geometry_types"]
    bounds = shapely.bounds(geoms)
    bbox = t.column("bbox").to_pylist()
    for b, g in zip(bbox, bounds):
        if math.isnan(g[0]):
            assert b is None  # an empty geometry has no box
        else:
            assert [b["xmin"], b["ymin"], b["xmax"], b["ymax"]] == list(g)
    if len(geoms) and not np.isnan(bounds[:, 0]).all():
        total = [np.nanmin(bounds[:, 0]), np.nanmin(bounds[:, 1]), np.nanmax(bounds[:, 2]), np.nanmax(bounds[:, 3])]
        assert col["bbox"] == total
    # geopandas can filter on the covering column.
    if len(geoms):
        x0, y0, x1, y1 = col["bbox"]
        box = (x0, y0, (x0 + x1) / 2, (y0 + y1) / 2)
        got = gpd.read_parquet(path, bbox=box)
        want = [i for i, g in enumerate(bounds) if g[0] <= box[2] and box[0] <= g[2] and g[1] <= box[3] and box[1] <= g[3]]
        assert sorted(got["id"]) == sorted(t.column("id").to_pylist()[i] for i in want)


@pytest.mark.parametrize("stem", STEMS)
def test_flatgeobuf_spatial_index_answers_box_queries(folder, stem):
    path = folder / f"{stem}.fgb"
    info = pyogrio.read_info(path)
    everything = gpd.read_file(path, engine="pyogrio")
    if len(everything) == 0:
        return
    assert info["capabilities"]["fast_spatial_filter"], "the packed R-tree is there"
    x0, y0, x1, y1 = everything.total_bounds
    rng = np.random.default_rng(20240501)
    for _ in range(8):
        xs, ys = sorted(rng.uniform(x0, x1, 2)), sorted(rng.uniform(y0, y1, 2))
        box = (xs[0], ys[0], xs[1], ys[1])
        got = gpd.read_file(path, engine="pyogrio", bbox=box)
        b = everything.geometry.bounds
        hit = (b.minx <= box[2]) & (box[0] <= b.maxx) & (b.miny <= box[3]) & (box[1] <= b.maxy)
        # GDAL refines the index's box hits by the geometries themselves.
        exact = everything[hit & everything.geometry.intersects(shapely.box(*box))]
        assert sorted(sort_key(got)) == sorted(sort_key(exact)), box


def test_gdal_parquet_driver_noted():
    """GeoParquet through GDAL needs its Parquet driver (libarrow); pyogrio's wheels lack it."""
    if not GDAL_HAS_PARQUET:
        pytest.skip("this GDAL has no Parquet driver; GeoParquet read with pyarrow only")


def test_a_folder_of_parquet_partitions_reads_as_one_geodataframe(folder, tmp_path):
    # A hive-style folder (as lifecircle.distributed writes): readers of a
    # dataset take the schema's metadata from the embedded Arrow schema.
    src = folder / "coverage.parquet"
    one = gpd.read_parquet(src)
    for part in ("a", "b"):
        (tmp_path / f"tile={part}").mkdir()
        shutil.copy(src, tmp_path / f"tile={part}" / "part-0.parquet")
    assert b"geo" in pq.read_table(tmp_path).schema.metadata
    both = gpd.read_parquet(tmp_path)
    assert len(both) == 2 * len(one)
    assert both.crs == one.crs == CRS("OGC:CRS84")
    assert both.geometry.iloc[: len(one)].equals(one.geometry)
