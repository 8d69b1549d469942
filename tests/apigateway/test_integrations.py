"""API Gateway REST APIs' non-proxy integrations end to end: MOCK with mapping templates
($context, $stageVariables, $input.params), Lambda (AWS) with request and response templates
($input.path/json/body, $util) and selection patterns on the function's error message, HTTP
and HTTP_PROXY to a local http.server, AWS service integrations SQS SendMessage and SNS
Publish, and passthroughBehavior's 415."""

from __future__ import annotations

import http.client
import http.server
import json
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from lambda_.lambda_helpers import TRUST, zip_of
from waiting import wait_for

FN = """
def handler(event, context):
    if event.get("fail"):
        raise ValueError("NotFound: no item " + str(event.get("id")))
    return {"got": event, "sum": event.get("a", 0) + event.get("b", 0)}
"""


@pytest.fixture(scope="module")
def apigw(gureum: Any) -> Any:
    return gureum.client("apigateway")


BOTH = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {
    "Service": ["lambda.amazonaws.com", "apigateway.amazonaws.com"]}}]}


@pytest.fixture(scope="module")
def role(gureum: Any) -> str:
    arn: str = gureum.client("iam").create_role(RoleName=f"apigw-int-{uuid.uuid4().hex[:8]}",
                                                 AssumeRolePolicyDocument=json.dumps(BOTH))["Role"]["Arn"]
    return arn


