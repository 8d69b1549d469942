"""SES identities, shared by v1 and v2 as in AWS: email addresses and domains an account may
send from (and, in the sandbox, send to).

Table ses_identities: "{account}/{region}/{identity}" -> {"Identity", "Type": "EmailAddress" |
"Domain", "Status": "Pending" | "Success" | "Failed", "Token" (a domain's v1 verification
token, the TXT value of `_amazonses.<domain>`), "DkimTokens": [3 tokens] (a domain's DKIM
CNAMEs `<token>._domainkey.<domain>` -> `<token>.dkim.amazonses.com`), "DkimEnabled",
"DkimStatus", "Code" (an email identity's secret, in the link that confirms it), "Created",
"MailFrom": {"Domain", "Status", "Behavior": "UseDefaultValue" | "RejectMessage", "Requested"},
"Tags": {...}, "ConfigurationSetName"}. A custom MAIL FROM domain (a subdomain of the
identity's domain) turns Success when its MX record names feedback-smtp.<region>.amazonses.com
(the same sweep looks it up); sending from an identity whose MAIL FROM is not verified is
refused only when its behaviour is RejectMessage (`mail_from_refusal`).
A domain's key is lower case. Email identities turn Success by `confirm_email` (the link
gureum logs and mails); domains by `settle_domain` (the verification sweep, verify.py, which
looks the records up in gureum's DNS), or Failed when still pending after 72 hours, as in AWS.
Writes publish "ses.identity" {"key"}.

An address is verified when it or its domain is an identity in Success (`verified`)."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable
from typing import Any

from gureum.aws.errors import AwsError
from gureum.store import Txn

IDENTITIES = "ses_identities"
TOPIC = "ses.identity"
DOMAIN_EXPIRY = 72 * 3600.0  # a domain still pending after 72 hours fails (AWS)
DKIM_TARGET = "dkim.amazonses.com"


def key(account: str, region: str, identity: str) -> str:
    return f"{account}/{region}/{normal(identity)}"


def normal(identity: str) -> str:
    """Domains are case-insensitive; an address's domain part too."""
    if "@" in identity:
        local, _, domain = identity.rpartition("@")
        return f"{local}@{domain.lower()}"
    return identity.lower().rstrip(".")


def is_email(identity: str) -> bool:
    return "@" in identity


def _token() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def _dkim_token() -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    return "".join(secrets.choice(alphabet) for _ in range(32))


def check_email(address: str, service: str = "ses") -> None:
    local, at, domain = address.rpartition("@")
    if not at or not local or "." not in domain or any(c.isspace() for c in address):
        if service == "ses":
            raise AwsError.common("InvalidParameterValue", f"Invalid email address<{address}>.")
        raise AwsError.modeled("sesv2", "BadRequestException", f"Invalid email address {address}.")


def check_domain(domain: str, service: str = "ses") -> None:
    labels = domain.rstrip(".").split(".")
    if len(labels) < 2 or any(not lab or len(lab) > 63 or not all(c.isalnum() or c in "-_" for c in lab) for lab in labels):
        if service == "ses":
            raise AwsError.common("InvalidParameterValue", f"Invalid domain name {domain}.")
        raise AwsError.modeled("sesv2", "BadRequestException", f"Invalid domain name {domain}.")


def get(txn: Txn, account: str, region: str, identity: str) -> dict[str, Any] | None:
    return txn.get(IDENTITIES, key(account, region, identity))


def _write(txn: Txn, k: str, doc: dict[str, Any]) -> None:
    txn.put(IDENTITIES, k, doc)
    txn.publish(TOPIC, {"key": k})


def add_email(txn: Txn, account: str, region: str, address: str, now: float) -> tuple[dict[str, Any], bool]:
    """Start (or restart) verifying `address`; (the identity, whether a link must be sent:
    False when it is already verified)."""
    k = key(account, region, address)
    doc = txn.get(IDENTITIES, k)
    if doc is not None and doc["Status"] == "Success":
        return doc, False
    doc = {**(doc or {"Created": now, "Tags": {}}), "Identity": normal(address), "Type": "EmailAddress",
           "Status": "Pending", "Code": secrets.token_urlsafe(24), "Requested": now}
    _write(txn, k, doc)
    return doc, True


