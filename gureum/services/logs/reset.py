"""CloudWatch Logs' reset (POST /_gureum/reset, see gureum/reset.py): every log group,
stream and event is dropped in one transaction. Logs keeps no cache of its rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.reset import drop_tables
from gureum.services.logs import deliveries, queries, transformers
from gureum.services.logs.model import EVENTS, GROUPS, STREAMS

if TYPE_CHECKING:
    from gureum.app import App

TABLES: tuple[str, ...] = (GROUPS, STREAMS, EVENTS, *queries.TABLES, *deliveries.TABLES, transformers.TABLE)


async def reset(app: App) -> None:
    await app.store.run(lambda txn: drop_tables(txn, TABLES))
