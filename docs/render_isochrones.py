#!/usr/bin/env python3
"""Render lifecircle's isochrones.geojson to a PNG for a visual check.

    cargo run --release -- isochrones --minutes 5,10,15 --out out
    python3 docs/render_isochrones.py out docs/isochrones.png [FACILITY_ID]

Needs matplotlib (pip install matplotlib). Left: one facility's 5/10/15-minute
service areas over the homes; right: the grocery coverage area at 15 minutes.
Map data (c) OpenStreetMap contributors, ODbL.
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Polygon  # noqa: E402

out, png = sys.argv[1], sys.argv[2]
iso = json.load(open(f"{out}/isochrones.geojson"))["features"]
homes = [f["geometry"]["coordinates"] for f in json.load(open(f"{out}/coverage.geojson"))["features"]]
fid = sys.argv[3] if len(sys.argv) > 3 else next(f["properties"]["facility_id"] for f in iso if "facility_id" in f["properties"])
colours = {5: "#1a9850", 10: "#fdae61", 15: "#d73027"}


def draw(ax, feature, colour):
    for poly in feature["geometry"]["coordinates"]:
        ax.add_patch(Polygon(poly[0], closed=True, fc=colour, ec="#333333", lw=0.4, alpha=0.55))
        for hole in poly[1:]:
            ax.add_patch(Polygon(hole, closed=True, fc="white", ec="#333333", lw=0.4))


fig, axes = plt.subplots(1, 2, figsize=(14, 7))
mine = [f for f in iso if f["properties"].get("facility_id") == fid]
for f in sorted(mine, key=lambda f: -f["properties"]["minutes"]):
    draw(axes[0], f, colours.get(round(f["properties"]["minutes"]), "#999999"))
xs = [p[0] for f in mine for poly in f["geometry"]["coordinates"] for p in poly[0]]
ys = [p[1] for f in mine for poly in f["geometry"]["coordinates"] for p in poly[0]]
axes[0].scatter([h[0] for h in homes], [h[1] for h in homes], s=0.4, c="black")
axes[0].set_xlim(min(xs) - 0.003, max(xs) + 0.003)
axes[0].set_ylim(min(ys) - 0.002, max(ys) + 0.002)
axes[0].set_title(f"{fid}: 5 / 10 / 15 min walking service areas (buffer 50 m)")
for f in iso:
    if f["properties"].get("kind") == "grocery_coverage" and round(f["properties"]["minutes"]) == 15:
        draw(axes[1], f, "#d73027")
axes[1].scatter([h[0] for h in homes], [h[1] for h in homes], s=0.1, c="black")
axes[1].autoscale()
axes[1].set_title("grocery coverage area, 15 min")
for ax in axes:
    ax.set_aspect(1 / 0.68)
    ax.set_xlabel("lon")
    ax.set_ylabel("lat")
fig.text(0.99, 0.01, "© OpenStreetMap contributors, ODbL", ha="right", fontsize=8)
plt.tight_layout()
plt.savefig(png, dpi=80)
