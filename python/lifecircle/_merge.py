"""The total of disjoint regions' summaries from their sums and counts.

Used by :mod:`lifecircle.distributed` for regions (``lifecircle.merge_summaries``,
the Rust merge, is for the tiles of one ``prepare``: it checks them against
the whole run's facts). Shares are recomputed from the summed counts and
population sums, never averaged; what cannot be merged from a summary's sums
(medians, the median snapping distance) is ``None``. Population sums are
added with ``math.fsum`` (each region's is rounded to 3 decimals in its summary).
"""

from __future__ import annotations

import math
from typing import Any, Dict, List, Mapping, Sequence


def _share(part: float, whole: float) -> float:
    return part / whole if whole > 0 else 0.0


def _same(summaries: Sequence[Mapping[str, Any]], names: Sequence[str], what: str, get) -> Any:
    first = get(summaries[0])
    for s, name in zip(summaries[1:], names[1:]):
        if get(s) != first:
            raise ValueError(f"cannot merge: {what} of {name} ({get(s)!r}) differs from {names[0]}'s ({first!r})")
    return first


def merge_regions(summaries: Sequence[Mapping[str, Any]], names: Sequence[str]) -> Dict[str, Any]:
    """One summary for the union of disjoint regions (every home in one region).

    Counts and population sums add up; shares are sums over sums. ``names``
    label the regions in ``inputs.regions`` and in the notes. Fields that
    are not counts (``homes.home_rule``) are kept when every region has the
    same value, else ``None``.
    """
    if not summaries:
        raise ValueError("cannot merge: no summaries")
    parameters = dict(summaries[0]["parameters"])
    parameters.pop("threads", None)
    _same(summaries, names, "the parameters", lambda s: {k: v for k, v in s["parameters"].items() if k != "threads"})
    keys = _same(summaries, names, "the categories", lambda s: [c["key"] for c in s["categories"]])
    homes_total = sum(s["homes"]["total"] for s in summaries)
    population = math.fsum(s["homes"]["population"] for s in summaries)
    homes: Dict[str, Any] = {}
    for field, value in summaries[0]["homes"].items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            values = {repr(s["homes"].get(field)) for s in summaries}
            homes[field] = value if len(values) == 1 else None
        else:
            homes[field] = sum(s["homes"].get(field) or 0 for s in summaries)
    homes["median_snap_m"] = None
    categories: List[Dict[str, Any]] = []
    for c, key in enumerate(keys):
        parts = [s["categories"][c] for s in summaries]
        first = parts[0]
        covered = sum(p["homes_covered"] for p in parts)
        covered_pop = math.fsum(p["population_covered"] for p in parts)
        facilities = sum(p["facilities"] for p in parts)
        thresholds = []
        for t, threshold in enumerate(first["thresholds"]):
            n = sum(p["thresholds"][t]["homes"] for p in parts)
            pop = math.fsum(p["thresholds"][t]["population"] for p in parts)
            thresholds.append(
                {
                    "label": threshold["label"],
                    "minutes": threshold["minutes"],
                    "homes": n,
                    "share": _share(n, homes_total),
                    "population": pop,
                    "share_population": _share(pop, population),
                }
            )
        category = {k: v for k, v in first.items() if k in ("key", "label_en", "label_zh", "tier")}
        category.update(
            facilities=facilities,
            facilities_unreachable=sum(p["facilities_unreachable"] for p in parts),
            homes_covered=covered,
            share_covered=_share(covered, homes_total),
            population_covered=covered_pop,
            share_covered_population=_share(covered_pop, population),
            median_min=None,
            thresholds=thresholds,
            note="no facilities found" if facilities == 0 else None,
        )
        categories.append(category)
    complete_homes = sum(s["complete"]["homes"] for s in summaries)
    complete_pop = math.fsum(s["complete"]["population"] for s in summaries)
    facility_counts: Dict[str, int] = {}
    for s in summaries:
        for k, n in s["facilities"].items():
            facility_counts[k] = facility_counts.get(k, 0) + n
    first = summaries[0]
    return {
        "lifecircle_version": first["lifecircle_version"],
        "inputs": {
            "regions": [
                {"name": n, "pbf": s["inputs"]["pbf"], "pbf_bytes": s["inputs"]["pbf_bytes"]}
                for n, s in zip(names, summaries)
            ],
            "pbf_bytes": sum(s["inputs"]["pbf_bytes"] for s in summaries),
            "taxonomy": _same(summaries, names, "the taxonomy", lambda s: s["inputs"]["taxonomy"]),
            "profile": _same(summaries, names, "the profile", lambda s: s["inputs"]["profile"]),
        },
        "parameters": parameters,
        "homes": homes,
        "facilities": dict(sorted(facility_counts.items())),
        "categories": categories,
        "complete": {
            "homes": complete_homes,
            "share": _share(complete_homes, homes_total),
            "population": complete_pop,
            "share_population": _share(complete_pop, population),
        },
        "notes": [f"{n}: {note}" for n, s in zip(names, summaries) for note in s.get("notes", [])],
    }
