"""What HTTP API requests leave behind: the stage's access log lines in CloudWatch Logs (its
Format's $context variables), AWS/ApiGateway metrics (Count, 4xx, 5xx, Latency,
IntegrationLatency) read back through CloudWatch, and the requests in the usage ledger as
Cost Explorer prices them (USE1-ApiGatewayHttpRequest)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from waiting import wait_for

from tests.apigatewayv2.conftest import call

FN = 'def handler(event, context):\n    return {"statusCode": 200, "body": "ok"}\n'


def _sum(cw: Any, metric: str, dims: list[dict[str, str]]) -> float:
    now = datetime.now(UTC)
    got = cw.get_metric_statistics(Namespace="AWS/ApiGateway", MetricName=metric, Dimensions=dims,
                                   StartTime=now - timedelta(minutes=10), EndTime=now + timedelta(minutes=1),
                                   Period=660, Statistics=["Sum", "SampleCount"])
    return float(sum(p["Sum"] for p in got["Datapoints"]))


def test_access_logs_metrics_and_ledger(gureum: Any, apigw: Any, make_function: Any) -> None:
    fn = make_function(FN)
    api_id = apigw.create_api(Name=f"obs{uuid.uuid4().hex[:6]}", ProtocolType="HTTP")["ApiId"]
    iid = apigw.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=fn,
                                   PayloadFormatVersion="2.0")["IntegrationId"]
    apigw.create_route(ApiId=api_id, RouteKey="GET /ok", Target=f"integrations/{iid}")
    group = f"/apigw/{api_id}"
    apigw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True, AccessLogSettings={
        "DestinationArn": f"arn:aws:logs:us-east-1:000000000000:log-group:{group}",
        "Format": "$context.requestId $context.httpMethod $context.routeKey $context.status $context.nothing"})
    rids = []
    for path in ("/ok", "/ok", "/missing"):
        r = call(gureum, api_id, "GET", path)
        rids.append(r.header("apigw-requestid"))
    logs = gureum.client("logs")

    def lines() -> list[str]:
        try:
            return [e["message"] for e in logs.filter_log_events(logGroupName=group)["events"]]
        except logs.exceptions.ResourceNotFoundException:
            return []

    wait_for("three access log lines", lambda: len(lines()) == 3, 30)
    assert sorted(lines()) == sorted([f"{rids[0]} GET GET /ok 200 -", f"{rids[1]} GET GET /ok 200 -",
                                      f"{rids[2]} GET - 404 -"])
    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert [s["logStreamName"] for s in streams] == [f"{api_id}_$default"]
    cw = gureum.client("cloudwatch")
    dims = [{"Name": "ApiId", "Value": api_id}]
    wait_for("Count in CloudWatch", lambda: _sum(cw, "Count", dims) == 3, 60)
    assert _sum(cw, "4xx", dims) == 1 and _sum(cw, "5xx", dims) == 0
    assert _sum(cw, "Count", dims + [{"Name": "Stage", "Value": "$default"}]) == 3
    assert _sum(cw, "IntegrationLatency", dims) > 0
    ce = gureum.client("ce")
    now = datetime.now(UTC)
    period = {"Start": now.strftime("%Y-%m-%d"), "End": (now + timedelta(days=1)).strftime("%Y-%m-%d")}

    def billed() -> float:
        out = ce.get_cost_and_usage(TimePeriod=period, Granularity="DAILY", Metrics=["UsageQuantity"],
                                    GroupBy=[{"Type": "DIMENSION", "Key": "USAGE_TYPE"}],
                                    Filter={"Dimensions": {"Key": "SERVICE", "Values": ["Amazon API Gateway"]}})
        groups = {g["Keys"][0]: g["Metrics"] for g in out["ResultsByTime"][0]["Groups"]}
        return float(groups.get("USE1-ApiGatewayHttpRequest", {}).get("UsageQuantity", {}).get("Amount", 0))

    # the two requests that reached the integration are billed (the 404 is not); other tests of
    # this session may add theirs, so at least two
    wait_for("API Gateway requests in the ledger", lambda: billed() >= 2, 30)
