"""The worker side of :mod:`lifecircle.distributed`: one tile or region
analysed by the Rust core, its coverage partition and summary published
atomically, and what the client needs back (the summary's sums and counts,
timings, the worker's peak memory).

Kept apart from ``distributed.py`` so a worker imports only this and the
package, never dask's client side.
"""

from __future__ import annotations

import os
import resource
import shutil
import time
import uuid
import warnings
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional

PARTITIONS = "coverage"
"""The folder of ``out`` holding the hive-partitioned coverage layer."""
SUMMARIES = "summaries"
"""The folder of ``out`` holding one ``summary.json`` per task."""
STAGING = ".staging"
"""Where tasks write before publishing (same file system as ``out``; readers skip dot folders)."""


@dataclass(frozen=True)
class Part:
    """One task's input: a tile of ``lifecircle prepare`` or a region's PBF."""

    kind: str
    """``"tile"`` or ``"region"``: the hive partition key."""
    name: str
    """The tile id or region name: the partition value."""
    path: str
    """The tile (absolute path) or the PBF (absolute path)."""
    bytes: int
    """The input's size, to schedule the largest first."""

    @property
    def partition(self) -> str:
        """``tile=<id>`` or ``region=<name>``."""
        return f"{self.kind}={self.name}"


def partition_file(out: str, part: Part) -> str:
    """``out/coverage/<kind>=<name>/part-0.parquet``."""
    return os.path.join(out, PARTITIONS, part.partition, "part-0.parquet")


def summary_file(out: str, part: Part) -> str:
    """``out/summaries/<kind>=<name>.json``."""
    return os.path.join(out, SUMMARIES, part.partition + ".json")


def fsync_dir(folder: str) -> None:
    """Makes a rename in ``folder`` durable (where the platform allows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def publish(src: str, dst: str) -> None:
    """Moves the finished file ``src`` to ``dst`` atomically: flushed to disk
    first, then renamed over any earlier ``dst`` (a retried task overwrites
    the same name, so readers see the old file or the new one, never a part)."""
    folder = os.path.dirname(dst)
    os.makedirs(folder, exist_ok=True)
    with open(src, "rb") as f:
        os.fsync(f.fileno())
    os.replace(src, dst)
    fsync_dir(folder)


def write_atomic(path: str, text: str) -> None:
    """Writes ``text`` to ``path`` through a temporary name in the same folder."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    fsync_dir(folder)


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, MB (``getrusage``; on a
    worker: the worker process's peak over every task it ran)."""
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024.0


def _worker_address() -> Optional[str]:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return None


def run_part(part: Part, out: str, options: Mapping[str, Any], threads: int) -> Dict[str, Any]:
    """Analyses one part with the package (the Rust core) and publishes its
    coverage layer and summary; returns the summary and the task's figures.

    Runs on a Dask worker; a rerun (Dask retrying after a lost worker) redoes
    the same work and replaces the same two files.
    """
    import lifecircle

    start = time.perf_counter()
    with warnings.catch_warnings():
        # The notes are in the summary; the client reports the merged run's.
        warnings.simplefilter("ignore", lifecircle.LifecircleWarning)
        if part.kind == "tile":
            analysis = lifecircle.analyze(tile=part.path, threads=threads, progress=False, **options)
        else:
            analysis = lifecircle.analyze(part.path, threads=threads, progress=False, **options)
    analyze_s = time.perf_counter() - start
    staging = os.path.join(out, STAGING, f"{part.partition}.{os.getpid()}.{uuid.uuid4().hex}")
    try:
        analysis.write(staging, formats=("parquet",), progress=False)
        publish(os.path.join(staging, "summary.json"), summary_file(out, part))
        publish(os.path.join(staging, "coverage.parquet"), partition_file(out, part))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    summary = analysis.summary
    return {
        "kind": part.kind,
        "name": part.name,
        "summary": summary,
        "homes": summary["homes"]["total"],
        "seconds": time.perf_counter() - start,
        "analyze_s": analyze_s,
        "peak_rss_mb": peak_rss_mb(),
        "worker": _worker_address(),
        "pid": os.getpid(),
    }
