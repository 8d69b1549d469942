"""REST API stage caching end to end: the cache cluster's states, cached answers keyed by the
integration's cacheKeyParameters, GET only from the stage-wide setting, a method override,
TTL expiry, Cache-Control: max-age=0 and its strategies, FlushStageCache, AWS's limits,
CacheHitCount/CacheMissCount, and the cluster's hours in Cost Explorer."""

from __future__ import annotations

import datetime as dt
import http.client
import http.server
import itertools
import json
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from waiting import wait_for


class _Counter(http.server.BaseHTTPRequestHandler):
    counter = itertools.count(1)

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        data = json.dumps({"n": next(self.counter), "path": self.path}).encode()
        self.send_response(404 if "missing" in self.path else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _answer

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def backend() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def apigw(gureum: Any) -> Any:
    return gureum.client("apigateway")


def call(gureum: Any, method: str, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], Any]:
    """(status, headers, body) of one request; `call(...)[2]` the body alone."""
    port = int(gureum.endpoint.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request(method, path, body=b"{}" if method == "POST" else None, headers=headers or {})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, json.loads(data)


def _patch(path: str, value: str) -> dict[str, str]:
    return {"op": "replace", "path": path, "value": value}


def cached_api(apigw: Any, backend: str, *settings: dict[str, str], key_params: bool = True) -> tuple[str, str]:
    """An API with GET and POST /items/{id} (HTTP_PROXY to the counting backend), deployed to a
    stage whose cache cluster is AVAILABLE, with `settings` patched in."""
    api = apigw.create_rest_api(name=f"cache-{uuid.uuid4().hex[:6]}")["id"]
    root = apigw.get_resources(restApiId=api)["items"][0]["id"]
    items = apigw.create_resource(restApiId=api, parentId=root, pathPart="items")["id"]
    rid = apigw.create_resource(restApiId=api, parentId=items, pathPart="{id}")["id"]
    for verb in ("GET", "POST"):
        apigw.put_method(restApiId=api, resourceId=rid, httpMethod=verb, authorizationType="NONE",
                         requestParameters={"method.request.path.id": True, "method.request.querystring.q": False})
        apigw.put_integration(restApiId=api, resourceId=rid, httpMethod=verb, type="HTTP_PROXY",
                              integrationHttpMethod=verb, uri=f"{backend}/backend/{{id}}",
                              requestParameters={"integration.request.path.id": "method.request.path.id"},
                              cacheKeyParameters=["method.request.path.id"] if key_params else [])
    stage = "live"
    apigw.create_deployment(restApiId=api, stageName=stage)
    answer = apigw.update_stage(restApiId=api, stageName=stage, patchOperations=[
        _patch("/cacheClusterEnabled", "true"), _patch("/cacheClusterSize", "0.5"),
        _patch("/*/*/caching/enabled", "true"), *settings])
    assert answer["cacheClusterEnabled"] is True and answer["cacheClusterSize"] == "0.5"
    assert answer["cacheClusterStatus"] == "CREATE_IN_PROGRESS"
    wait_for("the cache cluster to be AVAILABLE",
             lambda: apigw.get_stage(restApiId=api, stageName=stage)["cacheClusterStatus"] == "AVAILABLE", timeout=60)
    return api, stage


def test_get_answers_come_from_the_cache_keyed_by_cache_key_parameters(apigw: Any, gureum: Any, backend: str) -> None:
    api, stage = cached_api(apigw, backend)
    base = f"/_aws/execute-api/{api}/{stage}/items"
    first = call(gureum, "GET", f"{base}/1")[2]
    assert call(gureum, "GET", f"{base}/1")[2] == first  # a hit: the backend was not asked again
    assert call(gureum, "GET", f"{base}/1?q=other")[2] == first  # q is no cache key parameter
    other = call(gureum, "GET", f"{base}/2")[2]
    assert other["n"] != first["n"] and other["path"] == "/backend/2"
    # the backend's 404 is cached as AWS caches it
    status, _, missing = call(gureum, "GET", f"{base}/missing")
    assert status == 404 and call(gureum, "GET", f"{base}/missing")[:3:2] == (404, missing)
    # POST is not cached by the stage-wide setting
    a, b = call(gureum, "POST", f"{base}/1")[2], call(gureum, "POST", f"{base}/1")[2]
    assert a["n"] != b["n"]


def test_without_cache_key_parameters_the_resource_path_is_the_key(apigw: Any, gureum: Any, backend: str) -> None:
    api, stage = cached_api(apigw, backend, key_params=False)
    base = f"/_aws/execute-api/{api}/{stage}/items"
    first = call(gureum, "GET", f"{base}/1")[2]
    assert call(gureum, "GET", f"{base}/2")[2] == first  # AWS's behaviour: the path parameter is no key


def test_a_method_override_caches_post_and_ttl_expires(apigw: Any, gureum: Any, backend: str) -> None:
    api, stage = cached_api(apigw, backend, _patch("/~1items~1{id}/POST/caching/enabled", "true"),
                            _patch("/~1items~1{id}/GET/caching/enabled", "true"),
                            _patch("/~1items~1{id}/GET/caching/ttlInSeconds", "1"))
    base = f"/_aws/execute-api/{api}/{stage}/items"
    posted = call(gureum, "POST", f"{base}/5")[2]
    assert call(gureum, "POST", f"{base}/5")[2] == posted  # the override caches POST (300 s)
    settings = apigw.get_stage(restApiId=api, stageName=stage)["methodSettings"]
    assert settings["~1items~1{id}/POST"]["cachingEnabled"] is True
    assert settings["~1items~1{id}/GET"]["cacheTtlInSeconds"] == 1
    assert settings["*/*"]["cacheTtlInSeconds"] == 300
    first = call(gureum, "GET", f"{base}/5")[2]
    wait_for("the 1 s entry to expire", lambda: call(gureum, "GET", f"{base}/5")[2]["n"] != first["n"], timeout=30)


def test_cache_control_max_age_0_follows_the_strategy(apigw: Any, gureum: Any, backend: str) -> None:
    api, stage = cached_api(apigw, backend)
    base = f"/_aws/execute-api/{api}/{stage}/items"
    fresh = {"Cache-Control": "max-age=0"}
    first = call(gureum, "GET", f"{base}/1")[2]
    # unsigned: not authorized to invalidate; the default strategy answers from the cache with a warning
    status, headers, body = call(gureum, "GET", f"{base}/1", fresh)
    assert (status, body) == (200, first) and "unauthorized" in headers["warning"]
    apigw.update_stage(restApiId=api, stageName=stage,
                       patchOperations=[_patch("/*/*/caching/unauthorizedCacheControlHeaderStrategy", "FAIL_WITH_403")])
    wait_for("FAIL_WITH_403 to apply", lambda: call(gureum, "GET", f"{base}/1", fresh)[0] == 403, timeout=30)
    apigw.update_stage(restApiId=api, stageName=stage, patchOperations=[
        _patch("/*/*/caching/unauthorizedCacheControlHeaderStrategy", "SUCCEED_WITHOUT_RESPONSE_HEADER")])
    status, headers, body = wait_for("SUCCEED_WITHOUT_RESPONSE_HEADER to apply",
                                     lambda: (r := call(gureum, "GET", f"{base}/1", fresh))[0] == 200 and r, timeout=30)
    assert "warning" not in headers and body == call(gureum, "GET", f"{base}/1")[2]
    apigw.update_stage(restApiId=api, stageName=stage,
                       patchOperations=[_patch("/*/*/caching/requireAuthorizationForCacheControl", "false")])
    before = call(gureum, "GET", f"{base}/1")[2]
    after = wait_for("an unauthenticated invalidation to be honoured",
                     lambda: (b := call(gureum, "GET", f"{base}/1", fresh)[2])["n"] != before["n"] and b, timeout=30)
    assert call(gureum, "GET", f"{base}/1")[2] == after  # the fresh answer is the new entry


def test_signed_caller_may_invalidate(apigw: Any, gureum: Any, backend: str) -> None:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    api, stage = cached_api(apigw, backend)
    path = f"/_aws/execute-api/{api}/{stage}/items/1"
    first = call(gureum, "GET", path)[2]
    request = AWSRequest(method="GET", url=gureum.endpoint + path, headers={"Cache-Control": "max-age=0"})
    SigV4Auth(Credentials("test", "test"), "execute-api", "us-east-1").add_auth(request)
    status, headers, body = call(gureum, "GET", path, dict(request.headers.items()))
    assert status == 200 and "warning" not in headers and body["n"] != first["n"]


def test_flush_stage_cache_and_disable(apigw: Any, gureum: Any, backend: str) -> None:
    api, stage = cached_api(apigw, backend)
    path = f"/_aws/execute-api/{api}/{stage}/items/1"
    first = call(gureum, "GET", path)[2]
    assert call(gureum, "GET", path)[2] == first
    apigw.flush_stage_cache(restApiId=api, stageName=stage)
    second = call(gureum, "GET", path)[2]
    assert second["n"] != first["n"]
    with pytest.raises(ClientError) as e:
        apigw.flush_stage_cache(restApiId=api, stageName="nope")
    assert e.value.response["Error"]["Code"] == "NotFoundException"
    answer = apigw.update_stage(restApiId=api, stageName=stage, patchOperations=[_patch("/cacheClusterEnabled", "false")])
    assert answer["cacheClusterStatus"] == "DELETE_IN_PROGRESS"
    wait_for("the cluster to be gone",
             lambda: apigw.get_stage(restApiId=api, stageName=stage)["cacheClusterStatus"] == "NOT_AVAILABLE", timeout=60)
    a, b = call(gureum, "GET", path)[2], call(gureum, "GET", path)[2]
    assert a["n"] != b["n"]


def test_limits_are_aws_errors(apigw: Any, backend: str) -> None:
    api, stage = cached_api(apigw, backend)
    for path, value in (("/*/*/caching/ttlInSeconds", "3601"), ("/cacheClusterSize", "2.0"),
                        ("/*/*/caching/unauthorizedCacheControlHeaderStrategy", "SOMETIMES")):
        with pytest.raises(ClientError) as e:
            apigw.update_stage(restApiId=api, stageName=stage, patchOperations=[_patch(path, value)])
        assert e.value.response["Error"]["Code"] == "BadRequestException", path
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    ok = apigw.update_stage(restApiId=api, stageName=stage, patchOperations=[_patch("/*/*/caching/ttlInSeconds", "3600")])
    assert ok["methodSettings"]["*/*"]["cacheTtlInSeconds"] == 3600
    assert "cacheCluster" not in ok  # gureum's bookkeeping is no AWS member


def test_cache_metrics_and_cluster_hours_are_billed(apigw: Any, gureum: Any, backend: str) -> None:
    api, stage = cached_api(apigw, backend)
    name = apigw.get_rest_api(restApiId=api)["name"]
    path = f"/_aws/execute-api/{api}/{stage}/items/1"
    for _ in range(3):
        call(gureum, "GET", path)
    cw = gureum.client("cloudwatch")

    def total(metric: str) -> float:
        now = dt.datetime.now(dt.UTC)
        points = cw.get_metric_statistics(Namespace="AWS/ApiGateway", MetricName=metric, Statistics=["Sum"], Period=60,
                                          Dimensions=[{"Name": "ApiName", "Value": name}, {"Name": "Stage", "Value": stage}],
                                          StartTime=now - dt.timedelta(minutes=15), EndTime=now + dt.timedelta(minutes=5))
        return float(sum(p["Sum"] for p in points["Datapoints"]))

    wait_for("CacheHitCount 2 and CacheMissCount 1",
             lambda: (total("CacheHitCount"), total("CacheMissCount")) == (2.0, 1.0), timeout=60)
    apigw.delete_stage(restApiId=api, stageName=stage)  # the cluster's time is settled into the ledger
    ce = gureum.client("ce")

    def cache_cost() -> float:
        today = dt.datetime.now(dt.UTC).date()  # a window of two days: the test may straddle midnight
        out = ce.get_cost_and_usage(TimePeriod={"Start": (today - dt.timedelta(days=1)).isoformat(),
                                                "End": (today + dt.timedelta(days=1)).isoformat()},
                                    Granularity="DAILY", Metrics=["UnblendedCost", "UsageQuantity"],
                                    GroupBy=[{"Type": "DIMENSION", "Key": "USAGE_TYPE"}])
        return sum(float(g["Metrics"]["UsageQuantity"]["Amount"]) for r in out["ResultsByTime"] for g in r["Groups"]
                   if g["Keys"] == ["USE1-ApiGatewayCacheUsage:0.5GB"])

    assert wait_for("cache cluster hours in Cost Explorer", cache_cost, timeout=60) > 0
