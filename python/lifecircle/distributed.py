"""Many tiles or many regions on a Dask cluster, with the same Rust core.

``run(source, client, out)`` maps the tiles of ``lifecircle prepare`` (a
manifest) or many regions' PBF extracts over a ``dask.distributed.Client``:
one task per tile or region, each running :func:`lifecircle.analyze` on a
worker and writing its coverage layer as one GeoParquet partition, hive
style, and its ``summary.json``::

    out/
      coverage/tile=r0c1/part-0.parquet        (or region=<name>/part-0.parquet)
      summaries/tile=r0c1.json                 one summary per task
      summary.json                             the merged summary
      tables/districts.parquet, districts.md   with districts= (a GeoJSON file), tiles only: the whole
                                               run's tables, merged from per-district sums
      distributed.json                         the run: parts, per-task timings and peak memory

Each file is written under a temporary name on the same file system and
renamed into place once flushed to disk, so a task that Dask reruns (after a
worker died mid-task) replaces the same file and leaves exactly one
partition. The merged summary is computed from the tasks' sums and counts
(for tiles ``lifecircle.merge_summaries``, the Rust merge of counts, exact
population sums and histograms of times: the whole run's summary, medians
included; for regions their counts and population sums), never by averaging
shares.

The same code runs on a laptop's ``LocalCluster`` and on a cluster of
machines (``dask_jobqueue.SLURMCluster``, ``dask_kubernetes``): the inputs
and ``out`` must then be on a file system every worker sees.

>>> from dask.distributed import Client, LocalCluster          # doctest: +SKIP
>>> from lifecircle import distributed                          # doctest: +SKIP
>>> with LocalCluster(n_workers=2, threads_per_worker=1) as cluster, Client(cluster) as client:  # doctest: +SKIP
...     result = distributed.run(["a.osm.pbf", "b.osm.pbf"], client, out="runs/ab")
>>> result.summary["homes"]["total"]                            # doctest: +SKIP
>>> result.read()                                               # doctest: +SKIP

Progress shows on Dask's dashboard (``client.dashboard_link``); nothing is
printed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from . import _merge, _task
from ._notes import warn as _warn
from ._task import PARTITIONS, STAGING, SUMMARIES, Part

__all__ = ["Result", "run", "parts_of"]

PathLike = Union[str, "os.PathLike[str]"]
Source = Union[PathLike, Sequence[PathLike], Mapping[str, PathLike]]

TABLES = "tables"
"""The folder of ``out`` holding a tiled run's merged district tables (with ``districts=``)."""

OWNER = ".lifecircle-distributed"
"""Marks a folder as written by :func:`run`: only such a folder (or an empty
or new one) is written into, and its stale partitions are removed."""

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_NOT_OPTIONS = {
    "pbf": "give the PBFs or the manifest as `source`",
    "tile": "give the manifest as `source`",
    "threads": "use threads_per_task",
    "progress": "progress shows on Dask's dashboard",
    "isochrones": "service areas are not merged across tasks",
}


