"""The package's behaviour beyond values: errors with the CLI's messages,
the network reused, the GIL released, progress as tqdm bars, doctests and
the type stubs."""

from __future__ import annotations

import ast
import doctest
import threading
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

import lifecircle
from lifecircle import _lifecircle, _progress

from conftest import BEIJING, USERDATA, cli_error

PACKAGE = Path(lifecircle.__file__).parent


@pytest.mark.parametrize(
    "kwargs, args",
    [
        (dict(minutes=0), ["--minutes", "0"]),
        (dict(minutes=[5, 700]), ["--minutes", "5,700"]),
        (dict(profile="runner"), ["--profile", "runner"]),
        (dict(tiers="nope"), ["--tiers", "nope"]),
        (dict(facilities=USERDATA / "beijing-facilities-bad-row.csv"), ["--facilities", str(USERDATA / "beijing-facilities-bad-row.csv")]),
        (dict(homes=USERDATA / "beijing-homes-bad-row.geojson"), ["--homes", str(USERDATA / "beijing-homes-bad-row.geojson")]),
        (dict(crs="gcj-03", facilities=USERDATA / "beijing-facilities-add.csv"), ["--facilities-crs", "gcj-03", "--facilities", str(USERDATA / "beijing-facilities-add.csv")]),
        (dict(pbf=USERDATA / "beijing-homes.csv"), ["--pbf", str(USERDATA / "beijing-homes.csv")]),
    ],
)
def test_bad_input_raises_value_error_with_the_cli_message(cli, tmp_path, kwargs, args):
    if "pbf" not in kwargs:
        kwargs = dict(kwargs, pbf=BEIJING)
        args = ["--pbf", str(BEIJING), *args]
    want = cli_error(cli, ["analyze", "--out", str(tmp_path / "out"), "--quiet", *args])
    with pytest.raises(ValueError) as e:
        lifecircle.analyze(progress=False, **kwargs)
    assert str(e.value) == want
    assert not (tmp_path / "out").exists()


def test_missing_files_raise_file_not_found_with_the_cli_message(cli, tmp_path):
    missing = tmp_path / "nowhere.osm.pbf"
    want = cli_error(cli, ["analyze", "--pbf", str(missing), "--out", str(tmp_path / "o"), "--quiet"])
    with pytest.raises(FileNotFoundError) as e:
        lifecircle.analyze(missing, progress=False)
    assert str(e.value) == want
    net = lifecircle.Network(BEIJING, progress=False)
    with pytest.raises(FileNotFoundError, match="homes.csv"):
        net.analyze(homes=tmp_path / "homes.csv", progress=False)


def test_bad_geodataframes_name_the_row_and_column():
    bad = gpd.GeoDataFrame(
        {"category": ["grocery", "bakery"]},
        geometry=[shapely.Point(116.35, 39.96), shapely.Point(116.351, 39.961)],
        crs=4326,
    )
    with pytest.raises(ValueError, match=r"facilities \(GeoDataFrame\): row 1: unknown category \"bakery\""):
        lifecircle.analyze(BEIJING, facilities=bad, progress=False)
    lines = gpd.GeoDataFrame({"category": ["clinic"]}, geometry=[shapely.LineString([(116.35, 39.96), (116.36, 39.96)])], crs=4326)
    with pytest.raises(ValueError, match="geometry type LineString is not supported"):
        lifecircle.analyze(BEIJING, facilities=lines, progress=False)
    run = lifecircle.analyze(BEIJING, facilities=bad, skip_bad_rows=True, progress=False)
    assert run.summary["inputs"]["facilities"]["rows_skipped"] == 1
    with pytest.raises(TypeError, match="DataFrame without geometry"):
        lifecircle.analyze(BEIJING, facilities=pd.DataFrame({"category": ["clinic"], "lon": [116.35], "lat": [39.96]}), progress=False)
    projected = bad.to_crs(32650)
    with pytest.raises(ValueError, match="projected"):
        lifecircle.analyze(BEIJING, facilities=projected, crs="gcj02", progress=False)


def test_polygon_geodataframes_are_taken_at_their_centroid():
    square = shapely.box(116.350, 39.960, 116.352, 39.962)
    homes = gpd.GeoDataFrame({"id": ["sq"], "population": [12]}, geometry=[square], crs=4326)
    points = gpd.GeoDataFrame({"id": ["sq"], "population": [12]}, geometry=[square.centroid], crs=4326)
    a = lifecircle.analyze(BEIJING, homes=homes, progress=False).homes
    b = lifecircle.analyze(BEIJING, homes=points, progress=False).homes
    assert a.drop(columns="geometry").equals(b.drop(columns="geometry"))
    assert a.geometry.iloc[0].equals_exact(b.geometry.iloc[0], 1e-7)


def test_a_network_is_reused_for_many_facility_sets():
    net = lifecircle.Network(BEIJING, progress=False)
    assert net.categories == ["grocery", "elder_canteen", "clinic", "childcare"]
    nodes, edges = net.graph_size
    assert 0 < nodes < edges * 2
    facility_sets = [None, USERDATA / "beijing-facilities-add.csv", USERDATA / "beijing-groceries-replace.csv"]
    for facilities in facility_sets:
        reused = net.analyze(facilities=facilities, minutes=[10, 15], progress=False)
        fresh = lifecircle.analyze(BEIJING, facilities=facilities, minutes=[10, 15], progress=False)
        assert reused.homes.equals(fresh.homes)
        assert reused.facilities.equals(fresh.facilities)
        drop = lambda s: {k: v for k, v in s.items() if k != "timings"}  # noqa: E731
        assert drop(reused.summary) == drop(fresh.summary)
    with pytest.raises(ValueError):
        net.analyze(minutes=-1, progress=False)
    # Districts from the extract's boundaries need them assembled when built.
    with pytest.raises(ValueError, match="admin"):
        net.analyze(districts=8, progress=False)


