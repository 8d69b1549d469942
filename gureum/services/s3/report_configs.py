"""S3's named bucket configurations that AWS itself only stores and reports from: analytics
(storage class analysis), inventory, request metrics and S3 Intelligent-Tiering archive
settings — Put/Get/Delete/List<Kind>Configuration(s), each configuration named by its Id.

State, on the bucket document: `reports` = {kind: {id: configuration}} with kind one of
"analytics", "inventory", "metrics", "intelligent-tiering". At most 1,000 of each kind per
bucket (AWS's limit); listings are sorted by Id, 100 a page, with an opaque continuation token
(gureum.aws.paging) bound to the bucket and kind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from gureum.aws import arn as arns
from gureum.aws import paging
from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.s3 import model

MAX_CONFIGS = 1000
PAGE = 100
_ID = re.compile(r"[A-Za-z0-9_.\-]{1,64}")


@dataclass(frozen=True)
class Kind:
    key: str  # the `reports` key
    member: str  # the configuration's member name, e.g. "AnalyticsConfiguration"


ANALYTICS = Kind("analytics", "AnalyticsConfiguration")
INVENTORY = Kind("inventory", "InventoryConfiguration")
METRICS = Kind("metrics", "MetricsConfiguration")
TIERING = Kind("intelligent-tiering", "IntelligentTieringConfiguration")


def _invalid(message: str, name: str = "", value: str = "") -> AwsError:
    return AwsError.modeled("s3", "InvalidArgument", message, ArgumentName=name, ArgumentValue=value)


def _check_inventory(config: dict[str, Any]) -> None:
    dest = ((config.get("Destination") or {}).get("S3BucketDestination") or {})
    parsed = arns.try_parse(dest.get("Bucket") or "")
    if parsed is None or parsed.service != "s3" or not parsed.resource or "/" in parsed.resource:
        raise _invalid("Invalid bucket ARN.", "Bucket", dest.get("Bucket") or "")
    encryption = dest.get("Encryption") or {}
    if "SSES3" in encryption and "SSEKMS" in encryption:
        raise AwsError.modeled("s3", "MalformedXML", "The XML you provided was not well-formed or did not validate "
                                                     "against our published schema")


_TIER_DAYS = {"ARCHIVE_ACCESS": (90, 730), "DEEP_ARCHIVE_ACCESS": (180, 730)}


def _check_tiering(config: dict[str, Any]) -> None:
    seen: set[str] = set()
    for tiering in config.get("Tierings") or []:
        tier, days = tiering["AccessTier"], tiering["Days"]
        low, high = _TIER_DAYS[tier]
        if tier in seen:
            raise _invalid("Duplicate AccessTier in Tierings", "AccessTier", tier)
        seen.add(tier)
        if not low <= days <= high:
            raise _invalid(f"Days for the {tier} tier must be between {low} and {high}", "Days", str(days))


_CHECKS = {INVENTORY.key: _check_inventory, TIERING.key: _check_tiering}


def put(t: Any, bucket_name: str, account: str, kind: Kind, config_id: str, config: dict[str, Any]) -> None:
    b = model.bucket(t, bucket_name, account)
    if not _ID.fullmatch(config_id):
        raise AwsError.modeled("s3", "InvalidConfigurationId", "The specified configuration id is invalid.")
    if config.get("Id") != config_id:
        raise _invalid("Id in the configuration does not match the id in the request", "id", config_id)
    check = _CHECKS.get(kind.key)
    if check is not None:
        check(config)
    reports = dict(b.get("reports") or {})
    configs = dict(reports.get(kind.key) or {})
    if config_id not in configs and len(configs) >= MAX_CONFIGS:
        raise AwsError.modeled("s3", "TooManyConfigurations",
                               "You are attempting to create a new configuration but have already reached the "
                               "1,000-configuration limit.")
    configs[config_id] = config
    reports[kind.key] = configs
    model.update_bucket(t, bucket_name, account, reports=reports)


def get(b: dict[str, Any], kind: Kind, config_id: str) -> dict[str, Any]:
    config: dict[str, Any] | None = ((b.get("reports") or {}).get(kind.key) or {}).get(config_id)
    if config is None:
        raise AwsError.modeled("s3", "NoSuchConfiguration", "The specified configuration does not exist.")
    return config


def delete(t: Any, bucket_name: str, account: str, kind: Kind, config_id: str) -> None:
    b = model.bucket(t, bucket_name, account)
    get(b, kind, config_id)
    reports = dict(b.get("reports") or {})
    configs = dict(reports.get(kind.key) or {})
    del configs[config_id]
    reports[kind.key] = configs
    model.update_bucket(t, bucket_name, account, reports=reports)


def listing(b: dict[str, Any], kind: Kind, token: str | None) -> dict[str, Any]:
    configs = (b.get("reports") or {}).get(kind.key) or {}
    items, nxt = paging.page_items(
        sorted(configs.values(), key=lambda c: str(c["Id"])), lambda c: str(c["Id"]),
        listing=f"s3.{kind.key}/{b['name']}", token=token, limit=None, default_limit=PAGE,
        error=lambda: _invalid("The continuation token provided is incorrect", "continuation-token", token or ""))
    out: dict[str, Any] = {"IsTruncated": nxt is not None}
    if items:
        out[kind.member + "List"] = items
    if token:
        out["ContinuationToken"] = token
    if nxt:
        out["NextContinuationToken"] = nxt
    return out


def _register(kind: Kind, op_suffix: str, list_suffix: str) -> None:
    """The four handlers of one kind (Put/Get/Delete<op_suffix>, List<list_suffix>)."""

    async def put_handler(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        await ctx.app.store.run(lambda t: put(t, params["Bucket"], ctx.account_id, kind, params["Id"],
                                              params[kind.member]))
        return {}

    async def get_handler(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        b = await ctx.app.store.read(lambda t: model.bucket(t, params["Bucket"], ctx.account_id))
        return {kind.member: get(b, kind, params["Id"])}

    async def delete_handler(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        await ctx.app.store.run(lambda t: delete(t, params["Bucket"], ctx.account_id, kind, params["Id"]))
        return {}

    async def list_handler(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        b = await ctx.app.store.read(lambda t: model.bucket(t, params["Bucket"], ctx.account_id))
        return listing(b, kind, params.get("ContinuationToken"))

    operation("s3", f"PutBucket{op_suffix}")(put_handler)
    operation("s3", f"GetBucket{op_suffix}")(get_handler)
    operation("s3", f"DeleteBucket{op_suffix}")(delete_handler)
    operation("s3", f"ListBucket{list_suffix}")(list_handler)


_register(ANALYTICS, "AnalyticsConfiguration", "AnalyticsConfigurations")
_register(INVENTORY, "InventoryConfiguration", "InventoryConfigurations")
_register(METRICS, "MetricsConfiguration", "MetricsConfigurations")
_register(TIERING, "IntelligentTieringConfiguration", "IntelligentTieringConfigurations")
