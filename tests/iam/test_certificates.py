"""IAM's X.509 certificates end to end through boto3: users' signing certificates (parsed,
id from the certificate, duplicates and the per-user quota refused, status, deletion guarding
the user) and server certificates (key checked against the certificate, chain parsed,
expiry read from the certificate, rename, tags)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@pytest.fixture
def account() -> str:
    return str(random.randint(10**11, 10**12 - 1))


@pytest.fixture
def iam(gureum, account):
    return gureum.client("iam", aws_access_key_id=account, aws_secret_access_key="x")


def error_of(exc: pytest.ExceptionInfo) -> tuple[str, int, str]:
    r = exc.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Message"]


def self_signed(cn: str, days: int = 30, start_days: int = -1) -> tuple[str, str, datetime]:
    """(certificate PEM, private key PEM, not-after) of a fresh self-signed certificate."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=start_days)
    end = start + timedelta(days=days)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem, end


# --- signing certificates --------------------------------------------------------------
def test_signing_certificate_lifecycle(iam):
    iam.create_user(UserName="signer")
    body, _, _ = self_signed("signer")
    up = iam.upload_signing_certificate(UserName="signer", CertificateBody=body)["Certificate"]
    assert up["UserName"] == "signer" and up["Status"] == "Active" and up["CertificateBody"] == body
    cid = up["CertificateId"]
    assert 24 <= len(cid) <= 128 and cid.isalnum()

    with pytest.raises(ClientError) as exc:
        iam.upload_signing_certificate(UserName="signer", CertificateBody=body)
    assert error_of(exc) == ("DuplicateCertificate", 409, f"The Certificate with id {cid} already exists.")

    iam.update_signing_certificate(UserName="signer", CertificateId=cid, Status="Inactive")
    listed = iam.list_signing_certificates(UserName="signer")["Certificates"]
    assert [(c["CertificateId"], c["Status"]) for c in listed] == [(cid, "Inactive")]

    iam.upload_signing_certificate(UserName="signer", CertificateBody=self_signed("two")[0])
    with pytest.raises(ClientError) as exc:
        iam.upload_signing_certificate(UserName="signer", CertificateBody=self_signed("three")[0])
    assert error_of(exc) == ("LimitExceeded", 409, "Cannot exceed quota for SigningCertificatesPerUser: 2")

    with pytest.raises(ClientError) as exc:
        iam.delete_user(UserName="signer")
    assert error_of(exc)[:2] == ("DeleteConflict", 409)
    for c in iam.list_signing_certificates(UserName="signer")["Certificates"]:
        iam.delete_signing_certificate(UserName="signer", CertificateId=c["CertificateId"])
    with pytest.raises(ClientError) as exc:
        iam.delete_signing_certificate(UserName="signer", CertificateId=cid)
    assert error_of(exc) == ("NoSuchEntity", 404, f"The Certificate with id {cid} cannot be found.")
    iam.delete_user(UserName="signer")


def test_signing_certificate_refused_when_malformed_or_expired(iam):
    iam.create_user(UserName="u")
    with pytest.raises(ClientError) as exc:
        iam.upload_signing_certificate(UserName="u", CertificateBody="-----BEGIN CERTIFICATE-----\nnope\n")
    assert error_of(exc)[:2] == ("MalformedCertificate", 400)
    expired, _, _ = self_signed("old", days=1, start_days=-10)
    with pytest.raises(ClientError) as exc:
        iam.upload_signing_certificate(UserName="u", CertificateBody=expired)
    assert error_of(exc)[:2] == ("InvalidCertificate", 400)


# --- server certificates ---------------------------------------------------------------
def test_server_certificate_lifecycle(iam, account):
    body, key, not_after = self_signed("www.example.com")
    chain, _, _ = self_signed("ca.example.com")
    up = iam.upload_server_certificate(
        ServerCertificateName="web", Path="/cloudfront/", CertificateBody=body, PrivateKey=key,
        CertificateChain=chain, Tags=[{"Key": "env", "Value": "prod"}],
    )
    meta = up["ServerCertificateMetadata"]
    assert meta["Arn"] == f"arn:aws:iam::{account}:server-certificate/cloudfront/web"
    assert meta["ServerCertificateId"].startswith("ASCA") and meta["Expiration"] == not_after
    assert up["Tags"] == [{"Key": "env", "Value": "prod"}]

    got = iam.get_server_certificate(ServerCertificateName="web")["ServerCertificate"]
    assert got["CertificateBody"] == body and got["CertificateChain"] == chain
    assert "PrivateKey" not in got and got["ServerCertificateMetadata"] == meta

    with pytest.raises(ClientError) as exc:
        iam.upload_server_certificate(ServerCertificateName="WEB", CertificateBody=body, PrivateKey=key)
    assert error_of(exc) == ("EntityAlreadyExists", 409, "The Server Certificate with name WEB already exists.")

    assert [m["ServerCertificateName"] for m in
            iam.list_server_certificates(PathPrefix="/cloudfront/")["ServerCertificateMetadataList"]] == ["web"]
    assert iam.list_server_certificates(PathPrefix="/other/")["ServerCertificateMetadataList"] == []

    iam.update_server_certificate(ServerCertificateName="web", NewServerCertificateName="site", NewPath="/")
    meta = iam.get_server_certificate(ServerCertificateName="site")["ServerCertificate"]["ServerCertificateMetadata"]
    assert meta["Arn"] == f"arn:aws:iam::{account}:server-certificate/site"

    iam.tag_server_certificate(ServerCertificateName="site", Tags=[{"Key": "team", "Value": "a"}])
    iam.untag_server_certificate(ServerCertificateName="site", TagKeys=["env"])
    assert iam.list_server_certificate_tags(ServerCertificateName="site")["Tags"] == [{"Key": "team", "Value": "a"}]

    iam.delete_server_certificate(ServerCertificateName="site")
    with pytest.raises(ClientError) as exc:
        iam.get_server_certificate(ServerCertificateName="site")
    assert error_of(exc) == ("NoSuchEntity", 404, "The Server Certificate with name site cannot be found.")


def test_server_certificate_key_must_match_and_parse(iam):
    body, _, _ = self_signed("a.example.com")
    _, other_key, _ = self_signed("b.example.com")
    with pytest.raises(ClientError) as exc:
        iam.upload_server_certificate(ServerCertificateName="x", CertificateBody=body, PrivateKey=other_key)
    assert error_of(exc)[:2] == ("KeyPairMismatch", 400)
    with pytest.raises(ClientError) as exc:
        iam.upload_server_certificate(ServerCertificateName="x", CertificateBody=body, PrivateKey="not a key")
    assert error_of(exc)[:2] == ("MalformedCertificate", 400)
    with pytest.raises(ClientError) as exc:
        iam.upload_server_certificate(ServerCertificateName="x", CertificateBody="garbage", PrivateKey=other_key)
    assert error_of(exc)[:2] == ("MalformedCertificate", 400)
    assert iam.list_server_certificates()["ServerCertificateMetadataList"] == []


def test_account_summary_counts_server_certificates(iam):
    body, key, _ = self_signed("count.example.com")
    assert iam.get_account_summary()["SummaryMap"]["ServerCertificates"] == 0
    iam.upload_server_certificate(ServerCertificateName="one", CertificateBody=body, PrivateKey=key)
    assert iam.get_account_summary()["SummaryMap"]["ServerCertificates"] == 1
