"""Kinesis's reset (POST /_gureum/reset): every stream, shard, record, counter, consumer and
resource policy dropped in one transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.reset import drop_tables
from gureum.services.kinesis.consumers import CONSUMERS, SUBSCRIPTIONS
from gureum.services.kinesis.records import RECORDS
from gureum.services.kinesis.resource_policy import POLICIES
from gureum.services.kinesis.streams import COUNTERS, SHARDS, STREAMS, TOPIC

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store import Txn

DROPPED: tuple[str, ...] = (STREAMS, SHARDS, RECORDS, COUNTERS, CONSUMERS, SUBSCRIPTIONS, POLICIES)


def reset_txn(txn: Txn) -> int:
    n = drop_tables(txn, DROPPED)
    txn.publish(TOPIC, {"key": ""})
    return n


async def reset(app: App) -> None:
    await app.store.run(reset_txn)
