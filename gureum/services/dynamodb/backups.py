"""DynamoDB on-demand backups and the continuous-backups (point-in-time recovery) setting.

Table dynamodb_backups: "{account}/{region}/{backup id}" -> {"Arn", "Name", "Table" (the source
table's document, tables.py), "Created" (epoch), "Bytes", "Count", "Status"}. A backup id is
AWS's "{13-digit epoch ms}-{8 hex}"; its ARN is "{table ARN}/backup/{id}".
Table dynamodb_backup_items: "{account}/{region}/{backup id}/{hash}/{range}/" (the item's store
key under the table, keys.py) -> {"i": stored item}: a copy of every item, taken in the
CreateBackup transaction, so the backup is AVAILABLE when CreateBackup answers and outlives the
table. RestoreTableFromBackup creates the target table and writes every item through
items.write (index rows and counts as for any write; restored tables have no stream, TTL or
tags, as in AWS). Point-in-time recovery is a flag on the table document ("Pitr": {"Enabled",
"Since", "Days"}); RestoreTableToPointInTime restores the table as it is at the latest
restorable time (a time in the past answers 501: no item history is kept).
"""

from __future__ import annotations

import copy
import datetime
import secrets
import uuid
from typing import Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.services.dynamodb import items as I
from gureum.services.dynamodb import tables as T
from gureum.services.dynamodb import values as V
from gureum.services.dynamodb.values import invalid
from gureum.store import Txn

BACKUPS = "dynamodb_backups"
BACKUP_ITEMS = "dynamodb_backup_items"
_CHUNK = 500


