"""gureum's own view of the metric datapoints metric filters emitted (metric_filters.py's
logs.metric_data), until a CloudWatch metrics service serves them (issue 22):

  GET /_gureum/logs/metrics?account=<12 digits>&region=<region>[&namespace=<ns>[&metricName=<name>]]
  -> 200 {"datapoints": [{"Namespace", "MetricName", "Dimensions", "Timestamp" (ms), "Value", "Unit"}]}

account defaults to 000000000000 and region to us-east-1 (gureum's defaults). In strict auth
mode the request must be SigV4-signed (any service name) and shows only the signer's own
account's datapoints (a 403 otherwise): one tenant never reads another's metrics."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from gureum.http.server import Response
from gureum.services.logs import metric_filters

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.http.server import Request

PATH = "/_gureum/logs/metrics"


async def handle(app: App, request: Request) -> Response:
    if request.method != "GET" or request.path != PATH or app.is_agent:
        return Response(404, [("content-type", "text/plain")], b"Not Found")
    q = request.query_dict()
    account, region = q.get("account") or "000000000000", q.get("region") or "us-east-1"
    if app.config.auth == "strict":
        from gureum.aws import auth, routing
        from gureum.aws.errors import AwsError

        try:
            scope = routing.credential_scope(request)
            if scope is None:
                raise auth.missing_token()
            identity = await (await auth.admit(app, request, scope)).finish(b"")
        except AwsError as err:
            return Response(err.status, [("content-type", "application/json")],
                            json.dumps({"error": err.code, "message": err.message}).encode())
        account = identity.account_id
    points = await app.store.read(lambda t: metric_filters.datapoints(t, account, region, q.get("namespace") or "",
                                                                      q.get("metricName") or ""))
    return Response(200, [("content-type", "application/json")], json.dumps({"datapoints": points}).encode())
