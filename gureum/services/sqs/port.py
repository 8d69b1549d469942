"""SQS's port for other services (gureum/ports.py `QueuePort`), on this node's queue engine
(engine.py): sending to a queue by ARN as SendMessage does after its checks, and consuming
for Lambda's event source mappings — received messages as Lambda's SQS event records, deleted
or made visible again by receipt handle."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gureum.aws.errors import AwsError
from gureum.ports import QueueFacts
from gureum.services.sqs.engine import Engine, Queue, Received

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.ports import Attributes


class Queues:
    """`QueuePort` on the queue engine of `app`."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def send(self, arn: str, body: str, *, attributes: Attributes | None = None,
                   group: str | None = None, dedup: str | None = None, sender: str = "") -> str:
        eng = await Engine.of(self.app)
        attrs = {k: dict(v) for k, v in attributes.items()} if attributes else None
        sent = await eng.send_to_arn(arn, body, attrs, group=group, dedup=dedup, sender=sender)
        if sent is None:
            raise AwsError.modeled("sqs", "QueueDoesNotExist", "The specified queue does not exist.")
        return sent.id

    async def exists(self, arn: str) -> bool:
        return await (await Engine.of(self.app)).lookup_arn(arn) is not None

    async def _queue(self, arn: str) -> tuple[Engine, Queue]:
        eng = await Engine.of(self.app)
        q = await eng.lookup_arn(arn)
        if q is None:
            raise AwsError.modeled("sqs", "QueueDoesNotExist", "The specified queue does not exist.")
        return eng, q

    async def describe(self, arn: str) -> QueueFacts | None:
        q = await (await Engine.of(self.app)).lookup_arn(arn)
        if q is None:
            return None
        return QueueFacts(q.arn, q.fifo, q.attr_int("VisibilityTimeout"))

    async def receive_records(self, arn: str, max_messages: int, wait_seconds: float) -> list[dict[str, Any]]:
        eng, q = await self._queue(arn)
        return [event_record(q, r) for r in await eng.receive(q, max_messages, None, wait_seconds)]

    async def delete(self, arn: str, receipt_handles: list[str]) -> None:
        eng, q = await self._queue(arn)
        await eng.delete_messages(q, receipt_handles)

    async def release(self, arn: str, receipt_handles: list[str]) -> None:
        eng, q = await self._queue(arn)
        await eng.change_visibility(q, [(h, 0) for h in receipt_handles])


def event_record(q: Queue, r: Received) -> dict[str, Any]:
    """One message as Lambda's SQS event shows it."""
    m = r.message
    attrs = {
        "ApproximateReceiveCount": str(m.receive_count),
        "SentTimestamp": str(m.sent_ms),
        "SenderId": m.sender,
        "ApproximateFirstReceiveTimestamp": str(m.first_receive_ms),
    }
    if q.fifo:
        if m.seqnum:
            attrs["SequenceNumber"] = m.seqnum
        if m.group is not None:
            attrs["MessageGroupId"] = m.group
        if m.dedup is not None:
            attrs["MessageDeduplicationId"] = m.dedup
    trace = m.sys_attrs.get("AWSTraceHeader")
    if trace:
        attrs["AWSTraceHeader"] = trace.get("StringValue", "")
    if m.dlq_source:
        attrs["DeadLetterQueueSourceArn"] = m.dlq_source
    mattrs: dict[str, Any] = {}
    for name, v in m.attrs.items():
        item: dict[str, Any] = {"stringListValues": [], "binaryListValues": [], "dataType": v["DataType"]}
        if "BinaryValue" in v:
            item = {"binaryValue": v["BinaryValue"], **item}
        else:
            item = {"stringValue": v["StringValue"], **item}
        mattrs[name] = item
    rec: dict[str, Any] = {
        "messageId": m.id,
        "receiptHandle": r.receipt_handle,
        "body": m.body,
        "attributes": attrs,
        "messageAttributes": mattrs,
        "md5OfBody": m.md5_body,
    }
    if m.attrs and m.md5_attrs:
        rec["md5OfMessageAttributes"] = m.md5_attrs
    rec.update(eventSource="aws:sqs", eventSourceARN=q.arn, awsRegion=q.region)
    return rec
