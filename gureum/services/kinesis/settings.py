"""Kinesis's settings (`--set kinesis.<field>=VALUE` or GUREUM_KINESIS_<FIELD>)."""

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class KinesisSettings:
    PREFIX: ClassVar[str] = "kinesis"
    transition_seconds: float = 0.5
    """seconds a stream stays CREATING or UPDATING (AWS: tens of seconds) before it is ACTIVE"""
    shard_write_limit: bool = True
    """refuse writes past a shard's 1 MiB/s or 1,000 records/s with ProvisionedThroughputExceededException"""
    sweep_seconds: float = 60.0
    """seconds between two sweeps trimming records older than their stream's retention period"""
    shard_limit: int = 500
    """open shards per account and region (AWS's default quota)"""
    subscribe_seconds: float = 300.0
    """how long one SubscribeToShard subscription lasts (AWS: 5 minutes)"""
