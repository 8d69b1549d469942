"""Every message SES sent (and every verification or bounce mail it sent itself): kept, counted
against the sending quota, listed at GET /_gureum/ses, relayed onward.

Table ses_messages: "{account}/{region}/{ms:013d}/{id}" -> {"id", "account", "region",
"source", "destination": [every recipient], "to", "cc", "bcc", "subject", "body": {"text",
"html"}, "raw" (the MIME message as sent, text), "timestamp" (s), "status": "Sent" |
"RenderingFailure" | "Unsubscribed" (every recipient left its contact list: never delivered), "relay": "pending" | "sent" | "failed" | "none", "template"?,
"configuration_set"?, "tags"?}. Table ses_sent: "{account}/{region}/{hour}" -> {"n": recipients
sent in that UTC hour}: the last 24 hours' sum is GetSendQuota's SentLast24Hours. Table
ses_relay_queue: "{ms:013d}/{account}/{region}/{id}" -> {"key": the message's key}, the messages
not yet handed to the relay (relay.py drains it; a message stays queued until the relay took it).
Table ses_event_queue: "{ms:013d}/{account}/{region}/{id}/{event}" -> {"key": the message's key,
"event": SEND | RENDERING_FAILURE | DELIVERY | BOUNCE, "detail": the event record's detail
object}: sending events of messages sent with a configuration set, written in the transaction
that made them, drained by the worker (events.py) so that a send never waits on publishing.

Message ids have AWS's shape: "0100" + 12 hex digits of the send time in ms + "-" + a UUID +
"-000000"."""

from __future__ import annotations

import time
import uuid
from typing import Any

from gureum.store import Txn

MESSAGES = "ses_messages"
SENT = "ses_sent"
RELAY_QUEUE = "ses_relay_queue"
EVENT_QUEUE = "ses_event_queue"


def new_id(now: float) -> str:
    return f"0100{int(now * 1000):012x}-{uuid.uuid4()}-000000"


def key_of(account: str, region: str, timestamp: float, message_id: str) -> str:
    return f"{account}/{region}/{int(timestamp * 1000):013d}/{message_id}"


def add(txn: Txn, account: str, region: str, doc: dict[str, Any], *, relay: bool, count: bool = True) -> str:
    """Keep a sent message (`doc` has at least id, timestamp, destination); queue it for the
    relay when `relay`; count its recipients against the quota when `count`."""
    now = float(doc["timestamp"])
    k = key_of(account, region, now, doc["id"])
    doc = {**doc, "account": account, "region": region, "relay": "pending" if relay else "none"}
    txn.put(MESSAGES, k, doc)
    if doc.get("configuration_set"):
        queue_event(txn, k, doc, "SEND", {}, now)
        if doc.get("status") == "RenderingFailure":
            queue_event(txn, k, doc, "RENDERING_FAILURE", {"templateName": doc.get("template") or "",
                                                           "errorMessage": doc.get("failure") or ""}, now)
    if relay:
        txn.put(RELAY_QUEUE, f"{int(now * 1000):013d}/{account}/{region}/{doc['id']}", {"key": k})
    if count:
        hk = f"{account}/{region}/{int(now // 3600)}"
        row = txn.get(SENT, hk) or {"n": 0}
        txn.put(SENT, hk, {"n": int(row["n"]) + len(doc["destination"])})
    return k


def queue_event(txn: Txn, message_key: str, doc: dict[str, Any], event: str, detail: dict[str, Any], now: float) -> None:
    txn.put(EVENT_QUEUE, f"{int(now * 1000):013d}/{doc['account']}/{doc['region']}/{doc['id']}/{event}",
            {"key": message_key, "event": event, "detail": detail})


def queued_events(txn: Txn, limit: int = 50) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(queue key, message, queued event) of events waiting to be published, oldest first."""
    out = []
    for qk, row in txn.scan(EVENT_QUEUE, limit=limit):
        doc = txn.get(MESSAGES, str(row["key"]))
        if doc is None:
            txn.delete(EVENT_QUEUE, qk)
            continue
        out.append((qk, doc, row))
    return out


def sent_last_24h(txn: Txn, account: str, region: str, now: float) -> int:
    hour = int(now // 3600)
    rows = txn.scan(SENT, f"{account}/{region}/")
    return sum(int(d["n"]) for k, d in rows if hour - int(k.rsplit("/", 1)[1]) < 24)


def listing(txn: Txn, email: str | None = None, account: str | None = None, region: str | None = None,
            ) -> list[dict[str, Any]]:
    """Kept messages, oldest first (per account and region), those naming `email` as source
    or recipient when given."""
    prefix = f"{account}/" + (f"{region}/" if region else "") if account else ""
    out = []
    want = email.lower() if email else None
    for _, doc in txn.scan(MESSAGES, prefix):
        if want is not None and want not in {a.lower() for a in [*doc["destination"], doc.get("source", "")]}:
            continue
        out.append(doc)
    return out


def clear(txn: Txn, account: str | None = None) -> int:
    return txn.delete_prefix(MESSAGES, f"{account}/" if account else "")


def queued(txn: Txn, limit: int = 50) -> list[tuple[str, dict[str, Any]]]:
    """(queue key, message) of messages waiting for the relay, oldest first."""
    out = []
    for qk, row in txn.scan(RELAY_QUEUE, limit=limit):
        doc = txn.get(MESSAGES, str(row["key"]))
        if doc is None:
            txn.delete(RELAY_QUEUE, qk)
            continue
        out.append((qk, doc))
    return out


def relayed(txn: Txn, queue_key: str, message_key: str, outcome: str,
            event: tuple[str, dict[str, Any]] | None = None) -> None:
    """The relay's outcome for a message; `event` (name, detail) queued for publishing when
    the message names a configuration set."""
    txn.delete(RELAY_QUEUE, queue_key)
    doc = txn.get(MESSAGES, message_key)
    if doc is not None:
        txn.put(MESSAGES, message_key, {**doc, "relay": outcome})
        if event is not None and doc.get("configuration_set"):
            queue_event(txn, message_key, doc, event[0], event[1], time.time())


def message_key(doc: dict[str, Any]) -> str:
    return key_of(doc["account"], doc["region"], float(doc["timestamp"]), doc["id"])


def now() -> float:
    return time.time()