class Result:
    """A distributed run: the merged summary, the output folder, and per
    task (tile or region) its summary, time and the worker's peak memory."""

    def __init__(self, kind: str, out: str, summary: Dict[str, Any], tasks: List[Dict[str, Any]], seconds: float) -> None:
        self.kind = kind
        """``"tile"`` or ``"region"``: the partition key of the coverage dataset."""
        self.out = out
        """The output folder."""
        self.summary = summary
        """The merged summary (``out/summary.json``)."""
        self.parts = {t["name"]: t["summary"] for t in tasks}
        """Each tile's or region's own summary, by name."""
        self.tasks = [{k: v for k, v in t.items() if k != "summary"} for t in tasks]
        """Per task: ``name``, ``homes``, ``seconds`` (on the worker),
        ``analyze_s``, ``peak_rss_mb`` (the worker process's peak so far),
        ``worker``, ``pid``."""
        self.seconds = seconds
        """Wall time of the whole run, seconds (scheduling, tasks, merge)."""

    def __repr__(self) -> str:
        return (
            f"<lifecircle.distributed.Result {len(self.tasks)} {self.kind}s, "
            f"{self.summary['homes']['total']} homes, {self.seconds:.1f} s, {self.out}>"
        )

    @property
    def coverage_path(self) -> str:
        """The hive-partitioned coverage dataset (``out/coverage``)."""
        return os.path.join(self.out, PARTITIONS)

    @property
    def peak_rss_mb(self) -> Dict[str, float]:
        """Per worker (address, or pid), the largest peak resident memory its tasks saw, MB."""
        peaks: Dict[str, float] = {}
        for t in self.tasks:
            who = t["worker"] or f"pid {t['pid']}"
            peaks[who] = max(peaks.get(who, 0.0), t["peak_rss_mb"])
        return peaks

    def partition_files(self) -> List[str]:
        """The partitions' files, in order of tile id or region name."""
        return [_task.partition_file(self.out, Part(self.kind, name, "", 0)) for name in sorted(self.parts)]

    def dataset(self) -> Any:
        """The partitions as one ``pyarrow.dataset.Dataset`` with hive
        partitioning: a ``tile`` or ``region`` column (always a string), the
        geometry as WKB."""
        import pyarrow as pa
        import pyarrow.dataset as ds

        # Named, not inferred: a region called 2024 stays the string "2024".
        partitioning = ds.partitioning(pa.schema([(self.kind, pa.string())]), flavor="hive")
        return ds.dataset(self.coverage_path, format="parquet", partitioning=partitioning)

    def read(self, *, lazy: bool = False, columns: Optional[Sequence[str]] = None) -> Any:
        """Every home of the run: the partitions as one GeoDataFrame (EPSG:4326)
        with a first column ``tile`` or ``region``, in order of tile id or
        region name; ``lazy=True`` gives a dask-geopandas frame of one
        partition per file instead (needs ``dask-geopandas``).

        Each partition is read by geopandas file by file: the files' GeoParquet
        metadata is in the Parquet footer only, which geopandas' reader of
        folders does not see.
        """
        names = sorted(self.parts)
        wanted = None if columns is None else list(columns)
        if lazy:
            try:
                import dask
                import dask.dataframe
                import dask_geopandas
            except ImportError as e:
                raise ImportError("read(lazy=True) needs dask-geopandas: pip install dask-geopandas") from e
            meta = _read_partition(self.out, self.kind, names[0], wanted).iloc[:0]
            parts = [dask.delayed(_read_partition)(self.out, self.kind, n, wanted) for n in names]
            return dask_geopandas.from_dask_dataframe(dask.dataframe.from_delayed(parts, meta=meta))
        import geopandas as gpd
        import pandas as pd

        frames = [_read_partition(self.out, self.kind, n, wanted) for n in names]
        return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)


def _read_partition(out: str, kind: str, name: str, columns: Optional[List[str]]) -> Any:
    """One partition as a GeoDataFrame with its ``tile``/``region`` column first."""
    import geopandas as gpd

    frame = gpd.read_parquet(_task.partition_file(out, Part(kind, name, "", 0)), columns=columns)
    frame.insert(0, kind, name)
    # The files say OGC:CRS84 (longitude, latitude); the package's layers say EPSG:4326 with the same values.
    frame = frame.set_crs("EPSG:4326", allow_override=True)
    return frame


def _region_name(path: str) -> str:
    base = os.path.basename(path)
    for suffix in (".osm.pbf", ".pbf"):
        if base.endswith(suffix):
            return base[: -len(suffix)]
    return base


def _regions(source: Union[Sequence[PathLike], Mapping[str, PathLike]]) -> List[Part]:
    named = list(source.items()) if isinstance(source, Mapping) else [(None, p) for p in source]
    if not named:
        raise ValueError("source: no PBF given")
    parts: List[Part] = []
    seen: Dict[str, str] = {}
    for name, given in named:
        path = os.path.abspath(os.fspath(given))
        if not os.path.exists(path):
            raise FileNotFoundError(f"{os.fspath(given)}: no such file")
        if not os.path.isfile(path):
            raise ValueError(f"{os.fspath(given)}: not a file (a region is an OSM PBF extract)")
        name = _region_name(path) if name is None else str(name)
        if not _NAME.match(name):
            raise ValueError(
                f"{os.fspath(given)}: region name {name!r} is not a partition name "
                "(letters, digits, '.', '_', '-'); give a mapping {name: path}"
            )
        if name in seen:
            raise ValueError(f"{os.fspath(given)}: region name {name!r} is also {seen[name]}'s; give a mapping {{name: path}}")
        seen[name] = os.fspath(given)
        parts.append(Part("region", name, path, os.path.getsize(path)))
    return parts


def _tiles(manifest: str) -> List[Part]:
    if os.path.isdir(manifest):
        manifest = os.path.join(manifest, "manifest.json")
    if not os.path.exists(manifest):
        raise FileNotFoundError(f"{manifest}: no such file (the manifest of `lifecircle prepare`)")
    try:
        with open(manifest, encoding="utf-8") as f:
            doc = json.load(f)
        tiles = doc["tiles"]
        entries = [(str(t["id"]), t.get("file", f"{t['id']}.tile")) for t in tiles]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ValueError(f"{manifest}: not a tile manifest of `lifecircle prepare` ({e})") from None
    folder = os.path.dirname(os.path.abspath(manifest))
    parts = []
    for tile_id, rel in entries:
        if not _NAME.match(tile_id):
            raise ValueError(f"{manifest}: tile id {tile_id!r} is not a partition name")
        path = os.path.join(folder, rel)
        if not os.path.exists(path):
            raise FileNotFoundError(f"{path}: no such file (tile {tile_id} of {manifest})")
        size = os.path.getsize(path) if os.path.isfile(path) else sum(
            os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs
        )
        parts.append(Part("tile", tile_id, path, size))
    if not parts:
        raise ValueError(f"{manifest}: lists no tiles")
    return parts