@pytest.fixture(scope="module")
def fn_arn(gureum: Any, role: str) -> str:
    lam = gureum.client("lambda")
    arn: str = lam.create_function(FunctionName=f"apigw-int-{uuid.uuid4().hex[:8]}", Runtime="python3.12", Role=role,
                                   Handler="app.handler", Code={"ZipFile": zip_of({"app.py": FN})})["FunctionArn"]
    lam.add_permission(FunctionName=arn, StatementId="apigw", Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com")
    return arn


class _Echo(http.server.BaseHTTPRequestHandler):
    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        doc = {"method": self.command, "path": self.path, "body": body, "x_in": self.headers.get("X-In")}
        data = json.dumps(doc).encode()
        self.send_response(404 if "missing" in self.path else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Backend", "echo")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def backend() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def call(gureum: Any, method: str, path: str, body: bytes | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    port = int(gureum.endpoint.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, data


def new_api(apigw: Any) -> tuple[str, str]:
    api = apigw.create_rest_api(name=f"int-{uuid.uuid4().hex[:6]}")
    return api["id"], api["rootResourceId"]


def method(apigw: Any, api: str, parent: str, part: str, verb: str = "GET", **integration: Any) -> str:
    rid = apigw.create_resource(restApiId=api, parentId=parent, pathPart=part)["id"] if part else parent
    apigw.put_method(restApiId=api, resourceId=rid, httpMethod=verb, authorizationType="NONE",
                     requestParameters=integration.pop("method_params", None) or {})
    responses = integration.pop("responses", [])
    apigw.put_integration(restApiId=api, resourceId=rid, httpMethod=verb, **integration)
    for r in responses:
        apigw.put_method_response(restApiId=api, resourceId=rid, httpMethod=verb, statusCode=r["statusCode"])
        apigw.put_integration_response(restApiId=api, resourceId=rid, httpMethod=verb, **r)
    return rid


def test_mock_with_templates_context_and_stage_variables(apigw: Any, gureum: Any) -> None:
    api, root = new_api(apigw)
    method(apigw, api, root, "mock", type="MOCK",
           requestTemplates={"application/json": '{"statusCode": $input.params("code")}'},
           responses=[
               {"statusCode": "200", "selectionPattern": "",
                "responseTemplates": {"application/json":
                                      '{"stage": "$context.stage", "color": "$stageVariables.color", '
                                      '"q": "$input.params(\'q\')", "method": "$context.httpMethod"}'},
                "responseParameters": {"method.response.header.X-Static": "'fixed'"}},
               {"statusCode": "404", "selectionPattern": "404", "responseTemplates": {"application/json": '{"missing": true}'}},
           ])
    apigw.create_deployment(restApiId=api, stageName="test", variables={"color": "green"})
    status, headers, body = call(gureum, "GET", f"/_aws/execute-api/{api}/test/mock?code=200&q=hi")
    assert status == 200, body
    assert json.loads(body) == {"stage": "test", "color": "green", "q": "hi", "method": "GET"}
    assert headers["x-static"] == "fixed" and headers["x-amzn-requestid"]
    status, _, body = call(gureum, "GET", f"/_aws/execute-api/{api}/test/mock?code=404")
    assert (status, json.loads(body)) == (404, {"missing": True})


def test_lambda_non_proxy_with_templates_and_error_patterns(apigw: Any, gureum: Any, fn_arn: str) -> None:
    api, root = new_api(apigw)
    uri = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{fn_arn}/invocations"
    method(apigw, api, root, "calc", verb="POST", type="AWS", integrationHttpMethod="POST", uri=uri,
           requestTemplates={"application/json":
                             '{"a": $input.path(\'$.x\'), "b": $input.json(\'$.y\'), "fail": $input.path(\'$.fail\'), '
                             '"id": "$util.escapeJavaScript($input.params(\'id\'))", "raw": "$util.base64Encode($input.body)"}'},
           responses=[
               {"statusCode": "200", "responseTemplates": {"application/json": '{"total": $input.path(\'$.sum\')}'}},
               {"statusCode": "404", "selectionPattern": "NotFound:.*",
                "responseTemplates": {"application/json": '{"error": "$input.path(\'$.errorMessage\')"}'}},
           ])
    apigw.create_deployment(restApiId=api, stageName="v1")
    status, _, body = call(gureum, "POST", f"/_aws/execute-api/{api}/v1/calc?id=7", body=b'{"x": 2, "y": 3, "fail": false}',
                           headers={"Content-Type": "application/json"})
    assert (status, json.loads(body)) == (200, {"total": 5}), body
    status, _, body = call(gureum, "POST", f"/_aws/execute-api/{api}/v1/calc?id=9", body=b'{"x": 1, "y": 1, "fail": true}',
                           headers={"Content-Type": "application/json"})
    assert (status, json.loads(body)) == (404, {"error": "NotFound: no item 9"})


def test_http_integration_maps_path_query_and_headers(apigw: Any, gureum: Any, backend: str) -> None:
    api, root = new_api(apigw)
    items = apigw.create_resource(restApiId=api, parentId=root, pathPart="items")["id"]
    method(apigw, api, items, "{id}", type="HTTP", integrationHttpMethod="PUT", uri=f"{backend}/things/{{id}}",
           method_params={"method.request.path.id": True, "method.request.header.X-Src": False},
           requestParameters={"integration.request.path.id": "method.request.path.id",
                              "integration.request.querystring.from": "'gateway'",
                              "integration.request.header.X-In": "method.request.header.X-Src"},
           responses=[{"statusCode": "200", "selectionPattern": "2\\d\\d",
                       "responseParameters": {"method.response.header.X-Up": "integration.response.header.X-Backend"}},
                      {"statusCode": "404", "selectionPattern": "404"}])
    apigw.create_deployment(restApiId=api, stageName="s")
    status, headers, body = call(gureum, "GET", f"/_aws/execute-api/{api}/s/items/42", headers={"X-Src": "abc"})
    assert status == 200, body
    doc = json.loads(body)
    assert doc["method"] == "PUT" and doc["path"] == "/things/42?from=gateway" and doc["x_in"] == "abc"
    assert headers["x-up"] == "echo"
    status, _, _ = call(gureum, "GET", f"/_aws/execute-api/{api}/s/items/missing")
    assert status == 404


def test_http_proxy_forwards_everything(apigw: Any, gureum: Any, backend: str) -> None:
    api, root = new_api(apigw)
    method(apigw, api, root, "{proxy+}", verb="ANY", type="HTTP_PROXY", integrationHttpMethod="ANY",
           uri=f"{backend}/base/{{proxy}}", method_params={"method.request.path.proxy": True},
           requestParameters={"integration.request.path.proxy": "method.request.path.proxy"})
    apigw.create_deployment(restApiId=api, stageName="p")
    status, headers, body = call(gureum, "DELETE", f"/_aws/execute-api/{api}/p/a/b?z=1", body=b"payload",
                                 headers={"X-In": "kept"})
    assert status == 200 and headers["x-backend"] == "echo"
    doc = json.loads(body)
    assert doc == {"method": "DELETE", "path": "/base/a/b?z=1", "body": "payload", "x_in": "kept"}
    status, _, _ = call(gureum, "GET", f"/_aws/execute-api/{api}/p/missing")
    assert status == 404  # the backend's status goes through


def test_sqs_send_message_and_sns_publish(apigw: Any, gureum: Any, role: str) -> None:
    sqs, sns = gureum.client("sqs"), gureum.client("sns")
    queue_url = sqs.create_queue(QueueName=f"apigw-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    queue_name = queue_url.rsplit("/", 1)[1]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = sns.create_topic(Name=f"apigw-{uuid.uuid4().hex[:6]}")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    api, root = new_api(apigw)
    form = {"integration.request.header.Content-Type": "'application/x-www-form-urlencoded'"}
    method(apigw, api, root, "queue", verb="POST", type="AWS", integrationHttpMethod="POST", credentials=role,
           uri=f"arn:aws:apigateway:us-east-1:sqs:path/000000000000/{queue_name}", requestParameters=form,
           requestTemplates={"application/json": "Action=SendMessage&MessageBody=$util.urlEncode($input.body)"},
           responses=[{"statusCode": "200", "responseTemplates": {
               "application/json": '{"id": "$input.path(\'$.SendMessageResponse.SendMessageResult.MessageId\')"}'}}])
    method(apigw, api, root, "topic", verb="POST", type="AWS", integrationHttpMethod="POST", credentials=role,
           uri="arn:aws:apigateway:us-east-1:sns:action/Publish",
           requestParameters={"integration.request.querystring.TopicArn": f"'{topic}'"},
           requestTemplates={"application/json": "Message=$util.urlEncode($input.path('$.text'))"},
           responses=[{"statusCode": "200"}])
    apigw.create_deployment(restApiId=api, stageName="prod")
    status, _, body = call(gureum, "POST", f"/_aws/execute-api/{api}/prod/queue", body=b'{"order": 1}',
                           headers={"Content-Type": "application/json"})
    assert status == 200, body
    message_id = json.loads(body)["id"]
    got = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=5)["Messages"][0]
    assert got["MessageId"] == message_id and json.loads(got["Body"]) == {"order": 1}
    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=got["ReceiptHandle"])
    status, _, body = call(gureum, "POST", f"/_aws/execute-api/{api}/prod/topic", body=b'{"text": "hello sns"}',
                           headers={"Content-Type": "application/json"})
    assert status == 200, body
    assert json.loads(body)["PublishResponse"]["PublishResult"]["MessageId"]
    bodies: list[str] = []

    def arrived() -> bool:
        bodies.extend(m["Body"] for m in sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1).get("Messages", []))
        return "hello sns" in bodies

    wait_for("the published message in the subscribed queue", arrived, 30)


