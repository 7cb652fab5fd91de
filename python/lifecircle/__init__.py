"""lifecircle: 15-minute service circles from OpenStreetMap, as GeoDataFrames.

Which homes reach a grocery, an elder canteen, a clinic and childcare within
15 minutes on foot? The same Rust engine as the ``lifecircle`` command line,
with the same values, for notebooks: results come as GeoDataFrames (through
Arrow, no file in between), inputs may be GeoDataFrames in any CRS.

>>> import lifecircle
>>> run = lifecircle.analyze(progress=False)        # the bundled extract of Liechtenstein
>>> run.summary["homes"]["total"]
13748
>>> run.homes[["id", "grocery_min", "grocery_ok", "complete"]].head(2)  # doctest: +SKIP
>>> float(run.homes["grocery_ok"].mean().round(3))
0.67

For many facility sets on one extract, build the network once:

>>> net = lifecircle.Network(progress=False)
>>> five = net.analyze(minutes=[5, 10, 15], progress=False)
>>> five.thresholds["grocery"]
['5', '10', '15']

Map data (c) OpenStreetMap contributors, ODbL.
"""

from __future__ import annotations

import os
from typing import Any, List, Mapping, Optional, Sequence, Union

from . import _convert, _lifecircle, _progress
from ._notes import LifecircleWarning
from ._notes import warn as _warn
from ._results import Analysis, Sites

__all__ = [
    "Analysis",
    "LifecircleWarning",
    "Network",
    "Sites",
    "analyze",
    "merge_summaries",
    "merge_tiles",
    "__version__",
]

__version__: str = _lifecircle.__version__

PathLike = Union[str, "os.PathLike[str]"]
Minutes = Union[float, Sequence[float]]
Crs = Union[str, Mapping[str, str]]


def _crs_of(crs: Crs, what: str) -> str:
    if isinstance(crs, str):
        return crs
    return crs.get(what, "wgs84")


def _minutes(minutes: Optional[Minutes]) -> Optional[List[float]]:
    if minutes is None:
        return None
    if isinstance(minutes, (int, float)):
        return [float(minutes)]
    return [float(m) for m in minutes]


def _invocation(**arguments: Any) -> List[str]:
    return [f"{k}={_convert.describe(v)}" for k, v in arguments.items() if v is not None]


