"""S3's reset (POST /_gureum/reset, see gureum/reset.py): every bucket, object, version,
multipart upload, part and annotation, the lifecycle sweep's claims and the
replication queue, are dropped in one transaction. The bodies stay in S3's blob store,
referenced by no version or part any more: the collector (gc.py) deletes them after its
grace period. S3 keeps no cache of its rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.reset import drop_tables
from gureum.services.s3.annotations import ANNOTATIONS
from gureum.services.s3.lifecycle_sweep import RUNS
from gureum.services.s3.model import BUCKETS, OBJECTS, PARTS, UPLOADS, VERSIONS
from gureum.services.s3.replication_rules import QUEUE

if TYPE_CHECKING:
    from gureum.app import App

TABLES: tuple[str, ...] = (BUCKETS, OBJECTS, VERSIONS, UPLOADS, PARTS, ANNOTATIONS, RUNS, QUEUE)


async def reset(app: App) -> None:
    await app.store.run(lambda txn: drop_tables(txn, TABLES))
