"""The CloudWatch Logs resource types of the account's policies, vended-log deliveries,
anomaly detection, scheduled queries and transformers, made by the logs service's own handlers.
A template's PascalCase properties become the operation's camelCase members along the
operation's input shape in botocore's model (`members`: matched without regard to case, so
TransformerConfig's `Csv` is PutTransformer's `csv`; map keys are left as written).

| type | Ref | Fn::GetAtt | in place | replaced by |
|---|---|---|---|---|
| AccountPolicy | AccountId | AccountId | document, scope, selection (PutAccountPolicy) | PolicyName, PolicyType |
| DeliverySource | Name | Arn, ResourceArns, Service | resource, log type, configuration (PutDeliverySource), tags | Name |
| DeliveryDestination | Name | Arn | policy (Put/DeleteDeliveryDestinationPolicy), tags | Name, OutputFormat, DestinationResourceArn, DeliveryDestinationType |
| Delivery | DeliveryId | Arn, DeliveryDestinationType, DeliveryId | record fields, delimiter, S3 settings (UpdateDeliveryConfiguration), tags | DeliverySourceName, DeliveryDestinationArn |
| LogAnomalyDetector | AnomalyDetectorArn | AnomalyDetectorArn, AnomalyDetectorStatus, CreationTimeStamp, LastModifiedTimeStamp | frequency, pattern, visibility (UpdateLogAnomalyDetector) | LogGroupArnList, DetectorName, KmsKeyId |
| ScheduledQuery | ScheduledQueryArn | ScheduledQueryArn, CreationTime, LastUpdatedTime, LastTriggeredTime, LastExecutionStatus | all but Name (UpdateScheduledQuery), tags | Name |
| Transformer | LogGroupIdentifier | none | TransformerConfig (PutTransformer) | LogGroupIdentifier |
| StorageTierPolicy | AccountId | AccountId, LastUpdatedTime | StorageTier (PutStorageTierPolicy) | never |

Deleting a StorageTierPolicy puts the account's default tier (STANDARD) back, as AWS's handler
does (there is no DeleteStorageTierPolicy). A LogAnomalyDetector's detector list, name and key
cannot change through UpdateLogAnomalyDetector, so their change replaces the detector.
AWS::Logs::Integration is not provided: its only operation, PutIntegration, creates OpenSearch
Service resources and gureum refuses it (logs/api_unserved.py), so no stack could make one."""

from __future__ import annotations

from typing import Any

from gureum.aws import specs
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
from gureum.services.cloudformation.providers.shapes import coerce

S = "logs"
ACCOUNT_POLICY, SOURCE, DESTINATION, DELIVERY = (
    "AWS::Logs::AccountPolicy", "AWS::Logs::DeliverySource", "AWS::Logs::DeliveryDestination", "AWS::Logs::Delivery")
DETECTOR, SCHEDULED, TRANSFORMER, TIER = (
    "AWS::Logs::LogAnomalyDetector", "AWS::Logs::ScheduledQuery", "AWS::Logs::Transformer", "AWS::Logs::StorageTierPolicy")


def members(operation: str, props: dict[str, Any]) -> dict[str, Any]:
    """`props` as `operation`'s input members: keys matched to the shape's members without
    regard to case, all the way down (map keys kept), scalars coerced where exact."""
    shape = specs.load(S).operation(operation).input
    out = _along(shape, props) if shape is not None else props
    return coerce(S, operation, out)


def _along(shape: Any, value: Any) -> Any:
    if shape.type == "structure" and isinstance(value, dict):
        names = {m.lower(): m for m in shape.members}
        out: dict[str, Any] = {}
        for k, v in value.items():
            name = str(names.get(k.lower(), k))
            out[name] = _along(shape.members[name], v) if name in shape.members else v
        return out
    if shape.type == "list" and isinstance(value, list):
        return [_along(shape.member, v) for v in value]
    if shape.type == "map" and isinstance(value, dict):
        return {k: _along(shape.value, v) for k, v in value.items()}
    return value


async def _gone(coro: Any) -> None:
    await ignore_missing(coro, "ResourceNotFoundException")


def _tag_map(ctx: ResourceContext, props: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in ctx.tag_list(props)}


async def _retag(ctx: ResourceContext, arn: str, old: dict[str, Any], new: dict[str, Any]) -> None:
    before, after = _tag_map(ctx, old), _tag_map(ctx, new)
    gone = [k for k in before if k not in after]
    if gone:
        await ctx.call(S, "UntagResource", {"resourceArn": arn, "tagKeys": gone})
    changed = {k: v for k, v in after.items() if before.get(k) != v}
    if changed:
        await ctx.call(S, "TagResource", {"resourceArn": arn, "tags": changed})


