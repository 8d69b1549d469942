"""ECR's settings (`gureum up --set ecr.KEY=VALUE` or GUREUM_ECR_KEY; gureum/settings.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from gureum.settings import key


@dataclass(frozen=True)
class EcrSettings:
    PREFIX: ClassVar[str] = "ecr"
    create_on_push: bool = True
    """a push to a repository that does not exist creates it"""
    gc_grace_seconds: float = 3600.0
    """links and blobs younger than this are never collected"""
    gc_interval_seconds: float = 600.0
    """seconds between passes of the registry's collector"""
    upload_ttl_seconds: float = 24 * 3600.0
    """an unfinished upload is dropped after this many seconds"""
    lifecycle_interval_seconds: float = 3600.0
    """seconds between runs of the repositories' lifecycle policies"""
    pull_record_seconds: float = 60.0
    """an image's lastRecordedPullTime moves at most this often"""
    pull_through_refresh_seconds: float = 24 * 3600.0
    """a tag cached by a pull through cache rule is checked against its upstream again after this (AWS: 24 hours)"""
    default_account: str = "000000000000"
    """the account of registry requests without AWS credentials"""
    default_region: str | None = None
    """the region of registry requests without AWS credentials (default: default_region)"""
    fallback_region: str = field(default="us-east-1", metadata=key("default_region"))
    """the region used where none is given"""