class Network:
    """The walking network of an OSM extract, read and built once, analysed
    for any number of facility sets, homes, thresholds and districts.

    Parameters
    ----------
    pbf : path, optional
        An OpenStreetMap PBF extract; ``None`` uses the bundled extract of
        Liechtenstein (March 2024).
    profile : {"adult", "elderly", "wheelchair"} or a profile of data/profiles.toml
        Walkable ways, speed factors and barriers.
    taxonomy : str or path, optional
        A bundled category list by name (``"mofcom-2021"``, ``"mohurd-2020"``,
        ``"elderly-three-tier"``, ``"peers"``) or a taxonomy TOML file
        replacing the built-in service categories, as the CLI's ``--taxonomy``.
    speed_kmh : float, optional
        Walking speed (default: the profile's, 4.5 km/h for adults).
    max_snap_m : float
        Homes and facilities farther than this from any walkable way are unreachable.
    min_component_nodes : int
        Keep, besides the largest, every network component with at least this many junctions.
    snap : {"edge", "vertex"}
        Join points to the nearest point of the nearest way (walking the
        straight line to it) or to the nearest way vertex (as node-based tools do).
    admin_boundaries : bool
        Also assemble the extract's administrative boundaries, so analyses can
        use ``districts=<admin_level>``.
    threads : int, optional
        Worker threads (default: one per core).
    progress : bool
        Show progress as tqdm bars (when tqdm is installed).
    tile : path, optional
        A tile of ``lifecircle prepare`` (``TILES/ID`` or ``TILES/ID.tile``)
        instead of ``pbf``: analyses answer the homes of its core exactly as
        the whole extract with ``reach_minutes`` of the prepare; what a tile
        cannot answer exactly (own homes or facilities, service areas,
        districts) is refused with a ``ValueError``.
    reach_minutes : float, optional
        Search no farther than this (at least the largest threshold): a
        facility beyond counts as none reachable. For a tile: its prepared
        reach (the default); for an extract: ``None`` (unbounded).

    Examples
    --------
    >>> net = lifecircle.Network(progress=False)
    >>> net.categories
    ['grocery', 'elder_canteen', 'clinic', 'childcare']
    >>> elderly = lifecircle.Network(profile="elderly", progress=False)
    >>> elderly.speed_kmh < net.speed_kmh
    True
    """

    def __init__(
        self,
        pbf: Optional[PathLike] = None,
        *,
        profile: str = "adult",
        taxonomy: Optional[PathLike] = None,
        speed_kmh: Optional[float] = None,
        max_snap_m: float = 500.0,
        min_component_nodes: int = 500,
        snap: str = "edge",
        admin_boundaries: bool = False,
        threads: Optional[int] = None,
        progress: bool = True,
        tile: Optional[PathLike] = None,
        reach_minutes: Optional[float] = None,
    ) -> None:
        self._settings = dict(
            pbf=None if pbf is None else os.fspath(pbf),
            profile=profile,
            taxonomy=None if taxonomy is None else os.fspath(taxonomy),
            speed_kmh=speed_kmh,
        )
        self._inner = _lifecircle.Network(
            self._settings["pbf"],
            profile=profile,
            taxonomy=self._settings["taxonomy"],
            speed_kmh=speed_kmh,
            max_snap_m=max_snap_m,
            min_component_nodes=min_component_nodes,
            snap=snap,
            admin_boundaries=admin_boundaries,
            threads=threads,
            progress=_progress.driver(progress),
            tile=None if tile is None else os.fspath(tile),
            reach_minutes=None if reach_minutes is None else float(reach_minutes),
        )

    @property
    def pbf(self) -> str:
        """The extract (``<built-in>/liechtenstein-2024-03.osm.pbf`` for the bundled one)."""
        return self._inner.pbf

    @property
    def profile(self) -> str:
        """The walking profile."""
        return self._inner.profile

    @property
    def speed_kmh(self) -> float:
        """The walking speed, km/h."""
        return self._inner.speed_kmh

    @property
    def categories(self) -> List[str]:
        """The service categories' keys, in taxonomy order."""
        return self._inner.categories

    @property
    def graph_size(self) -> tuple:
        """``(junctions, edges)`` of the walking graph."""
        return self._inner.graph_size

    @property
    def admin_levels(self) -> List[int]:
        """The ``admin_level`` values the extract has boundaries at."""
        return self._inner.admin_levels

    @property
    def tile(self) -> Optional[str]:
        """The tile's id (``"r3c4"``) when this network is a tile of ``lifecircle prepare``, else ``None``."""
        return self._inner.tile

    @property
    def reach_minutes(self) -> Optional[float]:
        """How far analyses search, minutes (a tile's prepared reach; ``None``: unbounded)."""
        return self._inner.reach_minutes

    def __repr__(self) -> str:
        nodes, edges = self.graph_size
        what = f"tile {self.tile}" if self.tile is not None else self.pbf
        return f"<lifecircle.Network {what}: {nodes} junctions, {edges} edges, profile {self.profile}>"

    def analyze(
        self,
        *,
        minutes: Optional[Minutes] = None,
        tiers: Optional[str] = None,
        facilities: Any = None,
        homes: Any = None,
        districts: Any = None,
        targets: Optional[PathLike] = None,
        crs: Crs = "wgs84",
        facilities_mode: str = "add",
        homes_mode: str = "replace",
        skip_bad_rows: bool = False,
        district_key: str = "name",
        k_nearest: int = 1,
        isochrones: bool = False,
        buffer_m: float = 50.0,
        simplify_m: Optional[float] = None,
        category: Optional[str] = None,
        threads: Optional[int] = None,
        progress: bool = True,
    ) -> "Analysis":
        """Walking time from every home to the nearest facility of each
        category, and how many it reaches, on this network.

        Parameters
        ----------
        minutes : float or list of float, optional
            Thresholds in minutes (default 15); the largest is the main one.
        tiers : str, optional
            Per-category walking distances from data/tiers.toml instead of
            minutes (``"gb50180"``: 300/500/1000 m).
        facilities : path or GeoDataFrame, optional
            Your own facilities: a CSV/GeoJSON file or a GeoDataFrame (any
            CRS; points, or polygons at their centroid) with a ``category``
            column and optional ``name``, ``id``, ``capacity`` (the CLI's
            column names and aliases). Rows are named ``row <position>`` in
            messages and ``row-<position>`` when they have no id.
        homes : path or GeoDataFrame, optional
            Your own homes (optional ``population`` and ``id``).
        districts : path, int or GeoDataFrame, optional
            District polygons (a GeoJSON file or a GeoDataFrame named by
            ``district_key``), or an ``admin_level`` of the extract's
            boundaries (the network must be built with ``admin_boundaries=True``).
        targets : path, optional
            Policy targets TOML checked per district (default: the built-in
            Tianjin 2025 table).
        crs : {"wgs84", "gcj02", "bd09"} or dict
            Coordinate system of ``facilities`` and ``homes`` (a dict gives
            each its own: ``{"facilities": "gcj02"}``). A GCJ-02/BD-09
            GeoDataFrame holds longitude/latitude in that datum.
        facilities_mode : {"add", "replace"}
            Add yours to OSM's, or replace OSM's in each category yours have.
        homes_mode : {"replace", "add"}
            Yours replace OSM's homes, or are added to them.
        skip_bad_rows : bool
            Skip (and count in the summary) bad rows instead of raising.
        district_key : str
            The property naming a district.
        k_nearest : int
            Districts: mean time to the k nearest facilities of each category.
        isochrones : bool
            Also draw every facility's service area per threshold and each
            category's coverage area (``buffer_m``, ``simplify_m``, ``category``).
        threads : int, optional
            Worker threads (default: one per core).
        progress : bool
            Show progress as tqdm bars (when tqdm is installed).

        Raises
        ------
        FileNotFoundError
            A file given is missing.
        ValueError
            Bad input or parameters, with the CLI's message.
        KeyboardInterrupt
            On Ctrl-C (the run finishes in the background, its result dropped).

        Examples
        --------
        >>> net = lifecircle.Network(progress=False)
        >>> run = net.analyze(minutes=10, progress=False)
        >>> run.summary["parameters"]["minutes"]
        10.0
        >>> net.analyze(minutes=0, progress=False)
        Traceback (most recent call last):
        ValueError: --minutes: 0 is not in (0, 600]
        """
        facilities_crs = _crs_of(crs, "facilities")
        homes_crs = _crs_of(crs, "homes")
        invocation = _invocation(
            minutes=minutes,
            tiers=tiers,
            facilities=facilities,
            homes=homes,
            districts=districts,
            targets=targets,
            crs=None if crs == "wgs84" else crs,
        )
        inner = self._inner.analyze(
            minutes=_minutes(minutes),
            tiers=tiers,
            facilities=_convert.points_arg(facilities, "facilities", facilities_crs),
            facilities_crs=facilities_crs,
            facilities_mode=facilities_mode,
            homes=_convert.points_arg(homes, "homes", homes_crs),
            homes_crs=homes_crs,
            homes_mode=homes_mode,
            skip_bad_rows=skip_bad_rows,
            districts=_convert.districts_arg(districts, district_key),
            district_key=district_key,
            k_nearest=k_nearest,
            targets=None if targets is None else os.fspath(targets),
            isochrones=isochrones,
            buffer_m=buffer_m,
            simplify_m=simplify_m,
            category=category,
            threads=threads,
            progress=_progress.driver(progress),
            invocation=invocation,
        )
        run = Analysis(inner, threads=threads)
        _warn(run.summary.get("notes", []))
        return run


