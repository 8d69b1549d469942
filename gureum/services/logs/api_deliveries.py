"""Vended-log delivery handlers (json protocol): delivery sources, destinations and their
policies, deliveries and configuration templates, over deliveries.py."""

from __future__ import annotations

from typing import Any

from gureum.aws.dispatch import RequestContext, operation
from gureum.services.logs import deliveries


def _paged(key: str, items: list[dict[str, Any]], nxt: str | None) -> dict[str, Any]:
    return {key: items, **({"nextToken": nxt} if nxt else {})}


@operation("logs", "PutDeliverySource")
async def put_delivery_source(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = await ctx.app.store.run(lambda t: deliveries.put_source(t, ctx.account_id, ctx.region, params))
    return {"deliverySource": {**doc, "status": "ACTIVE"}}


@operation("logs", "GetDeliverySource")
async def get_delivery_source(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"deliverySource": await ctx.app.store.read(lambda t: deliveries.get_source(t, ctx.account_id, ctx.region, params["name"]))}


@operation("logs", "DescribeDeliverySources")
async def describe_delivery_sources(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return _paged("deliverySources", *await ctx.app.store.read(
        lambda t: deliveries.describe_sources(t, ctx.account_id, ctx.region, params)))


@operation("logs", "DeleteDeliverySource")
async def delete_delivery_source(ctx: RequestContext, params: dict[str, Any]) -> None:
    await ctx.app.store.run(lambda t: deliveries.delete_source(t, ctx.account_id, ctx.region, params["name"]))


@operation("logs", "PutDeliveryDestination")
async def put_delivery_destination(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"deliveryDestination": await ctx.app.store.run(
        lambda t: deliveries.put_destination(t, ctx.account_id, ctx.region, params))}


@operation("logs", "GetDeliveryDestination")
async def get_delivery_destination(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"deliveryDestination": await ctx.app.store.read(
        lambda t: deliveries.get_destination(t, ctx.account_id, ctx.region, params["name"]))}


@operation("logs", "DescribeDeliveryDestinations")
async def describe_delivery_destinations(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return _paged("deliveryDestinations", *await ctx.app.store.read(
        lambda t: deliveries.describe_destinations(t, ctx.account_id, ctx.region, params)))


@operation("logs", "DeleteDeliveryDestination")
async def delete_delivery_destination(ctx: RequestContext, params: dict[str, Any]) -> None:
    await ctx.app.store.run(lambda t: deliveries.delete_destination(t, ctx.account_id, ctx.region, params["name"]))


@operation("logs", "PutDeliveryDestinationPolicy")
async def put_delivery_destination_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"policy": await ctx.app.store.run(lambda t: deliveries.put_destination_policy(
        t, ctx.account_id, ctx.region, params["deliveryDestinationName"], params["deliveryDestinationPolicy"]))}


@operation("logs", "GetDeliveryDestinationPolicy")
async def get_delivery_destination_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"policy": await ctx.app.store.read(lambda t: deliveries.get_destination_policy(
        t, ctx.account_id, ctx.region, params["deliveryDestinationName"]))}


@operation("logs", "DeleteDeliveryDestinationPolicy")
async def delete_delivery_destination_policy(ctx: RequestContext, params: dict[str, Any]) -> None:
    await ctx.app.store.run(lambda t: deliveries.delete_destination_policy(
        t, ctx.account_id, ctx.region, params["deliveryDestinationName"]))


@operation("logs", "CreateDelivery")
async def create_delivery(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"delivery": await ctx.app.store.run(lambda t: deliveries.create(t, ctx.account_id, ctx.region, params))}


@operation("logs", "GetDelivery")
async def get_delivery(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"delivery": await ctx.app.store.read(lambda t: deliveries.get(t, ctx.account_id, ctx.region, params["id"]))}


@operation("logs", "DescribeDeliveries")
async def describe_deliveries(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return _paged("deliveries", *await ctx.app.store.read(lambda t: deliveries.describe(t, ctx.account_id, ctx.region, params)))


@operation("logs", "UpdateDeliveryConfiguration")
async def update_delivery_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: deliveries.update_configuration(t, ctx.account_id, ctx.region, params))
    return {}


@operation("logs", "DeleteDelivery")
async def delete_delivery(ctx: RequestContext, params: dict[str, Any]) -> None:
    await ctx.app.store.run(lambda t: deliveries.delete(t, ctx.account_id, ctx.region, params["id"]))


@operation("logs", "DescribeConfigurationTemplates")
async def describe_configuration_templates(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return _paged("configurationTemplates", *deliveries.templates(params))
