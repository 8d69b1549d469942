"""AWS::Kinesis::StreamConsumer, made by the kinesis service's own handlers
(RegisterStreamConsumer, the create waiting for the consumer to be ACTIVE as CloudFormation
does; DeregisterStreamConsumer). Ref: the consumer ARN; GetAtt ConsumerARN,
ConsumerCreationTimestamp, ConsumerName, ConsumerStatus, StreamARN. Every property replaces it
(the engine decides from createOnlyProperties). Tags are not applied: RegisterStreamConsumer
takes none in gureum yet, so a template that sets them fails the resource."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.cloudformation.providers.base import (
    Done,
    ResourceContext,
    deleting,
    provider,
    refuse_unapplied,
)

T = "AWS::Kinesis::StreamConsumer"
POLL = 0.2


def _stamp(value: Any) -> str:
    """A timestamp as ISO 8601 text (the schema's string)."""
    if isinstance(value, datetime):
        return value.isoformat()
    return datetime.fromtimestamp(float(value), UTC).isoformat() if value is not None else ""


@provider(T)
async def create_stream_consumer(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(T, props, ("ConsumerName", "StreamARN"))
    consumer = (await ctx.call("kinesis", "RegisterStreamConsumer", {"StreamARN": props["StreamARN"],
                                                                     "ConsumerName": props["ConsumerName"]}))["Consumer"]
    arn = str(consumer["ConsumerARN"])
    while True:
        desc = (await ctx.call("kinesis", "DescribeStreamConsumer", {"ConsumerARN": arn}))["ConsumerDescription"]
        if desc["ConsumerStatus"] == "ACTIVE":
            break
        await asyncio.sleep(POLL)
    return Done(arn, {"ConsumerARN": arn, "ConsumerCreationTimestamp": _stamp(desc.get("ConsumerCreationTimestamp")),
                      "ConsumerName": desc["ConsumerName"], "ConsumerStatus": desc["ConsumerStatus"],
                      "StreamARN": desc.get("StreamARN", props["StreamARN"])})


@deleting(T)
async def delete_stream_consumer(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    try:
        await ctx.call("kinesis", "DeregisterStreamConsumer", {"ConsumerARN": physical})
    except AwsError as e:
        if e.code != "ResourceNotFoundException":
            raise
