"""Kinesis and Cognito resource types, made by the kinesis and cognito-idp services' own
handlers: AWS::Kinesis::Stream (Ref: the stream name; GetAtt Arn; the create waits for
ACTIVE as CloudFormation does; DesiredShardLevelMetrics through Enable/DisableEnhancedMonitoring), AWS::Cognito::UserPool (Ref: the pool id; GetAtt Arn,
ProviderName, ProviderURL, UserPoolId), AWS::Cognito::UserPoolClient (Ref: the client id;
GetAtt ClientId, ClientSecret, Name), AWS::Cognito::UserPoolGroup (Ref: the group name)."""

from __future__ import annotations

import asyncio
from typing import Any

from gureum.services.cloudformation.providers.base import (
    Done,
    ResourceContext,
    deleting,
    ignore_missing,
    provider,
    refuse_unapplied,
    updating,
)
from gureum.services.cloudformation.providers.shapes import coerce

POLL = 0.2


async def _ignore_missing(coro: Any) -> None:
    await ignore_missing(coro, "NotFound")


# --- Kinesis ---------------------------------------------------------------------------------

async def _stream_active(ctx: ResourceContext, name: str) -> dict[str, Any]:
    while True:
        out = (await ctx.call("kinesis", "DescribeStreamSummary", {"StreamName": name}))["StreamDescriptionSummary"]
        if out["StreamStatus"] == "ACTIVE":
            return dict(out)
        await asyncio.sleep(POLL)


def _mode(props: dict[str, Any]) -> str:
    return str((props.get("StreamModeDetails") or {}).get("StreamMode") or "PROVISIONED")


