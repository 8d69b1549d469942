"""S3's background work: collect blobs no object version or upload part references any
more (overwritten, deleted, aborted), and expire multipart uploads abandoned for longer than
`s3.upload_expiry_days` (0: never, like AWS without a lifecycle rule — the default).

A blob is deleted only when it is older than the grace period (`s3.gc_grace_seconds`,
default 3600: a body is referenced within moments of being written, and writing identical
content again refreshes its age) and two sweeps in a row found it unreferenced, so a
CopyObject racing a delete of its source is seen by the second sweep.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from gureum.services.s3 import model, storage

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store.base import Txn

log = logging.getLogger("gureum.s3")


def referenced(app: App, t: Txn) -> set[str]:
    refs: set[str] = set()
    for _, v in app.store.iter_scan(t, model.VERSIONS):
        for digest, _size in v.get("blobs") or []:
            refs.add(digest)
    for _, p in app.store.iter_scan(t, model.PARTS):
        refs.add(p["digest"])
    return refs


class Collector:
    def __init__(self, app: App, grace: float) -> None:
        self.app = app
        self.grace = grace
        self.marked: set[str] = set()

    async def sweep(self) -> tuple[int, int]:
        """One pass; returns (blobs deleted, bytes freed)."""
        blobs = storage.blobs(self.app)

        def old() -> list[str]:
            out = []
            for d in blobs.digests():
                age = blobs.age_seconds(d)
                if age is not None and age >= self.grace:
                    out.append(d)
            return out

        candidates = await asyncio.to_thread(old)
        if not candidates:
            self.marked.clear()
            return 0, 0
        refs = await self.app.store.read(lambda t: referenced(self.app, t))
        unreferenced = {d for d in candidates if d not in refs}
        due = unreferenced & self.marked
        self.marked = unreferenced - due

        def delete() -> tuple[int, int]:
            n = freed = 0
            for d in due:
                size = blobs.size(d) or 0
                if blobs.delete(d, older_than=self.grace):
                    n += 1
                    freed += size
            return n, freed

        return await asyncio.to_thread(delete)


async def expire_uploads(app: App, older_than: float) -> int:
    cutoff = time.time() - older_than

    def expire(t: Txn) -> int:
        n = 0
        for key, up in list(app.store.iter_scan(t, model.UPLOADS)):
            if up.get("initiated", 0) < cutoff:
                bucket = key.split("/", 1)[0]
                model.finish_upload(t, bucket, up["key"], up["id"])
                n += 1
        return n

    return await app.store.run(expire)


async def run(app: App) -> None:
    """The `s3` component: a collection pass every s3.gc_interval_seconds (app.every)."""
    from gureum.services.s3.settings import S3Settings
    from gureum.services.s3.slots import COLLECTOR

    settings = app.settings(S3Settings)
    collector = Collector(app, settings.gc_grace_seconds)
    app.parts.put(COLLECTOR, collector)

    async def collect() -> None:
        if settings.upload_expiry_days > 0:
            n = await expire_uploads(app, settings.upload_expiry_days * 86400)
            if n:
                log.info("s3: expired %d abandoned multipart uploads", n)
        deleted, freed = await collector.sweep()
        if deleted:
            log.info("s3: collected %d unreferenced blobs (%d bytes)", deleted, freed)

    app.every(settings.gc_interval_seconds, collect, name="s3-gc")
    app.set_status("s3", "running")


__all__: list[Any] = ["Collector", "expire_uploads", "referenced", "run"]
