"""API Gateway HTTP API benchmark: a request through an HTTP API to a warm Lambda function
(proxy integration, payload 2.0) against a direct boto3 Invoke of the same function, in the
same run on the same gureum; then requests per second through the API with concurrent
clients. With MiniStack installed (`ministack` on PATH or next to this Python), the same
workload against its API Gateway v2, in the same run.

    python bench/apigw2/run.py [--requests 300] [--clients 16] [--seconds 5] [--skip-ministack]

Each client keeps one HTTP/1.1 connection (http.client) to the invoke URL, sending the
API's Host header (`<id>.execute-api.localhost:<port>`); boto3 keeps its own pool. Prints
p50/p99 in ms, the ratio API p50 / Invoke p50 (issue 16's target: <= 1.3), and rps through
the API next to direct Invokes with as many clients.
Loopback only; the servers are started and stopped here.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.common import LAMBDA_TRUST, Gureum, Server, ministack_server, pct, run_threads, timed, zip_package  # noqa: E402
from bench.common import client as common_client  # noqa: E402

HANDLER = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'ok'}\n"


def client(endpoint: str, service: str) -> Any:
    return common_client(endpoint, service, read_timeout=60, max_pool_connections=64)


def setup(server: Server) -> tuple[str, str]:
    """(function name, API id) of a warm function behind a quick-created HTTP API."""
    iam, lam, apigw = client(server.endpoint, "iam"), client(server.endpoint, "lambda"), client(server.endpoint, "apigatewayv2")
    role = iam.create_role(RoleName=f"bench-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=LAMBDA_TRUST)["Role"]["Arn"]
    name = f"bench-{uuid.uuid4().hex[:8]}"
    arn = lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="app.handler",
                              Code={"ZipFile": zip_package({"app.py": HANDLER})})["FunctionArn"]
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    lam.add_permission(FunctionName=name, StatementId="apigw", Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com")
    api_id = apigw.create_api(Name="bench", ProtocolType="HTTP")["ApiId"]
    iid = apigw.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=arn,
                                   PayloadFormatVersion="2.0")["IntegrationId"]
    apigw.create_route(ApiId=api_id, RouteKey="GET /bench", Target=f"integrations/{iid}")
    apigw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    return name, api_id


class Api:
    """One keep-alive connection to the API's invoke URL."""

    def __init__(self, server: Server, api_id: str) -> None:
        self.host = f"{api_id}.execute-api.localhost:{server.port}"
        self.conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)

    def get(self) -> int:
        self.conn.request("GET", "/bench", headers={"Host": self.host})
        resp = self.conn.getresponse()
        resp.read()
        return resp.status


def rps(server: Server, api_id: str, clients: int, seconds: float) -> float:
    done = [0] * clients
    stop = time.perf_counter() + seconds
    errors: list[int] = []

    def work(i: int) -> None:
        api = Api(server, api_id)
        while time.perf_counter() < stop:
            status = api.get()
            if status != 200:
                errors.append(status)
            done[i] += 1

    elapsed = run_threads(clients, work)
    if errors:
        print(f"  ({len(errors)} non-200 answers: {sorted(set(errors))})")
    return sum(done) / elapsed


def invoke_rps(server: Server, name: str, clients: int, seconds: float) -> float:
    """The floor of `rps`: direct boto3 Invokes of the same function with as many clients."""
    done = [0] * clients
    stop = time.perf_counter() + seconds

    def work(i: int) -> None:
        lam = client(server.endpoint, "lambda")
        while time.perf_counter() < stop:
            lam.invoke(FunctionName=name, Payload=b"{}")["Payload"].read()
            done[i] += 1

    elapsed = run_threads(clients, work)  # first: the threads fill `done`
    return sum(done) / elapsed


def bench(server: Server, requests: int, clients: int, seconds: float) -> dict[str, float]:
    name, api_id = setup(server)
    lam = client(server.endpoint, "lambda")
    api = Api(server, api_id)
    assert api.get() == 200, "the API does not answer 200"
    for _ in range(20):  # warm both paths
        api.get()
        lam.invoke(FunctionName=name, Payload=b"{}")
    api_ms, invoke_ms = [], []
    for _ in range(requests // 50):  # interleaved, so load changes hit both alike
        api_ms += timed(api.get, 50)
        invoke_ms += timed(lambda: lam.invoke(FunctionName=name, Payload=b"{}")["Payload"].read(), 50)
    return {"api_p50": statistics.median(api_ms), "api_p99": pct(api_ms, 0.99),
            "invoke_p50": statistics.median(invoke_ms), "invoke_p99": pct(invoke_ms, 0.99),
            **concurrent(server, name, api_id, clients, seconds)}


def concurrent(server: Server, name: str, api_id: str, clients: int, seconds: float) -> dict[str, float]:
    """rps through the API and through direct Invokes, after a warm-up that starts as many
    function environments as there are clients (so neither run pays the other's cold starts)."""
    invoke_rps(server, name, clients, min(seconds, 3.0))
    return {"rps": rps(server, api_id, clients, seconds), "invoke_rps": invoke_rps(server, name, clients, seconds)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--skip-ministack", action="store_true")
    args = ap.parse_args()
    peer = None if args.skip_ministack else ministack_server()
    results: dict[str, dict[str, float]] = {}
    for server in [Gureum(prefix="gureum-bench-apigw2-", args=["--log-level", "warning"]), *([peer] if peer else [])]:
        server.start()
        try:
            results[server.name] = bench(server, args.requests, args.clients, args.seconds)
        except Exception as e:  # the peer may not serve it: say so, keep gureum's figures
            print(f"{server.name}: {type(e).__name__}: {e}")
        finally:
            server.stop()
    if peer is None and not args.skip_ministack:
        print("MiniStack is not installed (pip install ministack): gureum only")
    for name, r in results.items():
        print(f"{name:10s} API->Lambda p50 {r['api_p50']:.2f} ms (p99 {r['api_p99']:.2f})  "
              f"Invoke p50 {r['invoke_p50']:.2f} ms (p99 {r['invoke_p99']:.2f})  "
              f"ratio {r['api_p50'] / r['invoke_p50']:.2f} (target <= 1.3)  "
              f"{r['rps']:.0f} req/s with {args.clients} clients (direct Invoke: {r['invoke_rps']:.0f}/s)")


if __name__ == "__main__":
    main()
