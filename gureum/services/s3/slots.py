"""S3's objects in the node's typed registry (gureum/slots.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.slots import Slot

if TYPE_CHECKING:
    from gureum.blobs import BlobStore
    from gureum.services.s3.access_log import Buffer
    from gureum.services.s3.bucket_cache import Cache
    from gureum.services.s3.gc import Collector

BLOBS: Slot[BlobStore] = Slot("s3.blobs")  # S3's own blob store, made on first use
COLLECTOR: Slot[Collector] = Slot("s3.collector")  # the blob collector, once running
ACCESS_LOGS: Slot[Buffer] = Slot("s3.access_logs")  # server access log lines waiting for delivery
BUCKET_CACHE: Slot[Cache] = Slot("s3.bucket_cache")  # bucket documents kept a few seconds (bucket_cache.py)
