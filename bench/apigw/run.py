"""API Gateway benchmark: a REST API's Lambda proxy integration against a direct boto3 Invoke
of the same warm function, in the same run: p50 latency of sequential calls (one keep-alive
connection each way), and requests per second with 16 concurrent clients for a few seconds.
The same workload against MiniStack (pip `ministack`, the peer) when it routes REST APIs to
Lambda. Prints the figures and the ratios (target: API Gateway p50 <= 1.3 x direct Invoke).

    python bench/apigw/run.py [--calls 300] [--clients 16] [--seconds 5] [--peer/--no-peer]
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.common import LAMBDA_TRUST, Gureum, Server, measure_each, ministack_server, run_threads, timed, zip_package  # noqa: E402
from bench.common import client as common_client  # noqa: E402

HANDLER = 'def handler(event, context):\n    return {"statusCode": 200, "body": "ok"}\n'


def client(service: str, endpoint: str) -> Any:
    return common_client(endpoint, service, read_timeout=60, max_pool_connections=64)


def setup(server: Server) -> tuple[str, str]:
    """(function name, API id) of a warm function behind {proxy+} ANY on stage "bench"."""
    iam, lam, apigw = (client(s, server.endpoint) for s in ("iam", "lambda", "apigateway"))
    role = iam.create_role(RoleName=f"bench-{uuid.uuid4().hex[:6]}", AssumeRolePolicyDocument=LAMBDA_TRUST)["Role"]["Arn"]
    name = f"bench-{uuid.uuid4().hex[:6]}"
    arn = lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="app.handler",
                              Code={"ZipFile": zip_package({"app.py": HANDLER})})["FunctionArn"]
    try:
        lam.get_waiter("function_active_v2").wait(FunctionName=name)
    except Exception:  # noqa: BLE001 - a peer without waiters' state
        pass
    lam.add_permission(FunctionName=name, StatementId="apigw", Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com")
    api = apigw.create_rest_api(name="bench")
    rid = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="{proxy+}")["id"]
    apigw.put_method(restApiId=api["id"], resourceId=rid, httpMethod="ANY", authorizationType="NONE")
    apigw.put_integration(restApiId=api["id"], resourceId=rid, httpMethod="ANY", type="AWS_PROXY", integrationHttpMethod="POST",
                          uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations")
    apigw.create_deployment(restApiId=api["id"], stageName="bench")
    return name, api["id"]


def routes(server: Server, api_id: str) -> list[tuple[str, str]]:
    """(Host header, path) forms a server may route REST API calls by."""
    host = f"{api_id}.execute-api.localhost:{server.port}"
    return [(host, "/bench/ping"), (f"127.0.0.1:{server.port}", f"/_aws/execute-api/{api_id}/bench/ping"),
            (f"127.0.0.1:{server.port}", f"/restapis/{api_id}/bench/_user_request_/ping")]


def get(conn: http.client.HTTPConnection, host: str, path: str) -> int:
    conn.request("GET", path, headers={"Host": host})
    r = conn.getresponse()
    r.read()
    return r.status


def working_route(server: Server, api_id: str) -> tuple[str, str] | None:
    for host, path in routes(server, api_id):
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        try:
            if get(conn, host, path) == 200:
                return host, path
        except OSError:
            pass
        finally:
            conn.close()
    return None


def p50(fn: Callable[[], None], calls: int) -> float:
    for _ in range(20):
        fn()
    return statistics.median(timed(fn, calls))


def rps(make: Callable[[], Callable[[], None]], clients: int, seconds: float) -> float:
    done = [0] * clients
    stop = time.monotonic() + seconds

    def work(i: int) -> None:
        fn = make()
        while time.monotonic() < stop:
            fn()
            done[i] += 1

    elapsed = run_threads(clients, work)  # first: the threads fill `done`
    return sum(done) / elapsed


def measure(server: Server, calls: int, clients: int, seconds: float) -> dict[str, Any]:
    name, api_id = setup(server)
    route = working_route(server, api_id)
    out: dict[str, Any] = {"server": server.name}
    lam = client("lambda", server.endpoint)
    out["invoke_p50_ms"] = p50(lambda: lam.invoke(FunctionName=name, Payload=b"{}")["Payload"].read(), calls)

    def invoker() -> Callable[[], None]:
        c = client("lambda", server.endpoint)
        return lambda: c.invoke(FunctionName=name, Payload=b"{}")["Payload"].read() and None

    out["invoke_rps"] = rps(invoker, clients, seconds)
    if route is None:
        out["apigw"] = "REST API calls not routed to Lambda"
        return out
    host, path = route

    def caller() -> Callable[[], None]:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)

        def call() -> None:
            if get(conn, host, path) != 200:
                raise RuntimeError("API Gateway call failed")
        return call

    out["apigw_route"] = path
    out["apigw_p50_ms"] = p50(caller(), calls)
    out["apigw_rps"] = rps(caller, clients, seconds)
    out["p50_ratio_apigw_over_invoke"] = out["apigw_p50_ms"] / out["invoke_p50_ms"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=300)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--peer", action=argparse.BooleanOptionalAction, default=True)
    args = ap.parse_args()
    servers: dict[str, Callable[[], Server | None]] = {"gureum": lambda: Gureum(args=["--log-level", "warning"])}
    if args.peer:
        servers["ministack"] = ministack_server
    results = list(measure_each(servers, lambda _, server: measure(server, args.calls, args.clients, args.seconds), 15).values())
    for r in results:
        print(json.dumps(r, indent=2))
    g = results[0]
    if "apigw_p50_ms" in g:
        print(f"gureum: API Gateway -> Lambda proxy p50 {g['apigw_p50_ms']:.2f} ms vs direct Invoke {g['invoke_p50_ms']:.2f} ms "
              f"= {g['p50_ratio_apigw_over_invoke']:.2f}x (target <= 1.3x); {g['apigw_rps']:.0f} req/s vs "
              f"{g['invoke_rps']:.0f} invokes/s with {args.clients} clients")
    for peer in results[1:]:
        if "apigw_p50_ms" in peer and "apigw_p50_ms" in g:
            print(f"{peer['server']}: p50 {peer['apigw_p50_ms']:.2f} ms ({g['apigw_p50_ms'] / peer['apigw_p50_ms']:.2f}x gureum/peer), "
                  f"{peer['apigw_rps']:.0f} req/s ({g['apigw_rps'] / peer['apigw_rps']:.2f}x gureum/peer)")
        else:
            print(f"{peer['server']}: {peer.get('apigw')}")


if __name__ == "__main__":
    main()