# --- AWS::Logs::AccountPolicy -----------------------------------------------------------------

_ACCOUNT_POLICY = ("PolicyDocument", "PolicyName", "PolicyType", "Scope", "SelectionCriteria")


async def _put_account_policy(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(ACCOUNT_POLICY, props, _ACCOUNT_POLICY)
    params = members("PutAccountPolicy", {k: props[k] for k in _ACCOUNT_POLICY if k in props})
    params["policyDocument"] = policy_text(props["PolicyDocument"])
    await ctx.call(S, "PutAccountPolicy", params)
    return Done(f"{ctx.account}|{props['PolicyType']}|{props['PolicyName']}", {"AccountId": ctx.account}, ref=ctx.account)


@provider(ACCOUNT_POLICY)
async def create_account_policy(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    return await _put_account_policy(ctx, props)


@updating(ACCOUNT_POLICY)
async def update_account_policy(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                done: Done) -> Done:
    return await _put_account_policy(ctx, new)


@deleting(ACCOUNT_POLICY)
async def delete_account_policy(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _gone(ctx.call(S, "DeleteAccountPolicy", {"policyName": props["PolicyName"], "policyType": props["PolicyType"]}))


# --- AWS::Logs::DeliverySource ----------------------------------------------------------------

_SOURCE = ("DeliverySourceConfiguration", "LogType", "Name", "ResourceArn", "Tags")


def _source_done(source: dict[str, Any]) -> Done:
    return Done(str(source["name"]), {"Arn": source["arn"], "ResourceArns": list(source.get("resourceArns") or []),
                                      "Service": source.get("service", "")})


async def _put_source(ctx: ResourceContext, name: str, props: dict[str, Any]) -> Done:
    params = members("PutDeliverySource", {k: props[k] for k in ("DeliverySourceConfiguration", "LogType", "ResourceArn")
                                           if k in props})
    out = await ctx.call(S, "PutDeliverySource", {**params, "name": name})
    return _source_done(out["deliverySource"])


@provider(SOURCE)
async def create_delivery_source(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(SOURCE, props, _SOURCE)
    done = await _put_source(ctx, str(props["Name"]), props)
    try:
        await _retag(ctx, done.attrs["Arn"], {}, props)
    except Exception:
        await delete_delivery_source(ctx, done.physical_id, props, done)
        raise
    return done


@updating(SOURCE)
async def update_delivery_source(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                 done: Done) -> Done:
    refuse_unapplied(SOURCE, new, _SOURCE)
    done = await _put_source(ctx, physical, new)
    await _retag(ctx, done.attrs["Arn"], old, new)
    return done


@deleting(SOURCE)
async def delete_delivery_source(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _gone(ctx.call(S, "DeleteDeliverySource", {"name": physical}))


# --- AWS::Logs::DeliveryDestination -----------------------------------------------------------

_DESTINATION = ("DeliveryDestinationPolicy", "DeliveryDestinationType", "DestinationResourceArn", "Name", "OutputFormat",
                "Tags")


def _destination_policy(props: dict[str, Any]) -> str | None:
    """The policy document of DeliveryDestinationPolicy ({DeliveryDestinationName,
    DeliveryDestinationPolicy}) as JSON text, or None when the template sets none."""
    wrapper = props.get("DeliveryDestinationPolicy")
    if not wrapper:
        return None
    inner = wrapper.get("DeliveryDestinationPolicy") if isinstance(wrapper, dict) else wrapper
    return policy_text(inner) if inner else None


@provider(DESTINATION)
async def create_delivery_destination(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(DESTINATION, props, _DESTINATION)
    name = str(props["Name"])
    params: dict[str, Any] = {"name": name}
    if props.get("OutputFormat"):
        params["outputFormat"] = props["OutputFormat"]
    if props.get("DeliveryDestinationType"):
        params["deliveryDestinationType"] = props["DeliveryDestinationType"]
    if props.get("DestinationResourceArn"):
        params["deliveryDestinationConfiguration"] = {"destinationResourceArn": props["DestinationResourceArn"]}
    tags = _tag_map(ctx, props)
    if tags:
        params["tags"] = tags
    dest = (await ctx.call(S, "PutDeliveryDestination", params))["deliveryDestination"]
    done = Done(name, {"Arn": dest["arn"]})
    policy = _destination_policy(props)
    if policy is not None:
        try:
            await ctx.call(S, "PutDeliveryDestinationPolicy", {"deliveryDestinationName": name,
                                                               "deliveryDestinationPolicy": policy})
        except Exception:
            await delete_delivery_destination(ctx, name, props, done)
            raise
    return done


@updating(DESTINATION)
async def update_delivery_destination(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                      done: Done) -> Done:
    refuse_unapplied(DESTINATION, new, _DESTINATION)
    before, after = _destination_policy(old), _destination_policy(new)
    if after is not None and after != before:
        await ctx.call(S, "PutDeliveryDestinationPolicy", {"deliveryDestinationName": physical,
                                                           "deliveryDestinationPolicy": after})
    elif after is None and before is not None:
        await _gone(ctx.call(S, "DeleteDeliveryDestinationPolicy", {"deliveryDestinationName": physical}))
    await _retag(ctx, done.attrs["Arn"], old, new)
    return done


@deleting(DESTINATION)
async def delete_delivery_destination(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _gone(ctx.call(S, "DeleteDeliveryDestination", {"name": physical}))


# --- AWS::Logs::Delivery ----------------------------------------------------------------------

_DELIVERY = ("DeliveryDestinationArn", "DeliverySourceName", "FieldDelimiter", "RecordFields", "S3EnableHiveCompatiblePath",
             "S3SuffixPath", "Tags")


def _delivery_config(props: dict[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if "RecordFields" in props:
        params["recordFields"] = list(props["RecordFields"])
    if "FieldDelimiter" in props:
        params["fieldDelimiter"] = props["FieldDelimiter"]
    s3 = {k: props[c] for k, c in (("suffixPath", "S3SuffixPath"), ("enableHiveCompatiblePath", "S3EnableHiveCompatiblePath"))
          if c in props}
    if s3:
        params["s3DeliveryConfiguration"] = s3
    return params


@provider(DELIVERY)
async def create_delivery(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(DELIVERY, props, _DELIVERY)
    params = {"deliverySourceName": props["DeliverySourceName"], "deliveryDestinationArn": props["DeliveryDestinationArn"],
              **_delivery_config(props)}
    tags = _tag_map(ctx, props)
    if tags:
        params["tags"] = tags
    d = (await ctx.call(S, "CreateDelivery", coerce(S, "CreateDelivery", params)))["delivery"]
    did = str(d["id"])
    return Done(did, {"Arn": d["arn"], "DeliveryDestinationType": d.get("deliveryDestinationType", ""), "DeliveryId": did})


@updating(DELIVERY)
async def update_delivery(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                          done: Done) -> Done:
    refuse_unapplied(DELIVERY, new, _DELIVERY)
    config = _delivery_config(new)
    if config != _delivery_config(old):
        await ctx.call(S, "UpdateDeliveryConfiguration", coerce(S, "UpdateDeliveryConfiguration", {"id": physical, **config}))
    await _retag(ctx, done.attrs["Arn"], old, new)
    return done


@deleting(DELIVERY)
async def delete_delivery(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _gone(ctx.call(S, "DeleteDelivery", {"id": physical}))


# --- AWS::Logs::LogAnomalyDetector ------------------------------------------------------------

_DETECTOR = ("AccountId", "AnomalyVisibilityTime", "DetectorName", "EvaluationFrequency", "FilterPattern", "KmsKeyId",
             "LogGroupArnList")
_DETECTOR_IN_PLACE = ("AnomalyVisibilityTime", "EvaluationFrequency", "FilterPattern")


async def _detector_done(ctx: ResourceContext, arn: str) -> Done:
    d = await ctx.call(S, "GetLogAnomalyDetector", {"anomalyDetectorArn": arn})
    return Done(arn, {"AnomalyDetectorArn": arn, "AnomalyDetectorStatus": d.get("anomalyDetectorStatus", ""),
                      "CreationTimeStamp": d.get("creationTimeStamp"), "LastModifiedTimeStamp": d.get("lastModifiedTimeStamp")})


@provider(DETECTOR, replaces=("AccountId", "DetectorName", "KmsKeyId", "LogGroupArnList"))
async def create_anomaly_detector(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(DETECTOR, props, _DETECTOR)
    params = members("CreateLogAnomalyDetector", {k: props[k] for k in _DETECTOR if k in props and k != "AccountId"})
    params.setdefault("detectorName", ctx.name(255))
    arn = str((await ctx.call(S, "CreateLogAnomalyDetector", params))["anomalyDetectorArn"])
    return await _detector_done(ctx, arn)


@updating(DETECTOR)
async def update_anomaly_detector(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                  done: Done) -> Done:
    refuse_unapplied(DETECTOR, new, _DETECTOR)
    params = members("UpdateLogAnomalyDetector", {k: new[k] for k in _DETECTOR_IN_PLACE if k in new})
    await ctx.call(S, "UpdateLogAnomalyDetector", {**params, "anomalyDetectorArn": physical, "enabled": True})
    return await _detector_done(ctx, physical)


@deleting(DETECTOR)
async def delete_anomaly_detector(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _gone(ctx.call(S, "DeleteLogAnomalyDetector", {"anomalyDetectorArn": physical}))


# --- AWS::Logs::ScheduledQuery ----------------------------------------------------------------

_SCHEDULED = ("Description", "DestinationConfiguration", "ExecutionRoleArn", "LogGroupIdentifiers", "Name", "QueryLanguage",
              "QueryString", "ScheduleEndTime", "ScheduleExpression", "ScheduleStartTime", "StartTimeOffset", "State", "Tags",
              "Timezone")


async def _scheduled_done(ctx: ResourceContext, arn: str) -> Done:
    q = await ctx.call(S, "GetScheduledQuery", {"identifier": arn})
    attrs: dict[str, Any] = {"ScheduledQueryArn": arn}
    for attr, member in (("CreationTime", "creationTime"), ("LastUpdatedTime", "lastUpdatedTime"),
                         ("LastTriggeredTime", "lastTriggeredTime"), ("LastExecutionStatus", "lastExecutionStatus")):
        if q.get(member) is not None:
            attrs[attr] = q[member]
    return Done(arn, attrs)


def _scheduled_params(operation: str, props: dict[str, Any]) -> dict[str, Any]:
    return members(operation, {k: props[k] for k in _SCHEDULED if k in props and k not in ("Name", "Tags")})


@provider(SCHEDULED)
async def create_scheduled_query(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(SCHEDULED, props, _SCHEDULED)
    params = {**_scheduled_params("CreateScheduledQuery", props), "name": props["Name"]}
    tags = _tag_map(ctx, props)
    if tags:
        params["tags"] = tags
    arn = str((await ctx.call(S, "CreateScheduledQuery", params))["scheduledQueryArn"])
    return await _scheduled_done(ctx, arn)


@updating(SCHEDULED)
async def update_scheduled_query(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                 done: Done) -> Done:
    refuse_unapplied(SCHEDULED, new, _SCHEDULED)
    await ctx.call(S, "UpdateScheduledQuery", {**_scheduled_params("UpdateScheduledQuery", new), "identifier": physical})
    await _retag(ctx, physical, old, new)
    return await _scheduled_done(ctx, physical)


@deleting(SCHEDULED)
async def delete_scheduled_query(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _gone(ctx.call(S, "DeleteScheduledQuery", {"identifier": physical}))


# --- AWS::Logs::Transformer -------------------------------------------------------------------

async def _put_transformer(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(TRANSFORMER, props, ("LogGroupIdentifier", "TransformerConfig"))
    ident = str(props["LogGroupIdentifier"])
    await ctx.call(S, "PutTransformer", members("PutTransformer", {"LogGroupIdentifier": ident,
                                                                   "TransformerConfig": props["TransformerConfig"]}))
    return Done(ident, {})


@provider(TRANSFORMER)
async def create_transformer(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    return await _put_transformer(ctx, props)


@updating(TRANSFORMER)
async def update_transformer(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                             done: Done) -> Done:
    return await _put_transformer(ctx, new)


@deleting(TRANSFORMER)
async def delete_transformer(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _gone(ctx.call(S, "DeleteTransformer", {"logGroupIdentifier": physical}))


# --- AWS::Logs::StorageTierPolicy -------------------------------------------------------------

async def _put_tier(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(TIER, props, ("StorageTier",))
    out = await ctx.call(S, "PutStorageTierPolicy", {"storageTier": props["StorageTier"]})
    return Done(ctx.account, {"AccountId": ctx.account, "LastUpdatedTime": out.get("lastUpdatedTime")})


@provider(TIER)
async def create_storage_tier_policy(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    return await _put_tier(ctx, props)


@updating(TIER)
async def update_storage_tier_policy(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                     done: Done) -> Done:
    return await _put_tier(ctx, new)


@deleting(TIER)
async def delete_storage_tier_policy(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await ctx.call(S, "PutStorageTierPolicy", {"storageTier": "STANDARD"})
