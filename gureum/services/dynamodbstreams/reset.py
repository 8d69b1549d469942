"""DynamoDB Streams' reset (POST /_gureum/reset): every stream, shard, record and counter
dropped in one transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.reset import drop_tables
from gureum.services.dynamodbstreams.model import COUNTERS, RECORDS, SHARDS, STREAMS

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store import Txn


def reset_txn(txn: Txn) -> int:
    return drop_tables(txn, (STREAMS, SHARDS, RECORDS, COUNTERS))


async def reset(app: App) -> None:
    await app.store.run(reset_txn)
