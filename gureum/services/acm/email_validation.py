"""EMAIL validation of requested certificates: the approval mail and its link.

A certificate requested with ValidationMethod EMAIL keeps, per domain, a secret approval code
in its acm_certs document ("approvals": {domain: code}; never shown by DescribeCertificate).
The approval mail goes, as AWS's, from no-reply@certificates.amazon.com to admin@,
administrator@, hostmaster@, postmaster@ and webmaster@ the validation domain (the domain, or
the ValidationDomain the request named), through SES's port for system mail (kept at GET
/_gureum/ses, relayed when SES relays). Its link is gureum's approval page
(`/_gureum/acm/approve?certificate=&domain=&code=`): GET shows what is approved, POST
approves: the domain is validated (certs.validated) and the certificate issued once all its
domains are. ResendValidationEmail sends the same link again while the certificate is
PENDING_VALIDATION.
"""

from __future__ import annotations

import hmac
import html
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from gureum.aws.errors import AwsError
from gureum.services.acm import certs
from gureum.services.acm.paths import APPROVE_PATH  # the link the mails carry
from gureum.store import Txn

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.http.server import Request

SENDER = "no-reply@certificates.amazon.com"
Doc = dict[str, Any]


def mails(doc: Doc, only: str | None = None) -> list[tuple[str, list[str], str]]:
    """(domain, recipients, approval code) of each pending EMAIL validation of `doc`, of its
    request or of its renewal (one domain's when `only` names it)."""
    out = []
    for dv in certs.awaiting(doc) or []:
        if dv.get("ValidationMethod") != "EMAIL" or dv["ValidationStatus"] != "PENDING_VALIDATION":
            continue
        if only is not None and dv["DomainName"] != only:
            continue
        out.append((dv["DomainName"], list(dv.get("ValidationEmails") or []), str(doc["approvals"][dv["DomainName"]])))
    return out


def resend_check(txn: Txn, arn: str, domain: str, validation_domain: str) -> Doc:
    """ResendValidationEmail's rules; the certificate document."""
    _, doc = certs.get(txn, arn)
    if certs.awaiting(doc) is None:
        raise AwsError.modeled("acm", "InvalidStateException",
                               f"Certificate {arn} is in state {doc['Status']}; validation email can only be resent "
                               "for a certificate pending validation.")
    domain = domain.lower()
    dv = next((d for d in doc["DomainValidationOptions"] if d["DomainName"] == domain), None)
    if dv is None or dv.get("ValidationMethod") != "EMAIL":
        raise AwsError.modeled("acm", "InvalidDomainValidationOptionsException",
                               f"The domain {domain} is not validated by email for certificate {arn}.")
    base = domain[2:] if domain.startswith("*.") else domain
    vd = validation_domain.lower()
    if vd != base and not base.endswith("." + vd):
        raise AwsError.modeled("acm", "InvalidDomainValidationOptionsException",
                               f"The validation domain {validation_domain} is not the domain {domain} or a superdomain of it.")
    return doc


def approve(txn: Txn, arn: str, domain: str, code: str, now: float) -> tuple[bool, str | None]:
    """The approval link was followed (POST): validate `domain` when `code` is its code.
    (approved, the certificate's row key when this approval issued it)."""
    try:
        k, doc = certs.get(txn, arn)
    except AwsError:
        return False, None
    want = (doc.get("approvals") or {}).get(domain)
    if not want or not hmac.compare_digest(str(want).encode(), code.encode()) or certs.awaiting(doc) is None:
        return False, None
    return True, (k if certs.validated(txn, k, domain, now) else None)


def link(app: App, request: Request | None, arn: str, domain: str, code: str) -> str:
    from gureum.public import public_url

    return public_url(app, request, f"{APPROVE_PATH}?{urlencode({'certificate': arn, 'domain': domain, 'code': code})}")


async def send(app: App, request: Request | None, doc: Doc, only: str | None = None) -> int:
    """Mail the approval link of each pending EMAIL validation of `doc`; how many mails."""
    from gureum.services.ses import port as ses

    account, region = doc["CertificateArn"].split(":")[4], doc["CertificateArn"].split(":")[3]
    sent = 0
    for domain, to, code in mails(doc, only):
        url = link(app, request, doc["CertificateArn"], domain, code)
        text = (f"Certificate approval for {domain}\n\nSomeone requested an Amazon-issued certificate for {domain} "
                f"(AWS account {account}, region {region}, certificate {doc['CertificateArn']}).\n\n"
                f"To approve this request, go to this approval page:\n\n{url}\n\n"
                "If you did not request the certificate, ignore this message.\n")
        await ses.send_system_email(app, account, region, source=SENDER, to=to,
                                    subject=f"Certificate approval for {domain}", text=text)
        sent += 1
    return sent


def page(arn: str, domain: str, approved: bool | None) -> str:
    """The approval page: the form (approved None), or the outcome of the POST."""
    a, d = html.escape(arn), html.escape(domain)
    if approved is None:
        body = (f"<h1>Certificate approval</h1><p>Domain: {d}</p><p>Certificate: {a}</p>"
                "<form method=\"post\"><button type=\"submit\">I Approve</button></form>")
    elif approved:
        body = f"<h1>Success!</h1><p>You have approved the certificate for {d}.</p>"
    else:
        body = "<h1>Not valid</h1><p>This approval link is not valid or the request is no longer pending.</p>"
    return f"<html><body>{body}</body></html>"
