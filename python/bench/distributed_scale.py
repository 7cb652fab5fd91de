"""The scale run of lifecircle.distributed: ``lifecircle prepare`` + Dask
(LocalCluster) against the single-process ``lifecircle analyze
--reach-minutes R`` on one large extract, with wall times, peak memory and a
check that both give the same numbers.

usage: python python/bench/distributed_scale.py PBF [--tile-km 5] [--reach 15]
       [--workers 2] [--work DIR] [--cli target/release/lifecircle] [--district-grid N]

With ``--district-grid N``, both runs also make district tables for an N x N
grid of boxes over the tiles' extent (``districts.csv`` must be equal byte
for byte).

Needs a release build of the CLI (``cargo build --release``) and of the
package (``cd python && maturin develop --release``), dask[distributed].
Prints a Markdown table on stdout; progress on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def timed(cmd):
    """Runs ``cmd`` under /usr/bin/time -v: (wall s, peak RSS MiB)."""
    print("$", " ".join(cmd), file=sys.stderr)
    start = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{cmd[0]} failed ({done.returncode}):\n{done.stderr}")
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))
    return wall, rss_kb / 1024.0


def box_grid(path, cores, n):
    """An n x n grid of boxes (``box-<i>``) over the union of the tiles' cores, as GeoJSON at ``path``."""
    w, s = min(c[0] for c in cores), min(c[1] for c in cores)
    e, north = max(c[2] for c in cores), max(c[3] for c in cores)
    dx, dy = (e - w) / n, (north - s) / n
    features = []
    for r in range(n):
        for c in range(n):
            x0, y0 = w + c * dx, s + r * dy
            ring = [[x0, y0], [x0 + dx, y0], [x0 + dx, y0 + dy], [x0, y0 + dy], [x0, y0]]
            features.append(
                {"type": "Feature", "properties": {"name": f"box-{r * n + c}"},
                 "geometry": {"type": "Polygon", "coordinates": [ring]}}
            )
    with open(path, "w") as f:
        json.dump({"type": "FeatureCollection", "features": features}, f)
    return path


def counts(summary):
    """What must agree between the whole run and the merge."""
    return {
        "homes": summary["homes"]["total"],
        "categories": [
            (c["key"], c["homes_covered"], c["population_covered"], c["median_min"], [t["homes"] for t in c["thresholds"]])
            for c in summary["categories"]
        ],
        "complete": summary["complete"]["homes"],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pbf")
    ap.add_argument("--tile-km", type=float, default=5.0)
    ap.add_argument("--reach", type=float, default=15.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--work", default=os.path.join(ROOT, "target", "scale", "work"))
    ap.add_argument("--cli", default=os.path.join(ROOT, "target", "release", "lifecircle"))
    ap.add_argument("--district-grid", type=int, default=0)
    a = ap.parse_args()

    from dask.distributed import Client, LocalCluster

    from lifecircle import distributed

    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    tiles, single, out = (os.path.join(a.work, n) for n in ("tiles", "single", "dask"))
    reach = str(a.reach)
    pbf_mb = os.path.getsize(a.pbf) / 1e6

    prepare_s, prepare_rss = timed(
        [a.cli, "prepare", "--pbf", a.pbf, "--tile-km", str(a.tile_km), "--reach-minutes", reach, "--out", tiles, "--quiet"]
    )
    manifest = json.load(open(os.path.join(tiles, "manifest.json")))
    options, district_args = {}, []
    if a.district_grid > 0:
        path = box_grid(os.path.join(a.work, "districts.geojson"), [t["core"] for t in manifest["tiles"]], a.district_grid)
        options = {"districts": path, "district_key": "name"}
        district_args = ["--districts", path, "--district-key", "name"]
    single_s, single_rss = timed(
        [a.cli, "analyze", "--pbf", a.pbf, "--reach-minutes", reach, "--out", single, "--format", "parquet", "--quiet",
         *district_args]
    )
    tile_bytes = sum(os.path.getsize(os.path.join(tiles, f)) for f in os.listdir(tiles))

    start = time.perf_counter()
    with LocalCluster(n_workers=a.workers, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        with Client(cluster) as client:
            started = time.perf_counter()
            result = distributed.run(tiles, client, out=out, reach_minutes=a.reach, **options)
    dask_s = result.seconds
    cluster_s = time.perf_counter() - start

    whole = json.load(open(os.path.join(single, "summary.json")))
    same = counts(whole) == counts(result.summary)
    if a.district_grid > 0:
        mine = open(os.path.join(out, distributed.TABLES, "districts.csv"), "rb").read()
        same = same and mine == open(os.path.join(single, "districts.csv"), "rb").read()
        same = same and whole["districts"] == result.summary["districts"]
    per_worker = sorted(result.peak_rss_mb.values())
    task_s = sorted(t["seconds"] for t in result.tasks)
    print(f"| extract | {os.path.basename(a.pbf)}: {pbf_mb:.1f} MB, {whole['homes']['total']:,} homes |")
    print("|---|---|")
    print(f"| single process `analyze --reach-minutes {reach}` | {single_s:.1f} s, peak RSS {single_rss:.0f} MiB |")
    print(
        f"| `prepare --tile-km {a.tile_km}` | {prepare_s:.1f} s ({pbf_mb / prepare_s:.1f} MB/s of PBF), peak RSS "
        f"{prepare_rss:.0f} MiB; {len(manifest['tiles'])} tiles ({manifest.get('skipped', 0)} empty cells skipped), "
        f"{tile_bytes / 1e6:.1f} MB of tiles |"
    )
    print(
        f"| Dask, {a.workers} workers x 1 thread | {dask_s:.1f} s for the run (cluster start and stop: "
        f"{cluster_s - dask_s:.1f} s more); per-worker peak RSS {', '.join(f'{m:.0f}' for m in per_worker)} MiB; "
        f"tasks {task_s[0]:.2f}-{task_s[-1]:.2f} s (median {task_s[len(task_s) // 2]:.2f} s) |"
    )
    print(f"| prepare + Dask | {prepare_s + dask_s:.1f} s |")
    tables = f" and {a.district_grid}x{a.district_grid} district tables" if a.district_grid > 0 else ""
    print(f"| merged summary{tables} equal the single run's (counts, population, medians) | {same} |")
    print(f"(cluster up in {started - start:.1f} s)", file=sys.stderr)
    if not same:
        print(json.dumps({"whole": counts(whole), "merged": counts(result.summary)}, indent=1), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
