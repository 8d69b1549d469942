"""Bucket settings S3 stores and reports: request payment, transfer acceleration, server
access logging (target checked as AWS checks it; access_log.py delivers the logs), ABAC, and
the legacy (2006) notification API mapped onto the notification configuration notify.py
evaluates.

State, on the bucket document: `payer` ("BucketOwner" | "Requester"; absent: BucketOwner),
`accelerate` ("Enabled" | "Suspended"; absent: never set, GetBucketAccelerateConfiguration
answers without a Status), `logging` (the LoggingEnabled structure, or None), `abac`
("Enabled" | "Disabled"; absent: Disabled). The legacy notification calls read and write
`notification` (api.py's), one configuration per destination kind as the 2006 API allows.
"""

from __future__ import annotations

from typing import Any

from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.s3 import bucket_cache, model, notify


async def _bucket(ctx: RequestContext, name: str) -> dict[str, Any]:
    return await ctx.app.store.read(lambda t: model.bucket(t, name, ctx.account_id))


async def _update(ctx: RequestContext, name: str, **changes: Any) -> dict[str, Any]:
    return await ctx.app.store.run(lambda t: model.update_bucket(t, name, ctx.account_id, **changes))


# -- request payment ---------------------------------------------------------------------------

@operation("s3", "PutBucketRequestPayment")
async def put_bucket_request_payment(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await _update(ctx, params["Bucket"], payer=params["RequestPaymentConfiguration"]["Payer"])
    return {}


@operation("s3", "GetBucketRequestPayment")
async def get_bucket_request_payment(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"Payer": (await _bucket(ctx, params["Bucket"])).get("payer") or "BucketOwner"}


# -- transfer acceleration ---------------------------------------------------------------------

@operation("s3", "PutBucketAccelerateConfiguration")
async def put_bucket_accelerate_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    status = (params.get("AccelerateConfiguration") or {}).get("Status")
    if status not in ("Enabled", "Suspended"):
        raise AwsError.modeled("s3", "MalformedXML", "The XML you provided was not well-formed or did not validate "
                                                     "against our published schema")
    if "." in params["Bucket"]:
        raise AwsError.modeled("s3", "InvalidRequest",
                               "S3 Transfer Acceleration is not supported for buckets with periods (.) in their names")
    await _update(ctx, params["Bucket"], accelerate=status)
    return {}


@operation("s3", "GetBucketAccelerateConfiguration")
async def get_bucket_accelerate_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    b = await _bucket(ctx, params["Bucket"])
    return {"Status": b["accelerate"]} if b.get("accelerate") else {}


# -- server access logging ---------------------------------------------------------------------

def _check_logging_target(t: Any, source: dict[str, Any], enabled: dict[str, Any]) -> None:
    target = t.get(model.BUCKETS, enabled["TargetBucket"])
    if target is None:
        raise AwsError.modeled("s3", "InvalidTargetBucketForLogging", "The target bucket for logging does not exist",
                               TargetBucket=enabled["TargetBucket"])
    if target["account"] != source["account"]:
        raise AwsError.modeled("s3", "InvalidTargetBucketForLogging",
                               "The owner for the bucket to be logged and the target bucket must be the same.",
                               TargetBucket=enabled["TargetBucket"])
    if target["region"] != source["region"]:
        raise AwsError.modeled("s3", "CrossLocationLoggingProhibitted",
                               "Cross S3 location logging not allowed. ",
                               TargetBucketLocation=target["region"])
    if not target.get("acls") and enabled.get("TargetGrants"):
        raise AwsError.modeled("s3", "InvalidTargetBucketForLogging",
                               "Target grants are not allowed on the target bucket with bucket owner enforced "
                               "ownership.", TargetBucket=enabled["TargetBucket"])


@operation("s3", "PutBucketLogging")
async def put_bucket_logging(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    enabled = (params.get("BucketLoggingStatus") or {}).get("LoggingEnabled")

    def run(t: Any) -> None:
        b = model.bucket(t, params["Bucket"], ctx.account_id)
        if enabled:
            _check_logging_target(t, b, enabled)
        model.update_bucket(t, params["Bucket"], ctx.account_id, logging=dict(enabled) if enabled else None)

    await ctx.app.store.run(run)
    bucket_cache.forget(ctx.app, params["Bucket"])
    return {}


@operation("s3", "GetBucketLogging")
async def get_bucket_logging(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    b = await _bucket(ctx, params["Bucket"])
    return {"LoggingEnabled": b["logging"]} if b.get("logging") else {}


# -- ABAC --------------------------------------------------------------------------------------

@operation("s3", "PutBucketAbac")
async def put_bucket_abac(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    status = (params.get("AbacStatus") or {}).get("Status")
    if status not in ("Enabled", "Disabled"):
        raise AwsError.modeled("s3", "MalformedXML", "The XML you provided was not well-formed or did not validate "
                                                     "against our published schema")
    await _update(ctx, params["Bucket"], abac=status)
    return {}


@operation("s3", "GetBucketAbac")
async def get_bucket_abac(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    b = await _bucket(ctx, params["Bucket"])
    return {"AbacStatus": {"Status": b.get("abac") or "Disabled"}}


# -- the legacy notification API ---------------------------------------------------------------

# (legacy member, its ARN member, the current configuration list, its ARN member)
_LEGACY = (("TopicConfiguration", "Topic", "TopicConfigurations", "TopicArn"),
           ("QueueConfiguration", "Queue", "QueueConfigurations", "QueueArn"),
           ("CloudFunctionConfiguration", "CloudFunction", "LambdaFunctionConfigurations", "LambdaFunctionArn"))


def from_legacy(config: dict[str, Any]) -> dict[str, Any]:
    """A NotificationConfigurationDeprecated as the current NotificationConfiguration."""
    out: dict[str, Any] = {}
    for legacy, arn_member, current, current_arn in _LEGACY:
        c = config.get(legacy)
        if not c or not c.get(arn_member):
            continue
        events = list(c.get("Events") or []) + ([c["Event"]] if c.get("Event") else [])
        conf: dict[str, Any] = {current_arn: c[arn_member], "Events": list(dict.fromkeys(events))}
        if c.get("Id"):
            conf["Id"] = c["Id"]
        out[current] = [conf]
    return out


def to_legacy(config: dict[str, Any]) -> dict[str, Any]:
    """The current configuration as the 2006 API shows it: the first of each kind."""
    out: dict[str, Any] = {}
    for legacy, arn_member, current, current_arn in _LEGACY:
        confs = config.get(current) or []
        if confs:
            c = confs[0]
            out[legacy] = {"Id": c.get("Id"), "Events": list(c.get("Events") or []), arn_member: c[current_arn]}
            if len(c.get("Events") or []) == 1:
                out[legacy]["Event"] = c["Events"][0]
    return out


@operation("s3", "PutBucketNotification")
async def put_bucket_notification(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    b = await _bucket(ctx, params["Bucket"])
    config = await notify.validate(ctx.app, b, from_legacy(params.get("NotificationConfiguration") or {}), False)
    b = await _update(ctx, params["Bucket"], notification=config or None)
    notify.send_test_events(ctx.app, b, config, ctx.request_id)
    return {}


@operation("s3", "GetBucketNotification")
async def get_bucket_notification(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return to_legacy((await _bucket(ctx, params["Bucket"])).get("notification") or {})