def test_a_role_api_gateway_cannot_assume_is_a_500(apigw: Any, gureum: Any) -> None:
    sqs = gureum.client("sqs")
    queue_url = sqs.create_queue(QueueName=f"apigw-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    lambda_only = gureum.client("iam").create_role(RoleName=f"apigw-no-{uuid.uuid4().hex[:8]}",
                                                   AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    api, root = new_api(apigw)
    method(apigw, api, root, "queue", verb="POST", type="AWS", integrationHttpMethod="POST", credentials=lambda_only,
           uri=f"arn:aws:apigateway:us-east-1:sqs:path/000000000000/{queue_url.rsplit('/', 1)[1]}",
           requestTemplates={"application/json": "Action=SendMessage&MessageBody=x"}, responses=[{"statusCode": "200"}])
    apigw.create_deployment(restApiId=api, stageName="prod")
    status, _, body = call(gureum, "POST", f"/_aws/execute-api/{api}/prod/queue", body=b"{}",
                           headers={"Content-Type": "application/json"})
    assert (status, json.loads(body)) == (500, {"message": "Internal server error"})
    assert "Messages" not in sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=0)


def test_passthrough_never_answers_415(apigw: Any, gureum: Any) -> None:
    api, root = new_api(apigw)
    method(apigw, api, root, "strict", verb="POST", type="MOCK", passthroughBehavior="NEVER",
           requestTemplates={"application/json": '{"statusCode": 200}'}, responses=[{"statusCode": "200"}])
    apigw.create_deployment(restApiId=api, stageName="s")
    status, _, _ = call(gureum, "POST", f"/_aws/execute-api/{api}/s/strict", body=b'{}', headers={"Content-Type": "application/json"})
    assert status == 200
    status, headers, body = call(gureum, "POST", f"/_aws/execute-api/{api}/s/strict", body=b"x", headers={"Content-Type": "text/plain"})
    assert (status, json.loads(body)) == (415, {"message": "Unsupported Media Type"})


