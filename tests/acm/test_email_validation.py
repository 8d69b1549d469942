"""EMAIL validation: the approval mail goes from no-reply@certificates.amazon.com to the
validation domain's five contacts (kept at /_gureum/ses), its link shows the approval page
(GET) and approves (POST); the certificate is issued once every domain is approved.
ResendValidationEmail mails again, with AWS's errors for a wrong domain or state."""

from __future__ import annotations

import re
import uuid
from typing import Any

import requests
from waiting import wait_for

from tests.acm.helpers import error_of

CONTACTS = ("admin", "administrator", "hostmaster", "postmaster", "webmaster")


def _mails(gureum: Any, address: str) -> list[dict[str, Any]]:
    found = requests.get(f"{gureum.endpoint}/_gureum/ses", params={"email": address}, timeout=10).json()["messages"]
    return [m for m in found if m["source"] == "no-reply@certificates.amazon.com"]


def _link(mail: dict[str, Any]) -> str:
    match = re.search(r"http://\S+/_gureum/acm/approve\?\S+", mail["body"]["text"])
    assert match, mail["body"]["text"]
    return match.group(0)


def test_approval_mail_link_issues_the_certificate(gureum: Any) -> None:
    acm = gureum.client("acm")
    base = f"{uuid.uuid4().hex[:8]}.example.org"
    www = f"www.{base}"
    arn = acm.request_certificate(DomainName=base, SubjectAlternativeNames=[www], ValidationMethod="EMAIL",
                                  DomainValidationOptions=[{"DomainName": www, "ValidationDomain": base}])["CertificateArn"]
    cert = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert cert["Status"] == "PENDING_VALIDATION"
    for dv in cert["DomainValidationOptions"]:
        assert dv["ValidationMethod"] == "EMAIL" and dv["ValidationDomain"] == base
        assert dv["ValidationEmails"] == [f"{who}@{base}" for who in CONTACTS]
    mails = wait_for("approval mails", lambda: m if len(m := _mails(gureum, f"admin@{base}")) == 2 else None, 30)
    assert sorted(m["subject"] for m in mails) == sorted([f"Certificate approval for {base}", f"Certificate approval for {www}"])
    assert set(mails[0]["destination"]) == {f"{who}@{base}" for who in CONTACTS}
    links = {m["subject"].rsplit(" ", 1)[1]: _link(m) for m in mails}

    shown = requests.get(links[base], timeout=10)
    assert shown.status_code == 200 and "<form" in shown.text and base in shown.text
    assert acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"] == "PENDING_VALIDATION"  # GET approves nothing
    forged = re.sub(r"code=[^&]+", "code=forged", links[base])
    assert requests.post(forged, timeout=10).status_code == 400
    assert requests.post(links[base], timeout=10).status_code == 200
    cert = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert cert["Status"] == "PENDING_VALIDATION"
    assert {dv["DomainName"]: dv["ValidationStatus"] for dv in cert["DomainValidationOptions"]} == {
        base: "SUCCESS", www: "PENDING_VALIDATION"}

    acm.resend_validation_email(CertificateArn=arn, Domain=www, ValidationDomain=base)
    wait_for("resent mail", lambda: len(_mails(gureum, f"webmaster@{base}")) == 3, 30)
    assert error_of(lambda: acm.resend_validation_email(CertificateArn=arn, Domain=f"other.{base}", ValidationDomain=base))[
        "Code"] == "InvalidDomainValidationOptionsException"
    assert error_of(lambda: acm.resend_validation_email(CertificateArn=arn, Domain=www, ValidationDomain="example.net"))[
        "Code"] == "InvalidDomainValidationOptionsException"

    assert requests.post(links[www], timeout=10).status_code == 200
    cert = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert cert["Status"] == "ISSUED" and cert["Issuer"] == "gureum Root CA"
    assert "BEGIN CERTIFICATE" in acm.get_certificate(CertificateArn=arn)["Certificate"]
    assert requests.post(links[www], timeout=10).status_code == 400  # no longer pending
    assert error_of(lambda: acm.resend_validation_email(CertificateArn=arn, Domain=www, ValidationDomain=base))[
        "Code"] == "InvalidStateException"


def test_dns_validated_certificate_gets_no_mail_and_no_resend(gureum: Any) -> None:
    acm = gureum.client("acm")
    domain = f"{uuid.uuid4().hex[:8]}.example.org"
    arn = acm.request_certificate(DomainName=domain, ValidationMethod="DNS")["CertificateArn"]
    assert error_of(lambda: acm.resend_validation_email(CertificateArn=arn, Domain=domain, ValidationDomain=domain))[
        "Code"] == "InvalidDomainValidationOptionsException"
    assert _mails(gureum, f"admin@{domain}") == []
    assert error_of(lambda: acm.request_certificate(DomainName=domain, ValidationMethod="EMAIL", DomainValidationOptions=[
        {"DomainName": domain, "ValidationDomain": "example.net"}]))["Code"] == "InvalidDomainValidationOptionsException"


def test_renewal_of_an_email_validated_certificate_is_approved_by_mail(gureum: Any) -> None:
    acm = gureum.client("acm")
    domain = f"{uuid.uuid4().hex[:8]}.example.org"
    arn = acm.request_certificate(DomainName=domain, ValidationMethod="EMAIL", Options={"Export": "ENABLED"})["CertificateArn"]
    first = wait_for("approval mail", lambda: _mails(gureum, f"hostmaster@{domain}"), 30)
    assert requests.post(_link(first[0]), timeout=10).status_code == 200
    serial = acm.describe_certificate(CertificateArn=arn)["Certificate"]["Serial"]
    acm.export_certificate(CertificateArn=arn, Passphrase=b"renew me")
    acm.renew_certificate(CertificateArn=arn)
    cert = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert (cert["Status"], cert["RenewalSummary"]["RenewalStatus"]) == ("ISSUED", "PENDING_VALIDATION")
    mails = wait_for("renewal mail", lambda: m if len(m := _mails(gureum, f"hostmaster@{domain}")) == 2 else None, 30)
    assert _link(mails[-1]) != _link(first[0])
    assert requests.post(_link(first[0]), timeout=10).status_code == 400  # the request's link approves no renewal
    assert requests.post(_link(mails[-1]), timeout=10).status_code == 200
    cert = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert cert["RenewalSummary"]["RenewalStatus"] == "SUCCESS" and cert["Serial"] != serial
