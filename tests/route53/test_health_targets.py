"""Health checks and what they may probe: one real observation per checker region, and in a
shared cloud (`--auth strict`) no probes of the host's own or private addresses (AWS refuses
non-public IPAddress values; a name resolving to one is reported unhealthy, never probed)."""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError
from harness import GureumProcess
from waiting import wait_for

from gureum.services.route53 import health

KEY, SECRET = "AKIDHEALTH01", "s3cr3t-health"


class CountingListener:
    """A TCP listener on 127.0.0.1 that accepts, counts and closes connections."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        self._stop = True
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[CountingListener]:
    lst = CountingListener()
    yield lst
    lst.close()


@pytest.fixture(scope="module")
def strict_gureum(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GureumProcess]:
    proc = GureumProcess(tmp_path_factory.mktemp("strict-health") / "data",
                         extra_args=["--auth", "strict", "--set", f"auth.keys={KEY}:{SECRET}"],
                         env={"GUREUM_ROUTE53_HEALTH_INTERVAL_SCALE": "0.05"})
    proc.start()
    proc.wait_service("route53", "running")
    yield proc
    proc.stop()


def test_every_checker_region_reports_its_own_real_probe_from_the_start(gureum, listener):
    """Default regions (8) and the default 30 s interval: all 8 observations come within
    seconds, each from a probe that really connected (it used to be 2, the regions' first
    probes being spread over the whole interval)."""
    gureum.wait_service("route53", "running")
    r53 = gureum.client("route53")
    hc = r53.create_health_check(CallerReference=uuid.uuid4().hex, HealthCheckConfig={
        "Type": "TCP", "IPAddress": "127.0.0.1", "Port": listener.port})["HealthCheck"]["Id"]
    try:
        obs = wait_for("8 observations", lambda: (o := r53.get_health_check_status(HealthCheckId=hc)["HealthCheckObservations"]) and len(o) == 8 and o, timeout=15, interval=0.1)
        assert sorted(o["Region"] for o in obs) == sorted(health.CHECKER_REGIONS)
        assert all(o["StatusReport"]["Status"].startswith("Success") for o in obs)
        assert all(o["StatusReport"]["CheckedTime"] for o in obs)
        assert listener.accepted >= 8  # one real connection per region
    finally:
        r53.delete_health_check(HealthCheckId=hc)


def strict_client(proc: GureumProcess):
    return proc.client("route53", aws_access_key_id=KEY, aws_secret_access_key=SECRET)


@pytest.mark.parametrize("ip", ["127.0.0.1", "169.254.169.254", "10.213.0.1", "192.168.1.1", "100.64.0.1", "0.0.0.0", "::1", "::ffff:127.0.0.1", "fe80::1", "224.0.0.1"])
def test_strict_mode_refuses_checks_of_non_public_addresses(strict_gureum, ip):
    r53 = strict_client(strict_gureum)
    with pytest.raises(ClientError) as e:
        r53.create_health_check(CallerReference=uuid.uuid4().hex, HealthCheckConfig={"Type": "HTTP", "IPAddress": ip, "Port": 80})
    err = e.value.response
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400 and err["Error"]["Code"] == "InvalidInput"
    assert f"IP address {ip} is not a public IP address" in err["Error"]["Message"]


def test_strict_mode_never_probes_a_name_that_resolves_to_the_host(strict_gureum, listener):
    r53 = strict_client(strict_gureum)
    hc = r53.create_health_check(CallerReference=uuid.uuid4().hex, HealthCheckConfig={
        "Type": "TCP", "FullyQualifiedDomainName": "localhost", "Port": listener.port, "RequestInterval": 10,
        "FailureThreshold": 1, "Regions": ["us-east-1", "eu-west-1", "sa-east-1"]})["HealthCheck"]["Id"]
    try:
        obs = wait_for("3 observations", lambda: (o := r53.get_health_check_status(HealthCheckId=hc)["HealthCheckObservations"]) and len(o) == 3 and o, timeout=15, interval=0.1)
        for o in obs:
            assert o["StatusReport"]["Status"].startswith("Failure: Resolved IP: ")
            assert "is not a public IP address" in o["StatusReport"]["Status"]
        reasons = r53.get_health_check_last_failure_reason(HealthCheckId=hc)["HealthCheckObservations"]
        assert len(reasons) == 3
        # and the address cannot be set afterwards either
        with pytest.raises(ClientError) as e:
            r53.update_health_check(HealthCheckId=hc, IPAddress="169.254.169.254")
        assert e.value.response["Error"]["Code"] == "InvalidInput"
        assert listener.accepted == 0  # nothing ever connected
    finally:
        r53.delete_health_check(HealthCheckId=hc)


def test_private_targets_setting_defaults_follow_the_auth_mode():
    from gureum.services.route53.settings import Route53Settings
    from gureum.settings import read

    def allowed(auth: str, value: str | None) -> bool:
        s = read(Route53Settings, {"route53.health_check_private_targets": value}.get)
        return health.private_targets_allowed(s.health_check_private_targets, auth)

    assert allowed("open", None) is True
    assert allowed("strict", None) is False
    assert allowed("strict", "1") is True
    assert allowed("open", "0") is False
    assert allowed("strict", "ON") is True
    assert health.is_public("8.8.8.8") and not health.is_public("64:ff9b::7f00:1") and not health.is_public("2002:a00:1::")
