"""Global tables (version 2019.11.21): UpdateTable's ReplicaUpdates create and delete replicas
of a table in other gureum regions, and every item write is applied to every replica in the
same store transaction (items.write applies them), so the replicas never diverge.

Each member's table document keeps "Replicas": the regions of the other members, and
"GlobalTableVersion": "2019.11.21" while it has any. A new replica is a table of the same name,
key schema, attribute definitions, indexes and billing in the named region (no stream, TTL or
tags of its own), filled with the source's items through items.write. Deleting a replica (by
ReplicaUpdates Delete, or DeleteTable in its region) drops it from the others' lists.
The legacy 2017 API (CreateGlobalTable, UpdateGlobalTable, Describe/ListGlobalTables...) is
not built (501). A replicated write's stream and Kinesis records go to each member's own
destinations, as in AWS.
"""

from __future__ import annotations

import copy
import functools
import uuid
from typing import Any

import botocore.session

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.services.dynamodb import items as I
from gureum.services.dynamodb import tables as T
from gureum.services.dynamodb import values as V
from gureum.services.dynamodb.values import invalid
from gureum.store import Txn

VERSION = "2019.11.21"
_CHUNK = 500


@functools.cache
def _regions() -> frozenset[str]:
    return frozenset(botocore.session.get_session().get_available_regions("dynamodb"))


def _members(doc: dict[str, Any]) -> list[str]:
    return list(doc.get("Replicas") or [])


def _set_members(txn: Txn, account: str, region: str, doc: dict[str, Any], others: list[str]) -> None:
    doc["Replicas"] = sorted(others)
    if others:
        doc["GlobalTableVersion"] = VERSION
    else:
        doc.pop("GlobalTableVersion", None)
    T.put(txn, account, region, doc)


def _create(txn: Txn, account: str, region: str, doc: dict[str, Any], target: str, now: float) -> None:
    if target == region:
        raise invalid(f"Cannot add replica in the same region as the table: {target}")
    if target not in _regions():
        raise invalid(f"Invalid replica region: {target}")
    members = _members(doc)
    if target in members or txn.get(T.TABLES, T.table_key(account, target, doc["TableName"])) is not None:
        raise invalid(f"Failed to create a the new replica of table with name: '{doc['TableName']}' because one or more "
                      "replicas already existed as tables.")
    rep = copy.deepcopy(doc)
    rep.update({"TableId": str(uuid.uuid4()), "TableArn": arns.dynamodb_table(target, account, doc["TableName"]),
                "Created": now, "Ttl": None, "Tags": {}})
    for k in ("Stream", "LastStream", "Kinesis", "Policy", "Restore", "Pitr"):
        rep.pop(k, None)
    for g in rep["GSIs"]:
        g["IndexStatus"] = "ACTIVE"
    rep["Replicas"], rep["GlobalTableVersion"] = sorted([region, *members]), VERSION
    if not txn.insert(T.TABLES, T.table_key(account, target, doc["TableName"]), rep):
        raise invalid(f"Failed to create a the new replica of table with name: '{doc['TableName']}' because one or more "
                      "replicas already existed as tables.")
    txn.put(T.COUNTS, T.table_key(account, target, doc["TableName"]), {"n": 0, "bytes": 0})
    s = I.schema(account, target, rep)
    src = T.table_key(account, region, doc["TableName"]) + "/"
    start: str | None = None
    while True:
        rows = txn.scan(I.ITEMS, src, start=start, limit=_CHUNK)
        for _k, row in rows:
            I.write(txn, s, None, V.item_from_store(row["i"]), replicate=False)
        if len(rows) < _CHUNK:
            break
        start = rows[-1][0][:-1] + "0"
    for other in members:
        odoc = txn.get(T.TABLES, T.table_key(account, other, doc["TableName"]))
        if odoc is not None:
            _set_members(txn, account, other, odoc, [*_members(odoc), target])
    _set_members(txn, account, region, doc, [*members, target])
    txn.publish(T.TOPIC, {"key": T.table_key(account, target, doc["TableName"])})


def _delete(txn: Txn, account: str, region: str, doc: dict[str, Any], target: str) -> None:
    members = _members(doc)
    if target not in members:
        raise invalid(f"Failed to remove the replica in region {target}: the table has no replica there")
    key = T.table_key(account, target, doc["TableName"])
    T.delete(txn, account, target, doc["TableName"])
    I.drop_table(txn, key)
    leave(txn, account, target, doc["TableName"], members + [region])


def leave(txn: Txn, account: str, region: str, name: str, members: list[str]) -> None:
    """The replica in `region` is gone: the other `members` forget it."""
    for other in members:
        if other == region:
            continue
        odoc = txn.get(T.TABLES, T.table_key(account, other, name))
        if odoc is not None:
            _set_members(txn, account, other, odoc, [r for r in _members(odoc) if r != region])


def update(txn: Txn, account: str, region: str, name: str, updates: list[dict[str, Any]], now: float) -> dict[str, Any]:
    doc = T.get(txn, account, region, name)
    for u in updates:
        if u.get("Create"):
            _create(txn, account, region, doc, u["Create"]["RegionName"], now)
        elif u.get("Delete"):
            _delete(txn, account, region, doc, u["Delete"]["RegionName"])
        else:
            raise AwsError.common("NotImplemented", "gureum's DynamoDB does not implement replica Update/Disassociate yet")
        doc = T.get(txn, account, region, name)
    return doc


def describe(txn: Txn, account: str, doc: dict[str, Any], creating: frozenset[str] = frozenset()) -> dict[str, Any]:
    members = _members(doc)
    if not members:
        return {}
    return {"GlobalTableVersion": VERSION, "Replicas": [
        {"RegionName": r, "ReplicaStatus": "CREATING" if r in creating else "ACTIVE",
         "ReplicaArn": arns.dynamodb_table(r, account, doc["TableName"])} for r in members]}


