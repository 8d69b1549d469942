"""Hosted zone tiers and features: UpdateHostedZoneTier, UpdateHostedZoneFeatures, and the
Change History the ADVANCED tier includes (ListHostedZoneChangeBatches,
GetHostedZoneChangeBatch, ListResourceRecordSetChanges).

The zone document (model.ZONES) keeps Config.HostedZoneTier (STANDARD when absent) and
"Features": {"AcceleratedRecovery": bool, "PublicDNSFallback": bool, "Guardrails": {name:
status}, "HistorySince": ISO time while Change History is on}. The tier decides: ADVANCED turns
Change History on (RetentionStartsAt = the move) and offers the optional guardrails
(guardrails.py enforces them); moving back to STANDARD turns it off and refuses while an
ADVANCED-only guardrail is on. Public DNS
fallback (private zones only) is served for real: the DNS index answers a name the private zone
does not have (NXDOMAIN) from the public zones (a "features" event on model.EVENT_TOPIC).
Accelerated recovery (public zones only) is recorded ENABLED/DISABLED: gureum runs in one
place, so there is no other region to keep records editable from.

Table route53.history (model.HISTORY): "{account}/{zone id}/{seq:020d}" -> one change batch
{"ChangeId", "Operation", "SubmittedAt", "SubmittedBy"?, "RequestId"?, "Comment"?, "Changes":
[{"Action", "ResourceRecordSet"}]}, written by model.create_zone and
model.change_record_sets in the change's own transaction while the zone's history is on
(model.record_history), kept HISTORY_DAYS as AWS reads it back.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.route53 import model, names, paging
from gureum.store import Txn

HISTORY = model.HISTORY
HISTORY_DAYS = 365
TIERS = ("STANDARD", "ADVANCED")
INCLUDED_GUARDRAILS: dict[str, tuple[str, ...]] = {"STANDARD": ("NS_FORMAT_CHECK",), "ADVANCED": ("NS_FORMAT_CHECK",)}
# ALIAS_TARGET_CHECK is on in every zone (Route 53's own rule here); the ACTIVE_* guardrails
# need per-record query volumes gureum doesn't keep (guardrails.py): not offered.
INCLUDED_GUARDRAILS["ADVANCED"] += ("ALIAS_TARGET_CHECK",)
INCLUDED_GUARDRAILS["STANDARD"] += ("ALIAS_TARGET_CHECK",)
OPTIONAL_GUARDRAILS = {"STANDARD": (), "ADVANCED": ("NS_DELEGATION_AUTHORITY_CHECK", "NS_OCCLUSION_CHECK")}


def _invalid(message: str) -> AwsError:
    return AwsError.modeled("route53", "InvalidInput", message)


def tier_of(zone: dict[str, Any]) -> str:
    return str(zone["Config"].get("HostedZoneTier") or "STANDARD")


def _features(zone: dict[str, Any]) -> dict[str, Any]:
    return dict(zone.get("Features") or {})


def public_features(zone: dict[str, Any]) -> dict[str, Any]:
    """The HostedZoneFeatures output shape (GetHostedZone's Features)."""
    f = _features(zone)
    tier = tier_of(zone)
    out: dict[str, Any] = {"AcceleratedRecoveryStatus": "ENABLED" if f.get("AcceleratedRecovery") else "DISABLED"}
    if zone["Config"].get("PrivateZone"):
        out["PublicDNSFallbackStatus"] = "ENABLED" if f.get("PublicDNSFallback") else "DISABLED"
    history: dict[str, Any] = {"Status": "ENABLED" if f.get("HistorySince") else "DISABLED"}
    if f.get("HistorySince"):
        history["RetentionStartsAt"] = f["HistorySince"]
    out["ChangeHistory"] = history
    guards = f.get("Guardrails") or {}
    out["ChangeGuardrails"] = [{"Name": n, "Status": "ENABLED" if n in INCLUDED_GUARDRAILS[tier] else guards.get(n, "DISABLED")}
                               for n in INCLUDED_GUARDRAILS[tier] + OPTIONAL_GUARDRAILS[tier]]
    return out


def _save(txn: Txn, account: str, zone: dict[str, Any]) -> None:
    txn.put(model.ZONES, model.zone_key(account, model.bare_id(zone["Id"])), zone)
    f = _features(zone)
    txn.publish(model.EVENT_TOPIC, {"kind": "features", "zone_id": model.bare_id(zone["Id"]),
                                    "public_fallback": bool(f.get("PublicDNSFallback"))})


def update_tier(txn: Txn, account: str, zone_id: str, tier: str, dry_run: bool) -> None:
    zone = model.get_zone(txn, account, zone_id)
    if tier not in TIERS:
        raise _invalid(f"Invalid tier: {tier}")
    f = _features(zone)
    on = [n for n, s in (f.get("Guardrails") or {}).items() if s == "ENABLED" and n not in OPTIONAL_GUARDRAILS[tier]
          and n not in INCLUDED_GUARDRAILS[tier]]
    if on:
        raise _invalid(f"The tier {tier} doesn't offer the guardrails {', '.join(sorted(on))}: turn them off first.")
    if dry_run or tier_of(zone) == tier:
        return
    zone["Config"]["HostedZoneTier"] = tier
    if tier == "ADVANCED":
        f["HistorySince"] = model.now()
    else:
        f.pop("HistorySince", None)
    zone["Features"] = f
    _save(txn, account, zone)


def update_features(txn: Txn, account: str, zone_id: str, p: dict[str, Any]) -> None:
    zone = model.get_zone(txn, account, zone_id)
    private = bool(zone["Config"].get("PrivateZone"))
    f = _features(zone)
    tier = tier_of(zone)
    if p.get("EnablePublicDNSFallback") is not None:
        if not private:
            raise _invalid("Public DNS fallback is supported only for private hosted zones.")
        f["PublicDNSFallback"] = bool(p["EnablePublicDNSFallback"])
    if p.get("EnableAcceleratedRecovery") is not None:
        if private:
            raise _invalid("Accelerated recovery is supported only for public hosted zones.")
        f["AcceleratedRecovery"] = bool(p["EnableAcceleratedRecovery"])
    guards = dict(f.get("Guardrails") or {})
    for g in p.get("ChangeGuardrails") or []:
        name, status = g["Name"], g["Status"]
        if name in INCLUDED_GUARDRAILS[tier]:
            if status != "ENABLED":
                raise _invalid(f"The guardrail {name} is included in the {tier} tier and can't be turned off.")
            continue
        if name not in OPTIONAL_GUARDRAILS[tier]:
            raise _invalid(f"The {tier} tier doesn't offer the guardrail {name}.")
        guards[name] = status
    f["Guardrails"] = guards
    if p.get("DryRun"):
        return
    zone["Features"] = f
    _save(txn, account, zone)


# --- change history ------------------------------------------------------------------------------
def _history(txn: Txn, account: str, zone_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    zone = model.get_zone(txn, account, zone_id)
    since = _features(zone).get("HistorySince")
    if not since:
        raise AwsError.modeled("route53", "FeatureNotEnabled",
                               "Change History isn't turned on for the hosted zone: move it to the ADVANCED tier (UpdateHostedZoneTier).")
    cutoff = max(since, (dt.datetime.now(dt.UTC) - dt.timedelta(days=HISTORY_DAYS)).isoformat(timespec="milliseconds"))
    rows = [doc for _k, doc in txn.scan(HISTORY, f"{account}/{model.bare_id(zone['Id'])}/") if _ts(doc["SubmittedAt"]) >= _ts(cutoff)]
    return zone, rows


def _ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _bound(value: str | None, member: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        out = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _invalid(f"Invalid value for {member}: {value} is not an ISO 8601 time with a UTC offset.") from None
    if out.tzinfo is None:
        raise _invalid(f"Invalid value for {member}: {value} has no UTC offset.")
    return out


def _in_range(rows: list[dict[str, Any]], p: dict[str, Any]) -> list[dict[str, Any]]:
    after, before = _bound(p.get("SubmittedAfter"), "SubmittedAfter"), _bound(p.get("SubmittedBefore"), "SubmittedBefore")
    return [r for r in rows if (after is None or _ts(r["SubmittedAt"]) >= after) and (before is None or _ts(r["SubmittedAt"]) < before)]


def _summary(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {k: row[k] for k in ("ChangeId", "Operation", "SubmittedAt", "SubmittedBy", "RequestId", "Comment") if k in row}
    out["ChangeCount"] = len(row["Changes"])
    return out


def _filters(p: dict[str, Any], *members: str) -> dict[str, Any]:
    return {m: p[m] for m in members if p.get(m) is not None}


def list_batches(txn: Txn, account: str, zone_id: str, p: dict[str, Any]) -> dict[str, Any]:
    zone, rows = _history(txn, account, zone_id)
    order = p.get("SortOrder") or "DESCENDING"
    if p.get("StartAfterChangeId"):
        if order != "ASCENDING" or p.get("SubmittedAfter") or p.get("SubmittedBefore"):
            raise _invalid("StartAfterChangeId requires SortOrder ASCENDING and can't be combined with SubmittedAfter or SubmittedBefore.")
        ids = [r["ChangeId"] for r in rows]
        start = model.bare_id(p["StartAfterChangeId"])
        if start not in ids:
            raise AwsError.modeled("route53", "NoSuchChange", f"A change with the specified change ID does not exist in the change history: {start}")
        rows = rows[ids.index(start) + 1:]
    rows = _in_range(rows, p)
    indexed = list(enumerate(rows))
    if order == "DESCENDING":
        indexed.reverse()
    page, token, _ = paging.page(indexed, lambda ir: ir[0] if order == "ASCENDING" else -ir[0],
                                 f"route53.history/{account}/{model.bare_id(zone['Id'])}", p, "MaxResults", 100, 1000,
                                 "InvalidPaginationToken", filters=_filters(p, "SubmittedAfter", "SubmittedBefore", "SortOrder", "StartAfterChangeId"))
    out: dict[str, Any] = {"ChangeBatchSummaries": [_summary(r) for _i, r in page]}
    if token:
        out["NextToken"] = token
    return out


def get_batch(txn: Txn, account: str, zone_id: str, change_id: str) -> dict[str, Any]:
    _zone, rows = _history(txn, account, zone_id)
    cid = model.bare_id(change_id)
    for r in rows:
        if r["ChangeId"] == cid:
            batch: dict[str, Any] = {"Changes": r["Changes"]}
            if r.get("Comment"):
                batch["Comment"] = r["Comment"]
            return {"ChangeBatchSummary": _summary(r), "ChangeBatch": batch}
    raise AwsError.modeled("route53", "NoSuchChange", f"A change with the specified change ID does not exist in the change history of the hosted zone: {cid}")


def list_rrset_changes(txn: Txn, account: str, zone_id: str, p: dict[str, Any]) -> dict[str, Any]:
    zone, rows = _history(txn, account, zone_id)
    name, rtype = p.get("RecordName"), p.get("RecordType")
    if bool(name) != bool(rtype):
        raise _invalid("RecordName and RecordType must be specified together.")
    if name:
        try:
            name = names.normalize(name)
        except names.BadName:
            raise _invalid(f"{name} is not a valid domain name.") from None
    items: list[dict[str, Any]] = []
    for r in _in_range(rows, p):
        for c in r["Changes"]:
            rrs = c["ResourceRecordSet"]
            if name and (rrs["Name"] != name or rrs["Type"] != rtype):
                continue
            item: dict[str, Any] = {k: r[k] for k in ("ChangeId", "Operation", "SubmittedAt", "SubmittedBy", "RequestId") if k in r}
            item.update({"Action": c["Action"], "ResourceRecordSet": rrs})
            items.append(item)
    order = p.get("SortOrder") or "DESCENDING"
    indexed = list(enumerate(items))
    if order == "DESCENDING":
        indexed.reverse()
    page, token, _ = paging.page(indexed, lambda ir: ir[0] if order == "ASCENDING" else -ir[0],
                                 f"route53.rrsetchanges/{account}/{model.bare_id(zone['Id'])}", p, "MaxResults", 100, 100,
                                 "InvalidPaginationToken", filters=_filters(p, "RecordName", "RecordType", "SubmittedAfter", "SubmittedBefore", "SortOrder"))
    out: dict[str, Any] = {"ResourceRecordSetChanges": [i for _n, i in page]}
    if token:
        out["NextToken"] = token
    return out
