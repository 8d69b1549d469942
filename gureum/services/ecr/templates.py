"""Repository creation templates: the settings ECR gives a repository it creates itself
(create-on-push, pull through cache, replication), per AWS's CreateRepositoryCreationTemplate.

Table `ecr.templates`: "<account>|<region>|<prefix>" -> the template document (the API's
RepositoryCreationTemplate members plus `createdAt`/`updatedAt` as epoch seconds).

Invariants and rules (AWS's):
- A prefix `p` applies to repositories named `p/...`; `ROOT` applies to every repository no
  other template covers. The longest matching prefix wins, and a template applies only to the
  ways of creation named in its `appliedFor`.
- At most 50 templates per registry (AWS's quota: LimitExceededException).
- Writes publish "ecr.template" {"scope", "prefix", "event"}.
"""

from __future__ import annotations

import json
from typing import Any

from gureum.aws.errors import AwsError
from gureum.store.base import Txn

TEMPLATES = "ecr.templates"
TOPIC = "ecr.template"
MAX_TEMPLATES = 50
ROOT = "ROOT"
FIELDS = ("description", "encryptionConfiguration", "resourceTags", "imageTagMutability",
          "imageTagMutabilityExclusionFilters", "repositoryPolicy", "lifecyclePolicy", "appliedFor", "customRoleArn")


def _key(scope: str, prefix: str) -> str:
    return scope + prefix


def _not_found(prefix: str, account: str) -> AwsError:
    return AwsError.modeled("ecr", "TemplateNotFoundException",
                            f"The specified repository creation template with prefix '{prefix}' does not exist "
                            f"in the registry with id '{account}'")


def _check(params: dict[str, Any]) -> None:
    """AWS's checks on a template's contents: JSON documents, mutability filters, KMS keys."""
    mode = params.get("imageTagMutability") or "MUTABLE"
    filters = params.get("imageTagMutabilityExclusionFilters")
    if mode.endswith("_WITH_EXCLUSION") and not filters:
        raise AwsError.modeled("ecr", "InvalidParameterException", f"imageTagMutabilityExclusionFilters are required with {mode}")
    if filters and not mode.endswith("_WITH_EXCLUSION"):
        raise AwsError.modeled("ecr", "InvalidParameterException", f"imageTagMutabilityExclusionFilters are not allowed with {mode}")
    enc = params.get("encryptionConfiguration")
    if enc and enc.get("encryptionType") == "AES256" and enc.get("kmsKey"):
        raise AwsError.modeled("ecr", "InvalidParameterException", "kmsKey is only allowed with encryptionType KMS")
    for member, what in (("repositoryPolicy", "repository policy"), ("lifecyclePolicy", "lifecycle policy")):
        text = params.get(member)
        if text:
            try:
                doc = json.loads(text)
            except ValueError:
                doc = None
            if not isinstance(doc, dict):
                raise AwsError.modeled("ecr", "InvalidParameterException",
                                       f"Invalid parameter at '{member}' failed to satisfy constraint: 'Invalid {what} provided'")
    if params.get("appliedFor") is not None and not params["appliedFor"]:
        raise AwsError.modeled("ecr", "InvalidParameterException", "appliedFor must name at least one of REPLICATION, "
                               "PULL_THROUGH_CACHE, CREATE_ON_PUSH")


def create(txn: Txn, scope: str, account: str, params: dict[str, Any], now: float) -> dict[str, Any]:
    _check(params)
    prefix = params["prefix"]
    if txn.get(TEMPLATES, _key(scope, prefix)) is not None:
        raise AwsError.modeled("ecr", "TemplateAlreadyExistsException",
                               f"The repository creation template with prefix '{prefix}' already exists in the registry "
                               f"with id '{account}'")
    if txn.count(TEMPLATES, scope) >= MAX_TEMPLATES:
        raise AwsError.modeled("ecr", "LimitExceededException",
                               f"The maximum number of repository creation templates ({MAX_TEMPLATES}) has been reached")
    doc: dict[str, Any] = {"prefix": prefix, "imageTagMutability": "MUTABLE",
                           "encryptionConfiguration": {"encryptionType": "AES256"}, "resourceTags": []}
    doc.update({k: params[k] for k in FIELDS if params.get(k) is not None})
    doc["appliedFor"] = sorted(set(doc["appliedFor"]))
    doc["createdAt"] = doc["updatedAt"] = now
    txn.put(TEMPLATES, _key(scope, prefix), doc)
    txn.publish(TOPIC, {"scope": scope, "prefix": prefix, "event": "created"})
    return doc


def update(txn: Txn, scope: str, account: str, params: dict[str, Any], now: float) -> dict[str, Any]:
    prefix = params["prefix"]
    doc = txn.get(TEMPLATES, _key(scope, prefix))
    if doc is None:
        raise _not_found(prefix, account)
    merged = dict(doc)
    merged.update({k: params[k] for k in FIELDS if params.get(k) is not None})
    if params.get("imageTagMutability") and not params["imageTagMutability"].endswith("_WITH_EXCLUSION"):
        merged.pop("imageTagMutabilityExclusionFilters", None)
    _check(merged)
    merged["appliedFor"] = sorted(set(merged["appliedFor"]))
    merged["updatedAt"] = now
    txn.put(TEMPLATES, _key(scope, prefix), merged)
    txn.publish(TOPIC, {"scope": scope, "prefix": prefix, "event": "updated"})
    return merged


def delete(txn: Txn, scope: str, account: str, prefix: str) -> dict[str, Any]:
    doc = txn.get(TEMPLATES, _key(scope, prefix))
    if doc is None:
        raise _not_found(prefix, account)
    txn.delete(TEMPLATES, _key(scope, prefix))
    txn.publish(TOPIC, {"scope": scope, "prefix": prefix, "event": "deleted"})
    return doc


def listing(txn: Txn, scope: str, prefixes: list[str] | None) -> list[dict[str, Any]]:
    """Every template of the registry (only those named when `prefixes` is given), by prefix."""
    docs = [doc for _, doc in txn.scan(TEMPLATES, prefix=scope)]
    if prefixes:
        docs = [d for d in docs if d["prefix"] in set(prefixes)]
    return sorted(docs, key=lambda d: d["prefix"])


def covers(prefix: str, name: str) -> bool:
    return prefix == ROOT or name.startswith(prefix.rstrip("/") + "/")


def matching(txn: Txn, scope: str, name: str, applied_for: str) -> dict[str, Any] | None:
    """The template a repository `name` created by `applied_for` takes, or None."""
    best: dict[str, Any] | None = None
    for _, doc in txn.scan(TEMPLATES, prefix=scope):
        if applied_for not in doc.get("appliedFor", []) or not covers(doc["prefix"], name):
            continue
        if best is None or best["prefix"] == ROOT or (doc["prefix"] != ROOT and len(doc["prefix"]) > len(best["prefix"])):
            best = doc
    return best


def repo_settings(template: dict[str, Any]) -> dict[str, Any]:
    """The create_repo settings a template gives (model.new_repo's keywords)."""
    return {
        "imageTagMutability": template.get("imageTagMutability"),
        "imageTagMutabilityExclusionFilters": template.get("imageTagMutabilityExclusionFilters"),
        "encryptionConfiguration": template.get("encryptionConfiguration"),
        "tags": [{"Key": t["Key"], "Value": t.get("Value", "")} for t in template.get("resourceTags") or []],
        "policyText": template.get("repositoryPolicy") or None,
        "lifecyclePolicyText": template.get("lifecyclePolicy") or None,
        "createdFromTemplate": template["prefix"],
    }