@provider("AWS::Kinesis::Stream")
async def create_stream(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::Kinesis::Stream", props, ("Name", "ShardCount", "StreamModeDetails", "RetentionPeriodHours", "StreamEncryption", "Tags", "DesiredShardLevelMetrics"))
    name = props.get("Name") or ctx.name(128)
    params: dict[str, Any] = {"StreamName": name, "StreamModeDetails": {"StreamMode": _mode(props)}}
    if _mode(props) == "PROVISIONED":
        params["ShardCount"] = int(props.get("ShardCount", 1))
    tags = {t["Key"]: t["Value"] for t in ctx.tag_list(props)}
    if tags:
        params["Tags"] = tags
    await ctx.call("kinesis", "CreateStream", params)
    summary = await _stream_active(ctx, name)
    arn = summary["StreamARN"]
    await _set_retention(ctx, name, 24, int(props.get("RetentionPeriodHours", 24)))
    enc = props.get("StreamEncryption")
    if isinstance(enc, dict):
        await ctx.call("kinesis", "StartStreamEncryption", {"StreamName": name, "EncryptionType": enc["EncryptionType"],
                                                            "KeyId": enc["KeyId"]})
        await _stream_active(ctx, name)
    await _set_metrics(ctx, name, [], list(props.get("DesiredShardLevelMetrics") or []))
    return Done(name, {"Arn": arn})


async def _set_metrics(ctx: ResourceContext, name: str, old: list[str], new: list[str]) -> None:
    """Enhanced (shard-level) monitoring: the metrics dropped are disabled, the new ones enabled."""
    gone, added = [m for m in old if m not in new], [m for m in new if m not in old]
    if gone:
        await ctx.call("kinesis", "DisableEnhancedMonitoring", {"StreamName": name, "ShardLevelMetrics": gone})
    if added:
        await ctx.call("kinesis", "EnableEnhancedMonitoring", {"StreamName": name, "ShardLevelMetrics": added})


async def _set_retention(ctx: ResourceContext, name: str, old: int, new: int) -> None:
    if new > old:
        await ctx.call("kinesis", "IncreaseStreamRetentionPeriod", {"StreamName": name, "RetentionPeriodHours": new})
    elif new < old:
        await ctx.call("kinesis", "DecreaseStreamRetentionPeriod", {"StreamName": name, "RetentionPeriodHours": new})


@updating("AWS::Kinesis::Stream")
async def update_stream(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    refuse_unapplied("AWS::Kinesis::Stream", new, ("Name", "ShardCount", "StreamModeDetails", "RetentionPeriodHours", "StreamEncryption", "Tags", "DesiredShardLevelMetrics"))
    if _mode(old) != _mode(new):
        await ctx.call("kinesis", "UpdateStreamMode", {"StreamARN": done.attrs["Arn"],
                                                       "StreamModeDetails": {"StreamMode": _mode(new)}})
        await _stream_active(ctx, physical)
    if _mode(new) == "PROVISIONED" and int(old.get("ShardCount", 1)) != int(new.get("ShardCount", 1)):
        await ctx.call("kinesis", "UpdateShardCount", {"StreamName": physical, "ScalingType": "UNIFORM_SCALING",
                                                       "TargetShardCount": int(new.get("ShardCount", 1))})
        await _stream_active(ctx, physical)
    await _set_retention(ctx, physical, int(old.get("RetentionPeriodHours", 24)), int(new.get("RetentionPeriodHours", 24)))
    before, after = old.get("StreamEncryption"), new.get("StreamEncryption")
    if before != after:
        if isinstance(before, dict):
            await ctx.call("kinesis", "StopStreamEncryption", {"StreamName": physical, "EncryptionType": before["EncryptionType"],
                                                               "KeyId": before["KeyId"]})
            await _stream_active(ctx, physical)
        if isinstance(after, dict):
            await ctx.call("kinesis", "StartStreamEncryption", {"StreamName": physical, "EncryptionType": after["EncryptionType"],
                                                                "KeyId": after["KeyId"]})
            await _stream_active(ctx, physical)
    await _set_metrics(ctx, physical, list(old.get("DesiredShardLevelMetrics") or []),
                       list(new.get("DesiredShardLevelMetrics") or []))
    old_tags = {t["Key"]: t["Value"] for t in ctx.tag_list(old)}
    new_tags = {t["Key"]: t["Value"] for t in ctx.tag_list(new)}
    gone = [k for k in old_tags if k not in new_tags]
    if gone:
        await ctx.call("kinesis", "RemoveTagsFromStream", {"StreamName": physical, "TagKeys": gone})
    changed = {k: v for k, v in new_tags.items() if old_tags.get(k) != v}
    if changed:
        await ctx.call("kinesis", "AddTagsToStream", {"StreamName": physical, "Tags": changed})
    return done


@deleting("AWS::Kinesis::Stream")
async def delete_stream(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call("kinesis", "DeleteStream", {"StreamName": physical, "EnforceConsumerDeletion": True}))


# --- Cognito user pools ----------------------------------------------------------------------

_POOL_RENAMES = {"UserPoolName": "PoolName"}
_POOL_CREATE_ONLY = ("UserPoolName", "Schema", "UsernameAttributes", "AliasAttributes", "UsernameConfiguration")
# set by SetUserPoolMfaConfig after the pool exists, as CloudFormation's handler does
_MFA_PROPS = ("EnabledMfas", "EmailAuthenticationMessage", "EmailAuthenticationSubject", "WebAuthnRelyingPartyID",
              "WebAuthnUserVerification", "WebAuthnFactorConfiguration")
_POOL_SKIP = ("UserPoolTags", *_MFA_PROPS)


def _pool_params(props: dict[str, Any], operation: str) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for k, v in props.items():
        if k in _POOL_SKIP or (operation == "UpdateUserPool" and k in _POOL_CREATE_ONLY):
            continue
        params[_POOL_RENAMES.get(k, k)] = v
    if props.get("EnabledMfas"):
        params.pop("MfaConfiguration", None)  # set with the factors it needs, by SetUserPoolMfaConfig
    return coerce("cognito-idp", operation, params)


async def _set_mfa(ctx: ResourceContext, pool_id: str, props: dict[str, Any]) -> None:
    """EnabledMfas and the factors' settings, which only SetUserPoolMfaConfig takes."""
    if not any(k in props for k in _MFA_PROPS):
        return
    enabled = set(props.get("EnabledMfas") or ())
    params: dict[str, Any] = {"UserPoolId": pool_id, "MfaConfiguration": props.get("MfaConfiguration", "OFF"),
                              "SoftwareTokenMfaConfiguration": {"Enabled": "SOFTWARE_TOKEN_MFA" in enabled}}
    if "SMS_MFA" in enabled:
        sms: dict[str, Any] = {}
        if props.get("SmsAuthenticationMessage"):
            sms["SmsAuthenticationMessage"] = props["SmsAuthenticationMessage"]
        if props.get("SmsConfiguration"):
            sms["SmsConfiguration"] = props["SmsConfiguration"]
        params["SmsMfaConfiguration"] = sms
    if "EMAIL_OTP" in enabled:
        params["EmailMfaConfiguration"] = {k2: props[k1] for k1, k2 in (("EmailAuthenticationMessage", "Message"),
                                                                         ("EmailAuthenticationSubject", "Subject"))
                                           if props.get(k1)}
    webauthn = {k2: props[k1] for k1, k2 in (("WebAuthnRelyingPartyID", "RelyingPartyId"),
                                             ("WebAuthnUserVerification", "UserVerification"),
                                             ("WebAuthnFactorConfiguration", "FactorConfiguration")) if props.get(k1)}
    if webauthn:
        params["WebAuthnConfiguration"] = webauthn
    await ctx.call("cognito-idp", "SetUserPoolMfaConfig", coerce("cognito-idp", "SetUserPoolMfaConfig", params))


def _pool_done(ctx: ResourceContext, pool_id: str, arn: str) -> Done:
    provider_name = f"cognito-idp.{ctx.region}.amazonaws.com/{pool_id}"
    return Done(pool_id, {"Arn": arn, "ProviderName": provider_name, "ProviderURL": f"https://{provider_name}",
                          "UserPoolId": pool_id})


def _pool_tags(ctx: ResourceContext, props: dict[str, Any]) -> dict[str, str]:
    return {**dict(ctx.tags), **{str(k): str(v) for k, v in (props.get("UserPoolTags") or {}).items()}}


@provider("AWS::Cognito::UserPool")
async def create_user_pool(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    params = _pool_params(props, "CreateUserPool")
    params.setdefault("PoolName", ctx.name(128))
    tags = _pool_tags(ctx, props)
    if tags:
        params["UserPoolTags"] = tags
    pool = (await ctx.call("cognito-idp", "CreateUserPool", params))["UserPool"]
    await _set_mfa(ctx, pool["Id"], props)
    return _pool_done(ctx, pool["Id"], pool["Arn"])


@updating("AWS::Cognito::UserPool")
async def update_user_pool(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    params = {**_pool_params(new, "UpdateUserPool"), "UserPoolId": physical}
    tags = _pool_tags(ctx, new)
    if tags:
        params["UserPoolTags"] = tags
    await ctx.call("cognito-idp", "UpdateUserPool", params)
    await _set_mfa(ctx, physical, new)
    return done


@deleting("AWS::Cognito::UserPool")
async def delete_user_pool(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call("cognito-idp", "DeleteUserPool", {"UserPoolId": physical}))


def _client_params(props: dict[str, Any], operation: str) -> dict[str, Any]:
    params = {k: v for k, v in props.items() if not (operation == "UpdateUserPoolClient" and k == "GenerateSecret")}
    return coerce("cognito-idp", operation, params)


@provider("AWS::Cognito::UserPoolClient")
async def create_user_pool_client(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    params = _client_params(props, "CreateUserPoolClient")
    params.setdefault("ClientName", ctx.name(128))
    client = (await ctx.call("cognito-idp", "CreateUserPoolClient", params))["UserPoolClient"]
    return Done(client["ClientId"], {"ClientId": client["ClientId"], "ClientSecret": client.get("ClientSecret", ""),
                                     "Name": client["ClientName"]})


@updating("AWS::Cognito::UserPoolClient")
async def update_user_pool_client(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                  done: Done) -> Done:
    params = _client_params(new, "UpdateUserPoolClient")
    params.setdefault("ClientName", done.attrs.get("Name", ""))
    client = (await ctx.call("cognito-idp", "UpdateUserPoolClient", {**params, "ClientId": physical}))["UserPoolClient"]
    return Done(physical, {**done.attrs, "Name": client["ClientName"]})


@deleting("AWS::Cognito::UserPoolClient")
async def delete_user_pool_client(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call("cognito-idp", "DeleteUserPoolClient", {"UserPoolId": props["UserPoolId"],
                                                                           "ClientId": physical}))


@provider("AWS::Cognito::UserPoolGroup")
async def create_user_pool_group(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    params = coerce("cognito-idp", "CreateGroup", dict(props))
    params.setdefault("GroupName", ctx.name(128))
    group = (await ctx.call("cognito-idp", "CreateGroup", params))["Group"]
    return Done(group["GroupName"])


@updating("AWS::Cognito::UserPoolGroup")
async def update_user_pool_group(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                 done: Done) -> Done:
    params = coerce("cognito-idp", "UpdateGroup", {**new, "GroupName": physical})
    await ctx.call("cognito-idp", "UpdateGroup", params)
    return done


@deleting("AWS::Cognito::UserPoolGroup")
async def delete_user_pool_group(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call("cognito-idp", "DeleteGroup", {"UserPoolId": props["UserPoolId"], "GroupName": physical}))
