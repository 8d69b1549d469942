"""CloudWatch Logs handlers for metric filters, subscription filters and destinations: thin
over metric_filters.py, subscriptions.py and destinations.py."""

from __future__ import annotations

import logging
from typing import Any

from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.ports import FUNCTIONS, port
from gureum.services.logs import destinations, metric_filters, model, subscriptions

log = logging.getLogger("gureum.logs")


def _page(key: str, items: list[dict[str, Any]], token: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {key: items}
    if token:
        out["nextToken"] = token
    return out


@operation("logs", "PutMetricFilter")
async def put_metric_filter(ctx: RequestContext, params: dict[str, Any]) -> None:
    now = model.now_ms()
    await ctx.app.store.run(lambda t: metric_filters.put(t, ctx.account_id, ctx.region, params, now))


@operation("logs", "DeleteMetricFilter")
async def delete_metric_filter(ctx: RequestContext, params: dict[str, Any]) -> None:
    await ctx.app.store.run(lambda t: metric_filters.delete(t, ctx.account_id, ctx.region, params["logGroupName"],
                                                             params["filterName"]))


@operation("logs", "DescribeMetricFilters")
async def describe_metric_filters(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    items, token = await ctx.app.store.read(lambda t: metric_filters.describe(t, ctx.account_id, ctx.region, params))
    return _page("metricFilters", items, token)


@operation("logs", "TestMetricFilter")
async def test_metric_filter(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"matches": metric_filters.test(params["filterPattern"], params["logEventMessages"])}


@operation("logs", "PutSubscriptionFilter")
async def put_subscription_filter(ctx: RequestContext, params: dict[str, Any]) -> None:
    group = params["logGroupName"]
    await ctx.app.store.read(lambda t: model.get_group(t, ctx.account_id, ctx.region, group))
    target = await subscriptions.check_destination(ctx.app, ctx.account_id, ctx.region, group, params["destinationArn"])
    now = model.now_ms()
    await ctx.app.store.run(lambda t: subscriptions.put(t, ctx.account_id, ctx.region, params, now))
    try:
        await port(ctx.app, FUNCTIONS).invoke_async(target, subscriptions.control_message(ctx.account_id))
    except AwsError as e:  # the function went away since the check: the filter stays, as AWS's would
        log.warning("subscription control message to %s not sent: %s", target, e)


@operation("logs", "DeleteSubscriptionFilter")
async def delete_subscription_filter(ctx: RequestContext, params: dict[str, Any]) -> None:
    await ctx.app.store.run(lambda t: subscriptions.delete(t, ctx.account_id, ctx.region, params["logGroupName"],
                                                            params["filterName"]))


@operation("logs", "DescribeSubscriptionFilters")
async def describe_subscription_filters(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    items, token = await ctx.app.store.read(lambda t: subscriptions.describe(t, ctx.account_id, ctx.region, params))
    return _page("subscriptionFilters", items, token)


@operation("logs", "PutDestination")
async def put_destination(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    now = model.now_ms()
    return {"destination": await ctx.app.store.run(lambda t: destinations.put(t, ctx.account_id, ctx.region, params, now))}


@operation("logs", "PutDestinationPolicy")
async def put_destination_policy(ctx: RequestContext, params: dict[str, Any]) -> None:
    await ctx.app.store.run(lambda t: destinations.put_policy(t, ctx.account_id, ctx.region, params["destinationName"],
                                                              params["accessPolicy"]))


@operation("logs", "DeleteDestination")
async def delete_destination(ctx: RequestContext, params: dict[str, Any]) -> None:
    await ctx.app.store.run(lambda t: destinations.delete(t, ctx.account_id, ctx.region, params["destinationName"]))


@operation("logs", "DescribeDestinations")
async def describe_destinations(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    items, token = await ctx.app.store.read(lambda t: destinations.describe(t, ctx.account_id, ctx.region, params))
    return _page("destinations", items, token)
