"""CloudWatch for other services (imported as a module, gureum/ports.py):

- `emit(app, account, region, namespace, name, dimensions, value, unit, at=None, count=1)`:
  record one value (or `count` equal values, at time `at`) of a metric AWS emits on the
  service's behalf (AWS/Lambda Invocations, Duration, ...), batched per minute in memory and
  written every few seconds (emitter.py); never blocks, never raises for the caller's sake.
- `emit_all(app, account, region, namespace, points, at=None)`: several such values at once
  (one event's metrics), each (name, sorted dimension pairs, value, unit).
- `put_datapoints(txn, account, region, namespace, data)`: store datapoints inside the
  caller's transaction (CloudWatch Logs metric filters: a datapoint exists exactly when the
  events that made it were stored). `data` items are PutMetricData's MetricDatum (MetricName,
  Dimensions [{"Name","Value"}], Timestamp (aware datetime), Value, Unit).
- `alarm_states(txn, alarms)`: the states of named alarms (Route 53's CLOUDWATCH_METRIC
  health checks follow them).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from gureum.services.cloudwatch import metrics
from gureum.services.cloudwatch.slots import EMITTER

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.services.cloudwatch.emitter import Point
    from gureum.store import Txn


def emit(app: App, account: str, region: str, namespace: str, name: str, dimensions: dict[str, str], value: float,
         unit: str | None = None, at: float | None = None, count: float = 1.0) -> None:
    from gureum.services.cloudwatch.emitter import Emitter

    app.parts.lazy(EMITTER, lambda: Emitter(app)).emit(account, region, namespace, name, dimensions, value, unit,
                                                       at, count)


def emit_all(app: App, account: str, region: str, namespace: str, points: Iterable[Point], at: float | None = None) -> None:
    """`emit` of several values at once, each (metric name, dimensions as (name, value) pairs
    sorted by name, value, unit): one event's metrics (Lambda's per invocation)."""
    from gureum.services.cloudwatch.emitter import Emitter

    app.parts.lazy(EMITTER, lambda: Emitter(app)).emit_all(account, region, namespace, points, at)


def put_datapoints(txn: Txn, account: str, region: str, namespace: str, data: list[dict[str, Any]]) -> None:
    metrics.put(txn, account, region, namespace, data, time.time())


def alarm_states(txn: Txn, alarms: list[tuple[str, str, str]]) -> dict[tuple[str, str, str], str]:
    """(account, Region, alarm name) -> the alarm's StateValue (OK, ALARM, INSUFFICIENT_DATA)
    for those of `alarms` that exist (Route 53's CLOUDWATCH_METRIC health checks)."""
    from gureum.services.cloudwatch import alarms as alarm_model

    out: dict[tuple[str, str, str], str] = {}
    for ref in alarms:
        doc = alarm_model.get(txn, *ref)
        if doc is not None:
            out[ref] = str(doc.get("StateValue") or "INSUFFICIENT_DATA")
    return out
