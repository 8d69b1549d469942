"""Where every stored log event goes in: PutLogEvents and the node's writer (Lambda's and
ECS's logs, Route 53's query logs) both call `put_events`, which stores the batch
(model.put_events) and, in the same transaction, emits the group's metric filters'
datapoints (metric_filters.py) and queues its subscription filters' deliveries
(subscriptions.py): a batch is stored with all of its effects or not at all."""

from __future__ import annotations

from typing import Any

from gureum.services.logs import metric_filters, model, subscriptions
from gureum.store import Txn


def put_events(txn: Txn, account: str, region: str, group: str, stream: str, events: list[tuple[int, str]], *,
               create: bool = False) -> dict[str, Any]:
    """model.put_events, then the filters of the group applied to the stored events."""
    doc = model.put_events(txn, account, region, group, stream, events, create=create)
    if events:
        metric_filters.apply(txn, account, region, group, events)
        subscriptions.apply(txn, account, region, group, stream, events, int(doc["seq"]) - len(events) + 1)
    return doc