def parts_of(source: Source) -> List[Part]:
    """The tasks of ``source``, checked before anything is scheduled: the
    tiles of a manifest (its path, or the folder holding ``manifest.json``)
    or regions (a list of PBF paths, named by file name without
    ``.osm.pbf``, or a mapping ``{name: path}``).

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` for a
    bad manifest or duplicate region names, naming the file.

    >>> [p.partition for p in parts_of(["tests/fixtures/beijing-bupt.osm.pbf"])]  # doctest: +SKIP
    ['region=beijing-bupt']
    """
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if path.endswith(".pbf"):
            return _regions([path])
        return _tiles(path)
    return _regions(source)


def _prepare_out(out: str) -> None:
    if os.path.exists(out) and not os.path.isdir(out):
        raise ValueError(f"out: {out} is a file, not a folder")
    if os.path.isdir(out) and os.listdir(out) and not os.path.exists(os.path.join(out, OWNER)):
        raise ValueError(f"out: {out} holds files of something else; give a new or empty folder")
    os.makedirs(out, exist_ok=True)
    marker = os.path.join(out, OWNER)
    if not os.path.exists(marker):
        _task.write_atomic(marker, "written by lifecircle.distributed.run\n")


def _remove_stale(out: str, parts: Sequence[Part]) -> None:
    """Partitions and summaries of an earlier run into ``out`` that this run has not written."""
    keep = {p.partition for p in parts}
    folder = os.path.join(out, PARTITIONS)
    for entry in os.listdir(folder) if os.path.isdir(folder) else []:
        if entry not in keep:
            shutil.rmtree(os.path.join(folder, entry), ignore_errors=True)
    folder = os.path.join(out, SUMMARIES)
    for entry in os.listdir(folder) if os.path.isdir(folder) else []:
        if entry[: -len(".json")] not in keep:
            os.remove(os.path.join(folder, entry))
    shutil.rmtree(os.path.join(out, STAGING), ignore_errors=True)


def _check_options(options: Mapping[str, Any], kind: str) -> None:
    for name, why in _NOT_OPTIONS.items():
        if name in options:
            raise ValueError(f"{name}=: not an option of lifecircle.distributed.run ({why})")
    if kind == "region" and options.get("districts") is not None:
        raise ValueError(
            "districts=: district tables are merged across the tiles of one prepare only "
            "(disjoint regions have districts of their own: run them apart)"
        )
    for name in ("facilities", "homes"):
        if kind == "tile" and options.get(name) is not None:
            raise ValueError(f"{name}=: tiles answer for the homes and facilities they were prepared with only")
    for name in ("facilities", "homes"):
        given = options.get(name)
        if isinstance(given, (str, os.PathLike)) and not os.path.exists(given):
            raise FileNotFoundError(f"{os.fspath(given)}: no such file ({name})")


def _merge_summaries(kind: str, summaries: List[Dict[str, Any]], names: List[str]) -> Dict[str, Any]:
    if kind == "tile":
        import lifecircle

        return lifecircle.merge_summaries(summaries)
    return _merge.merge_regions(summaries, names)


