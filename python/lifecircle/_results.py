"""The results of a run: :class:`Analysis` and :class:`Sites`."""

from __future__ import annotations

import functools
import json
import os
from typing import Any, Dict, List, Optional, Sequence, Union

from . import _convert, _lifecircle, _progress
from ._notes import warn as _warn

PathLike = Union[str, "os.PathLike[str]"]


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
