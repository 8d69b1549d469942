"""DynamoDB's settings (`--set dynamodb.<field>=VALUE` or GUREUM_DYNAMODB_<FIELD>)."""

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class DynamoDbSettings:
    PREFIX: ClassVar[str] = "dynamodb"
    ttl_sweep_seconds: float = 30.0
    """seconds between two sweeps deleting expired items of tables with TTL enabled"""
    ttl_batch: int = 500
    """expired items deleted per store transaction by the TTL sweep"""
