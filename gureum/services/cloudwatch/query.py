"""Metric queries over the stored buckets (gureum/services/cloudwatch/metrics.py): the
statistics of one metric per period (GetMetricStatistics, alarms) and GetMetricData's
MetricStat queries and metric math (mathexpr.py), with AWS's limits and ordering."""

from __future__ import annotations

import bisect
import hashlib
import json
from datetime import datetime
from typing import Any

from gureum.aws import paging
from gureum.aws.errors import AwsError
from gureum.services.cloudwatch import fold, mathexpr, metrics, stats
from gureum.store import Txn

MAX_STATISTICS_POINTS = 1440
MAX_QUERIES = 500
MAX_DATA_POINTS = 100800


def _bad(message: str) -> AwsError:
    return AwsError.modeled("cloudwatch", "InvalidParameterValue", message)


def check_period(period: int, where: str = "Period") -> None:
    if period <= 0 or (period >= 60 and period % 60) or (period < 60 and period not in (1, 5, 10, 20, 30)):
        raise _bad(f"The parameter {where} must be a multiple of 60 or one of 1, 5, 10, 20, 30.")


def scanned(txn: Txn, account: str, region: str, metric: dict[str, Any], start: float, end: float) -> fold.Scanned:
    return metrics.scan(txn, account, region, metric["Namespace"], metric["MetricName"], metric.get("Dimensions"),
                        start, end)


def metric_periods(txn: Txn, account: str, region: str, metric: dict[str, Any], period: int, start: float, end: float,
                   unit: str | None = None, statistics: list[str] | None = None) -> fold.Periods:
    """`metric`'s data in periods; `statistics`: the ones that will be read (None: any)."""
    return fold.fold(scanned(txn, account, region, metric, start, end), period, start, end, unit,
                     statistics is None or stats.needs_values(statistics))


def metric_columns(txn: Txn, account: str, region: str, metric: dict[str, Any], period: int, start: float, end: float,
                   unit: str | None, stat: str) -> tuple[list[float], list[float]]:
    """`metric`'s statistic `stat` per period with data, as (times ascending, values)."""
    return metric_periods(txn, account, region, metric, period, start, end, unit, [stat]).statistic(stat)


def metric_series(txn: Txn, account: str, region: str, metric: dict[str, Any], period: int, start: float, end: float,
                  unit: str | None, stat: str) -> dict[float, float]:
    """The same as a time -> value map (alarms, metric math)."""
    return dict(zip(*metric_columns(txn, account, region, metric, period, start, end, unit, stat), strict=True))


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
    periods = metric_periods(txn, account, region, p, period, start, end, p.get("Unit"), names + extended)
    out = []
    for i, t in enumerate(periods.times):
        if periods.count[i] <= 0:
            continue
        point: dict[str, Any] = {"Timestamp": metrics.to_datetime(t)}
        for s in names:
            v = periods.one(i, s)
            if v is not None:
                point[s] = v
        ext = {e: v for e in extended if (v := periods.one(i, e)) is not None}
        if ext:
            point["ExtendedStatistics"] = ext
        point["Unit"] = periods.units[i] or "None"
        out.append(point)
    return out


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
            results[q["Id"]] = metric_series(txn, account, region, ms["Metric"], ms["Period"], start, end,
                                             ms.get("Unit"), ms["Stat"])
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


Columns = tuple[list[float], list[float]]  # (times ascending, values)
LISTING = "cloudwatch.metricdata"


