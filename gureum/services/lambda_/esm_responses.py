"""What a function answers an event source mapping: the partial batch response
(`ReportBatchItemFailures`), read the same way for queues and streams."""

from __future__ import annotations

import json


def batch_failures(payload: bytes, ids: set[str]) -> set[str] | None:
    """The message ids a partial batch response names; None when the response makes the
    whole batch a failure (not JSON, an empty/null/unknown itemIdentifier)."""
    if not payload.strip():
        return set()
    try:
        resp = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(resp, dict):
        return set()
    failures = resp.get("batchItemFailures")
    if failures is None:
        return set()
    if not isinstance(failures, list):
        return None
    out: set[str] = set()
    for f in failures:
        ident = f.get("itemIdentifier") if isinstance(f, dict) else None
        if not isinstance(ident, str) or ident not in ids:
            return None
        out.add(ident)
    return out
