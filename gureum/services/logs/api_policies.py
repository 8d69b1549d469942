"""CloudWatch Logs handlers for policies (resource, data protection, account), KMS key
associations, the account's storage tier, bearer token authentication, ListLogGroups, field
discovery (GetLogGroupFields, GetLogFields), records (GetLogRecord, GetLogObject) and
ListAggregateLogGroupSummaries: thin over policies.py, masking.py and records.py."""

from __future__ import annotations

import re
from typing import Any

from gureum.aws import arn as arns
from gureum.aws import paging
from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.logs import masking, model, policies, records
from gureum.services.logs.model import GROUPS

QUERY_RESULT_KEYS = "logs.query_result_keys"  # "<acct>/<region>" -> {"kmsKeyId"}


def _invalid(message: str) -> AwsError:
    return AwsError.modeled("logs", "InvalidParameterException", message)


def _group(params: dict[str, Any], name: str = "logGroupName", identifier: str = "logGroupIdentifier") -> str:
    """The group a request names by name or identifier (a name or an ARN), exactly one."""
    by_name, by_id = params.get(name), params.get(identifier) if identifier != name else None
    if by_name and by_id:
        raise _invalid("LogGroup name and LogGroup ARN are mutually exclusive parameters.")
    value = by_name or by_id
    if not value:
        raise _invalid(f"Either {name} or {identifier} must be specified.")
    if arns.looks_like_arn(value):
        try:
            return arns.logs_group_parts(value)[2]
        except arns.BadArn:
            raise _invalid(f"Invalid log group ARN: {value}") from None
    return str(value)


# --- resource policies ------------------------------------------------------------------------

@operation("logs", "PutResourcePolicy")
async def put_resource_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    now = model.now_ms()
    doc = await ctx.app.store.run(lambda t: policies.put_resource_policy(t, ctx.account_id, ctx.region, params, now))
    return {"resourcePolicy": doc, "revisionId": doc["revisionId"]}


@operation("logs", "DeleteResourcePolicy")
async def delete_resource_policy(ctx: RequestContext, params: dict[str, Any]) -> None:
    await ctx.app.store.run(lambda t: policies.delete_resource_policy(t, ctx.account_id, ctx.region, params))