def get_metric_data(txn: Txn, account: str, region: str, p: dict[str, Any]) -> dict[str, Any]:
    """One page of GetMetricData. The page runs through the shown queries in order, each one's
    points by time (ScanBy), and stops after MaxDatapoints (AWS's 100,800 by default); its token
    carries the last point's (query index, time key). Without metric math a query's series is
    computed only when the page reaches it, so a page reads only the rows it returns (and the
    next query's, to know whether a token is due)."""
    start, end = p["StartTime"].timestamp(), p["EndTime"].timestamp()
    if start >= end:
        raise _bad("The parameter StartTime must be less than the parameter EndTime.")
    queries: list[dict[str, Any]] = p["MetricDataQueries"]
    _check_queries(queries)
    descending = (p.get("ScanBy") or "TimestampDescending") == "TimestampDescending"
    shown = [q for q in queries if q.get("ReturnData", True)]
    errors: dict[str, str | None] = {}
    if any(q.get("Expression") is not None for q in queries):
        full = run_queries(txn, account, region, queries, start, end)
        errors = {qid: err for qid, (_s, err) in full.items()}

        def columns(q: dict[str, Any]) -> Columns:
            series = full[q["Id"]][0]
            times = sorted(series)
            return times, [series[t] for t in times]
    else:
        def columns(q: dict[str, Any]) -> Columns:
            ms = q["MetricStat"]
            return metric_columns(txn, account, region, ms["Metric"], ms["Period"], start, end, ms.get("Unit"),
                                  ms["Stat"])

    binding = paging.bind(LISTING, "", {"b": _binding(p)})
    first, after = _resume(binding, p.get("NextToken"), len(shown))
    left = paging.page_size(p.get("MaxDatapoints"), MAX_DATA_POINTS)
    page: dict[int, Columns] = {}
    token: str | None = None
    for i in range(first, len(shown)):
        times, values = columns(shown[i])
        lo, hi = 0, len(times)  # what is left of this query's points, in ascending index terms
        if i == first and after is not None:
            if descending:  # keys are -t: skip every time >= -after
                hi = bisect.bisect_left(times, -after)
            else:
                lo = bisect.bisect_right(times, after)
        avail = hi - lo
        if avail <= 0:
            continue
        if left == 0:
            token = _token(binding, page, descending)
            break
        take = min(left, avail)
        if descending:
            page[i] = (times[hi - take:hi][::-1], values[hi - take:hi][::-1])
        else:
            page[i] = (times[lo:lo + take], values[lo:lo + take])
        left -= take
        if take < avail:
            token = _token(binding, page, descending)
            break
    out_results = []
    for i, q in enumerate(shown):
        mine_t, mine_v = page.get(i, ([], []))
        label = q.get("Label") or (q["MetricStat"]["Metric"]["MetricName"] if q.get("MetricStat") else q["Id"])
        r: dict[str, Any] = {"Id": q["Id"], "Label": label,
                             "Timestamps": [metrics.to_datetime(t) for t in mine_t], "Values": mine_v,
                             "StatusCode": "PartialData" if token else "Complete"}
        err = errors.get(q["Id"])
        if err:
            r["StatusCode"] = "InternalError"
            r["Messages"] = [{"Code": "InternalError", "Value": err}]
        out_results.append(r)
    out: dict[str, Any] = {"MetricDataResults": out_results, "Messages": []}
    if token:
        out["NextToken"] = token
    return out


def _invalid_token() -> AwsError:
    return AwsError.modeled("cloudwatch", "InvalidNextToken", "The specified NextToken is not valid.")


def _resume(binding: str, token: str | None, shown: int) -> tuple[int, float | None]:
    """Where a page starts: (index of the shown query, time key of the last point returned)."""
    if not token:
        return 0, None
    try:
        key = json.loads(paging.decode(binding, token))
        qi, after = int(key[0]), float(key[1])
    except (paging.BadToken, ValueError, TypeError, IndexError, KeyError):
        raise _invalid_token() from None
    if not 0 <= qi < shown:
        raise _invalid_token()
    return qi, after


def _token(binding: str, page: dict[int, Columns], descending: bool) -> str:
    i = max(page)
    t = page[i][0][-1]
    return paging.encode(binding, json.dumps([i, -t if descending else t], separators=(",", ":")))


def _binding(p: dict[str, Any]) -> str:
    def default(o: Any) -> Any:
        return o.isoformat() if isinstance(o, datetime) else str(o)

    doc = {k: p.get(k) for k in ("MetricDataQueries", "StartTime", "EndTime", "ScanBy", "MaxDatapoints")}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=default).encode()).hexdigest()[:16]
