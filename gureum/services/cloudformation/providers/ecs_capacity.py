"""ECS capacity and external-deployment resource types, made by the ecs service's own
handlers (PascalCase properties passed as ECS's camelCase members):

- AWS::ECS::CapacityProvider (Ref: the name; no Fn::GetAtt): CreateCapacityProvider; Name,
  ClusterName and the Auto Scaling group's ARN replace it (the schema's createOnlyProperties),
  the group's scaling settings change in place (UpdateCapacityProvider) and tags through
  TagResource / UntagResource. A Managed Instances provider is refused by ECS itself
  (UnsupportedFeatureException: it needs EC2, which gureum does not serve).
- AWS::ECS::ClusterCapacityProviderAssociations (Ref: the cluster): PutClusterCapacityProviders,
  in place on update; delete puts empty lists back, as AWS's handler does.
- AWS::ECS::TaskSet (Ref: "{Cluster}|{Service}|{Id}", its primary identifier; GetAtt Id: the
  task set's id) on a service whose deployment controller is EXTERNAL: CreateTaskSet; Scale changes in place (UpdateTaskSet), tags through
  TagResource / UntagResource, everything else replaces it; delete is DeleteTaskSet with force
  (the task set drains and leaves its service).
- AWS::ECS::PrimaryTaskSet (Ref: "{Cluster}|{Service}", its primary identifier; no Fn::GetAtt):
  UpdateServicePrimaryTaskSet, in place when TaskSetId changes; delete leaves the service's
  primary task set as it is (ECS has no way to unset one).
Every delete takes an already-gone resource as done."""

from __future__ import annotations

from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.cloudformation.providers.base import (
    Done,
    ResourceContext,
    deleting,
    ignore_missing,
    provider,
    refuse_unapplied,
    updating,
)
from gureum.services.cloudformation.providers.ecr_registry import camel

S = "ecs"
CP, ASSOC = "AWS::ECS::CapacityProvider", "AWS::ECS::ClusterCapacityProviderAssociations"
TASK_SET, PRIMARY = "AWS::ECS::TaskSet", "AWS::ECS::PrimaryTaskSet"
_INTEGERS = {"targetCapacity", "minimumScalingStepSize", "maximumScalingStepSize", "instanceWarmupPeriod", "base",
             "weight", "containerPort", "port"}


