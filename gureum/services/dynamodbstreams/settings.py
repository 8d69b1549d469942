"""DynamoDB Streams' settings (`--set dynamodbstreams.<field>=VALUE`)."""

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class StreamsSettings:
    PREFIX: ClassVar[str] = "dynamodbstreams"
    sweep_seconds: float = 60.0
    """seconds between two sweeps trimming stream records older than 24 hours"""
