"""CloudWatch for other services (imported as a module, gureum/ports.py):

- `emit(app, account, region, namespace, name, dimensions, value, unit)`: record one value of a
  metric AWS emits on the service's behalf (AWS/Lambda Invocations, Duration, ...), batched per
  minute in memory and written every few seconds (emitter.py); never blocks, never raises for
  the caller's sake.
- `put_datapoints(txn, account, region, namespace, data)`: store datapoints inside the
  caller's transaction (CloudWatch Logs metric filters: a datapoint exists exactly when the
  events that made it were stored). `data` items are PutMetricData's MetricDatum (MetricName,
  Dimensions [{"Name","Value"}], Timestamp (aware datetime), Value, Unit).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from gureum.services.cloudwatch import metrics
from gureum.services.cloudwatch.slots import EMITTER

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store import Txn


def emit(app: App, account: str, region: str, namespace: str, name: str, dimensions: dict[str, str], value: float,
         unit: str | None = None) -> None:
    from gureum.services.cloudwatch.emitter import Emitter

    app.parts.lazy(EMITTER, lambda: Emitter(app)).emit(account, region, namespace, name, dimensions, value, unit)


def put_datapoints(txn: Txn, account: str, region: str, namespace: str, data: list[dict[str, Any]]) -> None:
    metrics.put(txn, account, region, namespace, data, time.time())
