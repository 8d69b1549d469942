"""Helpers shared by the ACM tests: an imported self-signed certificate, a DNS-validated
request in a fresh hosted zone, and an AWS error's code."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def error_of(call) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as e:
        call()
    return dict(e.value.response["Error"])


def imported(acm: Any, name: str | None = None) -> str:
    """The ARN of a freshly imported self-signed certificate for `name`."""
    name = name or f"{uuid.uuid4().hex[:8]}.imported.example"
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False).sign(key, hashes.SHA256()))
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return str(acm.import_certificate(Certificate=cert.public_bytes(serialization.Encoding.PEM), PrivateKey=pem)["CertificateArn"])


def dns_validated(gureum: Any, wildcard: bool = False, **request: Any) -> tuple[str, str]:
    """(ARN, domain) of a DNS-validated request (for the domain and "*.domain" too when
    `wildcard`) whose validation record is put in a new hosted zone (the certificate is issued
    a moment later)."""
    acm, r53 = gureum.client("acm"), gureum.client("route53")
    domain = f"{uuid.uuid4().hex[:8]}.example.com"
    zone = r53.create_hosted_zone(Name=domain, CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
    if wildcard:
        request["SubjectAlternativeNames"] = [f"*.{domain}"]
    arn = acm.request_certificate(DomainName=domain, ValidationMethod="DNS", **request)["CertificateArn"]
    rr = acm.describe_certificate(CertificateArn=arn)["Certificate"]["DomainValidationOptions"][0]["ResourceRecord"]
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {
        "Name": rr["Name"], "Type": "CNAME", "TTL": 60, "ResourceRecords": [{"Value": rr["Value"]}]}}]})
    return str(arn), domain