def run(
    source: Source,
    client: Any,
    out: PathLike,
    *,
    minutes: Any = None,
    reach_minutes: Optional[float] = None,
    taxonomy: Optional[PathLike] = None,
    profile: str = "adult",
    facilities: Any = None,
    threads_per_task: int = 1,
    resources: Optional[Mapping[str, float]] = None,
    retries: int = 0,
    **options: Any,
) -> Result:
    """Analyses every tile of a manifest, or every region, as one Dask task
    each, and merges the results.

    Parameters
    ----------
    source : path, list of paths or mapping
        The manifest of ``lifecircle prepare`` (``TILES/manifest.json`` or
        ``TILES/``), or PBF extracts of disjoint regions (a list, each named
        by its file name without ``.osm.pbf``, or ``{name: path}``).
    client : dask.distributed.Client
        Where to run. Paths must be readable (and ``out`` writable) by every worker.
    out : path
        The output folder: new, empty, or an earlier run's (whose partitions
        this run replaces, and the ones it does not write are removed).
    minutes, reach_minutes, taxonomy, profile, facilities, **options
        As for :func:`lifecircle.analyze` (its keyword arguments), the same
        for every task. Tiles answer exactly within the reach they were
        prepared for.
    threads_per_task : int
        The core's threads in each task (1 suits one worker thread per core).
    resources : mapping, optional
        Dask worker resources each task needs (``{"MEMORY": 2e9}``); the
        workers must declare them.
    retries : int
        Dask retries of a task that raised. A task whose worker died is rerun
        anyway, up to ``distributed.scheduler.allowed-failures`` times.

    Returns
    -------
    Result
        ``.summary`` (merged), ``.parts``, ``.tasks``, ``.read()``.

    Raises
    ------
    FileNotFoundError, ValueError
        A missing input or bad manifest (before anything is scheduled), or a
        task's error from the core (the first to fail; the rest are cancelled).

    Examples
    --------
    Regions, on the machine's cores:

    >>> from dask.distributed import Client, LocalCluster                 # doctest: +SKIP
    >>> client = Client(LocalCluster(n_workers=2, threads_per_worker=1))  # doctest: +SKIP
    >>> result = run({"bupt": "beijing-bupt.osm.pbf", "xjk": "nanjing-xinjiekou.osm.pbf"},
    ...              client, out="runs/two", minutes=[5, 10, 15])         # doctest: +SKIP
    >>> result.parts["bupt"]["homes"]["total"], result.summary["homes"]["total"]  # doctest: +SKIP
    (58, 578)

    Tiles (``lifecircle prepare --pbf big.osm.pbf --tile-km 10 --reach-minutes 15 --out tiles``):

    >>> result = run("tiles", client, out="runs/big")                     # doctest: +SKIP
    >>> result.read(lazy=True).groupby("tile").complete.mean().compute()  # doctest: +SKIP
    """
    from dask.base import tokenize

    start = time.perf_counter()
    parts = parts_of(source)
    analyze_options: Dict[str, Any] = dict(options)
    for name, value in (("minutes", minutes), ("reach_minutes", reach_minutes), ("taxonomy", taxonomy), ("facilities", facilities)):
        if value is not None:
            analyze_options[name] = value
    if profile != "adult":
        analyze_options["profile"] = profile
    _check_options(analyze_options, parts[0].kind)
    for name in ("taxonomy", "facilities", "homes", "targets", "districts"):
        value = analyze_options.get(name)
        if isinstance(value, (str, os.PathLike)) and os.path.exists(value):
            # Workers may run elsewhere: files by absolute path (a bundled taxonomy stays a name).
            analyze_options[name] = os.path.abspath(os.fspath(value))
    out = os.path.abspath(os.fspath(out))
    _prepare_out(out)
    parts = sorted(parts, key=lambda p: (-p.bytes, p.name))
    token = tokenize(out, analyze_options, threads_per_task)
    keys = [f"lifecircle-{p.kind}-{p.name}-{tokenize(token, p.path, p.bytes)}" for p in parts]
    futures = client.map(
        _task.run_part,
        parts,
        key=keys,
        out=out,
        options=analyze_options,
        threads=threads_per_task,
        resources=None if resources is None else dict(resources),
        retries=retries,
    )
    try:
        done = client.gather(futures)
    except BaseException:
        client.cancel(futures)
        raise
    by_name = {d["name"]: d for d in done}
    ordered = [by_name[p.name] for p in sorted(parts, key=lambda p: p.name)]
    _remove_stale(out, parts)
    if parts[0].kind == "tile" and analyze_options.get("districts") is not None:
        import lifecircle

        # The tables merged from the tiles' sums by the Rust core, written as analyze writes them.
        files = [_task.summary_file(out, p) for p in sorted(parts, key=lambda p: p.name)]
        summary = lifecircle.merge_tiles(files, os.path.join(out, TABLES), formats=("parquet",))
    else:
        shutil.rmtree(os.path.join(out, TABLES), ignore_errors=True)
        summary = _merge_summaries(parts[0].kind, [d["summary"] for d in ordered], [d["name"] for d in ordered])
    _task.write_atomic(os.path.join(out, "summary.json"), json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    result = Result(parts[0].kind, out, summary, ordered, time.perf_counter() - start)
    record = {
        "kind": result.kind,
        "parts": [{"name": p.name, "input": p.path, "bytes": p.bytes} for p in sorted(parts, key=lambda p: p.name)],
        "options": {k: v if isinstance(v, (str, int, float, list, type(None))) else repr(v) for k, v in analyze_options.items()},
        "threads_per_task": threads_per_task,
        "seconds": result.seconds,
        "peak_rss_mb": result.peak_rss_mb,
        "tasks": result.tasks,
    }
    _task.write_atomic(os.path.join(out, "distributed.json"), json.dumps(record, indent=2) + "\n")
    _warn(summary.get("notes", []))
    return result