def add_domain(txn: Txn, account: str, region: str, domain: str, now: float, *, dkim: bool = False) -> dict[str, Any]:
    """Start verifying `domain` (v1 VerifyDomainIdentity: a TXT token; v2 and VerifyDomainDkim:
    DKIM tokens). An existing identity keeps its tokens, as AWS answers the same token again."""
    k = key(account, region, domain)
    doc = txn.get(IDENTITIES, k) or {"Created": now, "Tags": {}, "Status": "Pending", "Requested": now}
    doc = {**doc, "Identity": normal(domain), "Type": "Domain"}
    doc.setdefault("Token", _token())
    if dkim and not doc.get("DkimTokens"):
        doc["DkimTokens"] = [_dkim_token() for _ in range(3)]
        doc["DkimEnabled"] = True
        doc["DkimStatus"] = "Pending"
        if doc["Status"] != "Success":
            doc["Requested"] = now
    _write(txn, k, doc)
    return doc


def delete(txn: Txn, account: str, region: str, identity: str) -> bool:
    k = key(account, region, identity)
    gone = txn.delete(IDENTITIES, k)
    if gone:
        txn.publish(TOPIC, {"key": k})
    return gone


def update(txn: Txn, account: str, region: str, identity: str, changes: dict[str, Any]) -> dict[str, Any] | None:
    k = key(account, region, identity)
    doc = txn.get(IDENTITIES, k)
    if doc is None:
        return None
    doc = {**doc, **changes}
    _write(txn, k, doc)
    return doc


def listing(txn: Txn, account: str, region: str) -> list[dict[str, Any]]:
    return [doc for _, doc in txn.scan(IDENTITIES, f"{account}/{region}/")]


def confirm_email(txn: Txn, account: str, region: str, address: str, code: str) -> bool:
    """The link's confirmation: True when `code` is the identity's pending code."""
    k = key(account, region, address)
    doc = txn.get(IDENTITIES, k)
    if doc is None or doc.get("Type") != "EmailAddress" or not code:
        return False
    if doc["Status"] == "Success":
        return True
    if not secrets.compare_digest(str(doc.get("Code") or ""), code):
        return False
    _write(txn, k, {**doc, "Status": "Success", "Code": None})
    return True


def pending_domains(txn: Txn) -> list[tuple[str, dict[str, Any]]]:
    """Every identity of every account with something to look up: a domain whose identity or
    DKIM status is pending, or a MAIL FROM domain pending."""
    return [(k, d) for k, d in txn.scan(IDENTITIES)
            if (d.get("Type") == "Domain" and (d["Status"] == "Pending" or d.get("DkimStatus") == "Pending"))
            or (d.get("MailFrom") or {}).get("Status") == "Pending"]


def set_mail_from(txn: Txn, account: str, region: str, identity: str, domain: str | None, behavior: str,
                  now: float, service: str = "ses") -> None:
    """SetIdentityMailFromDomain / PutEmailIdentityMailFromAttributes: `domain` None or ""
    turns the custom MAIL FROM off."""
    doc = get(txn, account, region, identity)
    if doc is None:
        if service == "ses":
            raise AwsError.common("InvalidParameterValue", f"Identity <{identity}> does not exist.")
        raise AwsError.modeled("sesv2", "NotFoundException", f"Email identity {identity} does not exist.")
    changes: dict[str, Any]
    if not domain:
        changes = {"MailFrom": None}
    else:
        parent = doc["Identity"].rpartition("@")[2]
        d = domain.lower().rstrip(".")
        if not d.endswith("." + parent) or d == parent:
            message = f"Invalid MAIL FROM domain <{domain}>: it must be a subdomain of <{parent}>."
            if service == "ses":
                raise AwsError.common("InvalidParameterValue", message)
            raise AwsError.modeled("sesv2", "BadRequestException", message)
        old = doc.get("MailFrom") or {}
        changes = {"MailFrom": {"Domain": d, "Behavior": behavior,
                                "Status": old.get("Status") if old.get("Domain") == d else "Pending",
                                "Requested": old.get("Requested", now) if old.get("Domain") == d else now}}
    update(txn, account, region, identity, changes)


