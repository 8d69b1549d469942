"""CloudFormation's own resource types: nested stacks (AWS::CloudFormation::Stack, created,
updated and deleted through CloudFormation's own operations and waited for, with the IAM
capabilities and CAPABILITY_AUTO_EXPAND only if their parent has it), and custom
resources (AWS::CloudFormation::CustomResource and Custom::*) backed by a Lambda function or
an SNS topic: the request goes out as AWS sends it (RequestType, ResponseURL, StackId,
RequestId, LogicalResourceId, PhysicalResourceId, ResourceProperties,
OldResourceProperties) and the provider waits for the response PUT to its ResponseURL
(responses.py keeps it in the store). The ResponseURL is gureum's local address, which a
function's sandbox reaches (its namespace forwards gureum's API port).

Wait conditions: a WaitConditionHandle's Ref is a URL signals are PUT to (responses.py); a
WaitCondition waits for Count SUCCESS signals (a FAILURE fails it) within Timeout; its Data
attribute is the signals' Data by UniqueId, as JSON.

Tables: cfn_custom_responses: "{token}" -> the response document PUT to the ResponseURL;
cfn_wait_signals: "{token}" -> {"signals": {UniqueId: {"Status", "Reason", "Data"}}}."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
import uuid
from typing import Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.public import local_url
from gureum.services.cloudformation import model
from gureum.services.cloudformation.providers.base import (
    Done,
    ResourceContext,
    ResourceFailed,
    deleting,
    provider,
    updating,
)
from gureum.store import Txn

RESPONSES = "cfn_custom_responses"
RESPONSE_PATH = "/_gureum/cloudformation/responses/"
CUSTOM_TIMEOUT = 3600.0  # AWS waits an hour for a custom resource's response
POLL = 0.2
SETTLED = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "DELETE_COMPLETE")


async def _stack_status(ctx: ResourceContext, stack_id: str) -> dict[str, Any]:
    while True:
        s = (await ctx.call("cloudformation", "DescribeStacks", {"StackName": stack_id}))["Stacks"][0]
        if not s["StackStatus"].endswith("_IN_PROGRESS"):
            return dict(s)
        await asyncio.sleep(POLL)


def _nested_params(props: dict[str, Any]) -> list[dict[str, str]]:
    return [{"ParameterKey": k, "ParameterValue": ",".join(v) if isinstance(v, list) else str(v)}
            for k, v in (props.get("Parameters") or {}).items()]


def _outputs(stack: dict[str, Any]) -> dict[str, Any]:
    return {f"Outputs.{o['OutputKey']}": o["OutputValue"] for o in stack.get("Outputs") or ()}


IAM_CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"]
AUTO_EXPAND = "CAPABILITY_AUTO_EXPAND"


async def _capabilities(ctx: ResourceContext) -> list[str]:
    """What a nested stack is created or updated with: the IAM capabilities, and
    CAPABILITY_AUTO_EXPAND only when its parent has it (AWS runs the macros of a nested
    template only for a root stack created directly with that capability)."""
    parent = await ctx.app.store.read(lambda t: model.find(t, ctx.account, ctx.region, ctx.stack_id))
    given = (parent or {}).get("Capabilities") or ()
    return IAM_CAPABILITIES + ([AUTO_EXPAND] if AUTO_EXPAND in given else [])


@provider("AWS::CloudFormation::Stack")
async def create_nested(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    name = ctx.name(128)
    params: dict[str, Any] = {"StackName": name, "TemplateURL": props["TemplateURL"], "Parameters": _nested_params(props),
                              "Capabilities": await _capabilities(ctx)}
    if props.get("TimeoutInMinutes"):
        params["TimeoutInMinutes"] = int(props["TimeoutInMinutes"])
    tags = ctx.tag_list(props)
    if tags:
        params["Tags"] = tags
    sid = (await ctx.call("cloudformation", "CreateStack", params))["StackId"]
    await ctx.app.store.run(lambda t: _set_parent(t, ctx, sid))
    stack = await _stack_status(ctx, sid)
    if stack["StackStatus"] != "CREATE_COMPLETE":
        raise ResourceFailed(f"Embedded stack {sid} was not successfully created: {stack.get('StackStatusReason', '')}".strip())
    return Done(sid, _outputs(stack))


def _set_parent(t: Txn, ctx: ResourceContext, sid: str) -> None:
    """DescribeStacks' ParentId and RootId of a nested stack (the root: the parent's root, or the parent)."""
    child = model.find(t, ctx.account, ctx.region, sid)
    parent = model.find(t, ctx.account, ctx.region, ctx.stack_id)
    if child is None or parent is None:
        return
    child["ParentId"] = ctx.stack_id
    child["RootId"] = parent.get("RootId") or ctx.stack_id
    model.save(t, ctx.account, ctx.region, child)


@updating("AWS::CloudFormation::Stack")
async def update_nested(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    try:
        await ctx.call("cloudformation", "UpdateStack", {"StackName": physical, "TemplateURL": new["TemplateURL"],
                                                         "Parameters": _nested_params(new),
                                                         "Capabilities": await _capabilities(ctx)})
    except AwsError as e:
        if e.message != "No updates are to be performed.":
            raise
    stack = await _stack_status(ctx, physical)
    if stack["StackStatus"] not in SETTLED:
        raise ResourceFailed(f"Embedded stack {physical} was not successfully updated. Currently in {stack['StackStatus']}.")
    return Done(physical, _outputs(stack))


@deleting("AWS::CloudFormation::Stack")
async def delete_nested(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await ctx.call("cloudformation", "DeleteStack", {"StackName": physical})
    stack = await _stack_status(ctx, physical)
    if stack["StackStatus"] != "DELETE_COMPLETE":
        raise ResourceFailed(f"Embedded stack {physical} was not successfully deleted: {stack.get('StackStatusReason', '')}".strip())


def _request(ctx: ResourceContext, kind: str, rtype: str, props: dict[str, Any], token: str, physical: str | None,
             old: dict[str, Any] | None) -> dict[str, Any]:
    event: dict[str, Any] = {"RequestType": kind, "ServiceToken": props.get("ServiceToken"),
                             "ResponseURL": local_url(ctx.app) + RESPONSE_PATH + token, "StackId": ctx.stack_id,
                             "RequestId": str(uuid.uuid4()), "LogicalResourceId": ctx.logical_id, "ResourceType": ctx.resource_type or rtype,
                             "ResourceProperties": props}
    if physical is not None:
        event["PhysicalResourceId"] = physical
    if old is not None:
        event["OldResourceProperties"] = old
    return event


async def _send(ctx: ResourceContext, kind: str, rtype: str, props: dict[str, Any], physical: str | None = None,
                old: dict[str, Any] | None = None) -> dict[str, Any]:
    """Send the request to the ServiceToken and wait for the response PUT to its ResponseURL."""
    token = str(props.get("ServiceToken") or "")
    if not token:
        raise ResourceFailed("Properties validation failed for resource " + ctx.logical_id
                             + " with message:\n#: required key [ServiceToken] not found")
    key = secrets.token_urlsafe(24)
    await ctx.app.store.run(lambda t: t.put(RESPONSES, key, {"pending": True, "at": time.time()}))
    event = _request(ctx, kind, rtype, props, key, physical, old)
    service = arns.service_of(token)
    if service == "lambda":
        await ctx.call("lambda", "Invoke", {"FunctionName": token, "InvocationType": "Event",
                                            "Payload": json.dumps(event).encode()})
    elif service == "sns":
        await ctx.call("sns", "Publish", {"TopicArn": token, "Message": json.dumps(event)})
    else:
        raise ResourceFailed(f"Invalid service token: {token}")
    deadline = time.monotonic() + CUSTOM_TIMEOUT
    try:
        while True:
            doc = await ctx.app.store.read(lambda t: t.get(RESPONSES, key))
            if doc is not None and not doc.get("pending"):
                return dict(doc)
            if time.monotonic() > deadline:
                raise ResourceFailed("Failed to receive a response from the custom resource within the timeout")
            await asyncio.sleep(POLL)
    finally:
        await ctx.app.store.run(lambda t: t.delete(RESPONSES, key))


def _outcome(ctx: ResourceContext, response: dict[str, Any], physical: str | None) -> Done:
    if response.get("Status") != "SUCCESS":
        reason = str(response.get("Reason") or "")
        raise ResourceFailed(f"Received response status [FAILED] from custom resource. Message returned: {reason}")
    pid = str(response.get("PhysicalResourceId") or physical or ctx.name(64))
    data = response.get("Data") if isinstance(response.get("Data"), dict) else {}
    return Done(pid, dict(data or {}))


def _custom(rtype: str) -> None:
    async def create(ctx: ResourceContext, props: dict[str, Any]) -> Done:
        return _outcome(ctx, await _send(ctx, "Create", rtype, props), None)

    async def update(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
        result = _outcome(ctx, await _send(ctx, "Update", rtype, new, physical, old), physical)
        return result

    async def delete(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
        _outcome(ctx, await _send(ctx, "Delete", rtype, props, physical), physical)

    provider(rtype, update=update, replaces=("ServiceToken",))(create)
    deleting(rtype)(delete)


_custom("AWS::CloudFormation::CustomResource")


SIGNALS = "cfn_wait_signals"  # "{token}" -> {"signals": {UniqueId: {"Status", "Reason", "Data"}}}
SIGNAL_PATH = "/_gureum/cloudformation/signals/"
MAX_WAIT = 43200  # WaitCondition's Timeout limit (seconds)


@provider("AWS::CloudFormation::WaitConditionHandle")
async def create_wait_handle(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    token = secrets.token_urlsafe(24)
    await ctx.app.store.run(lambda t: t.put(SIGNALS, token, {"signals": {}}))
    return Done(local_url(ctx.app) + SIGNAL_PATH + token)


@updating("AWS::CloudFormation::WaitConditionHandle")
async def update_wait_handle(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    return done


@deleting("AWS::CloudFormation::WaitConditionHandle")
async def delete_wait_handle(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    token = physical.rsplit("/", 1)[-1]
    await ctx.app.store.run(lambda t: t.delete(SIGNALS, token))


@provider("AWS::CloudFormation::WaitCondition", replaces=("Handle", "Timeout", "Count"))
async def create_wait_condition(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    token = str(props.get("Handle", "")).rsplit("/", 1)[-1]
    count = int(props.get("Count", 1))
    timeout = int(props.get("Timeout", MAX_WAIT))
    if not 0 < timeout <= MAX_WAIT:
        raise ResourceFailed(f"Timeout must be between 1 and {MAX_WAIT} seconds")
    deadline = time.monotonic() + timeout
    while True:
        doc = await ctx.app.store.read(lambda t: t.get(SIGNALS, token))
        if doc is None:
            raise ResourceFailed("Invalid wait condition handle")
        signals: dict[str, Any] = doc.get("signals") or {}
        for uid, s in signals.items():
            if s.get("Status") == "FAILURE":
                raise ResourceFailed(f"WaitCondition received failed message: '{s.get('Reason', '')}' for uniqueId: {uid}")
        done = {uid: s for uid, s in signals.items() if s.get("Status") == "SUCCESS"}
        if len(done) >= count:
            data = json.dumps({uid: s.get("Data", "") for uid, s in done.items()})
            return Done(ctx.name(64), {"Data": data})
        if time.monotonic() > deadline:
            raise ResourceFailed(f"WaitCondition timed out. Received {len(done)} conditions when expecting {count}")
        await asyncio.sleep(POLL)


@deleting("AWS::CloudFormation::WaitCondition")
async def delete_wait_condition(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    return None
