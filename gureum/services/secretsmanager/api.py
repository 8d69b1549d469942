"""Secrets Manager handlers: read the parameters, run one model function, shape the answer.
Secrets named by ARN may be another account's: the policy gate has already checked the
secret's resource policy (resource_policy.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from gureum.aws import tags
from gureum.aws.dispatch import Handler, RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.secretsmanager import model, password, policy, rotation
from gureum.store import Txn


def sm(name: str) -> Callable[[Handler], Handler]:
    return operation("secretsmanager", name)


def _next(token: str | None) -> dict[str, Any]:
    return {"NextToken": token} if token else {}


@sm("CreateSecret")
async def create_secret(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    out = await ctx.app.store.run(lambda t: model.create(t, ctx.account_id, ctx.region, params, time.time()))
    return dict(out)


@sm("PutSecretValue")
async def put_secret_value(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return dict(await ctx.app.store.run(lambda t: model.put_value(t, ctx.account_id, ctx.region, params, time.time())))


@sm("UpdateSecret")
async def update_secret(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return dict(await ctx.app.store.run(lambda t: model.update(t, ctx.account_id, ctx.region, params, time.time())))


@sm("GetSecretValue")
async def get_secret_value(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return dict(await ctx.app.store.run(lambda t: model.get_value(
        t, ctx.account_id, ctx.region, params["SecretId"], params.get("VersionId"), params.get("VersionStage"), time.time())))


@sm("BatchGetSecretValue")
async def batch_get_secret_value(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    ids = params.get("SecretIdList")
    if ids is not None and params.get("Filters") is not None:
        raise model.err("InvalidParameterException", "Either 'SecretIdList' or 'Filters' must be provided, but not both.")
    if ids is None and params.get("Filters") is None:
        raise model.err("InvalidParameterException", "Either 'SecretIdList' or 'Filters' must be provided.")
    if ids is not None and params.get("MaxResults") is not None:
        raise model.err("InvalidParameterException", "'MaxResults' can only be used with 'Filters'.")

    def txn(t: Txn) -> dict[str, Any]:
        now = time.time()
        token: str | None = None
        if ids is None:
            entries, token = model.listing(t, ctx.account_id, ctx.region, {**params, "MaxResults": params.get("MaxResults") or 20}, now)
            refs = [e["ARN"] for e in entries]
        else:
            refs = list(dict.fromkeys(ids))
        values: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for ref in refs:
            try:
                values.append(model.get_value(t, ctx.account_id, ctx.region, ref, None, None, now))
            except AwsError as e:
                errors.append({"SecretId": ref, "ErrorCode": e.code, "Message": e.message})
        return {"SecretValues": values, "Errors": errors, **_next(token)}

    return await ctx.app.store.run(txn)


@sm("DescribeSecret")
async def describe_secret(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return dict(await ctx.app.store.read(lambda t: model.describe(t, ctx.account_id, ctx.region, params["SecretId"], time.time())))


@sm("ListSecrets")
async def list_secrets(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    items, token = await ctx.app.store.read(lambda t: model.listing(t, ctx.account_id, ctx.region, params, time.time()))
    return {"SecretList": items, **_next(token)}


@sm("ListSecretVersionIds")
async def list_secret_version_ids(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc, items, token = await ctx.app.store.read(lambda t: model.version_ids(t, ctx.account_id, ctx.region, params, time.time()))
    return {"Versions": items, "ARN": doc["ARN"], "Name": doc["Name"], **_next(token)}


@sm("UpdateSecretVersionStage")
async def update_secret_version_stage(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return dict(await ctx.app.store.run(lambda t: model.update_stage(t, ctx.account_id, ctx.region, params, time.time())))


@sm("DeleteSecret")
async def delete_secret(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return dict(await ctx.app.store.run(lambda t: model.delete(t, ctx.account_id, ctx.region, params, time.time())))


@sm("RestoreSecret")
async def restore_secret(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return dict(await ctx.app.store.run(lambda t: model.restore(t, ctx.account_id, ctx.region, params["SecretId"], time.time())))


@sm("TagResource")
async def tag_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> None:
        place = model.tag_place(t, ctx.account_id, ctx.region, params["SecretId"], time.time())
        tags.tag(t, place, tags.from_pairs(params["Tags"]), model.TAG_RULES)

    await ctx.app.store.run(txn)
    return {}


@sm("UntagResource")
async def untag_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> None:
        place = model.tag_place(t, ctx.account_id, ctx.region, params["SecretId"], time.time())
        tags.untag(t, place, params["TagKeys"], model.TAG_RULES)

    await ctx.app.store.run(txn)
    return {}


@sm("PutResourcePolicy")
async def put_resource_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    text: str = params["ResourcePolicy"]
    policy.check(text, bool(params.get("BlockPublicPolicy")))
    return dict(await ctx.app.store.run(lambda t: model.set_policy(t, ctx.account_id, ctx.region, params["SecretId"], text, time.time())))


@sm("GetResourcePolicy")
async def get_resource_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return dict(await ctx.app.store.read(lambda t: model.get_policy(t, ctx.account_id, ctx.region, params["SecretId"], time.time())))


@sm("DeleteResourcePolicy")
async def delete_resource_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return dict(await ctx.app.store.run(lambda t: model.set_policy(t, ctx.account_id, ctx.region, params["SecretId"], None, time.time())))


@sm("ValidateResourcePolicy")
async def validate_resource_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("SecretId"):
        await ctx.app.store.read(lambda t: model.describe(t, ctx.account_id, ctx.region, params["SecretId"], time.time()))
    bad = policy.problems(params["ResourcePolicy"])
    return {"PolicyValidationPassed": not bad,
            "ValidationErrors": [{"CheckName": "MALFORMED_POLICY", "ErrorMessage": m} for m in bad]}


@sm("GetRandomPassword")
async def get_random_password(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"RandomPassword": password.generate(params)}


@sm("RotateSecret")
async def rotate_secret(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _, secret = await ctx.app.store.read(lambda t: model.find(t, ctx.account_id, ctx.region, params["SecretId"], time.time()))
    fn_arn = params.get("RotationLambdaARN") or secret.get("RotationLambdaARN")
    if fn_arn and not await rotation.may_invoke(ctx.app, str(fn_arn), str(secret["ARN"]), ctx.account_id):
        raise rotation.cannot_invoke()
    out, arn, fn = await ctx.app.store.run(lambda t: model.start_rotation(t, ctx.account_id, ctx.region, params, time.time()))
    if params.get("RotateImmediately", True):
        ctx.app.spawn(rotation.run(ctx.app, arn, fn, str(out["VersionId"])), f"secretsmanager.rotate {arn}")
    return dict(out)


@sm("CancelRotateSecret")
async def cancel_rotate_secret(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return dict(await ctx.app.store.run(lambda t: model.cancel_rotation(t, ctx.account_id, ctx.region, params["SecretId"], time.time())))
