"""Aliases: named pointers at a function version, optionally splitting traffic with one
more version (RoutingConfig.AdditionalVersionWeights, a weight in [0, 1]).

Table lambda.aliases, key "<fn>/<alias name>" -> the alias as the API shows it (AliasArn,
Name, FunctionVersion, Description, RevisionId, RoutingConfig?). Invariants: an alias
points at $LATEST or a published version that exists, its extra version is a different
published version; every change gives it a new RevisionId; deleting it deletes its event
invoke config. Every write publishes one change event (model.changed).
"""

from __future__ import annotations

from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.lambda_ import model, versions
from gureum.store import Txn

UPDATABLE = ("FunctionVersion", "Description", "RoutingConfig")


def alias_key(key: str, name: str) -> str:
    return f"{key}/{name}"


def check_versions(txn: Txn, key: str, arn: str, version: str, routing: dict[str, Any] | None) -> None:
    """The alias's version and its routing config's extra version must exist, differ, and
    the alias may not route from $LATEST (AWS's messages)."""
    if not versions.exists(txn, key, version):
        raise AwsError.modeled("lambda", "ResourceNotFoundException", f"Function not found: {arn}:{version}", Type="User")
    weights = (routing or {}).get("AdditionalVersionWeights") or {}
    if len(weights) > 1:
        raise AwsError.modeled("lambda", "InvalidParameterValueException", "Number of items in AdditionalVersionWeights cannot be greater than 1", Type="User")
    for extra, weight in weights.items():
        if extra == version:
            raise AwsError.modeled("lambda", "InvalidParameterValueException",
                                   f"Invalid function version {extra}. Function version {extra} is already included in routing configuration.",
                                   Type="User")
        if not versions.exists(txn, key, extra) or extra == "$LATEST":
            raise AwsError.modeled("lambda", "ResourceNotFoundException", f"Function not found: {arn}:{extra}", Type="User")
        if not 0.0 <= float(weight) <= 1.0:
            raise AwsError.modeled("lambda", "InvalidParameterValueException", "Weight must be between 0.0 and 1.0", Type="User")
    if weights and version == "$LATEST":
        raise AwsError.modeled("lambda", "InvalidParameterValueException", "$LATEST is not supported for an alias pointing to more than 1 version")


def create(txn: Txn, key: str, arn: str, alias: dict[str, Any]) -> dict[str, Any]:
    """CreateAlias (`alias` the new alias document, `arn` the function's). A missing function
    is named with the version the alias was to point at, as AWS names it."""
    model.get_function(txn, key, f"{arn}:{alias['FunctionVersion']}")
    check_versions(txn, key, arn, alias["FunctionVersion"], alias.get("RoutingConfig"))
    if not txn.insert(model.ALIASES, alias_key(key, alias["Name"]), alias):
        raise AwsError.modeled("lambda", "ResourceConflictException", f"Alias already exists: {alias['AliasArn']}", Type="User")
    model.changed(txn, key, "alias")
    return alias


def get(txn: Txn, key: str, name: str, alias_arn: str) -> dict[str, Any]:
    alias = txn.get(model.ALIASES, alias_key(key, name))
    if alias is None:
        raise AwsError.modeled("lambda", "ResourceNotFoundException", f"Cannot find alias arn: {alias_arn}", Type="User")
    return alias


def list_aliases(txn: Txn, key: str, arn: str, params: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    """ListAliases: one page of the function's aliases (those pointing at FunctionVersion if
    given), read with a range scan, and the next Marker."""
    model.get_function(txn, key, arn)
    version = params.get("FunctionVersion")
    return model.page_rows(txn, model.ALIASES, key + "/", params, keep=lambda a: not version or a["FunctionVersion"] == version,
                           filters={"FunctionVersion": version})


def update(txn: Txn, key: str, arn: str, name: str, alias_arn: str, revision_id: str | None,
           changes: dict[str, Any]) -> dict[str, Any]:
    """UpdateAlias (`changes`: the members of UPDATABLE the caller sent)."""
    alias = get(txn, key, name, alias_arn)
    model.check_revision(alias["RevisionId"], revision_id)
    for field in UPDATABLE:
        if changes.get(field) is not None:
            alias[field] = changes[field]
    check_versions(txn, key, arn, alias["FunctionVersion"], alias.get("RoutingConfig"))
    alias["RevisionId"] = model.new_revision()
    txn.put(model.ALIASES, alias_key(key, name), alias)
    model.changed(txn, key, "alias")
    return alias


def delete(txn: Txn, key: str, name: str) -> None:
    """DeleteAlias (succeeds whether or not the alias exists); its event invoke config,
    resource policy and provisioned concurrency go with it."""
    txn.delete(model.ALIASES, alias_key(key, name))
    txn.delete(model.EIC, alias_key(key, name))
    doc = txn.get(model.FUNCTIONS, key)
    if doc is not None:
        dropped = (doc.get("policies") or {}).pop(name, None) is not None
        dropped = (doc.get("provisioned") or {}).pop(name, None) is not None or dropped
        if dropped:
            txn.put(model.FUNCTIONS, key, doc)
    model.changed(txn, key, "alias")
