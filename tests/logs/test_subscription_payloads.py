"""Subscription deliveries' payloads (sans-IO): AWS's awslogs envelope, and batches split so
that every Event invocation stays under Lambda's 256 KB payload limit."""

from __future__ import annotations

import base64
import gzip
import json
import secrets

from gureum.services.logs import subscriptions


def test_encode_is_base64_of_gzip_of_the_json() -> None:
    doc = {"messageType": "DATA_MESSAGE", "logEvents": [{"id": "1", "timestamp": 5, "message": "m"}]}
    envelope = json.loads(subscriptions.encode(doc))
    assert json.loads(gzip.decompress(base64.b64decode(envelope["awslogs"]["data"]))) == doc


def test_large_batches_split_into_payloads_under_256_kb_keeping_every_event_in_order() -> None:
    events = [{"id": str(i), "timestamp": i, "message": secrets.token_hex(40_000)} for i in range(12)]  # incompressible
    chunks = subscriptions._chunks(events)
    assert len(chunks) > 1
    assert [e for c in chunks for e in c] == events
    for chunk in chunks:
        assert len(subscriptions.encode({"messageType": "DATA_MESSAGE", "logEvents": chunk})) < 256 * 1024