def mx_target(region: str) -> str:
    return f"feedback-smtp.{region}.amazonses.com"


def decide_mail_from(doc: dict[str, Any], region: str, mx: Iterable[str], now: float) -> dict[str, Any]:
    """Pure: a pending MAIL FROM domain's new state from the MX targets DNS answered."""
    mail_from = dict(doc.get("MailFrom") or {})
    if mail_from.get("Status") != "Pending":
        return {}
    if mx_target(region) in {m.lower().rstrip(".") for m in mx}:
        return {"MailFrom": {**mail_from, "Status": "Success"}}
    if now - float(mail_from.get("Requested", now)) > DOMAIN_EXPIRY:
        return {"MailFrom": {**mail_from, "Status": "Failed"}}
    return {}


def mail_from_refusal(txn: Txn, account: str, region: str, address: str) -> str | None:
    """The MAIL FROM domain that makes a send from `address` refused (its identity's custom
    MAIL FROM is not verified and its behaviour is RejectMessage), or None. An address's own
    identity's settings override its domain's."""
    doc = get(txn, account, region, address)
    if doc is None or doc["Status"] != "Success":
        doc = get(txn, account, region, address.rpartition("@")[2])
    mail_from = (doc or {}).get("MailFrom") or {}
    if mail_from and mail_from.get("Status") != "Success" and mail_from.get("Behavior") == "RejectMessage":
        return str(mail_from["Domain"])
    return None


def decide(doc: dict[str, Any], txt: Iterable[str], cnames: dict[str, str], now: float) -> dict[str, Any]:
    """Pure: a pending domain's new statuses from what DNS answered: `txt`, the TXT strings of
    `_amazonses.<domain>`; `cnames`, `<token>._domainkey.<domain>` -> its CNAME target. A
    domain is verified by its TXT token or by all its DKIM CNAMEs."""
    out: dict[str, Any] = {}
    tokens = list(doc.get("DkimTokens") or [])
    dkim_ok = bool(tokens) and all(
        cnames.get(f"{t}._domainkey.{doc['Identity']}", "").rstrip(".").lower() == f"{t}.{DKIM_TARGET}" for t in tokens)
    if tokens and doc.get("DkimStatus") == "Pending" and dkim_ok:
        out["DkimStatus"] = "Success"
    if doc["Status"] == "Pending":
        if doc.get("Token") in set(txt) or dkim_ok:
            out["Status"] = "Success"
        elif now - float(doc.get("Requested", now)) > DOMAIN_EXPIRY:
            out["Status"] = "Failed"
            if doc.get("DkimStatus") == "Pending":
                out["DkimStatus"] = "Failed"
    return out


def settle_domain(txn: Txn, k: str, changes: dict[str, Any]) -> None:
    doc = txn.get(IDENTITIES, k)
    if doc is not None and changes:
        _write(txn, k, {**doc, **changes})


def verified(txn: Txn, account: str, region: str, address: str) -> bool:
    """Whether `address` (an email address) may be used: it, or its domain, is verified."""
    doc = get(txn, account, region, address)
    if doc is not None and doc["Status"] == "Success":
        return True
    domain = address.rpartition("@")[2]
    doc = get(txn, account, region, domain) if domain else None
    return doc is not None and doc["Status"] == "Success"


def unverified(txn: Txn, account: str, region: str, addresses: Iterable[str]) -> list[str]:
    return [a for a in dict.fromkeys(addresses) if not verified(txn, account, region, a)]
