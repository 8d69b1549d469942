"""CloudWatch Logs metric filters feed CloudWatch metrics: the datapoints a filter emits for
matching events are read back with GetMetricStatistics and ListMetrics."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta


def test_metric_filter_datapoints_are_cloudwatch_metrics(gureum):  # type: ignore[no-untyped-def]
    logs, cw = gureum.client("logs"), gureum.client("cloudwatch")
    group, ns = f"/app/{uuid.uuid4().hex[:8]}", f"LogMetrics/{uuid.uuid4().hex[:6]}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    logs.put_metric_filter(logGroupName=group, filterName="errors", filterPattern="ERROR",
                           metricTransformations=[{"metricName": "ErrorCount", "metricNamespace": ns, "metricValue": "1"}])
    now_ms = int(time.time() * 1000)
    logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[
        {"timestamp": now_ms + i, "message": m} for i, m in enumerate(["ERROR a", "ok", "ERROR b", "ERROR c"])])
    now = datetime.now(UTC)
    got = cw.get_metric_statistics(Namespace=ns, MetricName="ErrorCount", StartTime=now - timedelta(minutes=5),
                                   EndTime=now + timedelta(minutes=1), Period=360, Statistics=["Sum", "SampleCount"])
    assert [(p["Sum"], p["SampleCount"]) for p in got["Datapoints"]] == [(3.0, 3.0)]
    assert [m["MetricName"] for m in cw.list_metrics(Namespace=ns)["Metrics"]] == ["ErrorCount"]
