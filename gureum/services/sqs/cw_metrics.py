"""The `AWS/SQS` metrics AWS emits per queue (dimension QueueName), sent to CloudWatch through
its port (gureum/services/cloudwatch/port.py `emit`: kept per minute in memory, written in
batches, so a request costs no store write).

Counts, emitted by the API handlers as requests succeed: NumberOfMessagesSent,
SentMessageSize (bytes, one value per message), NumberOfMessagesReceived,
NumberOfEmptyReceives, NumberOfMessagesDeleted.
Gauges, sampled every `sqs.metrics_interval` seconds (60, as AWS's one-minute metrics) for
every queue this node knows (`sample`): ApproximateNumberOfMessagesVisible,
ApproximateNumberOfMessagesNotVisible, ApproximateNumberOfMessagesDelayed and
ApproximateAgeOfOldestMessage (seconds: from this node's index, or with a shared store from the
store's, cluster.py `oldest_sent_txn`).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from gureum.services.cloudwatch import port as cloudwatch
from gureum.services.sqs import cluster

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.services.sqs.engine import Engine, Queue

NAMESPACE = "AWS/SQS"


def _emit(app: App, q: Queue, metric: str, value: float, unit: str) -> None:
    cloudwatch.emit(app, q.account, q.region, NAMESPACE, metric, {"QueueName": q.name}, value, unit)


def sent(app: App, q: Queue, sizes: list[int]) -> None:
    """Messages were sent (SendMessage, SendMessageBatch: the sizes of those accepted)."""
    if not sizes:
        return
    _emit(app, q, "NumberOfMessagesSent", float(len(sizes)), "Count")
    for size in sizes:
        _emit(app, q, "SentMessageSize", float(size), "Bytes")


def received(app: App, q: Queue, n: int) -> None:
    """A ReceiveMessage returned `n` messages (0: an empty receive)."""
    _emit(app, q, "NumberOfMessagesReceived", float(n), "Count")
    _emit(app, q, "NumberOfEmptyReceives", 0.0 if n else 1.0, "Count")


def deleted(app: App, q: Queue, n: int) -> None:
    if n:
        _emit(app, q, "NumberOfMessagesDeleted", float(n), "Count")


def oldest_age(q: Queue, now_ms: int) -> float:
    """Seconds since the oldest message still kept was sent (0 with none)."""
    floor = now_ms - q.attr_int("MessageRetentionPeriod") * 1000
    sent = [m.sent_ms for m in q.messages.values() if m.sent_ms > floor]
    return max(0.0, (now_ms - min(sent)) / 1000.0) if sent else 0.0


async def sample(app: App, engine: Engine, now_ms: int) -> None:
    """The gauges of every queue this node knows."""
    for q in list(engine.queues.values()):
        visible, inflight, delayed = await engine.counts(q)
        _emit(app, q, "ApproximateNumberOfMessagesVisible", float(visible), "Count")
        _emit(app, q, "ApproximateNumberOfMessagesNotVisible", float(inflight), "Count")
        _emit(app, q, "ApproximateNumberOfMessagesDelayed", float(delayed), "Count")
        if engine.shared:  # the messages are in the store (cluster.py), not in this node's memory
            retention = q.attr_int("MessageRetentionPeriod") * 1000
            first = await app.store.read(functools.partial(cluster.oldest_sent_txn, qkey=q.key, retention_ms=retention,
                                                           now=now_ms))
            age = max(0.0, (now_ms - first) / 1000.0) if first is not None else 0.0
        else:
            age = oldest_age(q, now_ms)
        _emit(app, q, "ApproximateAgeOfOldestMessage", age, "Seconds")
