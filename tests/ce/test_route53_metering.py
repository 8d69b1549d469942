"""Route 53 in Cost Explorer over a known workload: dig queries to standard, latency, geolocation
and alias-to-AWS-resource records, and health checks of known types; GetCostAndUsage's Route 53
figures are computed here by hand from the price table (Route 53's public list prices). A
restart in between shows each query is billed exactly once (the DNS server's counts reach the
ledger when the node stops, and are not written again)."""

from __future__ import annotations

import subprocess
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from harness import GureumProcess
from waiting import wait_for

STANDARD, LATENCY, GEO = 0.40 / 1e6, 0.60 / 1e6, 0.70 / 1e6  # per query
CHECK_NON_AWS, CHECK_AWS, OPTION_NON_AWS = 0.75, 0.50, 2.00  # per health check (option) and month
QUERIES = {"www": 5, "nope": 2, "lat": 3, "geo": 4, "lb": 2}


def _period() -> dict:
    now = datetime.now(UTC)
    return {"Start": now.strftime("%Y-%m-%d"), "End": (now + timedelta(days=1)).strftime("%Y-%m-%d")}


def _dig(port: int, name: str) -> str:
    out = subprocess.run(["dig", "@127.0.0.1", "-p", str(port), "+short", "+tries=1", "+time=5", name, "A"],
                         capture_output=True, text=True, timeout=30, check=True)
    return out.stdout.strip()


@pytest.fixture
def g(tmp_path):
    proc = GureumProcess(tmp_path / "data", extra_args=["--set", "ce.monthly_interval=0.5"])
    proc.start()
    yield proc
    proc.stop()


def _rrs(name: str, value: str, **extra) -> dict:
    return {"Action": "CREATE", "ResourceRecordSet": {"Name": name, "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": value}], **extra}}


