"""HTTPS listeners with ACM certificates issued by gureum's CA: a client trusting only
/_gureum/ca.pem verifies the chain (Python's ssl, hostname checked), SNI picks among the
listener's certificates, the target sees X-Forwarded-Proto https; an unissued certificate is
refused (CertificateNotFound)."""

from __future__ import annotations

import json
import socket
import ssl
import urllib.request
import uuid
from typing import Any

from waiting import wait_for

from tests.elbv2.elb_helpers import SUBNETS, VPC, Backend, code_of, resolve, uniq, wait_listening


def _issued(gureum: Any, zone: str, name: str) -> str:
    acm, r53 = gureum.client("acm"), gureum.client("route53")
    arn = acm.request_certificate(DomainName=name, ValidationMethod="DNS")["CertificateArn"]
    rr = acm.describe_certificate(CertificateArn=arn)["Certificate"]["DomainValidationOptions"][0]["ResourceRecord"]
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {
        "Name": rr["Name"], "Type": "CNAME", "TTL": 60, "ResourceRecords": [{"Value": rr["Value"]}]}}]})
    return str(arn)


def _get(address: str, server_name: str, ca: str) -> tuple[dict[str, Any], dict[str, Any]]:
    ctx = ssl.create_default_context(cadata=ca)
    with socket.create_connection((address, 443), timeout=20) as raw, ctx.wrap_socket(raw, server_hostname=server_name) as s:
        s.sendall(f"GET /x HTTP/1.1\r\nHost: {server_name}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
        cert = s.getpeercert()
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    return json.loads(body), cert


def test_https_listener_serves_acm_certificates_with_sni(gureum, elb) -> None:  # type: ignore[no-untyped-def]
    r53 = gureum.client("route53")
    base = f"{uuid.uuid4().hex[:8]}.example.com"
    zone = r53.create_hosted_zone(Name=base, CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
    first, second = _issued(gureum, zone, f"a.{base}"), _issued(gureum, zone, f"b.{base}")
    pending = gureum.client("acm").request_certificate(DomainName=f"c.{base}", ValidationMethod="DNS")["CertificateArn"]
    acm = gureum.client("acm")
    for arn in (first, second):
        wait_for("issued", lambda arn=arn: acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"] == "ISSUED", 60)
    backend = Backend("tls")
    try:
        lb = elb.create_load_balancer(Name=uniq("tls"), Subnets=SUBNETS)["LoadBalancers"][0]
        tg = elb.create_target_group(Name=uniq("tg"), Protocol="HTTP", Port=80, VpcId=VPC, TargetType="ip")["TargetGroups"][0]
        elb.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": "127.0.0.1", "Port": backend.port}])
        forward = [{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}]
        assert code_of(lambda: elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTPS", Port=443,
                                                   Certificates=[{"CertificateArn": pending}], DefaultActions=forward)) == "CertificateNotFound"
        listener = elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTPS", Port=443,
                                       Certificates=[{"CertificateArn": first}], DefaultActions=forward)["Listeners"][0]
        assert listener["SslPolicy"] == "ELBSecurityPolicy-2016-08"
        elb.add_listener_certificates(ListenerArn=listener["ListenerArn"], Certificates=[{"CertificateArn": second}])
        described = elb.describe_listener_certificates(ListenerArn=listener["ListenerArn"])["Certificates"]
        assert described == [{"CertificateArn": first, "IsDefault": True}, {"CertificateArn": second, "IsDefault": False}]
        ca = urllib.request.urlopen(f"{gureum.endpoint}/_gureum/ca.pem", timeout=10).read().decode()
        address = wait_for("DNS", lambda: resolve(gureum.dns_port, lb["DNSName"]), 20)
        wait_listening(address, 443)

        def served(name: str) -> Any:
            try:
                return _get(address, name, ca)
            except (ssl.SSLError, OSError):
                return None  # b.: the added certificate has not reached the listener yet
        doc, cert = wait_for("a.", lambda: served(f"a.{base}"), 60)
        assert dict(x[0] for x in cert["subject"])["commonName"] == f"a.{base}"
        assert doc["headers"]["x-forwarded-proto"] == "https" and doc["headers"]["x-forwarded-port"] == "443"
        assert doc["headers"]["x-forwarded-for"] == "127.0.0.1"
        doc, cert = wait_for("b. through SNI", lambda: served(f"b.{base}"), 60)
        assert dict(x[0] for x in cert["subject"])["commonName"] == f"b.{base}"
    finally:
        backend.close()

