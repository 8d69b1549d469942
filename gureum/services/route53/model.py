"""Hosted zones, record sets and changes: Route 53's rules and the store layout.

Everything here is a synchronous function of a store transaction (`txn`), run by api.py
through `app.store.run(...)`. Every change to what DNS answers publishes one event on
EVENT_TOPIC in the same transaction; the DNS server (server.py) follows those events.

Tables (keys start with the account; zone ids are unique across accounts):
  route53.zones      {account}/{zone id}            the hosted zone (API shape + internals)
  route53.records    {account}/{zone id}/{name} {type} {set id}   one record set (API shape)
  route53.callerrefs {account}/{caller reference}   -> zone id and the request (a used
                                                    reference: HostedZoneAlreadyExists)
  route53.changes    {account}/{change id}          ChangeInfo
  route53.dsets      {account}/{delegation set id}  reusable delegation sets
  route53.dsetrefs   {account}/{caller reference}   -> delegation set id
  route53.tags       {account}/{type}/{id}          tags
  route53.settings   "soa-serial"                   {"increment": bool}: written by the DNS
                                                    component (xfr.attach) at start-up
  route53.cidr       {account}/{collection id}      CIDR collections (cidr.py owns them; record
                                                    changes check their CidrRoutingConfig here)
  route53.ksks       {account}/{zone id}/{name}     DNSSEC key-signing keys  } dnssec.py owns them;
  route53.dnssec     {account}/{zone id}            DNSSEC signing status    } a zone being signed
                                                    cannot be deleted (HostedZoneNotEmpty)
  route53.protections {account}/{zone id}/{name} {type}  record set protections (protections.py):
                                                    change_record_sets refuses to touch them; a
                                                    zone with any cannot be deleted
  route53.history    {account}/{zone id}/{seq}      Change History (features.py reads it): one
                                                    row per change batch while the zone's
                                                    Features.HistorySince is set (ADVANCED tier)

The SOA serial: one truth. DNS serves exactly the stored SOA record the API lists. As in
AWS, the serial never changes by itself (1 unless you UPSERT the SOA) -- except when zone
transfers are configured (`dns.allow_transfer` or `dns.notify`: secondaries must see serials
move for IXFR and NOTIFY): then every change to a zone's record sets that leaves its serial
as it was also rewrites the stored SOA with serial + 1 (RFC 1982 arithmetic), in the same
transaction, so the API, DNS and the secondaries agree.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
import string
from collections.abc import Callable
from typing import Any

from gureum.aws import tags
from gureum.aws.errors import AwsError
from gureum.services.route53 import errors, guardrails, names, records
from gureum.store import Txn

EVENT_TOPIC = "route53.changes"
ZONES = "route53.zones"
RECORDS = "route53.records"
CALLERREFS = "route53.callerrefs"
CHANGES = "route53.changes"
DSETS = "route53.dsets"
DSET_REFS = "route53.dsetrefs"
TAGS = "route53.tags"
SETTINGS = "route53.settings"
CIDR = "route53.cidr"
KSKS = "route53.ksks"
DNSSEC = "route53.dnssec"
PROTECTIONS = "route53.protections"
HISTORY = "route53.history"

# AWS's default quotas.
MAX_ZONES = 500
MAX_RRSETS_PER_ZONE = 10_000
MAX_VALUES_PER_RRSET = 400
MAX_BATCH_RECORDS = 1_000
MAX_BATCH_CHARS = 32_000
MAX_VPCS_PER_ZONE = 300
MAX_DELEGATION_SETS = 100
MAX_ZONES_PER_DELEGATION_SET = 100
ACCOUNT_LIMITS = {
    "MAX_HEALTH_CHECKS_BY_OWNER": 200,
    "MAX_HOSTED_ZONES_BY_OWNER": MAX_ZONES,
    "MAX_TRAFFIC_POLICY_INSTANCES_BY_OWNER": 5,
    "MAX_REUSABLE_DELEGATION_SETS_BY_OWNER": MAX_DELEGATION_SETS,
    "MAX_TRAFFIC_POLICIES_BY_OWNER": 50,
    "MAX_HEALTH_CHECK_SOURCES_BY_OWNER": 50,  # health_sources.MAX_SOURCES
}
SOA_TTL = 900
NS_TTL = 172800
SOA_TAIL = "awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400"
_ID_CHARS = string.ascii_uppercase + string.digits
POLICY_FIELDS = ("Weight", "Region", "Failover", "GeoLocation", "MultiValueAnswer", "GeoProximityLocation", "CidrRoutingConfig")
MAX_POLICY_RECORDS = 100  # record sets per name and type
MAX_GEOPROXIMITY_RECORDS = 30
# Members that make a record set what it is (compared on DELETE), besides Name/Type.
ROUTING_FIELDS = ("SetIdentifier", "Weight", "Region", "GeoLocation", "Failover", "MultiValueAnswer",
                  "HealthCheckId", "TrafficPolicyInstanceId", "CidrRoutingConfig", "GeoProximityLocation")


def new_id(prefix: str) -> str:
    """An id in AWS's style: a letter and 20 upper-case letters/digits (Z…, C…, N…)."""
    return prefix + "".join(secrets.choice(_ID_CHARS) for _ in range(20))


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def bare_id(value: str) -> str:
    """'/hostedzone/Z1' -> 'Z1' (clients send either)."""
    return value.rstrip("/").rsplit("/", 1)[-1]


