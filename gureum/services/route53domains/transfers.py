"""Transfers: between gureum accounts (TransferDomainToAnotherAwsAccount, then Accept /
Reject by the receiving account or Cancel by the sender, within TRANSFER_DAYS), into the
registrar from outside gureum's registry (TransferDomain, with the losing registrar's auth
code), and RetrieveDomainAuthCode.

A pending account transfer is the domain's "Transfer": {"To", "Password", "OperationId"}; the
sender's INTERNAL_TRANSFER_OUT_DOMAIN operation stays IN_PROGRESS until it is accepted
(SUCCESSFUL), rejected or cancelled (FAILED), or expires (FAILED, by the operations worker).
The domain's hosted zone stays in the sending account, as on AWS."""

from __future__ import annotations

import secrets
from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.route53domains import contacts, model, tlds
from gureum.store import Txn

TRANSFER_DAYS = 3
Doc = dict[str, Any]


def _finish(txn: Txn, account: str, op_id: str, status: str, now: float, message: str | None = None) -> None:
    op = txn.get(model.OPERATIONS, f"{account}/{op_id}")
    if op is not None and op["Status"] == "IN_PROGRESS":
        op.update(Status=status, LastUpdatedDate=now)
        if message:
            op["Message"] = message
        txn.put(model.OPERATIONS, f"{account}/{op_id}", op)


def to_account(txn: Txn, account: str, name: str, target: str, now: float) -> tuple[str, str]:
    doc = model.owned(txn, account, name)
    if not target.isdigit() or len(target) != 12:
        raise model.invalid(f"Errors: [AccountId {target} is not a valid AWS account ID]")
    if target == account:
        raise model.invalid("Errors: [The domain is already in this account]")
    if doc.get("Transfer"):
        raise AwsError.modeled("route53domains", "DuplicateRequest", f"A transfer of {doc['DomainName']} is already pending.")
    password = secrets.token_urlsafe(12)
    op_id = model.new_operation(txn, account, doc["DomainName"], "INTERNAL_TRANSFER_OUT_DOMAIN", now, TRANSFER_DAYS * 86400.0)
    doc["Transfer"] = {"To": target, "Password": password, "OperationId": op_id, "From": account}
    model.save(txn, doc, now)
    return op_id, password


def _pending(txn: Txn, account: str, name: str) -> Doc:
    text = tlds.normalize(name)
    doc = txn.get(model.DOMAINS, text)
    if doc is None or not doc.get("Transfer") or doc["Transfer"]["To"] != account:
        raise model.invalid(f"Errors: [No transfer of {text} to account {account} is pending]")
    return doc


def accept(txn: Txn, account: str, name: str, password: str, now: float, delay: float, max_domains: int) -> str:
    doc = _pending(txn, account, name)
    transfer = doc["Transfer"]
    if not secrets.compare_digest(str(transfer["Password"]), password):
        raise model.invalid("Errors: [The password is not valid for this transfer]")
    if sum(1 for _, d in txn.scan(model.DOMAINS) if d["Account"] == account) >= max_domains:
        raise AwsError.modeled("route53domains", "DomainLimitExceeded",
                               f"The number of registered domains has reached the limit of {max_domains} for your account.")
    _finish(txn, transfer["From"], transfer["OperationId"], "SUCCESSFUL", now)
    doc.pop("Transfer")
    doc["Account"] = account
    doc["HostedZoneId"] = None
    model.save(txn, doc, now)
    return model.new_operation(txn, account, doc["DomainName"], "INTERNAL_TRANSFER_IN_DOMAIN", now, delay)


def reject(txn: Txn, account: str, name: str, now: float, delay: float) -> str:
    doc = _pending(txn, account, name)
    transfer = doc.pop("Transfer")
    _finish(txn, transfer["From"], transfer["OperationId"], "FAILED", now, "The receiving account rejected the transfer.")
    model.save(txn, doc, now)
    return str(transfer["OperationId"])


def cancel(txn: Txn, account: str, name: str, now: float) -> str:
    doc = model.owned(txn, account, name)
    transfer = doc.pop("Transfer", None)
    if not transfer:
        raise model.invalid(f"Errors: [No transfer of {doc['DomainName']} is pending]")
    _finish(txn, account, transfer["OperationId"], "FAILED", now, "The transfer was cancelled.")
    model.save(txn, doc, now)
    return str(transfer["OperationId"])


def auth_code(txn: Txn, account: str, name: str, now: float) -> str:
    doc = model.owned(txn, account, name)
    if not doc.get("AuthCode"):
        doc["AuthCode"] = secrets.token_urlsafe(12)
        model.save(txn, doc, now)
    return str(doc["AuthCode"])


def transfer_in(txn: Txn, account: str, p: Doc, now: float, delay: float, max_domains: int) -> tuple[str, Doc]:
    """TransferDomain of a name gureum's registry does not hold (it is registered "elsewhere"):
    the auth code is required; the domain arrives ACTIVE with the name servers given (none:
    the registry's delegation is empty until UpdateDomainNameservers), charged the TLD's
    transfer price for one year."""
    label, tld = tlds.split(p["DomainName"])
    name = f"{label}.{tld}"
    price = tlds.prices()[tld]
    contacts.check(p, contacts.ROLES)
    held = txn.get(model.DOMAINS, name)
    if held is not None:
        where = "this account" if held["Account"] == account else "another AWS account; use TransferDomainToAnotherAwsAccount"
        raise model.invalid(f"Errors: [Domain {name} is registered with Amazon Registrar in {where}]")
    if tlds.is_reserved(label):
        raise model.invalid(f"Errors: [Domain {name} is reserved]")
    if not p.get("AuthCode"):
        raise model.invalid(f"Errors: [An authorization code is required to transfer {name}]")
    if sum(1 for _, d in txn.scan(model.DOMAINS) if d["Account"] == account) >= max_domains:
        raise AwsError.modeled("route53domains", "DomainLimitExceeded",
                               f"The number of registered domains has reached the limit of {max_domains} for your account.")
    servers = [{"Name": tlds.normalize(s["Name"]), "GlueIps": list(s.get("GlueIps") or [])} for s in p.get("Nameservers") or ()]
    doc: Doc = {"Account": account, "DomainName": name, "State": "PENDING", "Nameservers": servers,
                "AutoRenew": bool(p.get("AutoRenew", True)), "TransferLock": True, "CreationDate": now, "UpdatedDate": now,
                "ExpirationDate": now + max(1, int(p.get("DurationInYears") or 1)) * model.YEAR, "DnssecKeys": [],
                "HostedZoneId": None, "tags": {}}
    for role, flag in model.PRIVACY.items():
        if p.get(role) is not None:
            doc[role] = p[role]
            doc[flag] = bool(p.get(model.REQUEST_PRIVACY[role], True))
    txn.put(model.DOMAINS, name, doc)
    op_id = model.new_operation(txn, account, name, "TRANSFER_IN_DOMAIN", now, delay)
    return op_id, model.bill(txn, account, name, "TRANSFER_IN_DOMAIN", op_id, price.transfer, now)

