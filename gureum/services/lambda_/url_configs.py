"""Function URL configs: the dedicated HTTPS endpoint of a function's $LATEST or of one of
its aliases (never a version).

Tables: lambda.urls "<fn>/<alias or $LATEST>" -> {id, account, region, key, qualifier,
FunctionArn, AuthType, InvokeMode, Cors?, CreationTime, LastModifiedTime};
lambda.url_ids "<url id>" -> {"slot": that row's key}. Invariants: at most one URL per slot;
every URL id in lambda.url_ids points at an existing row and back. Every write publishes
one change event (model.changed) carrying the URL id, so the URL listener (urls.py) drops
what it cached of that URL at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.lambda_ import model
from gureum.store import Txn

UPDATABLE = ("AuthType", "Cors", "InvokeMode")


def _not_found() -> AwsError:
    return AwsError.modeled("lambda", "ResourceNotFoundException", "The resource you requested does not exist.", Type="User")


def _no_function() -> AwsError:
    """AWS's answer when creating or listing URL configs of a missing function or alias."""
    return AwsError.modeled("lambda", "ResourceNotFoundException", "Function does not exist", Type="User")


def create(txn: Txn, slot: str, arn: str, doc: dict[str, Any]) -> None:
    """CreateFunctionUrlConfig (`doc` the new config; `arn` as the caller named the function)."""
    key, qualifier = doc["key"], doc["qualifier"]
    if txn.get(model.FUNCTIONS, key) is None or (qualifier and txn.get(model.ALIASES, f"{key}/{qualifier}") is None):
        raise _no_function()
    if not txn.insert(model.URLS, slot, doc):
        raise AwsError.modeled("lambda", "ResourceConflictException", f"Failed to create function url config for [functionArn = {arn}]. Error message:  FunctionUrlConfig exists for this Lambda function", Type="User")
    txn.put(model.URL_IDS, doc["id"], {"slot": slot})
    model.changed(txn, key, "url", [doc["id"]])


def get(txn: Txn, slot: str) -> dict[str, Any]:
    doc = txn.get(model.URLS, slot)
    if doc is None:
        raise _not_found()
    return doc


def update(txn: Txn, slot: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    """UpdateFunctionUrlConfig (`changes`: the members of UPDATABLE the caller sent)."""
    doc = get(txn, slot)
    for field in UPDATABLE:
        if changes.get(field) is not None:
            doc[field] = changes[field]
    doc["LastModifiedTime"] = model.now_text()
    txn.put(model.URLS, slot, doc)
    model.changed(txn, doc["key"], "url", [doc["id"]])
    return doc


def delete(txn: Txn, slot: str) -> None:
    doc = get(txn, slot)
    txn.delete(model.URLS, slot)
    txn.delete(model.URL_IDS, doc["id"])
    model.changed(txn, doc["key"], "url", [doc["id"]])


def list_configs(txn: Txn, key: str, arn: str, params: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    """ListFunctionUrlConfigs: one page of the function's URL configs and the next Marker."""
    if txn.get(model.FUNCTIONS, key) is None:
        raise _no_function()
    return model.page_rows(txn, model.URLS, key + "/", params)


def lookup(txn: Txn, url_id: str) -> dict[str, Any] | None:
    """The config of the URL with this id, or None (the URL listener's read)."""
    ref = txn.get(model.URL_IDS, url_id)
    return None if ref is None else txn.get(model.URLS, ref["slot"])
