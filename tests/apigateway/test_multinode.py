"""REST APIs on two gureum nodes sharing one PostgreSQL store: what one node's control plane
deploys, the other node's execute-api serves, and a redeployment reaches it within its
follow interval (a deadline, not a sleep)."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any

import pytest
from harness import GureumProcess
from waiting import wait_for

pytestmark = [pytest.mark.xdist_group("multinode"), pytest.mark.e2e]


@pytest.fixture(scope="module")
def pair(pg_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GureumProcess, GureumProcess]]:
    base = tmp_path_factory.mktemp("apigw-mn")
    args = ["--state", pg_database, "--set", "ecs.enabled=0"]
    a, b = GureumProcess(base / "a", extra_args=args), GureumProcess(base / "b", extra_args=args)
    a.start()
    try:
        b.start()
    except BaseException:
        a.stop()
        raise
    yield a, b
    b.stop()
    a.stop()


def served(node: GureumProcess, api_id: str) -> Any:
    port = int(node.endpoint.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", f"/_aws/execute-api/{api_id}/live/")
    r = conn.getresponse()
    data = r.read()
    conn.close()
    try:
        return r.status, json.loads(data) if data else None
    except ValueError:  # no longer a REST API: not API Gateway's answer
        return r.status, data


def test_a_deployment_on_one_node_is_served_by_the_other(pair: tuple[GureumProcess, GureumProcess]) -> None:
    a, b = pair
    apigw = a.client("apigateway")
    api = apigw.create_rest_api(name="mn")
    rid = api["rootResourceId"]
    apigw.put_method(restApiId=api["id"], resourceId=rid, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api["id"], resourceId=rid, httpMethod="GET", type="MOCK",
                          requestTemplates={"application/json": '{"statusCode": 200}'})
    apigw.put_method_response(restApiId=api["id"], resourceId=rid, httpMethod="GET", statusCode="200")

    def answer(v: str) -> None:
        apigw.put_integration_response(restApiId=api["id"], resourceId=rid, httpMethod="GET", statusCode="200",
                                       responseTemplates={"application/json": '{"v": "' + v + '"}'})

    answer("1")
    apigw.create_deployment(restApiId=api["id"], stageName="live")
    assert served(b, api["id"]) == (200, {"v": "1"})  # b caches what it served
    answer("2")
    apigw.create_deployment(restApiId=api["id"], stageName="live")
    wait_for("node b to serve the new deployment", lambda: served(b, api["id"]) == (200, {"v": "2"}), 30)
    apigw.delete_rest_api(restApiId=api["id"])
    wait_for("node b to drop the deleted API", lambda: served(b, api["id"])[0] != 200, 30)


def test_flush_stage_cache_on_one_node_empties_the_others(pair: tuple[GureumProcess, GureumProcess]) -> None:
    import http.server
    import itertools
    import threading

    counter = itertools.count(1)

    class Counting(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            data = json.dumps({"n": next(counter)}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Counting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        a, b = pair
        apigw = a.client("apigateway")
        api = apigw.create_rest_api(name="mn-cache")
        rid = api["rootResourceId"]
        apigw.put_method(restApiId=api["id"], resourceId=rid, httpMethod="GET", authorizationType="NONE")
        apigw.put_integration(restApiId=api["id"], resourceId=rid, httpMethod="GET", type="HTTP_PROXY",
                              integrationHttpMethod="GET", uri=f"http://127.0.0.1:{server.server_address[1]}/")
        apigw.create_deployment(restApiId=api["id"], stageName="live")
        apigw.update_stage(restApiId=api["id"], stageName="live", patchOperations=[
            {"op": "replace", "path": "/cacheClusterEnabled", "value": "true"},
            {"op": "replace", "path": "/*/*/caching/enabled", "value": "true"}])
        wait_for("the cache cluster", lambda: apigw.get_stage(restApiId=api["id"], stageName="live")["cacheClusterStatus"]
                 == "AVAILABLE", timeout=60)

        def cached_on_b() -> Any:
            first, second = served(b, api["id"])[1], served(b, api["id"])[1]
            return first == second and first  # b serves from its cache (its view of the stage has caught up)

        before = wait_for("node b to cache", cached_on_b, timeout=60)
        apigw.flush_stage_cache(restApiId=api["id"], stageName="live")  # asked of node a
        wait_for("node b's cache to be flushed", lambda: served(b, api["id"])[1] != before, timeout=30)
    finally:
        server.shutdown()
        server.server_close()


def _keyed(node: GureumProcess, api_id: str, key: str) -> int:
    port = int(node.endpoint.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", f"/_aws/execute-api/{api_id}/live/", headers={"x-api-key": key})
        r = conn.getresponse()
        r.read()
        return r.status
    finally:
        conn.close()


def _quota_scenario(a: GureumProcess, b: GureumProcess, api_id: str) -> tuple[str, list[int]]:
    """Five requests' quota spent across both nodes; the UTC day it ran in and every status."""
    import datetime as dt
    import uuid

    day = dt.datetime.now(dt.UTC).date().isoformat()
    apigw, on_b = a.client("apigateway"), b.client("apigateway")
    key = apigw.create_api_key(name=f"mn-{uuid.uuid4().hex[:6]}", enabled=True)
    plan = apigw.create_usage_plan(name=f"mn-{uuid.uuid4().hex[:6]}", apiStages=[{"apiId": api_id, "stage": "live"}],
                                   quota={"limit": 5, "period": "MONTH"})
    apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")

    def used(client: Any) -> int:
        items = client.get_usage(usagePlanId=plan["id"], keyId=key["id"], startDate=day, endDate=day)["items"]
        return int(sum(u for u, _ in items.get(key["id"], [])))

    statuses = [wait_for("node a to admit the key", lambda: _keyed(a, api_id, key["value"]) == 200 and 200, 30),
                _keyed(a, api_id, key["value"])]
    wait_for("a's two requests in the store", lambda: used(on_b) == 2, 30)
    statuses.append(wait_for("node b to admit the key", lambda: _keyed(b, api_id, key["value"]) == 200 and 200, 30))
    wait_for("b's request in the store", lambda: used(apigw) == 3, 30)
    used(apigw)  # node a's flush before this read has seen all three
    statuses += [_keyed(a, api_id, key["value"]) for _ in range(3)]
    wait_for("a's requests in the store", lambda: used(on_b) >= 5, 30)
    used(on_b)
    statuses.append(_keyed(b, api_id, key["value"]))
    return day, statuses


