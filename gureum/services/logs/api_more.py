"""Handlers (json protocol) for field index policies, anomaly detectors, lookup tables,
scheduled queries and the account-level switches, over their model modules."""

from __future__ import annotations

from typing import Any

from gureum.aws.dispatch import RequestContext, operation
from gureum.services.logs import anomalies, field_indexes, lookup_tables, scheduled_queries
from gureum.services.logs.api_transformers import group_of


def _paged(key: str, items: list[dict[str, Any]], nxt: str | None, token: str = "nextToken") -> dict[str, Any]:
    return {key: items, **({token: nxt} if nxt else {})}


# --- field index policies ---------------------------------------------------------------------------


@operation("logs", "PutIndexPolicy")
async def put_index_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    ident = params["logGroupIdentifier"]
    return {"indexPolicy": await ctx.app.store.run(lambda t: field_indexes.put(
        t, ctx.account_id, ctx.region, group_of(ident), ident, params["policyDocument"]))}


@operation("logs", "DescribeIndexPolicies")
async def describe_index_policies(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    groups = [(i, group_of(i)) for i in params["logGroupIdentifiers"]]
    return {"indexPolicies": await ctx.app.store.read(lambda t: field_indexes.describe(t, ctx.account_id, ctx.region, groups))}


@operation("logs", "DeleteIndexPolicy")
async def delete_index_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: field_indexes.delete(t, ctx.account_id, ctx.region, group_of(params["logGroupIdentifier"])))
    return {}


@operation("logs", "DescribeFieldIndexes")
async def describe_field_indexes(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    groups = [(i, group_of(i)) for i in params["logGroupIdentifiers"]]
    return _paged("fieldIndexes", *await ctx.app.store.read(lambda t: field_indexes.field_indexes(
        t, ctx.account_id, ctx.region, groups, params.get("indexCategories"), params.get("nextToken"))))


# --- anomaly detectors ------------------------------------------------------------------------------


@operation("logs", "CreateLogAnomalyDetector")
async def create_log_anomaly_detector(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"anomalyDetectorArn": await ctx.app.store.run(lambda t: anomalies.create(t, ctx.account_id, ctx.region, params))}


@operation("logs", "GetLogAnomalyDetector")
async def get_log_anomaly_detector(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = await ctx.app.store.run(lambda t: anomalies.get(t, ctx.account_id, ctx.region, params["anomalyDetectorArn"]))
    return {k: v for k, v in doc.items() if k != "anomalyDetectorArn"}  # GetLogAnomalyDetector's output has no ARN


@operation("logs", "ListLogAnomalyDetectors")
async def list_log_anomaly_detectors(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return _paged("anomalyDetectors", *await ctx.app.store.read(
        lambda t: anomalies.list_detectors(t, ctx.account_id, ctx.region, params)))


@operation("logs", "UpdateLogAnomalyDetector")
async def update_log_anomaly_detector(ctx: RequestContext, params: dict[str, Any]) -> None:
    await ctx.app.store.run(lambda t: anomalies.update(t, ctx.account_id, ctx.region, params))


@operation("logs", "DeleteLogAnomalyDetector")
async def delete_log_anomaly_detector(ctx: RequestContext, params: dict[str, Any]) -> None:
    await ctx.app.store.run(lambda t: anomalies.delete(t, ctx.account_id, ctx.region, params["anomalyDetectorArn"]))


@operation("logs", "ListAnomalies")
async def list_anomalies(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return _paged("anomalies", *await ctx.app.store.run(lambda t: anomalies.list_anomalies(t, ctx.account_id, ctx.region, params)))


@operation("logs", "UpdateAnomaly")
async def update_anomaly(ctx: RequestContext, params: dict[str, Any]) -> None:
    await ctx.app.store.run(lambda t: anomalies.update_anomaly(t, ctx.account_id, ctx.region, params))


# --- lookup tables -----------------------------------------------------------------------------------


@operation("logs", "CreateLookupTable")
async def create_lookup_table(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = await ctx.app.store.run(lambda t: lookup_tables.create(t, ctx.account_id, ctx.region, params))
    return {"lookupTableArn": doc["lookupTableArn"], "createdAt": doc["createdAt"]}


@operation("logs", "GetLookupTable")
async def get_lookup_table(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await ctx.app.store.read(lambda t: lookup_tables.get(t, ctx.account_id, ctx.region, params["lookupTableArn"]))


@operation("logs", "DescribeLookupTables")
async def describe_lookup_tables(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return _paged("lookupTables", *await ctx.app.store.read(lambda t: lookup_tables.describe(t, ctx.account_id, ctx.region, params)))


@operation("logs", "UpdateLookupTable")
async def update_lookup_table(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = await ctx.app.store.run(lambda t: lookup_tables.update(t, ctx.account_id, ctx.region, params))
    return {"lookupTableArn": doc["lookupTableArn"], "lastUpdatedTime": doc["lastUpdatedTime"]}


@operation("logs", "DeleteLookupTable")
async def delete_lookup_table(ctx: RequestContext, params: dict[str, Any]) -> None:
    await ctx.app.store.run(lambda t: lookup_tables.delete(t, ctx.account_id, ctx.region, params["lookupTableArn"]))


# --- scheduled queries -------------------------------------------------------------------------------


@operation("logs", "CreateScheduledQuery")
async def create_scheduled_query(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await ctx.app.store.run(lambda t: scheduled_queries.create(t, ctx.account_id, ctx.region, params))


@operation("logs", "GetScheduledQuery")
async def get_scheduled_query(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await ctx.app.store.read(lambda t: scheduled_queries.get(t, ctx.account_id, ctx.region, params["identifier"]))


@operation("logs", "ListScheduledQueries")
async def list_scheduled_queries(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return _paged("scheduledQueries", *await ctx.app.store.read(
        lambda t: scheduled_queries.list_all(t, ctx.account_id, ctx.region, params)))


@operation("logs", "UpdateScheduledQuery")
async def update_scheduled_query(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await ctx.app.store.run(lambda t: scheduled_queries.update(t, ctx.account_id, ctx.region, params))


@operation("logs", "DeleteScheduledQuery")
async def delete_scheduled_query(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: scheduled_queries.delete(t, ctx.account_id, ctx.region, params["identifier"]))
    return {}


@operation("logs", "GetScheduledQueryHistory")
async def get_scheduled_query_history(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await ctx.app.store.read(lambda t: scheduled_queries.history(t, ctx.account_id, ctx.region, params))