@operation("logs", "DescribeResourcePolicies")
async def describe_resource_policies(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    items, token = await ctx.app.store.read(lambda t: policies.describe_resource_policies(t, ctx.account_id, ctx.region, params))
    return {"resourcePolicies": items, **({"nextToken": token} if token else {})}


# --- data protection --------------------------------------------------------------------------

@operation("logs", "PutDataProtectionPolicy")
async def put_data_protection_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    group = _group(params, "logGroupIdentifier", "logGroupIdentifier")
    now = model.now_ms()
    out = await ctx.app.store.run(lambda t: masking.put(t, ctx.account_id, ctx.region, group, params["policyDocument"], now))
    return {"logGroupIdentifier": params["logGroupIdentifier"], **out}


@operation("logs", "GetDataProtectionPolicy")
async def get_data_protection_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    group = _group(params, "logGroupIdentifier", "logGroupIdentifier")
    out = await ctx.app.store.read(lambda t: masking.get(t, ctx.account_id, ctx.region, group))
    return {"logGroupIdentifier": params["logGroupIdentifier"], **out}


@operation("logs", "DeleteDataProtectionPolicy")
async def delete_data_protection_policy(ctx: RequestContext, params: dict[str, Any]) -> None:
    group = _group(params, "logGroupIdentifier", "logGroupIdentifier")
    await ctx.app.store.run(lambda t: masking.delete(t, ctx.account_id, ctx.region, group))


# --- account policies -------------------------------------------------------------------------

@operation("logs", "PutAccountPolicy")
async def put_account_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    data_protection = params["policyType"] == "DATA_PROTECTION_POLICY"
    if data_protection:
        masking.check(params["policyDocument"])
    now = model.now_ms()

    def put(txn: model.Txn) -> dict[str, Any]:
        if data_protection:
            masking.check_findings_groups(txn, ctx.account_id, ctx.region, params["policyDocument"])
        return policies.put_account_policy(txn, ctx.account_id, ctx.region, params, now)

    return await ctx.app.store.run(put)


@operation("logs", "DescribeAccountPolicies")
async def describe_account_policies(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    others = [a for a in params.get("accountIdentifiers") or [] if a != ctx.account_id]
    if others:  # another account's policies: only a monitoring account sees them (no organizations here)
        return {"accountPolicies": []}
    return {"accountPolicies": await ctx.app.store.read(
        lambda t: policies.describe_account_policies(t, ctx.account_id, ctx.region, params))}


@operation("logs", "DeleteAccountPolicy")
async def delete_account_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("dryRun"):
        return {"dryRunResult": await ctx.app.store.read(lambda t: policies.delete_dry_run(t, ctx.account_id, ctx.region, params))}
    await ctx.app.store.run(lambda t: policies.delete_account_policy(t, ctx.account_id, ctx.region, params))
    return {}


# --- KMS keys, storage tier, bearer tokens --------------------------------------------------

def _kms_key(value: str) -> str:
    a = arns.try_parse(value)
    if a is None or a.service != "kms" or not a.resource.startswith("key/"):
        raise _invalid(f"Specified KMS key ARN is not valid: {value}")
    return value


def _kms_target(ctx: RequestContext, params: dict[str, Any]) -> str | None:
    """The group a KMS association names, or None for the account's query results."""
    ident = params.get("resourceIdentifier")
    if params.get("logGroupName") and ident:
        raise _invalid("logGroupName and resourceIdentifier are mutually exclusive parameters.")
    if ident:
        a = arns.try_parse(ident)
        if a is not None and a.service == "logs" and a.resource.startswith("query-result"):
            return None
        return _group({"logGroupIdentifier": ident})
    return _group(params)


@operation("logs", "AssociateKmsKey")
async def associate_kms_key(ctx: RequestContext, params: dict[str, Any]) -> None:
    key = _kms_key(params["kmsKeyId"])
    group = _kms_target(ctx, params)

    def put(txn: model.Txn) -> None:
        if group is None:
            txn.put(QUERY_RESULT_KEYS, f"{ctx.account_id}/{ctx.region}", {"kmsKeyId": key})
            return
        g = model.get_group(txn, ctx.account_id, ctx.region, group)
        g["kmsKeyId"] = key
        txn.put(GROUPS, model.group_key(ctx.account_id, ctx.region, group), g)

    await ctx.app.store.run(put)


@operation("logs", "DisassociateKmsKey")
async def disassociate_kms_key(ctx: RequestContext, params: dict[str, Any]) -> None:
    group = _kms_target(ctx, params)

    def drop(txn: model.Txn) -> None:
        if group is None:
            txn.delete(QUERY_RESULT_KEYS, f"{ctx.account_id}/{ctx.region}")
            return
        g = model.get_group(txn, ctx.account_id, ctx.region, group)
        g.pop("kmsKeyId", None)
        txn.put(GROUPS, model.group_key(ctx.account_id, ctx.region, group), g)

    await ctx.app.store.run(drop)


@operation("logs", "GetStorageTierPolicy")
async def get_storage_tier_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await ctx.app.store.read(lambda t: policies.get_storage_tier(t, ctx.account_id, ctx.region))


@operation("logs", "PutStorageTierPolicy")
async def put_storage_tier_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    now = model.now_ms()
    return await ctx.app.store.run(lambda t: policies.put_storage_tier(t, ctx.account_id, ctx.region, params["storageTier"], now))


@operation("logs", "PutBearerTokenAuthentication")
async def put_bearer_token_authentication(ctx: RequestContext, params: dict[str, Any]) -> None:
    group = _group(params, "logGroupIdentifier", "logGroupIdentifier")

    def put(txn: model.Txn) -> None:
        g = model.get_group(txn, ctx.account_id, ctx.region, group)
        g["bearerTokenAuthenticationEnabled"] = bool(params["bearerTokenAuthenticationEnabled"])
        txn.put(GROUPS, model.group_key(ctx.account_id, ctx.region, group), g)

    await ctx.app.store.run(put)


# --- listings, fields, records ----------------------------------------------------------------

def _name_pattern(pattern: str | None) -> re.Pattern[str] | None:
    if not pattern:
        return None
    try:
        return re.compile(pattern)
    except re.error:
        raise _invalid(f"Invalid logGroupNamePattern: {pattern}") from None


def _tags_match(g: dict[str, Any], filters: list[dict[str, Any]]) -> bool:
    tags = g.get("tags") or {}
    return all(f["key"] in tags and (not f.get("values") or tags[f["key"]] in f["values"]) for f in filters)


@operation("logs", "ListLogGroups")
async def list_log_groups(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    rx = _name_pattern(params.get("logGroupNamePattern"))
    klass = params.get("logGroupClass")
    tag_filters = params.get("logGroupTags") or []
    by_source_or_index = bool(params.get("dataSources") or params.get("fieldIndexNames"))

    def keep(g: dict[str, Any]) -> bool:
        if by_source_or_index:  # gureum's groups have no data source; field indexes are not kept here
            return False
        return ((rx is None or rx.search(g["logGroupName"]) is not None)
                and (not klass or g.get("logGroupClass", "STANDARD") == klass) and _tags_match(g, tag_filters))

    filters = {k: params.get(k) for k in ("logGroupNamePattern", "logGroupClass", "logGroupTags", "dataSources",
                                          "fieldIndexNames")}
    rows, token = await ctx.app.store.read(lambda t: paging.page(
        t, GROUPS, f"{ctx.account_id}/{ctx.region}/", token=params.get("nextToken"), limit=params.get("limit"),
        default_limit=50, max_limit=1000, keep=keep, filters=filters,
        error=lambda: _invalid("The specified nextToken is invalid.")))
    groups = [{"logGroupName": g["logGroupName"], "logGroupArn": g["logGroupArn"],
               "logGroupClass": g.get("logGroupClass", "STANDARD")} for _, g in rows]
    return {"logGroups": groups, **({"nextToken": token} if token else {})}


@operation("logs", "ListAggregateLogGroupSummaries")
async def list_aggregate_log_group_summaries(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Log groups counted by their data source (name, type and, with
    DATA_SOURCE_NAME_TYPE_AND_FORMAT, format). A group has a data source when a vended-logs
    delivery created it; gureum's groups (CreateLogGroup, Lambda, ECS) have none, and AWS
    counts no group without one, so they appear in no summary."""
    rx = _name_pattern(params.get("logGroupNamePattern"))
    klass = params.get("logGroupClass")
    with_format = params["groupBy"] == "DATA_SOURCE_NAME_TYPE_AND_FORMAT"
    wanted = params.get("dataSources") or []

    def count(txn: model.Txn) -> dict[tuple[str, ...], int]:
        out: dict[tuple[str, ...], int] = {}
        for _, g in txn.scan(GROUPS, f"{ctx.account_id}/{ctx.region}/"):
            src = g.get("dataSource")
            if not src or (rx is not None and rx.search(g["logGroupName"]) is None):
                continue
            if klass and g.get("logGroupClass", "STANDARD") != klass:
                continue
            if wanted and not any((not w.get("name") or w["name"] == src.get("name"))
                                  and (not w.get("type") or w["type"] == src.get("type")) for w in wanted):
                continue
            k = (src.get("name", ""), src.get("type", "")) + ((src.get("format", ""),) if with_format else ())
            out[k] = out.get(k, 0) + 1
        return out

    counts = await ctx.app.store.read(count)
    names = ("DataSourceName", "DataSourceType", "DataSourceFormat")
    items: list[dict[str, Any]] = [
        {"logGroupCount": n, "groupingIdentifiers": [{"key": names[i], "value": v} for i, v in enumerate(k)]}
        for k, n in sorted(counts.items())]

    def by_values(s: dict[str, Any]) -> paging.Sortable:
        return tuple(g["value"] for g in s["groupingIdentifiers"])

    page, token = paging.page_items(items, by_values,
                                    listing=f"{GROUPS}/aggregate/{ctx.account_id}/{ctx.region}",
                                    token=params.get("nextToken"), limit=params.get("limit"), default_limit=50,
                                    max_limit=50, filters={"groupBy": params["groupBy"]},
                                    error=lambda: _invalid("The specified nextToken is invalid."))
    return {"aggregateLogGroupSummaries": page, **({"nextToken": token} if token else {})}


@operation("logs", "GetLogGroupFields")
async def get_log_group_fields(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    group = _group(params)
    now = model.now_ms()
    fields = await ctx.app.store.read(lambda t: records.group_fields(t, ctx.account_id, ctx.region, group, params.get("time"), now))
    return {"logGroupFields": fields}


@operation("logs", "GetLogRecord")
async def get_log_record(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    ptr, unmask = params["logRecordPointer"], bool(params.get("unmask"))
    if unmask:
        group = await ctx.app.store.read(lambda t: records.group_of(t, ctx.account_id, ctx.region, ptr))
        await masking.authorize_unmask(ctx, group)
    return {"logRecord": await ctx.app.store.read(lambda t: records.get_record(t, ctx.account_id, ctx.region, ptr, unmask))}


@operation("logs", "GetLogFields")
async def get_log_fields(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Fields of a vended data source (name and type): gureum has none, so every data
    source named is one that does not exist."""
    raise AwsError.modeled("logs", "ResourceNotFoundException",
                           f"Data source {params['dataSourceName']} of type {params['dataSourceType']} does not exist.")


@operation("logs", "GetLogObject")
async def get_log_object(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """A large log object: only events ingested through the OpenTelemetry endpoint
    (PutOpenTelemetryLogs) have them, which gureum does not serve, so no pointer names one."""
    raise AwsError.modeled("logs", "ResourceNotFoundException", "The specified log object does not exist.")
