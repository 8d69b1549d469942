"""Log transformers: one per log group (PutTransformer, GetTransformer, DeleteTransformer),
applied at ingestion (model.put_events calls `transform_event`), and TestTransformer.

Store table: logs.transformers "<acct>/<region>/<group>" -> {logGroupIdentifier,
creationTime, lastModifiedTime, transformerConfig}. An event a transformer transforms is
stored with its transformed JSON document as "x" beside its original message "m" (GetLogEvents
and FilterLogEvents show the original; Logs Insights reads its fields from the transformed
version, as AWS documents). The transformer goes with its log group.
"""

from __future__ import annotations

import time
from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.logs import group_extras, transform
from gureum.store import Txn

TABLE = group_extras.TRANSFORMERS


def _key(account: str, region: str, group: str) -> str:
    return f"{account}/{region}/{group}"


def _invalid(message: str) -> AwsError:
    return AwsError.modeled("logs", "InvalidParameterException", message)


def check(config: list[dict[str, Any]]) -> None:
    try:
        transform.check(config)
    except transform.TransformError as e:
        raise _invalid(str(e)) from None


def put(txn: Txn, account: str, region: str, group: str, group_doc: dict[str, Any], identifier: str,
        config: list[dict[str, Any]]) -> None:
    if group_doc.get("logGroupClass", "STANDARD") != "STANDARD":
        raise AwsError.modeled("logs", "InvalidOperationException",
                               "Transformers can be created only for log groups in the Standard log class.")
    check(config)
    k = _key(account, region, group)
    now = int(time.time() * 1000)
    old = txn.get(TABLE, k)
    txn.put(TABLE, k, {"logGroupIdentifier": identifier, "creationTime": (old or {}).get("creationTime", now),
                       "lastModifiedTime": now, "transformerConfig": config})


def get(txn: Txn, account: str, region: str, group: str) -> dict[str, Any]:
    doc = txn.get(TABLE, _key(account, region, group))
    if doc is None:
        raise AwsError.modeled("logs", "ResourceNotFoundException", "The specified log group has no transformer.")
    return doc


def delete(txn: Txn, account: str, region: str, group: str) -> None:
    if not txn.delete(TABLE, _key(account, region, group)):
        raise AwsError.modeled("logs", "ResourceNotFoundException", "The specified log group has no transformer.")


def config_of(txn: Txn, account: str, region: str, group: str) -> list[dict[str, Any]] | None:
    doc = txn.get(TABLE, _key(account, region, group))
    return doc["transformerConfig"] if doc else None


def transform_event(config: list[dict[str, Any]], message: str, account: str, region: str, group: str,
                    stream: str) -> str | None:
    meta = {"@logGroupName": group, "@logGroupStream": stream, "@accountId": account, "@regionName": region}
    try:
        return transform.run(config, message, meta)
    except (transform.TransformError, KeyError, TypeError, ValueError, RecursionError):
        return None


def test(config: list[dict[str, Any]], messages: list[str]) -> list[dict[str, Any]]:
    check(config)
    out = []
    for i, m in enumerate(messages, 1):
        x = transform_event(config, m, "", "", "", "")
        out.append({"eventNumber": i, "eventMessage": m, "transformedEventMessage": x if x is not None else m})
    return out
