"""ECS capacity providers (CreateCapacityProvider, DescribeCapacityProviders,
UpdateCapacityProvider, DeleteCapacityProvider) as AWS keeps them.

FARGATE and FARGATE_SPOT are built in: every account has them, ACTIVE, never stored, never
updated or deleted. A user's provider is Auto Scaling group backed (`autoScalingGroupProvider`,
stored with AWS's defaults filled in); its tasks run on the EC2 launch type, on the cluster's
container instances.

Table:
  ecs.capacity_providers  "<acct>:<region>:<name>" -> the provider, output-shaped
Invariants: a name is 1..255 of [A-Za-z0-9_-] and does not start with aws, ecs or fargate
(any case); a deleted provider stays describable by name as INACTIVE; which clusters use a
provider is read from the clusters (model.py), so no second copy can disagree.
"""

from __future__ import annotations

import re
from typing import Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.store import Txn

PROVIDERS = "ecs.capacity_providers"
BUILTIN = ("FARGATE", "FARGATE_SPOT")
_NAME = re.compile(r"[A-Za-z0-9_-]{1,255}")
_SCALING_DEFAULTS = {"status": "ENABLED", "targetCapacity": 100, "minimumScalingStepSize": 1,
                     "maximumScalingStepSize": 10000, "instanceWarmupPeriod": 300}


def _invalid(message: str) -> AwsError:
    return AwsError.modeled("ecs", "InvalidParameterException", message)


def _client(message: str) -> AwsError:
    return AwsError.modeled("ecs", "ClientException", message)


def provider_arn(account: str, region: str, name: str) -> str:
    return arns.build("ecs", region, account, f"capacity-provider/{name}")


def name_of(ref: str) -> str:
    """A provider name from a name or ARN."""
    if arns.looks_like_arn(ref):
        parsed = arns.try_parse(ref)
        if parsed is None or not parsed.resource.startswith("capacity-provider/"):
            raise _invalid("The specified capacity provider ARN is not valid.")
        return parsed.resource.partition("/")[2]
    return ref


def _key(account: str, region: str, name: str) -> str:
    return f"{account}:{region}:{name}"


def row_key(account: str, region: str, name: str) -> str:
    """The provider's row in PROVIDERS (TagResource writes its tags there)."""
    return _key(account, region, name)


def _builtin(account: str, region: str, name: str) -> dict[str, Any]:
    return {"capacityProviderArn": provider_arn(account, region, name), "name": name, "status": "ACTIVE", "tags": []}


def get(txn: Txn, account: str, region: str, ref: str) -> dict[str, Any] | None:
    """The provider (built in or stored, any status) named by `ref`, or None."""
    name = name_of(ref)
    if name in BUILTIN:
        return _builtin(account, region, name)
    return txn.get(PROVIDERS, _key(account, region, name))


def active(txn: Txn, account: str, region: str, ref: str) -> dict[str, Any] | None:
    doc = get(txn, account, region, ref)
    return doc if doc is not None and doc["status"] == "ACTIVE" else None


def is_fargate(name: str) -> bool:
    return name in BUILTIN


def _asg(spec: dict[str, Any], current: dict[str, Any] | None = None) -> dict[str, Any]:
    out = dict(current or {})
    scaling = {**(out.get("managedScaling") or _SCALING_DEFAULTS), **(spec.get("managedScaling") or {})}
    if not 1 <= scaling["targetCapacity"] <= 100:
        raise _invalid("The managed scaling target capacity must be between 1 and 100.")
    if not 1 <= scaling["minimumScalingStepSize"] <= scaling["maximumScalingStepSize"] <= 10000:
        raise _invalid("The managed scaling step sizes must be between 1 and 10000, the minimum no larger than the maximum.")
    if scaling["status"] not in ("ENABLED", "DISABLED"):
        raise _invalid("The managed scaling status must be ENABLED or DISABLED.")
    out["managedScaling"] = scaling
    out["managedTerminationProtection"] = spec.get("managedTerminationProtection") or out.get("managedTerminationProtection") or "DISABLED"
    out["managedDraining"] = spec.get("managedDraining") or out.get("managedDraining") or "ENABLED"
    if out["managedTerminationProtection"] == "ENABLED" and scaling["status"] != "ENABLED":
        raise _invalid("The managed termination protection setting for the capacity provider is invalid. "
                       "To enable managed termination protection for a capacity provider, the Auto Scaling group "
                       "must have instance protection from scale in enabled and managed scaling must be enabled.")
    return out


