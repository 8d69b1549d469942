"""Aggregates of datapoints, sans-IO: the statistic set kept per metric and time bucket
(`Agg`: sample count, sum, minimum, maximum, and the values with their counts for
percentiles), merging them, and reading statistics (Average, Sum, SampleCount, Minimum,
Maximum, pNN) off a merged set."""

from __future__ import annotations

import math
import re
from typing import Any

Agg = dict[str, Any]  # {"c": count, "s": sum, "lo": min, "hi": max, "v": [[value, count], ...] | None}

# Distinct values an aggregate keeps for percentiles; past it, percentiles read the kept ones.
MAX_VALUES = 300

PERCENTILE = re.compile(r"^p(\d{1,2}(\.\d{1,2})?|100(\.0{1,2})?)$")
STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")


def of_value(value: float, count: float = 1.0) -> Agg:
    return {"c": count, "s": value * count, "lo": value, "hi": value, "v": [[value, count]]}


def of_set(count: float, total: float, lo: float, hi: float) -> Agg:
    return {"c": count, "s": total, "lo": lo, "hi": hi, "v": None}


def merge(a: Agg | None, b: Agg, *, values_too: bool = True) -> Agg:
    """`a` and `b` combined (neither is changed); without `values_too` the values for
    percentiles are dropped (a query for other statistics need not merge them)."""
    if a is None:
        return {**b, "v": [list(p) for p in b["v"]] if b.get("v") is not None and values_too else None}
    values: list[list[float]] | None = None
    if values_too and a.get("v") is not None and b.get("v") is not None:
        counts: dict[float, float] = {}
        for v, c in [*a["v"], *b["v"]]:
            counts[v] = counts.get(v, 0.0) + c
        values = [[v, c] for v, c in sorted(counts.items())][:MAX_VALUES] if len(counts) <= MAX_VALUES else \
            thin(sorted(counts.items()))
    return {"c": a["c"] + b["c"], "s": a["s"] + b["s"], "lo": min(a["lo"], b["lo"]), "hi": max(a["hi"], b["hi"]), "v": values}


def thin(items: list[tuple[float, float]]) -> list[list[float]]:
    """At most MAX_VALUES values standing for `items` (sorted (value, count) pairs): runs of
    neighbouring values holding about an equal share of the total count, each kept as its
    count-weighted median with the run's count, so percentiles stay near where they were."""
    total = sum(c for _, c in items)
    share = total / MAX_VALUES
    out: list[list[float]] = []
    run: list[tuple[float, float]] = []
    held = 0.0
    for value, count in items:
        run.append((value, count))
        held += count
        if held >= share and len(out) < MAX_VALUES - 1:  # the last run takes everything left
            out.append([_median(run, held), held])
            run, held = [], 0.0
    if run:
        out.append([_median(run, held), held])
    return out


def _median(run: list[tuple[float, float]], held: float) -> float:
    seen = 0.0
    for value, count in run:
        seen += count
        if seen >= held / 2:
            return value
    return run[-1][0]


def statistic(agg: Agg, name: str) -> float | None:
    """The statistic `name` of `agg` (None where it cannot be read: a percentile of data sent
    only as statistic sets)."""
    if name == "SampleCount":
        return float(agg["c"])
    if name == "Sum":
        return float(agg["s"])
    if name == "Average":
        return float(agg["s"]) / agg["c"] if agg["c"] else None
    if name == "Minimum":
        return float(agg["lo"])
    if name == "Maximum":
        return float(agg["hi"])
    m = PERCENTILE.match(name)
    if m and agg.get("v"):
        return percentile(agg["v"], float(m.group(1)))
    if name == "IQM" and agg.get("v"):
        return _iqm(agg["v"])
    return None


def percentile(values: list[list[float]], p: float) -> float:
    """The nearest-rank percentile `p` (0-100) of values with counts, sorted by value."""
    total = sum(c for _, c in values)
    rank = max(1.0, math.ceil(p / 100.0 * total))
    seen = 0.0
    for v, c in values:
        seen += c
        if seen >= rank:
            return float(v)
    return float(values[-1][0])


def _iqm(values: list[list[float]]) -> float:
    lo, hi = percentile(values, 25), percentile(values, 75)
    inner = [(v, c) for v, c in values if lo <= v <= hi]
    n = sum(c for _, c in inner)
    return sum(v * c for v, c in inner) / n if n else lo


def needs_values(names: list[str]) -> bool:
    """Whether any of the statistics `names` is read off the values (percentiles, IQM)."""
    return any(n not in STATISTICS for n in names)


def is_statistic(name: str) -> bool:
    return name in STATISTICS or name == "IQM" or PERCENTILE.match(name) is not None
