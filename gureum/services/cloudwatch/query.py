"""Metric queries over the stored buckets (gureum/services/cloudwatch/metrics.py): the
statistics of one metric per period (GetMetricStatistics, alarms) and GetMetricData's
MetricStat queries and metric math (mathexpr.py), with AWS's limits and ordering."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from gureum.aws import paging
from gureum.aws.errors import AwsError
from gureum.services.cloudwatch import mathexpr, metrics, stats
from gureum.store import Txn

MAX_STATISTICS_POINTS = 1440
MAX_QUERIES = 500
MAX_DATA_POINTS = 100800


def _bad(message: str) -> AwsError:
    return AwsError.modeled("cloudwatch", "InvalidParameterValue", message)


def check_period(period: int, where: str = "Period") -> None:
    if period <= 0 or (period >= 60 and period % 60) or (period < 60 and period not in (1, 5, 10, 20, 30)):
        raise _bad(f"The parameter {where} must be a multiple of 60 or one of 1, 5, 10, 20, 30.")


def buckets(rows: list[tuple[float, int, stats.Agg]], period: int, start: float, end: float,
            unit: str | None = None, values_too: bool = True) -> dict[float, stats.Agg]:
    """Merge a metric's stored buckets into periods starting at `start` rounded down as AWS
    rounds it (to the minute for periods of a minute or more, else to the second). The
    aggregates returned may be the rows' own: callers read them, never change them."""
    origin = float(int(start // 60 * 60)) if period >= 60 else float(int(start))
    out: dict[float, stats.Agg] = {}
    for t, _res, agg in rows:
        if unit is not None and (agg.get("u") or "None") != unit:
            continue
        if not start <= t < end and not (t < start < t + _res):
            continue
        b = origin + (t - origin) // period * period
        prev = out.get(b)
        out[b] = agg if prev is None else stats.merge(prev, agg, values_too=values_too)
    return out


def metric_buckets(txn: Txn, account: str, region: str, metric: dict[str, Any], period: int, start: float, end: float,
                   unit: str | None = None, statistics: list[str] | None = None) -> dict[float, stats.Agg]:
    """`metric`'s data in periods; `statistics`: the ones that will be read (None: any)."""
    rows = metrics.read(txn, account, region, metric["Namespace"], metric["MetricName"], metric.get("Dimensions"),
                        start, end)
    return buckets(rows, period, start, end, unit, statistics is None or stats.needs_values(statistics))


def get_statistics(txn: Txn, account: str, region: str, p: dict[str, Any]) -> list[dict[str, Any]]:
    start, end = p["StartTime"].timestamp(), p["EndTime"].timestamp()
    if start >= end:
        raise _bad("The parameter StartTime must be less than the parameter EndTime.")
    names: list[str] = p.get("Statistics") or []
    extended: list[str] = p.get("ExtendedStatistics") or []
    if not names and not extended:
        raise AwsError.modeled("cloudwatch", "MissingParameter",
                               "Must specify either Statistics or ExtendedStatistics.")
    for e in extended:
        if not stats.PERCENTILE.match(e):
            raise _bad(f"The value {e} for parameter ExtendedStatistics is not a valid statistic.")
    period = p["Period"]
    check_period(period)
    n = int((end - start + period - 1) // period)
    if n > MAX_STATISTICS_POINTS:
        raise AwsError.modeled("cloudwatch", "InvalidParameterCombination",
                               f"You have requested up to {n} datapoints, which exceeds the limit of "
                               f"{MAX_STATISTICS_POINTS}. You may reduce the datapoints requested by increasing "
                               "Period, or decreasing the time range.")
    out = []
    for t, agg in sorted(metric_buckets(txn, account, region, p, period, start, end, p.get("Unit"),
                                                   names + extended).items()):
        if agg["c"] <= 0:
            continue
        point: dict[str, Any] = {"Timestamp": metrics.to_datetime(t)}
        for s in names:
            v = stats.statistic(agg, s)
            if v is not None:
                point[s] = v
        ext = {e: v for e in extended if (v := stats.statistic(agg, e)) is not None}
        if ext:
            point["ExtendedStatistics"] = ext
        point["Unit"] = agg.get("u") or "None"
        out.append(point)
    return out


def series_of(bucketed: dict[float, stats.Agg], stat: str) -> dict[float, float]:
    return {t: v for t, agg in bucketed.items() if agg["c"] > 0 and (v := stats.statistic(agg, stat)) is not None}


def _check_queries(queries: list[dict[str, Any]]) -> None:
    if len(queries) > MAX_QUERIES:
        raise _bad(f"The collection MetricDataQueries must not have a size greater than {MAX_QUERIES}.")
    seen: set[str] = set()
    for i, q in enumerate(queries, 1):
        where = f"MetricDataQueries.member.{i}"
        if q["Id"] in seen:
            raise _bad(f"The value {q['Id']} for parameter {where}.Id is not unique.")
        seen.add(q["Id"])
        if not q["Id"][0].islower():
            raise _bad(f"The value {q['Id']} for parameter {where}.Id is invalid. It must start with a lowercase letter.")
        has = [k for k in ("MetricStat", "Expression") if q.get(k) is not None]
        if len(has) != 1:
            raise AwsError.modeled("cloudwatch", "InvalidParameterCombination",
                                   f"Exactly one element of the {where}.MetricStat and {where}.Expression must be "
                                   "specified.")
        if q.get("MetricStat") is not None:
            ms = q["MetricStat"]
            if not stats.is_statistic(ms["Stat"]):
                raise _bad(f"The value {ms['Stat']} for parameter {where}.MetricStat.Stat is invalid.")
            check_period(ms["Period"], f"{where}.MetricStat.Period")
    if not any(q.get("ReturnData", True) for q in queries):
        raise _bad("At least one MetricDataQuery must have ReturnData set to true.")


def run_queries(txn: Txn, account: str, region: str, queries: list[dict[str, Any]], start: float, end: float,
                ) -> dict[str, tuple[dict[float, float], str | None]]:
    """Every query's series (time -> value) and the error message of a failed expression."""
    _check_queries(queries)
    results: dict[str, dict[float, float]] = {}
    errors: dict[str, str | None] = {}
    for q in queries:
        ms = q.get("MetricStat")
        if ms is not None:
            b = metric_buckets(txn, account, region, ms["Metric"], ms["Period"], start, end, ms.get("Unit"), [ms["Stat"]])
            results[q["Id"]] = series_of(b, ms["Stat"])
    pending = [q for q in queries if q.get("Expression") is not None]
    parsed: dict[str, mathexpr.Node] = {}
    for q in pending:
        try:
            parsed[q["Id"]] = mathexpr.parse(q["Expression"])
        except mathexpr.MathError as e:
            raise AwsError.modeled("cloudwatch", "ValidationError",
                                   f"Error in expression {q['Id']}: {e}") from None
    order = _order(parsed)

    def metrics_array(flt: str | None) -> list[dict[float, float]]:
        return [s for k, s in results.items() if (flt is None or k.startswith(flt)) and (flt is not None or k in stat_ids)]

    stat_ids = {q["Id"] for q in queries if q.get("MetricStat") is not None}
    for qid in order:
        try:
            v = mathexpr.evaluate(parsed[qid], results, metrics_array)
        except mathexpr.MathError as e:
            results[qid], errors[qid] = {}, str(e)
            continue
        if isinstance(v, list):
            v = v[0] if len(v) == 1 else {}
            if not v:
                errors[qid] = "Error in expression: the expression returns more than one time series."
        if isinstance(v, float):
            times = sorted({t for s in results.values() for t in s})
            v = {t: v for t in times}
        results[qid] = v
    return {qid: (s, errors.get(qid)) for qid, s in results.items()}


def _order(parsed: dict[str, mathexpr.Node]) -> list[str]:
    """Expressions in an order where each comes after the expressions it names."""
    out: list[str] = []
    state: dict[str, int] = {}

    def visit(qid: str) -> None:
        if state.get(qid) == 2:
            return
        if state.get(qid) == 1:
            raise AwsError.modeled("cloudwatch", "ValidationError", f"Circular dependency in expression {qid}.")
        state[qid] = 1
        for ref in mathexpr.references(parsed[qid]):
            if ref in parsed:
                visit(ref)
        state[qid] = 2
        out.append(qid)

    for qid in parsed:
        visit(qid)
    return out


def get_metric_data(txn: Txn, account: str, region: str, p: dict[str, Any]) -> dict[str, Any]:
    start, end = p["StartTime"].timestamp(), p["EndTime"].timestamp()
    if start >= end:
        raise _bad("The parameter StartTime must be less than the parameter EndTime.")
    queries: list[dict[str, Any]] = p["MetricDataQueries"]
    results = run_queries(txn, account, region, queries, start, end)
    descending = (p.get("ScanBy") or "TimestampDescending") == "TimestampDescending"
    shown = [q for q in queries if q.get("ReturnData", True)]
    points: list[tuple[int, float, float]] = []  # (index of the query among the shown, time, value)
    for i, q in enumerate(shown):
        series, _ = results[q["Id"]]
        points.extend((i, t, v) for t, v in series.items())

    def order(x: tuple[int, float, float]) -> tuple[int, float]:
        return (x[0], -x[1] if descending else x[1])

    points.sort(key=order)
    page, token = paging.page_items(
        points, order, listing="cloudwatch.metricdata",
        token=p.get("NextToken"), limit=p.get("MaxDatapoints"), default_limit=MAX_DATA_POINTS,
        filters={"b": _binding(p)},
        error=lambda: AwsError.modeled("cloudwatch", "InvalidNextToken", "The specified NextToken is not valid."))
    by_query: dict[int, list[tuple[float, float]]] = {}
    for j, t, v in page:
        by_query.setdefault(j, []).append((t, v))
    out_results = []
    for i, q in enumerate(shown):
        mine = by_query.get(i, [])
        _series, err = results[q["Id"]]
        label = q.get("Label") or (q["MetricStat"]["Metric"]["MetricName"] if q.get("MetricStat") else q["Id"])
        r: dict[str, Any] = {"Id": q["Id"], "Label": label,
                             "Timestamps": [metrics.to_datetime(t) for t, _ in mine], "Values": [v for _, v in mine],
                             "StatusCode": "PartialData" if token else "Complete"}
        if err:
            r["StatusCode"] = "InternalError"
            r["Messages"] = [{"Code": "InternalError", "Value": err}]
        out_results.append(r)
    out: dict[str, Any] = {"MetricDataResults": out_results, "Messages": []}
    if token:
        out["NextToken"] = token
    return out


def _binding(p: dict[str, Any]) -> str:
    def default(o: Any) -> Any:
        return o.isoformat() if isinstance(o, datetime) else str(o)

    doc = {k: p.get(k) for k in ("MetricDataQueries", "StartTime", "EndTime", "ScanBy", "MaxDatapoints")}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=default).encode()).hexdigest()[:16]
