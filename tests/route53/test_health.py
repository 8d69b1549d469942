"""Health checks end to end: a real gureum probing real HTTP/TCP servers on 127.0.0.1 that go
up and down; the DNS answers follow within the failure threshold (intervals shrunk with the
documented `route53.health_interval_scale` setting)."""

from __future__ import annotations

import http.server
import socket
import threading
import uuid
from collections.abc import Iterator

import dns.message
import dns.query
import pytest
from botocore.exceptions import ClientError
from harness import GureumProcess, free_port
from waiting import wait_for

from .zones import udp

SCALE = "0.05"  # RequestInterval 10 s → 0.5 s


@pytest.fixture(scope="module")
def gureum_fast_health(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GureumProcess]:
    proc = GureumProcess(tmp_path_factory.mktemp("health") / "data", env={"GUREUM_ROUTE53_HEALTH_INTERVAL_SCALE": SCALE})
    proc.start()
    proc.wait_service("route53", "running")
    yield proc
    proc.stop()


class Switchable:
    """An HTTP server on 127.0.0.1 that answers 200 with a body, or 500, or is stopped."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.status = 200
        self.body = b"all good: ready"
        self._server: http.server.ThreadingHTTPServer | None = None

    def start(self) -> None:
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                self.send_response(outer.status)
                self.send_header("Content-Length", str(len(outer.body)))
                self.end_headers()
                self.wfile.write(outer.body)

            def log_message(self, *args) -> None:
                pass

        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@pytest.fixture
def web() -> Iterator[Switchable]:
    s = Switchable()
    s.start()
    yield s
    s.stop()


def create_check(r53, **cfg) -> str:
    base = {"Type": "HTTP", "IPAddress": "127.0.0.1", "RequestInterval": 10, "FailureThreshold": 2,
            "Regions": ["us-east-1", "eu-west-1", "ap-northeast-1"]}
    base.update(cfg)
    return r53.create_health_check(CallerReference=str(uuid.uuid4()), HealthCheckConfig=base)["HealthCheck"]["Id"]


def observed_healthy(r53, hc_id: str) -> bool | None:
    obs = r53.get_health_check_status(HealthCheckId=hc_id)["HealthCheckObservations"]
    if not obs:
        return None
    ok = sum(1 for o in obs if o["StatusReport"]["Status"].startswith("Success"))
    return ok / len(obs) > 0.18


def answer(proc: GureumProcess, name: str) -> list[str]:
    r = udp(dns.message.make_query(name, "A"), proc.dns_port)
    return sorted(rd.to_text() for rr in r.answer for rd in rr)


def test_health_check_api_crud_idempotency_and_count(gureum_fast_health):
    r53 = gureum_fast_health.client("route53")
    cfg = {"Type": "TCP", "IPAddress": "127.0.0.1", "Port": 9, "RequestInterval": 30}
    first = r53.create_health_check(CallerReference="ref-1", HealthCheckConfig=cfg)["HealthCheck"]
    again = r53.create_health_check(CallerReference="ref-1", HealthCheckConfig=cfg)["HealthCheck"]
    assert again["Id"] == first["Id"]
    assert first["HealthCheckConfig"]["FailureThreshold"] == 3 and first["HealthCheckVersion"] == 1
    with pytest.raises(ClientError) as exc:
        r53.create_health_check(CallerReference="ref-1", HealthCheckConfig={**cfg, "Port": 10})
    assert exc.value.response["Error"]["Code"] == "HealthCheckAlreadyExists"
    with pytest.raises(ClientError) as exc:
        r53.create_health_check(CallerReference="ref-2", HealthCheckConfig={**cfg, "RequestInterval": 20})
    assert exc.value.response["Error"]["Code"] == "InvalidInput"
    hc = first["Id"]
    assert r53.get_health_check(HealthCheckId=hc)["HealthCheck"]["HealthCheckConfig"]["Port"] == 9
    assert hc in [h["Id"] for h in r53.list_health_checks()["HealthChecks"]]
    assert r53.get_health_check_count()["HealthCheckCount"] >= 1
    updated = r53.update_health_check(HealthCheckId=hc, HealthCheckVersion=1, Port=19, Inverted=True)["HealthCheck"]
    assert updated["HealthCheckVersion"] == 2 and updated["HealthCheckConfig"]["Inverted"] is True
    with pytest.raises(ClientError) as exc:
        r53.update_health_check(HealthCheckId=hc, HealthCheckVersion=1, Port=20)
    assert exc.value.response["Error"]["Code"] == "HealthCheckVersionMismatch"
    r53.change_tags_for_resource(ResourceType="healthcheck", ResourceId=hc, AddTags=[{"Key": "team", "Value": "dns"}])
    tags = r53.list_tags_for_resource(ResourceType="healthcheck", ResourceId=hc)["ResourceTagSet"]["Tags"]
    assert tags == [{"Key": "team", "Value": "dns"}]
    assert r53.get_checker_ip_ranges()["CheckerIpRanges"]
    r53.delete_health_check(HealthCheckId=hc)
    with pytest.raises(ClientError) as exc:
        r53.get_health_check(HealthCheckId=hc)
    assert exc.value.response["Error"]["Code"] == "NoSuchHealthCheck"


def test_http_check_observations_per_region_follow_the_server(gureum_fast_health, web):
    r53 = gureum_fast_health.client("route53")
    hc = create_check(r53, Port=web.port, ResourcePath="/health", Regions=["us-east-1", "eu-west-1", "ap-southeast-1"])
    def all_regions_report():
        obs = r53.get_health_check_status(HealthCheckId=hc)["HealthCheckObservations"]
        return len(obs) == 3 and obs

    obs = wait_for("an observation from every checker region", all_regions_report)
    assert sorted(o["Region"] for o in obs) == ["ap-southeast-1", "eu-west-1", "us-east-1"]
    wait_for("observed healthy", lambda: observed_healthy(r53, hc) is True)
    web.status = 500
    wait_for("observed unhealthy", lambda: observed_healthy(r53, hc) is False)
    reasons = r53.get_health_check_last_failure_reason(HealthCheckId=hc)["HealthCheckObservations"]
    assert reasons and "500" in reasons[0]["StatusReport"]["Status"]
    r53.delete_health_check(HealthCheckId=hc)


def make_zone(r53, name: str) -> str:
    return r53.create_hosted_zone(Name=name, CallerReference=str(uuid.uuid4()))["HostedZone"]["Id"]


def test_failover_answers_switch_when_the_primary_server_goes_down_and_up(gureum_fast_health, web):
    r53 = gureum_fast_health.client("route53")
    zone = make_zone(r53, "failover.test")
    hc = create_check(r53, Type="HTTP_STR_MATCH", Port=web.port, SearchString="ready")
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": {"Name": "app.failover.test", "Type": "A", "SetIdentifier": "p",
                                                   "Failover": "PRIMARY", "TTL": 60, "HealthCheckId": hc,
                                                   "ResourceRecords": [{"Value": "192.0.2.1"}]}},
        {"Action": "CREATE", "ResourceRecordSet": {"Name": "app.failover.test", "Type": "A", "SetIdentifier": "s",
                                                   "Failover": "SECONDARY", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.2"}]}},
    ]})
    wait_for("app.failover.test answering [192.0.2.1]", lambda: answer(gureum_fast_health, "app.failover.test") == ["192.0.2.1"])
    web.stop()  # connection refused from every checker region
    wait_for("app.failover.test answering [192.0.2.2]", lambda: answer(gureum_fast_health, "app.failover.test") == ["192.0.2.2"])
    web.start()
    wait_for("app.failover.test answering [192.0.2.1]", lambda: answer(gureum_fast_health, "app.failover.test") == ["192.0.2.1"])
    web.body = b"not the string"  # string match fails: unhealthy again
    wait_for("app.failover.test answering [192.0.2.2]", lambda: answer(gureum_fast_health, "app.failover.test") == ["192.0.2.2"])


def test_weighted_answers_drop_an_unhealthy_tcp_endpoint(gureum_fast_health):
    r53 = gureum_fast_health.client("route53")
    zone = make_zone(r53, "weighted.test")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    port = listener.getsockname()[1]
    up = create_check(r53, Type="TCP", Port=port)
    down = create_check(r53, Type="TCP", Port=free_port())  # nothing listens there
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": {"Name": "w.weighted.test", "Type": "A", "SetIdentifier": sid, "Weight": 50,
                                                   "TTL": 60, "HealthCheckId": hc, "ResourceRecords": [{"Value": ip}]}}
        for sid, hc, ip in (("up", up, "192.0.2.10"), ("down", down, "192.0.2.20"))]})
    try:
        wait_for("w.weighted.test answering only 192.0.2.10", lambda: all(answer(gureum_fast_health, "w.weighted.test") == ["192.0.2.10"] for _ in range(20)))
    finally:
        listener.close()
    # the listener is gone: both unhealthy → both count as healthy again
    wait_for("w.weighted.test answering both weighted records", lambda: {answer(gureum_fast_health, "w.weighted.test")[0] for _ in range(40)} == {"192.0.2.10", "192.0.2.20"})


def test_calculated_inverted_and_disabled_checks(gureum_fast_health, web):
    r53 = gureum_fast_health.client("route53")
    zone = make_zone(r53, "calc.test")
    child_up = create_check(r53, Port=web.port)
    child_down = create_check(r53, Port=free_port())
    calc = r53.create_health_check(CallerReference=str(uuid.uuid4()), HealthCheckConfig={
        "Type": "CALCULATED", "ChildHealthChecks": [child_up, child_down], "HealthThreshold": 2})["HealthCheck"]["Id"]
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": {"Name": "c.calc.test", "Type": "A", "SetIdentifier": "p", "Failover": "PRIMARY",
                                                   "TTL": 60, "HealthCheckId": calc, "ResourceRecords": [{"Value": "192.0.2.1"}]}},
        {"Action": "CREATE", "ResourceRecordSet": {"Name": "c.calc.test", "Type": "A", "SetIdentifier": "s", "Failover": "SECONDARY",
                                                   "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.2"}]}},
    ]})
    wait_for("c.calc.test answering [192.0.2.2]", lambda: answer(gureum_fast_health, "c.calc.test") == ["192.0.2.2"])  # 1 of 2 children healthy < 2
    r53.update_health_check(HealthCheckId=calc, HealthThreshold=1)
    wait_for("c.calc.test answering [192.0.2.1]", lambda: answer(gureum_fast_health, "c.calc.test") == ["192.0.2.1"])
    r53.update_health_check(HealthCheckId=calc, Inverted=True)
    wait_for("c.calc.test answering [192.0.2.2]", lambda: answer(gureum_fast_health, "c.calc.test") == ["192.0.2.2"])
    r53.update_health_check(HealthCheckId=calc, Disabled=True)  # disabled: healthy whatever it measures
    wait_for("c.calc.test answering [192.0.2.1]", lambda: answer(gureum_fast_health, "c.calc.test") == ["192.0.2.1"])


def test_cloudwatch_metric_check_uses_insufficient_data_status(gureum_fast_health):
    r53 = gureum_fast_health.client("route53")
    zone = make_zone(r53, "cw.test")
    cw = r53.create_health_check(CallerReference=str(uuid.uuid4()), HealthCheckConfig={
        "Type": "CLOUDWATCH_METRIC", "AlarmIdentifier": {"Region": "us-east-1", "Name": "alarm"},
        "InsufficientDataHealthStatus": "Unhealthy"})["HealthCheck"]
    assert cw["HealthCheckConfig"]["InsufficientDataHealthStatus"] == "Unhealthy"
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": {"Name": "m.cw.test", "Type": "A", "SetIdentifier": "p", "Failover": "PRIMARY",
                                                   "TTL": 60, "HealthCheckId": cw["Id"], "ResourceRecords": [{"Value": "192.0.2.1"}]}},
        {"Action": "CREATE", "ResourceRecordSet": {"Name": "m.cw.test", "Type": "A", "SetIdentifier": "s", "Failover": "SECONDARY",
                                                   "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.2"}]}},
    ]})
    wait_for("m.cw.test answering [192.0.2.2]", lambda: answer(gureum_fast_health, "m.cw.test") == ["192.0.2.2"])
    r53.update_health_check(HealthCheckId=cw["Id"], InsufficientDataHealthStatus="Healthy")
    wait_for("m.cw.test answering [192.0.2.1]", lambda: answer(gureum_fast_health, "m.cw.test") == ["192.0.2.1"])


@pytest.mark.skipif(__import__("shutil").which("openssl") is None, reason="needs the openssl command")
def test_https_str_match_probe_does_not_validate_the_certificate(gureum_fast_health, tmp_path):
    import ssl
    import subprocess

    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=self-signed.invalid", "-days", "1",
                    "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")], check=True, capture_output=True)
    web = Switchable()
    web.start()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    web._server.socket = ctx.wrap_socket(web._server.socket, server_side=True)
    try:
        r53 = gureum_fast_health.client("route53")
        hc = create_check(r53, Type="HTTPS_STR_MATCH", Port=web.port, SearchString="ready",
                          FullyQualifiedDomainName="self-signed.invalid")
        wait_for("observed healthy", lambda: observed_healthy(r53, hc) is True)
        web.body = b"x" * 6000 + b"ready"  # beyond the first 5,120 bytes: no match
        wait_for("observed unhealthy", lambda: observed_healthy(r53, hc) is False)
        reasons = r53.get_health_check_last_failure_reason(HealthCheckId=hc)["HealthCheckObservations"]
        assert any("search string" in o["StatusReport"]["Status"] for o in reasons)
        r53.delete_health_check(HealthCheckId=hc)
    finally:
        web.stop()