def create(txn: Txn, account: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
    name = params["name"]
    if not _NAME.fullmatch(name):
        raise _invalid("The capacity provider name can be up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens.")
    if name.lower().startswith(("aws", "ecs", "fargate")):
        raise _invalid("The capacity provider name cannot be prefixed with 'aws', 'ecs', or 'fargate'.")
    if params.get("managedInstancesProvider"):
        raise AwsError.modeled("ecs", "UnsupportedFeatureException", "Amazon ECS Managed Instances capacity providers are not supported in this Region.")
    spec = params.get("autoScalingGroupProvider")
    if not spec:
        raise _invalid("An Auto Scaling group provider must be specified.")
    asg = arns.try_parse(spec.get("autoScalingGroupArn") or "")
    if asg is None or asg.service != "autoscaling":
        raise _invalid("The specified Auto Scaling group ARN is not valid. Specify a valid Auto Scaling group ARN and try again.")
    key = _key(account, region, name)
    old = txn.get(PROVIDERS, key)
    if old is not None and old["status"] == "ACTIVE":
        raise _client("The specified capacity provider already exists. To change the configuration of an existing capacity provider, update the capacity provider.")
    for _, other in txn.scan(PROVIDERS, _key(account, region, "")):
        if other["status"] == "ACTIVE" and other["autoScalingGroupProvider"]["autoScalingGroupArn"] == spec["autoScalingGroupArn"]:
            raise _client("The specified Auto Scaling group is already in use by another capacity provider.")
    doc = {
        "capacityProviderArn": provider_arn(account, region, name),
        "name": name,
        "status": "ACTIVE",
        "autoScalingGroupProvider": {"autoScalingGroupArn": spec["autoScalingGroupArn"], **_asg(spec)},
        "tags": params.get("tags") or [],
    }
    txn.put(PROVIDERS, key, doc)
    return doc


def _own(txn: Txn, account: str, region: str, ref: str, verb: str) -> tuple[str, dict[str, Any]]:
    name = name_of(ref)
    if name in BUILTIN:
        raise _invalid(f"The specified capacity provider is reserved and cannot be {verb}.")
    key = _key(account, region, name)
    doc = txn.get(PROVIDERS, key)
    if doc is None or doc["status"] != "ACTIVE":
        raise _client("The specified capacity provider does not exist. Specify a valid name or ARN and try again.")
    return key, doc


def update(txn: Txn, account: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
    key, doc = _own(txn, account, region, params["name"], "updated")
    spec = params.get("autoScalingGroupProvider")
    if not spec:
        raise _invalid("An Auto Scaling group provider must be specified.")
    doc["autoScalingGroupProvider"] = _asg(spec, doc["autoScalingGroupProvider"])
    doc["updateStatus"] = "UPDATE_COMPLETE"
    txn.put(PROVIDERS, key, doc)
    return doc


def delete(txn: Txn, account: str, region: str, ref: str, clusters_using: list[str]) -> dict[str, Any]:
    """Mark the provider INACTIVE; refused while a cluster (`clusters_using`) has it."""
    key, doc = _own(txn, account, region, ref, "deleted")
    if clusters_using:
        raise _client(f"The specified capacity provider is in use by cluster {clusters_using[0]}. "
                      "Remove the capacity provider from the cluster and try again.")
    doc["status"] = "INACTIVE"
    doc["updateStatus"] = "DELETE_COMPLETE"
    txn.put(PROVIDERS, key, doc)
    return doc


def listing(txn: Txn, account: str, region: str) -> list[dict[str, Any]]:
    """Every ACTIVE provider of the account and region: the built-in ones first."""
    stored = [d for _, d in txn.scan(PROVIDERS, _key(account, region, "")) if d["status"] == "ACTIVE"]
    return [_builtin(account, region, n) for n in BUILTIN] + stored


def view(doc: dict[str, Any], include_tags: bool) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if include_tags or k != "tags"}
