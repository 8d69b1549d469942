"""More CloudWatch Logs resource types, made by the logs service's own handlers:

- AWS::Logs::LogStream (Ref: the stream name; no Fn::GetAtt): both properties replace it.
- AWS::Logs::Destination (Ref: the destination name; GetAtt Arn): DestinationName replaces it;
  TargetArn and RoleArn change in place (PutDestination again), DestinationPolicy through
  PutDestinationPolicy, Tags through TagResource / UntagResource on the ARN.
- AWS::Logs::ResourcePolicy (Ref: the policy name; no Fn::GetAtt): PolicyName replaces it, the
  document changes in place (PutResourcePolicy again).
- AWS::Logs::QueryDefinition (Ref and GetAtt QueryDefinitionId): every property changes in
  place (PutQueryDefinition with the definition's id)."""

from __future__ import annotations

from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.cloudformation.providers.base import (
    Done,
    ResourceContext,
    deleting,
    ignore_missing,
    policy_text,
    provider,
    refuse_unapplied,
    updating,
)

S = "logs"


async def _ignore_missing(coro: Any) -> None:
    await ignore_missing(coro, "ResourceNotFoundException")


# --- AWS::Logs::LogStream --------------------------------------------------------------------

@provider("AWS::Logs::LogStream")
async def create_log_stream(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::Logs::LogStream", props, ("LogGroupName", "LogStreamName"))
    name = str(props.get("LogStreamName") or ctx.name(512))
    await ctx.call(S, "CreateLogStream", {"logGroupName": props["LogGroupName"], "logStreamName": name})
    return Done(name, {})


@deleting("AWS::Logs::LogStream")
async def delete_log_stream(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call(S, "DeleteLogStream", {"logGroupName": props["LogGroupName"], "logStreamName": physical}))


# --- AWS::Logs::Destination ------------------------------------------------------------------

_DESTINATION = ("DestinationName", "DestinationPolicy", "RoleArn", "Tags", "TargetArn")


def _tags(ctx: ResourceContext, props: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in ctx.tag_list(props)}


@provider("AWS::Logs::Destination")
async def create_destination(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::Logs::Destination", props, _DESTINATION)
    name = str(props["DestinationName"])
    params: dict[str, Any] = {"destinationName": name, "targetArn": props["TargetArn"], "roleArn": props["RoleArn"]}
    tags = _tags(ctx, props)
    if tags:
        params["tags"] = tags
    dest = (await ctx.call(S, "PutDestination", params))["destination"]
    done = Done(name, {"Arn": dest["arn"]})
    if props.get("DestinationPolicy"):
        try:
            await ctx.call(S, "PutDestinationPolicy", {"destinationName": name,
                                                       "accessPolicy": policy_text(props["DestinationPolicy"])})
        except AwsError:
            await delete_destination(ctx, name, props, done)
            raise
    return done


@updating("AWS::Logs::Destination")
async def update_destination(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                             done: Done) -> Done:
    refuse_unapplied("AWS::Logs::Destination", new, _DESTINATION)
    if (old.get("TargetArn"), old.get("RoleArn")) != (new.get("TargetArn"), new.get("RoleArn")):
        await ctx.call(S, "PutDestination", {"destinationName": physical, "targetArn": new["TargetArn"], "roleArn": new["RoleArn"]})
    if new.get("DestinationPolicy") and old.get("DestinationPolicy") != new.get("DestinationPolicy"):
        await ctx.call(S, "PutDestinationPolicy", {"destinationName": physical,
                                                   "accessPolicy": policy_text(new["DestinationPolicy"])})
    before, after = _tags(ctx, old), _tags(ctx, new)
    gone = [k for k in before if k not in after]
    if gone:
        await ctx.call(S, "UntagResource", {"resourceArn": done.attrs["Arn"], "tagKeys": gone})
    changed = {k: v for k, v in after.items() if before.get(k) != v}
    if changed:
        await ctx.call(S, "TagResource", {"resourceArn": done.attrs["Arn"], "tags": changed})
    return done


@deleting("AWS::Logs::Destination")
async def delete_destination(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call(S, "DeleteDestination", {"destinationName": physical}))


# --- AWS::Logs::ResourcePolicy ---------------------------------------------------------------

async def _put_resource_policy(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::Logs::ResourcePolicy", props, ("PolicyDocument", "PolicyName"))
    name = str(props["PolicyName"])
    await ctx.call(S, "PutResourcePolicy", {"policyName": name, "policyDocument": policy_text(props["PolicyDocument"])})
    return Done(name, {})


@provider("AWS::Logs::ResourcePolicy")
async def create_resource_policy(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    return await _put_resource_policy(ctx, props)


@updating("AWS::Logs::ResourcePolicy")
async def update_resource_policy(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                 done: Done) -> Done:
    return await _put_resource_policy(ctx, new)


@deleting("AWS::Logs::ResourcePolicy")
async def delete_resource_policy(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call(S, "DeleteResourcePolicy", {"policyName": physical}))


# --- AWS::Logs::QueryDefinition --------------------------------------------------------------

_QUERY = ("LogGroupNames", "Name", "QueryLanguage", "QueryString")


def _query_params(props: dict[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {"name": props["Name"], "queryString": props["QueryString"]}
    if props.get("LogGroupNames"):
        params["logGroupNames"] = list(props["LogGroupNames"])
    if props.get("QueryLanguage"):
        params["queryLanguage"] = props["QueryLanguage"]
    return params


@provider("AWS::Logs::QueryDefinition")
async def create_query_definition(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::Logs::QueryDefinition", props, _QUERY)
    qid = str((await ctx.call(S, "PutQueryDefinition", _query_params(props)))["queryDefinitionId"])
    return Done(qid, {"QueryDefinitionId": qid})


@updating("AWS::Logs::QueryDefinition")
async def update_query_definition(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                  done: Done) -> Done:
    refuse_unapplied("AWS::Logs::QueryDefinition", new, _QUERY)
    await ctx.call(S, "PutQueryDefinition", {**_query_params(new), "queryDefinitionId": physical})
    return done


@deleting("AWS::Logs::QueryDefinition")
async def delete_query_definition(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call(S, "DeleteQueryDefinition", {"queryDefinitionId": physical}))
