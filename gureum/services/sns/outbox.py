"""What SNS "sent" to devices it cannot reach: mobile push notifications to platform endpoints
and SMS text messages (Publish with PhoneNumber, sandbox one-time passwords) are recorded, as
delivered, in one table that gureum's own endpoint shows (inspect_http.py,
GET /_gureum/sns/messages) — where a developer reads the OTP of a sandbox number, or checks
that a push reached an endpoint.

Table `sns_outbox`, key `<account>/<region>/<ms since epoch:013d>-<uuid hex>` (time order
within an account and region; one message to a topic fans out to several rows): {"Kind": "push" | "sms", "MessageId", "Timestamp" (ISO 8601),
"Message", and for push "TargetArn", "PlatformApplicationArn", "Platform", "Token",
"MessageAttributes"; for SMS "PhoneNumber", "SMSType", "SenderID", "OriginationNumber",
"Purpose" ("Publish" or "SandboxVerification")}. At most MAX_KEPT rows per account and region
are kept: recording more drops the oldest."""

from __future__ import annotations

import time
import uuid
from typing import Any

from gureum.store.base import Txn

OUTBOX = "sns_outbox"
MAX_KEPT = 10_000


def record(txn: Txn, account: str, region: str, doc: dict[str, Any]) -> str:
    """Record one sent message (`doc` as the module docstring says, without MessageId and
    Timestamp, which this fills in); returns its message id."""
    message_id = str(doc.get("MessageId") or uuid.uuid4())
    now = time.time()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z"
    prefix = f"{account}/{region}/"
    txn.put(OUTBOX, f"{prefix}{int(now * 1000):013d}-{uuid.uuid4().hex}", {**doc, "MessageId": message_id, "Timestamp": stamp})
    over = txn.count(OUTBOX, prefix) - MAX_KEPT
    if over > 0:
        for key, _ in txn.scan(OUTBOX, prefix, limit=over):
            txn.delete(OUTBOX, key)
    return message_id


def messages(txn: Txn, account: str | None = None, region: str | None = None,
             kind: str | None = None) -> list[dict[str, Any]]:
    """Recorded messages, oldest first, of one account (and region) or all, of one kind or all."""
    prefix = f"{account}/" if account else ""
    if account and region:
        prefix += f"{region}/"
    out = []
    for key, doc in txn.scan(OUTBOX, prefix):
        acct, reg, when = key.split("/", 2)
        if (region and reg != region) or (kind and doc.get("Kind") != kind):
            continue
        out.append((when, {"AccountId": acct, "Region": reg, **doc}))
    return [doc for _, doc in sorted(out, key=lambda x: x[0])]


def clear(txn: Txn, account: str | None = None) -> int:
    return txn.delete_prefix(OUTBOX, f"{account}/" if account else "")
