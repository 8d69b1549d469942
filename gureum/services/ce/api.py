"""Cost Explorer handlers: read the ledger's line items (model.py), run the query engine
(query.py, with the account's cost categories: categories.py) or the forecast (forecast.py),
shape the answer. Cost category definitions: api_categories.py."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.billing import filters, pricing
from gureum.billing.line_items import LineItem
from gureum.node_settings import BillingSettings
from gureum.services.ce import categories, forecast, model, query
from gureum.store import Txn

FORECAST_METRICS = {
    "AMORTIZED_COST": "cost", "BLENDED_COST": "cost", "NET_AMORTIZED_COST": "cost", "NET_UNBLENDED_COST": "cost",
    "UNBLENDED_COST": "cost", "USAGE_QUANTITY": "quantity", "NORMALIZED_USAGE_AMOUNT": "quantity",
}  # fmt: skip


def _table(ctx: RequestContext) -> pricing.PriceTable:
    return pricing.load(ctx.app.settings(BillingSettings).price_file)


def _no_token(params: dict[str, Any], key: str = "NextPageToken") -> None:
    if params.get(key):  # gureum answers in one page: it never hands out a token
        raise AwsError.modeled("ce", "InvalidNextTokenException", "The pagination token is invalid.")


async def _read(ctx: RequestContext, fn: Any) -> Any:
    await ctx.app.ledger.flush()  # this node's usage so far is in what the query reads
    return await ctx.app.store.read(fn)


def _check_metrics(metrics: list[str]) -> None:
    if not metrics:
        raise query.invalid("Metrics must not be empty")
    for m in metrics:
        if m not in query.METRICS:
            raise query.invalid(f"Metric {m} is not supported. Valid metrics are {', '.join(query.METRICS)}")


async def _cost_and_usage(ctx: RequestContext, params: dict[str, Any], resources: bool) -> dict[str, Any]:
    _no_token(params)
    granularity = params["Granularity"]
    start, end = query.period(params["TimePeriod"], granularity, datetime.now(UTC))
    metrics = list(params.get("Metrics") or ([] if not resources else ["UnblendedCost"]))
    _check_metrics(metrics)
    group_by = list(params.get("GroupBy") or [])
    dims = query.GROUP_DIMENSIONS | ({"RESOURCE_ID"} if resources else set())
    query.check_group_by(group_by, frozenset(dims))
    flt = params.get("Filter")
    if flt is not None:
        query.check_filter(flt)
    if resources:
        if granularity == "MONTHLY":
            raise query.invalid("Granularity MONTHLY is not supported for resource-level data. Valid values are DAILY and HOURLY.")
        oldest = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=14)
        if start < oldest:
            raise query.invalid(f"Start date {params['TimePeriod']['Start']} is before the earliest date with resource-level data (14 days ago: {oldest:%Y-%m-%d})")
    table = _table(ctx)
    free = ctx.app.settings(BillingSettings).lambda_free_tier

    def read(t: Txn) -> list[dict[str, Any]]:
        items = model.items(t, table, ctx.account_id, start.timestamp(), free)
        tags_of = model.active_tags_of(t, ctx.account_id, items)
        defined = categories.list_all(t, ctx.account_id)
        categories_of = categories.values_of(defined, tags_of) if defined else None
        return query.results(items, start, end, granularity, metrics, group_by, flt, tags_of, time.time(), categories_of)

    out: dict[str, Any] = {"ResultsByTime": await _read(ctx, read), "DimensionValueAttributes": []}
    if group_by:
        out["GroupDefinitions"] = [{"Type": g["Type"], "Key": g["Key"]} for g in group_by]
    return out


@operation("ce", "GetCostAndUsage")
async def get_cost_and_usage(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await _cost_and_usage(ctx, params, False)


@operation("ce", "GetCostAndUsageWithResources")
async def get_cost_and_usage_with_resources(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await _cost_and_usage(ctx, params, True)


@operation("ce", "GetDimensionValues")
async def get_dimension_values(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _no_token(params)
    dimension = params["Dimension"]
    context = params.get("Context") or "COST_AND_USAGE"
    if context != "COST_AND_USAGE" or dimension not in filters.DIMENSIONS:
        allowed = ", ".join(sorted(filters.DIMENSIONS))
        raise query.invalid(f"Dimension {dimension} is not allowed in context {context}. Allowed dimension(s): {allowed}")
    start, end = query.period(params["TimePeriod"], "DAILY", datetime.now(UTC))
    flt = params.get("Filter")
    if flt is not None:
        query.check_filter(flt)
    search = (params.get("SearchString") or "").lower()
    table = _table(ctx)
    free = ctx.app.settings(BillingSettings).lambda_free_tier

    def read(t: Txn) -> list[str]:
        items = model.items(t, table, ctx.account_id, start.timestamp(), free)
        tags_of = model.active_tags_of(t, ctx.account_id, items)
        lo, hi = start.timestamp(), end.timestamp()
        values = {filters.DIMENSIONS[dimension](i) for i in items if i.share(lo, hi) > 0 and (not flt or filters.matches(flt, i, tags_of))}
        return sorted(v for v in values if search in v.lower())

    values = await _read(ctx, read)
    limit = params.get("MaxResults") or 1000
    shown = values[:limit]
    described = dimension == "LINKED_ACCOUNT"  # an account's name: gureum's accounts have none but their ID
    return {"DimensionValues": [{"Value": v, "Attributes": {"description": v} if described else {}} for v in shown], "ReturnSize": len(shown), "TotalSize": len(values)}


@operation("ce", "GetTags")
async def get_tags(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _no_token(params)
    start, end = query.period(params["TimePeriod"], "DAILY", datetime.now(UTC))
    flt = params.get("Filter")
    if flt is not None:
        query.check_filter(flt)
    key = params.get("TagKey")
    search = (params.get("SearchString") or "").lower()
    table = _table(ctx)
    free = ctx.app.settings(BillingSettings).lambda_free_tier

    def read(t: Txn) -> list[str]:
        items = model.items(t, table, ctx.account_id, start.timestamp(), free)
        tags_of = model.active_tags_of(t, ctx.account_id, items)
        lo, hi = start.timestamp(), end.timestamp()
        found: set[str] = set()
        for i in items:
            if i.share(lo, hi) <= 0 or (flt and not filters.matches(flt, i, tags_of)):
                continue
            tags = tags_of(i)
            found |= ({tags[key]} if key in tags else set()) if key else set(tags)
        return sorted(v for v in found if search in v.lower())

    values = await _read(ctx, read)
    limit = params.get("MaxResults") or 1000
    return {"Tags": values[:limit], "ReturnSize": len(values[:limit]), "TotalSize": len(values)}


@operation("ce", "GetCostForecast")
async def get_cost_forecast(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await _forecast(ctx, params, "cost")


@operation("ce", "GetUsageForecast")
async def get_usage_forecast(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await _forecast(ctx, params, "quantity")


async def _forecast(ctx: RequestContext, params: dict[str, Any], kind: str) -> dict[str, Any]:
    metric = params["Metric"]
    if FORECAST_METRICS.get(metric) != kind:
        raise query.invalid(f"Metric {metric} is not supported for this forecast")
    granularity = params["Granularity"]
    if granularity == "HOURLY":
        raise query.invalid("Granularity HOURLY is not supported for forecasts. Valid values are DAILY and MONTHLY.")
    start, end = query.period(params["TimePeriod"], granularity)
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if start < today:
        raise query.invalid(f"Start date must be equal to or after the current date: {today:%Y-%m-%d}")
    if end > today + timedelta(days=366):
        raise query.invalid("End date must be within 12 months of the current date")
    level = int(params.get("PredictionIntervalLevel") or 80)
    flt = params.get("Filter")
    if flt is not None:
        query.check_filter(flt)
    table = _table(ctx)
    free = ctx.app.settings(BillingSettings).lambda_free_tier
    history_from = today - timedelta(days=90)

    def read(t: Txn) -> tuple[list[LineItem], Any]:
        items = model.items(t, table, ctx.account_id, history_from.timestamp(), free)
        return items, model.active_tags_of(t, ctx.account_id, items)

    items, tags_of = await _read(ctx, read)
    days = query.daily_costs(items, history_from, today + timedelta(days=1), flt, tags_of, quantity=kind == "quantity")
    first = next((n for n, v in enumerate(days) if v > 0), None)
    if first is None:
        raise AwsError.modeled("ce", "DataUnavailableException", "Insufficient amount of historical data to generate forecast.")
    line = forecast.fit(days[first:])
    origin = history_from + timedelta(days=first)
    out = []
    total = 0.0
    for a, b in query.buckets(start, end, granularity):
        mean = lower = upper = 0.0
        for day_start, _ in query.buckets(a, b, "DAILY"):
            m, lo, hi = line.predict((day_start - origin).days, level)
            mean, lower, upper = mean + m, lower + lo, upper + hi
        total += mean
        out.append({
            "TimePeriod": {"Start": query.write_time(a, False), "End": query.write_time(b, False)},
            "MeanValue": query.amount(mean), "PredictionIntervalLowerBound": query.amount(lower),
            "PredictionIntervalUpperBound": query.amount(upper),
        })  # fmt: skip
    unit = "USD" if kind == "cost" else "N/A"
    return {"Total": {"Amount": query.amount(total), "Unit": unit}, "ForecastResultsByTime": out}


@operation("ce", "ListCostAllocationTags")
async def list_cost_allocation_tags(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _no_token(params, "NextToken")
    table = _table(ctx)
    tags = await _read(ctx, lambda t: model.list_allocation_tags(t, table, ctx.account_id))
    if params.get("Status"):
        tags = [d for d in tags if d["Status"] == params["Status"]]
    if params.get("TagKeys"):
        tags = [d for d in tags if d["TagKey"] in params["TagKeys"]]
    if params.get("Type"):
        tags = [d for d in tags if d["Type"] == params["Type"]]
    return {"CostAllocationTags": tags[: params.get("MaxResults") or 100]}


@operation("ce", "UpdateCostAllocationTagsStatus")
async def update_cost_allocation_tags_status(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    entries = params["CostAllocationTagsStatus"]
    if not 1 <= len(entries) <= 20:
        raise query.invalid("CostAllocationTagsStatus must have between 1 and 20 entries")
    now = time.time()

    def write(t: Txn) -> None:
        for e in entries:
            model.set_allocation_status(t, ctx.account_id, e["TagKey"], e["Status"], now)

    await ctx.app.store.run(write)
    return {"Errors": []}
