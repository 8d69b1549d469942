"""The metrics gureum's services emit as AWS does (AWS/Lambda Invocations, Errors, ...): kept
per metric and minute in memory on this node and written to the metric store in one
transaction every `cloudwatch.emit_interval` seconds (gureum/services/cloudwatch/metrics.py),
so an invocation costs no store write. Each node flushes its own sums; a minute's statistic
set merges what every node sent. Unflushed sums are written when the node stops."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from gureum.services.cloudwatch import metrics, stats
from gureum.services.cloudwatch.settings import CloudWatchSettings

if TYPE_CHECKING:
    from gureum.app import App

log = logging.getLogger(__name__)

Key = tuple[str, str, str, str, tuple[tuple[str, str], ...], str | None, int]


class Emitter:
    def __init__(self, app: App) -> None:
        self.app = app
        self.pending: dict[Key, stats.Agg] = {}
        self.interval = app.settings(CloudWatchSettings).emit_interval
        app.spawn(self.run(), "cloudwatch-emit")

    async def run(self) -> None:
        """Flush every `interval` seconds; what is pending when the node stops is written then."""
        try:
            while True:
                await asyncio.sleep(self.interval)
                try:
                    await self.flush()
                except Exception:  # the store away: these sums are lost, the next ones go on
                    log.exception("cloudwatch: writing emitted metrics failed")
        finally:
            await asyncio.shield(self.flush())

    def emit(self, account: str, region: str, namespace: str, name: str, dimensions: dict[str, str], value: float,
             unit: str | None = None, at: float | None = None) -> None:
        t = at if at is not None else time.time()
        k: Key = (account, region, namespace, name, tuple(sorted(dimensions.items())), unit, int(t // 60 * 60))
        self.pending[k] = stats.merge(self.pending.get(k), stats.of_value(float(value)))

    async def flush(self) -> None:
        if not self.pending:
            return
        batch, self.pending = self.pending, {}
        groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        for (account, region, ns, name, dims, unit, minute), agg in batch.items():
            groups.setdefault((account, region, ns), []).append({
                "MetricName": name, "Dimensions": [{"Name": k, "Value": v} for k, v in dims],
                "Timestamp": metrics.to_datetime(minute), "Unit": unit, "agg": agg})
        now = time.time()

        def write(txn: Any) -> None:
            for (account, region, ns), data in groups.items():
                metrics.put(txn, account, region, ns, data, now)

        await self.app.store.run(write)
