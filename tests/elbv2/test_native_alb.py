"""The ALB's native data plane (elbv2/native_alb.c) with real clients through a running gureum:
plain forwards are served by the worker (its shared counters move), many requests keep one
connection, a chunked request body and large answers (Content-Length and chunked) stream
through, a request the worker does not serve (a fixed-response rule, a query-string rule,
HTTP/1.0) gets Python's answer on the same connection, a target failing its health checks
leaves the rotation, and `elbv2.native_workers=0` leaves every request to Python."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from waiting import wait_for

from gureum.services.elbv2 import native_alb
from tests.elbv2.elb_helpers import SUBNETS, VPC, Backend, big_pattern, native_counts, resolve, uniq, wait_listening
from tests.harness import SUITE_RUNTIME_DATE, GureumProcess

pytestmark = pytest.mark.skipif(native_alb.worker_binary() is None, reason="no C compiler: no native worker")


@pytest.fixture
def backends() -> Iterator[list[Backend]]:
    made = [Backend("a"), Backend("b")]
    yield made
    for b in made:
        b.close()


def _setup(elb: Any, gureum: Any, targets: list[Backend], **tg_kw: Any) -> tuple[str, str, str]:
    """A load balancer forwarding to `targets`: (its address, the listener ARN, the group ARN)."""
    lb = elb.create_load_balancer(Name=uniq("nat"), Subnets=SUBNETS)["LoadBalancers"][0]
    tg = elb.create_target_group(**({"Name": uniq("tg"), "Protocol": "HTTP", "Port": 80, "VpcId": VPC,
                                     "TargetType": "ip"} | tg_kw))["TargetGroups"][0]
    elb.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": "127.0.0.1", "Port": b.port} for b in targets])
    listener = elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                                   DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])["Listeners"][0]
    address = wait_for("the load balancer's name", lambda: resolve(gureum.dns_port, lb["DNSName"]), 20)
    wait_listening(address, 80)
    return address, listener["ListenerArn"], tg["TargetGroupArn"]


def _counts(gureum: GureumProcess) -> tuple[int, int]:
    assert gureum.proc is not None
    return native_counts(gureum.proc.pid)


def _ask(conn: http.client.HTTPConnection, method: str, path: str, **kw: Any) -> tuple[int, dict[str, str], bytes]:
    conn.request(method, path, **kw)
    r = conn.getresponse()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()


def _served(address: str) -> bool:
    c = http.client.HTTPConnection(address, 80, timeout=10)
    try:
        return _ask(c, "GET", "/")[0] == 200
    finally:
        c.close()


def test_plain_forwards_are_served_natively_over_one_keep_alive_connection(elb, gureum, backends) -> None:  # type: ignore[no-untyped-def]
    address, _, _ = _setup(elb, gureum, backends)
    wait_for("served", lambda: _served(address), 20)
    before = _counts(gureum)
    conn = http.client.HTTPConnection(address, 80, timeout=30)
    seen = []
    for i in range(60):
        status, _, body = _ask(conn, "POST", f"/k?i={i}", body=b"b" * i, headers={"X-Forwarded-For": "10.9.8.7"})
        assert status == 200
        seen.append(json.loads(body))
    sock = conn.sock
    assert sock is not None  # the same connection throughout (http.client reconnects only after a close)
    conn.close()
    after = _counts(gureum)
    assert after[0] - before[0] >= 60 and after[1] == before[1]  # every one decided by the worker, none handed off
    assert [d["path"] for d in seen] == [f"/k?i={i}" for i in range(60)]
    assert [len(d["body"]) for d in seen] == list(range(60))
    assert {d["backend"] for d in seen[:2]} == {"a", "b"}  # round robin
    h = seen[0]["headers"]
    assert h["x-forwarded-for"] == "10.9.8.7, 127.0.0.1" and h["x-forwarded-port"] == "80"
    assert h["x-forwarded-proto"] == "http" and h["x-amzn-trace-id"].startswith("Root=1-")
    assert "connection" not in h


def test_a_chunked_request_body_and_large_answers_stream_through(elb, gureum, backends) -> None:  # type: ignore[no-untyped-def]
    address, _, _ = _setup(elb, gureum, backends[:1])
    wait_for("served", lambda: _served(address), 20)
    before = _counts(gureum)
    conn = http.client.HTTPConnection(address, 80, timeout=60)
    pieces = [b"first-", b"x" * 70000, b"-last"]
    status, _, body = _ask(conn, "POST", "/chunked", body=iter(pieces), encode_chunked=True,
                           headers={"Transfer-Encoding": "chunked"})
    doc = json.loads(body)
    assert status == 200 and doc["body"] == b"".join(pieces).decode()
    assert doc["headers"]["transfer-encoding"] == "chunked" and "content-length" not in doc["headers"]
    n = 6 * 1024 * 1024 + 17
    for path in (f"/blob?n={n}", f"/blob-chunked?n={n}"):
        status, headers, body = _ask(conn, "GET", path)
        assert status == 200 and len(body) == n and body == big_pattern(0, n)
        assert (headers.get("content-length") == str(n)) == (path.startswith("/blob?"))
    assert _ask(conn, "GET", "/after")[0] == 200  # the connection goes on
    conn.close()
    assert _counts(gureum)[0] - before[0] >= 4


def test_handed_off_requests_get_pythons_answer_on_the_same_connection(elb, gureum, backends) -> None:  # type: ignore[no-untyped-def]
    address, larn, _ = _setup(elb, gureum, backends[:1])
    elb.create_rule(ListenerArn=larn, Priority=1, Conditions=[{"Field": "path-pattern", "Values": ["/tea/*"]}],
                    Actions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "418", "MessageBody": "teapot"}}])
    elb.create_rule(ListenerArn=larn, Priority=2, Conditions=[
        {"Field": "query-string", "QueryStringConfig": {"Values": [{"Key": "v", "Value": "2"}]}}],
        Actions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200", "MessageBody": "v2"}}])
    elb.create_rule(ListenerArn=larn, Priority=3, Conditions=[{"Field": "path-pattern", "Values": ["/late"]}],
                    Actions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "202", "MessageBody": "late"}}])

    def teapot() -> bool:
        c = http.client.HTTPConnection(address, 80, timeout=10)
        try:
            return _ask(c, "GET", "/tea/pot")[0] == 418
        finally:
            c.close()
    wait_for("the rules applied", teapot, 20)
    # a rule before the query-string one: the worker decides, then hands the fixed response to Python
    before = _counts(gureum)
    conn = http.client.HTTPConnection(address, 80, timeout=30)
    assert _ask(conn, "GET", "/tea/x")[:3:2] == (418, b"teapot")
    for path, want in (("/x?v=2", (200, b"v2")), ("/late", (202, b"late")), ("/tea/y", (418, b"teapot"))):
        assert _ask(conn, "GET", path)[:3:2] == want  # Python's, on the same connection
    status, _, body = _ask(conn, "GET", "/plain")
    assert status == 200 and json.loads(body)["path"] == "/plain"
    conn.close()
    after = _counts(gureum)
    assert after[1] - before[1] == 1  # one hand-off: the connection stayed Python's
    # past the query-string rule the worker decides nothing: a plain path is Python's too
    before = after
    c2 = http.client.HTTPConnection(address, 80, timeout=30)
    assert _ask(c2, "GET", "/late")[:3:2] == (202, b"late")
    c2.close()
    assert _counts(gureum)[1] - before[1] == 1
    # HTTP/1.0: Python's answer, closed after it
    with socket.create_connection((address, 80), timeout=30) as s:
        s.sendall(b"GET /tea/z HTTP/1.0\r\n\r\n")
        got = b""
        while chunk := s.recv(65536):
            got += chunk
    assert got.startswith(b"HTTP/1.1 418 ") and got.endswith(b"teapot")


def test_a_target_failing_health_checks_leaves_the_rotation(elb, gureum, backends) -> None:  # type: ignore[no-untyped-def]
    address, _, tg = _setup(elb, gureum, backends, HealthCheckPath="/health", HealthCheckIntervalSeconds=5,
                            HealthCheckTimeoutSeconds=2, HealthyThresholdCount=2, UnhealthyThresholdCount=2)
    wait_for("served", lambda: _served(address), 20)
    conn = http.client.HTTPConnection(address, 80, timeout=30)
    assert {json.loads(_ask(conn, "GET", "/")[2])["backend"] for _ in range(4)} == {"a", "b"}
    backends[1].health_status = 500

    def states() -> dict[int, str]:
        out = elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
        return {d["Target"]["Port"]: d["TargetHealth"]["State"] for d in out}
    wait_for("b unhealthy", lambda: states()[backends[1].port] == "unhealthy", 60)
    wait_for("b out of rotation", lambda: {json.loads(_ask(conn, "GET", "/")[2])["backend"] for _ in range(4)} == {"a"}, 20)
    before = _counts(gureum)
    assert {json.loads(_ask(conn, "GET", "/")[2])["backend"] for _ in range(10)} == {"a"}
    assert _counts(gureum)[0] - before[0] >= 10
    conn.close()


def test_native_workers_zero_leaves_every_request_to_python(tmp_path: Path, backends: list[Backend]) -> None:
    g = GureumProcess(tmp_path / "data", env={**SUITE_RUNTIME_DATE, "GUREUM_ELBV2_NATIVE_WORKERS": "0"})
    g.start()
    try:
        address, _, _ = _setup(g.client("elbv2"), g, backends[:1])
        wait_for("served", lambda: _served(address), 20)
        conn = http.client.HTTPConnection(address, 80, timeout=30)
        assert all(_ask(conn, "GET", f"/p{i}")[0] == 200 for i in range(5))
        conn.close()
        assert g.proc is not None and native_counts(g.proc.pid) == (0, 0)  # no worker (one would have counted)
    finally:
        g.stop()