def test_the_gil_is_released_during_the_work():
    ticks = []
    stop = threading.Event()

    def tick():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.005)

    t = threading.Thread(target=tick)
    t.start()
    start = time.perf_counter()
    try:
        lifecircle.Network(progress=False).analyze(progress=False)
    finally:
        end = time.perf_counter()
        stop.set()
        t.join()
    during = [x for x in ticks if start < x < end]
    # The other thread ran all along (every 5 ms, so at least a tick per 50 ms).
    assert end - start > 0.1
    assert len(during) >= (end - start) / 0.05, (len(during), end - start)


class Recorder:
    """A stand-in for tqdm that records what it is told."""

    made: list = []

    def __init__(self, total=None, desc=None, **kwargs):  # noqa: D107
        self.total, self.desc, self.n, self.closed = total, desc, 0, False
        Recorder.made.append(self)

    def update(self, k):
        self.n += k

    def close(self):
        self.closed = True


def test_progress_is_drawn_as_tqdm_bars():
    Recorder.made = []
    bars = _progress.TqdmBars(Recorder)
    net = _lifecircle.Network(None, progress=bars)
    net.analyze(progress=bars)
    assert Recorder.made, "no bar was made"
    assert all(b.closed for b in Recorder.made)
    descs = [b.desc for b in Recorder.made]
    assert any("read" in d.lower() or "pbf" in d.lower() for d in descs), descs
    counted = [b for b in Recorder.made if b.total is not None]
    assert all(0 <= b.n <= b.total for b in counted)


def test_progress_driver_uses_tqdm_when_present():
    pytest.importorskip("tqdm")
    assert _progress.driver(True) is not None
    assert _progress.driver(False) is None


def test_tqdm_bars_on_stderr(capfd):
    pytest.importorskip("tqdm")
    lifecircle.analyze(progress=True)  # the bundled extract: long enough for the 40 ms polls
    err = capfd.readouterr().err
    assert "reading" in err and "\r" in err, err[:500]


def test_docstring_examples():
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    globs = {"lifecircle": lifecircle}
    tests = finder.find(lifecircle, "lifecircle", globs=globs)
    for name in lifecircle.__all__:
        obj = getattr(lifecircle, name)
        if callable(obj):
            # module=False: the classes' methods live in the package's submodules.
            tests += finder.find(obj, f"lifecircle.{name}", module=False, globs=globs)
    tests = list({t.name: t for t in tests if t.examples}.values())
    assert sum(len(t.examples) for t in tests) >= 10
    assert {"lifecircle.Analysis.site", "lifecircle.Analysis.hexagons", "lifecircle.Network"} <= {t.name for t in tests}
    for t in tests:
        runner.run(t)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, result


def test_stubs_name_what_the_native_module_has():
    tree = ast.parse((PACKAGE / "_lifecircle.pyi").read_text())
    stubbed = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            stubbed[node.name] = {n.name for n in node.body if isinstance(n, ast.FunctionDef)}
        elif isinstance(node, ast.FunctionDef):
            stubbed[node.name] = None
    public = {n for n in dir(_lifecircle) if not n.startswith("_")} - {"BUILTIN_PBF_NAME"}
    assert set(stubbed) == public
    for name, methods in stubbed.items():
        if methods is None:
            continue
        have = {m for m in dir(getattr(_lifecircle, name)) if not m.startswith("_")}
        assert methods - {"__init__", "__len__", "__arrow_c_stream__"} == have, name


def test_public_api_is_documented():
    for obj in [lifecircle.analyze, lifecircle.Network, lifecircle.Network.analyze, lifecircle.Analysis, lifecircle.Sites]:
        assert obj.__doc__ and len(obj.__doc__) > 40, obj
    for name in ["homes", "facilities", "districts", "summary", "hexagons", "isochrones", "site", "report", "to_parquet"]:
        assert getattr(lifecircle.Analysis, name).__doc__, name


def test_notes_are_warnings_attributed_to_the_caller():
    with pytest.warns(lifecircle.LifecircleWarning) as caught:
        lifecircle.analyze(BEIJING, progress=False)
    notes = [str(w.message) for w in caught]
    assert any("elder_canteen: no facilities found" in n for n in notes), notes
    assert all(w.filename == __file__ for w in caught)


def test_ctrl_c_interrupts_at_once():
    import os
    import signal

    running = threading.Event()

    def interrupt():
        if running.is_set():
            os.kill(os.getpid(), signal.SIGINT)

    net = lifecircle.Network(progress=False)
    # Every category's service areas at three thresholds, with a wide buffer: seconds of work in a dev build.
    work = dict(minutes=[5, 10, 15], isochrones=True, buffer_m=150.0, progress=False)
    t = time.perf_counter()
    net.analyze(**work)
    full = time.perf_counter() - t
    if full < 1.0:
        pytest.skip(f"the run takes {full:.2f} s here (a release build): too short to tell an interruption")
    timer = threading.Timer(0.1, interrupt)
    running.set()
    start = time.perf_counter()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            try:
                net.analyze(**work)
            finally:
                running.clear()
    except pytest.fail.Exception:
        pytest.skip("the run ended before the signal came")
    finally:
        timer.join()
    # Polled every 40 ms: the call returns soon after the signal, not when the work ends.
    interrupted = time.perf_counter() - start
    assert interrupted < 0.1 + 0.4 and interrupted < full / 2, (interrupted, full)
