"""Where every stored log event goes in: PutLogEvents and the node's writer (Lambda's and
ECS's logs, Route 53's query logs) both call `put_events`, which stores the batch
(model.put_events) and, in the same transaction, marks what the group's data protection
policies mask (masking.py: the event row's "k"), emits the group's metric filters'
datapoints (metric_filters.py) and queues its subscription filters' deliveries
(subscriptions.py), both over the masked messages as AWS masks at every egress point (over
the transformed ones where the group has a transformer and nothing is masked): a
batch is stored with all of its effects or not at all."""

from __future__ import annotations

from typing import Any

from gureum.services.logs import masking, metric_filters, model, subscriptions, transformers
from gureum.services.logs.model import EVENTS, SEP
from gureum.store import Txn


def put_events(txn: Txn, account: str, region: str, group: str, stream: str, events: list[tuple[int, str]], *,
               create: bool = False) -> dict[str, Any]:
    """model.put_events, then the filters of the group applied to the stored events."""
    doc = model.put_events(txn, account, region, group, stream, events, create=create)
    if events:
        first = int(doc["seq"]) - len(events) + 1
        protect = masking.protection(txn, account, region, group)
        # masked "at all egress points, including metric filters and subscription filters" (AWS)
        if protect.found:
            egress = _protect(txn, account, region, group, stream, events, first, protect)
        elif transformers.config_of(txn, account, region, group):
            egress = _transformed(txn, account, region, group, stream, events, first)
        else:
            egress = events
        metric_filters.apply(txn, account, region, group, egress)
        subscriptions.apply(txn, account, region, group, stream, egress, first)
    return doc


def _transformed(txn: Txn, account: str, region: str, group: str, stream: str, events: list[tuple[int, str]],
                 first: int) -> list[tuple[int, str]]:
    """The events as the group's transformer stored them (model.put_events: the row's "x"):
    what metric and subscription filters see, as AWS documents for transformed logs."""
    skey = model.stream_key(account, region, group, stream)
    out: list[tuple[int, str]] = []
    for n, (ts, message) in enumerate(events):
        row = txn.get(EVENTS, f"{skey}{SEP}{ts:013d}.{first + n:010d}")
        out.append((ts, row["x"] if row is not None and row.get("x") else message))
    return out


def _protect(txn: Txn, account: str, region: str, group: str, stream: str, events: list[tuple[int, str]], first: int,
             protect: masking.Protection) -> list[tuple[int, str]]:
    """Mark what each stored event masks and write its audit findings report; returns the
    events as they leave CloudWatch Logs (masked)."""
    skey = model.stream_key(account, region, group, stream)
    reports: list[tuple[int, str]] = []
    egress: list[tuple[int, str]] = []
    now = model.now_ms()
    for n, (ts, message) in enumerate(events):
        detected = masking.detect(protect.found, message)
        if not detected:
            egress.append((ts, message))
            continue
        ranges = masking.spans(detected)
        egress.append((ts, masking.masked(message, ranges)))
        key = f"{skey}{SEP}{ts:013d}.{first + n:010d}"
        row = txn.get(EVENTS, key)
        if row is not None:
            row["k"] = ranges
            txn.put(EVENTS, key, row)
        reports.append((now, masking.finding(model.group_arn(account, region, group) + ":*", detected, now)))
    for target in protect.findings_to:
        if reports and target != group and txn.get(model.GROUPS, model.group_key(account, region, target)) is not None:
            model.create_stream(txn, account, region, target, group, exist_ok=True)
            model.put_events(txn, account, region, target, group, reports)
    return egress
