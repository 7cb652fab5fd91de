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

import functools
import json
import os
import warnings
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from . import _convert, _lifecircle, _progress

__all__ = [
    "Analysis",
    "LifecircleWarning",
    "Network",
    "Sites",
    "analyze",
    "__version__",
]

__version__: str = _lifecircle.__version__

PathLike = Union[str, "os.PathLike[str]"]
Minutes = Union[float, Sequence[float]]
Crs = Union[str, Mapping[str, str]]


class LifecircleWarning(UserWarning):
    """A note on a run: what the CLI prints as ``lifecircle: note: ...`` (empty
    categories, facilities or homes far from any walkable way, ...)."""


def _warn(notes: Sequence[str]) -> None:
    for note in notes:
        warnings.warn(note, LifecircleWarning, stacklevel=3)


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
    taxonomy : path, optional
        A taxonomy TOML replacing the built-in service categories.
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

    def __repr__(self) -> str:
        nodes, edges = self.graph_size
        return f"<lifecircle.Network {self.pbf}: {nodes} junctions, {edges} edges, profile {self.profile}>"

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


class Analysis:
    """The results of one run: layers as GeoDataFrames (EPSG:4326), the
    summary, and what can be asked of the run afterwards (service areas, H3
    hexagons, sites, the HTML report, a run folder).

    The layers have the columns, types and values of the files the CLI
    writes (``coverage``, ``facilities``, ``districts``, ``isochrones``,
    ``coverage_areas``, ``hexagons``); see the README for each column.
    """

    def __init__(self, inner: "_lifecircle.Run", *, threads: Optional[int] = None) -> None:
        self._inner = inner
        self._threads = threads

    def __repr__(self) -> str:
        s = self.summary
        return f"<lifecircle.Analysis {s['inputs']['pbf']}: {s['homes']['total']} homes, {sum(s['facilities'].values())} facilities>"

    def _repr_markdown_(self) -> str:
        return "```text\n" + self.summary_text + "```\n"

    def _layer(self, name: str) -> Any:
        stream = self._inner.layer(name)
        return None if stream is None else _convert.geodataframe(stream)

    @functools.cached_property
    def homes(self) -> Any:
        """One Point per home: ``id``, ``population``, ``snap_m``,
        ``reachable``, per category ``<cat>_min``, ``<cat>_nearest``,
        ``<cat>_count``, ``<cat>_ok`` (and per threshold, capacity access),
        ``categories_ok``, ``complete`` (the CLI's ``coverage`` layer)."""
        return self._layer("coverage")

    @functools.cached_property
    def facilities(self) -> Any:
        """One Point per facility and category: ``id``, ``category``,
        ``name``, ``source``, ``reachable`` (and capacities when given)."""
        return self._layer("facilities")

    @functools.cached_property
    def districts(self) -> Any:
        """One MultiPolygon per district with its statistics and one
        ``pass_<rule>`` column per policy target; None without districts."""
        return self._layer("districts")

    @functools.cached_property
    def district_table(self) -> Any:
        """The districts' statistics as a DataFrame with the ``(outside)``
        row (``districts.csv``); None without districts."""
        import pandas as pd

        table = self._layer("district_table")
        return None if table is None else pd.DataFrame(table.drop(columns="geometry"))

    @functools.cached_property
    def summary(self) -> Dict[str, Any]:
        """The run's summary, as ``summary.json`` has it."""
        return json.loads(self._inner.summary_json())

    @property
    def summary_text(self) -> str:
        """The summary table as ``lifecircle analyze`` prints it."""
        return self._inner.summary_text()

    @property
    def categories(self) -> List[str]:
        """The service categories' keys, in taxonomy order."""
        return self._inner.categories

    @property
    def thresholds(self) -> Dict[str, List[str]]:
        """Each category's threshold labels (``"15"``, or ``"300m"`` for a tier)."""
        return dict(zip(self._inner.categories, self._inner.thresholds))

    @property
    def table(self) -> Any:
        """Per category: facilities, homes covered, shares, median minutes (a DataFrame)."""
        import pandas as pd

        rows = [
            {
                "category": c["key"],
                "facilities": c["facilities"],
                "covered": c["homes_covered"],
                "share": c["share_covered"],
                "pop_share": c["share_covered_population"],
                "median_min": c["median_min"],
            }
            for c in self.summary["categories"]
        ]
        return pd.DataFrame(rows).set_index("category")

    def hexagons(self, res: int = 9) -> Any:
        """Homes aggregated to the H3 cells of resolution ``res`` (0-15; 9 is
        about 0.1 km² per cell), one MultiPolygon per cell holding homes with
        every district statistic (the CLI's ``--h3 RES`` layer).

        >>> run = lifecircle.analyze(progress=False)
        >>> int(run.hexagons(8)["homes"].sum())
        13748
        """
        if self._inner.hexagon_resolution != res:
            self._inner.compute_hexagons(res, threads=self._threads)
        return self._layer("hexagons")

    def _service_areas(self, category: Optional[str], buffer_m: float, simplify_m: Optional[float], progress: bool) -> None:
        simplify = min(2.0, buffer_m / 4.0) if simplify_m is None else simplify_m
        if self._inner.isochrone_options != (buffer_m, simplify, category):
            self._inner.compute_isochrones(
                buffer_m=buffer_m,
                simplify_m=simplify_m,
                category=category,
                threads=self._threads,
                progress=_progress.driver(progress),
            )

    def isochrones(
        self,
        category: Optional[str] = None,
        *,
        buffer_m: float = 50.0,
        simplify_m: Optional[float] = None,
        progress: bool = True,
    ) -> Any:
        """Every facility's walking service area per threshold (of
        ``category`` only, when given): the ground within ``buffer_m`` of the
        network reached from it (the CLI's ``isochrones`` layer).

        >>> run = lifecircle.analyze(minutes=[5, 10, 15], progress=False)
        >>> areas = run.isochrones("grocery", progress=False)
        >>> sorted(areas["threshold"].unique().tolist())
        [5.0, 10.0, 15.0]
        """
        self._service_areas(category, buffer_m, simplify_m, progress)
        return self._layer("isochrones")

    def coverage_areas(
        self,
        category: Optional[str] = None,
        *,
        buffer_m: float = 50.0,
        simplify_m: Optional[float] = None,
        progress: bool = True,
    ) -> Any:
        """Each category's coverage area per threshold: the union of its
        facilities' service areas (the CLI's ``coverage_areas`` layer)."""
        self._service_areas(category, buffer_m, simplify_m, progress)
        return self._layer("coverage_areas")

    def site(
        self,
        category: str,
        add: int = 5,
        candidates: Any = None,
        *,
        crs: str = "wgs84",
        candidate_spacing_m: float = 100.0,
        objective: str = "coverage",
        capacity: Optional[float] = None,
        progress: bool = True,
    ) -> "Sites":
        """Where to build the next ``add`` facilities of ``category`` to cover
        the most people (``lifecircle site``).

        ``candidates`` are your candidate sites (a CSV/GeoJSON file or a
        GeoDataFrame with an optional ``id``); by default, network nodes near
        uncovered homes, one per ``candidate_spacing_m`` grid cell.
        ``objective="mean-time"`` lowers the mean walking time instead.

        >>> run = lifecircle.analyze(progress=False)
        >>> plan = run.site("elder_canteen", add=3, progress=False)
        >>> len(plan.sites), plan.sites["rank"].tolist()
        (3, [1, 2, 3])
        """
        inner = self._inner.site(
            category,
            add=add,
            candidates=_convert.points_arg(candidates, "candidates", crs),
            candidates_crs=crs,
            candidate_spacing_m=candidate_spacing_m,
            objective=objective,
            capacity=capacity,
            threads=self._threads,
            progress=_progress.driver(progress),
        )
        sites = Sites(inner)
        _warn(inner.notes())
        return sites

    def report(self, path: PathLike, *, hexagons_above: int = 50_000, hexagon_resolution: int = 9) -> str:
        """Writes the self-contained HTML report (map, legend, summary,
        policy checks; opens offline) to ``path`` and returns the path."""
        html = self._inner.report_html(hexagons_above=hexagons_above, hexagon_resolution=hexagon_resolution)
        path = os.fspath(path)
        with open(path, "w", encoding="utf-8") as f:
            f.write(html)
        return path

    def map_png(
        self,
        path: Optional[PathLike] = None,
        *,
        width: int = 1600,
        height: int = 1200,
        lang: str = "en",
        colour_by: Optional[str] = None,
        bbox: Optional[Sequence[float]] = None,
    ) -> bytes:
        """The coverage map as PNG bytes (``lifecircle map --png``), also
        written to ``path`` when given. ``IPython.display.Image(run.map_png())``
        shows it in a notebook."""
        png = self._inner.map_png(
            width=width, height=height, lang=lang, colour_by=colour_by, bbox=None if bbox is None else list(bbox)
        )
        if path is not None:
            with open(os.fspath(path), "wb") as f:
                f.write(png)
        return png

    def write(self, folder: PathLike, *, formats: Sequence[str] = ("geojson",), report: bool = False, progress: bool = True) -> str:
        """Writes the run into ``folder`` as ``lifecircle analyze --out`` does:
        its layers in ``formats`` (any of geojson, parquet, fgb), QGIS styles,
        district tables, ``summary.json`` and ``run.json``, all at once (a
        folder holds one run: files of an earlier run there are replaced)."""
        folder = os.fspath(folder)
        self._inner.write(folder, formats=",".join(formats), report=report, progress=_progress.driver(progress))
        return folder

    def to_parquet(self, folder: PathLike, *, report: bool = False) -> str:
        """:meth:`write` with every layer as GeoParquet 1.1."""
        return self.write(folder, formats=("parquet",), report=report)


