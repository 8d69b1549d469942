"""API Gateway REST APIs' data plane with Lambda proxy integrations, end to end: boto3 builds
the API, requests go over raw HTTP (http.client) to both invoke URL forms — the
`<id>.execute-api.localhost` Host and `/_aws/execute-api/<id>/<stage>/` — and reach a real
function through gureum's Lambda. Checks the payload format 1.0 event, path matching
(most specific wins, {proxy+} greedy, ANY), AWS's 403s, the response rules (502 on a
malformed answer or a function error, isBase64Encoded with binaryMediaTypes), the Lambda
permission check, the request id headers and concurrency."""

from __future__ import annotations

import base64
import http.client
import json
import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from lambda_.lambda_helpers import TRUST, zip_of
from waiting import wait_for

ECHO = """
import base64, json
def handler(event, context):
    path = event["path"]
    if path.endswith("/malformed"):
        return {"statusCode": 200, "body": "x", "unexpected": 1}
    if path.endswith("/notjson"):
        return "plain string"
    if path.endswith("/boom"):
        raise RuntimeError("boom")
    if path.endswith("/binary"):
        return {"statusCode": 200, "headers": {"Content-Type": "image/png"}, "isBase64Encoded": True,
                "body": base64.b64encode(b"\\x89PNG\\x00\\x01").decode()}
    if path.endswith("/slow"):
        import time
        time.sleep(3)
    return {"statusCode": 201, "headers": {"X-Echo": "yes"}, "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
            "body": json.dumps(event)}
"""


@pytest.fixture(scope="module")
def apigw(gureum: Any) -> Any:
    return gureum.client("apigateway")


@pytest.fixture(scope="module")
def function_arn(gureum: Any) -> str:
    iam, lam = gureum.client("iam"), gureum.client("lambda")
    role = iam.create_role(RoleName=f"apigw-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    name = f"apigw-echo-{uuid.uuid4().hex[:8]}"
    arn: str = lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="app.handler",
                                   Code={"ZipFile": zip_of({"app.py": ECHO})}, Timeout=30)["FunctionArn"]
    return arn


def _uri(function_arn: str) -> str:
    return f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations"


