"""The package gives the CLI's values, value for value: the same layers
(GeoDataFrames against the CLI's GeoParquet files), the same summary, the
same files (``to_parquet`` against ``--format parquet``), on the bundled
extract and on user files (CSV, GeoJSON, GCJ-02, GeoDataFrames, districts)."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

import lifecircle

from conftest import BEIJING, USERDATA, run_cli

# summary.json keys that describe the run rather than its results.
RUN_ONLY = {"timings"}


def results(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if k not in RUN_ONLY}


def cli_summary(folder: Path) -> dict:
    return results(json.loads((folder / "summary.json").read_text()))


def assert_layer_equal(got: gpd.GeoDataFrame, path: Path) -> None:
    want = gpd.read_parquet(path)
    assert list(got.columns) == list(want.columns)
    # EPSG:4326 here (the geopandas idiom), OGC:CRS84 in the file: both WGS-84 lon/lat.
    assert got.crs.equals(want.crs, ignore_axis_order=True), (got.crs, want.crs)
    assert len(got) == len(want)
    assert_geodataframe_equal(got, want, check_dtype=True, check_less_precise=False, check_crs=False)


def test_default_layers_equal_the_cli(default_run, default_cli):
    assert_layer_equal(default_run.homes, default_cli / "coverage.parquet")
    assert_layer_equal(default_run.facilities, default_cli / "facilities.parquet")
    assert default_run.districts is None
    assert len(default_run.homes) == 13748


def test_default_summary_equals_the_cli(default_run, default_cli):
    assert results(default_run.summary) == cli_summary(default_cli)
    # The table printed on stdout, too.


def test_summary_text_is_the_cli_table(default_run, cli, tmp_path):
    _, out, _ = run_cli(cli, ["analyze", "--out", str(tmp_path)])
    # All but the timings and the output folder.
    table = default_run.summary_text.split("\ntimings:")[0]
    assert table.count("\n") > 8
    assert out.startswith(table)


def test_to_parquet_writes_the_cli_files_byte_for_byte(default_run, default_cli, tmp_path):
    folder = Path(default_run.to_parquet(tmp_path / "py"))
    for name in ["coverage.parquet", "facilities.parquet", "coverage.qml", "facilities.qml"]:
        assert (folder / name).read_bytes() == (default_cli / name).read_bytes(), name
    assert cli_summary(folder) == cli_summary(default_cli)
    manifest = json.loads((folder / "run.json").read_text())
    assert manifest["command"] == "python"
    assert [o["file"] for o in manifest["outputs"]] == [
        o["file"] for o in json.loads((default_cli / "run.json").read_text())["outputs"]
    ]


def test_thresholds_tiers_profiles_and_taxonomies_equal_the_cli(cli, tmp_path):
    for kwargs, args in [
        (dict(minutes=[5, 10, 15]), ["--minutes", "5,10,15"]),
        (dict(tiers="gb50180"), ["--tiers", "gb50180"]),
        (dict(profile="elderly", minutes=10), ["--profile", "elderly", "--minutes", "10"]),
        # A bundled national list by name, as --taxonomy NAME.
        (dict(taxonomy="mofcom-2021"), ["--taxonomy", "mofcom-2021"]),
    ]:
        out = tmp_path / "-".join(args).replace(",", "_")
        run_cli(cli, ["analyze", "--pbf", str(BEIJING), "--out", str(out), "--quiet", "--format", "parquet", *args])
        run = lifecircle.analyze(BEIJING, progress=False, **kwargs)
        assert_layer_equal(run.homes, out / "coverage.parquet")
        assert_layer_equal(run.facilities, out / "facilities.parquet")
        assert results(run.summary) == cli_summary(out), kwargs


def districts_geojson(path: Path) -> Path:
    """Two districts over the Beijing campus fixture, named by ``name``."""
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "west", "code": 1},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[116.340, 39.955], [116.351, 39.955], [116.351, 39.970], [116.340, 39.970], [116.340, 39.955]]],
                },
            },
            {
                "type": "Feature",
                "properties": {"name": "east", "code": 2},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[116.351, 39.955], [116.362, 39.955], [116.362, 39.970], [116.351, 39.970], [116.351, 39.955]]],
                },
            },
        ],
    }
    path.write_text(json.dumps(fc))
    return path


@pytest.fixture(scope="module")
def user_case(cli, tmp_path_factory):
    """The CLI on user files: facilities CSV (added), homes CSV, districts GeoJSON, 10 and 15 minutes."""
    tmp = tmp_path_factory.mktemp("user")
    districts = districts_geojson(tmp / "districts.geojson")
    out = tmp / "cli"
    args = [
        "analyze", "--pbf", str(BEIJING), "--out", str(out), "--quiet", "--format", "parquet",
        "--facilities", str(USERDATA / "beijing-facilities-add.csv"),
        "--homes", str(USERDATA / "beijing-homes.csv"),
        "--districts", str(districts), "--minutes", "10,15",
    ]
    run_cli(cli, args)
    return out, districts


def check_user_run(run, out: Path) -> None:
    assert_layer_equal(run.homes, out / "coverage.parquet")
    assert_layer_equal(run.facilities, out / "facilities.parquet")
    assert_layer_equal(run.districts, out / "districts.parquet")
    assert results(run.summary) == cli_summary(out)


def test_user_files_by_path_equal_the_cli(user_case):
    out, districts = user_case
    run = lifecircle.analyze(
        BEIJING,
        minutes=[10, 15],
        facilities=USERDATA / "beijing-facilities-add.csv",
        homes=str(USERDATA / "beijing-homes.csv"),
        districts=districts,
        progress=False,
    )
    check_user_run(run, out)
    # The district table (districts.csv) has the (outside) row.
    table = pd.read_csv(out / "districts.csv")
    assert run.district_table["district"].tolist() == table["district"].tolist()


def csv_as_geodataframe(path: Path, crs="EPSG:4326") -> gpd.GeoDataFrame:
    df = pd.read_csv(path)
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df.lon, df.lat), crs=crs)


def test_user_geodataframes_equal_the_cli(user_case):
    out, districts = user_case
    facilities = csv_as_geodataframe(USERDATA / "beijing-facilities-add.csv").drop(columns=["lon", "lat"])
    homes = csv_as_geodataframe(USERDATA / "beijing-homes.csv")
    run = lifecircle.analyze(
        BEIJING,
        minutes=[10, 15],
        facilities=facilities,
        homes=homes,
        districts=gpd.read_file(districts),
        progress=False,
    )
    # The layers and results are the CLI's; only the inputs' names differ.
    assert_layer_equal(run.homes, out / "coverage.parquet")
    assert_layer_equal(run.facilities, out / "facilities.parquet")
    assert_layer_equal(run.districts, out / "districts.parquet")
    got, want = results(run.summary), cli_summary(out)
    # Only the inputs' names and formats differ.
    text = json.dumps(want, ensure_ascii=False)
    for path, name in [
        (USERDATA / "beijing-facilities-add.csv", "facilities (GeoDataFrame)"),
        (USERDATA / "beijing-homes.csv", "homes (GeoDataFrame)"),
    ]:
        assert str(path) in text
        text = text.replace(str(path), name)
    got_text = json.dumps(got, ensure_ascii=False)
    assert got_text.replace('"format": "table"', '"format": "csv"') == text


def test_projected_geodataframes_are_reprojected():
    lonlat = csv_as_geodataframe(USERDATA / "beijing-homes.csv")
    want = lifecircle.analyze(BEIJING, minutes=[10, 15], homes=lonlat, progress=False).homes
    homes = lonlat.to_crs(32650)  # UTM 50N, metres
    run = lifecircle.analyze(BEIJING, minutes=[10, 15], homes=homes, progress=False)
    assert run.homes["id"].tolist() == want["id"].tolist()
    # Back in lon/lat within a micrometre; the same network answers.
    assert (shapely.distance(run.homes.geometry.values, want.geometry.values) < 1e-7).all()
    for c in ["reachable", "grocery_count", "clinic_count", "categories_ok"]:
        assert run.homes[c].tolist() == want[c].tolist(), c


def test_geojson_homes_and_gcj02_equal_the_cli(cli, tmp_path):
    homes = USERDATA / "beijing-homes-bad-row.geojson"
    out = tmp_path / "cli"
    run_cli(cli, [
        "analyze", "--pbf", str(BEIJING), "--out", str(out), "--quiet", "--format", "parquet",
        "--homes", str(homes), "--skip-bad-rows",
        "--facilities", str(USERDATA / "beijing-groceries-replace.csv"), "--facilities-crs", "gcj02",
        "--facilities-mode", "replace",
    ])
    run = lifecircle.analyze(
        BEIJING,
        homes=homes,
        skip_bad_rows=True,
        facilities=USERDATA / "beijing-groceries-replace.csv",
        crs={"facilities": "gcj02"},
        facilities_mode="replace",
        progress=False,
    )
    assert_layer_equal(run.homes, out / "coverage.parquet")
    assert_layer_equal(run.facilities, out / "facilities.parquet")
    assert results(run.summary) == cli_summary(out)
    assert run.summary["inputs"]["homes_input"]["skipped"] == 1 if "homes_input" in run.summary["inputs"] else True


def test_isochrones_hexagons_and_sites_equal_the_cli(cli, tmp_path):
    out = tmp_path / "cli"
    run_cli(cli, [
        "analyze", "--out", str(out), "--quiet", "--format", "parquet",
        "--minutes", "5,10,15", "--isochrones", "--h3", "8",
    ])
    run = lifecircle.analyze(minutes=[5, 10, 15], progress=False)
    assert_layer_equal(run.isochrones(progress=False), out / "isochrones.parquet")
    assert_layer_equal(run.coverage_areas(progress=False), out / "coverage_areas.parquet")
    assert_layer_equal(run.hexagons(8), out / "hexagons.parquet")

    sites_out = tmp_path / "sites"
    run_cli(cli, [
        "site", "--category", "elder_canteen", "--add", "3", "--out", str(sites_out), "--quiet",
        "--format", "parquet", "--minutes", "5,10,15",
    ])
    plan = run.site("elder_canteen", add=3, progress=False)
    assert_layer_equal(plan.sites, sites_out / "sites.parquet")
    assert plan.markdown == (sites_out / "sites.md").read_text()


def test_report_equals_the_cli_report(cli, tmp_path, default_run):
    out = tmp_path / "cli"
    run_cli(cli, ["analyze", "--out", str(out), "--quiet", "--report"])
    path = default_run.report(tmp_path / "report.html")
    assert Path(path).read_bytes() == (out / "report.html").read_bytes()


def test_sites_from_candidate_files_and_geodataframes_equal_the_cli(cli, tmp_path):
    candidates = USERDATA / "beijing-homes.csv"
    out = tmp_path / "cli"
    run_cli(cli, [
        "site", "--pbf", str(BEIJING), "--category", "clinic", "--add", "2", "--minutes", "5",
        "--candidates", str(candidates), "--out", str(out), "--quiet", "--format", "parquet",
    ])
    run = lifecircle.analyze(BEIJING, minutes=5, progress=False)
    by_path = run.site("clinic", add=2, candidates=candidates, progress=False)
    by_frame = run.site("clinic", add=2, candidates=csv_as_geodataframe(candidates), progress=False)
    for plan in (by_path, by_frame):
        assert_layer_equal(plan.sites, out / "sites.parquet")
    assert by_path.candidates == by_frame.candidates == len(pd.read_csv(candidates))
