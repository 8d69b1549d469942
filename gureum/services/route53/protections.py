"""Resource record set protections: a (name, type) of a hosted zone that ChangeResourceRecordSets
may not create, change or delete while the protection exists (model.change_record_sets
answers InvalidChangeBatch with the protection's comment), and that keeps the zone from being
deleted (model.delete_zone: HostedZoneNotEmpty).

Table route53.protections (model.PROTECTIONS), key "{account}/{zone id}/{name} {type}" ->
{"RecordName", "RecordType", "Comment"?}. Create and Delete are atomic over their batch (up to
100 entries): invalid entries are reported first (InvalidInput each), then existing or missing
protections; AWS's error is ProtectionAlreadyExists when every entry already is protected,
else InvalidResourceRecordSetProtectionBatch, each with the failing entries in Errors.
"""

from __future__ import annotations

from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.route53 import model, names, paging
from gureum.store import Txn

PROTECTIONS = model.PROTECTIONS
MAX_PER_ZONE = 1_000  # gureum's quota per hosted zone (LimitsExceeded beyond it)
MAX_PER_REQUEST = 100
LIST_MAX = 300


def _key(account: str, zid: str, name: str, rtype: str) -> str:
    return f"{account}/{zid}/{name} {rtype}"


def _entries(zone: dict[str, Any], items: list[dict[str, Any]]) -> tuple[list[tuple[str, str, dict[str, Any]]], list[dict[str, str]]]:
    """(normalized name, type, item) of each valid entry, and the InvalidInput errors."""
    zone_labels = names.parse(zone["Name"])
    good: list[tuple[str, str, dict[str, Any]]] = []
    errs: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()
    if len(items) > MAX_PER_REQUEST:
        raise AwsError.modeled("route53", "InvalidInput", f"A request can contain at most {MAX_PER_REQUEST} protections.")
    for item in items:
        raw, rtype = item["RecordName"], item["RecordType"]
        try:
            labels = names.parse(raw)
        except names.BadName:
            errs.append(_error(raw, rtype, "InvalidInput", f"{raw} is not a valid domain name."))
            continue
        if not names.is_subdomain(labels, zone_labels):
            errs.append(_error(raw, rtype, "InvalidInput", f"{raw} is not in the hosted zone {zone['Name']}."))
            continue
        name = names.to_text(labels)
        if (name, rtype) in seen:
            errs.append(_error(raw, rtype, "InvalidInput", f"The name {name} and type {rtype} appear more than once in the request."))
            continue
        seen.add((name, rtype))
        good.append((name, rtype, item))
    return good, errs


def _error(name: str, rtype: str, code: str, message: str) -> dict[str, str]:
    return {"RecordName": name, "RecordType": rtype, "Code": code, "Message": message}


def _batch_error(errs: list[dict[str, str]], code: str = "InvalidResourceRecordSetProtectionBatch") -> AwsError:
    text = "; ".join(f"{e['RecordName']} {e['RecordType']}: {e['Message']}" for e in errs)
    return AwsError.modeled("route53", code, text, Errors=errs)


def create(txn: Txn, account: str, zone_id: str, items: list[dict[str, Any]]) -> None:
    zone = model.get_zone(txn, account, zone_id)
    zid = model.bare_id(zone["Id"])
    good, errs = _entries(zone, items)
    if errs:
        raise _batch_error(errs)
    taken = [_error(name, rtype, "ProtectionAlreadyExists", f"A protection already exists for {name} {rtype}.")
             for name, rtype, _i in good if txn.get(PROTECTIONS, _key(account, zid, name, rtype)) is not None]
    if taken:
        raise _batch_error(taken, "ProtectionAlreadyExists" if len(taken) == len(good) else "InvalidResourceRecordSetProtectionBatch")
    if txn.count(PROTECTIONS, f"{account}/{zid}/") + len(good) > MAX_PER_ZONE:
        raise AwsError.modeled("route53", "LimitsExceeded", f"Limits Exceeded: at most {MAX_PER_ZONE} protections per hosted zone")
    for name, rtype, item in good:
        doc = {"RecordName": name, "RecordType": rtype}
        if item.get("Comment"):
            doc["Comment"] = item["Comment"]
        txn.put(PROTECTIONS, _key(account, zid, name, rtype), doc)


def delete(txn: Txn, account: str, zone_id: str, items: list[dict[str, Any]]) -> None:
    zone = model.get_zone(txn, account, zone_id)
    zid = model.bare_id(zone["Id"])
    good, errs = _entries(zone, items)
    if errs:
        raise _batch_error(errs)
    missing = [_error(name, rtype, "ProtectionNotFound", f"No protection exists for {name} {rtype}.")
               for name, rtype, _i in good if txn.get(PROTECTIONS, _key(account, zid, name, rtype)) is None]
    if missing:
        raise _batch_error(missing)
    for name, rtype, _i in good:
        txn.delete(PROTECTIONS, _key(account, zid, name, rtype))


def _order(doc: dict[str, Any]) -> tuple[tuple[str, ...], str]:
    """ListResourceRecordSets order, as text (a page token carries it)."""
    return (_labels_key(doc["RecordName"]), doc["RecordType"])


def _labels_key(name: str) -> tuple[str, ...]:
    return tuple(label.decode("latin-1") for label in names.sort_key(names.parse(name)))


def list_page(txn: Txn, account: str, zone_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """ListResourceRecordSetProtections: in ListResourceRecordSets order, from StartRecordName
    (and StartRecordType) unless a NextToken is given."""
    zone = model.get_zone(txn, account, zone_id)
    zid = model.bare_id(zone["Id"])
    start_name, start_type = params.get("StartRecordName"), params.get("StartRecordType")
    if start_type and not start_name:
        raise AwsError.modeled("route53", "InvalidInput", "The input is not valid: StartRecordType is specified, but StartRecordName is not.")
    docs = sorted((doc for _k, doc in txn.scan(PROTECTIONS, f"{account}/{zid}/")), key=_order)
    if start_name and not params.get("NextToken"):
        try:
            first = (_labels_key(start_name), start_type or "")
        except names.BadName:
            raise AwsError.modeled("route53", "InvalidInput", f"Invalid name: {start_name}") from None
        docs = [d for d in docs if _order(d) >= first]
    page, token, _ = paging.page(docs, _order, f"route53.protections/{account}/{zid}", params, "MaxResults",
                                 LIST_MAX, LIST_MAX, "InvalidPaginationToken")
    out: dict[str, Any] = {"ResourceRecordSetProtections": page}
    if token:
        out["NextToken"] = token
    return out