def name_servers(rng: random.Random | None = None) -> list[str]:
    """Four AWS-style name servers, one per TLD (.com .net .org .co.uk)."""
    rng = rng or random.SystemRandom()
    out = []
    for base, tld in ((0, "com"), (512, "net"), (1024, "org"), (1536, "co.uk")):
        n = base + rng.randrange(512)
        out.append(f"ns-{n}.awsdns-{(n - base) // 8:02d}.{tld}")
    return out


def default_record_sets(zone_name: str, servers: list[str]) -> list[dict]:
    return [
        {"Name": zone_name, "Type": "NS", "TTL": NS_TTL, "ResourceRecords": [{"Value": s + "."} for s in servers]},
        {"Name": zone_name, "Type": "SOA", "TTL": SOA_TTL, "ResourceRecords": [{"Value": f"{servers[0]}. {SOA_TAIL}"}]},
    ]


# --- keys -------------------------------------------------------------------------------------
def zone_key(account: str, zone_id: str) -> str:
    return f"{account}/{zone_id}"


def record_prefix(account: str, zone_id: str) -> str:
    return f"{account}/{zone_id}/"


def record_key(account: str, zone_id: str, doc: dict) -> str:
    return f"{account}/{zone_id}/{doc['Name']} {doc['Type']} {doc.get('SetIdentifier') or ''}"


def rrset_order(doc: dict) -> tuple:
    """ListResourceRecordSets order: name label by label from the right, type, set id."""
    return (names.sort_key(names.parse(doc["Name"])), doc["Type"], doc.get("SetIdentifier") or "")


# --- zones ------------------------------------------------------------------------------------
def get_zone(txn: Txn, account: str, zone_id: str) -> dict:
    zone = txn.get(ZONES, zone_key(account, bare_id(zone_id)))
    if zone is None:
        raise AwsError.modeled("route53", "NoSuchHostedZone", f"No hosted zone found with ID: {bare_id(zone_id)}")
    return zone


def zone_public(zone: dict) -> dict:
    """The HostedZone output shape."""
    out = {k: zone[k] for k in ("Id", "Name", "CallerReference", "Config", "ResourceRecordSetCount") if k in zone}
    out["Config"] = {k: v for k, v in zone["Config"].items() if v is not None}
    out["Config"].setdefault("HostedZoneTier", "STANDARD")  # AWS always returns it
    return out


def new_change(txn: Txn, account: str, comment: str | None = None) -> dict:
    change = {"Id": "/change/" + new_id("C"), "Status": "PENDING", "SubmittedAt": now()}
    if comment:
        change["Comment"] = comment
    txn.put(CHANGES, f"{account}/{bare_id(change['Id'])}", change)
    return change


def create_zone(txn: Txn, account: str, name: str, caller_ref: str, comment: str | None, private: bool,
                vpc: dict | None, delegation_set_id: str | None, tier: str | None = None,
                who: dict | None = None) -> dict:
    """CreateHostedZone. Returns {"zone", "change", "servers", "vpc"}."""
    try:
        labels = names.parse(name)
    except names.BadName:
        raise AwsError.modeled("route53", "InvalidDomainName", f"{name} is not a valid domain name.") from None
    if not labels:
        raise AwsError.modeled("route53", "InvalidDomainName", f"{name} is reserved by AWS!")
    zone_name = names.to_text(labels)
    request = {"Name": zone_name, "Comment": comment, "Private": private, "VPC": vpc, "DelegationSetId": delegation_set_id}
    if txn.get(CALLERREFS, f"{account}/{caller_ref}") is not None:
        # AWS replays nothing: a reference used once (even for the same request, even after the
        # zone's deletion) is refused; only a request that failed may be sent again.
        raise AwsError.modeled("route53", "HostedZoneAlreadyExists", "A hosted zone has already been created with the specified caller reference.")
    if vpc is not None and not private:
        private = True
    if vpc is not None and (not vpc.get("VPCId") or not vpc.get("VPCRegion")):  # e.g. an empty <VPC/>
        raise AwsError.modeled("route53", "InvalidVPCId", "The VPC ID and region must both be specified.")
    if private and vpc is None:
        raise AwsError.modeled("route53", "InvalidInput", "When you're creating a private hosted zone (when you specify true for PrivateZone), you must also specify values for VPCId and VPCRegion.")
    if txn.count(ZONES, f"{account}/") >= MAX_ZONES:
        raise AwsError.modeled("route53", "TooManyHostedZones", f"This operation would exceed the limit of {MAX_ZONES} hosted zones per account.")
    if delegation_set_id:
        if private:
            raise AwsError.modeled("route53", "InvalidInput", "A private hosted zone cannot use a reusable delegation set.")
        dset = get_delegation_set(txn, account, delegation_set_id)
        servers = list(dset["NameServers"])
    else:
        servers = name_servers()
    if vpc is not None:
        _check_vpc_name_conflict(txn, account, {"Id": "", "Name": zone_name}, vpc)
    zone_id = new_id("Z")
    change = new_change(txn, account)
    vpcs = [vpc] if vpc else []
    zone = {
        "Id": "/hostedzone/" + zone_id,
        "Name": zone_name,
        "CallerReference": caller_ref,
        "Config": {"Comment": comment, "PrivateZone": private, "HostedZoneTier": tier or "STANDARD"},
        # history starts with the creation's own change (stamped first: a later now() would hide it)
        "Features": {"HistorySince": change["SubmittedAt"]} if tier == "ADVANCED" else {},
        "ResourceRecordSetCount": 2,
        "NameServers": servers,
        "DelegationSetId": bare_id(delegation_set_id) if delegation_set_id else None,
        "VPCs": vpcs,
        "Order": txn.next_id("route53.zone-order"),
        "Version": 0,
        "Account": account,
    }
    txn.put(ZONES, zone_key(account, zone_id), zone)
    txn.put(CALLERREFS, f"{account}/{caller_ref}", {"ZoneId": zone_id, "ChangeId": bare_id(change["Id"]), "Request": request})
    sets = default_record_sets(zone_name, servers)
    for doc in sets:
        txn.put(RECORDS, record_key(account, zone_id, doc), doc)
    txn.publish(EVENT_TOPIC, {"kind": "zone", "zone_id": zone_id, "zone": zone, "records": sets,
                              "change_id": bare_id(change["Id"])})
    record_history(txn, account, zone, change, "CreateHostedZone", [], who)
    return {"zone": zone, "change": change, "servers": servers, "vpc": vpc}


