"""Tiles from Python: ``Network(tile=...)`` / ``analyze(tile=...)`` answer a
tile's core homes as the CLI's ``analyze --tile`` does, and
``merge_summaries`` of every tile's summary is the whole run's summary
(``analyze --reach-minutes R`` on the extract), from dicts or from files."""

from __future__ import annotations

import json
import warnings

import pytest

from conftest import BEIJING, cli_error, run_cli

REACH = 10.0


@pytest.fixture(scope="module")
def tiles(cli, tmp_path_factory):
    out = tmp_path_factory.mktemp("tiles")
    run_cli(cli, ["prepare", "--pbf", str(BEIJING), "--tile-km", "0.5", "--reach-minutes", "10", "--out", str(out), "-q"])
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(manifest["tiles"]) >= 2
    return out, [t["id"] for t in manifest["tiles"]]


def _comparable(summary: dict) -> dict:
    s = json.loads(json.dumps(summary))
    s.pop("timings")
    s["parameters"].pop("threads")
    return s


def test_tiles_merge_to_the_whole_run(cli, tiles, tmp_path):
    import lifecircle

    folder, ids = tiles
    whole = tmp_path / "whole"
    run_cli(cli, ["analyze", "--pbf", str(BEIJING), "--reach-minutes", "10", "--minutes", "5,10", "--out", str(whole), "-q"])
    want = json.loads((whole / "summary.json").read_text())
    summaries, homes = [], 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in ids:
            net = lifecircle.Network(tile=folder / i, progress=False)
            assert net.tile == i and net.reach_minutes == REACH
            run = net.analyze(minutes=[5, 10], progress=False)
            assert "tile" in run.summary
            homes += len(run.homes)
            summaries.append(run.summary)
            # The same tile through the CLI: the same summary but for timings.
            out = tmp_path / i
            run_cli(cli, ["analyze", "--tile", str(folder / i), "--minutes", "5,10", "--out", str(out), "-q"])
            cli_summary = json.loads((out / "summary.json").read_text())
            assert cli_summary["tile"]["facts"]["id"] == i
            assert _comparable(cli_summary) == _comparable(run.summary) or cli_summary["inputs"] != run.summary["inputs"]
    assert homes == want["homes"]["total"]
    assert _comparable(lifecircle.merge_summaries(summaries)) == _comparable(want)
    from_files = lifecircle.merge_summaries([tmp_path / i for i in ids])
    assert _comparable(from_files) == _comparable(want)


def test_what_a_tile_cannot_answer_is_refused(tiles):
    import lifecircle

    folder, ids = tiles
    with pytest.raises(ValueError, match="reach"):
        lifecircle.Network(tile=folder / ids[0], reach_minutes=20, progress=False)
    with pytest.raises(ValueError, match="--pbf"):
        lifecircle.Network(BEIJING, tile=folder / ids[0], progress=False)
    net = lifecircle.Network(tile=folder / ids[0], progress=False)
    with pytest.raises(ValueError, match="reach"):
        net.analyze(minutes=[15], progress=False)
    with pytest.raises(ValueError, match="isochrones"):
        net.analyze(minutes=[10], isochrones=True, progress=False)
    with pytest.raises(ValueError, match="missing"):
        lifecircle.merge_summaries([net.analyze(minutes=[10], progress=False).summary])


def test_a_damaged_tile_is_named(cli, tiles, tmp_path):
    import lifecircle

    folder, ids = tiles
    data = (folder / f"{ids[0]}.tile").read_bytes()
    bad = tmp_path / "bad.tile"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="bad.tile"):
        lifecircle.Network(tile=bad, progress=False)
    assert "bad.tile" in cli_error(cli, ["analyze", "--tile", str(bad), "--out", str(tmp_path / "o"), "-q"])
