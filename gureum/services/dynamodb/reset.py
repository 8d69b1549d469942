"""DynamoDB's reset (POST /_gureum/reset): every table, item, index row and idempotency
token dropped in one transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.reset import drop_tables
from gureum.services.dynamodb.batch import TOKENS
from gureum.services.dynamodb.items import INDEX, ITEMS
from gureum.services.dynamodb.tables import COUNTS, TABLES, TOPIC

if TYPE_CHECKING:
    from gureum.app import App

DROPPED: tuple[str, ...] = (TABLES, COUNTS, ITEMS, INDEX, TOKENS)


async def reset(app: App) -> None:
    def txn(t: object) -> None:
        from gureum.store import Txn
        assert isinstance(t, Txn)
        drop_tables(t, DROPPED)
        t.publish(TOPIC, {"key": ""})

    await app.store.run(txn)
