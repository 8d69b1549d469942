"""DynamoDB's reset (POST /_gureum/reset): every table, item, index row, idempotency
token, backup, export and import record and capacity-hours mark dropped in one transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.reset import drop_tables
from gureum.services.dynamodb.backups import BACKUP_ITEMS, BACKUPS
from gureum.services.dynamodb.batch import TOKENS
from gureum.services.dynamodb.capacity_hours import METER
from gureum.services.dynamodb.exports import EXPORTS
from gureum.services.dynamodb.imports import IMPORTS
from gureum.services.dynamodb.items import INDEX, ITEMS
from gureum.services.dynamodb.tables import COUNTS, TABLES, TOPIC

if TYPE_CHECKING:
    from gureum.app import App

DROPPED: tuple[str, ...] = (TABLES, COUNTS, ITEMS, INDEX, TOKENS, BACKUPS, BACKUP_ITEMS, EXPORTS, IMPORTS, METER)


async def reset(app: App) -> None:
    def txn(t: object) -> None:
        from gureum.store import Txn
        assert isinstance(t, Txn)
        drop_tables(t, DROPPED)
        t.publish(TOPIC, {"key": ""})

    await app.store.run(txn)
