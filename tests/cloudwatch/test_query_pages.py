"""GetMetricData's pages and the period fold (query.py, fold.py) on a store in memory: every
point once, in ScanBy order, across queries with and without data, a token exactly when points
remain, the same statistics the aggregates give (percentiles and statistic sets included), and
GetMetricStatistics' unit per period."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from gureum.aws.errors import AwsError
from gureum.services.cloudwatch import metrics, query, stats
from gureum.store.memory import MemoryStore

A, R, NS = "111122223333", "us-east-1", "Pages"
T0 = 1_790_000_000 // 3600 * 3600  # on the hour


def _store(now: float) -> MemoryStore:
    store = MemoryStore()
    data: list[dict[str, Any]] = []
    for name, n in (("a", 7), ("empty", 0), ("b", 5)):
        data += [{"MetricName": name, "Timestamp": datetime.fromtimestamp(T0 + 60 * i, UTC), "Value": float(i),
                  "Unit": "Count"} for i in range(n)]
    data.append({"MetricName": "set", "Timestamp": datetime.fromtimestamp(T0, UTC), "Unit": "Count",
                 "StatisticValues": {"SampleCount": 4, "Sum": 10.0, "Minimum": 1.0, "Maximum": 4.0}})
    data.append({"MetricName": "set", "Timestamp": datetime.fromtimestamp(T0 + 30, UTC), "Value": 9.0, "Unit": "Count"})
    store.run_sync(lambda t: metrics.put(t, A, R, NS, data, now))
    return store


def _q(qid: str, name: str, stat: str = "Sum", period: int = 60) -> dict[str, Any]:
    return {"Id": qid, "MetricStat": {"Metric": {"Namespace": NS, "MetricName": name}, "Period": period, "Stat": stat}}


def _pages(store: MemoryStore, queries: list[dict[str, Any]], limit: int, scan_by: str) -> list[dict[str, Any]]:
    out, token = [], None
    while True:
        p: dict[str, Any] = {"MetricDataQueries": queries, "StartTime": datetime.fromtimestamp(T0, UTC),
                             "EndTime": datetime.fromtimestamp(T0 + 3600, UTC), "MaxDatapoints": limit,
                             "ScanBy": scan_by, **({"NextToken": token} if token else {})}
        page = store.read_sync(lambda t, p=p: query.get_metric_data(t, A, R, p))
        out.append(page)
        token = page.get("NextToken")
        if token is None:
            return out


@pytest.mark.parametrize("scan_by", ["TimestampAscending", "TimestampDescending"])
@pytest.mark.parametrize("limit", [1, 3, 7, 12, 100])
def test_every_point_once_in_order_with_a_token_only_while_points_remain(scan_by: str, limit: int) -> None:
    store = _store(T0 + 3600)
    queries = [_q("qa", "a"), _q("qe", "empty"), _q("qb", "b")]
    pages = _pages(store, queries, limit, scan_by)
    assert len(pages) == -(-12 // limit)  # 7 + 0 + 5 points: no empty last page
    got: dict[str, list[tuple[float, float]]] = {}
    for page in pages:
        assert sum(len(r["Values"]) for r in page["MetricDataResults"]) <= limit
        partial = "NextToken" in page
        for r in page["MetricDataResults"]:
            assert r["StatusCode"] == ("PartialData" if partial else "Complete")
            got.setdefault(r["Id"], []).extend((ts.timestamp(), v) for ts, v in zip(r["Timestamps"], r["Values"], strict=True))
    down = scan_by == "TimestampDescending"
    want_a = sorted(((T0 + 60.0 * i, float(i)) for i in range(7)), reverse=down)
    want_b = sorted(((T0 + 60.0 * i, float(i)) for i in range(5)), reverse=down)
    assert got == {"qa": want_a, "qe": [], "qb": want_b}


def test_a_token_of_another_request_is_refused() -> None:
    store = _store(T0 + 3600)
    [first, *_] = _pages(store, [_q("qa", "a")], 2, "TimestampAscending")
    p = {"MetricDataQueries": [_q("qa", "b")], "StartTime": datetime.fromtimestamp(T0, UTC),
         "EndTime": datetime.fromtimestamp(T0 + 3600, UTC), "MaxDatapoints": 2, "NextToken": first["NextToken"]}
    with pytest.raises(AwsError) as e:
        store.read_sync(lambda t: query.get_metric_data(t, A, R, p))
    assert e.value.code == "InvalidNextToken"


def test_periods_read_the_statistics_the_aggregates_give() -> None:
    store = _store(T0 + 3600)

    def column(name: str, stat: str, period: int) -> dict[float, float]:
        return store.read_sync(lambda t: query.metric_series(t, A, R, {"Namespace": NS, "MetricName": name}, period,
                                                             T0, T0 + 3600, None, stat))

    # metric a: 0..6 in one 5-minute period (0..4) and the next (5, 6)
    assert column("a", "Sum", 300) == {T0: 10.0, T0 + 300.0: 11.0}
    assert column("a", "Average", 300) == {T0: 2.0, T0 + 300.0: 5.5}
    assert column("a", "Maximum", 3600) == {T0: 6.0} and column("a", "Minimum", 3600) == {T0: 0.0}
    agg = None
    for v in range(7):
        agg = stats.merge(agg, stats.of_value(float(v)))
    assert agg is not None
    assert column("a", "p50", 3600) == {T0: stats.statistic(agg, "p50")}
    assert column("a", "SampleCount", 3600) == {T0: 7.0}
    # a statistic set and a value in one minute: counted together, but no percentile
    assert column("set", "SampleCount", 60) == {T0: 5.0} and column("set", "Sum", 60) == {T0: 19.0}
    assert column("set", "p90", 60) == {}


def test_get_metric_statistics_names_each_periods_unit() -> None:
    store = _store(T0 + 3600)
    p = {"Namespace": NS, "MetricName": "a", "StartTime": datetime.fromtimestamp(T0, UTC),
         "EndTime": datetime.fromtimestamp(T0 + 600, UTC), "Period": 300, "Statistics": ["Sum", "SampleCount"],
         "ExtendedStatistics": ["p100"]}
    points = store.read_sync(lambda t: query.get_statistics(t, A, R, p))
    assert [(pt["Timestamp"].timestamp(), pt["Sum"], pt["SampleCount"], pt["ExtendedStatistics"], pt["Unit"])
            for pt in points] == [(T0, 10.0, 5.0, {"p100": 4.0}, "Count"), (T0 + 300.0, 11.0, 2.0, {"p100": 6.0}, "Count")]
    assert store.read_sync(lambda t: query.get_statistics(t, A, R, {**p, "Unit": "Seconds"})) == []
