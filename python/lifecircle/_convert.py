"""GeoDataFrames in and out of the Rust core, without files.

In: a GeoDataFrame of points (or polygons, taken at their centroid by the
core) becomes a :class:`lifecircle._lifecircle.Table`: coordinates of points,
2D WKB of polygons, and the values of the columns that name a field. A
GeoDataFrame of districts becomes GeoJSON text in memory, read by the same
reader as a districts file. Out: a layer comes as an Arrow C stream
(``__arrow_c_stream__``) and becomes a GeoDataFrame through
``geopandas.GeoDataFrame.from_arrow``.
"""

from __future__ import annotations

import os
from typing import Any, Optional, Union

import numpy as np
import pandas as pd
import shapely

from . import _lifecircle

# shapely's geometry type ids.
_POINT, _POLYGON, _MULTIPOLYGON = 0, 3, 6

PathLike = Union[str, "os.PathLike[str]"]


def _is_geodataframe(value: Any) -> bool:
    import geopandas as gpd

    return isinstance(value, gpd.GeoDataFrame)


def _to_lonlat(gdf: Any, what: str, crs: str) -> Any:
    """The GeoDataFrame in longitude/latitude.

    With ``crs="wgs84"`` it is reprojected to EPSG:4326 (a GeoDataFrame
    without a CRS is taken as longitude/latitude). GCJ-02 and BD-09 have no
    EPSG code: such a GeoDataFrame must hold longitude/latitude in that datum
    (no CRS, or a geographic one), which the core converts as it converts a
    file's points.
    """
    if gdf.crs is None:
        return gdf
    if crs.strip().lower().replace("-", "") != "wgs84":
        if not gdf.crs.is_geographic:
            raise ValueError(
                f"{what}: with crs={crs!r} the GeoDataFrame must hold longitude/latitude in that datum, "
                f"but its CRS is {gdf.crs.to_string()} (projected)"
            )
        return gdf
    if gdf.crs.equals("EPSG:4326", ignore_axis_order=True):
        return gdf
    return gdf.to_crs(4326)


def _values(series: pd.Series) -> list:
    """A column's values as Python objects, missing ones (NaN, NA, None) as None."""
    return series.astype(object).where(series.notna(), None).tolist()


def points_table(gdf: Any, what: str, crs: str) -> "_lifecircle.Table":
    """A GeoDataFrame's rows as points for the core (see the module's doc)."""
    gdf = _to_lonlat(gdf, what, crs)
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    n = len(geoms)
    kinds = shapely.get_type_id(geoms).astype(np.int64)
    kinds[shapely.is_empty(geoms)] = -1
    xs = np.full(n, np.nan)
    ys = np.full(n, np.nan)
    points = kinds == _POINT
    if points.any():
        xs[points] = shapely.get_x(geoms[points])
        ys[points] = shapely.get_y(geoms[points])
    wkb: list = [None] * n
    polygonal = np.flatnonzero((kinds == _POLYGON) | (kinds == _MULTIPOLYGON))
    if len(polygonal):
        blobs = shapely.to_wkb(geoms[polygonal], output_dimension=2, byte_order=1, flavor="iso")
        for i, blob in zip(polygonal.tolist(), blobs.tolist()):
            wkb[i] = blob
    geometry_name = gdf.geometry.name
    names = [c for c in gdf.columns if c != geometry_name]
    used = set(_lifecircle.field_columns([str(c) for c in names]))
    columns = [(str(c), _values(gdf[c]) if i in used else None) for i, c in enumerate(names)]
    return _lifecircle.Table(
        f"{what} (GeoDataFrame)", kinds.tolist(), xs.tolist(), ys.tolist(), wkb, columns
    )


def points_arg(value: Any, what: str, crs: str) -> Optional[Union[str, "_lifecircle.Table"]]:
    """``facilities=`` / ``homes=`` / ``candidates=``: a path, or a GeoDataFrame made a table."""
    if value is None:
        return None
    if _is_geodataframe(value):
        return points_table(value, what, crs)
    if isinstance(value, pd.DataFrame):
        raise TypeError(
            f"{what}: a DataFrame without geometry; make it a GeoDataFrame, e.g. "
            "geopandas.GeoDataFrame(df, geometry=geopandas.points_from_xy(df.lon, df.lat), crs=4326)"
        )
    if isinstance(value, (str, os.PathLike)):
        return os.fspath(value)
    raise TypeError(f"{what}: expected a path or a GeoDataFrame, not {type(value).__name__}")


def districts_arg(value: Any, key: str) -> Optional[Union[str, int, bytes]]:
    """``districts=``: a path, an ``admin_level``, or a GeoDataFrame as GeoJSON text."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError("districts: expected a path, an admin_level (int) or a GeoDataFrame")
    if isinstance(value, (int, np.integer)):
        return int(value)
    if _is_geodataframe(value):
        gdf = _to_lonlat(value, "districts", "wgs84")
        geometry_name = gdf.geometry.name
        if key in gdf.columns:
            keep = [key]
        else:
            # Let the core name the properties found when the key is missing.
            keep = [
                c
                for c in gdf.columns
                if c != geometry_name
                and (pd.api.types.is_string_dtype(gdf[c]) or pd.api.types.is_numeric_dtype(gdf[c]))
            ]
        return gdf[keep + [geometry_name]].to_json(drop_id=False).encode("utf-8")
    if isinstance(value, (str, os.PathLike)):
        return os.fspath(value)
    raise TypeError(f"districts: expected a path, an admin_level (int) or a GeoDataFrame, not {type(value).__name__}")


def geodataframe(stream: Any) -> Any:
    """A layer's Arrow stream as a GeoDataFrame (EPSG:4326)."""
    import geopandas as gpd

    return gpd.GeoDataFrame.from_arrow(stream)


def describe(value: Any) -> str:
    """An argument as the run's manifest records it."""
    if _is_geodataframe(value):
        return f"<GeoDataFrame of {len(value)} rows>"
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return repr(value)