def test_a_usage_plan_quota_holds_across_nodes(pair: tuple[GureumProcess, GureumProcess]) -> None:
    """Each node used to count alone (two nodes granted twice the quota); now the total of
    both is the quota, within one flush interval (here: exactly, as each node flushes first)."""
    import datetime as dt

    a, b = pair
    apigw = a.client("apigateway")
    api = apigw.create_rest_api(name="mn-quota")
    rid = api["rootResourceId"]
    apigw.put_method(restApiId=api["id"], resourceId=rid, httpMethod="GET", authorizationType="NONE", apiKeyRequired=True)
    apigw.put_integration(restApiId=api["id"], resourceId=rid, httpMethod="GET", type="MOCK",
                          requestTemplates={"application/json": '{"statusCode": 200}'})
    apigw.put_method_response(restApiId=api["id"], resourceId=rid, httpMethod="GET", statusCode="200")
    apigw.put_integration_response(restApiId=api["id"], resourceId=rid, httpMethod="GET", statusCode="200",
                                   responseTemplates={"application/json": "{}"})
    apigw.create_deployment(restApiId=api["id"], stageName="live")
    for _ in range(2):  # a run that straddles UTC midnight (a new quota period, maybe) runs again with a fresh key
        day, statuses = _quota_scenario(a, b, api["id"])
        if dt.datetime.now(dt.UTC).date().isoformat() == day:
            break
    assert statuses == [200, 200, 200, 200, 200, 429, 429]


def test_a_usage_plan_throttle_holds_across_nodes(pair: tuple[GureumProcess, GureumProcess]) -> None:
    """A plan's burst spent on one node is spent for the other once they have synced (each
    node's flush, forced here by GetUsage), instead of each node granting its own burst."""
    import datetime as dt
    import uuid

    a, b = pair
    apigw, on_b = a.client("apigateway"), b.client("apigateway")
    api = apigw.create_rest_api(name="mn-throttle")
    rid = api["rootResourceId"]
    apigw.put_method(restApiId=api["id"], resourceId=rid, httpMethod="GET", authorizationType="NONE", apiKeyRequired=True)
    apigw.put_integration(restApiId=api["id"], resourceId=rid, httpMethod="GET", type="MOCK",
                          requestTemplates={"application/json": '{"statusCode": 200}'})
    apigw.put_method_response(restApiId=api["id"], resourceId=rid, httpMethod="GET", statusCode="200")
    apigw.put_integration_response(restApiId=api["id"], resourceId=rid, httpMethod="GET", statusCode="200",
                                   responseTemplates={"application/json": "{}"})
    apigw.create_deployment(restApiId=api["id"], stageName="live")
    key = apigw.create_api_key(name=f"mn-{uuid.uuid4().hex[:6]}", enabled=True)
    # a burst of 3 and a rate so low (one token in ~17 minutes) that nothing refills during the test
    plan = apigw.create_usage_plan(name=f"mn-{uuid.uuid4().hex[:6]}", apiStages=[{"apiId": api["id"], "stage": "live"}],
                                   throttle={"rateLimit": 0.001, "burstLimit": 3})
    apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    day = dt.datetime.now(dt.UTC).date().isoformat()

    def sync(client: Any) -> None:  # GetUsage flushes the node's counts (and its throttles') first
        client.get_usage(usagePlanId=plan["id"], keyId=key["id"], startDate=day, endDate=day)

    statuses = [wait_for("node a to admit the key", lambda: _keyed(a, api["id"], key["value"]) == 200 and 200, 30)]
    statuses += [_keyed(a, api["id"], key["value"]) for _ in range(3)]
    sync(apigw)
    statuses.append(wait_for("node b to serve the key", lambda: (lambda s: s if s in (200, 429) else None)(
        _keyed(b, api["id"], key["value"])), 30))
    sync(on_b)
    statuses.append(_keyed(b, api["id"], key["value"]))
    # node b's first request came before it had read node a's counts (the bound: one burst per node)
    assert statuses == [200, 200, 200, 429, 200, 429]
