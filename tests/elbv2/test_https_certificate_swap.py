"""Adding a certificate to an HTTPS listener changes what the next handshakes are served with,
on the same listening socket: a client connected before the change is still answered (a
rebind used to close the listener and drop such connections unanswered, b'')."""

from __future__ import annotations

import json
import socket
import ssl
import urllib.request
import uuid
from typing import Any

from waiting import wait_for

from tests.elbv2.elb_helpers import SUBNETS, VPC, Backend, resolve, uniq, wait_listening
from tests.elbv2.test_https import _get, _issued


def test_a_connection_opened_before_a_certificate_is_added_is_answered(gureum, elb) -> None:  # type: ignore[no-untyped-def]
    r53 = gureum.client("route53")
    base = f"{uuid.uuid4().hex[:8]}.example.com"
    zone = r53.create_hosted_zone(Name=base, CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
    first, second = _issued(gureum, zone, f"a.{base}"), _issued(gureum, zone, f"b.{base}")
    acm = gureum.client("acm")
    for arn in (first, second):
        wait_for("issued", lambda arn=arn: acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"] == "ISSUED", 60)
    backend = Backend("swap")
    try:
        lb = elb.create_load_balancer(Name=uniq("swap"), Subnets=SUBNETS)["LoadBalancers"][0]
        tg = elb.create_target_group(Name=uniq("tg"), Protocol="HTTP", Port=80, VpcId=VPC, TargetType="ip")["TargetGroups"][0]
        elb.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": "127.0.0.1", "Port": backend.port}])
        listener = elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTPS", Port=443,
                                       Certificates=[{"CertificateArn": first}],
                                       DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])["Listeners"][0]
        ca = urllib.request.urlopen(f"{gureum.endpoint}/_gureum/ca.pem", timeout=10).read().decode()
        address = wait_for("DNS", lambda: resolve(gureum.dns_port, lb["DNSName"]), 20)
        wait_listening(address, 443)

        def served(name: str) -> Any:
            try:
                return _get(address, name, ca)
            except (ssl.SSLError, OSError):
                return None
        wait_for("a.", lambda: served(f"a.{base}"), 60)
        ctx = ssl.create_default_context(cadata=ca)
        early = ctx.wrap_socket(socket.create_connection((address, 443), timeout=20), server_hostname=f"a.{base}")
        try:
            elb.add_listener_certificates(ListenerArn=listener["ListenerArn"], Certificates=[{"CertificateArn": second}])
            _, cert = wait_for("b. through SNI", lambda: served(f"b.{base}"), 60)
            assert dict(x[0] for x in cert["subject"])["commonName"] == f"b.{base}"
            early.sendall(f"GET /early HTTP/1.1\r\nHost: a.{base}\r\nConnection: close\r\n\r\n".encode())
            data = b""
            while chunk := early.recv(65536):
                data += chunk
        finally:
            early.close()
        head, _, body = data.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), data
        assert json.loads(body)["path"] == "/early"
    finally:
        backend.close()
