"""What an HTTP API request leaves behind, as AWS records it:

- `AWS/ApiGateway` metrics through CloudWatch's port (batched per minute): Count, 4xx, 5xx,
  Latency and IntegrationLatency (ms), DataProcessed (bytes), per ApiId and per ApiId+Stage
  (and per ApiId+Stage+Route when the stage's DetailedMetricsEnabled is on); WebSocket APIs'
  ConnectCount and MessageCount per ApiId and ApiId+Stage.
- The stage's access log (AccessLogSettings: DestinationArn, a log group ARN, and Format, with
  `$context.<name>` variables): one line per request into stream `<apiId>_<stage>` of that
  group through the node's CloudWatch Logs writer (`app.logs`).
- The usage ledger: one "ApiGatewayHttpRequest" per request API Gateway bills (those that
  reached the integration, per 512 KB of request and response), and for WebSocket APIs
  "ApiGatewayMessage" (per 32 KB) and "ApiGatewayMinute" (connection minutes, rounded up).
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gureum.aws import arn as arns
from gureum.services.cloudwatch import port as cloudwatch

if TYPE_CHECKING:
    from gureum.app import App

NAMESPACE = "AWS/ApiGateway"
_VARIABLE = re.compile(r"\$context\.([A-Za-z0-9_.]+)")


@dataclass
class Served:
    """One HTTP API request, once answered."""

    account: str
    region: str
    api_id: str
    stage: str | None
    route_key: str | None
    method: str
    path: str
    protocol: str
    source_ip: str
    user_agent: str
    request_id: str
    started: float  # epoch seconds
    status: int = 0
    response_bytes: int = 0
    request_bytes: int = 0
    integration_ms: float | None = None
    integration_status: int | None = None
    error: str = ""
    billed: bool = False  # it reached the integration


def _context(r: Served, latency_ms: float) -> dict[str, str]:
    return {
        "requestId": r.request_id, "extendedRequestId": r.request_id, "apiId": r.api_id,
        "stage": r.stage or "-", "routeKey": r.route_key or "-", "httpMethod": r.method, "path": r.path,
        "protocol": r.protocol, "status": str(r.status), "responseLength": str(r.response_bytes),
        "identity.sourceIp": r.source_ip, "identity.userAgent": r.user_agent or "-",
        "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(r.started)),
        "requestTimeEpoch": str(int(r.started)), "responseLatency": str(int(latency_ms)),
        "integrationLatency": str(int(r.integration_ms)) if r.integration_ms is not None else "-",
        "integrationStatus": str(r.integration_status) if r.integration_status is not None else "-",
        "integrationErrorMessage": r.error or "-", "accountId": r.account,
    }


def access_line(format_: str, r: Served, latency_ms: float) -> str:
    values = _context(r, latency_ms)
    return _VARIABLE.sub(lambda m: values.get(m.group(1), "-"), format_)


def served(app: App, r: Served, stage_doc: dict[str, Any] | None) -> None:
    latency = (time.time() - r.started) * 1000
    dims: list[dict[str, str]] = [{"ApiId": r.api_id}]
    if r.stage is not None:
        dims.append({"ApiId": r.api_id, "Stage": r.stage})
        if r.route_key and (stage_doc or {}).get("DefaultRouteSettings", {}).get("DetailedMetricsEnabled"):
            dims.append({"ApiId": r.api_id, "Stage": r.stage, "Route": r.route_key})
    for d in dims:
        _emit(app, r, d, "Count", 1.0, "Count")
        _emit(app, r, d, "4xx", 1.0 if 400 <= r.status < 500 else 0.0, "Count")
        _emit(app, r, d, "5xx", 1.0 if r.status >= 500 else 0.0, "Count")
        _emit(app, r, d, "Latency", latency, "Milliseconds")
        if r.integration_ms is not None:
            _emit(app, r, d, "IntegrationLatency", r.integration_ms, "Milliseconds")
        _emit(app, r, d, "DataProcessed", float(r.request_bytes + r.response_bytes), "Bytes")
    settings = (stage_doc or {}).get("AccessLogSettings") or {}
    group = _group_of(str(settings.get("DestinationArn") or ""))
    if group and settings.get("Format") and r.stage is not None:
        line = access_line(str(settings["Format"]), r, latency)
        app.logs.append(r.account, r.region, group, f"{r.api_id}_{r.stage}", [(int(r.started * 1000), line)])
    if r.billed:
        units = max(1, math.ceil(max(r.request_bytes, r.response_bytes) / (512 * 1024)))
        app.ledger.add(r.account, r.region, "apigateway", "ApiGatewayHttpRequest",
                       arns.apigateway_resource(r.region, f"/apis/{r.api_id}"), units)


def _emit(app: App, r: Served, dims: dict[str, str], metric: str, value: float, unit: str) -> None:
    cloudwatch.emit(app, r.account, r.region, NAMESPACE, metric, dims, value, unit)


def _group_of(arn: str) -> str | None:
    """The log group an AccessLogSettings.DestinationArn names (arn:aws:logs:...:log-group:<name>[:*])."""
    f = arns.try_parse(arn)
    if f is None or f.service != "logs" or not f.resource.startswith("log-group:"):
        return None
    return f.resource[len("log-group:"):].removesuffix(":*") or None


def websocket_metric(app: App, account: str, region: str, api_id: str, stage: str, metric: str) -> None:
    """ConnectCount or MessageCount of a WebSocket API, per ApiId and per ApiId+Stage."""
    for dims in ({"ApiId": api_id}, {"ApiId": api_id, "Stage": stage}):
        cloudwatch.emit(app, account, region, NAMESPACE, metric, dims, 1.0, "Count")


def websocket_message(app: App, account: str, region: str, api_id: str, size: int) -> None:
    app.ledger.add(account, region, "apigateway", "ApiGatewayMessage",
                   arns.apigateway_resource(region, f"/apis/{api_id}"), max(1, math.ceil(size / (32 * 1024))))


def websocket_closed(app: App, account: str, region: str, api_id: str, seconds: float) -> None:
    app.ledger.add(account, region, "apigateway", "ApiGatewayMinute",
                   arns.apigateway_resource(region, f"/apis/{api_id}"), max(1, math.ceil(seconds / 60)))