def record_history(txn: Txn, account: str, zone: dict, change: dict, operation: str, changes: list[dict],
                   who: dict | None) -> None:
    """Keep one change batch in the zone's Change History (features.py), while it is on."""
    if not (zone.get("Features") or {}).get("HistorySince"):
        return
    row: dict[str, Any] = {"ChangeId": bare_id(change["Id"]), "Operation": operation, "SubmittedAt": change["SubmittedAt"],
                           "Changes": changes}
    for k in ("SubmittedBy", "RequestId"):
        if who and who.get(k):
            row[k] = who[k]
    if change.get("Comment"):
        row["Comment"] = change["Comment"]
    txn.put(HISTORY, f"{record_prefix(account, bare_id(zone['Id']))}{txn.next_id('route53.history-seq'):020d}", row)


def zone_records(txn: Txn, account: str, zone_id: str) -> list[dict]:
    return [doc for _k, doc in txn.scan(RECORDS, record_prefix(account, zone_id))]


def delete_zone(txn: Txn, account: str, zone_id: str) -> dict:
    zone = get_zone(txn, account, zone_id)
    zid = bare_id(zone["Id"])
    for doc in zone_records(txn, account, zid):
        if not (doc["Name"] == zone["Name"] and doc["Type"] in ("SOA", "NS") and not doc.get("SetIdentifier")):
            raise AwsError.modeled("route53", "HostedZoneNotEmpty", "The specified hosted zone contains non-required resource record sets and so cannot be deleted.")
    if txn.count(PROTECTIONS, record_prefix(account, zid)):
        raise AwsError.modeled("route53", "HostedZoneNotEmpty", "The specified hosted zone has resource record set protections and so cannot be deleted: delete them first.")
    if (txn.get(DNSSEC, zone_key(account, zid)) or {}).get("ServeSignature") == "SIGNING":  # AWS: disable it first
        raise AwsError.modeled("route53", "HostedZoneNotEmpty", "The specified hosted zone has DNSSEC signing enabled and so cannot be deleted: disable DNSSEC signing first.")
    _drop_dnssec(txn, account, zid)
    txn.delete_prefix(RECORDS, record_prefix(account, zid))
    txn.delete(ZONES, zone_key(account, zid))
    txn.delete(TAGS, f"{account}/hostedzone/{zid}")
    txn.delete_prefix(HISTORY, record_prefix(account, zid))
    ref = txn.get(CALLERREFS, f"{account}/{zone['CallerReference']}")
    if ref is not None:  # keep the reference used (AWS never reuses one), but drop the zone
        ref["ZoneId"] = ""
        txn.put(CALLERREFS, f"{account}/{zone['CallerReference']}", ref)
    change = new_change(txn, account)
    txn.publish(EVENT_TOPIC, {"kind": "zone-deleted", "zone_id": zid, "change_id": bare_id(change["Id"])})
    return change


def update_comment(txn: Txn, account: str, zone_id: str, comment: str | None) -> dict:
    zone = get_zone(txn, account, zone_id)
    zone["Config"]["Comment"] = comment or None
    txn.put(ZONES, zone_key(account, bare_id(zone["Id"])), zone)
    return zone


def list_zones(txn: Txn, account: str) -> list[dict]:
    return [doc for _k, doc in txn.scan(ZONES, f"{account}/")]


def zones_by_name_order(zone: dict) -> tuple:
    return (names.sort_key(names.parse(zone["Name"])), bare_id(zone["Id"]))


# --- VPC associations --------------------------------------------------------------------------
def _same_vpc(a: dict, b: dict) -> bool:
    return a.get("VPCId") == b.get("VPCId") and a.get("VPCRegion") == b.get("VPCRegion")


def _check_vpc_name_conflict(txn: Txn, account: str, zone: dict, vpc: dict) -> None:
    """A VPC sees at most one private zone of a name."""
    for other in list_zones(txn, account):
        if other["Id"] != zone["Id"] and other["Name"] == zone["Name"] and other["Config"].get("PrivateZone") \
                and any(_same_vpc(v, vpc) for v in other.get("VPCs", [])):
            raise AwsError.modeled(
                "route53",
                "ConflictingDomainExists",
                f"The VPC {vpc.get('VPCId')} in {vpc.get('VPCRegion')} region has already been associated with the hosted zone {bare_id(other['Id'])} with the same domain name.",
            )


