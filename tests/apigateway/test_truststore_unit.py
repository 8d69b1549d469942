"""Mutual TLS truststores and client certificates on values (no gureum): which certificates
of a bundle are kept and which become AWS-style warnings, and whether a client certificate
was issued by a truststore (a forged one with the same issuer name is not)."""

from __future__ import annotations

import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from gureum.services.apigateway.https_domains import client_cert, issued_by
from gureum.services.apigateway.truststore import check

NOW = datetime.datetime(2026, 6, 1, tzinfo=datetime.timezone.utc)
DAY = datetime.timedelta(days=1)


def _cert(cn: str, key: Any, issuer: str, issuer_key: Any, *, ca: bool, start: datetime.datetime = NOW - DAY,
          end: datetime.datetime = NOW + DAY) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    by = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)])
    return (x509.CertificateBuilder().subject_name(name).issuer_name(by).public_key(key.public_key())
            .serial_number(0x1234).not_valid_before(start).not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True).sign(issuer_key, hashes.SHA256()))


def _pem(c: x509.Certificate) -> str:
    return c.public_bytes(serialization.Encoding.PEM).decode()


def test_truststore_keeps_valid_ca_certificates_and_warns_of_the_rest() -> None:
    k = [ec.generate_private_key(ec.SECP256R1()) for _ in range(4)]
    good = _cert("root", k[0], "root", k[0], ca=True)
    expired = _cert("old", k[1], "old", k[1], ca=True, start=NOW - 10 * DAY, end=NOW - DAY)
    future = _cert("new", k[2], "new", k[2], ca=True, start=NOW + DAY, end=NOW + 10 * DAY)
    leaf = _cert("leaf", k[3], "root", k[0], ca=False)
    broken = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    bundle = (_pem(good) + _pem(expired) + _pem(future) + _pem(leaf) + broken).encode()
    pem, warnings = check(bundle, NOW)
    assert pem.strip() == _pem(good).strip()
    assert len(warnings) == 4
    assert "expired" in warnings[0] and "not yet valid" in warnings[1] and "not a CA" in warnings[2]
    assert "could not be parsed" in warnings[3]
    assert check(b"no certificates here", NOW) == ("", [])


def test_a_client_certificate_counts_only_when_the_truststore_issued_it() -> None:
    root_key, other_key, client_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    root = _cert("root", root_key, "root", root_key, ca=True)
    client = _cert("device", client_key, "root", root_key, ca=False)
    forged = _cert("device", client_key, "root", other_key, ca=False)  # the issuer's name, another key
    der = client.public_bytes(serialization.Encoding.DER)
    assert issued_by(der, _pem(root))
    assert not issued_by(forged.public_bytes(serialization.Encoding.DER), _pem(root))
    assert not issued_by(b"garbage", _pem(root))
    facts = client_cert(der)
    assert (facts["subjectDN"], facts["issuerDN"], facts["serialNumber"]) == ("CN=device", "CN=root", "1234")
    assert facts["validity"] == {"notBefore": "May 31 00:00:00 2026 GMT", "notAfter": "Jun 02 00:00:00 2026 GMT"}
