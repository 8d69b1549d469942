"""More CloudWatch resource types, made by the cloudwatch service's own handlers:
AWS::CloudWatch::CompositeAlarm (Ref: the alarm name; GetAtt Arn) and AWS::CloudWatch::Dashboard
(Ref: the dashboard name; no Fn::GetAtt). AlarmName and DashboardName replace them (the engine
decides); the rule, actions, description, body and tags change in place: PutCompositeAlarm /
PutDashboard again under the same name, tags through TagResource / UntagResource on the ARN."""

from __future__ import annotations

from typing import Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.services.cloudformation.providers.base import (
    Done,
    ResourceContext,
    deleting,
    provider,
    refuse_unapplied,
    updating,
)
from gureum.services.cloudformation.providers.base import text as as_text

C, D = "AWS::CloudWatch::CompositeAlarm", "AWS::CloudWatch::Dashboard"
_COMPOSITE = ("ActionsEnabled", "ActionsSuppressor", "ActionsSuppressorExtensionPeriod", "ActionsSuppressorWaitPeriod",
              "AlarmActions", "AlarmDescription", "AlarmName", "AlarmRule", "InsufficientDataActions", "OKActions")


async def _retag(ctx: ResourceContext, arn: str, old: dict[str, Any], new: dict[str, Any]) -> None:
    before = {t["Key"]: t["Value"] for t in ctx.tag_list(old)}
    after = {t["Key"]: t["Value"] for t in ctx.tag_list(new)}
    gone = [k for k in before if k not in after]
    if gone:
        await ctx.call("cloudwatch", "UntagResource", {"ResourceARN": arn, "TagKeys": gone})
    changed = [{"Key": k, "Value": v} for k, v in after.items() if before.get(k) != v]
    if changed:
        await ctx.call("cloudwatch", "TagResource", {"ResourceARN": arn, "Tags": changed})


def _composite_params(name: str, props: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"AlarmName": name}
    for k in _COMPOSITE:
        if k == "AlarmName" or k not in props:
            continue
        v = props[k]
        if k in ("ActionsSuppressorExtensionPeriod", "ActionsSuppressorWaitPeriod"):
            v = int(v)
        elif k == "ActionsEnabled":
            v = as_text(v).lower() == "true"
        out[k] = v
    return out


@provider(C)
async def create_composite_alarm(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(C, props, (*_COMPOSITE, "Tags"))
    name = str(props.get("AlarmName") or ctx.name(255))
    params = _composite_params(name, props)
    tags = ctx.tag_list(props)
    if tags:
        params["Tags"] = tags
    await ctx.call("cloudwatch", "PutCompositeAlarm", params)
    return Done(name, {"Arn": arns.cloudwatch_alarm(ctx.region, ctx.account, name)})


@updating(C)
async def update_composite_alarm(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                 done: Done) -> Done:
    refuse_unapplied(C, new, (*_COMPOSITE, "Tags"))
    await ctx.call("cloudwatch", "PutCompositeAlarm", _composite_params(physical, new))
    await _retag(ctx, done.attrs["Arn"], old, new)
    return done


@deleting(C)
async def delete_composite_alarm(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await ctx.call("cloudwatch", "DeleteAlarms", {"AlarmNames": [physical]})


def _body(props: dict[str, Any]) -> str:
    return as_text(props["DashboardBody"])


@provider(D)
async def create_dashboard(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(D, props, ("DashboardBody", "DashboardName", "Tags"))
    name = str(props.get("DashboardName") or ctx.name(255))
    await ctx.call("cloudwatch", "PutDashboard", {"DashboardName": name, "DashboardBody": _body(props)})
    await _retag(ctx, arns.cloudwatch_dashboard(ctx.account, name), {}, props)
    return Done(name, {})


@updating(D)
async def update_dashboard(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    refuse_unapplied(D, new, ("DashboardBody", "DashboardName", "Tags"))
    await ctx.call("cloudwatch", "PutDashboard", {"DashboardName": physical, "DashboardBody": _body(new)})
    await _retag(ctx, arns.cloudwatch_dashboard(ctx.account, physical), old, new)
    return done


@deleting(D)
async def delete_dashboard(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    try:
        await ctx.call("cloudwatch", "DeleteDashboards", {"DashboardNames": [physical]})
    except AwsError as e:
        if e.code not in ("ResourceNotFound", "DashboardNotFoundError"):
            raise