def associate_vpc(txn: Txn, account: str, zone_id: str, vpc: dict, comment: str | None) -> dict:
    zone = get_zone(txn, account, zone_id)
    if not zone["Config"].get("PrivateZone"):
        raise AwsError.modeled(
            "route53",
            "PublicZoneVPCAssociation",
            "You're trying to associate a VPC with a public hosted zone. Amazon Route 53 doesn't support associating a VPC with a public hosted zone.",
        )
    if not vpc.get("VPCId") or not vpc.get("VPCRegion"):
        raise AwsError.modeled("route53", "InvalidVPCId", "The VPC ID and region must both be specified.")
    if any(_same_vpc(v, vpc) for v in zone["VPCs"]):
        raise AwsError.modeled(
            "route53",
            "ConflictingDomainExists",
            f"The VPC {vpc['VPCId']} in {vpc['VPCRegion']} region has already been associated with the hosted zone {bare_id(zone['Id'])} with the same domain name.",
        )
    if len(zone["VPCs"]) >= MAX_VPCS_PER_ZONE:
        raise AwsError.modeled("route53", "LimitsExceeded", "Limits Exceeded: MAX_VPCS_ASSOCIATED_BY_ZONE")
    _check_vpc_name_conflict(txn, account, zone, vpc)
    zone["VPCs"].append(vpc)
    return _save_vpcs(txn, account, zone, comment)


def disassociate_vpc(txn: Txn, account: str, zone_id: str, vpc: dict, comment: str | None) -> dict:
    zone = get_zone(txn, account, zone_id)
    kept = [v for v in zone["VPCs"] if not _same_vpc(v, vpc)]
    if len(kept) == len(zone["VPCs"]):
        raise AwsError.modeled(
            "route53",
            "VPCAssociationNotFound",
            f"The specified VPC {vpc.get('VPCId')} and hosted zone {bare_id(zone['Id'])} are not currently associated.",
        )
    if not kept:
        raise AwsError.modeled(
            "route53",
            "LastVPCAssociation",
            "The VPC that you're trying to disassociate from the private hosted zone is the last VPC that is associated with the hosted zone. Amazon Route 53 doesn't support disassociating the last VPC from a hosted zone.",
        )
    zone["VPCs"] = kept
    return _save_vpcs(txn, account, zone, comment)


def _save_vpcs(txn: Txn, account: str, zone: dict, comment: str | None) -> dict:
    zid = bare_id(zone["Id"])
    txn.put(ZONES, zone_key(account, zid), zone)
    change = new_change(txn, account, comment)
    txn.publish(EVENT_TOPIC, {"kind": "vpcs", "zone_id": zid, "vpcs": zone["VPCs"], "change_id": bare_id(change["Id"])})
    return change


# --- reusable delegation sets ----------------------------------------------------------------
def get_delegation_set(txn: Txn, account: str, dset_id: str) -> dict:
    dset = txn.get(DSETS, f"{account}/{bare_id(dset_id)}")
    if dset is None:
        raise AwsError.modeled("route53", "NoSuchDelegationSet", f"{bare_id(dset_id)}")
    return dset


def create_delegation_set(txn: Txn, account: str, caller_ref: str, zone_id: str | None) -> dict:
    if txn.get(DSET_REFS, f"{account}/{caller_ref}") is not None:
        raise AwsError.modeled(
            "route53",
            "DelegationSetAlreadyCreated",
            "A delegation set has already been created with the specified caller reference.",
        )
    if txn.count(DSETS, f"{account}/") >= MAX_DELEGATION_SETS:
        raise AwsError.modeled("route53", "LimitsExceeded", "Limits Exceeded: MAX_REUSABLE_DELEGATION_SETS_BY_OWNER")
    if zone_id:
        zone = get_zone(txn, account, zone_id)
        if zone["Config"].get("PrivateZone"):
            raise AwsError.modeled(
                "route53", "InvalidInput", "A reusable delegation set cannot be created from a private hosted zone."
            )
        servers = list(zone["NameServers"])
    else:
        servers = name_servers()
    dset_id = new_id("N")
    dset = {"Id": "/delegationset/" + dset_id, "CallerReference": caller_ref, "NameServers": servers}
    txn.put(DSETS, f"{account}/{dset_id}", dset)
    txn.put(DSET_REFS, f"{account}/{caller_ref}", {"Id": dset_id})
    return dset


def delete_delegation_set(txn: Txn, account: str, dset_id: str) -> None:
    dset = get_delegation_set(txn, account, dset_id)
    did = bare_id(dset["Id"])
    if any(z.get("DelegationSetId") == did for z in list_zones(txn, account)):
        raise AwsError.modeled("route53", "DelegationSetInUse", f"The delegation set {did} is in use by a hosted zone.")
    txn.delete(DSETS, f"{account}/{did}")
    txn.delete(DSET_REFS, f"{account}/{dset['CallerReference']}")


# --- tags -----------------------------------------------------------------------------------
def _check_tag_resource(txn: Txn, account: str, rtype: str, rid: str) -> None:
    if rtype == "hostedzone":
        get_zone(txn, account, rid)
    elif rtype == "healthcheck":
        if txn.get("route53.healthchecks", f"{account}/{rid}") is None:
            raise AwsError.modeled(
                "route53", "NoSuchHealthCheck", f"No health check exists with the specified ID {rid}"
            )


# Route 53 answers every tag rule violation with InvalidInput.
TAG_RULES = tags.Rules(invalid=lambda m: AwsError.modeled("route53", "InvalidInput", m))


