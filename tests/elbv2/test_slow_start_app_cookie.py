"""Slow start and application-based stickiness through boto3 and real backends: a target that
turns healthy beside a healthy one gets a small, growing share of the round robin while in
slow start (900 s here, so its share stays small for the whole test), its full share once slow
start is off; with app_cookie stickiness a target's application cookie makes the load balancer
set AWSALBAPP-0..3, and requests bringing AWSALBAPP-0 stay on that target; AWS's attribute
rules (slow start 0 or 30-900, reserved cookie names, a cookie name for app_cookie)."""

from __future__ import annotations

import http.client
import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from waiting import wait_for

from tests.elbv2.elb_helpers import SUBNETS, VPC, Backend, code_of, resolve, uniq, wait_listening


@pytest.fixture
def backends() -> Iterator[list[Backend]]:
    made = [Backend("a"), Backend("b")]
    yield made
    for b in made:
        b.close()


def _lb(elb: Any, gureum: Any, tg_arn: str) -> str:
    lb = elb.create_load_balancer(Name=uniq("alb"), Subnets=SUBNETS)["LoadBalancers"][0]
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg_arn}])
    address = wait_for("the load balancer's name in DNS", lambda: resolve(gureum.dns_port, lb["DNSName"]), 20)
    wait_listening(address, 80)
    return str(address)


def _group(elb: Any) -> dict[str, Any]:
    return dict(elb.create_target_group(Name=uniq("tg"), Protocol="HTTP", Port=80, VpcId=VPC, TargetType="ip",
                                        HealthCheckPath="/health", HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2,
                                        HealthyThresholdCount=2)["TargetGroups"][0])


def _get(address: str, cookie: str | None = None) -> tuple[str, list[str]]:
    conn = http.client.HTTPConnection(address, 80, timeout=30)
    try:
        conn.request("GET", "/", headers={"Cookie": cookie} if cookie else {})
        r = conn.getresponse()
        cookies = [v for k, v in r.getheaders() if k.lower() == "set-cookie"]
        return str(json.loads(r.read())["backend"]), cookies
    finally:
        conn.close()


def _healthy(elb: Any, tg_arn: str, n: int) -> bool:
    out = elb.describe_target_health(TargetGroupArn=tg_arn)["TargetHealthDescriptions"]
    return sum(d["TargetHealth"]["State"] == "healthy" for d in out) == n


def _set(elb: Any, tg_arn: str, **attrs: str) -> None:
    elb.modify_target_group_attributes(TargetGroupArn=tg_arn, Attributes=[
        {"Key": k.replace("__", "."), "Value": v} for k, v in attrs.items()])


def test_a_target_in_slow_start_gets_a_small_share_until_slow_start_ends(elb, gureum, backends) -> None:  # type: ignore[no-untyped-def]
    a, b = backends
    tg = _group(elb)
    arn = tg["TargetGroupArn"]
    assert code_of(lambda: _set(elb, arn, slow_start__duration_seconds="10")) == "ValidationError"  # 0 or 30-900
    assert code_of(lambda: _set(elb, arn, slow_start__duration_seconds="901")) == "ValidationError"
    _set(elb, arn, slow_start__duration_seconds="900")
    elb.register_targets(TargetGroupArn=arn, Targets=[{"Id": "127.0.0.1", "Port": a.port}])
    address = _lb(elb, gureum, arn)
    wait_for("a healthy", lambda: _healthy(elb, arn, 1), 60)
    elb.register_targets(TargetGroupArn=arn, Targets=[{"Id": "127.0.0.1", "Port": b.port}])
    wait_for("b healthy too", lambda: _healthy(elb, arn, 2), 60)
    # b turned healthy beside a: in slow start for 900 s, its weight is (seconds since) / 900
    counts = Counter(_get(address)[0] for _ in range(20))
    assert counts["a"] >= 16 and counts["b"] <= 4, counts

    _set(elb, arn, slow_start__duration_seconds="0")  # off: b has its full share at once

    def even() -> Counter[str] | None:
        seen = Counter(_get(address)[0] for _ in range(10))
        return seen if seen == Counter({"a": 5, "b": 5}) else None
    wait_for("plain round robin over a and b", even, 30)


def test_app_cookie_stickiness_keeps_a_client_on_the_target_that_set_its_cookie(elb, gureum, backends) -> None:  # type: ignore[no-untyped-def]
    tg = _group(elb)
    arn = tg["TargetGroupArn"]
    elb.register_targets(TargetGroupArn=arn, Targets=[{"Id": "127.0.0.1", "Port": x.port} for x in backends])
    address = _lb(elb, gureum, arn)
    wait_for("both healthy", lambda: _healthy(elb, arn, 2), 60)
    assert code_of(lambda: _set(elb, arn, stickiness__enabled="true", stickiness__type="app_cookie")) == "ValidationError"
    assert code_of(lambda: _set(elb, arn, stickiness__app_cookie__cookie_name="AWSALBAPP-mine")) == "ValidationError"
    for x in backends:
        x.set_cookie = "SESSIONID=abc123; Path=/"
    _set(elb, arn, stickiness__enabled="true", stickiness__type="app_cookie", stickiness__app_cookie__cookie_name="SESSIONID",
         stickiness__app_cookie__duration_seconds="120")

    def first() -> tuple[str, list[str]] | None:
        served, cookies = _get(address)
        return (served, cookies) if any(c.startswith("AWSALBAPP-0=") for c in cookies) else None
    served, cookies = wait_for("the load balancer's AWSALBAPP cookies", first, 30)
    names = [c.split("=", 1)[0] for c in cookies]
    assert names == ["SESSIONID", "AWSALBAPP-0", "AWSALBAPP-1", "AWSALBAPP-2", "AWSALBAPP-3"], cookies
    assert all(c.startswith(f"AWSALBAPP-{i}=_remove_;") for i, c in zip((1, 2, 3), cookies[2:], strict=True))
    assert all("Expires=" in c and "Path=/" in c for c in cookies[1:])
    sticky = "; ".join(["SESSIONID=abc123", cookies[1].split(";", 1)[0]])
    assert {_get(address, sticky)[0] for _ in range(8)} == {served}  # round robin would alternate
    assert {_get(address)[0] for _ in range(4)} == {"a", "b"}  # without it, round robin
    for x in backends:
        x.set_cookie = None  # a response without the application cookie gets no AWSALBAPP
    assert not any(c.startswith("AWSALBAPP") for c in _get(address)[1])