def test_dns_queries_and_health_checks_priced_by_hand(g):
    r53 = g.client("route53")
    zone = r53.create_hosted_zone(Name="meter.test", CallerReference=str(uuid.uuid4()))["HostedZone"]["Id"].split("/")[-1]
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
        _rrs("www.meter.test", "192.0.2.1"),
        _rrs("lat.meter.test", "192.0.2.2", SetIdentifier="east", Region="us-east-1"),
        _rrs("lat.meter.test", "192.0.2.3", SetIdentifier="west", Region="us-west-2"),
        _rrs("geo.meter.test", "192.0.2.4", SetIdentifier="anywhere", GeoLocation={"CountryCode": "*"}),
        {"Action": "CREATE", "ResourceRecordSet": {"Name": "lb.meter.test", "Type": "A", "AliasTarget": {
            "HostedZoneId": "Z35SXDOTRQ7X7K", "DNSName": "my-lb-1234.us-east-1.elb.amazonaws.com", "EvaluateTargetHealth": False}}},
    ]})
    # Health checks: HTTPS with string matching, fast interval and latency measurement (4 options),
    # plain HTTP, and a calculated check (billed as on an AWS endpoint).
    full = r53.create_health_check(CallerReference=str(uuid.uuid4()), HealthCheckConfig={
        "Type": "HTTPS_STR_MATCH", "IPAddress": "127.0.0.1", "Port": 9, "SearchString": "ok", "RequestInterval": 10,
        "MeasureLatency": True, "FailureThreshold": 3})["HealthCheck"]["Id"]
    plain = r53.create_health_check(CallerReference=str(uuid.uuid4()), HealthCheckConfig={
        "Type": "HTTP", "IPAddress": "127.0.0.1", "Port": 9, "RequestInterval": 30, "FailureThreshold": 3})["HealthCheck"]["Id"]
    calc = r53.create_health_check(CallerReference=str(uuid.uuid4()), HealthCheckConfig={
        "Type": "CALCULATED", "ChildHealthChecks": [plain], "HealthThreshold": 1})["HealthCheck"]["Id"]

    assert _dig(g.dns_port, "www.meter.test") == "192.0.2.1"  # answers as expected, then the rest
    assert _dig(g.dns_port, "geo.meter.test") == "192.0.2.4"
    for label, n in QUERIES.items():
        for _ in range(n - (1 if label in ("www", "geo") else 0)):
            _dig(g.dns_port, f"{label}.meter.test")
    g.restart()  # the counts not yet in the ledger are written when the node stops; none twice

    expected_qty = {"DNS-Queries": QUERIES["www"] + QUERIES["nope"], "LBR-Queries": QUERIES["lat"], "Geo-Queries": QUERIES["geo"],
                    "Health-Check-Non-AWS": 2, "Health-Check-AWS": 1, "Health-Check-Option-Non-AWS": 4}
    ce = g.client("ce")
    route53_only = {"Dimensions": {"Key": "SERVICE", "Values": ["Amazon Route 53"]}}

    def by_usage_type() -> dict:
        out = ce.get_cost_and_usage(TimePeriod=_period(), Granularity="DAILY", Metrics=["UnblendedCost", "UsageQuantity"],
                                    Filter=route53_only, GroupBy=[{"Type": "DIMENSION", "Key": "USAGE_TYPE"}])
        return {grp["Keys"][0]: grp["Metrics"] for grp in out["ResultsByTime"][0]["Groups"]}

    groups: dict = {}

    def all_there() -> bool:
        nonlocal groups
        groups = by_usage_type()
        return {k: float(v["UsageQuantity"]["Amount"]) for k, v in groups.items()} == expected_qty

    wait_for("Route 53's usage in Cost Explorer", all_there, timeout=60, interval=0.5)
    cost = {k: float(v["UnblendedCost"]["Amount"]) for k, v in groups.items()}
    assert cost["DNS-Queries"] == pytest.approx(7 * STANDARD, abs=1e-12)
    assert cost["LBR-Queries"] == pytest.approx(3 * LATENCY, abs=1e-12)
    assert cost["Geo-Queries"] == pytest.approx(4 * GEO, abs=1e-12)
    assert cost["Health-Check-Non-AWS"] == pytest.approx(2 * CHECK_NON_AWS)
    assert cost["Health-Check-AWS"] == pytest.approx(CHECK_AWS)
    assert cost["Health-Check-Option-Non-AWS"] == pytest.approx(4 * OPTION_NON_AWS)
    assert groups["DNS-Queries"]["UsageQuantity"]["Unit"] == "Queries"
    total = ce.get_cost_and_usage(TimePeriod=_period(), Granularity="MONTHLY", Metrics=["UnblendedCost"], Filter=route53_only)
    hand = 7 * STANDARD + 3 * LATENCY + 4 * GEO + 2 * CHECK_NON_AWS + CHECK_AWS + 4 * OPTION_NON_AWS
    assert float(total["ResultsByTime"][0]["Total"]["UnblendedCost"]["Amount"]) == pytest.approx(hand, abs=1e-9)

    # by resource: the queries are the zone's, each check's charge is its own
    res = ce.get_cost_and_usage_with_resources(TimePeriod=_period(), Granularity="DAILY", Metrics=["UnblendedCost"],
                                               Filter=route53_only, GroupBy=[{"Type": "DIMENSION", "Key": "RESOURCE_ID"}])
    per = {grp["Keys"][0]: float(grp["Metrics"]["UnblendedCost"]["Amount"]) for grp in res["ResultsByTime"][0]["Groups"]}
    assert per[zone] == pytest.approx(7 * STANDARD + 3 * LATENCY + 4 * GEO, abs=1e-12)
    assert per[full] == pytest.approx(CHECK_NON_AWS + 4 * OPTION_NON_AWS)
    assert per[plain] == pytest.approx(CHECK_NON_AWS) and per[calc] == pytest.approx(CHECK_AWS)

    # more queries after the restart add to the same figures, once
    for _ in range(3):
        _dig(g.dns_port, "www.meter.test")
    wait_for("three more standard queries", lambda: float(by_usage_type()["DNS-Queries"]["UsageQuantity"]["Amount"]) == 10,
             timeout=60, interval=0.5)
