"""Where every stored log event goes in: PutLogEvents and the node's writer (Lambda's and
ECS's logs, Route 53's query logs) both call `put_events`, which stores the batch
(model.put_events) and, in the same transaction, marks what the group's data protection
policies mask (masking.py: the event row's "k"), emits the group's metric filters'
datapoints (metric_filters.py) and queues its subscription filters' deliveries
(subscriptions.py): a batch is stored with all of its effects or not at all."""

from __future__ import annotations

from typing import Any

from gureum.services.logs import masking, metric_filters, model, subscriptions
from gureum.services.logs.model import EVENTS, SEP
from gureum.store import Txn


def put_events(txn: Txn, account: str, region: str, group: str, stream: str, events: list[tuple[int, str]], *,
               create: bool = False) -> dict[str, Any]:
    """model.put_events, then the filters of the group applied to the stored events."""
    doc = model.put_events(txn, account, region, group, stream, events, create=create)
    if events:
        first = int(doc["seq"]) - len(events) + 1
        found = masking.group_finders(txn, account, region, group)
        if found:
            skey = model.stream_key(account, region, group, stream)
            for n, (ts, message) in enumerate(events):
                ranges = masking.spans(found, message)
                row = txn.get(EVENTS, key := f"{skey}{SEP}{ts:013d}.{first + n:010d}") if ranges else None
                if row is not None:
                    row["k"] = ranges
                    txn.put(EVENTS, key, row)
        metric_filters.apply(txn, account, region, group, events)
        subscriptions.apply(txn, account, region, group, stream, events, first)
    return doc
