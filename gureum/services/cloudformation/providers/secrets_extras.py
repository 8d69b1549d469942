"""More Secrets Manager resource types, made by the secretsmanager service's own handlers:

- AWS::SecretsManager::RotationSchedule (Ref and GetAtt Id: the secret's ARN): RotateSecret with
  the template's RotationLambdaARN and RotationRules; RotateImmediatelyOnUpdate (default true)
  is RotateSecret's RotateImmediately, on create and on every update, as AWS does. SecretId
  replaces it (the engine decides); the rest changes in place (RotateSecret again). Delete
  turns rotation off (CancelRotateSecret). HostedRotationLambda (a SAR application AWS deploys)
  and external rotation are not served: they fail the resource.
- AWS::SecretsManager::ResourcePolicy (Ref and GetAtt Id: the secret's ARN): PutResourcePolicy
  (BlockPublicPolicy passed through); SecretId replaces it, the policy changes in place;
  delete removes the secret's policy."""

from __future__ import annotations

from typing import Any

from gureum.services.cloudformation.providers.base import (
    Done,
    ResourceContext,
    deleting,
    ignore_missing,
    policy_text,
    provider,
    refuse_unapplied,
    text,
    updating,
)

S = "secretsmanager"
R, P = "AWS::SecretsManager::RotationSchedule", "AWS::SecretsManager::ResourcePolicy"


async def _ignore_missing(coro: Any) -> None:
    await ignore_missing(coro, "ResourceNotFoundException")


def _rules(props: dict[str, Any]) -> dict[str, Any]:
    given = dict(props.get("RotationRules") or {})
    out: dict[str, Any] = {}
    if "AutomaticallyAfterDays" in given:
        out["AutomaticallyAfterDays"] = int(given["AutomaticallyAfterDays"])
    for k in ("Duration", "ScheduleExpression"):
        if given.get(k):
            out[k] = str(given[k])
    return out


async def _rotate(ctx: ResourceContext, props: dict[str, Any]) -> str:
    refuse_unapplied(R, props, ("RotateImmediatelyOnUpdate", "RotationLambdaARN", "RotationRules", "SecretId"))
    params: dict[str, Any] = {"SecretId": props["SecretId"],
                              "RotateImmediately": text(props.get("RotateImmediatelyOnUpdate", True)).lower() == "true"}
    if props.get("RotationLambdaARN"):
        params["RotationLambdaARN"] = props["RotationLambdaARN"]
    rules = _rules(props)
    if rules:
        params["RotationRules"] = rules
    return str((await ctx.call(S, "RotateSecret", params))["ARN"])


@provider(R)
async def create_rotation_schedule(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    arn = await _rotate(ctx, props)
    return Done(arn, {"Id": arn})


@updating(R)
async def update_rotation_schedule(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                   done: Done) -> Done:
    await _rotate(ctx, new)
    return done


@deleting(R)
async def delete_rotation_schedule(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call(S, "CancelRotateSecret", {"SecretId": physical}))


async def _put_policy(ctx: ResourceContext, props: dict[str, Any]) -> str:
    refuse_unapplied(P, props, ("BlockPublicPolicy", "ResourcePolicy", "SecretId"))
    params: dict[str, Any] = {"SecretId": props["SecretId"], "ResourcePolicy": policy_text(props["ResourcePolicy"])}
    if "BlockPublicPolicy" in props:
        params["BlockPublicPolicy"] = text(props["BlockPublicPolicy"]).lower() == "true"
    return str((await ctx.call(S, "PutResourcePolicy", params))["ARN"])


@provider(P)
async def create_secret_policy(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    arn = await _put_policy(ctx, props)
    return Done(arn, {"Id": arn})


@updating(P)
async def update_secret_policy(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                               done: Done) -> Done:
    await _put_policy(ctx, new)
    return done


@deleting(P)
async def delete_secret_policy(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call(S, "DeleteResourcePolicy", {"SecretId": physical}))
