"""Event destination handlers of both APIs: v1 Create/Update/DeleteConfigurationSetEventDestination
(DescribeConfigurationSet lists them, api_v1.py) and v2 Create/Update/Delete/
GetConfigurationSetEventDestination(s), over event_destinations.py; the SNS topic must exist
(checked through the topics port) as AWS checks it."""

from __future__ import annotations

from typing import Any

from gureum.aws.dispatch import RequestContext, operation
from gureum.ports import TOPICS, port
from gureum.services.ses import configsets
from gureum.services.ses import event_destinations as dests
from gureum.store import Txn


async def _checked(ctx: RequestContext, doc: dict[str, Any], service: str, cs: str) -> dict[str, Any]:
    dests.check(doc, service, cs)
    sns = doc.get("SnsDestination")
    if sns is not None:
        arn = sns["TopicArn"]
        if not await port(ctx.app, TOPICS).exists(arn):
            raise dests.invalid("SNS", f"SNS topic <{arn}> not found.", service, cs, doc["Name"])
    return doc


# --- v1 ---------------------------------------------------------------------------------------

@operation("ses", "CreateConfigurationSetEventDestination")
async def create_configuration_set_event_destination(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    cs = params["ConfigurationSetName"]
    doc = await _checked(ctx, dests.from_v1(params["EventDestination"]), "ses", cs)
    await ctx.app.store.run(lambda t: dests.create(t, ctx.account_id, ctx.region, cs, doc, "ses"))
    return {}


@operation("ses", "UpdateConfigurationSetEventDestination")
async def update_configuration_set_event_destination(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    cs = params["ConfigurationSetName"]
    doc = await _checked(ctx, dests.from_v1(params["EventDestination"]), "ses", cs)
    await ctx.app.store.run(lambda t: dests.update(t, ctx.account_id, ctx.region, cs, doc, "ses"))
    return {}


@operation("ses", "DeleteConfigurationSetEventDestination")
async def delete_configuration_set_event_destination(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    cs, name = params["ConfigurationSetName"], params["EventDestinationName"]
    await ctx.app.store.run(lambda t: dests.delete(t, ctx.account_id, ctx.region, cs, name, "ses"))
    return {}


# --- v2 ---------------------------------------------------------------------------------------

def _v2_doc(params: dict[str, Any]) -> dict[str, Any]:
    definition = params.get("EventDestination") or {}
    return {**{k: v for k, v in definition.items() if v is not None}, "Name": params["EventDestinationName"],
            "Enabled": bool(definition.get("Enabled", False)),
            "MatchingEventTypes": list(definition.get("MatchingEventTypes") or [])}


@operation("sesv2", "CreateConfigurationSetEventDestination")
async def create_configuration_set_event_destination_v2(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    cs = params["ConfigurationSetName"]
    doc = await _checked(ctx, _v2_doc(params), "sesv2", cs)
    await ctx.app.store.run(lambda t: dests.create(t, ctx.account_id, ctx.region, cs, doc, "sesv2"))
    return {}


@operation("sesv2", "UpdateConfigurationSetEventDestination")
async def update_configuration_set_event_destination_v2(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    cs = params["ConfigurationSetName"]
    doc = await _checked(ctx, _v2_doc(params), "sesv2", cs)
    await ctx.app.store.run(lambda t: dests.update(t, ctx.account_id, ctx.region, cs, doc, "sesv2"))
    return {}


@operation("sesv2", "DeleteConfigurationSetEventDestination")
async def delete_configuration_set_event_destination_v2(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    cs, name = params["ConfigurationSetName"], params["EventDestinationName"]
    await ctx.app.store.run(lambda t: dests.delete(t, ctx.account_id, ctx.region, cs, name, "sesv2"))
    return {}


@operation("sesv2", "GetConfigurationSetEventDestinations")
async def get_configuration_set_event_destinations(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    cs = params["ConfigurationSetName"]

    def run(t: Txn) -> list[dict[str, Any]]:
        configsets.get(t, ctx.account_id, ctx.region, cs, "sesv2")
        return dests.listing(t, ctx.account_id, ctx.region, cs)

    return {"EventDestinations": [dests.to_v2(d) for d in await ctx.app.store.read(run)]}
