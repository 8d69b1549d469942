"""CloudWatch Logs' reset (POST /_gureum/reset, see gureum/reset.py): every log group,
stream and event is dropped in one transaction. Logs keeps no cache of its rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.reset import drop_tables
from gureum.services.logs import (
    account_settings,
    anomalies,
    deliveries,
    group_extras,
    lookup_tables,
    queries,
    scheduled_queries,
)
from gureum.services.logs.model import EVENTS, GROUPS, STREAMS

if TYPE_CHECKING:
    from gureum.app import App

TABLES: tuple[str, ...] = (GROUPS, STREAMS, EVENTS)
# Logs Insights, deliveries, transformers and index policies, anomaly detectors, lookup
# tables, scheduled queries, account settings
PART_B_TABLES: tuple[str, ...] = (*queries.TABLES, *deliveries.TABLES, *group_extras.TABLES, anomalies.TABLE, lookup_tables.TABLE,
                                  scheduled_queries.TABLE, account_settings.TABLE)


async def reset(app: App) -> None:
    await app.store.run(lambda txn: drop_tables(txn, (*TABLES, *PART_B_TABLES)))
