"""Type stubs of the native module ``lifecircle._lifecircle`` (PyO3).

Glue only: use the package's ``lifecircle.analyze``, ``lifecircle.Network``,
``lifecircle.Analysis`` and ``lifecircle.Sites``, which wrap these.
"""

from os import PathLike
from typing import Any, Callable, List, Optional, Sequence, Tuple, Union

__version__: str
BUILTIN_PBF_NAME: str

_Path = Union[str, PathLike[str]]
_Progress = Optional[Callable[[Optional[str], int, Optional[int]], Any]]

class ArrowStream:
    """A layer's rows as Arrow record batches (the Arrow PyCapsule stream interface)."""

    def __arrow_c_stream__(self, requested_schema: Optional[object] = None) -> object: ...
    @property
    def name(self) -> str: ...
    @property
    def columns(self) -> List[str]: ...
    def __len__(self) -> int: ...

class Table:
    """Points in memory (a GeoDataFrame's rows), read by the core as a file's rows."""

    def __init__(
        self,
        name: str,
        kinds: Sequence[int],
        xs: Sequence[float],
        ys: Sequence[float],
        wkb: Sequence[Optional[bytes]],
        columns: Sequence[Tuple[str, Optional[List[Any]]]],
    ) -> None: ...
    @property
    def name(self) -> str: ...
    def __len__(self) -> int: ...

class Network:
    """An extract read and its walking graph built once."""

    def __init__(
        self,
        pbf: Optional[_Path] = None,
        *,
        profile: str = "adult",
        taxonomy: Optional[_Path] = None,
        speed_kmh: Optional[float] = None,
        max_snap_m: float = 500.0,
        min_component_nodes: int = 500,
        snap: str = "edge",
        admin_boundaries: bool = False,
        threads: Optional[int] = None,
        progress: _Progress = None,
        tile: Optional[_Path] = None,
        reach_minutes: Optional[float] = None,
    ) -> None: ...
    def analyze(
        self,
        *,
        minutes: Optional[List[float]] = None,
        tiers: Optional[str] = None,
        facilities: Union[None, _Path, Table] = None,
        facilities_crs: str = "wgs84",
        facilities_mode: str = "add",
        homes: Union[None, _Path, Table] = None,
        homes_crs: str = "wgs84",
        homes_mode: str = "replace",
        skip_bad_rows: bool = False,
        districts: Union[None, _Path, int, bytes] = None,
        district_key: str = "name",
        k_nearest: int = 1,
        targets: Optional[_Path] = None,
        isochrones: bool = False,
        buffer_m: float = 50.0,
        simplify_m: Optional[float] = None,
        category: Optional[str] = None,
        threads: Optional[int] = None,
        progress: _Progress = None,
        invocation: List[str] = ...,
    ) -> Run: ...
    @property
    def pbf(self) -> str: ...
    @property
    def profile(self) -> str: ...
    @property
    def speed_kmh(self) -> float: ...
    @property
    def categories(self) -> List[str]: ...
    @property
    def graph_size(self) -> Tuple[int, int]: ...
    @property
    def osm_counts(self) -> Tuple[int, int]: ...
    @property
    def admin_levels(self) -> List[int]: ...
    @property
    def build_seconds(self) -> float: ...
    @property
    def reach_minutes(self) -> Optional[float]: ...
    @property
    def tile(self) -> Optional[str]: ...

class Run:
    """One finished analysis."""

    def layer(self, name: str) -> Optional[ArrowStream]: ...
    def summary_json(self) -> str: ...
    def summary_text(self) -> str: ...
    @property
    def categories(self) -> List[str]: ...
    @property
    def thresholds(self) -> List[List[str]]: ...
    @property
    def isochrone_options(self) -> Optional[Tuple[float, float, Optional[str]]]: ...
    @property
    def hexagon_resolution(self) -> Optional[int]: ...
    def compute_isochrones(
        self,
        *,
        buffer_m: float = 50.0,
        simplify_m: Optional[float] = None,
        category: Optional[str] = None,
        threads: Optional[int] = None,
        progress: _Progress = None,
    ) -> None: ...
    def compute_hexagons(self, resolution: int, *, threads: Optional[int] = None) -> None: ...
    def site(
        self,
        category: str,
        *,
        add: int,
        candidates: Union[None, _Path, Table] = None,
        candidates_crs: str = "wgs84",
        candidate_spacing_m: float = 100.0,
        objective: str = "coverage",
        capacity: Optional[float] = None,
        threads: Optional[int] = None,
        progress: _Progress = None,
    ) -> Sites: ...
    def report_html(self, *, hexagons_above: int = 50000, hexagon_resolution: int = 9) -> str: ...
    def map_png(
        self,
        *,
        width: int = 1600,
        height: int = 1200,
        lang: str = "en",
        colour_by: Optional[str] = None,
        bbox: Optional[Sequence[float]] = None,
    ) -> bytes: ...
    def write(self, folder: _Path, *, formats: str = "parquet", report: bool = False, progress: _Progress = None) -> None: ...

class Sites:
    """A site plan on a run."""

    def layer(self) -> ArrowStream: ...
    @property
    def category(self) -> str: ...
    @property
    def candidates(self) -> int: ...
    def markdown(self) -> str: ...
    def before_after_json(self) -> str: ...
    def notes(self) -> List[str]: ...
    def report_html(self, *, hexagons_above: int = 50000, hexagon_resolution: int = 9) -> str: ...
    def write(self, folder: _Path, *, formats: str = "parquet") -> None: ...

def field_columns(names: Sequence[str]) -> List[int]: ...
def rust_run_seconds(repeat: int = 1, threads: Optional[int] = None) -> List[float]: ...

def merge_summaries(summaries: List[Tuple[str, str]]) -> str: ...
def merge_tiles(paths: List[str], out: str, formats: str) -> str: ...
