"""CloudWatch handlers: read the parameters, run one model function, shape the answer."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from gureum.aws import paging, tags
from gureum.aws.dispatch import Handler, RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.cloudwatch import alarms, dashboards, evaluator, metrics, query, tagging
from gureum.store import Txn


def cw(name: str) -> Callable[[Handler], Handler]:
    return operation("cloudwatch", name)


def _next(token: str | None) -> dict[str, Any]:
    return {"NextToken": token} if token else {}


# --- metrics ---------------------------------------------------------------------------------

@cw("PutMetricData")
async def put_metric_data(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    now = time.time()
    data = params.get("MetricData") or []
    if not data and not params.get("EntityMetricData"):
        raise AwsError.modeled("cloudwatch", "MissingParameter", "The parameter MetricData is required.")
    metrics.check_put(params["Namespace"], data, now)
    await ctx.app.store.run(lambda t: metrics.put(t, ctx.account_id, ctx.region, params["Namespace"], data, now))
    return {}


@cw("GetMetricStatistics")
async def get_metric_statistics(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    points = await ctx.app.store.read(lambda t: query.get_statistics(t, ctx.account_id, ctx.region, params))
    return {"Label": params["MetricName"], "Datapoints": points}


@cw("GetMetricData")
async def get_metric_data(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await ctx.app.store.read(lambda t: query.get_metric_data(t, ctx.account_id, ctx.region, params))


@cw("ListMetrics")
async def list_metrics(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    now = time.time()
    recent = params.get("RecentlyActive")

    def keep(doc: dict[str, Any]) -> bool:
        if params.get("MetricName") and doc["MetricName"] != params["MetricName"]:
            return False
        if recent and doc.get("last", 0) < now - metrics.RECENTLY_ACTIVE:
            return False
        if doc.get("last", 0) < now - metrics.LISTED_FOR:  # AWS lists a metric two weeks past its last datapoint
            return False
        return metrics.dims_match(doc, params.get("Dimensions"))

    prefix = f"{ctx.account_id}/{ctx.region}/"
    if params.get("Namespace"):
        prefix += params["Namespace"] + "\x1f" + (params["MetricName"] + "\x1f" if params.get("MetricName") else "")

    def txn(t: Txn) -> tuple[list[tuple[str, dict[str, Any]]], str | None]:
        return paging.page(t, metrics.METRICS, prefix, token=params.get("NextToken"), limit=None, default_limit=500,
                           keep=keep, filters={k: params.get(k) for k in ("Namespace", "MetricName", "Dimensions",
                                                                         "RecentlyActive")},
                           error=lambda: AwsError.modeled("cloudwatch", "InvalidNextToken",
                                                          "The specified NextToken is not valid."))

    rows, nxt = await ctx.app.store.read(txn)
    out = [{"Namespace": d["Namespace"], "MetricName": d["MetricName"], "Dimensions": d["Dimensions"]} for _, d in rows]
    return {"Metrics": out, **_next(nxt)}


# --- dashboards ------------------------------------------------------------------------------

@cw("PutDashboard")
async def put_dashboard(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    now = time.time()
    await ctx.app.store.run(lambda t: dashboards.put(t, ctx.account_id, params["DashboardName"], params["DashboardBody"], now))
    return {"DashboardValidationMessages": []}


@cw("GetDashboard")
async def get_dashboard(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    d = await ctx.app.store.read(lambda t: dashboards.get(t, ctx.account_id, params["DashboardName"]))
    return {k: d[k] for k in ("DashboardArn", "DashboardBody", "DashboardName")}


@cw("ListDashboards")
async def list_dashboards(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    rows, nxt = await ctx.app.store.read(
        lambda t: dashboards.listing(t, ctx.account_id, params.get("DashboardNamePrefix"), params.get("NextToken")))
    return {"DashboardEntries": [{"DashboardName": d["DashboardName"], "DashboardArn": d["DashboardArn"],
                                  "LastModified": datetime.fromtimestamp(d["LastModified"], UTC), "Size": d["Size"]}
                                 for d in rows], **_next(nxt)}


@cw("DeleteDashboards")
async def delete_dashboards(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: dashboards.delete(t, ctx.account_id, params["DashboardNames"]))
    return {}


# --- alarms ----------------------------------------------------------------------------------

@cw("PutMetricAlarm")
async def put_metric_alarm(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    now = time.time()
    await ctx.app.store.run(lambda t: alarms.put_metric_alarm(t, ctx.account_id, ctx.region, params, now))
    return {}


@cw("PutCompositeAlarm")
async def put_composite_alarm(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    now = time.time()
    await ctx.app.store.run(lambda t: alarms.put_composite_alarm(t, ctx.account_id, ctx.region, params, now))
    return {}


@cw("DescribeAlarms")
async def describe_alarms(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    docs, nxt = await ctx.app.store.read(lambda t: alarms.describe(t, ctx.account_id, ctx.region, params))
    return {"MetricAlarms": [alarms.view(d) for d in docs if d["kind"] == "metric"],
            "CompositeAlarms": [alarms.view(d) for d in docs if d["kind"] == "composite"], **_next(nxt)}


@cw("DescribeAlarmsForMetric")
async def describe_alarms_for_metric(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    docs = await ctx.app.store.read(lambda t: alarms.for_metric(t, ctx.account_id, ctx.region, params))
    return {"MetricAlarms": [alarms.view(d) for d in docs]}


@cw("DeleteAlarms")
async def delete_alarms(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: alarms.delete(t, ctx.account_id, ctx.region, params["AlarmNames"]))
    return {}


@cw("SetAlarmState")
async def set_alarm_state(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    now = time.time()
    note = await ctx.app.store.run(lambda t: alarms.set_state(t, ctx.account_id, ctx.region, params, now))
    if note:
        await evaluator.announce(ctx.app, note)
    return {}


@cw("EnableAlarmActions")
async def enable_alarm_actions(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: alarms.set_actions(t, ctx.account_id, ctx.region, params["AlarmNames"], True))
    return {}


@cw("DisableAlarmActions")
async def disable_alarm_actions(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: alarms.set_actions(t, ctx.account_id, ctx.region, params["AlarmNames"], False))
    return {}


@cw("DescribeAlarmHistory")
async def describe_alarm_history(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    items, nxt = await ctx.app.store.read(lambda t: alarms.history(t, ctx.account_id, ctx.region, params))
    return {"AlarmHistoryItems": items, **_next(nxt)}


# --- tags ------------------------------------------------------------------------------------

@cw("TagResource")
async def tag_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    place = tagging.place(ctx.account_id, ctx.region, params["ResourceARN"])
    await ctx.app.store.run(lambda t: tags.tag(t, place, tags.from_pairs(params["Tags"]), alarms.TAG_RULES))
    return {}


@cw("UntagResource")
async def untag_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    place = tagging.place(ctx.account_id, ctx.region, params["ResourceARN"])
    await ctx.app.store.run(lambda t: tags.untag(t, place, params["TagKeys"], alarms.TAG_RULES))
    return {}


@cw("ListTagsForResource")
async def list_tags_for_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    place = tagging.place(ctx.account_id, ctx.region, params["ResourceARN"])
    found = await ctx.app.store.read(lambda t: tags.list_tags(t, place))
    return {"Tags": tags.to_pairs(found)}