def analyze(
    pbf: Optional[PathLike] = None,
    *,
    minutes: Optional[Minutes] = None,
    tiers: Optional[str] = None,
    profile: str = "adult",
    facilities: Any = None,
    homes: Any = None,
    districts: Any = None,
    taxonomy: Optional[PathLike] = None,
    targets: Optional[PathLike] = None,
    threads: Optional[int] = None,
    crs: Crs = "wgs84",
    facilities_mode: str = "add",
    homes_mode: str = "replace",
    skip_bad_rows: bool = False,
    district_key: str = "name",
    k_nearest: int = 1,
    isochrones: bool = False,
    buffer_m: float = 50.0,
    simplify_m: Optional[float] = None,
    category: Optional[str] = None,
    speed_kmh: Optional[float] = None,
    max_snap_m: float = 500.0,
    min_component_nodes: int = 500,
    snap: str = "edge",
    progress: bool = True,
    tile: Optional[PathLike] = None,
    reach_minutes: Optional[float] = None,
) -> "Analysis":
    """Analyse an extract: ``lifecircle analyze`` as a function.

    ``Network(pbf, profile=..., ...).analyze(minutes=..., ...)`` in one call;
    see :class:`Network` and :meth:`Network.analyze` for the parameters.
    With no arguments it runs on the bundled extract of Liechtenstein.

    Examples
    --------
    >>> run = lifecircle.analyze(minutes=[5, 10, 15], progress=False)
    >>> run.summary["categories"][0]["key"], run.summary["categories"][0]["homes_covered"]
    ('grocery', 9205)
    >>> sorted(c for c in run.homes.columns if c.startswith("grocery"))[:3]
    ['grocery_count', 'grocery_count_10', 'grocery_count_15']
    """
    network = Network(
        pbf,
        profile=profile,
        taxonomy=taxonomy,
        speed_kmh=speed_kmh,
        max_snap_m=max_snap_m,
        min_component_nodes=min_component_nodes,
        snap=snap,
        admin_boundaries=isinstance(districts, int) and not isinstance(districts, bool),
        threads=threads,
        progress=progress,
        tile=tile,
        reach_minutes=reach_minutes,
    )
    return network.analyze(
        minutes=minutes,
        tiers=tiers,
        facilities=facilities,
        homes=homes,
        districts=districts,
        targets=targets,
        crs=crs,
        facilities_mode=facilities_mode,
        homes_mode=homes_mode,
        skip_bad_rows=skip_bad_rows,
        district_key=district_key,
        k_nearest=k_nearest,
        isochrones=isochrones,
        buffer_m=buffer_m,
        simplify_m=simplify_m,
        category=category,
        threads=threads,
        progress=progress,
    )