class _TagRow:
    """Route 53 keeps a resource's tags in TAGS at "<account>/<type>/<id>" as {"Tags": {k: v}}."""

    def __init__(self, account: str, rtype: str, rid: str) -> None:
        self.account, self.rtype, self.rid = account, rtype, rid

    def read(self, txn: Txn) -> dict[str, str]:
        _check_tag_resource(txn, self.account, self.rtype, self.rid)
        return dict((txn.get(TAGS, f"{self.account}/{self.rtype}/{self.rid}") or {}).get("Tags", {}))

    def write(self, txn: Txn, new: dict[str, str]) -> None:
        txn.put(TAGS, f"{self.account}/{self.rtype}/{self.rid}", {"Tags": new})


def change_tags(txn: Txn, account: str, rtype: str, rid: str, add: list[dict], remove: list[str]) -> None:
    place = _TagRow(account, rtype, bare_id(rid))
    new = tags.check([(t.get("Key"), t.get("Value", "")) for t in add], TAG_RULES)
    place.write(txn, tags.apply(place.read(txn), new, remove, TAG_RULES))


def list_tags(txn: Txn, account: str, rtype: str, rid: str) -> dict:
    rid = bare_id(rid)
    found = tags.list_tags(txn, _TagRow(account, rtype, rid))
    return {"ResourceType": rtype, "ResourceId": rid, "Tags": tags.to_pairs(found)}


# --- record sets and change batches ------------------------------------------------------------
def check_cidr_routing(txn: Txn, account: str, doc: dict[str, Any]) -> list[str]:
    """ChangeResourceRecordSets: a CidrRoutingConfig must name an existing collection and
    location (or `*`)."""
    c = doc.get("CidrRoutingConfig")
    if not c:
        return []
    coll = txn.get(CIDR, f"{account}/{c.get('CollectionId')}")
    if coll is None:
        return [f"CIDR collection {c.get('CollectionId')} does not exist"]
    loc = c.get("LocationName")
    if loc != "*" and loc not in coll["Locations"]:
        return [f"CIDR location {loc} does not exist in collection {c.get('CollectionId')}"]
    return []


def _set_label(doc: dict) -> str:
    sid = doc.get("SetIdentifier")
    extra = f", set-identifier='{sid}'" if sid else ""
    return f"[name='{doc['Name']}', type='{doc['Type']}'{extra}]"


def normalize_record_set(rrs: dict) -> dict:
    """The stored form of an input ResourceRecordSet (names in Route 53's spelling)."""
    doc: dict[str, Any] = {"Name": rrs["Name"], "Type": rrs["Type"]}
    for field in ROUTING_FIELDS:
        if rrs.get(field) is not None:
            doc[field] = rrs[field]
    if rrs.get("TTL") is not None:
        doc["TTL"] = int(rrs["TTL"])
    if rrs.get("ResourceRecords") is not None:
        doc["ResourceRecords"] = [{"Value": rr["Value"]} for rr in rrs["ResourceRecords"]]
    if rrs.get("AliasTarget") is not None:
        target = dict(rrs["AliasTarget"])
        try:
            target["DNSName"] = names.normalize(target["DNSName"])
        except names.BadName:
            pass
        target["EvaluateTargetHealth"] = bool(target.get("EvaluateTargetHealth", False))
        doc["AliasTarget"] = target
    return doc


def _same_values(a: dict, b: dict) -> bool:
    def canon(doc: dict) -> tuple:
        values = sorted(rr["Value"].strip().lower().rstrip(".") for rr in doc.get("ResourceRecords") or ())
        alias = doc.get("AliasTarget")
        alias_t = (bare_id(alias.get("HostedZoneId", "")), alias.get("DNSName", "").lower(), bool(alias.get("EvaluateTargetHealth"))) if alias else None
        routing = tuple(repr(doc.get(f)) for f in ROUTING_FIELDS)
        return (doc.get("TTL"), tuple(values), alias_t, routing)

    return canon(a) == canon(b)


def _change_problem(rrs: dict, action: str) -> str:
    sid = rrs.get("SetIdentifier")
    return (f"Change with [Action={action}, Name={rrs.get('Name')}, Type={rrs.get('Type')}, "
            f"SetIdentifier={sid if sid else 'null'}]")


def check_batch_shape(batch: dict) -> None:
    """Structural rules that AWS answers with InvalidInput before looking at the zone."""
    changes = batch.get("Changes") or []
    records_count = chars = 0
    for change in changes:
        rrs = change["ResourceRecordSet"]
        action = change["Action"]
        has_alias = rrs.get("AliasTarget") is not None
        has_any = rrs.get("ResourceRecords") is not None or rrs.get("TTL") is not None
        has_all = rrs.get("ResourceRecords") is not None and rrs.get("TTL") is not None
        has_tp = rrs.get("TrafficPolicyInstanceId") is not None
        expected = ("Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], "
                    "or TrafficPolicyInstanceId], but found {} in " + _change_problem(rrs, action))
        if sum((has_alias, has_any, has_tp)) > 1:
            raise AwsError.modeled("route53", "InvalidInput", expected.format("more than one"))
        if not (has_alias or has_all or has_tp):
            raise AwsError.modeled("route53", "InvalidInput", expected.format("none"))
        policies = [f for f in POLICY_FIELDS if rrs.get(f) is not None]
        if rrs.get("SetIdentifier") is None and policies:
            raise AwsError.modeled(
                "route53",
                "InvalidInput",
                f"Invalid request: Missing field 'SetIdentifier' in {_change_problem(rrs, action)}",
            )
        if rrs.get("SetIdentifier") is not None and len(policies) != 1:
            found = "none" if not policies else "more than one"
            raise AwsError.modeled(
                "route53",
                "InvalidInput",
                "Invalid request: Expected exactly one of [Weight, Region, Failover, GeoLocation, MultiValueAnswer, "
                f"GeoProximityLocation, or CidrRoutingConfig], but found {found} in {_change_problem(rrs, action)}",
            )
        weight = 2 if action == "UPSERT" else 1
        values = rrs.get("ResourceRecords") or []
        records_count += weight * len(values)
        chars += weight * sum(len(rr.get("Value", "")) for rr in values)
    if records_count > MAX_BATCH_RECORDS:
        raise errors.invalid_change_batch([f"Number of records in the request ({records_count}) exceeds the limit of {MAX_BATCH_RECORDS}."])
    if chars > MAX_BATCH_CHARS:
        raise errors.invalid_change_batch([f"Number of characters in the values in the request ({chars}) exceeds the limit of {MAX_BATCH_CHARS}."])


