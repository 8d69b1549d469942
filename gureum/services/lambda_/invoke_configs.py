"""Event invoke configs: how asynchronous invocations of a function (or of one version or
alias) are retried and where their results go (DestinationConfig).

Table lambda.eic, key "<fn>/<qualifier or $LATEST>" -> {FunctionArn (qualified),
MaximumRetryAttempts?, MaximumEventAgeInSeconds?, DestinationConfig, LastModified (epoch
seconds)}. Invariants: a config exists only for an existing function; destinations are
Lambda, SQS, SNS, EventBridge or S3 ARNs. Every write publishes one change event
(model.changed). The async event queue (async_queue.py) reads these rows as it delivers.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.services.lambda_ import model
from gureum.store import Txn

FIELDS = ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig")


def check_destinations(dest: dict[str, Any] | None) -> None:
    """Destinations must be Lambda, SQS, SNS, EventBridge or S3 ARNs (AWS names the whole
    config it refuses)."""
    targets = {kind: ((dest or {}).get(kind) or {}).get("Destination") for kind in ("OnSuccess", "OnFailure")}
    if any(t and arns.service_of(t) not in ("lambda", "sqs", "sns", "events", "s3") for t in targets.values()):
        shown = {kind: f"{kind}(destination={t})" if t else "null" for kind, t in targets.items()}
        raise AwsError.modeled("lambda", "InvalidParameterValueException",
                               f"The provided destination config DestinationConfig(onSuccess={shown['OnSuccess']}, "
                               f"onFailure={shown['OnFailure']}) is invalid.", Type="User")


def _check_function_destinations(txn: Txn, key: str, dest: dict[str, Any] | None) -> None:
    """A function destination must exist and be another function."""
    account, region, name = key.split("/", 2)
    for kind in ("OnSuccess", "OnFailure"):
        target = ((dest or {}).get(kind) or {}).get("Destination")
        if not target or arns.service_of(target) != "lambda":
            continue
        ref = arns.lambda_function_ref(target)
        if ref is not None and ref.name == name and (ref.account or account) == account and (ref.region or region) == region:
            raise AwsError.modeled("lambda", "InvalidParameterValueException", "You can't specify the function as a destination for itself.",
                                   Type="User")
        if ref is None or txn.get(model.FUNCTIONS, model.fn_key(ref.account or account, ref.region or region, ref.name)) is None:
            raise AwsError.modeled("lambda", "InvalidParameterValueException", f"The destination ARN {target} is invalid.", Type="User")


def _not_found(arn: str) -> AwsError:
    """AWS's answer for a function, version or alias without a config (`arn` qualified, by
    $LATEST when the request named none) or with no such function."""
    return AwsError.modeled("lambda", "ResourceNotFoundException", f"The function {arn} doesn't have an EventInvokeConfig", Type="User")


def _no_function() -> AwsError:
    return AwsError.modeled("lambda", "ResourceNotFoundException", "The function doesn't exist.", Type="User")


def put(txn: Txn, key: str, slot: str, arn: str, fields: Mapping[str, Any], merge: bool) -> dict[str, Any]:
    """PutFunctionEventInvokeConfig (merge False: replace) or UpdateFunctionEventInvokeConfig
    (merge True: change the members given, the config must exist); `fields` holds FIELDS.
    The function and the qualifier (slot "<fn>/<qualifier>") must exist."""
    if all(fields.get(f) is None for f in FIELDS):
        raise AwsError.modeled("lambda", "InvalidParameterValueException", "You must specify at least one of error handling or destination setting.", Type="User")
    if txn.get(model.FUNCTIONS, key) is None or not _qualifier_exists(txn, key, slot.rsplit("/", 1)[1]):
        raise _no_function()
    current = txn.get(model.EIC, slot) if merge else None
    if merge and current is None:
        raise _not_found(arn)
    _check_function_destinations(txn, key, fields.get("DestinationConfig"))
    doc = dict(current or {"FunctionArn": arn})
    for field in FIELDS:
        if fields.get(field) is not None:
            doc[field] = fields[field]
        elif not merge:
            doc.pop(field, None)
    doc.setdefault("DestinationConfig", {"OnSuccess": {}, "OnFailure": {}})
    doc["LastModified"] = time.time()
    txn.put(model.EIC, slot, doc)
    model.changed(txn, key, "invoke-config")
    return doc


def _qualifier_exists(txn: Txn, key: str, qualifier: str) -> bool:
    if qualifier == "$LATEST":
        return True
    if qualifier.isdigit():
        return txn.get(model.VERSIONS, model.version_key(key, qualifier)) is not None
    return txn.get(model.ALIASES, f"{key}/{qualifier}") is not None


def get(txn: Txn, slot: str, arn: str) -> dict[str, Any]:
    doc = txn.get(model.EIC, slot)
    if doc is None:
        raise _not_found(arn)
    return doc


def delete(txn: Txn, key: str, slot: str, arn: str) -> None:
    if not txn.delete(model.EIC, slot):
        raise _not_found(arn)
    model.changed(txn, key, "invoke-config")


def list_configs(txn: Txn, key: str, arn: str, params: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    """ListFunctionEventInvokeConfigs: one page of the function's configs and the next Marker."""
    if txn.get(model.FUNCTIONS, key) is None:
        raise _no_function()
    return model.page_rows(txn, model.EIC, key + "/", params)
