"""DNSSEC key association (AssociateDelegationSignerToDomain / Disassociate...): a domain's
DNSKEYs as AWS records them (Algorithm, Flags, PublicKey, and the DS it derives: KeyTag,
DigestType 2 (SHA-256), Digest, an Id), at most MAX_KEYS; the TLD zone serves their DS
records (registry.py) as soon as the association is stored."""

from __future__ import annotations

import base64
import binascii
import secrets
from typing import Any

import dns.dnssec
import dns.exception
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.DNSKEY

from gureum.aws.errors import AwsError
from gureum.services.route53domains import model
from gureum.store import Txn

MAX_KEYS = 5
ALGORITHMS = {5, 7, 8, 10, 13, 14, 15, 16}  # RSASHA1 .. ED448 (what registries take)


def derive(domain: str, attrs: dict[str, Any]) -> dict[str, Any]:
    """The DnssecKey AWS records for signing attributes: the DS data (SHA-256)."""
    algorithm, flags = int(attrs.get("Algorithm") or 0), int(attrs.get("Flags") or 0)
    if algorithm not in ALGORITHMS:
        raise model.invalid(f"Errors: [Algorithm {algorithm} is not supported]")
    if flags not in (256, 257):
        raise model.invalid(f"Errors: [Flags must be 256 (ZSK) or 257 (KSK), not {flags}]")
    text = str(attrs.get("PublicKey") or "")
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise model.invalid("Errors: [PublicKey must be base64]") from None
    if not key:
        raise model.invalid("Errors: [PublicKey is required]")
    try:
        rdata = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.DNSKEY, f"{flags} 3 {algorithm} {text}")
    except dns.exception.DNSException:
        raise model.invalid("Errors: [The signing attributes do not make a DNSKEY]") from None
    assert isinstance(rdata, dns.rdtypes.ANY.DNSKEY.DNSKEY)
    ds = dns.dnssec.make_ds(dns.name.from_text(domain), rdata, "SHA256")
    return {"Algorithm": algorithm, "Flags": flags, "PublicKey": text, "DigestType": 2,
            "Digest": ds.digest.hex().upper(), "KeyTag": dns.dnssec.key_id(rdata), "Id": secrets.token_hex(16)}


def associate(txn: Txn, account: str, name: str, attrs: dict[str, Any], now: float, delay: float) -> str:
    doc = model.owned(txn, account, name)
    keys = list(doc.get("DnssecKeys") or [])
    if len(keys) >= MAX_KEYS:
        raise AwsError.modeled("route53domains", "DnssecLimitExceeded",
                               f"This operation would exceed the limit of {MAX_KEYS} DNSSEC keys for the domain.")
    key = derive(doc["DomainName"], attrs)
    if any(k["PublicKey"] == key["PublicKey"] for k in keys):
        raise AwsError.modeled("route53domains", "DuplicateRequest", "The key is already associated with the domain.")
    doc["DnssecKeys"] = keys + [key]
    model.save(txn, doc, now, delegation=True)
    return model.new_operation(txn, account, doc["DomainName"], "ADD_DNSSEC", now, delay)


def disassociate(txn: Txn, account: str, name: str, key_id: str, now: float, delay: float) -> str:
    doc = model.owned(txn, account, name)
    keys = list(doc.get("DnssecKeys") or [])
    left = [k for k in keys if k["Id"] != key_id]
    if len(left) == len(keys):
        raise model.invalid(f"Errors: [No DNSSEC key with id {key_id} is associated with {doc['DomainName']}]")
    doc["DnssecKeys"] = left
    model.save(txn, doc, now, delegation=True)
    return model.new_operation(txn, account, doc["DomainName"], "REMOVE_DNSSEC", now, delay)
