"""AWS/Route53's health check metrics read back through CloudWatch (HealthCheckStatus,
HealthCheckPercentageHealthy, ChildHealthCheckHealthyCount), and a CLOUDWATCH_METRIC health
check following its alarm's state: a failover record answers the secondary while the alarm is
in ALARM and the primary again once it is OK."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from harness import GureumProcess
from waiting import wait_for

from .test_health import Switchable


@pytest.fixture
def g(tmp_path) -> Iterator[GureumProcess]:
    proc = GureumProcess(tmp_path / "data", env={"GUREUM_ROUTE53_HEALTH_INTERVAL_SCALE": "0.02",
                                                 "GUREUM_ROUTE53_HEALTH_METRICS_INTERVAL": "0.2",
                                                 "GUREUM_CLOUDWATCH_EMIT_INTERVAL": "0.3"})
    proc.start()
    proc.wait_service("route53", "running")
    yield proc
    proc.stop()


@pytest.fixture
def web() -> Iterator[Switchable]:
    s = Switchable()
    s.start()
    yield s
    s.stop()


def _stat(cw: Any, metric: str, hc_id: str, stat: str) -> float | None:
    now = datetime.now(UTC)
    got = cw.get_metric_statistics(Namespace="AWS/Route53", MetricName=metric, Dimensions=[{"Name": "HealthCheckId", "Value": hc_id}],
                                   StartTime=now - timedelta(minutes=1), EndTime=now + timedelta(minutes=1), Period=60, Statistics=[stat])
    points = sorted(got["Datapoints"], key=lambda p: p["Timestamp"])
    return float(points[-1][stat]) if points else None


def _dig(port: int, name: str) -> str:
    return subprocess.run(["dig", "@127.0.0.1", "-p", str(port), "+short", "+tries=1", "+time=5", name, "A"],
                          capture_output=True, text=True, timeout=30, check=True).stdout.strip()


def test_health_check_metrics_reach_cloudwatch(g, web):
    r53, cw = g.client("route53"), g.client("cloudwatch")
    up = r53.create_health_check(CallerReference=str(uuid.uuid4()), HealthCheckConfig={
        "Type": "HTTP", "IPAddress": "127.0.0.1", "Port": web.port, "RequestInterval": 10, "FailureThreshold": 1,
        "Regions": ["us-east-1", "eu-west-1", "ap-northeast-1"]})["HealthCheck"]["Id"]
    calc = r53.create_health_check(CallerReference=str(uuid.uuid4()), HealthCheckConfig={
        "Type": "CALCULATED", "ChildHealthChecks": [up], "HealthThreshold": 1})["HealthCheck"]["Id"]
    wait_for("HealthCheckStatus of the endpoint check", lambda: _stat(cw, "HealthCheckStatus", up, "Minimum") == 1.0, 60, interval=0.5)
    wait_for("all regions healthy", lambda: _stat(cw, "HealthCheckPercentageHealthy", up, "Maximum") == 100.0, 60, interval=0.5)
    wait_for("the calculated check counts its child", lambda: _stat(cw, "ChildHealthCheckHealthyCount", calc, "Maximum") == 1.0,
             60, interval=0.5)
    assert _stat(cw, "HealthCheckPercentageHealthy", calc, "Maximum") is None  # no checker regions: no such metric
    listed = cw.list_metrics(Namespace="AWS/Route53", Dimensions=[{"Name": "HealthCheckId", "Value": up}])["Metrics"]
    assert {m["MetricName"] for m in listed} == {"HealthCheckStatus", "HealthCheckPercentageHealthy"}

    web.status = 500  # down: every region fails, the status goes to 0
    wait_for("HealthCheckStatus 0", lambda: _stat(cw, "HealthCheckStatus", up, "Minimum") == 0.0, 60, interval=0.5)
    wait_for("0% healthy", lambda: _stat(cw, "HealthCheckPercentageHealthy", up, "Minimum") == 0.0, 60, interval=0.5)


def test_a_cloudwatch_metric_check_follows_its_alarm(g):
    r53, cw = g.client("route53"), g.client("cloudwatch")
    alarm = f"hc-{uuid.uuid4().hex[:6]}"
    cw.put_metric_alarm(AlarmName=alarm, Namespace="App", MetricName="Errors", Statistic="Sum", Period=60, EvaluationPeriods=1,
                        Threshold=1.0, ComparisonOperator="GreaterThanThreshold")
    hc = r53.create_health_check(CallerReference=str(uuid.uuid4()), HealthCheckConfig={
        "Type": "CLOUDWATCH_METRIC", "AlarmIdentifier": {"Region": "us-east-1", "Name": alarm},
        "InsufficientDataHealthStatus": "Healthy"})["HealthCheck"]["Id"]
    zone = r53.create_hosted_zone(Name="cwcheck.test", CallerReference=str(uuid.uuid4()))["HostedZone"]["Id"]
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": {"Name": "app.cwcheck.test", "Type": "A", "SetIdentifier": "p", "Failover": "PRIMARY",
                                                   "TTL": 60, "HealthCheckId": hc, "ResourceRecords": [{"Value": "192.0.2.1"}]}},
        {"Action": "CREATE", "ResourceRecordSet": {"Name": "app.cwcheck.test", "Type": "A", "SetIdentifier": "s", "Failover": "SECONDARY",
                                                   "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.2"}]}}]})
    assert _dig(g.dns_port, "app.cwcheck.test") == "192.0.2.1"  # INSUFFICIENT_DATA: Healthy, as the check says
    cw.set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="test")
    wait_for("the secondary while the alarm fires", lambda: _dig(g.dns_port, "app.cwcheck.test") == "192.0.2.2", 60, interval=0.3)
    wait_for("HealthCheckStatus 0", lambda: _stat(cw, "HealthCheckStatus", hc, "Minimum") == 0.0, 60, interval=0.5)
    cw.set_alarm_state(AlarmName=alarm, StateValue="OK", StateReason="test")
    wait_for("the primary again once OK", lambda: _dig(g.dns_port, "app.cwcheck.test") == "192.0.2.1", 60, interval=0.3)
