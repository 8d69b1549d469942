"""The `AWS/Lambda` metrics AWS emits for every invocation, sent to CloudWatch through its port
(gureum/services/cloudwatch/port.py `emit`, batched per minute): Invocations, Errors,
Duration (ms), Throttles and ConcurrentExecutions, each without dimensions (the account's
totals), per FunctionName, and per FunctionName and Resource (the function, or
"name:qualifier" when a version or alias was invoked), as AWS publishes them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.services.cloudwatch import port as cloudwatch

if TYPE_CHECKING:
    from gureum.app import App

NAMESPACE = "AWS/Lambda"


def _dimension_sets(name: str, qualifier: str | None) -> list[dict[str, str]]:
    resource = f"{name}:{qualifier}" if qualifier else name
    return [{}, {"FunctionName": name}, {"FunctionName": name, "Resource": resource}]


def _emit(app: App, account: str, region: str, name: str, qualifier: str | None, metric: str, value: float,
          unit: str) -> None:
    for dims in _dimension_sets(name, qualifier):
        cloudwatch.emit(app, account, region, NAMESPACE, metric, dims, value, unit)


def invoked(app: App, account: str, region: str, name: str, qualifier: str | None, *, failed: bool,
            duration_ms: float, concurrent: int) -> None:
    """One invocation ran (successfully or with a function error)."""
    _emit(app, account, region, name, qualifier, "Invocations", 1.0, "Count")
    _emit(app, account, region, name, qualifier, "Errors", 1.0 if failed else 0.0, "Count")
    _emit(app, account, region, name, qualifier, "Duration", duration_ms, "Milliseconds")
    _emit(app, account, region, name, qualifier, "ConcurrentExecutions", float(concurrent), "Count")


def throttled(app: App, account: str, region: str, name: str, qualifier: str | None) -> None:
    """One invocation was refused for concurrency."""
    _emit(app, account, region, name, qualifier, "Throttles", 1.0, "Count")
