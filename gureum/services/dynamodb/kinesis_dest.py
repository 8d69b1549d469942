"""Kinesis Data Streams for DynamoDB: a table's streaming destinations (Enable/Disable/Describe/
UpdateKinesisStreamingDestination) and the change record items.write appends to each ACTIVE
destination, in the item change's own store transaction (Kinesis' port `append`).

The table document keeps "Kinesis": [{"StreamArn", "DestinationStatus" (ACTIVE or DISABLED),
"Precision" (MILLISECOND or MICROSECOND)}]. Answers show the transition AWS's first answers
show (ENABLING, DISABLING, UPDATING); the next Describe sees the end state. One ACTIVE
destination per table (AWS's limit). A record is AWS's JSON: {"awsRegion", "eventID",
"eventName" (INSERT/MODIFY/REMOVE), "userIdentity" (the TTL service identity or null),
"recordFormat": "application/json", "tableName", "dynamodb": {"ApproximateCreationDateTime",
"ApproximateCreationDateTimePrecision", "Keys", "NewImage", "OldImage", "SizeBytes"},
"eventSource": "aws:dynamodb"}, images always both (as AWS sends), binaries base64; its
partition key is the item's key, so one item's changes stay in order on one shard.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.dynamodb import tables as T
from gureum.services.dynamodb.values import Item, invalid
from gureum.services.kinesis import port as kinesis
from gureum.store import Txn

PRECISIONS = ("MILLISECOND", "MICROSECOND")


def active(doc: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """(stream ARN, precision) of the table's ACTIVE destinations (for items.Schema)."""
    return tuple((d["StreamArn"], d.get("Precision", "MILLISECOND")) for d in doc.get("Kinesis") or []
                 if d["DestinationStatus"] == "ACTIVE")


def emit(txn: Txn, dests: tuple[tuple[str, str], ...], region: str, table: str, keys: Item, old: Item | None,
         new: Item | None, size: int, service: bool) -> None:
    """The change record of one item write, appended to every destination (stored forms)."""
    now = time.time()
    name = "INSERT" if old is None else ("REMOVE" if new is None else "MODIFY")
    pk = json.dumps(keys, sort_keys=True, separators=(",", ":"))
    for arn, precision in dests:
        body: dict[str, Any] = {"ApproximateCreationDateTime": int(now * 1_000_000) if precision == "MICROSECOND" else int(now * 1000),
                                "ApproximateCreationDateTimePrecision": precision, "Keys": keys, "SizeBytes": size}
        if new is not None:
            body["NewImage"] = new
        if old is not None:
            body["OldImage"] = old
        record = {"awsRegion": region, "eventID": str(uuid.uuid4()), "eventName": name,
                  "userIdentity": {"type": "Service", "principalId": "dynamodb.amazonaws.com"} if service else None,
                  "recordFormat": "application/json", "tableName": table, "dynamodb": body, "eventSource": "aws:dynamodb"}
        kinesis.append(txn, arn, pk, json.dumps(record, separators=(",", ":")).encode(), int(now * 1000))


def _find(doc: dict[str, Any], arn: str) -> dict[str, Any] | None:
    return next((d for d in doc.get("Kinesis") or [] if d["StreamArn"] == arn), None)


def _precision(p: dict[str, Any], member: str) -> str:
    got = (p.get(member) or {}).get("ApproximateCreationDateTimePrecision") or "MILLISECOND"
    return str(got)


def enable(txn: Txn, account: str, region: str, p: dict[str, Any]) -> dict[str, Any]:
    doc = T.get(txn, account, region, p["TableName"])
    arn = p["StreamArn"]
    if not kinesis.exists(txn, arn):
        raise AwsError.modeled("dynamodb", "ResourceNotFoundException", f"Requested resource not found: Stream: {arn} not found")
    cur = _find(doc, arn)
    if cur is not None and cur["DestinationStatus"] == "ACTIVE":
        raise invalid(f"Table {doc['TableName']} is already streaming to {arn}")
    if active(doc):
        raise AwsError.modeled("dynamodb", "LimitExceededException",
                               "Table already has an enabled Kinesis streaming destination: only one is allowed")
    precision = _precision(p, "EnableKinesisStreamingConfiguration")
    dests = [d for d in doc.get("Kinesis") or [] if d["StreamArn"] != arn]
    dests.append({"StreamArn": arn, "DestinationStatus": "ACTIVE", "Precision": precision})
    doc["Kinesis"] = dests
    T.put(txn, account, region, doc)
    return {"TableName": doc["TableName"], "StreamArn": arn, "DestinationStatus": "ENABLING",
            "EnableKinesisStreamingConfiguration": {"ApproximateCreationDateTimePrecision": precision}}


def disable(txn: Txn, account: str, region: str, p: dict[str, Any]) -> dict[str, Any]:
    doc = T.get(txn, account, region, p["TableName"])
    cur = _find(doc, p["StreamArn"])
    if cur is None or cur["DestinationStatus"] != "ACTIVE":
        raise invalid(f"Table {doc['TableName']} is not streaming to {p['StreamArn']}")
    cur["DestinationStatus"] = "DISABLED"
    T.put(txn, account, region, doc)
    return {"TableName": doc["TableName"], "StreamArn": p["StreamArn"], "DestinationStatus": "DISABLING",
            "EnableKinesisStreamingConfiguration": {"ApproximateCreationDateTimePrecision": cur.get("Precision", "MILLISECOND")}}


def update(txn: Txn, account: str, region: str, p: dict[str, Any]) -> dict[str, Any]:
    doc = T.get(txn, account, region, p["TableName"])
    cur = _find(doc, p["StreamArn"])
    if cur is None or cur["DestinationStatus"] != "ACTIVE":
        raise invalid(f"Table {doc['TableName']} is not streaming to {p['StreamArn']}")
    precision = _precision(p, "UpdateKinesisStreamingConfiguration")
    if precision not in PRECISIONS:
        raise invalid(f"Invalid ApproximateCreationDateTimePrecision: {precision}")
    cur["Precision"] = precision
    T.put(txn, account, region, doc)
    return {"TableName": doc["TableName"], "StreamArn": p["StreamArn"], "DestinationStatus": "UPDATING",
            "UpdateKinesisStreamingConfiguration": {"ApproximateCreationDateTimePrecision": precision}}


def describe(txn: Txn, account: str, region: str, name: str) -> dict[str, Any]:
    doc = T.get(txn, account, region, name, describe=True)
    return {"TableName": doc["TableName"], "KinesisDataStreamDestinations": [
        {"StreamArn": d["StreamArn"], "DestinationStatus": d["DestinationStatus"],
         "ApproximateCreationDateTimePrecision": d.get("Precision", "MILLISECOND")} for d in doc.get("Kinesis") or []]}
