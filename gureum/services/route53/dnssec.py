"""DNSSEC signing of hosted zones: key-signing keys (KSKs), the zone's signing status and the
zone-signing key (ZSK) Route 53 manages itself, with AWS's state machine and errors.

AWS keeps a KSK's private key in a customer managed KMS key (ECC_NIST_P256, sign and
verify). gureum serves no KMS: `KeyManagementServiceArn` is checked for shape (a KMS key or
alias ARN in us-east-1, as Route 53 requires) and recorded, and the key material itself
(ECDSA P-256, algorithm 13 ECDSAP256SHA256, as AWS uses) is generated here and kept in the
store. The ZSK (same algorithm) is created when a zone first gets a KSK, as Route 53 manages
its own ZSK.

Tables (keys start with the account, then the hosted zone id):
  route53.ksks   {account}/{zone id}/{name}  one KSK: the KeySigningKey members this module
                                             owns (Name, KmsArn, Status, dates) and "_Private"
                                             (the PKCS#8 PEM private key)
  route53.dnssec {account}/{zone id}         {"ServeSignature": SIGNING | NOT_SIGNING,
                                              "_Zsk": PEM, "ZskCreated": ISO time}

Invariants: at most MAX_KSKS KSKs per zone; names and KMS ARNs unique in a zone; a SIGNING
zone has at least one ACTIVE KSK (the last one cannot be deactivated); only an INACTIVE KSK
can be deleted; a KSK (or signing) named by a DS record in the parent zone served here cannot
be taken away (KeySigningKeyInParentDSRecord); signing starts only when a parent zone served
here delegates the zone to its own name servers, if it delegates it at all
(HostedZonePartiallyDelegated). Every change publishes one "dnssec" event on
model.EVENT_TOPIC carrying what the DNS server signs with (`signing_state`), in the same
transaction. A zone being signed cannot be deleted (model.delete_zone: HostedZoneNotEmpty, as
AWS answers); a deleted zone's rows go with it.
"""

from __future__ import annotations

import base64
import re
from typing import TYPE_CHECKING, Any

import dns.name
import dns.rdataclass
import dns.rdatatype

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.services.route53 import model
from gureum.store import Txn

if TYPE_CHECKING:
    import dns.rdtypes.ANY.DNSKEY
    from cryptography.hazmat.primitives.asymmetric import ec

# dns.dnssec and cryptography (several MiB resident) are imported by the functions that sign
# or make keys: a node whose zones are not signed never loads them.

KSKS = model.KSKS
DNSSEC = model.DNSSEC
MAX_KSKS = 2
KSK_FLAG = 257
ZSK_FLAG = 256
ALGORITHM = 13  # ECDSAP256SHA256
DIGEST = 2  # SHA-256
_NAME = re.compile(r"[A-Za-z0-9_]{3,128}")
SIGNING = "SIGNING"
NOT_SIGNING = "NOT_SIGNING"


def _err(code: str, message: str) -> AwsError:
    return AwsError.modeled("route53", code, message)