def merge_summaries(summaries: Sequence[Union[Mapping[str, Any], PathLike]]) -> dict:
    """Merge the summaries of every tile run of one ``lifecircle prepare``
    into the whole run's summary, as ``lifecircle merge``: from counts,
    population sums and exact histograms of nearest times (never by
    averaging shares), so the numbers are those of the whole extract analysed
    with the prepare's ``reach_minutes`` (timings are summed).

    ``summaries``: ``Analysis.summary`` dicts of tile runs, paths of their
    ``summary.json``, or folders holding one. Every tile must be there once.
    """
    import json

    named = []
    for i, item in enumerate(summaries):
        if isinstance(item, Mapping):
            named.append((f"summary {i}", json.dumps(item)))
            continue
        path = os.fspath(item)
        if os.path.isdir(path):
            path = os.path.join(path, "summary.json")
        with open(path, encoding="utf-8") as f:
            named.append((path, f.read()))
    return json.loads(_lifecircle.merge_summaries(named))


def merge_tiles(summaries: Sequence[PathLike], out: PathLike, formats: Sequence[str] = ("geojson",)) -> dict:
    """``lifecircle merge``: the tile runs' summaries (paths of their
    ``summary.json``, or folders holding one) merged into the whole run's
    ``summary.json`` and, when the tiles were analysed with ``districts=<file>``
    or ``h3=``, its district levels, policy targets and hexagons, written into
    ``out`` in ``formats`` (``geojson``, ``parquet``, ``fgb``) as ``analyze``
    writes them: merged from per-district counts, exact population sums and
    time histograms, so they are the whole extract's, byte for byte.
    Returns the merged summary.
    """
    import json

    paths = []
    for item in summaries:
        path = os.fspath(item)
        paths.append(os.path.join(path, "summary.json") if os.path.isdir(path) else path)
    return json.loads(_lifecircle.merge_tiles(paths, os.fspath(out), ",".join(formats)))


# Shown as lifecircle.Analysis / lifecircle.Sites / lifecircle.LifecircleWarning.
for _cls in (Analysis, Sites, LifecircleWarning):
    _cls.__module__ = __name__
