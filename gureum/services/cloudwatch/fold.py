"""Stored buckets -> periods, sans-IO: one pass over the rows a metric query scanned
(metrics.py `scan`: per storage resolution, (key, aggregate) rows in key order) that keeps
running sums, counts and extremes per period in flat columns, and value -> count maps only
when a percentile (or IQM) is asked for. No per-point aggregate objects are built.

Periods start at the query's start rounded down as AWS rounds it (to the minute for periods
of a minute or more, else to the second); a row belongs to the period its bucket starts in.
Rows starting in [start, end) are read, and a coarser row that straddles `start` is read too.
A period's unit is its first row's; a period has a percentile only when each of its rows
kept its values (data sent as statistic sets has none)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gureum.services.cloudwatch import stats

# (resolution in seconds, rows of that resolution: (key ending in the bucket start's 11 digits, aggregate))
Scanned = Sequence[tuple[int, Sequence[tuple[str, dict[str, Any]]]]]


@dataclass
class Periods:
    """One metric's data per period: parallel columns in time order (periods with data only)."""

    times: list[float]
    count: list[float]
    total: list[float]
    lo: list[float]
    hi: list[float]
    units: list[str | None]
    values: list[dict[float, float] | None] | None  # None: values were not asked for

    def statistic(self, name: str) -> tuple[list[float], list[float]]:
        """The statistic `name` per period, as (times, values): periods where it cannot be read
        (no samples, or a percentile of statistic sets) are left out."""
        times, count = self.times, self.count
        if name == "SampleCount":
            return self._kept(count)
        if name == "Sum":
            return self._kept(self.total)
        if name == "Minimum":
            return self._kept(self.lo)
        if name == "Maximum":
            return self._kept(self.hi)
        if name == "Average":
            return self._kept([s / c if c else 0.0 for s, c in zip(self.total, count, strict=True)])
        out_t: list[float] = []
        out_v: list[float] = []
        for i, t in enumerate(times):
            v = self.one(i, name)
            if v is not None:
                out_t.append(t)
                out_v.append(v)
        return out_t, out_v

    def _kept(self, column: list[float]) -> tuple[list[float], list[float]]:
        if all(c > 0 for c in self.count):
            return self.times, column
        keep = [i for i, c in enumerate(self.count) if c > 0]
        return [self.times[i] for i in keep], [column[i] for i in keep]

    def one(self, i: int, name: str) -> float | None:
        """The statistic `name` of period `i` (None where it cannot be read)."""
        c = self.count[i]
        if c <= 0:
            return None
        if name in stats.STATISTICS:
            return {"SampleCount": c, "Sum": self.total[i], "Average": self.total[i] / c,
                    "Minimum": self.lo[i], "Maximum": self.hi[i]}[name]
        held = self.values[i] if self.values is not None else None
        if not held:
            return None
        return stats.statistic({"c": c, "s": self.total[i], "lo": self.lo[i], "hi": self.hi[i],
                                "v": sorted(held.items())}, name)


def origin(period: int, start: float) -> float:
    return float(int(start // 60 * 60)) if period >= 60 else float(int(start))


def fold(scanned: Scanned, period: int, start: float, end: float, unit: str | None = None,
         values_too: bool = False) -> Periods:
    """The rows of `scanned` merged into periods of `period` seconds (see the module docstring);
    `unit`: only rows of that unit; `values_too`: keep value -> count maps for percentiles."""
    base = origin(period, start)
    # period start -> [count, sum, min, max, unit, values (or None once a row has none)]
    acc: dict[float, list[Any]] = {}
    get = acc.get
    for res, rows in scanned:
        for key, doc in rows:
            if unit is not None and (doc.get("u") or "None") != unit:
                continue
            t = float(key[-11:])
            if not (start <= t < end or t < start < t + res):
                continue
            b = base + (t - base) // period * period
            a = get(b)
            if a is None:
                vals: dict[float, float] | None = None
                if values_too and doc.get("v") is not None:
                    vals = {}
                    for v, n in doc["v"]:
                        vals[v] = vals.get(v, 0.0) + n
                acc[b] = [doc["c"], doc["s"], doc["lo"], doc["hi"], doc.get("u"), vals]
                continue
            a[0] += doc["c"]
            a[1] += doc["s"]
            if doc["lo"] < a[2]:
                a[2] = doc["lo"]
            if doc["hi"] > a[3]:
                a[3] = doc["hi"]
            if values_too and a[5] is not None:
                if doc.get("v") is None:
                    a[5] = None
                else:
                    held = a[5]
                    for v, n in doc["v"]:
                        held[v] = held.get(v, 0.0) + n
    times = sorted(acc)
    cols = [acc[t] for t in times]
    return Periods(times=times, count=[float(a[0]) for a in cols], total=[float(a[1]) for a in cols],
                   lo=[float(a[2]) for a in cols], hi=[float(a[3]) for a in cols], units=[a[4] for a in cols],
                   values=[a[5] for a in cols] if values_too else None)
