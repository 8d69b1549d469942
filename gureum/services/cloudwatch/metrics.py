"""Metric storage: what PutMetricData writes and every metric query reads.

Tables:
- `cloudwatch_metrics`: "{account}/{region}/{Namespace}\\x1f{MetricName}\\x1f{dims}" ->
  {"Namespace", "MetricName", "Dimensions": [{"Name", "Value"}] (sorted by name), "id", "last"}
  where dims is "Name=Value" pairs sorted by name joined by \\x1e, `id` the metric's id (16 hex
  digits of a SHA-256 of the key) and `last` the newest datapoint time (ListMetrics'
  RecentlyActive). ListMetrics pages this table; a Namespace / MetricName filter is a prefix.
- `cloudwatch_data`: "{account}/{region}/{id}/{res:04d}/{t:011d}" -> an aggregate
  (gureum/services/cloudwatch/stats.py `Agg`) plus "u" (the unit), one per metric, storage
  resolution (1 s, 60 s, and the 300 s / 3600 s roll-ups) and bucket start `t` (epoch seconds).
  A query over a time range reads one key range per metric and resolution.

Retention follows AWS's tiers (`sweep`): 1 s data is rolled into 60 s buckets after 3 hours,
60 s into 300 s after 15 days, 300 s into 3600 s after 63 days, and 3600 s data is dropped
after 455 days. Invariant: a datapoint is counted in exactly one bucket of one resolution.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.cloudwatch import stats
from gureum.store import Txn

METRICS = "cloudwatch_metrics"
DATA = "cloudwatch_data"

MAX_METRIC_DATA = 1000
MAX_VALUES = 150
PAST_LIMIT = 14 * 86400
FUTURE_LIMIT = 2 * 3600
RECENTLY_ACTIVE = 3 * 3600
LISTED_FOR = 14 * 86400  # ListMetrics shows a metric this long after its newest datapoint

# (resolution, age after which its buckets roll up, the resolution they roll into (0: dropped))
TIERS: tuple[tuple[int, int, int], ...] = (
    (1, 3 * 3600, 60),
    (60, 15 * 86400, 300),
    (300, 63 * 86400, 3600),
    (3600, 455 * 86400, 0),
)
RESOLUTIONS = tuple(t[0] for t in TIERS)


def _bad(message: str) -> AwsError:
    return AwsError.modeled("cloudwatch", "InvalidParameterValue", message)


def dims_key(dimensions: list[dict[str, str]] | None) -> str:
    return "\x1e".join(f"{d['Name']}={d['Value']}" for d in sorted(dimensions or [], key=lambda d: d["Name"]))


def metric_key(account: str, region: str, namespace: str, name: str, dimensions: list[dict[str, str]] | None) -> str:
    return f"{account}/{region}/{namespace}\x1f{name}\x1f{dims_key(dimensions)}"


def metric_id(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def data_prefix(account: str, region: str, mid: str, res: int) -> str:
    return f"{account}/{region}/{mid}/{res:04d}/"


def _check_datum(i: int, d: dict[str, Any], now: float) -> None:
    where = f"MetricData.member.{i}"
    has = [k for k in ("Value", "StatisticValues", "Values") if d.get(k) is not None]
    if "Value" in has and "StatisticValues" in has:
        raise AwsError.modeled("cloudwatch", "InvalidParameterCombination",
                               f"The parameters {where}.Value and {where}.StatisticValues are mutually exclusive "
                               "and you have specified both.")
    if "Values" in has and len(has) > 1:
        raise AwsError.modeled("cloudwatch", "InvalidParameterCombination",
                               f"The parameters {where}.Values and {where}.{has[0]} are mutually exclusive "
                               "and you have specified both.")
    if not has:
        raise AwsError.modeled("cloudwatch", "MissingParameter", f"The parameter {where}.Value is required.")
    if d.get("Counts") is not None and d.get("Values") is None:
        raise AwsError.modeled("cloudwatch", "InvalidParameterCombination",
                               f"The parameter {where}.Counts requires {where}.Values.")
    values = d.get("Values")
    if values is not None:
        if len(values) > MAX_VALUES:
            raise _bad(f"The collection {where}.Values must not have a size greater than {MAX_VALUES}.")
        if d.get("Counts") is not None and len(d["Counts"]) != len(values):
            raise _bad(f"The parameters {where}.Values and {where}.Counts must be of the same size.")
    nums: list[tuple[str, float]] = []
    if d.get("Value") is not None:
        nums.append(("Value", d["Value"]))
    for k, v in (d.get("StatisticValues") or {}).items():
        nums.append((f"StatisticValues.{k}", v))
    for j, v in enumerate(values or [], 1):
        nums.append((f"Values.member.{j}", v))
    for field, v in nums:
        if math.isnan(v) or math.isinf(v) or abs(v) > 2.0 ** 360 or (v != 0 and abs(v) < 2.0 ** -260):
            raise _bad(f"The value {v} for parameter {where}.{field} is invalid.")
    sv = d.get("StatisticValues")
    if sv is not None and sv["Minimum"] > sv["Maximum"]:
        raise _bad(f"The parameter {where}.StatisticValues.Maximum must be greater than "
                   f"{where}.StatisticValues.Minimum.")
    res = d.get("StorageResolution")
    if res is not None and res not in (1, 60):
        raise _bad(f"The value {res} for parameter {where}.StorageResolution is invalid.")
    ts = d.get("Timestamp")
    if ts is not None:
        t = ts.timestamp()
        if t < now - PAST_LIMIT:
            raise _bad(f"The parameter {where}.Timestamp must specify a time no more than two weeks in the past.")
        if t > now + FUTURE_LIMIT:
            raise _bad(f"The parameter {where}.Timestamp must specify a time no more than two hours in the future.")
    for dim in d.get("Dimensions") or []:
        if not dim.get("Value"):
            raise _bad(f"The value for parameter {where}.Dimensions.member.Value must not be empty.")


def check_put(namespace: str, data: list[dict[str, Any]], now: float) -> None:
    """AWS's rules for a PutMetricData request (before anything is written)."""
    if namespace.startswith("AWS/"):
        raise _bad(f"The value {namespace} for parameter Namespace is invalid. Namespaces starting with 'AWS/' are reserved.")
    if len(data) > MAX_METRIC_DATA:
        raise _bad(f"The collection MetricData must not have a size greater than {MAX_METRIC_DATA}.")
    for i, d in enumerate(data, 1):
        _check_datum(i, d, now)


