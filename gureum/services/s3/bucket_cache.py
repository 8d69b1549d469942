"""A node's short-lived cache of bucket documents for the work every request would otherwise
pay a store read for (server access logging, CORS headers on actual requests): a document is
kept TTL seconds, and the node that changes the configuration drops it at once (`forget`);
other nodes see the change within TTL (AWS: logging and CORS changes take effect
"eventually", logging within an hour). Held in the node's parts (slot BUCKET_CACHE), never in
module globals.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gureum.services.s3 import model
from gureum.services.s3.slots import BUCKET_CACHE

if TYPE_CHECKING:
    from gureum.app import App

TTL = 5.0
MAX_ENTRIES = 10_000


@dataclass
class Cache:
    docs: dict[str, tuple[float, dict[str, Any] | None]] = field(default_factory=dict)  # name -> (until, doc)


def forget(app: App, name: str) -> None:
    app.parts.lazy(BUCKET_CACHE, Cache).docs.pop(name, None)


async def bucket(app: App, name: str) -> dict[str, Any] | None:
    """The bucket's document (None: no such bucket), at most TTL seconds old."""
    cache = app.parts.lazy(BUCKET_CACHE, Cache)
    now = time.monotonic()
    hit = cache.docs.get(name)
    if hit is not None and hit[0] >= now:
        return hit[1]
    doc = await app.store.read(lambda t: t.get(model.BUCKETS, name))
    if len(cache.docs) >= MAX_ENTRIES:
        cache.docs.clear()
    cache.docs[name] = (now + TTL, doc)
    return doc
