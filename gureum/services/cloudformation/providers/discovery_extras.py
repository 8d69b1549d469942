"""AWS::ServiceDiscovery::Instance, made by the servicediscovery service's own handlers
(RegisterInstance / DeregisterInstance, each an asynchronous Cloud Map operation waited for
until it succeeds). Ref: the instance id (the template's InstanceId, else a generated name);
AWS documents no Fn::GetAtt attribute. InstanceId and ServiceId replace the instance (the
engine decides from cfn-lint's createOnlyProperties); InstanceAttributes change in place, by
registering the same instance id again, which Cloud Map treats as an update."""

from __future__ import annotations

import uuid
from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.cloudformation.providers.base import (
    Done,
    ResourceContext,
    deleting,
    provider,
    refuse_unapplied,
    updating,
)
from gureum.services.cloudformation.providers.network import wait_operation

T = "AWS::ServiceDiscovery::Instance"


def _attributes(props: dict[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in dict(props.get("InstanceAttributes") or {}).items()}


async def _register(ctx: ResourceContext, service_id: str, instance_id: str, props: dict[str, Any]) -> None:
    out = await ctx.call("servicediscovery", "RegisterInstance", {
        "ServiceId": service_id, "InstanceId": instance_id, "Attributes": _attributes(props),
        "CreatorRequestId": str(uuid.uuid4())})
    await wait_operation(ctx, out["OperationId"])


@provider(T)
async def create_instance(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(T, props, ("InstanceAttributes", "InstanceId", "ServiceId"))
    instance_id = str(props.get("InstanceId") or ctx.name(64))
    await _register(ctx, str(props["ServiceId"]), instance_id, props)
    return Done(instance_id, {})


@updating(T)
async def update_instance(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    refuse_unapplied(T, new, ("InstanceAttributes", "InstanceId", "ServiceId"))
    await _register(ctx, str(new["ServiceId"]), physical, new)
    return done


@deleting(T)
async def delete_instance(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    try:
        out = await ctx.call("servicediscovery", "DeregisterInstance", {"ServiceId": props["ServiceId"], "InstanceId": physical})
    except AwsError as e:
        if e.code in ("InstanceNotFound", "ServiceNotFound"):
            return
        raise
    await wait_operation(ctx, out["OperationId"])
