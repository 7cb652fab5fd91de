#!/usr/bin/env python3
"""Render the picks of `lifecircle site` over the homes, for a visual check.

    cargo run --release -- site --category childcare --add 5 --out out-child
    cargo run --release -- site --category elder_canteen --add 5 --out out-elder
    cargo run --release -- analyze --out out
    python3 docs/render_sites.py out docs/sites.png out-child out-elder

Needs matplotlib. Homes are grey; existing facilities of the two categories
are small marks; the picks are numbered stars. Map data (c) OpenStreetMap
contributors, ODbL.
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

base, png, *plans = sys.argv[1:]
homes = [f["geometry"]["coordinates"] for f in json.load(open(f"{base}/coverage.geojson"))["features"]]
facilities = json.load(open(f"{base}/facilities.geojson"))["features"]
colours = ["#d95f02", "#1b9e77", "#7570b3", "#e7298a"]
fig, ax = plt.subplots(figsize=(7, 9))
ax.scatter([h[0] for h in homes], [h[1] for h in homes], s=0.3, c="#bbbbbb", label="homes")
for plan, colour in zip(plans, colours):
    picks = json.load(open(f"{plan}/sites.geojson"))["features"]
    category = picks[0]["properties"]["category"] if picks else plan
    have = [f["geometry"]["coordinates"] for f in facilities if f["properties"]["category"] == category]
    ax.scatter([p[0] for p in have], [p[1] for p in have], s=12, marker="o", facecolors="none", edgecolors=colour,
               label=f"{category}: existing")
    xs = [f["geometry"]["coordinates"][0] for f in picks]
    ys = [f["geometry"]["coordinates"][1] for f in picks]
    ax.scatter(xs, ys, s=160, marker="*", c=colour, edgecolors="black", linewidths=0.5, label=f"{category}: new sites")
    for f in picks:
        x, y = f["geometry"]["coordinates"]
        ax.annotate(str(f["properties"]["rank"]), (x, y), xytext=(5, 5), textcoords="offset points", fontsize=8)
ax.set_aspect(1 / 0.68)
ax.set_xlabel("lon")
ax.set_ylabel("lat")
ax.legend(loc="lower right", fontsize=8)
ax.set_title("Where to build: 5 childcare sites and 5 elder canteens")
fig.text(0.99, 0.01, "© OpenStreetMap contributors, ODbL", ha="right", fontsize=7)
plt.tight_layout()
plt.savefig(png, dpi=80)