def test_rest_api_requests_are_billed_per_the_price_list(apigw: Any, gureum: Any) -> None:
    """Every request a REST API receives is one USE1-ApiGatewayRequest at $3.50 a million (its
    first band), read back through Cost Explorer for this API's ARN alone (the shared gureum
    has other APIs)."""
    from datetime import UTC, datetime, timedelta

    api, root = new_api(apigw)
    method(apigw, api, root, "ping", type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'},
           responses=[{"statusCode": "200", "selectionPattern": "", "responseTemplates": {"application/json": '{"ok": true}'}}])
    apigw.create_deployment(restApiId=api, stageName="prod")
    for _ in range(3):
        assert call(gureum, "GET", f"/_aws/execute-api/{api}/prod/ping")[0] == 200
    ce = gureum.client("ce")
    now = datetime.now(UTC)
    period = {"Start": now.strftime("%Y-%m-%d"), "End": (now + timedelta(days=1)).strftime("%Y-%m-%d")}
    arn = f"arn:aws:apigateway:us-east-1::/restapis/{api}"

    def billed() -> dict[str, Any]:
        out = ce.get_cost_and_usage_with_resources(
            TimePeriod=period, Granularity="DAILY", Metrics=["UsageQuantity", "UnblendedCost"],
            Filter={"And": [{"Dimensions": {"Key": "SERVICE", "Values": ["Amazon API Gateway"]}},
                            {"Dimensions": {"Key": "RESOURCE_ID", "Values": [arn]}}]},
            GroupBy=[{"Type": "DIMENSION", "Key": "USAGE_TYPE"}])
        return {g["Keys"][0]: g["Metrics"] for g in out["ResultsByTime"][0]["Groups"]}

    got = wait_for("three requests billed", lambda: (b := billed()).get("USE1-ApiGatewayRequest") and
                   float(b["USE1-ApiGatewayRequest"]["UsageQuantity"]["Amount"]) >= 3 and b, 60)
    line = got["USE1-ApiGatewayRequest"]
    assert float(line["UsageQuantity"]["Amount"]) == 3
    assert abs(float(line["UnblendedCost"]["Amount"]) - 3 * 3.50 / 1_000_000) < 1e-12
