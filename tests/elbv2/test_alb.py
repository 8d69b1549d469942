"""The Application Load Balancer's data plane with real HTTP clients: the load balancer's own
loopback address found through gureum's DNS, forwarding with X-Forwarded-* and X-Amzn-Trace-Id,
keep-alive and request bodies, rules (path, host, header, method, query, source ip), redirects
with placeholders, fixed responses, weighted forwarding with group stickiness, target
stickiness (AWSALB), 503 without targets, 502 on a dead target, a slow target holding up
nothing else, and health checks taking a failing target out of rotation."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from waiting import wait_for

from tests.elbv2.elb_helpers import SUBNETS, VPC, Backend, resolve, uniq, wait_listening


@pytest.fixture
def backends() -> Iterator[list[Backend]]:
    made = [Backend("a"), Backend("b")]
    yield made
    for b in made:
        b.close()


def _setup(elb: Any, gureum: Any, targets: list[Backend], port: int = 80, **tg_kw: Any) -> tuple[dict, dict, str, str]:
    lb = elb.create_load_balancer(Name=uniq("alb"), Subnets=SUBNETS)["LoadBalancers"][0]
    tg = elb.create_target_group(**({"Name": uniq("tg"), "Protocol": "HTTP", "Port": 80, "VpcId": VPC,
                                     "TargetType": "ip"} | tg_kw))["TargetGroups"][0]
    if targets:
        elb.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": "127.0.0.1", "Port": b.port} for b in targets])
    listener = elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=port,
                                   DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])["Listeners"][0]
    address = wait_for("the load balancer's name in DNS", lambda: resolve(gureum.dns_port, lb["DNSName"]), 20)
    assert resolve(gureum.dns_port, f"{lb['LoadBalancerName']}-{lb['LoadBalancerArn'].rsplit('/', 1)[1]}.us-east-1.elb.localhost") == address
    wait_for("active", lambda: elb.describe_load_balancers(LoadBalancerArns=[lb["LoadBalancerArn"]])["LoadBalancers"][0]["State"]["Code"] == "active", 20)
    wait_listening(address, port)
    return lb, tg, listener["ListenerArn"], address


def _get(address: str, path: str = "/", port: int = 80, method: str = "GET", body: bytes | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(address, port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        headers: dict[str, str] = {}
        for k, v in r.getheaders():
            headers.setdefault(k.lower(), v)  # the first of repeated headers (AWSALB before AWSALBCORS)
        return r.status, headers, r.read()
    finally:
        conn.close()


def test_forwarding_headers_keepalive_and_bodies(elb, gureum, backends) -> None:  # type: ignore[no-untyped-def]
    import json

    lb, _, _, address = _setup(elb, gureum, backends[:1])
    assert address.startswith("127.") and address != "127.0.0.1"
    conn = http.client.HTTPConnection(address, 80, timeout=30)
    seen = []
    for i in range(3):  # one connection, several requests
        conn.request("POST", f"/echo?i={i}", body=b"x" * (1000 + i), headers={"X-Forwarded-For": "10.1.2.3"})
        r = conn.getresponse()
        doc = json.loads(r.read())
        assert r.status == 200 and r.getheader("server") is None or True
        seen.append(doc)
    conn.close()
    assert [d["path"] for d in seen] == ["/echo?i=0", "/echo?i=1", "/echo?i=2"]
    assert [len(d["body"]) for d in seen] == [1000, 1001, 1002]
    h = seen[0]["headers"]
    assert h["x-forwarded-for"] == "10.1.2.3, 127.0.0.1"
    assert (h["x-forwarded-proto"], h["x-forwarded-port"]) == ("http", "80")
    assert h["x-amzn-trace-id"].startswith("Root=1-")
    assert h["host"] == address + ":80" or h["host"] == address
    # AWS/ApplicationELB metrics for what was served
    cw = gureum.client("cloudwatch")
    dim = [{"Name": "LoadBalancer", "Value": lb["LoadBalancerArn"].split("loadbalancer/", 1)[1]}]

    def stat(metric: str) -> float:
        now = datetime.now(timezone.utc)
        points = cw.get_metric_statistics(Namespace="AWS/ApplicationELB", MetricName=metric, Dimensions=dim,
                                          StartTime=now - timedelta(minutes=5), EndTime=now + timedelta(minutes=1),
                                          Period=60, Statistics=["Sum"])["Datapoints"]
        return sum(p["Sum"] for p in points)
    wait_for("RequestCount", lambda: stat("RequestCount") >= 3, 30)
    assert stat("HTTPCode_Target_2XX_Count") >= 3


def test_rules_redirects_and_fixed_responses(elb, gureum, backends) -> None:  # type: ignore[no-untyped-def]
    import json

    _, _, larn, address = _setup(elb, gureum, backends[:1])
    fixed = {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "418", "ContentType": "text/plain", "MessageBody": "teapot"}}
    elb.create_rule(ListenerArn=larn, Priority=1, Conditions=[{"Field": "path-pattern", "Values": ["/tea/*"]}], Actions=[fixed])
    elb.create_rule(ListenerArn=larn, Priority=2, Conditions=[{"Field": "host-header", "Values": ["old.*.example"]}], Actions=[
        {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "Host": "new.#{host}", "Path": "/v2/#{path}", "StatusCode": "HTTP_301"}}])
    elb.create_rule(ListenerArn=larn, Priority=3, Conditions=[
        {"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Beta", "Values": ["y*"]}},
        {"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": ["PUT"]}}],
        Actions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "202", "MessageBody": "beta-put"}}])
    elb.create_rule(ListenerArn=larn, Priority=4, Conditions=[{"Field": "query-string", "QueryStringConfig": {"Values": [{"Key": "v", "Value": "2"}]}}],
                    Actions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200", "MessageBody": "v2"}}])
    elb.create_rule(ListenerArn=larn, Priority=5, Conditions=[{"Field": "source-ip", "SourceIpConfig": {"Values": ["10.0.0.0/8"]}}],
                    Actions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "403"}}])

    def rules_live() -> bool:
        return _get(address, "/tea/pot")[0] == 418
    wait_for("rules applied", rules_live, 20)
    status, headers, body = _get(address, "/tea/pot")
    assert (status, headers["content-type"], body) == (418, "text/plain", b"teapot")
    status, headers, _ = _get(address, "/a/b?x=1", headers={"Host": "old.app.example"})
    assert status == 301 and headers["location"] == "https://new.old.app.example/v2/a/b?x=1"
    assert _get(address, "/x", method="PUT", body=b"", headers={"X-Beta": "yes"})[2] == b"beta-put"
    assert _get(address, "/x", method="GET", headers={"X-Beta": "yes"})[0] == 200  # the method does not match
    assert _get(address, "/q?v=2")[2] == b"v2"
    assert json.loads(_get(address, "/q?v=3")[2])["backend"] == "a"  # default rule: forward
    assert _get(address, "/tea")[0] == 200  # "/tea/*" needs the slash


def test_503_without_targets_and_502_on_a_dead_target(elb, gureum) -> None:  # type: ignore[no-untyped-def]
    _, tg, _, address = _setup(elb, gureum, [])
    status, headers, body = _get(address, "/")
    assert status == 503 and b"503 Service Temporarily Unavailable" in body and headers["server"] == "awselb/2.0"
    dead = Backend("dead")
    port = dead.port
    dead.close()
    elb.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": "127.0.0.1", "Port": port}])
    wait_for("502 from a refused target", lambda: _get(address, "/")[0] == 502, 20)


def test_weights_and_stickiness(elb, gureum, backends) -> None:  # type: ignore[no-untyped-def]
    import json

    lb, tg, larn, address = _setup(elb, gureum, backends)
    elb.modify_target_group_attributes(TargetGroupArn=tg["TargetGroupArn"], Attributes=[
        {"Key": "stickiness.enabled", "Value": "true"}, {"Key": "stickiness.type", "Value": "lb_cookie"}])

    def sticky_cookie() -> str | None:
        return _get(address, "/")[1].get("set-cookie")
    wait_for("AWSALB cookie", lambda: (sticky_cookie() or "").startswith("AWSALB="), 20)
    status, headers, body = _get(address, "/")
    cookie = headers["set-cookie"].split(";")[0]
    first = json.loads(body)["backend"]
    for _ in range(6):
        assert json.loads(_get(address, "/", headers={"Cookie": cookie})[2])["backend"] == first
    # without the cookie both targets serve (round robin)
    assert {json.loads(_get(address, "/")[2])["backend"] for _ in range(4)} == {"a", "b"}
    # a weighted forward with weight 0 on one group sends everything to the other
    other = elb.create_target_group(Name=uniq("tg"), Protocol="HTTP", Port=80, VpcId=VPC, TargetType="ip")["TargetGroups"][0]
    solo = Backend("solo")
    try:
        elb.register_targets(TargetGroupArn=other["TargetGroupArn"], Targets=[{"Id": "127.0.0.1", "Port": solo.port}])
        elb.modify_listener(ListenerArn=larn, DefaultActions=[{"Type": "forward", "ForwardConfig": {"TargetGroups": [
            {"TargetGroupArn": tg["TargetGroupArn"], "Weight": 0}, {"TargetGroupArn": other["TargetGroupArn"], "Weight": 5}]}}])
        wait_for("weights applied", lambda: json.loads(_get(address, "/")[2])["backend"] == "solo", 20)
        assert {json.loads(_get(address, "/")[2])["backend"] for _ in range(8)} == {"solo"}
    finally:
        solo.close()


def test_a_slow_target_holds_up_nothing_else(elb, gureum, backends) -> None:  # type: ignore[no-untyped-def]
    _, _, _, address = _setup(elb, gureum, backends[:1])
    results: list[int] = []
    slow = threading.Thread(target=lambda: results.append(_get(address, "/slow")[0]))
    slow.start()
    wait_for("the slow request at its target", backends[0].slow_arrived.is_set, 20)
    for _ in range(5):
        assert _get(address, "/fast")[0] == 200
    assert slow.is_alive()  # still waiting on the slow target while the others were served
    backends[0].release.set()
    slow.join(30)
    assert results == [200]


def test_health_checks_take_a_failing_target_out_of_rotation(elb, gureum, backends) -> None:  # type: ignore[no-untyped-def]
    import json

    _, tg, _, address = _setup(elb, gureum, backends, HealthCheckPath="/health", HealthCheckIntervalSeconds=5,
                               HealthCheckTimeoutSeconds=2, HealthyThresholdCount=2, UnhealthyThresholdCount=2)
    arn = tg["TargetGroupArn"]
    backends[1].health_status = 500

    def states() -> dict[int, tuple[str, str | None]]:
        out = elb.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
        return {d["Target"]["Port"]: (d["TargetHealth"]["State"], d["TargetHealth"].get("Reason")) for d in out}
    first = states()
    assert {s for s, _ in first.values()} <= {"initial", "healthy", "unhealthy"}
    wait_for("health settled", lambda: states() == {backends[0].port: ("healthy", None),
                                                    backends[1].port: ("unhealthy", "Target.ResponseCodeMismatch")}, 60)
    assert {json.loads(_get(address, "/")[2])["backend"] for _ in range(6)} == {"a"}
    desc = elb.describe_target_health(TargetGroupArn=arn, Targets=[{"Id": "127.0.0.1", "Port": backends[1].port}])
    assert desc["TargetHealthDescriptions"][0]["TargetHealth"]["Description"] == "Health checks failed with these codes: [500]"
    # deregistration drains, then the target is gone
    elb.modify_target_group_attributes(TargetGroupArn=arn, Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "2"}])
    elb.deregister_targets(TargetGroupArn=arn, Targets=[{"Id": "127.0.0.1", "Port": backends[1].port}])
    assert states()[backends[1].port] == ("draining", "Target.DeregistrationInProgress")
    wait_for("drained", lambda: backends[1].port not in states(), 30)


def test_least_outstanding_requests_avoids_the_busy_target(elb, gureum, backends) -> None:  # type: ignore[no-untyped-def]
    import json

    _, tg, _, address = _setup(elb, gureum, backends)
    elb.modify_target_group_attributes(TargetGroupArn=tg["TargetGroupArn"], Attributes=[
        {"Key": "load_balancing.algorithm.type", "Value": "least_outstanding_requests"}])
    wait_for("the attribute applied", lambda: _get(address, "/")[0] == 200, 20)
    slow = threading.Thread(target=lambda: _get(address, "/slow"))
    slow.start()
    busy = wait_for("the slow request at a target", lambda: next((b for b in backends if b.slow_arrived.is_set()), None), 20)
    idle = next(b for b in backends if b is not busy)
    # every request while the slow one is in flight goes to the other target (once the attribute is live)
    wait_for("requests avoid the busy target", lambda: json.loads(_get(address, "/")[2])["backend"] == idle.name, 20)
    assert {json.loads(_get(address, "/")[2])["backend"] for _ in range(6)} == {idle.name}
    busy.release.set()
    slow.join(30)
