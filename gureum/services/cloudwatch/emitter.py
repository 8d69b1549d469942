"""The metrics gureum's services emit as AWS does (AWS/Lambda Invocations, Errors, ...): kept
per metric and minute in memory on this node and written to the metric store in one
transaction every `cloudwatch.emit_interval` seconds (gureum/services/cloudwatch/metrics.py),
so an invocation costs no store write. Each node flushes its own sums; a minute's statistic
set merges what every node sent. Unflushed sums are written when the node stops."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from gureum.services.cloudwatch import metrics, stats
from gureum.services.cloudwatch.settings import CloudWatchSettings

if TYPE_CHECKING:
    from gureum.app import App

log = logging.getLogger(__name__)

Dimensions = tuple[tuple[str, str], ...]  # sorted by name
Key = tuple[str, str, str, str, Dimensions, str | None, int]
Point = tuple[str, Dimensions, float, str | None]  # metric name, dimensions, value, unit

# Distinct values a minute's running set keeps before it is thinned to stats.MAX_VALUES
# (thinning sorts: doing it every few hundred values keeps an emit O(1) amortised).
_COMPACT_AT = 4 * stats.MAX_VALUES


class _Running:
    """One metric-minute's values as they arrive: count, sum, extremes and value -> count,
    turned into a `stats.Agg` when flushed."""

    __slots__ = ("count", "total", "lo", "hi", "values")

    def __init__(self, value: float, count: float = 1.0) -> None:
        self.count, self.total, self.lo, self.hi = count, value * count, value, value
        self.values: dict[float, float] = {value: count}

    def add(self, value: float, count: float = 1.0) -> None:
        self.count += count
        self.total += value * count
        if value < self.lo:
            self.lo = value
        elif value > self.hi:
            self.hi = value
        values = self.values
        values[value] = values.get(value, 0.0) + count
        if len(values) > _COMPACT_AT:
            self.values = {v: c for v, c in self._kept()}

    def _kept(self) -> list[list[float]]:
        items = sorted(self.values.items())
        return [[v, c] for v, c in items] if len(items) <= stats.MAX_VALUES else stats.thin(items)

    def agg(self) -> stats.Agg:
        return {"c": self.count, "s": self.total, "lo": self.lo, "hi": self.hi, "v": self._kept()}


class Emitter:
    def __init__(self, app: App) -> None:
        self.app = app
        self.pending: dict[Key, _Running] = {}
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
             unit: str | None = None, at: float | None = None, count: float = 1.0) -> None:
        """Record `value` `count` times (a caller's own tally of equal values, emitted at once)."""
        t = at if at is not None else time.time()
        k: Key = (account, region, namespace, name, tuple(sorted(dimensions.items())), unit, int(t // 60 * 60))
        running = self.pending.get(k)
        if running is None:
            self.pending[k] = _Running(float(value), count)
        else:
            running.add(float(value), count)

    def emit_all(self, account: str, region: str, namespace: str, points: Iterable[Point], at: float | None = None) -> None:
        """Record one value of each point at the same time `at` (now when None): a caller's
        several metrics of one event (Lambda's per invocation), dimensions already sorted."""
        minute = int((at if at is not None else time.time()) // 60 * 60)
        pending = self.pending
        for name, dims, value, unit in points:
            k: Key = (account, region, namespace, name, dims, unit, minute)
            running = pending.get(k)
            if running is None:
                pending[k] = _Running(value)
            else:
                running.add(value)

    async def flush(self) -> None:
        if not self.pending:
            return
        batch, self.pending = self.pending, {}
        groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        for (account, region, ns, name, dims, unit, minute), running in batch.items():
            groups.setdefault((account, region, ns), []).append({
                "MetricName": name, "Dimensions": [{"Name": k, "Value": v} for k, v in dims],
                "Timestamp": metrics.to_datetime(minute), "Unit": unit, "agg": running.agg()})
        now = time.time()

        def write(txn: Any) -> None:
            for (account, region, ns), data in groups.items():
                metrics.put(txn, account, region, ns, data, now)

        await self.app.store.run(write)
