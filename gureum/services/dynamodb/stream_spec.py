"""A table's StreamSpecification (CreateTable, UpdateTable, DescribeTable, DeleteTable): the
table document keeps "Stream" ({"key", "arn", "label", "view"} from DynamoDB Streams' port)
while its stream is enabled, and "LastStream" ({"arn", "label"}) for LatestStreamArn/Label
after it is disabled, as AWS shows them. The records themselves are appended by items.write.
"""

from __future__ import annotations

from typing import Any

from gureum.services.dynamodb.values import invalid
from gureum.services.dynamodbstreams import port as streams
from gureum.store import Txn


def apply(txn: Txn, account: str, region: str, doc: dict[str, Any], spec: dict[str, Any], now_ms: int, *,
          creating: bool = False) -> None:
    """Enable or disable the stream of the table `doc` (the caller stores the document)."""
    cur = doc.get("Stream")
    view = spec.get("StreamViewType")
    if spec.get("StreamEnabled"):
        if not view:
            raise invalid("One or more parameter values were invalid: StreamViewType is required when StreamEnabled is true")
        if view not in streams.VIEWS:
            raise invalid(f"One or more parameter values were invalid: Invalid StreamViewType: {view}")
        if cur is not None:
            raise invalid(f"Table already has an enabled stream: TableName: {doc['TableName']}")
        doc["Stream"] = streams.enable(txn, account, region, doc["TableName"], doc["TableArn"], doc["KeySchema"], view, now_ms)
        doc["LastStream"] = {"arn": doc["Stream"]["arn"], "label": doc["Stream"]["label"]}
        return
    if view is not None:
        raise invalid("One or more parameter values were invalid: StreamViewType cannot be specified when StreamEnabled is false")
    if creating:
        return
    if cur is None:
        raise invalid(f"Table already has no stream enabled: TableName: {doc['TableName']}")
    streams.disable(txn, cur, now_ms)
    doc["Stream"] = None


def disable_on_delete(txn: Txn, doc: dict[str, Any], now_ms: int) -> None:
    if doc.get("Stream"):
        streams.disable(txn, doc["Stream"], now_ms)


def describe(doc: dict[str, Any]) -> dict[str, Any]:
    """The stream members of a TableDescription."""
    out: dict[str, Any] = {}
    if doc.get("Stream"):
        out["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": doc["Stream"]["view"]}
    if doc.get("LastStream"):
        out["LatestStreamArn"] = doc["LastStream"]["arn"]
        out["LatestStreamLabel"] = doc["LastStream"]["label"]
    return out
