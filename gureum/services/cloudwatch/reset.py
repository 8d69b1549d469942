"""CloudWatch's reset (POST /_gureum/reset): every metric, datapoint, dashboard, alarm and
history item is dropped in one transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.reset import drop_tables
from gureum.services.cloudwatch.alarms import ALARMS, HISTORY
from gureum.services.cloudwatch.dashboards import DASHBOARDS
from gureum.services.cloudwatch.metrics import DATA, METRICS

if TYPE_CHECKING:
    from gureum.app import App

TABLES: tuple[str, ...] = (METRICS, DATA, DASHBOARDS, ALARMS, HISTORY)


async def reset(app: App) -> None:
    await app.store.run(lambda txn: drop_tables(txn, TABLES))