def build_api(apigw: Any, gureum: Any, function_arn: str, *, permit: bool = True, binary: list[str] | None = None,
              greedy: bool = True) -> str:
    api = apigw.create_rest_api(name=f"proxy-{uuid.uuid4().hex[:6]}", binaryMediaTypes=binary or [])
    api_id: str = api["id"]
    root = api["rootResourceId"]
    items = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="items")
    item = apigw.create_resource(restApiId=api_id, parentId=items["id"], pathPart="{id}")
    special = apigw.create_resource(restApiId=api_id, parentId=items["id"], pathPart="special")
    methods = [(items["id"], "GET"), (item["id"], "GET"), (special["id"], "GET"), (item["id"], "POST")]
    if greedy:
        methods.append((apigw.create_resource(restApiId=api_id, parentId=root, pathPart="{proxy+}")["id"], "ANY"))
    for rid, verb in methods:
        apigw.put_method(restApiId=api_id, resourceId=rid, httpMethod=verb, authorizationType="NONE")
        apigw.put_integration(restApiId=api_id, resourceId=rid, httpMethod=verb, type="AWS_PROXY",
                              integrationHttpMethod="POST", uri=_uri(function_arn))
    apigw.create_deployment(restApiId=api_id, stageName="prod", variables={"color": "blue"})
    if permit:
        gureum.client("lambda").add_permission(
            FunctionName=function_arn, StatementId=f"apigw-{api_id}", Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com", SourceArn=f"arn:aws:execute-api:us-east-1:000000000000:{api_id}/*/*/*")
    return api_id


def request(gureum: Any, method: str, path: str, *, host: str | None = None, body: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes, list[tuple[str, str]]]:
    port = int(gureum.endpoint.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    h = dict(headers or {})
    if host:
        h["Host"] = f"{host}:{port}"
    conn.request(method, path, body=body, headers=h)
    r = conn.getresponse()
    data = r.read()
    items = r.getheaders()
    conn.close()
    return r.status, {k.lower(): v for k, v in items}, data, items


@pytest.fixture(scope="module")
def api_id(apigw: Any, gureum: Any, function_arn: str) -> str:
    return build_api(apigw, gureum, function_arn)


def test_host_form_sends_the_payload_1_0_event(gureum: Any, api_id: str) -> None:
    status, headers, body, raw = request(gureum, "GET", "/prod/items/42?a=1&a=2&b=x", host=f"{api_id}.execute-api.localhost",
                                         headers={"X-Custom": "v"})
    assert status == 201, body
    assert headers["x-echo"] == "yes" and headers["x-amzn-requestid"] and headers["x-amz-apigw-id"]
    assert [v for k, v in raw if k.lower() == "set-cookie"] == ["a=1", "b=2"]
    event = json.loads(body)
    assert event["resource"] == "/items/{id}" and event["path"] == "/items/42" and event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"id": "42"}
    assert event["queryStringParameters"] == {"a": "2", "b": "x"}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": ["x"]}
    assert event["headers"]["x-custom"] == "v" and event["multiValueHeaders"]["x-custom"] == ["v"]
    assert event["stageVariables"] == {"color": "blue"}
    assert event["body"] is None and event["isBase64Encoded"] is False
    ctx = event["requestContext"]
    assert ctx["apiId"] == api_id and ctx["stage"] == "prod" and ctx["resourcePath"] == "/items/{id}"
    assert ctx["httpMethod"] == "GET" and ctx["path"] == "/prod/items/42" and ctx["accountId"] == "000000000000"
    assert ctx["requestId"] == headers["x-amzn-requestid"] and isinstance(ctx["requestTimeEpoch"], int)
    assert ctx["identity"]["sourceIp"] == "127.0.0.1" and ctx["domainPrefix"] == api_id
    assert ctx["protocol"] == "HTTP/1.1" and ctx["requestTime"].endswith("+0000")


def test_path_form_and_post_body(gureum: Any, api_id: str) -> None:
    status, _, body, _ = request(gureum, "POST", f"/_aws/execute-api/{api_id}/prod/items/7", body=b'{"k": 1}',
                                 headers={"Content-Type": "application/json"})
    assert status == 201
    event = json.loads(body)
    assert event["body"] == '{"k": 1}' and event["httpMethod"] == "POST" and event["pathParameters"] == {"id": "7"}


def test_matching_most_specific_wins_and_proxy_is_greedy(gureum: Any, api_id: str) -> None:
    def resource_of(method: str, path: str) -> tuple[str, Any]:
        status, _, body, _ = request(gureum, method, f"/_aws/execute-api/{api_id}/prod{path}")
        assert status == 201, (path, body)
        e = json.loads(body)
        return e["resource"], e["pathParameters"]

    assert resource_of("GET", "/items/special") == ("/items/special", None)
    assert resource_of("GET", "/items") == ("/items", None)
    assert resource_of("GET", "/items/9") == ("/items/{id}", {"id": "9"})
    assert resource_of("DELETE", "/items/9") == ("/{proxy+}", {"proxy": "items/9"})  # ANY on the greedy one
    assert resource_of("PATCH", "/a/b/c") == ("/{proxy+}", {"proxy": "a/b/c"})


def test_unknown_stage_and_missing_resource_are_aws_403s(apigw: Any, gureum: Any, function_arn: str) -> None:
    api_id = build_api(apigw, gureum, function_arn, greedy=False)
    status, headers, body, _ = request(gureum, "GET", "/nostage/items", host=f"{api_id}.execute-api.localhost")
    assert (status, json.loads(body)) == (403, {"message": "Forbidden"})
    assert headers["x-amzn-errortype"] == "ForbiddenException" and headers["x-amzn-requestid"]
    for method, path in (("POST", "/items"), ("GET", "/nothing/here"), ("GET", "/items/1/2")):
        status, headers, body, _ = request(gureum, method, f"/_aws/execute-api/{api_id}/prod{path}")
        assert (status, json.loads(body)) == (403, {"message": "Missing Authentication Token"}), path
        assert headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"


def test_malformed_answers_and_function_errors_are_502(gureum: Any, api_id: str) -> None:
    for path in ("/x/malformed", "/x/notjson", "/x/boom"):
        status, headers, body, _ = request(gureum, "GET", f"/_aws/execute-api/{api_id}/prod{path}")
        assert (status, json.loads(body)) == (502, {"message": "Internal server error"}), path


def test_missing_lambda_permission_is_a_500(apigw: Any, gureum: Any, function_arn: str) -> None:
    api = build_api(apigw, gureum, function_arn, permit=False)
    status, _, body, _ = request(gureum, "GET", f"/_aws/execute-api/{api}/prod/items")
    assert (status, json.loads(body)) == (500, {"message": "Internal server error"})


def test_binary_media_types_both_ways(apigw: Any, gureum: Any, function_arn: str) -> None:
    api = build_api(apigw, gureum, function_arn, binary=["image/*"])
    status, headers, body, _ = request(gureum, "GET", f"/_aws/execute-api/{api}/prod/x/binary", headers={"Accept": "image/png"})
    assert status == 200 and body == b"\x89PNG\x00\x01" and headers["content-type"] == "image/png"
    status, _, body, _ = request(gureum, "POST", f"/_aws/execute-api/{api}/prod/items/1", body=b"\x00\xff",
                                 headers={"Content-Type": "image/jpeg"})
    event = json.loads(body)
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == b"\x00\xff"
    # without a matching Accept the base64 text goes out as it is
    status, _, body, _ = request(gureum, "GET", f"/_aws/execute-api/{api}/prod/x/binary", headers={"Accept": "text/plain"})
    assert body == base64.b64encode(b"\x89PNG\x00\x01")


def test_a_slow_function_does_not_hold_other_requests(gureum: Any, api_id: str) -> None:
    done: dict[str, int] = {}

    def call(name: str, path: str) -> Callable[[], None]:
        def run() -> None:
            done[name] = request(gureum, "GET", f"/_aws/execute-api/{api_id}/prod{path}")[0]
        return run

    slow = threading.Thread(target=call("slow", "/x/slow"))
    slow.start()
    wait_for("the slow request to be in flight", lambda: slow.is_alive(), 5)
    fast = threading.Thread(target=call("fast", "/items/1"))
    fast.start()
    wait_for("the fast request to finish while the slow one runs", lambda: "fast" in done, 30)
    assert done["fast"] == 201 and "slow" not in done
    slow.join(60)
    assert done["slow"] == 201


def test_unknown_api_id_is_not_a_rest_api_answer(gureum: Any) -> None:
    status, _, body, _ = request(gureum, "GET", "/prod/x", host="zzzzzzzzzz.execute-api.localhost")
    assert status != 200
    assert b"Missing Authentication Token" not in body


def _metric_sum(cw: Any, metric: str, dims: list[dict[str, str]], stat: str = "Sum") -> float:
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    got = cw.get_metric_statistics(Namespace="AWS/ApiGateway", MetricName=metric, Dimensions=dims,
                                   StartTime=now - timedelta(minutes=10), EndTime=now + timedelta(minutes=1),
                                   Period=660, Statistics=[stat])
    return float(sum(p[stat] for p in got["Datapoints"]))


def test_requests_are_counted_in_aws_apigateway_metrics(apigw: Any, gureum: Any, function_arn: str) -> None:
    api_id = build_api(apigw, gureum, function_arn, greedy=False)
    name = apigw.get_rest_api(restApiId=api_id)["name"]
    for path in ("/items/1", "/items/2", "/nothing", "/items/boom"):
        request(gureum, "GET", f"/_aws/execute-api/{api_id}/prod{path}")
    cw = gureum.client("cloudwatch")
    by_stage = [{"Name": "ApiName", "Value": name}, {"Name": "Stage", "Value": "prod"}]
    wait_for("4 requests in AWS/ApiGateway Count", lambda: _metric_sum(cw, "Count", by_stage) == 4.0, 60, interval=0.5)
    assert _metric_sum(cw, "4XXError", by_stage) == 1.0  # the missing resource's 403
    assert _metric_sum(cw, "5XXError", by_stage) == 1.0  # the function error's 502
    assert _metric_sum(cw, "Count", [{"Name": "ApiName", "Value": name}]) == 4.0
    assert _metric_sum(cw, "Latency", by_stage, "SampleCount") == 4.0
    assert _metric_sum(cw, "IntegrationLatency", by_stage, "SampleCount") == 2.0 + 1.0  # 2 answers, 1 function error