def _members(value: Any) -> Any:
    """`value` in ECS's camelCase, integer members as integers (template parameters are text)."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in camel(value).items():
            v = _members(v)
            if k in _INTEGERS and isinstance(v, str) and v.lstrip("-").isdigit():
                v = int(v)
            out[k] = v
        return out
    if isinstance(value, list):
        return [_members(v) for v in value]
    return value


def _ecs_tags(ctx: ResourceContext, props: dict[str, Any]) -> list[dict[str, str]]:
    return [{"key": t["Key"], "value": t["Value"]} for t in ctx.tag_list(props)]


async def _retag(ctx: ResourceContext, arn: str, old: dict[str, Any], new: dict[str, Any]) -> None:
    before = {t["key"]: t["value"] for t in _ecs_tags(ctx, old)}
    after = {t["key"]: t["value"] for t in _ecs_tags(ctx, new)}
    gone = [k for k in before if k not in after]
    if gone:
        await ctx.call(S, "UntagResource", {"resourceArn": arn, "tagKeys": gone})
    changed = [{"key": k, "value": v} for k, v in after.items() if before.get(k) != v]
    if changed:
        await ctx.call(S, "TagResource", {"resourceArn": arn, "tags": changed})


# --- capacity providers ---------------------------------------------------------------------
_CP = ("AutoScalingGroupProvider", "ClusterName", "ManagedInstancesProvider", "Name", "Tags")


@provider(CP)
async def create_capacity_provider(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(CP, props, _CP)
    name = str(props.get("Name") or ctx.name(255, sep="-"))
    params: dict[str, Any] = {"name": name}
    if "AutoScalingGroupProvider" in props:
        params["autoScalingGroupProvider"] = _members(props["AutoScalingGroupProvider"])
    if "ManagedInstancesProvider" in props:
        params["managedInstancesProvider"] = _members(props["ManagedInstancesProvider"])
    if props.get("ClusterName"):
        params["cluster"] = props["ClusterName"]
    tags = _ecs_tags(ctx, props)
    if tags:
        params["tags"] = tags
    await ctx.call(S, "CreateCapacityProvider", params)
    return Done(name)


async def _provider_arn(ctx: ResourceContext, name: str) -> str:
    out = await ctx.call(S, "DescribeCapacityProviders", {"capacityProviders": [name]})
    return str(out["capacityProviders"][0]["capacityProviderArn"])


@updating(CP)
async def update_capacity_provider(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                   done: Done) -> Done:
    refuse_unapplied(CP, new, _CP)
    if old.get("AutoScalingGroupProvider") != new.get("AutoScalingGroupProvider") and new.get("AutoScalingGroupProvider"):
        spec = {k: v for k, v in _members(new["AutoScalingGroupProvider"]).items() if k != "autoScalingGroupArn"}
        await ctx.call(S, "UpdateCapacityProvider", {"name": physical, "autoScalingGroupProvider": spec})
    if old.get("Tags") != new.get("Tags"):
        await _retag(ctx, await _provider_arn(ctx, physical), old, new)
    return done


@deleting(CP)
async def delete_capacity_provider(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    try:
        await ctx.call(S, "DeleteCapacityProvider", {"capacityProvider": physical})
    except AwsError as e:
        if not (e.code == "ClientException" and "does not exist" in e.message):
            raise


# --- cluster associations --------------------------------------------------------------------
async def _associate(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(ASSOC, props, ("CapacityProviders", "Cluster", "DefaultCapacityProviderStrategy"))
    await ctx.call(S, "PutClusterCapacityProviders", {
        "cluster": props["Cluster"], "capacityProviders": list(props.get("CapacityProviders") or []),
        "defaultCapacityProviderStrategy": _members(props["DefaultCapacityProviderStrategy"])})
    return Done(str(props["Cluster"]))


@provider(ASSOC)
async def create_associations(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    return await _associate(ctx, props)


@updating(ASSOC)
async def update_associations(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                              done: Done) -> Done:
    return await _associate(ctx, new)


@deleting(ASSOC)
async def delete_associations(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await ignore_missing(ctx.call(S, "PutClusterCapacityProviders", {
        "cluster": physical, "capacityProviders": [], "defaultCapacityProviderStrategy": []}), "ClusterNotFound")


# --- task sets ------------------------------------------------------------------------------
_TASK_SET = ("CapacityProviderStrategy", "Cluster", "ExternalId", "LaunchType", "LoadBalancers", "NetworkConfiguration",
             "PlatformVersion", "Scale", "Service", "ServiceRegistries", "Tags", "TaskDefinition")


def _scale(props: dict[str, Any]) -> dict[str, Any]:
    scale = camel(props["Scale"])
    return {"unit": scale.get("unit") or "PERCENT", "value": float(scale.get("value", 100.0))}


@provider(TASK_SET)
async def create_task_set(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(TASK_SET, props, _TASK_SET)
    params: dict[str, Any] = {"cluster": props["Cluster"], "service": props["Service"],
                              "taskDefinition": props["TaskDefinition"]}
    for k in ("CapacityProviderStrategy", "ExternalId", "LaunchType", "LoadBalancers", "NetworkConfiguration",
              "PlatformVersion", "ServiceRegistries"):
        if k in props:
            params[k[:1].lower() + k[1:]] = _members(props[k])
    if "Scale" in props:
        params["scale"] = _scale(props)
    tags = _ecs_tags(ctx, props)
    if tags:
        params["tags"] = tags
    ts = (await ctx.call(S, "CreateTaskSet", params))["taskSet"]
    return Done(f"{props['Cluster']}|{props['Service']}|{ts['id']}", {"Id": str(ts["id"])})


@updating(TASK_SET)
async def update_task_set(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    refuse_unapplied(TASK_SET, new, _TASK_SET)
    where = {"cluster": new["Cluster"], "service": new["Service"]}
    if old.get("Scale") != new.get("Scale"):
        scale = _scale(new) if "Scale" in new else {"unit": "PERCENT", "value": 100.0}
        await ctx.call(S, "UpdateTaskSet", {**where, "taskSet": done.attrs["Id"], "scale": scale})
    if old.get("Tags") != new.get("Tags"):
        found = (await ctx.call(S, "DescribeTaskSets", {**where, "taskSets": [done.attrs["Id"]]}))["taskSets"]
        await _retag(ctx, str(found[0]["taskSetArn"]), old, new)
    return done


@deleting(TASK_SET)
async def delete_task_set(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await ignore_missing(ctx.call(S, "DeleteTaskSet", {"cluster": props["Cluster"], "service": props["Service"],
                                                      "taskSet": physical.rsplit("|", 1)[-1], "force": True}),
                         "TaskSetNotFound", "ServiceNotFound", "ClusterNotFound")


# --- primary task sets ------------------------------------------------------------------------
async def _make_primary(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(PRIMARY, props, ("Cluster", "Service", "TaskSetId"))
    await ctx.call(S, "UpdateServicePrimaryTaskSet", {"cluster": props["Cluster"], "service": props["Service"],
                                                      "primaryTaskSet": props["TaskSetId"]})
    return Done(f"{props['Cluster']}|{props['Service']}")


@provider(PRIMARY)
async def create_primary_task_set(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    return await _make_primary(ctx, props)


@updating(PRIMARY)
async def update_primary_task_set(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                  done: Done) -> Done:
    return await _make_primary(ctx, new)


@deleting(PRIMARY)
async def delete_primary_task_set(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    return None  # ECS cannot unset a service's primary task set; the task set's own delete removes it