# --- keys -------------------------------------------------------------------------------------
def new_private_key() -> str:
    """A fresh ECDSA P-256 private key, PKCS#8 PEM."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def load_private_key(pem: str) -> ec.EllipticCurvePrivateKey:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("not an EC key")
    return key


def dnskey_of(pem: str, flags: int) -> dns.rdtypes.ANY.DNSKEY.DNSKEY:
    """The DNSKEY rdata of a private key (flags 257 for a KSK, 256 for a ZSK)."""
    import dns.dnssec

    return dns.dnssec.make_dnskey(load_private_key(pem).public_key(), ALGORITHM, flags=flags)


def ksk_public(doc: dict[str, Any], zone_name: str) -> dict[str, Any]:
    """The KeySigningKey output shape: the stored members and what AWS computes from the key
    (RFC 4034: key tag from appendix B, the DS digest over owner name and DNSKEY rdata)."""
    import dns.dnssec

    key = dnskey_of(doc["_Private"], KSK_FLAG)
    ds = dns.dnssec.make_ds(dns.name.from_text(zone_name), key, "SHA256")
    digest = ds.digest.hex().upper()
    tag = dns.dnssec.key_id(key)
    public = base64.b64encode(key.key).decode()
    out = {k: v for k, v in doc.items() if not k.startswith("_")}
    out.update({
        "Flag": KSK_FLAG,
        "SigningAlgorithmMnemonic": "ECDSAP256SHA256",
        "SigningAlgorithmType": ALGORITHM,
        "DigestAlgorithmMnemonic": "SHA-256",
        "DigestAlgorithmType": DIGEST,
        "KeyTag": tag,
        "DigestValue": digest,
        "PublicKey": public,
        "DSRecord": f"{tag} {ALGORITHM} {DIGEST} {digest}",
        "DNSKEYRecord": f"{KSK_FLAG} 3 {ALGORITHM} {public}",
    })
    return out


# --- reading ------------------------------------------------------------------------------------
def _prefix(account: str, zid: str) -> str:
    return f"{account}/{zid}/"


def ksks_of(txn: Txn, account: str, zid: str) -> list[dict[str, Any]]:
    return [doc for _k, doc in txn.scan(KSKS, _prefix(account, zid))]


def _status(txn: Txn, account: str, zid: str) -> dict[str, Any]:
    return txn.get(DNSSEC, f"{account}/{zid}") or {"ServeSignature": NOT_SIGNING}


def _ksk(txn: Txn, account: str, zid: str, name: str) -> dict[str, Any]:
    doc = txn.get(KSKS, _prefix(account, zid) + name)
    if doc is None:
        raise _err("NoSuchKeySigningKey", f"The specified key-signing key ({name}) doesn't exist.")
    return doc


def _zone(txn: Txn, account: str, zone_id: str) -> tuple[dict[str, Any], str]:
    zone = model.get_zone(txn, account, zone_id)
    return zone, model.bare_id(zone["Id"])


def get(txn: Txn, account: str, zone_id: str) -> dict[str, Any]:
    """GetDNSSEC."""
    zone, zid = _zone(txn, account, zone_id)
    status = _status(txn, account, zid)
    keys = sorted(ksks_of(txn, account, zid), key=lambda d: d["CreatedDate"])
    return {"Status": {"ServeSignature": status["ServeSignature"]},
            "KeySigningKeys": [ksk_public(d, zone["Name"]) for d in keys]}


def signing_state(txn: Txn, account: str, zid: str, zone_name: str) -> dict[str, Any]:
    """What the DNS server signs this zone with: {"kind": "dnssec", "zone_id", "origin",
    "signing", "ksks": [PEM of each ACTIVE KSK], "zsk": PEM or ""}."""
    status = _status(txn, account, zid)
    active = [d["_Private"] for d in sorted(ksks_of(txn, account, zid), key=lambda d: d["CreatedDate"])
              if d["Status"] == "ACTIVE"]
    signing = status["ServeSignature"] == SIGNING and bool(active) and bool(status.get("_Zsk"))
    return {"kind": "dnssec", "zone_id": zid, "origin": zone_name, "signing": signing,
            "ksks": active if signing else [], "zsk": status.get("_Zsk", "") if signing else ""}


def load_all(txn: Txn) -> list[dict[str, Any]]:
    """Every signing zone's state (the DNS server's start-up load)."""
    out = []
    for key, status in txn.scan(DNSSEC):
        if status.get("ServeSignature") != SIGNING:
            continue
        account, zid = key.split("/", 1)
        zone = txn.get(model.ZONES, model.zone_key(account, zid))
        if zone is not None:
            out.append(signing_state(txn, account, zid, zone["Name"]))
    return out


def _changed(txn: Txn, account: str, zone: dict[str, Any]) -> dict[str, Any]:
    zid = model.bare_id(zone["Id"])
    change = model.new_change(txn, account)
    event = signing_state(txn, account, zid, zone["Name"])
    event["change_id"] = model.bare_id(change["Id"])
    txn.publish(model.EVENT_TOPIC, event)
    return change


# --- the parent's DS -----------------------------------------------------------------------------
def _parent_ds_tags(txn: Txn, zone: dict[str, Any]) -> set[int]:
    """Key tags of the DS records for this zone's name in its parent zone, where a public
    zone served here is the parent (the closest enclosing zone name)."""
    tags: set[int] = set()
    for doc in _parent_sets(txn, zone, "DS"):
        for rr in doc.get("ResourceRecords") or []:
            head = rr.get("Value", "").split()
            if head and head[0].isdigit():
                tags.add(int(head[0]))
    return tags


def _parent_sets(txn: Txn, zone: dict[str, Any], rtype: str) -> list[dict[str, Any]]:
    """The record sets of type `rtype` at this zone's name in its parent zone(s) served here."""
    from gureum.services.route53 import names

    labels = names.parse(zone["Name"])
    parents: dict[int, list[tuple[str, dict[str, Any]]]] = {}
    for key, other in txn.scan(model.ZONES):
        if other["Config"].get("PrivateZone"):
            continue
        olabels = names.parse(other["Name"])
        if len(olabels) < len(labels) and names.is_subdomain(labels, olabels):
            parents.setdefault(len(olabels), []).append((key.split("/", 1)[0], other))
    if not parents:
        return []
    out: list[dict[str, Any]] = []
    for account, parent in parents[max(parents)]:
        prefix = model.record_prefix(account, model.bare_id(parent["Id"]))
        out.extend(doc for _k, doc in txn.scan(model.RECORDS, f"{prefix}{zone['Name']} {rtype} "))
    return out


