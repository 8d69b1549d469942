"""CloudWatch metrics through boto3 against a real gureum: PutMetricData in its forms,
GetMetricStatistics, GetMetricData with metric math and paging, ListMetrics filters and
paging, AWS's limits, and durability across a restart. A region of its own keeps listings exact."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

REGION = "eu-west-2"


@pytest.fixture(scope="module")
def cw(gureum):  # type: ignore[no-untyped-def]
    return gureum.client("cloudwatch", region=REGION)


def _ns() -> str:
    return f"Test/{uuid.uuid4().hex[:8]}"


def _minute(minutes_ago: int) -> datetime:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    return now - timedelta(minutes=minutes_ago)


def _code(e: pytest.ExceptionInfo[ClientError]) -> str:
    return str(e.value.response["Error"]["Code"])


def test_statistics_over_values_sets_and_value_counts(cw):  # type: ignore[no-untyped-def]
    ns, t = _ns(), _minute(10)
    dims = [{"Name": "Host", "Value": "a"}]
    cw.put_metric_data(Namespace=ns, MetricData=[
        {"MetricName": "Lat", "Dimensions": dims, "Timestamp": t, "Value": 10.0, "Unit": "Milliseconds"},
        {"MetricName": "Lat", "Dimensions": dims, "Timestamp": t + timedelta(seconds=5), "Value": 30.0, "Unit": "Milliseconds"},
        {"MetricName": "Lat", "Dimensions": dims, "Timestamp": t + timedelta(minutes=1), "Unit": "Milliseconds",
         "StatisticValues": {"SampleCount": 4, "Sum": 100, "Minimum": 5, "Maximum": 50}},
        {"MetricName": "Lat", "Dimensions": dims, "Timestamp": t + timedelta(minutes=2), "Unit": "Milliseconds",
         "Values": [1.0, 2.0, 3.0], "Counts": [1, 1, 2]},
    ])
    got = cw.get_metric_statistics(Namespace=ns, MetricName="Lat", Dimensions=dims, StartTime=t,
                                   EndTime=t + timedelta(minutes=3), Period=60,
                                   Statistics=["Average", "Sum", "SampleCount", "Minimum", "Maximum"])
    points = sorted(got["Datapoints"], key=lambda p: p["Timestamp"])
    assert got["Label"] == "Lat" and len(points) == 3
    assert [p["Timestamp"] for p in points] == [t, t + timedelta(minutes=1), t + timedelta(minutes=2)]
    assert (points[0]["Average"], points[0]["Sum"], points[0]["SampleCount"], points[0]["Minimum"], points[0]["Maximum"]) \
        == (20.0, 40.0, 2.0, 10.0, 30.0)
    assert (points[1]["Average"], points[1]["SampleCount"], points[1]["Minimum"], points[1]["Maximum"]) == (25.0, 4.0, 5.0, 50.0)
    assert (points[2]["Sum"], points[2]["SampleCount"]) == (9.0, 4.0)
    assert all(p["Unit"] == "Milliseconds" for p in points)
    # one 3-minute period merges them all; percentiles read the kept values
    got = cw.get_metric_statistics(Namespace=ns, MetricName="Lat", Dimensions=dims, StartTime=t,
                                   EndTime=t + timedelta(minutes=3), Period=180, Statistics=["SampleCount"])
    assert [p["SampleCount"] for p in got["Datapoints"]] == [10.0]
    got = cw.get_metric_statistics(Namespace=ns, MetricName="Lat", Dimensions=dims, StartTime=t + timedelta(minutes=2),
                                   EndTime=t + timedelta(minutes=3), Period=60, ExtendedStatistics=["p50", "p100"])
    assert got["Datapoints"][0]["ExtendedStatistics"] == {"p50": 2.0, "p100": 3.0}
    # another dimension set is another metric
    got = cw.get_metric_statistics(Namespace=ns, MetricName="Lat", StartTime=t, EndTime=t + timedelta(minutes=3),
                                   Period=60, Statistics=["Sum"])
    assert got["Datapoints"] == []


def test_put_metric_data_limits_and_errors(cw):  # type: ignore[no-untyped-def]
    ns = _ns()
    with pytest.raises(ClientError) as e:
        cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "m", "Value": 1.0}] * 1001)
    assert _code(e) == "InvalidParameterValue" and "1000" in str(e.value)
    cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": f"m{i % 7}", "Value": float(i)} for i in range(1000)])
    with pytest.raises(ClientError) as e:
        cw.put_metric_data(Namespace="AWS/Lambda", MetricData=[{"MetricName": "m", "Value": 1.0}])
    assert _code(e) == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "m", "Value": 1.0, "StatisticValues": {
            "SampleCount": 1, "Sum": 1, "Minimum": 1, "Maximum": 1}}])
    assert _code(e) == "InvalidParameterCombination"
    with pytest.raises(ClientError) as e:
        cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "m", "Value": 1.0,
                                                       "Timestamp": datetime.now(UTC) - timedelta(days=15)}])
    assert _code(e) == "InvalidParameterValue" and "two weeks" in str(e.value)
    with pytest.raises(ClientError) as e:
        cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "m", "Value": 1.0,
                                                       "Timestamp": datetime.now(UTC) + timedelta(hours=3)}])
    assert _code(e) == "InvalidParameterValue" and "two hours" in str(e.value)
    with pytest.raises(ClientError) as e:
        cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "m", "Values": [1.0, 2.0], "Counts": [1.0]}])
    assert _code(e) == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "m", "Value": 1.0, "StorageResolution": 5}])
    assert _code(e) == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "m", "Value": 1.0, "Dimensions": [
            {"Name": f"d{i}", "Value": "v"} for i in range(31)]}])
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as e:
        cw.get_metric_statistics(Namespace=ns, MetricName="m0", StartTime=_minute(2000), EndTime=_minute(0), Period=60,
                                 Statistics=["Sum"])
    assert _code(e) == "InvalidParameterCombination" and "1440" in str(e.value)
    with pytest.raises(ClientError) as e:
        cw.get_metric_statistics(Namespace=ns, MetricName="m0", StartTime=_minute(5), EndTime=_minute(0), Period=90,
                                 Statistics=["Sum"])
    assert _code(e) == "InvalidParameterValue"


def test_high_resolution_data_keeps_seconds(cw):  # type: ignore[no-untyped-def]
    ns = _ns()
    t = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    t = t.replace(second=t.second // 10 * 10)
    cw.put_metric_data(Namespace=ns, MetricData=[
        {"MetricName": "hr", "Timestamp": t + timedelta(seconds=i), "Value": float(i), "StorageResolution": 1}
        for i in range(10)])
    got = cw.get_metric_statistics(Namespace=ns, MetricName="hr", StartTime=t, EndTime=t + timedelta(seconds=10),
                                   Period=5, Statistics=["Sum"])
    assert sorted((p["Timestamp"], p["Sum"]) for p in got["Datapoints"]) == [(t, 10.0), (t + timedelta(seconds=5), 35.0)]


def test_get_metric_data_math_order_labels_and_paging(cw):  # type: ignore[no-untyped-def]
    ns, t = _ns(), _minute(30)
    cw.put_metric_data(Namespace=ns, MetricData=[
        {"MetricName": name, "Timestamp": t + timedelta(minutes=i), "Value": float(base + i)}
        for name, base in (("a", 1), ("b", 10)) for i in range(5)])

    def stat(qid: str, name: str) -> dict:  # type: ignore[type-arg]
        return {"Id": qid, "MetricStat": {"Metric": {"Namespace": ns, "MetricName": name}, "Period": 60, "Stat": "Sum"}}

    queries = [stat("m1", "a"), stat("m2", "b"),
               {"Id": "e1", "Expression": "m1 + m2 * 2", "Label": "Combined"},
               {"Id": "e2", "Expression": "SUM(METRICS())"},
               {"Id": "e3", "Expression": "AVG(m1) + 0 * m1"},
               {"Id": "e4", "Expression": "MAX([m1, m2]) - MIN([m1, m2])"}]
    got = cw.get_metric_data(MetricDataQueries=queries, StartTime=t, EndTime=t + timedelta(minutes=5))
    res = {r["Id"]: r for r in got["MetricDataResults"]}
    times = [t + timedelta(minutes=i) for i in range(5)]
    assert res["m1"]["Timestamps"] == list(reversed(times))  # TimestampDescending by default
    assert res["m1"]["Values"] == [5.0, 4.0, 3.0, 2.0, 1.0] and res["m1"]["Label"] == "a"
    assert res["e1"]["Label"] == "Combined" and res["e1"]["Values"] == [5.0 + 28, 4 + 26, 3 + 24, 2 + 22, 1 + 20]
    assert res["e2"]["Values"] == [19.0, 17.0, 15.0, 13.0, 11.0]
    assert res["e3"]["Values"] == [3.0] * 5
    assert res["e4"]["Values"] == [9.0] * 5
    assert all(r["StatusCode"] == "Complete" for r in got["MetricDataResults"])
    asc = cw.get_metric_data(MetricDataQueries=queries[:1], StartTime=t, EndTime=t + timedelta(minutes=5),
                             ScanBy="TimestampAscending")
    assert asc["MetricDataResults"][0]["Timestamps"] == times
    # paging with MaxDatapoints: every point once, in order
    pages = list(cw.get_paginator("get_metric_data").paginate(
        MetricDataQueries=queries[:2], StartTime=t, EndTime=t + timedelta(minutes=5), MaxDatapoints=3))
    assert len(pages) == 4
    values: dict[str, list[float]] = {}
    for page in pages:
        for r in page["MetricDataResults"]:
            values.setdefault(r["Id"], []).extend(r["Values"])
    assert values == {"m1": [5.0, 4.0, 3.0, 2.0, 1.0], "m2": [14.0, 13.0, 12.0, 11.0, 10.0]}
    with pytest.raises(ClientError) as e:
        cw.get_metric_data(MetricDataQueries=queries[:2], StartTime=t, EndTime=t + timedelta(minutes=5),
                           NextToken="garbage")
    assert _code(e) == "InvalidNextToken"
    with pytest.raises(ClientError) as e:
        cw.get_metric_data(MetricDataQueries=[stat("m1", "a"), {"Id": "e1", "Expression": "m1 +* 2"}],
                           StartTime=t, EndTime=t + timedelta(minutes=5))
    assert _code(e) == "ValidationError"
    with pytest.raises(ClientError) as e:
        cw.get_metric_data(MetricDataQueries=[stat("m1", "a"), stat("m1", "b")], StartTime=t,
                           EndTime=t + timedelta(minutes=5))
    assert _code(e) == "InvalidParameterValue"


def test_list_metrics_filters_recent_and_paging(cw, gureum):  # type: ignore[no-untyped-def]
    ns = _ns()
    cw.put_metric_data(Namespace=ns, MetricData=[
        {"MetricName": f"n{i}", "Dimensions": [{"Name": "Svc", "Value": f"s{i % 2}"}], "Value": 1.0} for i in range(6)])
    cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "old", "Value": 1.0, "Timestamp": _minute(600)}])
    every = [m for p in cw.get_paginator("list_metrics").paginate(Namespace=ns) for m in p["Metrics"]]
    assert {m["MetricName"] for m in every} == {f"n{i}" for i in range(6)} | {"old"}
    recent = [m for p in cw.get_paginator("list_metrics").paginate(Namespace=ns, RecentlyActive="PT3H")
              for m in p["Metrics"]]
    assert "old" not in {m["MetricName"] for m in recent} and len(recent) == 6
    s1 = cw.list_metrics(Namespace=ns, Dimensions=[{"Name": "Svc", "Value": "s1"}])["Metrics"]
    assert {m["MetricName"] for m in s1} == {"n1", "n3", "n5"}
    assert cw.list_metrics(Namespace=ns, MetricName="n2")["Metrics"] == [
        {"Namespace": ns, "MetricName": "n2", "Dimensions": [{"Name": "Svc", "Value": "s0"}]}]
    # the AWS CLI speaks to it as well
    out = gureum.aws("cloudwatch", "list-metrics", "--namespace", ns, "--metric-name", "n4", "--region", REGION)
    assert "n4" in str(out)


def test_metrics_survive_restart(gureum):  # type: ignore[no-untyped-def]
    cw = gureum.client("cloudwatch", region=REGION)
    ns, t = _ns(), _minute(3)
    cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "d", "Timestamp": t, "Value": 7.0}])
    gureum.restart()
    cw = gureum.client("cloudwatch", region=REGION)
    got = cw.get_metric_statistics(Namespace=ns, MetricName="d", StartTime=t, EndTime=t + timedelta(minutes=1),
                                   Period=60, Statistics=["Maximum"])
    assert [p["Maximum"] for p in got["Datapoints"]] == [7.0]