class Sites:
    """A site plan: the picks, in order, with what each adds."""

    def __init__(self, inner: "_lifecircle.Sites") -> None:
        self._inner = inner

    def __repr__(self) -> str:
        return f"<lifecircle.Sites {len(self.sites)} {self.category} sites of {self.candidates} candidates>"

    def _repr_markdown_(self) -> str:
        return self.markdown

    @property
    def category(self) -> str:
        """The category the sites are of."""
        return self._inner.category

    @property
    def candidates(self) -> int:
        """How many candidate sites were considered."""
        return self._inner.candidates

    @functools.cached_property
    def sites(self) -> Any:
        """One Point per pick: ``rank``, ``id``, ``category``,
        ``homes_gained``, ``population_gained``, ``population_covered``."""
        return _convert.geodataframe(self._inner.layer())

    @property
    def before_after(self) -> Any:
        """Per threshold, the category's coverage before and after the picks (a DataFrame)."""
        import pandas as pd

        return pd.DataFrame(json.loads(self._inner.before_after_json()))

    @property
    def markdown(self) -> str:
        """``sites.md``: the picks and coverage before and after."""
        return self._inner.markdown()

    def report(self, path: PathLike, *, hexagons_above: int = 50_000, hexagon_resolution: int = 9) -> str:
        """Writes the HTML report with the sites (``sites.html``) to ``path``."""
        html = self._inner.report_html(hexagons_above=hexagons_above, hexagon_resolution=hexagon_resolution)
        path = os.fspath(path)
        with open(path, "w", encoding="utf-8") as f:
            f.write(html)
        return path

    def write(self, folder: PathLike, *, formats: Sequence[str] = ("geojson",)) -> str:
        """Writes the plan into ``folder`` as ``lifecircle site --out`` does."""
        folder = os.fspath(folder)
        self._inner.write(folder, formats=",".join(formats))
        return folder

    def to_parquet(self, folder: PathLike) -> str:
        """:meth:`write` as GeoParquet 1.1."""
        return self.write(folder, formats=("parquet",))