def _static_problems(zone: dict, doc: dict, zone_labels: tuple[bytes, ...]) -> list[str]:
    """Problems with one record set that do not depend on the zone's contents."""
    out = []
    try:
        labels = names.parse(doc["Name"])
    except names.BadName:
        return [f"Invalid domain name: '{doc['Name']}'"]
    name = names.to_text(labels)
    rtype = doc["Type"]
    if not names.is_subdomain(labels, zone_labels):
        return [f"RRSet with DNS name {name} is not permitted in zone {zone['Name']}"]
    if rtype not in records.TYPES:
        return [f"Invalid type: {rtype}"]
    if rtype == "CNAME" and labels == zone_labels:
        out.append(f"RRSet of type CNAME with DNS name {name} is not permitted at apex in zone {zone['Name']}")
    if rtype == "NS" and labels[:1] == (b"*",):
        out.append(f"RRSet of type NS with DNS name {name} is not permitted because a wildcard name is not allowed for NS records")
    if rtype == "SOA" and labels != zone_labels:
        out.append(f"RRSet of type SOA with DNS name {name} is not permitted because SOA records are only allowed at the apex of the zone")
    values = doc.get("ResourceRecords") or []
    if len(values) > MAX_VALUES_PER_RRSET:
        out.append(f"Number of records in the RRSet ({len(values)}) exceeds the limit of {MAX_VALUES_PER_RRSET} for {_set_label(doc)}")
    if rtype in ("CNAME", "SOA") and len(values) > 1:
        out.append(f"RRSet of type {rtype} with DNS name {name} has more than one record")
    seen = set()
    for rr in values:
        try:
            rd = records.parse_value(rtype, rr["Value"])
        except records.BadValue as exc:
            out.append(str(exc))
            continue
        if rd in seen:
            out.append(f"Duplicate Resource Record: '{rr['Value']}'")
        seen.add(rd)
    alias = doc.get("AliasTarget")
    if alias is not None and rtype not in records.ALIAS_TYPES:
        out.append(f"Alias records of type {rtype} are not supported")
    return out


def change_record_sets(txn: Txn, account: str, zone_id: str, batch: dict, who: dict | None = None) -> dict:
    """ChangeResourceRecordSets: validate the whole batch, then apply it at once."""
    zone = get_zone(txn, account, zone_id)
    zid = bare_id(zone["Id"])
    check_batch_shape(batch)
    zone_labels = names.parse(zone["Name"])
    current: dict[tuple, dict] = {}
    for doc in zone_records(txn, account, zid):
        current[(doc["Name"], doc["Type"], doc.get("SetIdentifier") or "")] = doc
    before = dict(current)
    problems: list[str] = []
    touched: dict[tuple, list[str]] = {}  # the actions this batch already took on each record set
    applied: list[dict] = []  # the batch as Change History keeps it
    for change in batch["Changes"]:
        action = change["Action"]
        doc = normalize_record_set(change["ResourceRecordSet"])
        static = _static_problems(zone, doc, zone_labels)
        if static:
            problems.extend(static)
            continue
        doc["Name"] = names.normalize(doc["Name"])
        key = (doc["Name"], doc["Type"], doc.get("SetIdentifier") or "")
        guard = txn.get(PROTECTIONS, f"{account}/{zid}/{doc['Name']} {doc['Type']}")
        if guard is not None:
            reason = f": {guard['Comment']}" if guard.get("Comment") else ""
            problems.append(f"Tried to {action.lower()} resource record set {_set_label(doc)} but it is protected by a resource record set protection{reason}")
            continue
        earlier = touched.setdefault(key, [])
        earlier.append(action)
        if action != "DELETE" and any(e != "DELETE" for e in earlier[:-1]):
            # one record set written twice in a batch (a DELETE then its replacement is valid;
            # a second DELETE is "not found", as the batch applies in order)
            problems.append(f"The request contains an invalid set of changes for a resource record set '{doc['Type']} {doc['Name']}'")
            continue
        existing = current.get(key)
        if action != "DELETE":
            routed = check_cidr_routing(txn, account, doc)
            if doc.get("CidrRoutingConfig") and zone["Config"].get("PrivateZone"):
                routed.append(f"IP-based routing is not supported in private hosted zones: {_set_label(doc)}")
            if routed:
                problems.extend(routed)
                continue
        if action == "CREATE":
            if existing is not None:
                problems.append(f"Tried to create resource record set {_set_label(doc)} but it already exists")
                continue
            current[key] = doc
        elif action == "DELETE":
            if existing is None:
                problems.append(f"Tried to delete resource record set {_set_label(doc)} but it was not found")
                continue
            if not _same_values(existing, doc):
                problems.append(f"Tried to delete resource record set {_set_label(doc)} but the values provided do not match the current values")
                continue
            if doc["Name"] == zone["Name"] and doc["Type"] == "SOA":
                problems.append("A HostedZone must contain exactly one SOA record.")
                continue
            del current[key]
        else:  # UPSERT
            current[key] = doc
        applied.append({"Action": action, "ResourceRecordSet": {k: v for k, v in doc.items() if v is not None and not k.startswith("_")}})
    if not problems:
        problems.extend(_zone_problems(zone, zid, zone_labels, current))
    if not problems:
        problems.extend(guardrails.problems(zone, applied, current, lambda name: _servers_of_zones_named(txn, name)))
    if problems:
        cname = [p for p in problems if p.startswith("RRSet of type CNAME")]
        if cname:
            raise errors.invalid_change_batch(cname[:1], bare=True)
        raise errors.invalid_change_batch(problems)
    soa = (zone["Name"], "SOA", "")
    moved = next_soa(txn, before.get(soa), current.get(soa))
    if moved is not None:
        current[soa] = moved
    deletes = [doc for key, doc in before.items() if current.get(key) is not doc]
    creates = [doc for key, doc in current.items() if before.get(key) is not doc]
    for doc in deletes:
        txn.delete(RECORDS, record_key(account, zid, doc))
    for doc in creates:
        txn.put(RECORDS, record_key(account, zid, doc), doc)
    zone["ResourceRecordSetCount"] = len(current)
    zone["Version"] = int(zone.get("Version", 0)) + 1
    txn.put(ZONES, zone_key(account, zid), zone)
    change = new_change(txn, account, batch.get("Comment"))
    txn.publish(EVENT_TOPIC, {"kind": "records", "zone_id": zid, "deletes": deletes, "creates": creates,
                              "version": zone["Version"], "change_id": bare_id(change["Id"])})
    record_history(txn, account, zone, change, "ChangeResourceRecordSets", applied, who)
    return change


