"""The registry-wide ECR resource types, made by the ecr service's own handlers (the
template's PascalCase properties passed as ECR's camelCase members):

- AWS::ECR::RegistryPolicy (Ref and GetAtt RegistryId: the account's registry id):
  PutRegistryPolicy, in place on update; delete is DeleteRegistryPolicy.
- AWS::ECR::ReplicationConfiguration (Ref and GetAtt RegistryId): PutReplicationConfiguration,
  in place on update; delete puts an empty configuration (no rules), as AWS's handler does.
- AWS::ECR::PullThroughCacheRule (Ref: the ECR repository prefix; no Fn::GetAtt):
  CreatePullThroughCacheRule; every property replaces it (the engine decides)."""

from __future__ import annotations

from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.cloudformation.providers.base import (
    Done,
    ResourceContext,
    deleting,
    policy_text,
    provider,
    refuse_unapplied,
    updating,
)

S = "ecr"
POLICY, REPLICATION, CACHE = "AWS::ECR::RegistryPolicy", "AWS::ECR::ReplicationConfiguration", "AWS::ECR::PullThroughCacheRule"


def camel(value: Any) -> Any:
    """`value` with every object key's first letter lowered (CloudFormation's RepositoryFilters
    is ECR's repositoryFilters); strings and numbers as they are."""
    if isinstance(value, dict):
        return {(k[:1].lower() + k[1:]): camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camel(v) for v in value]
    return value


async def _put_policy(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(POLICY, props, ("PolicyText",))
    out = await ctx.call(S, "PutRegistryPolicy", {"policyText": policy_text(props["PolicyText"])})
    return Done(str(out["registryId"]), {"RegistryId": str(out["registryId"])})


@provider(POLICY)
async def create_registry_policy(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    return await _put_policy(ctx, props)


@updating(POLICY)
async def update_registry_policy(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                 done: Done) -> Done:
    return await _put_policy(ctx, new)


@deleting(POLICY)
async def delete_registry_policy(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    try:
        await ctx.call(S, "DeleteRegistryPolicy", {})
    except AwsError as e:
        if e.code != "RegistryPolicyNotFoundException":
            raise


async def _put_replication(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(REPLICATION, props, ("ReplicationConfiguration",))
    out = await ctx.call(S, "PutReplicationConfiguration", {"replicationConfiguration": camel(props["ReplicationConfiguration"])})
    registry = str(out.get("registryId") or ctx.account)  # the caller's own registry
    return Done(registry, {"RegistryId": registry})


@provider(REPLICATION)
async def create_replication(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    return await _put_replication(ctx, props)


@updating(REPLICATION)
async def update_replication(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                             done: Done) -> Done:
    await _put_replication(ctx, new)
    return done


@deleting(REPLICATION)
async def delete_replication(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await ctx.call(S, "PutReplicationConfiguration", {"replicationConfiguration": {"rules": []}})


_CACHE = ("CredentialArn", "CustomRoleArn", "EcrRepositoryPrefix", "UpstreamRegistry", "UpstreamRegistryUrl",
          "UpstreamRepositoryPrefix")


@provider(CACHE)
async def create_cache_rule(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(CACHE, props, _CACHE)
    params = camel({k: props[k] for k in _CACHE if props.get(k)})
    out = await ctx.call(S, "CreatePullThroughCacheRule", params)
    return Done(str(out["ecrRepositoryPrefix"]), {})


@deleting(CACHE)
async def delete_cache_rule(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    try:
        await ctx.call(S, "DeletePullThroughCacheRule", {"ecrRepositoryPrefix": physical})
    except AwsError as e:
        if e.code != "PullThroughCacheRuleNotFoundException":
            raise
