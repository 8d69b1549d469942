"""Renewal, export and revocation of the certificates gureum's CA issued (acm_certs, certs.py).

- Export (ExportCertificate): allowed, as AWS's since 2025, for a certificate requested with
  Options.Export ENABLED once ISSUED: the certificate, the chain and the private key as an
  encrypted PKCS#8 PEM under the caller's Passphrase (printable ASCII but #, $, %). The document remembers it was exported
  ("exported": true): an exported certificate is eligible for renewal.
- Renewal (RenewCertificate, and managed renewal by the "acm-renewal" sweep): re-checks every
  domain's validation (RenewalSummary.DomainValidationOptions, PENDING_AUTO_RENEWAL for DNS
  whose record the validator looks up again, PENDING_VALIDATION for EMAIL whose approval mail
  is sent again with new links), then issues a new certificate and key in place (certs.validated):
  RenewalStatus SUCCESS. RenewCertificate takes exported certificates only (AWS: "You can only
  renew certificates that have been previously exported"); the sweep renews every eligible
  certificate (in use or exported, certs.eligible) within RENEW_BEFORE of its NotAfter.
- Revocation (RevokeCertificate): exportable certificates only, not while in use; Status
  REVOKED with RevokedAt and RevocationReason (a revoked certificate serves no listener).
"""

from __future__ import annotations

import copy
import secrets
from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.acm import certs, uses
from gureum.store import Txn

RENEW_BEFORE = 60 * 86400  # managed renewal starts 60 days before NotAfter, as ACM's
Doc = dict[str, Any]


def _invalid(message: str) -> AwsError:
    return AwsError.modeled("acm", "ValidationException", message)


def _exportable(doc: Doc) -> bool:
    return doc["Type"] == "AMAZON_ISSUED" and (doc.get("Options") or {}).get("Export") == "ENABLED"


def export(txn: Txn, arn: str, passphrase: bytes) -> Doc:
    """ExportCertificate's answer."""
    from cryptography.hazmat.primitives import serialization

    from gureum import sealing

    k, doc = certs.get(txn, arn)
    if any(b > 0x7E or b < 0x20 or b in b"#$%" for b in passphrase):
        raise _invalid("The passphrase may contain any printable ASCII character except #, $ and %.")
    if not _exportable(doc):
        raise _invalid(f"Certificate {arn} is not exportable: only certificates requested with the export option "
                       "enabled can be exported.")
    if doc["Status"] == "PENDING_VALIDATION" or not doc.get("body"):
        raise AwsError.modeled("acm", "RequestInProgressException", f"Certificate {arn} is not yet issued.")
    if doc["Status"] != "ISSUED":
        raise _invalid(f"Certificate {arn} is {doc['Status']} and cannot be exported.")
    key = serialization.load_pem_private_key(sealing.unseal(txn, doc["key"], arn), password=None)
    encrypted = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.BestAvailableEncryption(passphrase)).decode()
    if not doc.get("exported"):
        doc["exported"] = True
        txn.put(certs.CERTS, k, doc)
        txn.publish(certs.TOPIC, {"key": k})
    return {"Certificate": doc["body"], "CertificateChain": doc.get("chain") or "", "PrivateKey": encrypted}


def start_renewal(txn: Txn, k: str, doc: Doc, now: float) -> None:
    """Every domain's validation to be checked again; the new certificate is issued when all pass."""
    options = copy.deepcopy(doc["DomainValidationOptions"])
    for dv in options:
        dv["ValidationStatus"] = "PENDING_VALIDATION"
    email = any(dv.get("ValidationMethod") == "EMAIL" for dv in options)
    if email:  # new approval links: the request's no longer approve anything
        doc["approvals"] = {dv["DomainName"]: secrets.token_urlsafe(24) for dv in options}
    doc["RenewalSummary"] = {"RenewalStatus": "PENDING_VALIDATION" if email else "PENDING_AUTO_RENEWAL",
                             "DomainValidationOptions": options, "UpdatedAt": now}
    txn.put(certs.CERTS, k, doc)
    txn.publish(certs.TOPIC, {"key": k})


def renew(txn: Txn, arn: str, now: float) -> Doc:
    """RenewCertificate; the document (its approval mails are the caller's to send)."""
    k, doc = certs.get(txn, arn)
    if doc["Type"] != "AMAZON_ISSUED":
        raise _invalid(f"Certificate {arn} is imported and cannot be renewed by ACM.")
    if doc["Status"] == "PENDING_VALIDATION":
        raise AwsError.modeled("acm", "RequestInProgressException", f"Certificate {arn} is not yet issued.")
    if doc["Status"] != "ISSUED" or not doc.get("exported"):
        raise _invalid(f"Certificate {arn} is not eligible for renewal: only issued certificates that have been "
                       "exported can be renewed.")
    if certs.awaiting(doc) is None:
        start_renewal(txn, k, doc, now)
    return doc


def revoke(txn: Txn, arn: str, reason: str, now: float) -> str:
    """RevokeCertificate; the ARN."""
    k, doc = certs.get(txn, arn)
    if not _exportable(doc):
        raise _invalid(f"Certificate {arn} cannot be revoked: only exportable certificates can be revoked.")
    if doc["Status"] == "REVOKED":
        raise AwsError.modeled("acm", "ConflictException", f"Certificate {arn} is already revoked.")
    if doc["Status"] != "ISSUED":
        raise AwsError.modeled("acm", "ConflictException", f"Certificate {arn} is {doc['Status']} and cannot be revoked.")
    if uses.in_use_by(txn, k):
        raise certs.in_use(arn)
    doc |= {"Status": "REVOKED", "RevokedAt": now, "RevocationReason": reason}
    doc.pop("RenewalSummary", None)
    txn.put(certs.CERTS, k, doc)
    txn.publish(certs.TOPIC, {"key": k})
    return arn


def due(doc: Doc, in_use: bool, now: float) -> bool:
    """Managed renewal's decision: an eligible certificate within RENEW_BEFORE of expiry with
    no renewal under way (or one that succeeded before this certificate was reissued)."""
    if not certs.eligible(doc, in_use) or now < float(doc["NotAfter"]) - RENEW_BEFORE:
        return False
    return certs.awaiting(doc) is None


def sweep(txn: Txn, now: float) -> list[Doc]:
    """Start the managed renewal of every certificate due; their documents (EMAIL ones need mail)."""
    started = []
    for k, doc in txn.scan(certs.CERTS):
        if doc["Status"] == "ISSUED" and due(doc, bool(uses.in_use_by(txn, k)), now):
            start_renewal(txn, k, doc, now)
            started.append(doc)
    return started
