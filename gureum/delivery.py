"""Deliver a payload to any ARN: `await deliver(app, arn, payload, source=...)`, the one path
every notification, destination and dead-letter target takes (S3 event notifications, SNS
subscriptions to queues and functions and their dead-letter queues, Lambda's OnSuccess /
OnFailure destinations and DeadLetterConfig).

It dispatches on the ARN's service to that service's port (gureum/ports.py):
  arn:aws:sqs:<region>:<account>:<queue>              QueuePort.send
  arn:aws:sns:<region>:<account>:<topic>              TopicPort.publish
  arn:aws:lambda:<region>:<account>:function:<name>   FunctionPort.invoke_async (an Event)
A missing target raises that service's own AwsError (AWS.SimpleQueueService.NonExistentQueue,
NotFound, ResourceNotFoundException); an ARN of a service gureum does not deliver to raises
`Undeliverable`. Whether the source may deliver into another account's resource is the
caller's to check first (gureum/policy/delivery.py), as each source's rules differ.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.ports import FUNCTIONS, QUEUES, TOPICS, Attributes, port

if TYPE_CHECKING:
    from gureum.app import App

Payload = str | bytes | Mapping[str, Any]


@dataclass(frozen=True)
class Source:
    """Who delivers, as the target records it.

    `sender`: the SenderId an SQS message carries; `subject`: the Subject of an SNS message;
    `group`: the MessageGroupId on a FIFO queue or topic when the delivery names none;
    `trace`: the X-Ray trace header of what caused the delivery (a function invoked gets it:
    Lambda's recursive loop detection).
    """

    sender: str = ""
    subject: str | None = None
    group: str = "default"
    trace: str | None = None


class Undeliverable(AwsError):
    """The ARN names no resource gureum delivers to."""

    def __init__(self, arn: str) -> None:
        super().__init__("InvalidParameterValue", f"{arn} is not a queue, topic or function ARN", 400)


def target_service(arn: str) -> str:
    """The service of `arn` ("sqs", "sns", "lambda", ...); Undeliverable when it is no ARN."""
    service = arns.service_of(arn)
    if not service:
        raise Undeliverable(arn)
    return service


def _text(payload: Payload) -> str:
    if isinstance(payload, str):
        return payload
    if isinstance(payload, bytes):
        return payload.decode("utf-8", errors="replace")
    return json.dumps(payload, separators=(",", ":"))


async def deliver(app: App, arn: str, payload: Payload, *, source: Source = Source(),
                  attributes: Attributes | None = None, group: str | None = None,
                  dedup: str | None = None) -> str:
    """Deliver `payload` (text, bytes, or a JSON document) to the resource `arn` names;
    returns the id the target gave it (MessageId, or the Event invocation's request id).
    `group`/`dedup` set a FIFO target's MessageGroupId/MessageDeduplicationId (defaults:
    `source.group` and a fresh id); standard queues and topics ignore them."""
    service = target_service(arn)
    if service == "sqs":
        return await port(app, QUEUES).send(arn, _text(payload), attributes=attributes,
                                            group=group or source.group, dedup=dedup or str(uuid.uuid4()),
                                            sender=source.sender)
    if service == "sns":
        return await port(app, TOPICS).publish(arn, _text(payload), subject=source.subject,
                                               attributes=attributes, group=group or source.group,
                                               dedup=dedup or str(uuid.uuid4()))
    if service == "lambda":
        data = payload if isinstance(payload, bytes) else _text(payload).encode()
        return await port(app, FUNCTIONS).invoke_async(arn, data, trace=source.trace)
    raise Undeliverable(arn)