def _agg_of(d: dict[str, Any]) -> stats.Agg:
    if d.get("agg") is not None:  # a statistic set gureum's own emitters kept (emitter.py)
        return dict(d["agg"])
    if d.get("Value") is not None:
        return stats.of_value(float(d["Value"]))
    if d.get("StatisticValues") is not None:
        sv = d["StatisticValues"]
        return stats.of_set(sv["SampleCount"], sv["Sum"], sv["Minimum"], sv["Maximum"])
    counts = d.get("Counts") or [1.0] * len(d["Values"])
    agg: stats.Agg | None = None
    for v, c in zip(d["Values"], counts, strict=True):
        if c > 0:
            agg = stats.merge(agg, stats.of_value(float(v), float(c)))
    return agg or stats.of_set(0.0, 0.0, 0.0, 0.0)


def put(txn: Txn, account: str, region: str, namespace: str, data: list[dict[str, Any]], now: float) -> int:
    """Store validated datapoints (`check_put` first); returns how many buckets changed."""
    aggs: dict[str, tuple[dict[str, Any], stats.Agg]] = {}
    metrics: dict[str, tuple[dict[str, Any], float]] = {}
    for d in data:
        key = metric_key(account, region, namespace, d["MetricName"], d.get("Dimensions"))
        ts = d["Timestamp"].timestamp() if d.get("Timestamp") is not None else now
        prev = metrics.get(key)
        metrics[key] = (d, max(ts, prev[1]) if prev else ts)
        res = 1 if d.get("StorageResolution") == 1 else 60
        dkey = data_prefix(account, region, metric_id(key), res) + f"{int(ts // res * res):011d}"
        agg = _agg_of(d)
        if agg["c"] <= 0 and d.get("Values") is not None:
            continue
        old = aggs.get(dkey)
        aggs[dkey] = ({"u": d.get("Unit")}, stats.merge(old[1] if old else None, agg))
    for key, (d, last) in metrics.items():
        doc = txn.get(METRICS, key)
        if doc is None:
            dims = sorted(d.get("Dimensions") or [], key=lambda x: x["Name"])
            txn.put(METRICS, key, {"Namespace": namespace, "MetricName": d["MetricName"],
                                   "Dimensions": [{"Name": x["Name"], "Value": x["Value"]} for x in dims],
                                   "id": metric_id(key), "last": last})
        elif last > doc.get("last", 0):
            txn.put(METRICS, key, {**doc, "last": last})
    for dkey, (meta, agg) in aggs.items():
        old_doc = txn.get(DATA, dkey)
        merged = stats.merge(old_doc, agg) if old_doc is not None else agg
        txn.put(DATA, dkey, {**merged, "u": meta["u"] or (old_doc or {}).get("u")})
    return len(aggs)


