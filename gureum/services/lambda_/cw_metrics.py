"""The `AWS/Lambda` metrics AWS emits for every invocation, sent to CloudWatch through its port
(gureum/services/cloudwatch/port.py `emit`, batched per minute): Invocations, Errors,
Duration (ms), Throttles and ConcurrentExecutions, each without dimensions (the account's
totals), per FunctionName, and per FunctionName and Resource (the function, or
"name:qualifier" when a version or alias was invoked), as AWS publishes them."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from gureum.services.cloudwatch import port as cloudwatch

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.services.cloudwatch.emitter import Dimensions

NAMESPACE = "AWS/Lambda"


def _dimension_sets(name: str, qualifier: str | None) -> list[dict[str, str]]:
    resource = f"{name}:{qualifier}" if qualifier else name
    return [{}, {"FunctionName": name}, {"FunctionName": name, "Resource": resource}]


@functools.lru_cache(maxsize=4096)
def _dimension_keys(name: str, qualifier: str | None) -> tuple[Dimensions, ...]:
    """_dimension_sets as the emitter's sorted pairs (worked out once per function and qualifier)."""
    return tuple(tuple(sorted(d.items())) for d in _dimension_sets(name, qualifier))


def _emit(app: App, account: str, region: str, name: str, qualifier: str | None, metric: str, value: float,
          unit: str) -> None:
    for dims in _dimension_sets(name, qualifier):
        cloudwatch.emit(app, account, region, NAMESPACE, metric, dims, value, unit)


def invoked(app: App, account: str, region: str, name: str, qualifier: str | None, *, failed: bool,
            duration_ms: float, concurrent: int) -> None:
    """One invocation ran (successfully or with a function error): its four metrics under
    each dimension set, recorded in one call."""
    values = (("Invocations", 1.0, "Count"), ("Errors", 1.0 if failed else 0.0, "Count"),
              ("Duration", float(duration_ms), "Milliseconds"), ("ConcurrentExecutions", float(concurrent), "Count"))
    dims = _dimension_keys(name, qualifier)
    cloudwatch.emit_all(app, account, region, NAMESPACE, [(metric, d, value, unit) for metric, value, unit in values for d in dims])


def throttled(app: App, account: str, region: str, name: str, qualifier: str | None) -> None:
    """One invocation was refused for concurrency."""
    _emit(app, account, region, name, qualifier, "Throttles", 1.0, "Count")
