"""SES's event destination and contact list types, made by the sesv2 service's own handlers:
AWS::SES::ConfigurationSetEventDestination (Ref and Id: the destination's name; its
EventDestination changes in place through UpdateConfigurationSetEventDestination, a new
destination name makes the new destination and deletes the old one, since SES cannot rename
one; a new ConfigurationSetName replaces it) and AWS::SES::ContactList (Ref: its name; Topics
and Description change in place through UpdateContactList; a new name replaces it, tags are
set at create only: sesv2's TagResource is not served yet)."""

from __future__ import annotations

import re
from typing import Any

from gureum.services.cloudformation.providers.base import (
    Done,
    ResourceContext,
    ResourceFailed,
    deleting,
    ignore_missing,
    provider,
    refuse_unapplied,
    updating,
)
from gureum.services.cloudformation.providers.shapes import coerce

EVENT_DESTINATION = "AWS::SES::ConfigurationSetEventDestination"
_DESTINATION_KEYS = ("Name", "Enabled", "MatchingEventTypes", "CloudWatchDestination", "SnsDestination",
                     "KinesisFirehoseDestination", "EventBridgeDestination")


def _event_type(text: str) -> str:
    """The template's "renderingFailure" (v1's spelling) as sesv2's RENDERING_FAILURE."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", text).upper() if not text.isupper() else text


def _definition(dest: dict[str, Any]) -> dict[str, Any]:
    refuse_unapplied(f"{EVENT_DESTINATION} EventDestination", dest, _DESTINATION_KEYS)
    out: dict[str, Any] = {"Enabled": bool(dest.get("Enabled", False)),
                           "MatchingEventTypes": [_event_type(str(t)) for t in dest.get("MatchingEventTypes") or []]}
    if dest.get("SnsDestination") is not None:
        out["SnsDestination"] = {"TopicArn": dest["SnsDestination"].get("TopicARN")}
    if dest.get("CloudWatchDestination") is not None:
        out["CloudWatchDestination"] = {"DimensionConfigurations": [
            {**c, "DimensionValueSource": _event_type(str(c.get("DimensionValueSource") or ""))}
            for c in dest["CloudWatchDestination"].get("DimensionConfigurations") or []]}
    if dest.get("KinesisFirehoseDestination") is not None:
        f = dest["KinesisFirehoseDestination"]
        out["KinesisFirehoseDestination"] = {"IamRoleArn": f.get("IAMRoleARN"), "DeliveryStreamArn": f.get("DeliveryStreamARN")}
    if dest.get("EventBridgeDestination") is not None:
        out["EventBridgeDestination"] = dest["EventBridgeDestination"]
    return out


async def _put(ctx: ResourceContext, operation: str, cs: str, name: str, dest: dict[str, Any]) -> None:
    params = {"ConfigurationSetName": cs, "EventDestinationName": name, "EventDestination": _definition(dest)}
    await ctx.call("sesv2", operation, coerce("sesv2", operation, params))


@provider(EVENT_DESTINATION)
async def create_event_destination(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(EVENT_DESTINATION, props, ("ConfigurationSetName", "EventDestination"))
    dest = dict(props.get("EventDestination") or {})
    name = str(dest.get("Name") or ctx.name(64))
    await _put(ctx, "CreateConfigurationSetEventDestination", str(props["ConfigurationSetName"]), name, dest)
    return Done(name, {"Id": name})


@updating(EVENT_DESTINATION)
async def update_event_destination(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                   done: Done) -> Done:
    refuse_unapplied(EVENT_DESTINATION, new, ("ConfigurationSetName", "EventDestination"))
    cs = str(new["ConfigurationSetName"])
    dest = dict(new.get("EventDestination") or {})
    name = str(dest.get("Name") or physical)
    if name == physical:
        await _put(ctx, "UpdateConfigurationSetEventDestination", cs, name, dest)
        return done
    await _put(ctx, "CreateConfigurationSetEventDestination", cs, name, dest)
    await ignore_missing(ctx.call("sesv2", "DeleteConfigurationSetEventDestination", {
        "ConfigurationSetName": cs, "EventDestinationName": physical}), "NotFound")
    return Done(name, {"Id": name})


@deleting(EVENT_DESTINATION)
async def delete_event_destination(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await ignore_missing(ctx.call("sesv2", "DeleteConfigurationSetEventDestination", {
        "ConfigurationSetName": props["ConfigurationSetName"], "EventDestinationName": physical}), "NotFound")


# --- contact lists ---------------------------------------------------------------------------

@provider("AWS::SES::ContactList")
async def create_contact_list(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::SES::ContactList", props, ("ContactListName", "Description", "Topics", "Tags"))
    name = str(props.get("ContactListName") or ctx.name(64))
    params: dict[str, Any] = {"ContactListName": name, "Topics": list(props.get("Topics") or [])}
    if props.get("Description") is not None:
        params["Description"] = props["Description"]
    tag_list = ctx.tag_list(props)
    if tag_list:
        params["Tags"] = tag_list
    await ctx.call("sesv2", "CreateContactList", coerce("sesv2", "CreateContactList", params))
    return Done(name)


@updating("AWS::SES::ContactList")
async def update_contact_list(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                              done: Done) -> Done:
    refuse_unapplied("AWS::SES::ContactList", new, ("ContactListName", "Description", "Topics", "Tags"))
    if old.get("Tags") != new.get("Tags"):
        live = await ctx.call("sesv2", "GetContactList", {"ContactListName": physical})
        if sorted((t["Key"], t["Value"]) for t in live.get("Tags") or []) != \
                sorted((t["Key"], t["Value"]) for t in ctx.tag_list(new)):
            raise ResourceFailed("gureum does not update Tags of AWS::SES::ContactList in place yet")
    params: dict[str, Any] = {"ContactListName": physical, "Topics": list(new.get("Topics") or [])}
    if new.get("Description") is not None:
        params["Description"] = new["Description"]
    await ctx.call("sesv2", "UpdateContactList", coerce("sesv2", "UpdateContactList", params))
    return done


@deleting("AWS::SES::ContactList")
async def delete_contact_list(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await ignore_missing(ctx.call("sesv2", "DeleteContactList", {"ContactListName": physical}), "NotFound")
