"""ExportCertificate (certificates requested with Options.Export ENABLED: the certificate, its
chain and the private key as encrypted PKCS#8 under the passphrase), RenewCertificate (exported
certificates: validation re-checked, a new certificate issued, RenewalSummary SUCCESS) and
RevokeCertificate (exportable certificates, not in use: REVOKED with its reason), with AWS's
errors; managed renewal's decision on values."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from waiting import wait_for

from gureum.services.acm import lifecycle
from tests.acm.helpers import dns_validated, error_of, imported

EXPORTABLE = {"Export": "ENABLED"}


def _issued(acm: Any, arn: str) -> dict[str, Any]:
    return dict(wait_for("issued", lambda: (c := acm.describe_certificate(CertificateArn=arn)["Certificate"])["Status"] == "ISSUED" and c, 60))


def _billed(gureum: Any, arn: str) -> dict[str, float]:
    today = dt.datetime.now(dt.UTC).date()
    out = gureum.client("ce").get_cost_and_usage_with_resources(
        TimePeriod={"Start": (today - dt.timedelta(days=1)).isoformat(), "End": (today + dt.timedelta(days=1)).isoformat()},
        Granularity="DAILY", Metrics=["UsageQuantity"], Filter={"Dimensions": {"Key": "RESOURCE_ID", "Values": [arn]}},
        GroupBy=[{"Type": "DIMENSION", "Key": "USAGE_TYPE"}])
    totals: dict[str, float] = {}
    for r in out["ResultsByTime"]:
        for g in r["Groups"]:
            totals[g["Keys"][0]] = totals.get(g["Keys"][0], 0.0) + float(g["Metrics"]["UsageQuantity"]["Amount"])
    return totals


def test_export_then_renew_then_revoke(gureum: Any) -> None:
    acm = gureum.client("acm")
    arn, domain = dns_validated(gureum, wildcard=True, Options=EXPORTABLE)
    assert acm.describe_certificate(CertificateArn=arn)["Certificate"]["Options"]["Export"] == "ENABLED"
    first = _issued(acm, arn)
    assert first["RenewalEligibility"] == "INELIGIBLE"  # neither in use nor exported yet
    assert error_of(lambda: acm.renew_certificate(CertificateArn=arn))["Code"] == "ValidationException"

    assert error_of(lambda: acm.export_certificate(CertificateArn=arn, Passphrase=b"100%sure"))["Code"] == "ValidationException"
    out = acm.export_certificate(CertificateArn=arn, Passphrase=b"correct horse")
    assert out["PrivateKey"].startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    with pytest.raises(ValueError):
        serialization.load_pem_private_key(out["PrivateKey"].encode(), password=b"wrong")
    key = serialization.load_pem_private_key(out["PrivateKey"].encode(), password=b"correct horse")
    leaf = x509.load_pem_x509_certificate(out["Certificate"].encode())
    assert key.public_key().public_numbers() == leaf.public_key().public_numbers()  # type: ignore[union-attr]
    assert out["Certificate"] == acm.get_certificate(CertificateArn=arn)["Certificate"]
    assert x509.load_pem_x509_certificate(out["CertificateChain"].encode()).issuer == leaf.issuer
    assert acm.describe_certificate(CertificateArn=arn)["Certificate"]["RenewalEligibility"] == "ELIGIBLE"

    acm.renew_certificate(CertificateArn=arn)  # the validation record is still in the zone: a new certificate
    def renewed() -> dict[str, Any] | None:
        c = acm.describe_certificate(CertificateArn=arn)["Certificate"]
        return c if c.get("RenewalSummary", {}).get("RenewalStatus") == "SUCCESS" else None
    second = wait_for("renewed", renewed, 60)
    assert second["Status"] == "ISSUED" and second["Serial"] != first["Serial"]
    assert [dv["ValidationStatus"] for dv in second["RenewalSummary"]["DomainValidationOptions"]] == ["SUCCESS", "SUCCESS"]
    assert acm.get_certificate(CertificateArn=arn)["Certificate"] != out["Certificate"]
    # billed at each issuance, per name: the first and the renewal, one FQDN and one wildcard each time
    wait_for("billed", lambda: _billed(gureum, arn) == {"USE1-IssueExportablePublicCertificateDomain": 2.0,
                                                        "USE1-IssueExportablePublicCertificateWildcardDomain": 2.0}, 30)

    apigw = gureum.client("apigateway")
    name = f"api.{domain}"
    apigw.create_domain_name(domainName=name, regionalCertificateArn=arn, endpointConfiguration={"types": ["REGIONAL"]})
    assert error_of(lambda: acm.revoke_certificate(CertificateArn=arn, RevocationReason="KEY_COMPROMISE"))["Code"] == "ResourceInUseException"
    apigw.delete_domain_name(domainName=name)
    acm.revoke_certificate(CertificateArn=arn, RevocationReason="KEY_COMPROMISE")
    revoked = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert (revoked["Status"], revoked["RevocationReason"]) == ("REVOKED", "KEY_COMPROMISE") and "RevokedAt" in revoked
    assert error_of(lambda: acm.revoke_certificate(CertificateArn=arn, RevocationReason="UNSPECIFIED"))["Code"] == "ConflictException"
    assert error_of(lambda: acm.export_certificate(CertificateArn=arn, Passphrase=b"correct horse"))["Code"] == "ValidationException"


def test_only_exportable_certificates_export_or_revoke(gureum: Any) -> None:
    acm = gureum.client("acm")
    arn, _ = dns_validated(gureum)
    assert error_of(lambda: acm.export_certificate(CertificateArn=arn, Passphrase=b"passphrase"))["Code"] in (
        "ValidationException", "RequestInProgressException")
    _issued(acm, arn)
    assert error_of(lambda: acm.export_certificate(CertificateArn=arn, Passphrase=b"passphrase"))["Code"] == "ValidationException"
    assert error_of(lambda: acm.revoke_certificate(CertificateArn=arn, RevocationReason="UNSPECIFIED"))["Code"] == "ValidationException"
    other = imported(acm)
    assert error_of(lambda: acm.export_certificate(CertificateArn=other, Passphrase=b"passphrase"))["Code"] == "ValidationException"
    assert error_of(lambda: acm.renew_certificate(CertificateArn=other))["Code"] == "ValidationException"
    pending = acm.request_certificate(DomainName="pending.example.com", ValidationMethod="DNS", Options=EXPORTABLE)["CertificateArn"]
    assert error_of(lambda: acm.export_certificate(CertificateArn=pending, Passphrase=b"passphrase"))["Code"] == "RequestInProgressException"
    assert error_of(lambda: acm.export_certificate(CertificateArn=pending, Passphrase=b"abc"))["Code"] == "ValidationException"  # min 4


def test_managed_renewal_is_due_sixty_days_before_expiry_for_eligible_certificates() -> None:
    day = 86400.0
    doc = {"Type": "AMAZON_ISSUED", "Status": "ISSUED", "NotAfter": 1000 * day, "DomainValidationOptions": []}
    assert not lifecycle.due(doc, in_use=False, now=990 * day)  # neither in use nor exported
    assert lifecycle.due(doc, in_use=True, now=940 * day)
    assert not lifecycle.due(doc, in_use=True, now=939 * day)
    assert lifecycle.due(doc | {"exported": True}, in_use=False, now=950 * day)
    assert not lifecycle.due(doc | {"RenewalSummary": {"RenewalStatus": "PENDING_AUTO_RENEWAL", "DomainValidationOptions": []}},
                             in_use=True, now=950 * day)
    assert not lifecycle.due(doc | {"Type": "IMPORTED"}, in_use=True, now=950 * day)
