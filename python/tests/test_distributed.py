"""lifecircle.distributed on a LocalCluster of two worker processes: regions
give what the package gives per region, the partitions form one hive
dataset, a worker killed mid-task changes nothing, bad input fails before
anything is scheduled."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import threading
from pathlib import Path

import pandas as pd
import pytest

import lifecircle

distributed_dask = pytest.importorskip("dask.distributed")
from lifecircle import distributed  # noqa: E402

from conftest import BEIJING, FIXTURES, ROOT, USERDATA, run_cli  # noqa: E402

NANJING = FIXTURES / "nanjing-xinjiekou.osm.pbf"
LIECHTENSTEIN = ROOT / "data" / "liechtenstein-2024-03.osm.pbf"
REGIONS = [LIECHTENSTEIN, BEIJING, NANJING]
NAMES = ["liechtenstein-2024-03", "beijing-bupt", "nanjing-xinjiekou"]


def _cluster():
    return distributed_dask.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=50
    )


@pytest.fixture(scope="module")
def client():
    with _cluster() as cluster, distributed_dask.Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def regions_run(client, tmp_path_factory):
    out = tmp_path_factory.mktemp("dist") / "regions"
    with pytest.warns(lifecircle.LifecircleWarning):
        return distributed.run(REGIONS, client, out=out)


def _without_timings(summary):
    s = json.loads(json.dumps(summary))
    s.pop("timings", None)
    return s


def _tree(folder: Path):
    """Every file under ``folder``: relative path -> SHA-256 (summaries: their JSON without timings)."""
    files = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            rel = path.relative_to(folder).as_posix()
            if path.suffix == ".json":
                files[rel] = _without_timings(json.loads(path.read_text()))
            else:
                files[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return files


def test_regions_equal_the_package_run_per_region(regions_run):
    homes = regions_run.read()
    assert homes.columns[0] == "region"
    assert sorted(homes["region"].unique()) == sorted(NAMES)
    for pbf, name in zip(REGIONS, NAMES):
        alone = lifecircle.analyze(pbf, threads=1, progress=False)
        mine = homes[homes["region"] == name].drop(columns="region").reset_index(drop=True)
        expected = alone.homes
        assert len(mine) == len(expected) == alone.summary["homes"]["total"] > 0
        assert list(mine.columns) == list(expected.columns)
        pd.testing.assert_frame_equal(
            pd.DataFrame(mine.drop(columns="geometry")), pd.DataFrame(expected.drop(columns="geometry")), check_dtype=False
        )
        assert mine.geometry.geom_equals_exact(expected.geometry, tolerance=0).all()
        assert _without_timings(regions_run.parts[name]) == _without_timings(alone.summary)


def test_total_is_sums_of_counts_not_mean_of_shares(regions_run):
    total = regions_run.summary
    parts = [regions_run.parts[n] for n in NAMES]
    n = sum(p["homes"]["total"] for p in parts)
    assert total["homes"]["total"] == n == len(regions_run.read(columns=["id", "geometry"]))
    assert total["homes"]["population"] == pytest.approx(sum(p["homes"]["population"] for p in parts), rel=1e-12)
    for c, cat in enumerate(total["categories"]):
        covered = sum(p["categories"][c]["homes_covered"] for p in parts)
        assert cat["homes_covered"] == covered
        assert cat["facilities"] == sum(p["categories"][c]["facilities"] for p in parts)
        assert cat["share_covered"] == pytest.approx(covered / n, abs=1e-12)
        assert cat["thresholds"][-1]["homes"] == covered
    homes = regions_run.read()
    assert total["complete"]["homes"] == int(homes["complete"].sum())
    assert total["categories"][0]["homes_covered"] == int(homes["grocery_ok"].sum())
    shares = [p["categories"][0]["share_covered"] for p in parts]
    assert abs(sum(shares) / len(shares) - total["categories"][0]["share_covered"]) > 0.01  # the data tell them apart
    written = json.loads((Path(regions_run.out) / "summary.json").read_text())
    assert written == total


def test_partitions_are_one_hive_dataset(regions_run):
    import geopandas as gpd
    import pyarrow.dataset as ds
    import shapely

    dataset = ds.dataset(regions_run.coverage_path, format="parquet", partitioning="hive")
    table = dataset.to_table()
    assert table.num_rows == regions_run.summary["homes"]["total"]
    counts = table.group_by("region").aggregate([("id", "count")]).to_pydict()
    assert dict(zip(counts["region"], counts["id_count"])) == {n: regions_run.parts[n]["homes"]["total"] for n in NAMES}
    points = shapely.from_wkb(table.column("geometry").to_numpy(zero_copy_only=False))
    assert set(shapely.get_type_id(points)) == {0}
    assert regions_run.dataset().schema.field("region").type == "string"
    for path in regions_run.partition_files():
        part = gpd.read_parquet(path)
        assert part.crs.equals("OGC:CRS84")  # longitude, latitude
    if pytest.importorskip("dask_geopandas"):
        lazy = regions_run.read(lazy=True)
        assert lazy.npartitions == len(NAMES)
        assert len(lazy.compute()) == table.num_rows
    names = [e for e in os.listdir(regions_run.out) if e.startswith(".")]
    assert names == [distributed.OWNER]  # no staging or temporary files left


class _KillOnce(distributed_dask.WorkerPlugin):
    """Kills its worker process (SIGKILL) shortly after the first task of
    ``prefix`` starts executing; the marker file makes it happen once over
    every worker and restart."""

    def __init__(self, marker: str, prefix: str, delay_s: float) -> None:
        self.marker, self.prefix, self.delay_s = marker, prefix, delay_s

    def transition(self, key, start, finish, **kwargs):
        if finish != "executing" or not str(key).startswith(self.prefix):
            return
        try:
            fd = os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        threading.Timer(self.delay_s, os.kill, (os.getpid(), signal.SIGKILL)).start()


def test_a_worker_killed_mid_task_changes_nothing(regions_run, tmp_path):
    import dask

    marker = tmp_path / "killed"
    out = tmp_path / "again"
    # A task whose worker dies is rescheduled up to allowed-failures times (Dask's default, stated here).
    with dask.config.set({"distributed.scheduler.allowed-failures": 3}), _cluster() as cluster, distributed_dask.Client(cluster) as client:
        client.register_plugin(_KillOnce(str(marker), "lifecircle-region-liechtenstein", 0.05), name="kill-once")
        with pytest.warns(lifecircle.LifecircleWarning):
            again = distributed.run(REGIONS, client, out=out)
    assert marker.exists(), "no worker was killed"
    killed = int(marker.read_text())
    retried = [t for t in again.tasks if t["name"] == "liechtenstein-2024-03"]
    assert retried[0]["pid"] != killed, "the task finished before its worker was killed"
    assert _without_timings(again.summary) == _without_timings(regions_run.summary)
    mine, reference = _tree(out), _tree(Path(regions_run.out))
    mine.pop("distributed.json"), reference.pop("distributed.json")
    assert mine == reference
    assert sorted(p for p in mine if p.startswith("coverage/")) == [f"coverage/region={n}/part-0.parquet" for n in sorted(NAMES)]


def test_a_rerun_into_the_folder_replaces_it(client, tmp_path):
    out = tmp_path / "out"
    first = distributed.run([BEIJING, NANJING], client, out=out)
    # What a task killed while writing leaves: a half-written file in the staging folder.
    stale = out / ".staging" / "region=beijing-bupt.999.dead" / "coverage.parquet"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"PAR1 half a file")
    import pyarrow.dataset as ds

    assert ds.dataset(out / "coverage", partitioning="hive").count_rows() == first.summary["homes"]["total"]
    again = distributed.run({"bupt": BEIJING}, client, out=out)
    assert not (out / ".staging").exists()
    assert sorted(os.listdir(out / "coverage")) == ["region=bupt"]
    assert sorted(os.listdir(out / "summaries")) == ["region=bupt.json"]
    assert again.summary["homes"]["total"] == again.parts["bupt"]["homes"]["total"]


class _NoClient:
    def __getattr__(self, name):
        raise AssertionError(f"client.{name} used: scheduled before the input was checked")


def test_bad_input_fails_before_scheduling(tmp_path):
    missing = tmp_path / "nowhere.osm.pbf"
    with pytest.raises(FileNotFoundError, match="nowhere.osm.pbf"):
        distributed.run([BEIJING, missing], _NoClient(), out=tmp_path / "o1")
    with pytest.raises(ValueError, match="region name 'beijing-bupt' is also"):
        distributed.run([BEIJING, BEIJING], _NoClient(), out=tmp_path / "o2")
    bad = tmp_path / "manifest.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="manifest.json: not a tile manifest"):
        distributed.run(bad, _NoClient(), out=tmp_path / "o3")
    with pytest.raises(FileNotFoundError, match="no-tiles: no such file"):
        distributed.run(tmp_path / "no-tiles", _NoClient(), out=tmp_path / "o4")
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="holds files of something else"):
        distributed.run([BEIJING], _NoClient(), out=other)
    with pytest.raises(ValueError, match="threads_per_task"):
        distributed.run([BEIJING], _NoClient(), out=tmp_path / "o5", threads=2)
    with pytest.raises(FileNotFoundError, match="no-facilities.csv"):
        distributed.run([BEIJING], _NoClient(), out=tmp_path / "o6", facilities=str(tmp_path / "no-facilities.csv"))
    assert not any((tmp_path / f"o{i}").exists() for i in range(1, 7))


def test_a_task_error_is_the_core_message(client, tmp_path):
    with pytest.raises(ValueError, match=r"--minutes: 0 is not in \(0, 600\]"):
        distributed.run([BEIJING], client, out=tmp_path / "out", minutes=0)


@pytest.fixture(scope="module")
def tiles(cli, tmp_path_factory):
    """The default data cut into 2 km tiles (towns split), reach 15 minutes."""
    folder = tmp_path_factory.mktemp("tiles") / "li"
    run_cli(cli, ["prepare", "--pbf", str(LIECHTENSTEIN), "--tile-km", "2", "--reach-minutes", "15", "--out", str(folder), "--quiet"])
    return folder


def test_tiles_equal_the_whole_run_home_for_home(client, tiles, tmp_path):
    manifest = json.loads((tiles / "manifest.json").read_text())
    assert len(manifest["tiles"]) >= 4
    result = distributed.run(tiles / "manifest.json", client, out=tmp_path / "out", reach_minutes=15)
    whole = lifecircle.analyze(LIECHTENSTEIN, reach_minutes=15, threads=1, progress=False)
    homes = result.read()
    assert homes.columns[0] == "tile"
    assert sorted(homes["tile"].unique()) == sorted(t["id"] for t in manifest["tiles"])
    assert homes.groupby("tile").size().to_dict() == {t["id"]: t["homes"] for t in manifest["tiles"]}
    mine = homes.drop(columns="tile").sort_values("id").reset_index(drop=True)
    expected = whole.homes.sort_values("id").reset_index(drop=True)
    assert len(mine) == len(expected) == whole.summary["homes"]["total"]
    assert list(mine.columns) == list(expected.columns)
    pd.testing.assert_frame_equal(
        pd.DataFrame(mine.drop(columns="geometry")), pd.DataFrame(expected.drop(columns="geometry")), check_dtype=False
    )
    assert mine.geometry.geom_equals_exact(expected.geometry, tolerance=0).all()
    merged, reference = result.summary, whole.summary
    assert merged["homes"]["total"] == reference["homes"]["total"]
    assert merged["complete"] == reference["complete"]
    assert merged["facilities"] == reference["facilities"]
    for mine_c, ref_c in zip(merged["categories"], reference["categories"]):
        assert {k: mine_c[k] for k in ref_c if k != "note"} == {k: ref_c[k] for k in ref_c if k != "note"}, ref_c["key"]
    assert json.loads((tmp_path / "out" / "summary.json").read_text()) == merged
    with pytest.raises(ValueError, match="facilities=: tiles answer for"):
        distributed.run(tiles, _NoClient(), out=tmp_path / "o", facilities=USERDATA / "beijing-facilities-add.csv")


def test_options_reach_every_task(client, tmp_path):
    taxonomy = ROOT / "data" / "taxonomies" / "mofcom-2021.toml"
    result = distributed.run([BEIJING, NANJING], client, out=tmp_path / "out", taxonomy=os.path.relpath(taxonomy), minutes=[5, 10])
    for pbf, name in ((BEIJING, "beijing-bupt"), (NANJING, "nanjing-xinjiekou")):
        alone = lifecircle.analyze(pbf, taxonomy=taxonomy, minutes=[5, 10], threads=1, progress=False)
        assert _without_timings(result.parts[name]) == _without_timings(alone.summary)
    assert [c["key"] for c in result.summary["categories"]] == lifecircle.Network(BEIJING, taxonomy="mofcom-2021", progress=False).categories
    assert [t["label"] for t in result.summary["categories"][0]["thresholds"]] == ["5", "10"]


def _box_districts(path, bbox, cols, rows):
    """A FeatureCollection of cols x rows boxes over bbox (w, s, e, n), named box-<i>."""
    w, s, e, n = bbox
    dx, dy = (e - w) / cols, (n - s) / rows
    features = []
    for r in range(rows):
        for c in range(cols):
            x0, y0 = w + c * dx, s + r * dy
            ring = [[x0, y0], [x0 + dx, y0], [x0 + dx, y0 + dy], [x0, y0 + dy], [x0, y0]]
            features.append(
                {"type": "Feature", "properties": {"name": f"box-{r * cols + c}"}, "geometry": {"type": "Polygon", "coordinates": [ring]}}
            )
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def test_tiles_merge_district_tables_into_the_whole_runs(client, cli, tiles, tmp_path):
    districts = _box_districts(tmp_path / "boxes.geojson", (9.50, 47.06, 9.64, 47.28), 3, 4)
    result = distributed.run(
        tiles, client, out=tmp_path / "out", reach_minutes=15, districts=str(districts), district_key="name"
    )
    whole = tmp_path / "whole"
    run_cli(
        cli,
        ["analyze", "--pbf", str(LIECHTENSTEIN), "--reach-minutes", "15", "--districts", str(districts),
         "--district-key", "name", "--format", "parquet", "--out", str(whole), "--quiet"],
    )
    tables = tmp_path / "out" / distributed.TABLES
    for name in ("districts.parquet", "districts.csv", "districts.md"):
        assert (tables / name).read_bytes() == (whole / name).read_bytes(), name
    reference = json.loads((whole / "summary.json").read_text())
    assert result.summary["districts"] == reference["districts"]
    assert result.summary["districts"]["districts"] == 12
    # A run without districts into the same folder leaves no stale tables.
    distributed.run(tiles, client, out=tmp_path / "out", reach_minutes=15)
    assert not tables.exists()
    with pytest.raises(ValueError, match="districts=: district tables are merged across the tiles"):
        distributed.run([LIECHTENSTEIN], _NoClient(), out=tmp_path / "o", districts=str(districts))
