"""What a data-plane request leaves behind: the AWS/ApiGateway metrics AWS publishes (Count,
4XXError, 5XXError, Latency, IntegrationLatency; per ApiName and per ApiName and Stage),
sent through CloudWatch's port (batched, never waiting), and one usage ledger row per
request ({"region", "resource": the API's ARN, "api_type": "REST", "requests": 1})."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.services.apigateway.apis import api_arn
from gureum.services.cloudwatch import port as cloudwatch

if TYPE_CHECKING:
    from gureum.app import App

NAMESPACE = "AWS/ApiGateway"


def served(app: App, account: str, region: str, api_id: str, api_name: str, stage: str, status: int,
           latency_ms: float, integration_ms: float | None) -> None:
    """One request answered (after the client has its answer: nothing here waits)."""
    for dims in ({"ApiName": api_name}, {"ApiName": api_name, "Stage": stage}):
        cloudwatch.emit(app, account, region, NAMESPACE, "Count", dims, 1.0, "Count")
        cloudwatch.emit(app, account, region, NAMESPACE, "4XXError", dims, 1.0 if 400 <= status < 500 else 0.0, "Count")
        cloudwatch.emit(app, account, region, NAMESPACE, "5XXError", dims, 1.0 if status >= 500 else 0.0, "Count")
        cloudwatch.emit(app, account, region, NAMESPACE, "Latency", dims, latency_ms, "Milliseconds")
        if integration_ms is not None:
            cloudwatch.emit(app, account, region, NAMESPACE, "IntegrationLatency", dims, integration_ms, "Milliseconds")
    app.ledger.record(account, "apigateway", {"region": region, "resource": api_arn(region, api_id), "api_type": "REST",
                                              "requests": 1})