def _when(t: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(t, datetime.UTC)


def table_not_found(name: str) -> AwsError:
    return AwsError.modeled("dynamodb", "TableNotFoundException", f"Table not found: {name}")


def backup_not_found(arn: str) -> AwsError:
    return AwsError.modeled("dynamodb", "BackupNotFoundException", f"Backup not found for BackupArn: {arn}")


def _source(txn: Txn, account: str, region: str, name: str) -> dict[str, Any]:
    doc = txn.get(T.TABLES, T.table_key(account, region, T.name_of(name)))
    if doc is None:
        raise table_not_found(T.name_of(name))
    return doc


def _key_of_arn(arn: str) -> str:
    parsed = arns.try_parse(arn)
    if parsed is None or parsed.service != "dynamodb" or "/backup/" not in parsed.resource:
        raise invalid(f"Invalid BackupArn: {arn}")
    return f"{parsed.account}/{parsed.region}/{parsed.resource.rsplit('/', 1)[1]}"


def _get(txn: Txn, arn: str, account: str) -> tuple[str, dict[str, Any]]:
    """The caller's backup `arn` (another account's is not found: the gate sees no ARN here)."""
    key = _key_of_arn(arn)
    b = txn.get(BACKUPS, key) if key.startswith(f"{account}/") else None
    if b is None:
        raise backup_not_found(arn)
    return key, b


def _copy(txn: Txn, src: str, dst: str) -> tuple[int, int]:
    """Every item row of the table under prefix `src` copied under `dst`; (count, bytes)."""
    n = size = 0
    start: str | None = None
    while True:
        rows = txn.scan(I.ITEMS, src, start=start, limit=_CHUNK)
        for k, row in rows:
            txn.put(BACKUP_ITEMS, dst + k[len(src):], row)
            n += 1
            size += V.item_size(V.item_from_store(row["i"]))
        if len(rows) < _CHUNK:
            return n, size
        start = rows[-1][0][:-1] + "0"


def details(b: dict[str, Any]) -> dict[str, Any]:
    return {"BackupArn": b["Arn"], "BackupName": b["Name"], "BackupSizeBytes": b["Bytes"], "BackupStatus": b["Status"],
            "BackupType": "USER", "BackupCreationDateTime": _when(b["Created"])}


def describe(b: dict[str, Any]) -> dict[str, Any]:
    src = b["Table"]
    table: dict[str, Any] = {
        "TableName": src["TableName"], "TableId": src["TableId"], "TableArn": src["TableArn"],
        "TableSizeBytes": b["Bytes"], "KeySchema": src["KeySchema"], "TableCreationDateTime": _when(src["Created"]),
        "ProvisionedThroughput": {"ReadCapacityUnits": src.get("Read", 0), "WriteCapacityUnits": src.get("Write", 0)},
        "ItemCount": b["Count"], "BillingMode": src["BillingMode"]}
    features: dict[str, Any] = {}
    if src["GSIs"]:
        features["GlobalSecondaryIndexes"] = [
            {"IndexName": g["IndexName"], "KeySchema": g["KeySchema"], "Projection": g["Projection"],
             "ProvisionedThroughput": {"ReadCapacityUnits": g.get("Read", 0), "WriteCapacityUnits": g.get("Write", 0)}}
            for g in src["GSIs"]]
    if src["LSIs"]:
        features["LocalSecondaryIndexes"] = [
            {"IndexName": g["IndexName"], "KeySchema": g["KeySchema"], "Projection": g["Projection"]} for g in src["LSIs"]]
    ttl = src.get("Ttl")
    features["TimeToLiveDescription"] = ({"TimeToLiveStatus": "ENABLED", "AttributeName": ttl["AttributeName"]}
                                         if ttl and ttl.get("Enabled") else {"TimeToLiveStatus": "DISABLED"})
    return {"BackupDetails": details(b), "SourceTableDetails": table, "SourceTableFeatureDetails": features}


def create(txn: Txn, account: str, region: str, p: dict[str, Any], now: float) -> dict[str, Any]:
    doc = _source(txn, account, region, p["TableName"])
    bid = f"{int(now * 1000):013d}-{secrets.token_hex(4)}"
    b = {"Arn": f"{doc['TableArn']}/backup/{bid}", "Name": p["BackupName"], "Table": copy.deepcopy(doc),
         "Created": now, "Status": "AVAILABLE", "Bytes": 0, "Count": 0}
    key = f"{account}/{region}/{bid}"
    b["Count"], b["Bytes"] = _copy(txn, T.table_key(account, region, doc["TableName"]) + "/", key + "/")
    txn.put(BACKUPS, key, b)
    return details(b) | {"BackupStatus": "CREATING"}


def describe_backup(txn: Txn, arn: str, account: str) -> dict[str, Any]:
    return describe(_get(txn, arn, account)[1])


def delete(txn: Txn, arn: str, account: str) -> dict[str, Any]:
    key, b = _get(txn, arn, account)
    txn.delete(BACKUPS, key)
    txn.delete_prefix(BACKUP_ITEMS, key + "/")
    out = describe(b)
    out["BackupDetails"]["BackupStatus"] = "DELETED"
    return out


def list_backups(txn: Txn, account: str, region: str, p: dict[str, Any]) -> dict[str, Any]:
    if p.get("BackupType") not in (None, "USER", "ALL"):
        return {"BackupSummaries": []}  # no SYSTEM or AWS_BACKUP backups exist here
    lo, hi = p.get("TimeRangeLowerBound"), p.get("TimeRangeUpperBound")
    name = T.name_of(p["TableName"]) if p.get("TableName") else None
    limit = p.get("Limit") or 100
    start = p.get("ExclusiveStartBackupArn")
    out: list[dict[str, Any]] = []
    last: str | None = None
    rows = txn.scan(BACKUPS, f"{account}/{region}/", start=(_key_of_arn(start) + "\x01") if start else None)
    for _k, b in rows:
        src = b["Table"]
        when = _when(b["Created"])
        if name is not None and src["TableName"] != name:
            continue
        if (lo is not None and when < lo) or (hi is not None and when > hi):
            continue
        if len(out) == limit:
            last = out[-1]["BackupArn"]
            break
        out.append({"TableName": src["TableName"], "TableId": src["TableId"], "TableArn": src["TableArn"]} | details(b))
    return {"BackupSummaries": out} | ({"LastEvaluatedBackupArn": last} if last else {})


def restore(txn: Txn, account: str, region: str, p: dict[str, Any], now: float) -> dict[str, Any]:
    _, b = _get(txn, p["BackupArn"], account)
    summary = {"SourceBackupArn": b["Arn"], "SourceTableArn": b["Table"]["TableArn"], "RestoreDateTime": now}
    return _restore(txn, account, region, p, now, b["Table"], BACKUP_ITEMS, _key_of_arn(b["Arn"]) + "/", summary)


def restore_to_point_in_time(txn: Txn, account: str, region: str, p: dict[str, Any], now: float) -> dict[str, Any]:
    """The source table as it is now (the latest restorable time); an earlier time needs item
    history, which is not kept (501)."""
    if p.get("SourceTableArn"):
        _, _, src = T.by_arn(txn, p["SourceTableArn"])
    elif p.get("SourceTableName"):
        src = _source(txn, account, region, p["SourceTableName"])
    else:
        raise invalid("Either SourceTableArn or SourceTableName must be specified")
    pitr = src.get("Pitr") or {}
    if not pitr.get("Enabled"):
        raise AwsError.modeled("dynamodb", "PointInTimeRecoveryUnavailableException",
                               f"Point in time recovery is not enabled for table '{src['TableName']}'")
    when = p.get("RestoreDateTime")
    if bool(p.get("UseLatestRestorableTime")) == (when is not None):
        raise invalid("Only one of RestoreDateTime or UseLatestRestorableTime can be specified, and one of them is required")
    if when is not None:
        earliest = max(pitr["Since"], now - pitr.get("Days", 35) * 86400)
        if not earliest <= when.timestamp() <= now:
            raise AwsError.modeled("dynamodb", "InvalidRestoreTimeException",
                                   f"RestoreDateTime must be between {_when(earliest).isoformat()} and {_when(now).isoformat()}")
        if when.timestamp() < now - 1:
            raise AwsError.common("NotImplemented", "gureum's DynamoDB does not implement restores to an earlier point in "
                                                    "time yet (no item history is kept); use UseLatestRestorableTime")
    a, r = T.owner(src)
    summary = {"SourceTableArn": src["TableArn"], "RestoreDateTime": now}
    return _restore(txn, account, region, p, now, src, I.ITEMS, T.table_key(a, r, src["TableName"]) + "/", summary)


def _restore(txn: Txn, account: str, region: str, p: dict[str, Any], now: float, src: dict[str, Any], rows_table: str,
             prefix: str, summary: dict[str, Any]) -> dict[str, Any]:
    """A new table `TargetTableName` like `src` with the items stored under `prefix` of
    `rows_table`, written through items.write."""
    name = p["TargetTableName"]
    key = T.table_key(account, region, name)
    if txn.get(T.TABLES, key) is not None:
        raise AwsError.modeled("dynamodb", "TableAlreadyExistsException", f"Table already exists: {name}")
    doc = copy.deepcopy(src)
    doc.update({"TableName": name, "TableId": str(uuid.uuid4()), "TableArn": arns.dynamodb_table(region, account, name),
                "Created": now, "Ttl": None, "Tags": {}, "DeletionProtectionEnabled": False})
    for k in ("Stream", "LastStream", "Pitr", "BillingChanged", "Kinesis", "Policy", "Restore"):
        doc.pop(k, None)
    billing = p.get("BillingModeOverride")
    if billing:
        doc["BillingMode"] = billing
        if billing == "PAY_PER_REQUEST":
            doc["Read"] = doc["Write"] = 0
    pt = p.get("ProvisionedThroughputOverride")
    if pt:
        doc["Read"], doc["Write"] = pt["ReadCapacityUnits"], pt["WriteCapacityUnits"]
    if doc["BillingMode"] == "PROVISIONED" and not doc.get("Read"):
        raise invalid("One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be "
                      "specified when BillingMode is PROVISIONED")
    if p.get("GlobalSecondaryIndexOverride") is not None or p.get("LocalSecondaryIndexOverride") is not None:
        raise AwsError.common("NotImplemented", "gureum's DynamoDB does not implement index overrides in a restore yet")
    for g in doc["GSIs"]:
        g["IndexStatus"] = "ACTIVE"
    doc["Restore"] = summary
    txn.insert(T.TABLES, key, doc)
    txn.put(T.COUNTS, key, {"n": 0, "bytes": 0})
    s = I.schema(account, region, doc)
    start: str | None = None
    while True:
        rows = txn.scan(rows_table, prefix, start=start, limit=_CHUNK)
        for _k, row in rows:
            I.write(txn, s, None, V.item_from_store(row["i"]))
        if len(rows) < _CHUNK:
            break
        start = rows[-1][0][:-1] + "0"
    txn.publish(T.TOPIC, {"key": key})
    out = T.describe(txn, account, region, doc, "CREATING")
    out["RestoreSummary"] = restore_summary_shape(doc, in_progress=True)
    return out


def restore_summary_shape(doc: dict[str, Any], in_progress: bool = False) -> dict[str, Any]:
    r = doc["Restore"]
    out = {"SourceTableArn": r["SourceTableArn"], "RestoreDateTime": _when(r["RestoreDateTime"]), "RestoreInProgress": in_progress}
    return out | ({"SourceBackupArn": r["SourceBackupArn"]} if r.get("SourceBackupArn") else {})


# -- continuous backups -----------------------------------------------------------------------

def continuous(doc: dict[str, Any], now: float) -> dict[str, Any]:
    pitr = doc.get("Pitr") or {}
    desc: dict[str, Any] = {"PointInTimeRecoveryStatus": "ENABLED" if pitr.get("Enabled") else "DISABLED"}
    if pitr.get("Enabled"):
        desc["RecoveryPeriodInDays"] = pitr.get("Days", 35)
        desc["EarliestRestorableDateTime"] = _when(max(pitr["Since"], now - pitr.get("Days", 35) * 86400))
        desc["LatestRestorableDateTime"] = _when(now)
    return {"ContinuousBackupsStatus": "ENABLED", "PointInTimeRecoveryDescription": desc}


def describe_continuous(txn: Txn, account: str, region: str, name: str, now: float) -> dict[str, Any]:
    return continuous(_source(txn, account, region, name), now)


def update_continuous(txn: Txn, account: str, region: str, p: dict[str, Any], now: float) -> dict[str, Any]:
    doc = _source(txn, account, region, p["TableName"])
    spec = p["PointInTimeRecoverySpecification"]
    days = spec.get("RecoveryPeriodInDays")
    if days is not None and not 1 <= days <= 35:
        raise invalid("RecoveryPeriodInDays must be between 1 and 35")
    if days is not None and not spec["PointInTimeRecoveryEnabled"]:
        raise invalid("RecoveryPeriodInDays can only be specified when PointInTimeRecoveryEnabled is true")
    cur = doc.get("Pitr") or {}
    if spec["PointInTimeRecoveryEnabled"]:
        doc["Pitr"] = {"Enabled": True, "Since": cur["Since"] if cur.get("Enabled") else now, "Days": days or cur.get("Days", 35)}
    else:
        doc["Pitr"] = {"Enabled": False}
    T.put(txn, account, region, doc)
    return continuous(doc, now)
