"""Throttles (usage plans' and stages' token buckets) counted across nodes. The per-request
path stays in memory (access.py's buckets); in batches — each usage flush, every second —
this node writes how many tokens each of its buckets gave out and reads what the other nodes'
buckets of the same key gave out since its last read, then takes those tokens from its own
bucket (down to a debt of one burst plus one second of rate), so the cluster's combined rate
converges to the bucket's rate instead of rate × nodes.

Table `apigw_throttle_use`: "{digest of the bucket key}/{node id}" -> {"n": tokens this node
has given out for that key since it started counting, "level": those tokens not yet refilled
at the bucket's rate (a leaky count), "at": when the row was written (epoch seconds)}. A row
seen for the first time is charged its `level` less what the bucket has refilled since `at`;
afterwards, the growth of `n`. Rows of nodes that stopped writing cost nothing (their `n` no
longer grows).

Bound: another node's takes reach this node's bucket at most about two batch intervals (2 s)
later, so over any interval the cluster can admit up to the rate's worth plus one burst per
node plus what the other nodes admitted in the last ~2 s for that key.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store import Txn

USE = "apigw_throttle_use"
TABLES = (USE,)
WATCH_FOR = 300.0  # seconds a bucket key is synced after this node last gave one of its tokens


class Bucket(Protocol):
    rate: float
    burst: int
    tokens: float


def digest(key: tuple[str, ...]) -> str:
    return hashlib.sha256(json.dumps(list(key)).encode()).hexdigest()[:32]


class ThrottleShare:
    """This node's side of the shared throttle counts."""

    def __init__(self, app: App, buckets: Mapping[tuple[str, ...], Bucket]) -> None:
        self.app = app
        self.buckets = buckets  # access.py's: key -> Bucket
        self.given: dict[tuple[str, ...], int] = {}  # tokens given out here, since counting began
        self.batch: dict[tuple[str, ...], int] = {}  # ... of which not yet written
        self.level: dict[tuple[str, ...], tuple[float, float]] = {}  # -> (leaky count, when)
        self.used: dict[tuple[str, ...], float] = {}  # -> when its bucket last gave a token (monotonic)
        self.seen: dict[tuple[str, str], int] = {}  # (digest, other node) -> its `n` when last read

    def took(self, key: tuple[str, ...]) -> None:
        """One token given out by this node's bucket `key` (in memory only)."""
        self.given[key] = self.given.get(key, 0) + 1
        self.batch[key] = self.batch.get(key, 0) + 1
        self.used[key] = time.monotonic()

    async def sync(self) -> None:
        """Write this node's batch, read the others' rows, and charge this node's buckets (those
        that gave a token in the last WATCH_FOR seconds; an idle node touches no store)."""
        stale = time.monotonic() - WATCH_FOR
        for k in [k for k, at in self.used.items() if at < stale]:
            del self.used[k]  # read afresh (by level, not by growth) when it gives tokens again
            d = digest(k)
            for seen in [s for s in self.seen if s[0] == d]:
                del self.seen[seen]
        if not self.used:
            return
        node = self.app.node_id
        batch, self.batch = self.batch, {}
        now = time.time()
        writes: dict[str, tuple[int, float]] = {}
        for k, n in batch.items():
            bucket = self.buckets.get(k)
            level, at = self.level.get(k, (0.0, now))
            level = max(0.0, level - (now - at) * (bucket.rate if bucket else 0.0)) + n
            self.level[k] = (level, now)
            writes[digest(k)] = (self.given[k], level)
        watched = {digest(k): k for k in self.used if k in self.buckets}

        def step(t: Txn) -> dict[str, list[tuple[str, dict[str, Any]]]]:
            for d, (total, level) in writes.items():
                t.put(USE, f"{d}/{node}", {"n": total, "level": level, "at": now})
            out: dict[str, list[tuple[str, dict[str, Any]]]] = {}
            for d in watched:
                out[d] = [(k.rsplit("/", 1)[1], row) for k, row in t.scan(USE, f"{d}/") if not k.endswith(f"/{node}")]
            return out

        rows = await self.app.store.run(step)
        for d, found in rows.items():
            bucket = self.buckets.get(watched[d])
            for other, row in found:
                n = int(row.get("n", 0))
                last = self.seen.get((d, other))
                if last is None:
                    refilled = max(0.0, now - float(row.get("at", 0.0))) * (bucket.rate if bucket else 0.0)
                    charge = max(0.0, float(row.get("level", 0.0)) - refilled)
                else:
                    charge = float(max(0, n - last))
                self.seen[(d, other)] = n
                if bucket is not None and charge:
                    bucket.tokens = max(-(bucket.burst + bucket.rate), bucket.tokens - charge)