def _servers_of_zones_named(txn: Txn, name: str) -> list[set[str]]:
    """The name servers of every public hosted zone (any account) named `name`."""
    want = names.normalize(name)
    return [set(z.get("NameServers") or []) for _k, z in txn.scan(ZONES)
            if z["Name"] == want and not z["Config"].get("PrivateZone")]


def set_serial_increments(txn: Txn, increment: bool) -> None:
    """The DNS component says whether zones are transferred to secondaries (see the module
    docstring): serials then move with every change."""
    if bool((txn.get(SETTINGS, "soa-serial") or {}).get("increment")) != increment:
        txn.put(SETTINGS, "soa-serial", {"increment": increment})


def serial_increments(txn: Txn) -> bool:
    return bool((txn.get(SETTINGS, "soa-serial") or {}).get("increment"))


def next_soa(txn: Txn, before: dict | None, after: dict | None) -> dict | None:
    """For a change to a zone whose SOA record set was `before` and would be `after`: the SOA
    record set to store instead of `after`, with the serial moved on, or None (serials do
    not move here, or the change already moves it)."""
    if before is None or after is None or not serial_increments(txn):
        return None
    old = _soa_fields(before)
    new = _soa_fields(after)
    if old is None or new is None or new[2] != old[2]:
        return None  # unreadable, or the batch set a serial of its own
    new[2] = str((int(old[2]) + 1) % 2**32)
    return {**after, "ResourceRecords": [{"Value": " ".join(new)}]}


def _soa_fields(doc: dict) -> list[str] | None:
    values = doc.get("ResourceRecords") or []
    fields = values[0]["Value"].split() if values else []
    return fields if len(fields) == 7 and fields[2].isascii() and fields[2].isdigit() else None


def soa_key(account: str, zone: dict) -> str:
    return record_key(account, bare_id(zone["Id"]), {"Name": zone["Name"], "Type": "SOA"})


def _zone_problems(zone: dict, zid: str, zone_labels: tuple, current: dict[tuple, dict]) -> list[str]:
    """Rules about the zone as a whole after the batch: CNAME exclusivity, apex NS, aliases."""
    out = []
    by_name: dict[str, set[str]] = {}
    for name, rtype, _sid in current:
        by_name.setdefault(name, set()).add(rtype)
    for name, types in by_name.items():
        if "CNAME" in types and len(types) > 1:
            out.append(f"RRSet of type CNAME with DNS name {name} is not permitted as it conflicts with other records with the same DNS name in zone {zone['Name']}")
    if "NS" not in by_name.get(zone["Name"], ()):
        out.append("A HostedZone must contain at least one NS record for the zone itself.")
    if "SOA" not in by_name.get(zone["Name"], ()):
        out.append("A HostedZone must contain exactly one SOA record.")
    simple: dict[tuple, bool] = {}
    for name, rtype, sid in current:
        kind = bool(sid)
        if simple.setdefault((name, rtype), kind) != kind:
            out.append(f"RRSet with DNS name {name}, type {rtype} cannot be created as a non-weighted set exists with the same name and type.")
    out.extend(_policy_problems(current))
    for (_name, rtype, _sid), doc in current.items():
        alias = doc.get("AliasTarget")
        if not alias or bare_id(alias.get("HostedZoneId", "")) != zid:
            continue
        target = alias["DNSName"]
        try:
            tlabels = names.parse(target)
        except names.BadName:
            tlabels = ()
        if not names.is_subdomain(tlabels, zone_labels):
            out.append(f"Tried to create an alias that targets {target}, type {rtype} in zone {zid}, but the alias target name does not lie within the target zone")
        elif not any(n == target and t == rtype for n, t, _s in current):
            out.append(f"Tried to create an alias that targets {target}, type {rtype} in zone {zid}, but that target was not found")
    if len(current) > MAX_RRSETS_PER_ZONE:
        out.append(f"The hosted zone {zid} would exceed the limit of {MAX_RRSETS_PER_ZONE} resource record sets.")
    return out