def _tag(doc: dict[str, Any]) -> int:
    import dns.dnssec

    return dns.dnssec.key_id(dnskey_of(doc["_Private"], KSK_FLAG))


# --- changes --------------------------------------------------------------------------------------
def create_ksk(txn: Txn, account: str, p: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """CreateKeySigningKey: returns (KeySigningKey, ChangeInfo)."""
    zone, zid = _zone(txn, account, p["HostedZoneId"])
    name, kms, status = p["Name"], p["KeyManagementServiceArn"], p["Status"]
    if not _NAME.fullmatch(name):
        raise _err("InvalidKeySigningKeyName", f"The key-signing key name {name} isn't valid: use 3 to 128 letters, digits and underscores.")
    if status not in ("ACTIVE", "INACTIVE"):
        raise _err("InvalidKeySigningKeyStatus", f"The key-signing key status {status} isn't valid: use ACTIVE or INACTIVE.")
    if zone["Config"].get("PrivateZone"):
        raise _err("InvalidInput", "DNSSEC signing isn't supported for private hosted zones.")
    parsed = arns.try_parse(kms)
    if parsed is None or parsed.service != "kms" or parsed.resource_type not in ("key", "alias") \
            or not parsed.resource_id or not re.fullmatch(r"\d{12}", parsed.account):
        raise _err("InvalidKMSArn", f"The KeyManagementServiceArn {kms} isn't a valid customer managed key ARN.")
    if parsed.region != "us-east-1":
        raise _err("InvalidKMSArn", "The customer managed key for DNSSEC signing must be in the US East (N. Virginia) Region (us-east-1).")
    existing = ksks_of(txn, account, zid)
    if any(d["Name"] == name or d["KmsArn"] == kms for d in existing):
        raise _err("KeySigningKeyAlreadyExists", "You've already created a key-signing key (KSK) with this name or with the same customer managed key ARN.")
    if len(existing) >= MAX_KSKS:
        raise _err("TooManyKeySigningKeys", f"A hosted zone can have at most {MAX_KSKS} key-signing keys.")
    now = model.now()
    doc = {"Name": name, "KmsArn": kms, "Status": status, "CreatedDate": now, "LastModifiedDate": now,
           "_Private": new_private_key()}
    txn.put(KSKS, _prefix(account, zid) + name, doc)
    state = _status(txn, account, zid)
    if not state.get("_Zsk"):  # Route 53 manages the zone-signing key itself
        txn.put(DNSSEC, f"{account}/{zid}", {**state, "_Zsk": new_private_key(), "ZskCreated": now})
    change = _changed(txn, account, zone)
    return ksk_public(doc, zone["Name"]), change


def _set_status(txn: Txn, account: str, zone: dict[str, Any], doc: dict[str, Any], status: str) -> dict[str, Any]:
    zid = model.bare_id(zone["Id"])
    doc["Status"] = status
    doc["LastModifiedDate"] = model.now()
    txn.put(KSKS, _prefix(account, zid) + doc["Name"], doc)
    return _changed(txn, account, zone)


def activate_ksk(txn: Txn, account: str, zone_id: str, name: str) -> dict[str, Any]:
    zone, zid = _zone(txn, account, zone_id)
    doc = _ksk(txn, account, zid, name)
    if doc["Status"] != "INACTIVE":
        raise _err("InvalidKeySigningKeyStatus", f"The key-signing key {name} has status {doc['Status']}: only an INACTIVE key can be activated.")
    return _set_status(txn, account, zone, doc, "ACTIVE")


def deactivate_ksk(txn: Txn, account: str, zone_id: str, name: str) -> dict[str, Any]:
    zone, zid = _zone(txn, account, zone_id)
    doc = _ksk(txn, account, zid, name)
    if doc["Status"] != "ACTIVE":
        raise _err("InvalidKeySigningKeyStatus", f"The key-signing key {name} has status {doc['Status']}: only an ACTIVE key can be deactivated.")
    if _status(txn, account, zid)["ServeSignature"] == SIGNING:
        others = [d for d in ksks_of(txn, account, zid) if d["Name"] != name and d["Status"] == "ACTIVE"]
        if not others:
            raise _err("KeySigningKeyInUse", "The key-signing key (KSK) that you specified can't be deactivated because it's the only KSK for a currently-enabled DNSSEC. Disable DNSSEC signing, or add or enable another KSK.")
        if _tag(doc) in _parent_ds_tags(txn, zone):
            raise _err("KeySigningKeyInParentDSRecord", f"The key-signing key {name} is specified in a DS record in the parent zone. Remove the DS record first.")
    return _set_status(txn, account, zone, doc, "INACTIVE")


def delete_ksk(txn: Txn, account: str, zone_id: str, name: str) -> dict[str, Any]:
    zone, zid = _zone(txn, account, zone_id)
    doc = _ksk(txn, account, zid, name)
    if doc["Status"] != "INACTIVE":
        raise _err("InvalidKeySigningKeyStatus", f"The key-signing key {name} must be deactivated before it can be deleted (its status is {doc['Status']}).")
    txn.delete(KSKS, _prefix(account, zid) + name)
    return _changed(txn, account, zone)


def enable(txn: Txn, account: str, zone_id: str) -> dict[str, Any]:
    """EnableHostedZoneDNSSEC: signing starts (DNSKEY, RRSIG, NSEC served at once)."""
    zone, zid = _zone(txn, account, zone_id)
    keys = ksks_of(txn, account, zid)
    if zone["Config"].get("PrivateZone"):
        raise _err("InvalidInput", "DNSSEC signing isn't supported for private hosted zones.")
    if not keys:
        raise _err("DNSSECNotFound", f"The hosted zone {zid} doesn't have any DNSSEC resources: create a key-signing key first.")
    if not any(d["Status"] == "ACTIVE" for d in keys):
        raise _err("KeySigningKeyWithActiveStatusNotFound", "A key-signing key (KSK) with ACTIVE status wasn't found.")
    delegations = _parent_sets(txn, zone, "NS")
    if delegations:  # the parent served here delegates the zone: to its own name servers?
        ours = {s.lower().rstrip(".") for s in zone.get("NameServers") or []}
        theirs = {rr["Value"].lower().rstrip(".") for d in delegations for rr in d.get("ResourceRecords") or []}
        if theirs != ours:
            raise _err("HostedZonePartiallyDelegated", "The hosted zone nameservers don't match the parent nameservers. The hosted zone and parent must have the same nameservers.")
    state = _status(txn, account, zid)
    txn.put(DNSSEC, f"{account}/{zid}", {**state, "ServeSignature": SIGNING})
    return _changed(txn, account, zone)


def disable(txn: Txn, account: str, zone_id: str) -> dict[str, Any]:
    """DisableHostedZoneDNSSEC: signing stops; the KSKs keep their status."""
    zone, zid = _zone(txn, account, zone_id)
    state = txn.get(DNSSEC, f"{account}/{zid}")
    if state is None and not ksks_of(txn, account, zid):
        raise _err("DNSSECNotFound", f"The hosted zone {zid} doesn't have any DNSSEC resources.")
    state = state or {"ServeSignature": NOT_SIGNING}
    if state["ServeSignature"] == SIGNING:
        tags = _parent_ds_tags(txn, zone)
        if tags and any(_tag(d) in tags for d in ksks_of(txn, account, zid)):
            raise _err("KeySigningKeyInParentDSRecord", "The key-signing key (KSK) is specified in a parent DS record. Remove the DS record from the parent zone before you disable DNSSEC signing.")
    txn.put(DNSSEC, f"{account}/{zid}", {**state, "ServeSignature": NOT_SIGNING})
    return _changed(txn, account, zone)
