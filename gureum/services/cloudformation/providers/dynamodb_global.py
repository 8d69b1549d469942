"""AWS::DynamoDB::GlobalTable (version 2019.11.21), made by the dynamodb service's own handlers:
the table is created in the stack's region (which must be one of Replicas, as AWS requires),
then every other replica through UpdateTable's ReplicaUpdates. Ref: the table name; GetAtt Arn,
StreamArn, TableId (of the stack region's member).

Applied: TableName, AttributeDefinitions, KeySchema, BillingMode PAY_PER_REQUEST,
GlobalSecondaryIndexes, LocalSecondaryIndexes, StreamSpecification and Replicas given by
Region alone. Replicas change in place (replicas added and removed); TableName, KeySchema and
LocalSecondaryIndexes replace it (the engine decides). Any other property, per-replica
setting or in-place change fails the resource, never a silent success."""

from __future__ import annotations

from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.cloudformation.providers.base import (
    Done,
    ResourceContext,
    ResourceFailed,
    deleting,
    provider,
    refuse_unapplied,
    updating,
)

T = "AWS::DynamoDB::GlobalTable"
_APPLIED = ("AttributeDefinitions", "BillingMode", "GlobalSecondaryIndexes", "KeySchema", "LocalSecondaryIndexes",
            "Replicas", "StreamSpecification", "TableName")


def _regions(ctx: ResourceContext, props: dict[str, Any]) -> list[str]:
    regions: list[str] = []
    for replica in props.get("Replicas") or ():
        extra = sorted(k for k in replica if k != "Region")
        if extra:
            raise ResourceFailed(f"gureum does not apply {', '.join(extra)} of {T} Replicas yet")
        regions.append(str(replica["Region"]))
    if ctx.region not in regions:
        raise ResourceFailed(f"Replicas of {T} must include the stack's region {ctx.region}")
    return regions


def _numbers(value: Any) -> Any:
    """Index projections' and throughput's numbers as the API takes them (templates give text)."""
    if isinstance(value, dict):
        return {k: (int(v) if k in ("ReadCapacityUnits", "WriteCapacityUnits") else _numbers(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_numbers(v) for v in value]
    return value


async def _done(ctx: ResourceContext, name: str) -> Done:
    table = (await ctx.call("dynamodb", "DescribeTable", {"TableName": name}))["Table"]
    attrs = {"Arn": table["TableArn"], "TableId": table.get("TableId", "")}
    if table.get("LatestStreamArn"):
        attrs["StreamArn"] = table["LatestStreamArn"]
    return Done(name, attrs)


@provider(T)
async def create_global_table(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(T, props, _APPLIED)
    if str(props.get("BillingMode") or "PROVISIONED") != "PAY_PER_REQUEST":
        raise ResourceFailed(f"gureum applies only BillingMode PAY_PER_REQUEST of {T} yet")
    regions = _regions(ctx, props)
    name = str(props.get("TableName") or ctx.name(255))
    params: dict[str, Any] = {"TableName": name, "BillingMode": "PAY_PER_REQUEST"}
    for k in ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "LocalSecondaryIndexes", "StreamSpecification"):
        if k in props:
            params[k] = _numbers(props[k])
    if isinstance(params.get("StreamSpecification"), dict):
        params["StreamSpecification"] = {"StreamEnabled": True, **params["StreamSpecification"]}
    await ctx.call("dynamodb", "CreateTable", params)
    try:
        await _replicas(ctx, name, [ctx.region], regions)
    except AwsError:
        await delete_global_table(ctx, name, props, Done(name))
        raise
    return await _done(ctx, name)


async def _replicas(ctx: ResourceContext, name: str, before: list[str], after: list[str]) -> None:
    for region in after:
        if region not in before:
            await ctx.call("dynamodb", "UpdateTable", {"TableName": name, "ReplicaUpdates": [{"Create": {"RegionName": region}}]})
    for region in before:
        if region not in after and region != ctx.region:
            await ctx.call("dynamodb", "UpdateTable", {"TableName": name, "ReplicaUpdates": [{"Delete": {"RegionName": region}}]})


@updating(T)
async def update_global_table(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    refuse_unapplied(T, new, _APPLIED)
    changed = sorted(k for k in set(old) | set(new) if k != "Replicas" and old.get(k) != new.get(k))
    if changed:
        raise ResourceFailed(f"gureum does not update {', '.join(changed)} of {T} in place yet")
    await _replicas(ctx, physical, _regions(ctx, old), _regions(ctx, new))
    return await _done(ctx, physical)


@deleting(T)
async def delete_global_table(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    """Every other replica first, then the stack region's table."""
    try:
        table = (await ctx.call("dynamodb", "DescribeTable", {"TableName": physical}))["Table"]
    except AwsError as e:
        if e.code == "ResourceNotFoundException":
            return
        raise
    others = [str(r["RegionName"]) for r in table.get("Replicas") or () if r.get("RegionName") != ctx.region]
    await _replicas(ctx, physical, [ctx.region, *others], [ctx.region])
    await ctx.call("dynamodb", "DeleteTable", {"TableName": physical})
