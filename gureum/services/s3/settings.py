"""S3's settings (`gureum up --set s3.KEY=VALUE` or GUREUM_S3_KEY; gureum/settings.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class S3Settings:
    PREFIX: ClassVar[str] = "s3"
    gc_interval_seconds: float = 600.0
    """seconds between passes of the blob collector (gc.py)"""
    gc_grace_seconds: float = 3600.0
    """blobs younger than this are never collected"""
    upload_expiry_days: float = 0.0
    """multipart uploads older than this many days are aborted (0: never)"""
    restore_expedited_seconds: float = 2.0
    """seconds an Expedited RestoreObject of a GLACIER object takes (AWS: 1-5 minutes)"""
    restore_standard_seconds: float = 30.0
    """seconds a Standard restore takes (AWS: 3-5 hours; DEEP_ARCHIVE: within 12 hours)"""
    restore_bulk_seconds: float = 120.0
    """seconds a Bulk restore takes (AWS: 5-12 hours; DEEP_ARCHIVE: within 48 hours)"""
    lifecycle_interval_seconds: float = 600.0
    """seconds between lifecycle sweeps (lifecycle_sweep.py); each bucket is swept by one node per interval"""
    lifecycle_day_seconds: float = 86400.0
    """test/dev setting: the length of a lifecycle rule's "day" (Days, NoncurrentDays, DaysAfterInitiation)"""
    replication_poll_seconds: float = 1.0
    """seconds between looks at the replication queue (replication_worker.py)"""
    access_log_flush_seconds: float = 300.0
    """seconds between deliveries of server access logs to their target buckets (access_log.py)"""
