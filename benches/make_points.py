#!/usr/bin/env python3
"""Large user point files for the coverage and siting benchmarks.

Points are jittered (uniformly, up to --jitter-m metres east and north) around
the points of a GeoJSON file, by default the homes of a run on the bundled
extract (its coverage.geojson), with a fixed seed, so the same command always
writes the same file:

    lifecircle analyze --out /tmp/lc-points-base --quiet
    python3 benches/make_points.py facilities 1000000 /tmp/lc-F.csv   # lon,lat,category (grocery)
    python3 benches/make_points.py homes      1000000 /tmp/lc-H.csv   # lon,lat,population
    python3 benches/make_points.py candidates   10000 /tmp/lc-C.csv   # id,lon,lat

Options: --from FILE (GeoJSON points; default /tmp/lc-points-base/coverage.geojson),
--category KEY (facilities; default grocery), --capacity (facilities: add a
capacity column), --jitter-m M (default 60), --seed N (default 20240301).
"""
import argparse
import json
import math
import random
import sys


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("kind", choices=["facilities", "homes", "candidates"])
    p.add_argument("n", type=int)
    p.add_argument("out")
    p.add_argument("--from", dest="src", default="/tmp/lc-points-base/coverage.geojson")
    p.add_argument("--category", default="grocery")
    p.add_argument("--capacity", action="store_true")
    p.add_argument("--jitter-m", type=float, default=60.0)
    p.add_argument("--seed", type=int, default=20240301)
    a = p.parse_args()
    with open(a.src) as f:
        base = [ft["geometry"]["coordinates"] for ft in json.load(f)["features"] if ft["geometry"]["type"] == "Point"]
    if not base:
        sys.exit(f"no points in {a.src}")
    rng = random.Random(a.seed)
    m_per_deg = 6371008.8 * math.pi / 180.0
    with open(a.out, "w") as out:
        out.write({"facilities": "lon,lat,category" + (",capacity" if a.capacity else ""),
                   "homes": "lon,lat,population", "candidates": "id,lon,lat"}[a.kind] + "\n")
        for i in range(a.n):
            lon, lat = base[rng.randrange(len(base))]
            dx, dy = (rng.uniform(-a.jitter_m, a.jitter_m) for _ in range(2))
            lon += dx / (m_per_deg * math.cos(math.radians(lat)))
            lat += dy / m_per_deg
            if a.kind == "facilities":
                row = f"{lon:.7f},{lat:.7f},{a.category}" + (f",{rng.randint(10, 500)}" if a.capacity else "")
            elif a.kind == "homes":
                row = f"{lon:.7f},{lat:.7f},{rng.randint(1, 6)}"
            else:
                row = f"C{i},{lon:.7f},{lat:.7f}"
            out.write(row + "\n")


if __name__ == "__main__":
    main()
