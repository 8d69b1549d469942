"""ECR managed signing (PutSigningConfiguration...) and DescribeImageSigningStatus.

The registry's signing configuration lives in the registry settings document (`ecr.meta`
"registry|<scope>", key `signingConfiguration`): up to 10 rules, each an AWS Signer signing
profile and optional repository filters (WILDCARD_MATCH, `*` for any run of characters; a rule
without filters covers every repository).

Signing itself is done by AWS Signer, which gureum does not serve: an image whose repository a
rule covers reports, per signing profile, status FAILED with the reason, as AWS reports a
signing that could not happen; an image no rule covers has no signing statuses.
"""

from __future__ import annotations

from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.ecr import model
from gureum.store.base import Txn

KEY = "signingConfiguration"
FAILURE_CODE = "SigningProfileUnavailable"
FAILURE_REASON = "AWS Signer is not served by this cloud: the image could not be signed"


def _meta(txn: Txn, scope: str) -> dict[str, Any]:
    return model.registry_settings(txn, scope)


def put(txn: Txn, scope: str, config: dict[str, Any]) -> dict[str, Any]:
    for rule in config.get("rules") or []:
        for f in rule.get("repositoryFilters") or []:
            if f.get("filterType") != "WILDCARD_MATCH":
                raise AwsError.modeled("ecr", "InvalidParameterException", "filterType must be WILDCARD_MATCH")
    model.put_registry_settings(txn, scope, **{KEY: config})
    return config


def _missing(account: str) -> AwsError:
    return AwsError.modeled("ecr", "SigningConfigurationNotFoundException",
                            f"Signing configuration does not exist in the registry with id '{account}'")


def get(txn: Txn, scope: str, account: str) -> dict[str, Any]:
    config = _meta(txn, scope).get(KEY)
    if not config:
        raise _missing(account)
    return dict(config)


def delete(txn: Txn, scope: str, account: str) -> dict[str, Any]:
    config = get(txn, scope, account)
    model.put_registry_settings(txn, scope, **{KEY: None})
    return config


def statuses(txn: Txn, scope: str, name: str) -> list[dict[str, Any]]:
    """One status per signing profile whose rule covers repository `name`."""
    config = _meta(txn, scope).get(KEY) or {}
    out: list[dict[str, Any]] = []
    for rule in config.get("rules") or []:
        filters = rule.get("repositoryFilters") or []
        if filters and not any(model.wildcard_match(f["filter"], name) for f in filters):
            continue
        if any(s["signingProfileArn"] == rule["signingProfileArn"] for s in out):
            continue
        out.append({"signingProfileArn": rule["signingProfileArn"], "status": "FAILED",
                    "failureCode": FAILURE_CODE, "failureReason": FAILURE_REASON})
    return out