def scan(txn: Txn, account: str, region: str, namespace: str, name: str, dimensions: list[dict[str, str]] | None,
         start: float, end: float) -> list[tuple[int, list[tuple[str, stats.Agg]]]]:
    """The stored rows of one metric whose bucket may overlap [start, end), as scanned: one
    key-range scan per storage resolution, (resolution, [(key, agg)...]) (fold.py reads them;
    the bucket start is the key's last 11 digits)."""
    mid = metric_id(metric_key(account, region, namespace, name, dimensions))
    out: list[tuple[int, list[tuple[str, stats.Agg]]]] = []
    stop = f"{int(math.ceil(end)):011d}"
    for res in RESOLUTIONS:
        prefix = data_prefix(account, region, mid, res)
        lo = max(0, int(start // res * res))
        rows = txn.scan(DATA, prefix, start=prefix + f"{lo:011d}", end=prefix + stop)
        if rows:
            out.append((res, rows))
    return out


def read(txn: Txn, account: str, region: str, namespace: str, name: str, dimensions: list[dict[str, str]] | None,
         start: float, end: float) -> list[tuple[float, int, stats.Agg]]:
    """Every stored bucket of one metric overlapping [start, end): (time, resolution, agg)."""
    return [(float(key[-11:]), res, doc)
            for res, rows in scan(txn, account, region, namespace, name, dimensions, start, end)
            for key, doc in rows if int(key[-11:]) + res > start]


def iter_metrics(txn: Txn, account: str, region: str, namespace: str | None = None) -> Iterator[dict[str, Any]]:
    prefix = f"{account}/{region}/" + (f"{namespace}\x1f" if namespace else "")
    for _, doc in txn.scan(METRICS, prefix):
        yield doc


def dims_match(doc: dict[str, Any], wanted: list[dict[str, Any]] | None) -> bool:
    """ListMetrics' Dimensions filter: every named dimension present (with the value, if given)."""
    have = {d["Name"]: d["Value"] for d in doc["Dimensions"]}
    for w in wanted or []:
        if w["Name"] not in have or (w.get("Value") is not None and have[w["Name"]] != w["Value"]):
            return False
    return True


def sweep(txn: Txn, now: float, limit: int = 5000) -> int:
    """Roll buckets past their tier's age into the next coarser resolution (or drop them past
    the last); returns how many rows moved. Reads only the expired key range of each metric
    and resolution; bounded per call: run it until it returns 0."""
    moved = 0
    for mkey, doc in txn.scan(METRICS):
        account, region, _ = mkey.split("/", 2)
        for res, age, to in TIERS:
            prefix = data_prefix(account, region, doc["id"], res)
            cutoff = int(now - age) - res + 1  # buckets that end at or before now - age
            rows = txn.scan(DATA, prefix, end=prefix + f"{max(cutoff, 0):011d}", limit=limit - moved)
            for key, agg in rows:
                txn.delete(DATA, key)
                moved += 1
                if to:
                    t = int(key.rsplit("/", 1)[1])
                    nkey = data_prefix(account, region, doc["id"], to) + f"{t // to * to:011d}"
                    old = txn.get(DATA, nkey)
                    txn.put(DATA, nkey, {**stats.merge(old, agg), "u": agg.get("u")})
            if moved >= limit:
                return moved
    return moved


def to_datetime(t: float) -> datetime:
    from datetime import UTC
    return datetime.fromtimestamp(t, UTC)