def _policy_problems(current: dict[tuple, dict]) -> list[str]:
    """Routing policy rules per (name, type): one policy, limits, weighted TTLs, one PRIMARY
    and one SECONDARY, one record per geolocation, multivalue types."""
    from gureum.services.route53.routing import policy_of

    groups: dict[tuple, list[dict]] = {}
    for (name, rtype, sid), doc in current.items():
        if sid:
            groups.setdefault((name, rtype), []).append(doc)
    out = []
    for (name, rtype), docs in groups.items():
        docs.sort(key=lambda d: d["SetIdentifier"])
        kinds = {policy_of(d) for d in docs}
        if len(kinds) > 1:
            out.append(f"RRSet with DNS name {name}, type {rtype} cannot be created because it uses a different routing policy than other record sets with the same name and type")
            continue
        kind = kinds.pop()
        limit = MAX_GEOPROXIMITY_RECORDS if kind == "geoproximity" else MAX_POLICY_RECORDS
        if len(docs) > limit:
            out.append(f"The number of resource record sets with name {name} and type {rtype} ({len(docs)}) exceeds the limit of {limit}")
        if kind == "weighted" and len({d.get("TTL") for d in docs if not d.get("AliasTarget")}) > 1:
            out.append(f"RRSet with DNS name {name}, type {rtype}: all weighted resource record sets with the same name and type must have the same TTL")
        if kind == "failover":
            for role in ("PRIMARY", "SECONDARY"):
                if sum(1 for d in docs if d.get("Failover") == role) > 1:
                    out.append(f"RRSet with DNS name {name}, type {rtype} has more than one {role} failover record set")
        if kind == "geolocation":
            seen: set = set()
            for d in docs:
                g = d.get("GeoLocation") or {}
                if g.get("SubdivisionCode") and g.get("CountryCode") not in ("US", "UA"):
                    out.append(f"Invalid GeoLocation: SubdivisionCode requires CountryCode US (or UA) in {_set_label(d)}")
                if g.get("ContinentCode") and (g.get("CountryCode") or g.get("SubdivisionCode")):
                    out.append(f"Invalid GeoLocation: ContinentCode cannot be combined with CountryCode in {_set_label(d)}")
                loc = (g.get("ContinentCode"), g.get("CountryCode"), g.get("SubdivisionCode"))
                if loc in seen:
                    out.append(f"RRSet with DNS name {name}, type {rtype}, and GeoLocation {loc} already exists")
                seen.add(loc)
        if kind == "multivalue":
            if rtype in ("NS", "CNAME"):
                out.append(f"Multivalue answer resource record sets cannot be of type {rtype}")
            if any(d.get("AliasTarget") for d in docs):
                out.append(f"Multivalue answer resource record sets cannot be alias records: {name}")
        if kind == "cidr" and len({(d.get("CidrRoutingConfig") or {}).get("CollectionId") for d in docs}) > 1:
            out.append(f"RRSet with DNS name {name}, type {rtype}: all CIDR records with the same name and type must use the same collection")
    return out


def get_change(txn: Txn, account: str, change_id: str) -> dict:
    change = txn.get(CHANGES, f"{account}/{bare_id(change_id)}")
    if change is None:
        raise AwsError.modeled(
            "route53", "NoSuchChange", f"A change with the specified change ID does not exist: {bare_id(change_id)}"
        )
    return change


# --- the DNS server's view ------------------------------------------------------------------------
def load_all_zones(txn: Txn, shape: Callable[[dict], Any] | None = None) -> list[tuple[dict, list[Any]]]:
    """Every zone of every account with its record sets (the DNS server's start-up load),
    each record set passed through `shape` as it is read when given (the index's compact
    form: the documents of 1M records are not all held at once)."""
    out = []
    for _k, zone in txn.scan(ZONES):
        account = zone.get("Account") or _k.split("/", 1)[0]
        zid = bare_id(zone["Id"])
        docs = zone_records(txn, account, zid)
        out.append((zone, docs if shape is None else [shape(d) for d in docs]))
    return out


def drop_zone(txn: Txn, account: str, zone_id: str) -> None:
    """Remove a hosted zone and every record set in it, whatever they are (no
    HostedZoneNotEmpty), and tell the DNS servers."""
    zid = bare_id(zone_id)
    txn.delete_prefix(RECORDS, record_prefix(account, zid))
    txn.delete(ZONES, zone_key(account, zid))
    txn.delete(TAGS, f"{account}/hostedzone/{zid}")
    _drop_dnssec(txn, account, zid)
    txn.delete_prefix(PROTECTIONS, record_prefix(account, zid))
    txn.delete_prefix(HISTORY, record_prefix(account, zid))
    txn.publish(EVENT_TOPIC, {"kind": "zone-deleted", "zone_id": zid})


def _drop_dnssec(txn: Txn, account: str, zid: str) -> None:
    """A deleted zone's key-signing keys and signing status (dnssec.py owns those rows)."""
    txn.delete_prefix(KSKS, record_prefix(account, zid))
    txn.delete(DNSSEC, zone_key(account, zid))
