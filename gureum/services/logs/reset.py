"""CloudWatch Logs' reset (POST /_gureum/reset, see gureum/reset.py): every log group,
stream and event, filter, destination, policy and export task is dropped in one transaction. Logs keeps no cache of its rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.reset import drop_tables
from gureum.services.logs import (
    anomalies,
    api_policies,
    deliveries,
    destinations,
    exports,
    group_extras,
    lookup_tables,
    masking,
    metric_filters,
    policies,
    queries,
    scheduled_queries,
    subscriptions,
)
from gureum.services.logs.model import EVENTS, GROUPS, STREAMS

if TYPE_CHECKING:
    from gureum.app import App

TABLES: tuple[str, ...] = (GROUPS, STREAMS, EVENTS, metric_filters.FILTERS, metric_filters.DATA, subscriptions.FILTERS,
                           subscriptions.OUTBOX, destinations.DESTINATIONS, masking.POLICIES, policies.RESOURCE_POLICIES,
                           policies.ACCOUNT_POLICIES, policies.STORAGE_TIER, api_policies.QUERY_RESULT_KEYS,
                           exports.TASKS)
# Logs Insights, deliveries, transformers and index policies, anomaly detectors, lookup
# tables, scheduled queries
PART_B_TABLES: tuple[str, ...] = (*queries.TABLES, *deliveries.TABLES, *group_extras.TABLES, anomalies.TABLE, lookup_tables.TABLE,
                                  scheduled_queries.TABLE)


async def reset(app: App) -> None:
    await app.store.run(lambda txn: drop_tables(txn, (*TABLES, *PART_B_TABLES)))
